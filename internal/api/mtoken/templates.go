package mtoken

import (
	"encoding/json"
	"fmt"
	"os"
	"strings"

	"github.com/mauth/mauth/wire"
)

// Form attribute types.
const (
	AttrAmount           = "AMOUNT"
	AttrAmountConversion = "AMOUNT_CONVERSION"
	AttrKeyValue         = "KEY_VALUE"
	AttrNote             = "NOTE"
	AttrHeading          = "HEADING"
	AttrAlert            = "ALERT"
	AttrImage            = "IMAGE"
	AttrPartyInfo        = "PARTY_INFO"
)

// TemplateFile is the JSON document of mobile templates (see
// docs/mobile-templates.md): the texts the device shows for an operation,
// per operation type and language.
type TemplateFile struct {
	Templates []MobileTemplate `json:"templates"`
}

// MobileTemplate holds the texts of one operation type in one language.
// Title, Message, result texts and attribute texts may contain ${param}
// placeholders replaced with the operation's parameters.
type MobileTemplate struct {
	// OperationType is the operation type the texts are for.
	OperationType string `json:"operationType"`
	// Language is a two-letter language code, e.g. "en".
	Language string `json:"language"`
	// Title and Message head the approval screen.
	Title   string `json:"title"`
	Message string `json:"message"`
	// ResultTexts are shown after approval, failure and rejection.
	ResultTexts *wire.ResultTexts `json:"resultTexts,omitempty"`
	// Attributes are the form fields.
	Attributes []AttributeTemplate `json:"attributes,omitempty"`
	// UI is the UI extension object passed to the app (placeholders in
	// its string values are replaced too); nil derives it from the risk flags.
	UI map[string]any `json:"ui,omitempty"`
}

// AttributeTemplate describes one form field. Params maps a field of the
// attribute to the operation parameter that fills it:
//
//	AMOUNT: amount, currency          KEY_VALUE: value      NOTE: note
//	AMOUNT_CONVERSION: sourceAmount, sourceCurrency, targetAmount, targetCurrency
//	IMAGE: thumbnailUrl, originalUrl  PARTY_INFO: logoUrl, name, description, websiteUrl
//	ALERT: title, message (or the literal Title/Message texts with placeholders)
//
// An attribute whose parameters are missing from the operation is left out.
type AttributeTemplate struct {
	ID     string            `json:"id"`
	Type   string            `json:"type"`
	Text   string            `json:"text"`
	Params map[string]string `json:"params,omitempty"`
	// AlertType is SUCCESS, INFO, WARNING or ERROR (ALERT only).
	AlertType string `json:"alertType,omitempty"`
	// Title and Message are literal texts of an ALERT.
	Title   string `json:"title,omitempty"`
	Message string `json:"message,omitempty"`
	// Dynamic marks an AMOUNT_CONVERSION rate as indicative.
	Dynamic bool `json:"dynamic,omitempty"`
}

// requiredParams lists the parameter fields an attribute type needs.
var requiredParams = map[string][]string{
	AttrAmount:           {"amount", "currency"},
	AttrAmountConversion: {"sourceAmount", "sourceCurrency", "targetAmount", "targetCurrency"},
	AttrKeyValue:         {"value"},
	AttrNote:             {"note"},
	AttrHeading:          nil,
	AttrAlert:            nil,
	AttrImage:            {"thumbnailUrl"},
	AttrPartyInfo:        {"name"},
}

// Templates is the registry of mobile templates by operation type and language.
type Templates struct {
	byKey map[string]MobileTemplate // operationType + "\x00" + language
}

// DefaultLanguage is used when the device asks for no supported language.
const DefaultLanguage = "en"

// NewTemplates builds a registry from templates, validating them.
// Later entries replace earlier ones with the same type and language.
func NewTemplates(ts []MobileTemplate) (*Templates, error) {
	r := &Templates{byKey: map[string]MobileTemplate{}}
	for i, t := range ts {
		t.Language = strings.ToLower(strings.TrimSpace(t.Language))
		if strings.TrimSpace(t.OperationType) == "" || len(t.Language) != 2 {
			return nil, fmt.Errorf("mobile template %d: operationType and a two-letter language are required", i)
		}
		for j, a := range t.Attributes {
			if _, ok := requiredParams[a.Type]; !ok {
				return nil, fmt.Errorf("mobile template %s/%s: attribute %d has unknown type %q", t.OperationType, t.Language, j, a.Type)
			}
			if a.ID == "" {
				return nil, fmt.Errorf("mobile template %s/%s: attribute %d has no id", t.OperationType, t.Language, j)
			}
			if a.Type == AttrAlert {
				switch a.AlertType {
				case "SUCCESS", "INFO", "WARNING", "ERROR":
				default:
					return nil, fmt.Errorf("mobile template %s/%s: alert %s has alertType %q", t.OperationType, t.Language, a.ID, a.AlertType)
				}
			}
		}
		r.byKey[t.OperationType+"\x00"+t.Language] = t
	}
	return r, nil
}

// LoadTemplates reads a TemplateFile and merges it over the built-in
// defaults (DefaultTemplates).
func LoadTemplates(path string) (*Templates, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read mobile templates: %w", err)
	}
	return ParseTemplates(raw)
}

