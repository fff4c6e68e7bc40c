package mtoken

import (
	"slices"
	"strings"
	"testing"
	"time"
)

func TestParseAcceptLanguage(t *testing.T) {
	tests := []struct {
		in   string
		want []string
	}{
		{"", []string{}},
		{"en-US", []string{"en"}},
		{"cs-CZ,cs;q=0.9,en;q=0.5", []string{"cs", "en"}},
		{"en;q=0.2, de;q=0.8, *", []string{"de", "en"}},
		{"fr;q=0, cs", []string{"cs"}},
		{"de;q=abc, en", []string{"en"}},
	}
	for _, tt := range tests {
		if got := ParseAcceptLanguage(tt.in); !slices.Equal(got, tt.want) {
			t.Errorf("ParseAcceptLanguage(%q) = %v, want %v", tt.in, got, tt.want)
		}
	}
}

func TestFormatAmount(t *testing.T) {
	tests := []struct {
		amount, currency, lang, want, value string
	}{
		{"1234.5", "CZK", "en", "1,234.50", "1,234.50\u00a0Kč"},
		{"1234.5", "CZK", "cs", "1\u00a0234,50", "1\u00a0234,50\u00a0Kč"},
		{"100", "USD", "en", "100.00", "$100.00"},
		{"-1234567.891", "EUR", "de", "-1.234.567,89", "-1.234.567,89\u00a0€"},
		{"5000", "JPY", "en", "5,000", "¥5,000"},
	}
	for _, tt := range tests {
		r, ok := parseAmount(tt.amount)
		if !ok {
			t.Fatalf("parseAmount(%q) failed", tt.amount)
		}
		got := formatAmount(r, tt.currency, tt.lang)
		if got != tt.want {
			t.Errorf("formatAmount(%s %s %s) = %q, want %q", tt.amount, tt.currency, tt.lang, got, tt.want)
		}
		if v := formatValue(got, tt.currency, tt.lang); v != tt.value {
			t.Errorf("formatValue = %q, want %q", v, tt.value)
		}
	}
	for _, bad := range []string{"", "1e3", "abc", "1/2"} {
		if _, ok := parseAmount(bad); ok {
			t.Errorf("parseAmount(%q) accepted", bad)
		}
	}
}

