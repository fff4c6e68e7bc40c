package protocol

// Keys of the X-PowerAuth-Encryption header.
const (
	hdrEncKeyApplicationKey = "application_key"
	hdrEncKeyActivationID   = "activation_id"
	hdrEncKeyVersion        = "version"
)

// EncryptionHeader is the parsed value of the X-PowerAuth-Encryption header
// (protocol §4.5), sent with encrypted requests that carry no signature.
// ActivationID is empty when the header has no activation_id (application
// scope); whether it must be present depends on the endpoint, so the caller
// decides.
type EncryptionHeader struct {
	ApplicationKey string // application_key, Base64 of 16 bytes
	ActivationID   string // activation_id, a UUID, or empty if absent
	Version        string // version, "3.0" … "3.3"
}

// ParseEncryptionHeader parses and validates an X-PowerAuth-Encryption header
// value. The syntax rules are those of ParseAuthorizationHeader. A present
// activation_id must be a UUID (an empty value is rejected).
func ParseEncryptionHeader(value string) (*EncryptionHeader, error) {
	var h EncryptionHeader
	fields := []hdrField{
		{key: hdrEncKeyApplicationKey, dst: &h.ApplicationKey},
		{key: hdrEncKeyActivationID, dst: &h.ActivationID},
		{key: hdrEncKeyVersion, dst: &h.Version},
	}
	if err := hdrScan(HeaderEncryption, value, fields); err != nil {
		return nil, err
	}
	for _, f := range fields {
		if !f.seen && f.key != hdrEncKeyActivationID {
			return nil, hdrErr(HeaderEncryption, f.key, ErrHeaderMissingField, "")
		}
	}
	if fields[1].seen && h.ActivationID == "" {
		return nil, hdrErr(HeaderEncryption, hdrEncKeyActivationID, ErrHeaderInvalidField, "not a UUID")
	}
	if err := h.Validate(); err != nil {
		return nil, err
	}
	return &h, nil
}

// Validate checks every field of h as ParseEncryptionHeader does; an empty
// ActivationID means application scope and is valid.
func (h EncryptionHeader) Validate() error {
	const hn = HeaderEncryption
	if !ValidVersion(h.Version) {
		return hdrErr(hn, hdrEncKeyVersion, ErrHeaderInvalidField, "unsupported version")
	}
	if _, ok := hdrDecodeB64Len(h.ApplicationKey, hdrAppKeySize); !ok {
		return hdrErr(hn, hdrEncKeyApplicationKey, ErrHeaderInvalidField, "not Base64 of 16 bytes")
	}
	if h.ActivationID != "" && !hdrIsUUID(h.ActivationID) {
		return hdrErr(hn, hdrEncKeyActivationID, ErrHeaderInvalidField, "not a UUID")
	}
	return nil
}

// HasActivationID reports whether the header names an activation
// (activation scope).
func (h EncryptionHeader) HasActivationID() bool { return h.ActivationID != "" }

// String formats h as a header value:
// `PowerAuth application_key="…", activation_id="…", version="3.3"`, where
// activation_id is left out when empty. It does not validate h.
func (h EncryptionHeader) String() string {
	b := hdrBuilder(128)
	hdrWriteField(b, hdrEncKeyApplicationKey, h.ApplicationKey)
	if h.ActivationID != "" {
		hdrWriteField(b, hdrEncKeyActivationID, h.ActivationID)
	}
	hdrWriteField(b, hdrEncKeyVersion, h.Version)
	return b.String()
}

// ApplicationKeyBytes returns the 16 decoded bytes of application_key.
func (h EncryptionHeader) ApplicationKeyBytes() ([]byte, error) {
	b, ok := hdrDecodeB64Len(h.ApplicationKey, hdrAppKeySize)
	if !ok {
		return nil, hdrErr(HeaderEncryption, hdrEncKeyApplicationKey, ErrHeaderInvalidField, "not Base64 of 16 bytes")
	}
	return b, nil
}