// ParseTemplates parses a TemplateFile and merges it over the built-in defaults.
func ParseTemplates(raw []byte) (*Templates, error) {
	var f TemplateFile
	dec := json.NewDecoder(strings.NewReader(string(raw)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&f); err != nil {
		return nil, fmt.Errorf("parse mobile templates: %w", err)
	}
	return NewTemplates(append(DefaultTemplates(), f.Templates...))
}

// Languages returns the languages that have a template of operationType.
func (r *Templates) has(operationType, language string) (MobileTemplate, bool) {
	t, ok := r.byKey[operationType+"\x00"+language]
	return t, ok
}

// Lookup returns the template of the operation type in the first language
// of prefs that has one, else in DefaultLanguage, else a generic template
// ("generic" operation type) in those languages.
func (r *Templates) Lookup(operationType string, prefs []string) (MobileTemplate, string) {
	for _, typ := range []string{operationType, GenericOperationType} {
		for _, l := range prefs {
			if t, ok := r.has(typ, l); ok {
				return t, l
			}
		}
		if t, ok := r.has(typ, DefaultLanguage); ok {
			return t, DefaultLanguage
		}
	}
	return MobileTemplate{OperationType: operationType, Language: DefaultLanguage, Title: "Operation approval", Message: "Please check and confirm the operation."}, DefaultLanguage
}

// GenericOperationType names the fallback texts for operation types without
// their own template.
const GenericOperationType = "generic"

// DefaultTemplates are the built-in texts: payment, login and generic in
// English and Czech.
func DefaultTemplates() []MobileTemplate {
	return []MobileTemplate{
		{
			OperationType: "payment", Language: "en",
			Title:       "Confirm Payment",
			Message:     "Please confirm the payment of ${amount} ${currency} to account ${iban}.",
			ResultTexts: &wire.ResultTexts{Success: "Payment was confirmed.", Failure: "Payment confirmation failed.", Reject: "Payment was rejected."},
			Attributes: []AttributeTemplate{
				{ID: "operation.amount", Type: AttrAmount, Text: "Amount", Params: map[string]string{"amount": "amount", "currency": "currency"}},
				{ID: "operation.account", Type: AttrKeyValue, Text: "To Account", Params: map[string]string{"value": "iban"}},
				{ID: "operation.dueDate", Type: AttrKeyValue, Text: "Due Date", Params: map[string]string{"value": "dueDate"}},
				{ID: "operation.note", Type: AttrNote, Text: "Note", Params: map[string]string{"note": "note"}},
			},
		},
		{
			OperationType: "payment", Language: "cs",
			Title:       "Potvrzení platby",
			Message:     "Potvrďte prosím platbu ${amount} ${currency} na účet ${iban}.",
			ResultTexts: &wire.ResultTexts{Success: "Platba byla potvrzena.", Failure: "Potvrzení platby selhalo.", Reject: "Platba byla zamítnuta."},
			Attributes: []AttributeTemplate{
				{ID: "operation.amount", Type: AttrAmount, Text: "Částka", Params: map[string]string{"amount": "amount", "currency": "currency"}},
				{ID: "operation.account", Type: AttrKeyValue, Text: "Na účet", Params: map[string]string{"value": "iban"}},
				{ID: "operation.dueDate", Type: AttrKeyValue, Text: "Datum splatnosti", Params: map[string]string{"value": "dueDate"}},
				{ID: "operation.note", Type: AttrNote, Text: "Poznámka", Params: map[string]string{"note": "note"}},
			},
		},
		{
			OperationType: "login", Language: "en",
			Title:       "Confirm Login",
			Message:     "Do you want to sign in to ${channel}?",
			ResultTexts: &wire.ResultTexts{Success: "You are signed in.", Failure: "Sign-in failed.", Reject: "Sign-in was rejected."},
			Attributes: []AttributeTemplate{
				{ID: "operation.channel", Type: AttrKeyValue, Text: "Channel", Params: map[string]string{"value": "channel"}},
				{ID: "operation.location", Type: AttrKeyValue, Text: "Location", Params: map[string]string{"value": "location"}},
			},
		},
		{
			OperationType: "login", Language: "cs",
			Title:       "Potvrzení přihlášení",
			Message:     "Chcete se přihlásit do ${channel}?",
			ResultTexts: &wire.ResultTexts{Success: "Jste přihlášeni.", Failure: "Přihlášení selhalo.", Reject: "Přihlášení bylo zamítnuto."},
			Attributes: []AttributeTemplate{
				{ID: "operation.channel", Type: AttrKeyValue, Text: "Kanál", Params: map[string]string{"value": "channel"}},
				{ID: "operation.location", Type: AttrKeyValue, Text: "Místo", Params: map[string]string{"value": "location"}},
			},
		},
		{OperationType: GenericOperationType, Language: "en", Title: "Operation approval", Message: "Please check and confirm the operation."},
		{OperationType: GenericOperationType, Language: "cs", Title: "Schválení operace", Message: "Zkontrolujte a potvrďte prosím operaci."},
	}
}

// MustDefaultTemplates is the registry of the built-in templates.
func MustDefaultTemplates() *Templates {
	t, err := NewTemplates(DefaultTemplates())
	if err != nil {
		panic(err) // the built-in templates are valid; covered by tests
	}
	return t
}
