package protocol

import (
	"encoding/json"
	"fmt"
)

// EncryptedRequest is an ECIES-encrypted request body (no requestObject
// wrapper). Binary fields are standard Base64 on the wire; absent optional
// fields are nil, empty or 0.
type EncryptedRequest struct {
	// TemporaryKeyID is the temporary key's ID (3.3 only).
	TemporaryKeyID string `json:"temporaryKeyId,omitempty"`
	// EphemeralPublicKey is the ephemeral P-256 point exactly as transmitted
	// (33 or 65 bytes).
	EphemeralPublicKey []byte `json:"ephemeralPublicKey"`
	// EncryptedData is the AES-CBC ciphertext (a non-empty multiple of 16 bytes).
	EncryptedData []byte `json:"encryptedData"`
	// MAC is HMAC-SHA256(K_MAC, EncryptedData || SH2), 32 bytes.
	MAC []byte `json:"mac"`
	// Nonce is the 16-byte request nonce (3.1+).
	Nonce []byte `json:"nonce,omitempty"`
	// Timestamp is the request time in ms since the epoch (3.2+).
	Timestamp int64 `json:"timestamp,omitempty"`
}

// EncryptedResponse is an ECIES-encrypted response body. Nonce and
// Timestamp are present from 3.2 only.
type EncryptedResponse struct {
	// EncryptedData is the AES-CBC ciphertext (a non-empty multiple of 16 bytes).
	EncryptedData []byte `json:"encryptedData"`
	// MAC is HMAC-SHA256(K_MAC, EncryptedData || SH2), 32 bytes.
	MAC []byte `json:"mac"`
	// Nonce is the fresh 16-byte response nonce (3.2+).
	Nonce []byte `json:"nonce,omitempty"`
	// Timestamp is the response time in ms since the epoch (3.2+).
	Timestamp int64 `json:"timestamp,omitempty"`
}

// ParseEncryptedRequest strictly parses an untrusted encrypted request body
// for a protocol version. Member names are case-sensitive, duplicates and
// trailing data are rejected, unknown members are ignored and null counts as
// absent. nonce, timestamp and temporaryKeyId must be present or absent
// exactly as the version matrix says; Base64 must be canonical; mac must be
// 32 bytes, nonce 16 bytes, encryptedData a non-empty multiple of 16 bytes,
// timestamp a positive integer, temporaryKeyId a UUID and
// ephemeralPublicKey a valid 33- or 65-byte P-256 point.
// Errors wrap ErrEciesMalformed or ErrEciesVersion.
func ParseEncryptedRequest(body []byte, version string) (*EncryptedRequest, error) {
	if eciesLevel(version) == 0 {
		return nil, fmt.Errorf("%w: %q", ErrEciesVersion, version)
	}
	m, err := eciesJSONObject(body)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrEciesMalformed, err)
	}
	var req EncryptedRequest
	var present bool
	if req.TemporaryKeyID, present, err = eciesJSONString(m, "temporaryKeyId"); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrEciesMalformed, err)
	} else if present && req.TemporaryKeyID == "" {
		return nil, fmt.Errorf("%w: empty temporaryKeyId", ErrEciesMalformed)
	}
	fields := []struct {
		name string
		dst  *[]byte
	}{
		{"ephemeralPublicKey", &req.EphemeralPublicKey},
		{"encryptedData", &req.EncryptedData},
		{"mac", &req.MAC},
		{"nonce", &req.Nonce},
	}
	for _, f := range fields {
		if *f.dst, err = eciesJSONBytes(m, f.name); err != nil {
			return nil, fmt.Errorf("%w: %w", ErrEciesMalformed, err)
		}
	}
	if req.Timestamp, present, err = eciesJSONInt(m, "timestamp"); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrEciesMalformed, err)
	} else if present && req.Timestamp <= 0 {
		return nil, fmt.Errorf("%w: timestamp %d is not positive", ErrEciesMalformed, req.Timestamp)
	}
	if err := req.validate(version); err != nil {
		return nil, err
	}
	if _, err := ParsePublicKey(req.EphemeralPublicKey); err != nil {
		return nil, fmt.Errorf("%w: ephemeralPublicKey: %w", ErrEciesMalformed, err)
	}
	return &req, nil
}

