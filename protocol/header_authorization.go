package protocol

import (
	"strings"
)

// Keys of the X-PowerAuth-Authorization header.
const (
	hdrAuthKeyVersion        = "pa_version"
	hdrAuthKeyActivationID   = "pa_activation_id"
	hdrAuthKeyApplicationKey = "pa_application_key"
	hdrAuthKeyNonce          = "pa_nonce"
	hdrAuthKeySignatureType  = "pa_signature_type"
	hdrAuthKeySignature      = "pa_signature"
)

// Sizes of the Base64 fields of the headers, in decoded bytes.
const (
	hdrNonceSize  = 16
	hdrAppKeySize = 16
	// hdrSigComponentSize is the size of one BASE64-format signature component.
	hdrSigComponentSize = 16
	// hdrSigDecimalLength is the number of digits of one online DECIMAL component.
	hdrSigDecimalLength = 8
)

// AuthorizationHeader is the parsed value of the X-PowerAuth-Authorization
// header (protocol §3.5). Fields hold the exact strings received; in
// particular ActivationID keeps its original letter case, as it enters
// cryptographic inputs verbatim.
type AuthorizationHeader struct {
	Version        string        // pa_version, "3.0" … "3.3"
	ActivationID   string        // pa_activation_id, a UUID
	ApplicationKey string        // pa_application_key, Base64 of 16 bytes
	Nonce          string        // pa_nonce, Base64 of 16 bytes
	SignatureType  SignatureType // pa_signature_type
	Signature      string        // pa_signature, DECIMAL (3.0) or Base64 (3.1+)
}

// ParseAuthorizationHeader parses and validates an X-PowerAuth-Authorization
// header value. Key/value pairs may come in any order, separated by commas
// and/or whitespace; unknown keys are ignored and duplicated keys rejected.
// Errors are *HeaderError values wrapping one of the ErrHeader… sentinels.
func ParseAuthorizationHeader(value string) (*AuthorizationHeader, error) {
	var h AuthorizationHeader
	var sigType string
	fields := []hdrField{
		{key: hdrAuthKeyVersion, dst: &h.Version},
		{key: hdrAuthKeyActivationID, dst: &h.ActivationID},
		{key: hdrAuthKeyApplicationKey, dst: &h.ApplicationKey},
		{key: hdrAuthKeyNonce, dst: &h.Nonce},
		{key: hdrAuthKeySignatureType, dst: &sigType},
		{key: hdrAuthKeySignature, dst: &h.Signature},
	}
	if err := hdrScan(HeaderAuthorization, value, fields); err != nil {
		return nil, err
	}
	if err := hdrMissing(HeaderAuthorization, fields); err != nil {
		return nil, err
	}
	h.SignatureType = SignatureType(sigType)
	if err := h.Validate(); err != nil {
		return nil, err
	}
	return &h, nil
}

// Validate checks every field of h as ParseAuthorizationHeader does.
func (h AuthorizationHeader) Validate() error {
	const hn = HeaderAuthorization
	if !ValidVersion(h.Version) {
		return hdrErr(hn, hdrAuthKeyVersion, ErrHeaderInvalidField, "unsupported version")
	}
	if !hdrIsUUID(h.ActivationID) {
		return hdrErr(hn, hdrAuthKeyActivationID, ErrHeaderInvalidField, "not a UUID")
	}
	if _, ok := hdrDecodeB64Len(h.ApplicationKey, hdrAppKeySize); !ok {
		return hdrErr(hn, hdrAuthKeyApplicationKey, ErrHeaderInvalidField, "not Base64 of 16 bytes")
	}
	if _, ok := hdrDecodeB64Len(h.Nonce, hdrNonceSize); !ok {
		return hdrErr(hn, hdrAuthKeyNonce, ErrHeaderInvalidField, "not Base64 of 16 bytes")
	}
	if _, err := ParseSignatureType(string(h.SignatureType)); err != nil {
		return hdrErr(hn, hdrAuthKeySignatureType, ErrHeaderInvalidField, "unknown signature type")
	}
	factors := len(h.SignatureType.Factors())
	if h.Version == Version30 {
		n, ok := hdrDecimalComponents(h.Signature)
		if !ok {
			return hdrErr(hn, hdrAuthKeySignature, ErrHeaderInvalidField, "not a DECIMAL signature")
		}
		if n != factors {
			return hdrErr(hn, hdrAuthKeySignature, ErrHeaderInvalidField, "component count does not match the signature type")
		}
		return nil
	}
	if len(h.Signature) > 4*hdrSigComponentSize*3 { // cheap bound before decoding
		return hdrErr(hn, hdrAuthKeySignature, ErrHeaderInvalidField, "not a BASE64 signature")
	}
	b, ok := hdrDecodeB64(h.Signature)
	if !ok || len(b) == 0 || len(b)%hdrSigComponentSize != 0 || len(b) > 3*hdrSigComponentSize {
		return hdrErr(hn, hdrAuthKeySignature, ErrHeaderInvalidField, "not a BASE64 signature")
	}
	if len(b)/hdrSigComponentSize != factors {
		return hdrErr(hn, hdrAuthKeySignature, ErrHeaderInvalidField, "component count does not match the signature type")
	}
	return nil
}

// hdrDecimalComponents checks s against ^[0-9]{8}(-[0-9]{8}){0,2}$ and
// returns the number of components.
func hdrDecimalComponents(s string) (int, bool) {
	if len(s) > 3*hdrSigDecimalLength+2 {
		return 0, false
	}
	parts := strings.Split(s, "-")
	for _, p := range parts {
		if !hdrIsDigits(p, hdrSigDecimalLength, hdrSigDecimalLength) {
			return 0, false
		}
	}
	return len(parts), true
}

// String formats h as a header value with pa_version first:
// `PowerAuth pa_version="3.3", pa_activation_id="…", pa_application_key="…",
// pa_nonce="…", pa_signature_type="…", pa_signature="…"`. It does not
// validate h.
func (h AuthorizationHeader) String() string {
	b := hdrBuilder(256)
	hdrWriteField(b, hdrAuthKeyVersion, h.Version)
	hdrWriteField(b, hdrAuthKeyActivationID, h.ActivationID)
	hdrWriteField(b, hdrAuthKeyApplicationKey, h.ApplicationKey)
	hdrWriteField(b, hdrAuthKeyNonce, h.Nonce)
	hdrWriteField(b, hdrAuthKeySignatureType, string(h.SignatureType))
	hdrWriteField(b, hdrAuthKeySignature, h.Signature)
	return b.String()
}

// NonceBytes returns the 16 decoded bytes of pa_nonce. A valid header holds
// the canonical Base64 encoding, so h.Nonce is also the NONCE_B64 string of
// the normalized signature data.
func (h AuthorizationHeader) NonceBytes() ([]byte, error) {
	b, ok := hdrDecodeB64Len(h.Nonce, hdrNonceSize)
	if !ok {
		return nil, hdrErr(HeaderAuthorization, hdrAuthKeyNonce, ErrHeaderInvalidField, "not Base64 of 16 bytes")
	}
	return b, nil
}

// ApplicationKeyBytes returns the 16 decoded bytes of pa_application_key.
func (h AuthorizationHeader) ApplicationKeyBytes() ([]byte, error) {
	b, ok := hdrDecodeB64Len(h.ApplicationKey, hdrAppKeySize)
	if !ok {
		return nil, hdrErr(HeaderAuthorization, hdrAuthKeyApplicationKey, ErrHeaderInvalidField, "not Base64 of 16 bytes")
	}
	return b, nil
}
