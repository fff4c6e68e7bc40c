package public

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/mauth/mauth/internal/service"
)

// Activation types of the layer-1 request.
const (
	activationTypeCode     = "CODE"
	activationTypeCustom   = "CUSTOM"
	activationTypeDirect   = "DIRECT"
	activationTypeRecovery = "RECOVERY"
)

// eciesRequestJSON is an ECIES cryptogram inside a JSON payload (the
// layer-2 activationData).
type eciesRequestJSON struct {
	TemporaryKeyID     string `json:"temporaryKeyId"`
	EphemeralPublicKey string `json:"ephemeralPublicKey"`
	EncryptedData      string `json:"encryptedData"`
	Mac                string `json:"mac"`
	Nonce              string `json:"nonce"`
	Timestamp          *int64 `json:"timestamp"`
}

// request converts the cryptogram to the core's ECIES input; the core
// validates every field against the version.
func (e *eciesRequestJSON) request(version string) service.EciesRequest {
	return service.EciesRequest{
		EphemeralPublicKey: e.EphemeralPublicKey,
		EncryptedData:      e.EncryptedData,
		Mac:                e.Mac,
		Nonce:              e.Nonce,
		Timestamp:          e.Timestamp,
		ProtocolVersion:    version,
		TemporaryKeyID:     e.TemporaryKeyID,
	}
}

// layer1Request is the decrypted layer-1 activation request.
type layer1Request struct {
	Type               string            `json:"type"`
	IdentityAttributes map[string]any    `json:"identityAttributes"`
	CustomAttributes   map[string]any    `json:"customAttributes"`
	ActivationData     *eciesRequestJSON `json:"activationData"`

	// Identity values of the CODE and RECOVERY types.
	code, recoveryCode, puk string
}

// maxIdentityValue bounds the identity strings of the CODE and RECOVERY types.
const maxIdentityValue = 255

// parseLayer1 parses and checks the decrypted layer-1 request (untrusted):
// a known type, identity attributes, the attributes the type needs, and a
// layer-2 cryptogram with its mandatory fields.
func parseLayer1(plain []byte) (*layer1Request, error) {
	var l1 layer1Request
	if err := decodeJSON(plain, &l1); err != nil {
		return nil, err
	}
	switch l1.Type {
	case activationTypeCode, activationTypeCustom, activationTypeDirect, activationTypeRecovery:
	case "":
		return nil, errors.New("activation type is missing")
	default:
		return nil, fmt.Errorf("unknown activation type %.32q", l1.Type)
	}
	if len(l1.IdentityAttributes) == 0 {
		return nil, errors.New("identity attributes are missing")
	}
	var err error
	switch l1.Type {
	case activationTypeCode:
		l1.code, err = identityString(l1.IdentityAttributes, "code")
	case activationTypeRecovery:
		if l1.recoveryCode, err = identityString(l1.IdentityAttributes, "recoveryCode"); err == nil {
			l1.puk, err = identityString(l1.IdentityAttributes, "puk")
		}
	}
	if err != nil {
		return nil, err
	}
	d := l1.ActivationData
	if d == nil {
		return nil, errors.New("activation data are missing")
	}
	if d.EphemeralPublicKey == "" || d.EncryptedData == "" || d.Mac == "" {
		return nil, errors.New("activation data are incomplete")
	}
	return &l1, nil
}

// identityString returns a non-blank string attribute.
func identityString(attrs map[string]any, name string) (string, error) {
	v, ok := attrs[name].(string)
	if !ok || strings.TrimSpace(v) == "" {
		return "", fmt.Errorf("identity attribute %s is missing", name)
	}
	if len(v) > maxIdentityValue {
		return "", fmt.Errorf("identity attribute %s is too long", name)
	}
	return v, nil
}

// decodeJSON decodes one JSON object into dst, rejecting trailing data.
func decodeJSON(data []byte, dst any) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	if err := dec.Decode(dst); err != nil {
		return fmt.Errorf("payload is not the expected JSON: %w", err)
	}
	if dec.More() {
		return errors.New("payload has trailing data")
	}
	return nil
}

// eciesResponse is an encrypted response in JSON (3.0 and 3.1 carry
// neither nonce nor timestamp).
type eciesResponse struct {
	EncryptedData string  `json:"encryptedData"`
	Mac           string  `json:"mac"`
	Nonce         *string `json:"nonce,omitempty"`
	Timestamp     *int64  `json:"timestamp,omitempty"`
}

// eciesResponseJSON converts the core's encrypted response.
func eciesResponseJSON(r *service.EciesResponse) eciesResponse {
	if r == nil {
		return eciesResponse{}
	}
	out := eciesResponse{EncryptedData: r.EncryptedData, Mac: r.Mac, Timestamp: r.Timestamp}
	if r.Nonce != "" {
		n := r.Nonce
		out.Nonce = &n
	}
	return out
}

// layer1Response is the layer-1 response plaintext of activation/create.
type layer1Response struct {
	ActivationData   eciesResponse  `json:"activationData"`
	CustomAttributes map[string]any `json:"customAttributes"`
	UserInfo         map[string]any `json:"userInfo"`
}
