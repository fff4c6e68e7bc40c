package service

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/mauth/mauth/internal/domain"
	"github.com/mauth/mauth/internal/store"
	"github.com/mauth/mauth/protocol"
)

// Key indicators that end the signed part of an offline payload: which key
// made its ECDSA signature.
const (
	offlineIndicatorMaster     = "0" // KEY_SERVER_MASTER_PRIVATE (non-personalized)
	offlineIndicatorActivation = "1" // KEY_SERVER_PRIVATE (personalized)
)

// MaxProximityStepCount bounds how many past TOTP steps an offline
// verification may accept.
const MaxProximityStepCount = 100

// offlineNonceSize is the size of an offline payload nonce.
const offlineNonceSize = 16

// ProximityCheck configures the proximity TOTP of offline signatures.
type ProximityCheck struct {
	// Seed is the TOTP secret.
	Seed []byte
	// StepLength is the TOTP time step (whole seconds, at least one).
	StepLength time.Duration
	// StepCount is how many steps back verification also accepts (0 = the
	// current step only). Not used when creating a payload.
	StepCount int
}

func (p *ProximityCheck) validate(verify bool) error {
	if p == nil {
		return nil
	}
	if len(p.Seed) == 0 {
		return Errorf(CodeInvalidRequest, "proximityCheck.seed - must not be blank")
	}
	if p.StepLength < time.Second || p.StepLength%time.Second != 0 {
		return Errorf(CodeInvalidRequest, "proximityCheck.stepLength - must be a positive number of seconds")
	}
	if verify && (p.StepCount < 0 || p.StepCount > MaxProximityStepCount) {
		return Errorf(CodeInvalidRequest, "proximityCheck.stepCount - must be between 0 and %d", MaxProximityStepCount)
	}
	return nil
}

// OfflinePayload is the content of an offline-signature QR code.
type OfflinePayload struct {
	// OfflineData is DATA "\n" NONCE "\n" KEY_INDICATOR ECDSA_B64, where DATA
	// is the request data, followed by "\n" TOTP with a proximity check.
	OfflineData string
	// Nonce is the Base64 nonce inside OfflineData.
	Nonce string
}

// PersonalizedOfflinePayloadInput asks for a QR payload for one activation.
type PersonalizedOfflinePayloadInput struct {
	// ActivationID selects the activation whose server key signs the payload.
	ActivationID string
	// Data is the operation data shown to the user.
	Data string
	// Nonce is an optional Base64 16-byte nonce; a random one when empty.
	Nonce string
	// ProximityCheck, when set, appends the current TOTP to the data.
	ProximityCheck *ProximityCheck
}

// CreatePersonalizedOfflinePayload builds a QR payload signed with the
// activation's server private key (indicator "1"). The activation state is
// not checked, as in the reference server: an unusable activation simply
// fails the later verification.
func (s *Service) CreatePersonalizedOfflinePayload(ctx context.Context, in PersonalizedOfflinePayloadInput) (OfflinePayload, error) {
	if in.ActivationID == "" || in.Data == "" {
		return OfflinePayload{}, Errorf(CodeInvalidRequest, "activationId, data - must not be blank")
	}
	if err := in.ProximityCheck.validate(false); err != nil {
		return OfflinePayload{}, err
	}
	nonce, err := offlineNonce(in.Nonce)
	if err != nil {
		return OfflinePayload{}, err
	}
	a, err := activationByID(ctx, s.store, in.ActivationID)
	if err != nil {
		return OfflinePayload{}, err
	}
	if a.Protocol != "" && a.Protocol != domain.ProtocolPowerAuth {
		return OfflinePayload{}, Errorf(CodeInvalidRequest, "Activation does not use the PowerAuth protocol.")
	}
	key, err := s.activationServerKey(a)
	if err != nil {
		return OfflinePayload{}, err
	}
	data := in.Data
	if in.ProximityCheck != nil {
		otp, err := totpSHA256(in.ProximityCheck.Seed, s.Now(), in.ProximityCheck.StepLength, ProximityOTPLength)
		if err != nil {
			return OfflinePayload{}, Errorf(CodeInvalidRequest, "proximityCheck - %v", err)
		}
		data += "\n" + otp
	}
	return signOfflinePayload(key, data, nonce, offlineIndicatorActivation)
}

// CreateNonPersonalizedOfflinePayload builds a QR payload signed with the
// application's newest master private key (indicator "0").
func (s *Service) CreateNonPersonalizedOfflinePayload(ctx context.Context, applicationName, data string) (OfflinePayload, error) {
	if data == "" {
		return OfflinePayload{}, Errorf(CodeInvalidRequest, "data - must not be blank")
	}
	app, err := s.applicationByName(ctx, s.store, applicationName)
	if err != nil {
		return OfflinePayload{}, err
	}
	key, _, err := s.masterKey(ctx, s.store, app)
	if err != nil {
		return OfflinePayload{}, err
	}
	nonce, err := offlineNonce("")
	if err != nil {
		return OfflinePayload{}, err
	}
	return signOfflinePayload(key, data, nonce, offlineIndicatorMaster)
}

// offlineNonce validates a given nonce or makes a random one.
func offlineNonce(given string) (string, error) {
	if given == "" {
		return base64.StdEncoding.EncodeToString(protocol.RandomBytes(offlineNonceSize)), nil
	}
	raw, err := base64.StdEncoding.DecodeString(given)
	if err != nil || len(raw) != offlineNonceSize {
		return "", Errorf(CodeInvalidRequest, "nonce - must be %d bytes in Base64", offlineNonceSize)
	}
	return given, nil
}

