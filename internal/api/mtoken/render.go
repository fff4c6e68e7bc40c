package mtoken

import (
	"encoding/json"
	"math/big"
	"slices"
	"strings"
	"time"

	"github.com/mauth/mauth/wire"
)

// allowedSignatureType maps the operation's factor combinations: 1FA when
// possession alone is allowed, else 2FA with the allowed variants.
func allowedSignatureType(types []string) wire.AllowedSignatureType {
	lower := make([]string, len(types))
	for i, t := range types {
		lower[i] = strings.ToLower(t)
	}
	if slices.Contains(lower, "possession") {
		return wire.AllowedSignatureType{Type: "1FA", Variants: []string{}}
	}
	out := wire.AllowedSignatureType{Type: "2FA", Variants: []string{}}
	for _, v := range []string{"possession_knowledge", "possession_biometry"} {
		if slices.Contains(lower, v) {
			out.Variants = append(out.Variants, v)
		}
	}
	return out
}

// substitute replaces ${name} with the parameter; unknown names stay.
func substitute(s string, params map[string]string) string {
	if !strings.Contains(s, "${") {
		return s
	}
	var b strings.Builder
	for {
		i := strings.Index(s, "${")
		if i < 0 {
			b.WriteString(s)
			return b.String()
		}
		j := strings.IndexByte(s[i:], '}')
		if j < 0 {
			b.WriteString(s)
			return b.String()
		}
		b.WriteString(s[:i])
		name := s[i+2 : i+j]
		if v, ok := params[name]; ok {
			b.WriteString(v)
		} else {
			b.WriteString(s[i : i+j+1])
		}
		s = s[i+j+1:]
	}
}

// substituteAny applies substitute to every string inside v (a decoded JSON value).
func substituteAny(v any, params map[string]string) any {
	switch x := v.(type) {
	case string:
		return substitute(x, params)
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[k] = substituteAny(e, params)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = substituteAny(e, params)
		}
		return out
	}
	return v
}

// Render builds the Operation object of op in the preferred languages.
func (r *Templates) Render(op Operation, prefs []string) wire.Operation {
	t, lang := r.Lookup(op.OperationType, prefs)
	p := op.Parameters
	v := wire.Operation{
		ID:                     op.ID,
		Name:                   op.OperationType,
		Data:                   op.Data,
		Status:                 op.Status,
		StatusReason:           op.StatusReason,
		OperationCreated:       formatTime(op.Created),
		OperationExpires:       formatTime(op.Expires),
		AllowedSignatureType:   allowedSignatureType(op.SignatureTypes),
		ProximityCheckRequired: op.ProximityCheck,
		NumberMatchingRequired: op.NumberMatching,
		NumberMatchingOptions:  op.NumberMatchingOptions,
		FormData: wire.FormData{
			Title:      substitute(t.Title, p),
			Message:    substitute(t.Message, p),
			Attributes: []wire.Attribute{},
		},
	}
	if t.ResultTexts != nil {
		v.FormData.ResultTexts = &wire.ResultTexts{
			Success: substitute(t.ResultTexts.Success, p),
			Failure: substitute(t.ResultTexts.Failure, p),
			Reject:  substitute(t.ResultTexts.Reject, p),
		}
	}
	for _, at := range t.Attributes {
		if a, ok := renderAttribute(at, p, lang); ok {
			v.FormData.Attributes = append(v.FormData.Attributes, a)
		}
	}
	if t.UI != nil {
		v.UI, _ = substituteAny(t.UI, p).(map[string]any)
	} else {
		v.UI = uiFromRiskFlags(op.RiskFlags, lang)
	}
	return v
}

func formatTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(wire.TimeLayout)
}

