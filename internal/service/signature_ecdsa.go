package service

import (
	"context"
	"errors"
	"fmt"

	"github.com/mauth/mauth/internal/domain"
	"github.com/mauth/mauth/internal/store"
	"github.com/mauth/mauth/protocol"
)

// ECDSASignatureFormat is the encoding of an ECDSA signature.
type ECDSASignatureFormat int

// ECDSA signature encodings: ASN.1 DER (the default) and JOSE (the 64-byte
// r||s of JWS ES256).
const (
	ECDSAFormatDER ECDSASignatureFormat = iota
	ECDSAFormatJOSE
)

// ParseECDSASignatureFormat parses the wire names "DER" and "JOSE"; an
// empty name means DER.
func ParseECDSASignatureFormat(name string) (ECDSASignatureFormat, error) {
	switch name {
	case "", "DER":
		return ECDSAFormatDER, nil
	case "JOSE":
		return ECDSAFormatJOSE, nil
	}
	return 0, fmt.Errorf("unknown ECDSA signature format %q", name)
}

// VerifyECDSASignature verifies an ECDSA P-256 / SHA-256 signature of data
// made with the device private key of an activation. An unknown activation
// (or one without a device key yet) gives false, not an error; an activation
// of another protocol than PowerAuth is an invalid request. As in the
// reference server the activation status is not checked.
func (s *Service) VerifyECDSASignature(ctx context.Context, activationID string, data, signature []byte, format ECDSASignatureFormat) (bool, error) {
	if activationID == "" || data == nil || signature == nil {
		return false, Errorf(CodeInvalidRequest, "activationId, data, signature - must not be null")
	}
	a, err := s.store.GetActivation(ctx, activationID)
	if errors.Is(err, store.ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("load activation: %w", err)
	}
	if a.Protocol != "" && a.Protocol != domain.ProtocolPowerAuth {
		return false, Errorf(CodeInvalidRequest, "Activation does not use the PowerAuth protocol.")
	}
	if len(a.DevicePublicKey) == 0 {
		return false, nil
	}
	pub, err := protocol.ParsePublicKey(a.DevicePublicKey)
	if err != nil {
		return false, Wrap(CodeInvalidKeyFormat, "Stored device public key is invalid.", err)
	}
	switch format {
	case ECDSAFormatDER:
		return pub.VerifyDER(data, signature), nil
	case ECDSAFormatJOSE:
		return pub.VerifyJOSE(data, signature), nil
	}
	return false, Errorf(CodeInvalidRequest, "signatureFormat - unknown format")
}
