package mtoken

import (
	"encoding/json"
	"math/big"
	"slices"
	"strings"
	"time"
)

// TimeLayout is the timestamp format of the mobile API (ISO 8601, UTC, milliseconds).
const TimeLayout = "2006-01-02T15:04:05.000Z07:00"

// OperationView is the Operation object of the Mobile Token API.
type OperationView struct {
	ID                   string               `json:"id"`
	Name                 string               `json:"name"`
	Data                 string               `json:"data"`
	Status               string               `json:"status"`
	StatusReason         string               `json:"statusReason,omitempty"`
	OperationCreated     string               `json:"operationCreated"`
	OperationExpires     string               `json:"operationExpires"`
	AllowedSignatureType AllowedSignatureType `json:"allowedSignatureType"`
	FormData             FormData             `json:"formData"`
	UI                   map[string]any       `json:"ui,omitempty"`
	// ProximityCheckRequired and NumberMatchingRequired tell the app which
	// extra value the approval needs (mauth extensions).
	ProximityCheckRequired bool `json:"proximityCheckRequired,omitempty"`
	NumberMatchingRequired bool `json:"numberMatchingRequired,omitempty"`
	// NumberMatchingOptions are the numbers the app offers the user to
	// pick from, one of them the number the web shows (mauth extension).
	NumberMatchingOptions []string `json:"numberMatchingOptions,omitempty"`
}

// AllowedSignatureType says which factors approve an operation.
type AllowedSignatureType struct {
	// Type is 1FA, 2FA or ECDSA.
	Type     string   `json:"type"`
	Variants []string `json:"variants"`
}

// FormData are the texts the app shows.
type FormData struct {
	Title       string       `json:"title"`
	Message     string       `json:"message"`
	Attributes  []Attribute  `json:"attributes"`
	ResultTexts *ResultTexts `json:"resultTexts,omitempty"`
}

// Attribute is one form field; which fields are set depends on Type.
type Attribute struct {
	Type  string `json:"type"`
	ID    string `json:"id"`
	Label string `json:"label"`

	// AMOUNT
	Amount            json.Number `json:"amount,omitempty"`
	Currency          string      `json:"currency,omitempty"`
	AmountFormatted   string      `json:"amountFormatted,omitempty"`
	CurrencyFormatted string      `json:"currencyFormatted,omitempty"`
	ValueFormatted    string      `json:"valueFormatted,omitempty"`

	// AMOUNT_CONVERSION
	Dynamic                 *bool       `json:"dynamic,omitempty"`
	SourceAmount            json.Number `json:"sourceAmount,omitempty"`
	SourceCurrency          string      `json:"sourceCurrency,omitempty"`
	SourceAmountFormatted   string      `json:"sourceAmountFormatted,omitempty"`
	SourceCurrencyFormatted string      `json:"sourceCurrencyFormatted,omitempty"`
	SourceValueFormatted    string      `json:"sourceValueFormatted,omitempty"`
	TargetAmount            json.Number `json:"targetAmount,omitempty"`
	TargetCurrency          string      `json:"targetCurrency,omitempty"`
	TargetAmountFormatted   string      `json:"targetAmountFormatted,omitempty"`
	TargetCurrencyFormatted string      `json:"targetCurrencyFormatted,omitempty"`
	TargetValueFormatted    string      `json:"targetValueFormatted,omitempty"`

	// KEY_VALUE
	Value string `json:"value,omitempty"`
	// NOTE
	Note string `json:"note,omitempty"`
	// ALERT
	AlertType string `json:"alertType,omitempty"`
	Title     string `json:"title,omitempty"`
	Message   string `json:"message,omitempty"`
	// IMAGE
	ThumbnailURL string `json:"thumbnailUrl,omitempty"`
	OriginalURL  string `json:"originalUrl,omitempty"`
	// PARTY_INFO
	PartyInfo *PartyInfo `json:"partyInfo,omitempty"`
}

// PartyInfo describes a third party.
type PartyInfo struct {
	LogoURL     string `json:"logoUrl,omitempty"`
	Name        string `json:"name"`
	Description string `json:"description,omitempty"`
	WebsiteURL  string `json:"websiteUrl,omitempty"`
}

// allowedSignatureType maps the operation's factor combinations: 1FA when
// possession alone is allowed, else 2FA with the allowed variants.
func allowedSignatureType(types []string) AllowedSignatureType {
	lower := make([]string, len(types))
	for i, t := range types {
		lower[i] = strings.ToLower(t)
	}
	if slices.Contains(lower, "possession") {
		return AllowedSignatureType{Type: "1FA", Variants: []string{}}
	}
	out := AllowedSignatureType{Type: "2FA", Variants: []string{}}
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
func (r *Templates) Render(op Operation, prefs []string) OperationView {
	t, lang := r.Lookup(op.OperationType, prefs)
	p := op.Parameters
	v := OperationView{
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
		FormData: FormData{
			Title:      substitute(t.Title, p),
			Message:    substitute(t.Message, p),
			Attributes: []Attribute{},
		},
	}
	if t.ResultTexts != nil {
		v.FormData.ResultTexts = &ResultTexts{
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
	return t.UTC().Format(TimeLayout)
}

// renderAttribute fills an attribute from the parameters; false when a
// parameter it needs is missing or malformed.
func renderAttribute(at AttributeTemplate, p map[string]string, lang string) (Attribute, bool) {
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
			return Attribute{}, false
		}
	}
	a := Attribute{Type: at.Type, ID: at.ID, Label: substitute(at.Text, p)}
	switch at.Type {
	case AttrAmount:
		amt, _ := get("amount")
		cur, _ := get("currency")
		n, ok := parseAmount(amt)
		if !ok {
			return Attribute{}, false
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
			return Attribute{}, false
		}
		if dst, ok = parseAmount(ta); !ok {
			return Attribute{}, false
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
		pi := &PartyInfo{}
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