// signOfflinePayload signs utf8(DATA "\n" NONCE "\n" INDICATOR) with ECDSA
// (DER) and appends the Base64 signature.
func signOfflinePayload(key *protocol.PrivateKey, data, nonce, indicator string) (OfflinePayload, error) {
	signed := data + "\n" + nonce + "\n" + indicator
	sig, err := key.SignDER([]byte(signed))
	if err != nil {
		return OfflinePayload{}, Wrap(CodeUnableToComputeSignature, "Unable to compute signature.", err)
	}
	return OfflinePayload{OfflineData: signed + base64.StdEncoding.EncodeToString(sig), Nonce: nonce}, nil
}

// VerifyOfflineSignatureInput is one offline (retyped DECIMAL) signature.
type VerifyOfflineSignatureInput struct {
	// ActivationID is the activation that signed.
	ActivationID string
	// Data is the normalized data WITHOUT the application secret, as the
	// app signed it: "POST&" B64(uriId) "&" NONCE_B64 "&" B64(body). The
	// service appends "&offline". With a proximity check the TOTP is
	// appended to the decoded body as "&" TOTP before verification.
	Data string
	// Signature is the DECIMAL signature, components joined with '-'.
	Signature string
	// AllowBiometry also accepts possession_biometry besides
	// possession_knowledge.
	AllowBiometry bool
	// ComponentLength is the digits per component (4–8); 0 means the
	// configured OfflineSignatureComponentLength.
	ComponentLength int
	// ProximityCheck, when set, requires a TOTP of the current or one of
	// the StepCount previous steps inside the signed body.
	ProximityCheck *ProximityCheck
}

// VerifyOfflineSignature verifies an offline signature with the same
// counter, failure and audit rules as VerifySignature (possession_knowledge
// first, then possession_biometry when allowed). An unknown activation is
// an invalid result with status REMOVED, not an error.
func (s *Service) VerifyOfflineSignature(ctx context.Context, in VerifyOfflineSignatureInput) (VerifySignatureResult, error) {
	if in.ActivationID == "" || in.Data == "" || in.Signature == "" {
		return VerifySignatureResult{}, Errorf(CodeInvalidRequest, "activationId, data, signature - must not be blank")
	}
	length := in.ComponentLength
	if length == 0 {
		length = s.cfg.OfflineSignatureComponentLength
	}
	if length < protocol.MinOfflineDecimalLength || length > protocol.MaxOfflineDecimalLength {
		return VerifySignatureResult{}, Errorf(CodeInvalidRequest, "componentLength - must be between %d and %d", protocol.MinOfflineDecimalLength, protocol.MaxOfflineDecimalLength)
	}
	if err := in.ProximityCheck.validate(true); err != nil {
		return VerifySignatureResult{}, err
	}
	types := []protocol.SignatureType{protocol.SignaturePossessionKnowledge}
	if in.AllowBiometry {
		types = append(types, protocol.SignaturePossessionBiometry)
	}
	var res VerifySignatureResult
	err := s.store.InTx(ctx, func(tx store.Tx) error {
		a, err := tx.GetActivationForUpdate(ctx, in.ActivationID)
		if errors.Is(err, store.ErrNotFound) {
			res = VerifySignatureResult{ActivationID: in.ActivationID, ActivationStatus: domain.ActivationRemoved}
			return nil
		}
		if err != nil {
			return fmt.Errorf("lock activation: %w", err)
		}
		now := s.Now() // read under the lock: attempts on one activation are timestamped in order
		candidates, err := offlineSignatureData(in.Data, in.ProximityCheck, now)
		if err != nil {
			return err
		}
		app, err := tx.GetApplication(ctx, a.ApplicationID)
		if err != nil {
			return fmt.Errorf("load application: %w", err)
		}
		at := signatureAttempt{
			data:           candidates,
			signature:      in.Signature,
			types:          types,
			format:         protocol.FormatDecimal,
			decimalLength:  length,
			additionalInfo: map[string]string{},
			digest:         signatureDigest("offline", in.Data, in.Signature),
		}
		res, err = s.verifyAttempt(ctx, tx, &a, app, at, now)
		return err
	})
	if err != nil {
		return VerifySignatureResult{}, err
	}
	return res, nil
}

// offlineSignatureData returns the candidate signed data: the request data
// with "&offline" appended, or with a proximity check one candidate per
// accepted TOTP (current step first), the TOTP appended to the decoded
// body of the last '&'-separated element.
func offlineSignatureData(data string, pc *ProximityCheck, now time.Time) ([][]byte, error) {
	if pc == nil {
		return [][]byte{protocol.SignatureData(data, protocol.OfflineApplicationSecret)}, nil
	}
	head, bodyB64 := "", data
	if i := strings.LastIndexByte(data, '&'); i >= 0 {
		head, bodyB64 = data[:i+1], data[i+1:]
	}
	body, err := base64.StdEncoding.DecodeString(bodyB64)
	if err != nil {
		return nil, Errorf(CodeInvalidInputFormat, "data - the signed body is not valid Base64")
	}
	out := make([][]byte, 0, pc.StepCount+1)
	for i := 0; i <= pc.StepCount; i++ {
		otp, err := totpSHA256(pc.Seed, now.Add(-time.Duration(i)*pc.StepLength), pc.StepLength, ProximityOTPLength)
		if err != nil {
			return nil, Errorf(CodeInvalidRequest, "proximityCheck - %v", err)
		}
		withOTP := append(append([]byte{}, body...), "&"+otp...)
		out = append(out, protocol.SignatureData(head+base64.StdEncoding.EncodeToString(withOTP), protocol.OfflineApplicationSecret))
	}
	return out, nil
}
