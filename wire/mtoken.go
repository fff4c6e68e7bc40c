package wire

import "encoding/json"

// Paths of the Mobile Token API.
const (
	// OperationPrefix is the path prefix of the operation endpoints.
	OperationPrefix = "/api/auth/token/app/operation/"
	// SpawnPath is activation spawn: an activation code for another application.
	SpawnPath = "/api/activation/code"
)

// Resource ids the signatures of the Mobile Token API are computed over.
const (
	ResourceOperationHistory   = "/operation/history"
	ResourceOperationAuthorize = "/operation/authorize"
	ResourceOperationCancel    = "/operation/cancel"
	ResourceSpawn              = "/api/activation/code"
)

// TimeLayout is the timestamp format of the mobile API (ISO 8601, UTC, milliseconds).
const TimeLayout = "2006-01-02T15:04:05.000Z07:00"

// Operation is the Operation object of the Mobile Token API: an operation
// awaiting (or past) the user's decision with its localised texts.
type Operation struct {
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
	// extra value the approval needs (mauth extensions): the proximity OTP,
	// the number the web shows.
	ProximityCheckRequired bool `json:"proximityCheckRequired,omitempty"`
	NumberMatchingRequired bool `json:"numberMatchingRequired,omitempty"`
	// NumberMatchingOptions are the numbers the app offers the user to
	// pick from, one of them the number the web shows (mauth extension).
	NumberMatchingOptions []string `json:"numberMatchingOptions,omitempty"`
}

// AllowedSignatureType says which factors approve an operation: type
// "1FA" (possession) or "2FA" with the allowed variants.
type AllowedSignatureType struct {
	// Type is 1FA, 2FA or ECDSA.
	Type     string   `json:"type"`
	Variants []string `json:"variants"`
}

// FormData are the localised texts the app shows.
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

// ResultTexts are the texts after the user's decision.
type ResultTexts struct {
	Success string `json:"success,omitempty"`
	Failure string `json:"failure,omitempty"`
	Reject  string `json:"reject,omitempty"`
}

// SpawnRequest is the (decrypted) request of activation spawn: the target
// application and the activation OTP the new device must present.
type SpawnRequest struct {
	ApplicationID string `json:"applicationId"`
	OTP           string `json:"otp"`
}

// SpawnedActivation is the (encrypted) answer of activation spawn: an
// activation code for another application of the same user.
type SpawnedActivation struct {
	ActivationID        string `json:"activationId"`
	ActivationCode      string `json:"activationCode"`
	ActivationSignature string `json:"activationSignature"`
}

// QR returns the "CODE#signature" string a new device scans.
func (s *SpawnedActivation) QR() string { return s.ActivationCode + "#" + s.ActivationSignature }