// renderAttribute fills an attribute from the parameters; false when a
// parameter it needs is missing or malformed.
func renderAttribute(at AttributeTemplate, p map[string]string, lang string) (wire.Attribute, bool) {
	get := func(field string) (string, bool) {
		key, ok := at.Params[field]
		if !ok {
			return "", false
		}
		v, ok := p[key]
		return v, ok && v != ""
	}
	for _, f := range requiredParams[at.Type] {
		if _, ok := get(f); !ok {
			return wire.Attribute{}, false
		}
	}
	a := wire.Attribute{Type: at.Type, ID: at.ID, Label: substitute(at.Text, p)}
	switch at.Type {
	case AttrAmount:
		amt, _ := get("amount")
		cur, _ := get("currency")
		n, ok := parseAmount(amt)
		if !ok {
			return wire.Attribute{}, false
		}
		a.Amount, a.Currency = json.Number(n.FloatString(decimalsOf(amt))), cur
		a.AmountFormatted = formatAmount(n, cur, lang)
		a.CurrencyFormatted = formatCurrency(cur)
		a.ValueFormatted = formatValue(a.AmountFormatted, cur, lang)
	case AttrAmountConversion:
		var src, dst *big.Rat
		var ok bool
		sa, _ := get("sourceAmount")
		ta, _ := get("targetAmount")
		if src, ok = parseAmount(sa); !ok {
			return wire.Attribute{}, false
		}
		if dst, ok = parseAmount(ta); !ok {
			return wire.Attribute{}, false
		}
		sc, _ := get("sourceCurrency")
		tc, _ := get("targetCurrency")
		dyn := at.Dynamic
		a.Dynamic = &dyn
		a.SourceAmount, a.SourceCurrency = json.Number(src.FloatString(decimalsOf(sa))), sc
		a.SourceAmountFormatted, a.SourceCurrencyFormatted = formatAmount(src, sc, lang), formatCurrency(sc)
		a.SourceValueFormatted = formatValue(a.SourceAmountFormatted, sc, lang)
		a.TargetAmount, a.TargetCurrency = json.Number(dst.FloatString(decimalsOf(ta))), tc
		a.TargetAmountFormatted, a.TargetCurrencyFormatted = formatAmount(dst, tc, lang), formatCurrency(tc)
		a.TargetValueFormatted = formatValue(a.TargetAmountFormatted, tc, lang)
	case AttrKeyValue:
		a.Value, _ = get("value")
	case AttrNote:
		a.Note, _ = get("note")
	case AttrAlert:
		a.AlertType = at.AlertType
		a.Title, a.Message = substitute(at.Title, p), substitute(at.Message, p)
		if v, ok := get("title"); ok {
			a.Title = v
		}
		if v, ok := get("message"); ok {
			a.Message = v
		}
	case AttrImage:
		a.ThumbnailURL, _ = get("thumbnailUrl")
		a.OriginalURL, _ = get("originalUrl")
	case AttrPartyInfo:
		pi := &wire.PartyInfo{}
		pi.Name, _ = get("name")
		pi.LogoURL, _ = get("logoUrl")
		pi.Description, _ = get("description")
		pi.WebsiteURL, _ = get("websiteUrl")
		a.PartyInfo = pi
	}
	return a, true
}

// decimalsOf is the number of decimals written in s (at most 8).
func decimalsOf(s string) int {
	_, frac, ok := strings.Cut(strings.TrimSpace(s), ".")
	if !ok {
		return 0
	}
	return min(len(frac), 8)
}

// Texts of the pre-approval warning derived from the F risk flag.
var fraudWarning = map[string][2]string{
	"en": {"Warning", "Be careful: you may be the target of a fraud. Approve only operations you started yourself."},
	"cs": {"Upozornění", "Buďte opatrní: můžete být cílem podvodu. Potvrzujte jen operace, které jste sami zahájili."},
}

// uiFromRiskFlags derives the UI extensions from the risk flags: X flips
// the buttons, C blocks approval during a call, F shows a warning screen
// with a slider.
func uiFromRiskFlags(flags, lang string) map[string]any {
	if flags == "" {
		return nil
	}
	ui := map[string]any{}
	if strings.Contains(flags, "X") {
		ui["flipButtons"] = true
	}
	if strings.Contains(flags, "C") {
		ui["blockApprovalOnCall"] = true
	}
	if strings.Contains(flags, "F") {
		txt, ok := fraudWarning[lang]
		if !ok {
			txt = fraudWarning["en"]
		}
		ui["preApprovalScreen"] = map[string]any{
			"type":         "WARNING",
			"heading":      txt[0],
			"message":      txt[1],
			"items":        []string{},
			"approvalType": "SLIDER",
		}
	}
	if len(ui) == 0 {
		return nil
	}
	return ui
}
