package coreclient

import (
	"encoding/base64"
	"fmt"

	"github.com/mauth/mauth/internal/restv3"
	"github.com/mauth/mauth/internal/service"
)

// eciesIn holds the ECIES request fields ("ECIES-in") that encrypted
// methods carry next to their own fields.
type eciesIn = restv3.EciesRequest

func eciesInOf(r service.EciesRequest) eciesIn {
	return eciesIn{
		EphemeralPublicKey: r.EphemeralPublicKey,
		EncryptedData:      r.EncryptedData,
		Mac:                r.Mac,
		Nonce:              r.Nonce,
		Timestamp:          r.Timestamp,
		ProtocolVersion:    r.ProtocolVersion,
		TemporaryKeyID:     r.TemporaryKeyID,
	}
}

type eciesOut = restv3.EciesResponse

// response converts the fields; nil when the answer carries no cryptogram.
func eciesResponse(e eciesOut) *service.EciesResponse {
	if e.EncryptedData == nil && e.Mac == nil {
		return nil
	}
	r := &service.EciesResponse{Timestamp: e.Timestamp}
	if e.EncryptedData != nil {
		r.EncryptedData = *e.EncryptedData
	}
	if e.Mac != nil {
		r.Mac = *e.Mac
	}
	if e.Nonce != nil {
		r.Nonce = *e.Nonce
	}
	return r
}

// requireResponse is response for methods whose answer must be encrypted.
func requireEciesResponse(e eciesOut, method string) (*service.EciesResponse, error) {
	r := eciesResponse(e)
	if r == nil || r.EncryptedData == "" || r.Mac == "" {
		return nil, fmt.Errorf("coreclient: %s: the core's answer has no encrypted payload", method)
	}
	return r, nil
}

// decodeB64 decodes an optional Base64 field of a core answer.
func decodeB64(method, field string, s *string) ([]byte, error) {
	if s == nil {
		return nil, nil
	}
	b, err := base64.StdEncoding.DecodeString(*s)
	if err != nil {
		return nil, fmt.Errorf("coreclient: %s: %s is not Base64", method, field)
	}
	return b, nil
}

// strOf dereferences an optional string.
func strOf(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// nilIfEmpty maps an empty list to nil, as the service returns it.
func nilIfEmpty(l []string) []string {
	if len(l) == 0 {
		return nil
	}
	return l
}