// ParseEncryptedResponse strictly parses an untrusted encrypted response
// body for a protocol version (client side), with the same rules as
// ParseEncryptedRequest: nonce and timestamp are required from 3.2 and
// forbidden before.
func ParseEncryptedResponse(body []byte, version string) (*EncryptedResponse, error) {
	if eciesLevel(version) == 0 {
		return nil, fmt.Errorf("%w: %q", ErrEciesVersion, version)
	}
	m, err := eciesJSONObject(body)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrEciesMalformed, err)
	}
	var resp EncryptedResponse
	for _, f := range []struct {
		name string
		dst  *[]byte
	}{
		{"encryptedData", &resp.EncryptedData},
		{"mac", &resp.MAC},
		{"nonce", &resp.Nonce},
	} {
		if *f.dst, err = eciesJSONBytes(m, f.name); err != nil {
			return nil, fmt.Errorf("%w: %w", ErrEciesMalformed, err)
		}
	}
	var present bool
	if resp.Timestamp, present, err = eciesJSONInt(m, "timestamp"); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrEciesMalformed, err)
	} else if present && resp.Timestamp <= 0 {
		return nil, fmt.Errorf("%w: timestamp %d is not positive", ErrEciesMalformed, resp.Timestamp)
	}
	if err := resp.validate(version); err != nil {
		return nil, err
	}
	return &resp, nil
}

// Marshal returns the JSON body of the request.
func (r *EncryptedRequest) Marshal() ([]byte, error) { return json.Marshal(r) }

// Marshal returns the JSON body of the response.
func (r *EncryptedResponse) Marshal() ([]byte, error) { return json.Marshal(r) }

// eciesJSONBytes decodes a Base64 string member; nil means absent or null.
// A present member always yields a non-nil slice.
func eciesJSONBytes(m map[string]json.RawMessage, name string) ([]byte, error) {
	s, present, err := eciesJSONString(m, name)
	if err != nil || !present {
		return nil, err
	}
	b, err := eciesDecodeB64(s)
	if err != nil {
		return nil, fmt.Errorf("%s: invalid Base64: %w", name, err)
	}
	if b == nil {
		b = []byte{}
	}
	return b, nil
}

// validate checks field presence and sizes for a version (the ephemeral key
// is only length-checked here; it is decoded where it is used).
func (r *EncryptedRequest) validate(version string) error {
	if eciesLevel(version) == 0 {
		return fmt.Errorf("%w: %q", ErrEciesVersion, version)
	}
	if n := len(r.EphemeralPublicKey); n != 33 && n != 65 {
		return fmt.Errorf("%w: ephemeralPublicKey must be 33 or 65 bytes, got %d", ErrEciesMalformed, n)
	}
	if err := eciesCheckCiphertext(r.EncryptedData, r.MAC); err != nil {
		return err
	}
	if err := eciesCheckNonceTimestamp(version, r.Nonce, r.Timestamp); err != nil {
		return fmt.Errorf("%w: request %w", ErrEciesMalformed, err)
	}
	if eciesHasTemporaryKey(version) {
		if !eciesValidUUID(r.TemporaryKeyID) {
			return fmt.Errorf("%w: temporaryKeyId must be a UUID in version %s", ErrEciesMalformed, version)
		}
	} else if r.TemporaryKeyID != "" {
		return fmt.Errorf("%w: temporaryKeyId not allowed in version %s", ErrEciesMalformed, version)
	}
	return nil
}

// validate checks field presence and sizes for a version.
func (r *EncryptedResponse) validate(version string) error {
	if eciesLevel(version) == 0 {
		return fmt.Errorf("%w: %q", ErrEciesVersion, version)
	}
	if err := eciesCheckCiphertext(r.EncryptedData, r.MAC); err != nil {
		return err
	}
	if eciesHasTimestamp(version) {
		if err := eciesCheckNonceTimestamp(version, r.Nonce, r.Timestamp); err != nil {
			return fmt.Errorf("%w: response %w", ErrEciesMalformed, err)
		}
	} else if r.Nonce != nil || r.Timestamp != 0 {
		return fmt.Errorf("%w: response nonce/timestamp not allowed in version %s", ErrEciesMalformed, version)
	}
	return nil
}

func eciesCheckCiphertext(ct, mac []byte) error {
	if len(ct) == 0 || len(ct)%16 != 0 {
		return fmt.Errorf("%w: encryptedData must be a non-empty multiple of 16 bytes, got %d", ErrEciesMalformed, len(ct))
	}
	if len(mac) != EciesMACSize {
		return fmt.Errorf("%w: mac must be %d bytes, got %d", ErrEciesMalformed, EciesMACSize, len(mac))
	}
	return nil
}