func TestSubstitute(t *testing.T) {
	p := map[string]string{"a": "1", "b": "${a}"}
	tests := map[string]string{
		"x${a}y":     "x1y",
		"${b}":       "${a}", // no recursive substitution
		"${missing}": "${missing}",
		"${a":        "${a",
		"plain":      "plain",
	}
	for in, want := range tests {
		if got := substitute(in, p); got != want {
			t.Errorf("substitute(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestAllowedSignatureType(t *testing.T) {
	if got := allowedSignatureType([]string{"possession", "possession_knowledge"}); got.Type != "1FA" || len(got.Variants) != 0 {
		t.Errorf("1FA: %+v", got)
	}
	got := allowedSignatureType([]string{"POSSESSION_BIOMETRY", "possession_knowledge"})
	if got.Type != "2FA" || !slices.Equal(got.Variants, []string{"possession_knowledge", "possession_biometry"}) {
		t.Errorf("2FA: %+v", got)
	}
}

func TestRender(t *testing.T) {
	tpl, err := ParseTemplates([]byte(`{"templates":[{"operationType":"payment","language":"de","title":"Zahlung ${amount}",
		"message":"Bitte bestätigen","attributes":[
		{"id":"a","type":"AMOUNT","text":"Betrag","params":{"amount":"amount","currency":"currency"}},
		{"id":"h","type":"HEADING","text":"Kopf"},
		{"id":"w","type":"ALERT","text":"Warnung","alertType":"WARNING","title":"Achtung","message":"Konto ${iban}"},
		{"id":"p","type":"PARTY_INFO","text":"Händler","params":{"name":"merchant","websiteUrl":"web"}},
		{"id":"n","type":"NOTE","text":"Notiz","params":{"note":"note"}}],
		"ui":{"flipButtons":true,"postApprovalScreen":{"type":"GENERIC","payload":{"text":"${iban}"}}}}]}`))
	if err != nil {
		t.Fatal(err)
	}
	op := Operation{
		ID: "op1", OperationType: "payment", Data: "A1", Status: StatusPending, SignatureTypes: []string{"possession_knowledge"},
		Parameters: map[string]string{"amount": "10.5", "currency": "EUR", "iban": "DE1", "merchant": "Shop"},
		Created:    time.Date(2024, 1, 2, 3, 4, 5, 6e6, time.UTC), Expires: time.Date(2024, 1, 2, 3, 9, 5, 0, time.UTC), RiskFlags: "XCF",
	}
	v := tpl.Render(op, []string{"de"})
	if v.FormData.Title != "Zahlung 10.5" || v.OperationCreated != "2024-01-02T03:04:05.006Z" {
		t.Fatalf("view: %+v", v)
	}
	types := []string{}
	for _, a := range v.FormData.Attributes {
		types = append(types, a.Type)
	}
	// The NOTE is left out: its parameter is missing.
	if !slices.Equal(types, []string{AttrAmount, AttrHeading, AttrAlert, AttrPartyInfo}) {
		t.Fatalf("attributes: %v", types)
	}
	if a := v.FormData.Attributes[0]; a.AmountFormatted != "10,50" || a.Amount != "10.5" || a.ValueFormatted != "10,50\u00a0€" {
		t.Fatalf("amount: %+v", a)
	}
	if a := v.FormData.Attributes[2]; a.Message != "Konto DE1" || a.AlertType != "WARNING" {
		t.Fatalf("alert: %+v", a)
	}
	if a := v.FormData.Attributes[3]; a.PartyInfo == nil || a.PartyInfo.Name != "Shop" {
		t.Fatalf("party: %+v", a)
	}
	payload := v.UI["postApprovalScreen"].(map[string]any)["payload"].(map[string]any)
	if payload["text"] != "DE1" || v.UI["blockApprovalOnCall"] != nil {
		t.Fatalf("template ui: %v", v.UI)
	}
	// Without a template UI it is derived from the risk flags; unknown
	// languages fall back to English; unknown types to the generic texts.
	v = tpl.Render(op, []string{"fr"})
	if v.FormData.Title != "Confirm Payment" || v.UI["flipButtons"] != true || v.UI["blockApprovalOnCall"] != true || v.UI["preApprovalScreen"] == nil {
		t.Fatalf("fallback: %+v", v)
	}
	op.OperationType = "unknown"
	if v = tpl.Render(op, []string{"cs"}); v.FormData.Title != "Schválení operace" {
		t.Fatalf("generic: %+v", v.FormData)
	}
}

func TestParseTemplatesRejects(t *testing.T) {
	for _, in := range []string{
		`{"templates":[{"operationType":"","language":"en"}]}`,
		`{"templates":[{"operationType":"x","language":"eng"}]}`,
		`{"templates":[{"operationType":"x","language":"en","attributes":[{"id":"a","type":"BOGUS"}]}]}`,
		`{"templates":[{"operationType":"x","language":"en","attributes":[{"id":"a","type":"ALERT","alertType":"LOUD"}]}]}`,
		`{"templates":[{"operationType":"x","language":"en","unknown":1}]}`,
		`not json`,
	} {
		if _, err := ParseTemplates([]byte(in)); err == nil {
			t.Errorf("ParseTemplates(%s) accepted", in)
		}
	}
	if _, err := NewTemplates(DefaultTemplates()); err != nil {
		t.Fatalf("default templates: %v", err)
	}
}

func TestStatusError(t *testing.T) {
	for status, code := range map[string]string{
		StatusApproved: CodeOperationAlreadyFinished, StatusRejected: CodeOperationAlreadyFinished,
		StatusCanceled: CodeOperationAlreadyCanceled, StatusExpired: CodeOperationExpired, StatusFailed: CodeOperationAlreadyFailed,
		"WEIRD": CodeInvalidOperation,
	} {
		if err := statusError(Operation{Status: status}); err == nil || err.Code != code {
			t.Errorf("statusError(%s) = %v, want %s", status, err, code)
		}
	}
	if statusError(Operation{Status: StatusPending}) != nil {
		t.Error("PENDING is an error")
	}
}

func FuzzParseAcceptLanguage(f *testing.F) {
	f.Add("cs-CZ,cs;q=0.9,en;q=0.5")
	f.Add("*;q=1, de;q=0.1")
	f.Fuzz(func(t *testing.T, h string) {
		for _, l := range ParseAcceptLanguage(h) {
			if l == "" || l == "*" || len(l) > 8 || strings.ContainsAny(l, "-_,;") {
				t.Fatalf("bad language %q from %q", l, h)
			}
		}
	})
}

func FuzzParseTemplates(f *testing.F) {
	f.Add([]byte(`{"templates":[{"operationType":"x","language":"en","title":"${a}","attributes":[{"id":"a","type":"AMOUNT","text":"A","params":{"amount":"a","currency":"c"}}]}]}`))
	f.Add([]byte(`{}`))
	f.Fuzz(func(t *testing.T, raw []byte) {
		tpl, err := ParseTemplates(raw)
		if err != nil {
			return
		}
		op := Operation{OperationType: "x", Parameters: map[string]string{"a": "1.5", "c": "EUR"}, SignatureTypes: []string{"possession"}}
		_ = tpl.Render(op, []string{"en", "cs"})
	})
}
