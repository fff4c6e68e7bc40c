package service

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/mauth/mauth/internal/domain"
	"github.com/mauth/mauth/internal/store"
	"github.com/mauth/mauth/protocol"
)

// KeyExchangeResult is the outcome of activation/prepare, activation/create
// and activation/recovery/create: the activation after the key exchange and
// the encrypted layer-2 response for the device.
type KeyExchangeResult struct {
	// Activation is the activation in its new state.
	Activation ActivationDetail
	// Response is the ECIES-encrypted {activationId, serverPublicKey,
	// ctrData, activationRecovery?}.
	Response *EciesResponse
}

// PrepareActivationInput is the request of activation/prepare.
type PrepareActivationInput struct {
	// ActivationCode identifies the CREATED activation.
	ActivationCode string
	// ApplicationKey identifies the application version the device uses.
	ApplicationKey string
	// GenerateRecoveryCodes asks for a recovery code when the application
	// has activation recovery enabled.
	GenerateRecoveryCodes bool
	// Request is the layer-2 ECIES cryptogram.
	Request EciesRequest
}

// CreateActivationInput is the request of activation/create (init and
// prepare in one step for a user the caller already knows).
type CreateActivationInput struct {
	// UserID is the user the activation belongs to.
	UserID string
	// ApplicationKey identifies the application version the device uses.
	ApplicationKey string
	// ActivationExpire is when the unfinished activation expires (zero:
	// the configured validity).
	ActivationExpire time.Time
	// MaxFailureCount is the failed-attempt limit (0: the default).
	MaxFailureCount int64
	// ActivationOTP, when set, must be passed to the commit.
	ActivationOTP string
	// GenerateRecoveryCodes asks for a recovery code.
	GenerateRecoveryCodes bool
	// Request is the layer-2 ECIES cryptogram.
	Request EciesRequest
}

// RecoveryActivationInput is the request of activation/recovery/create.
type RecoveryActivationInput struct {
	// RecoveryCode and PUK authenticate the user.
	RecoveryCode string
	PUK          string
	// ApplicationKey identifies the application version the device uses.
	ApplicationKey string
	// MaxFailureCount is the failed-attempt limit (0: the default).
	MaxFailureCount int64
	// ActivationOTP, when set, must be passed to the commit.
	ActivationOTP string
	// GenerateRecoveryCodes asks for a new recovery code.
	GenerateRecoveryCodes bool
	// Request is the layer-2 ECIES cryptogram.
	Request EciesRequest
}

// activationLayer2Request is the decrypted layer-2 activation payload.
type activationLayer2Request struct {
	DevicePublicKey string `json:"devicePublicKey"`
	ActivationName  string `json:"activationName"`
	ExternalID      string `json:"externalId"`
	Extras          string `json:"extras"`
	Platform        string `json:"platform"`
	DeviceInfo      string `json:"deviceInfo"`
	ActivationOTP   string `json:"activationOtp"`
}

// activationLayer2Response is the layer-2 response payload.
type activationLayer2Response struct {
	ActivationID       string                     `json:"activationId"`
	ServerPublicKey    string                     `json:"serverPublicKey"`
	CtrData            string                     `json:"ctrData"`
	ActivationRecovery *activationRecoveryPayload `json:"activationRecovery,omitempty"`
}

// activationRecoveryPayload is the recovery code and PUK in the layer-2
// response.
type activationRecoveryPayload struct {
	RecoveryCode string `json:"recoveryCode"`
	PUK          string `json:"puk"`
}

// parseActivationLayer2 parses the decrypted layer-2 payload from the
// device (untrusted). Malformed JSON and out-of-range attributes are
// CodeInvalidInputFormat. A missing device public key is left to the
// caller, which reports it as an invalid request.
func parseActivationLayer2(plain []byte) (activationLayer2Request, error) {
	var r activationLayer2Request
	if err := json.Unmarshal(plain, &r); err != nil {
		return r, Wrap(CodeInvalidInputFormat, "Invalid activation request.", err)
	}
	for _, f := range []struct {
		name, value string
		max         int
	}{
		{"devicePublicKey", r.DevicePublicKey, maxActivationText},
		{"activationName", r.ActivationName, maxActivationText},
		{"externalId", r.ExternalID, maxActivationText},
		{"extras", r.Extras, maxActivationExtras},
		{"platform", r.Platform, maxActivationText},
		{"deviceInfo", r.DeviceInfo, maxActivationText},
		{"activationOtp", r.ActivationOTP, maxActivationText},
	} {
		if err := validActivationText(f.name, f.value, f.max); err != nil {
			return r, Wrap(CodeInvalidInputFormat, "Invalid activation request.", err)
		}
	}
	return r, nil
}

// decodeDevicePublicKey decodes and validates the Base64 device public key;
// it returns the bytes exactly as received.
func decodeDevicePublicKey(b64 string) ([]byte, error) {
	raw, err := base64.StdEncoding.DecodeString(b64)
	if err != nil {
		return nil, fmt.Errorf("device public key: %w", err)
	}
	if _, err := protocol.ParsePublicKey(raw); err != nil {
		return nil, fmt.Errorf("device public key: %w", err)
	}
	return raw, nil
}

// decryptActivationLayer2 decrypts and parses the layer-2 request in
// application scope and checks that it carries a device public key.
func (s *Service) decryptActivationLayer2(ctx context.Context, tx store.Tx, app domain.Application, v domain.ApplicationVersion, req EciesRequest) (activationLayer2Request, *protocol.EciesEnvelope, error) {
	plain, env, err := s.decryptRequest(ctx, tx, eciesScope{app: app, version: v, sh1: protocol.SharedInfo1ActivationLayer2}, req)
	if err != nil {
		return activationLayer2Request{}, nil, err
	}
	l2, err := parseActivationLayer2(plain)
	if err != nil {
		return l2, nil, err
	}
	if strings.TrimSpace(l2.DevicePublicKey) == "" {
		return l2, nil, Errorf(CodeInvalidRequest, "devicePublicKey - must not be blank")
	}
	return l2, env, nil
}

// completeKeyExchange finishes the key exchange of a locked activation:
// it generates the server key pair and counter data, stores the device's
// attributes, moves the activation to status, optionally creates a
// recovery code and encrypts the layer-2 response.
func (s *Service) completeKeyExchange(ctx context.Context, tx store.Tx, app domain.Application, a *domain.Activation, l2 activationLayer2Request, devicePublicKey []byte, status domain.ActivationStatus, env *protocol.EciesEnvelope, generateRecovery bool) (*EciesResponse, error) {
	serverKey, err := protocol.GenerateKeyPair()
	if err != nil {
		return nil, Wrap(CodeGenericCryptography, "Key generation failed.", err)
	}
	a.Status = status
	a.DevicePublicKey = devicePublicKey
	a.ServerPublicKey = serverKey.Public().Uncompressed()
	a.ServerPrivateKeyEncrypted = s.sealPrivateKey(serverKey, activationKeyContext(a.ActivationID))
	s.forgetActivationKeys(a.ActivationID) // new key material
	a.CtrData = protocol.RandomBytes(16)
	a.Counter = 0
	a.Version = currentActivationVersion
	// The device spoke this version in the key exchange: the ratchet
	// starts there.
	a.MaxProtocolVersion = env.Context().Version
	a.Name = l2.ActivationName
	a.ExternalID = l2.ExternalID
	a.Extras = l2.Extras
	a.Platform = strings.ToLower(l2.Platform)
	if a.Platform == "" {
		a.Platform = "unknown"
	}
	a.DeviceInfo = l2.DeviceInfo
	setDeviceDetails(ctx, a)
	if err := s.persistActivationChange(ctx, tx, a, "", ""); err != nil {
		return nil, err
	}
	payload := activationLayer2Response{
		ActivationID:    a.ActivationID,
		ServerPublicKey: base64.StdEncoding.EncodeToString(a.ServerPublicKey),
		CtrData:         base64.StdEncoding.EncodeToString(a.CtrData),
	}
	if generateRecovery {
		rec, err := s.createActivationRecovery(ctx, tx, app, *a)
		if err != nil {
			return nil, err
		}
		if rec != nil {
			payload.ActivationRecovery = &activationRecoveryPayload{RecoveryCode: rec.RecoveryCode, PUK: rec.PUK}
		}
	}
	body, err := json.Marshal(payload)
	if err != nil {
		return nil, fmt.Errorf("marshal layer 2 response: %w", err)
	}
	return s.encryptResponse(env, body)
}

// PrepareActivation performs the key exchange of a CREATED activation found
// by its activation code (activation/prepare). The activation becomes
// PENDING_COMMIT, or ACTIVE when its commit phase is ON_KEY_EXCHANGE or a
// correct OTP was sent in the payload. A wrong OTP is counted and fails
// with CodeInvalidActivationOTP; an expired activation becomes REMOVED and
// fails with CodeActivationExpired.
func (s *Service) PrepareActivation(ctx context.Context, in PrepareActivationInput) (KeyExchangeResult, error) {
	if strings.TrimSpace(in.ActivationCode) == "" {
		return KeyExchangeResult{}, Errorf(CodeInvalidRequest, "activationCode - must not be blank")
	}
	if strings.TrimSpace(in.ApplicationKey) == "" {
		return KeyExchangeResult{}, Errorf(CodeInvalidRequest, "applicationKey - must not be blank")
	}
	var out KeyExchangeResult
	var deferred committedError
	err := s.store.InTx(ctx, func(tx store.Tx) error {
		deferred.reset()
		v, app, err := s.applicationVersionByKey(ctx, tx, in.ApplicationKey)
		if CodeOf(err) == CodeInvalidApplication || (err == nil && !v.Supported) {
			return Errorf(CodeActivationExpired, "Application version is unknown or not supported.")
		}
		if err != nil {
			return err
		}
		l2, env, err := s.decryptActivationLayer2(ctx, tx, app, v, in.Request)
		if err != nil {
			return err
		}
		found, err := tx.GetActivationByCode(ctx, in.ActivationCode)
		if errors.Is(err, store.ErrNotFound) || (err == nil && found.ApplicationID != app.ID) {
			return Errorf(CodeActivationNotFound, "Activation with given activation code was not found.")
		}
		if err != nil {
			return fmt.Errorf("find activation by code: %w", err)
		}
		a, err := activationForUpdate(ctx, tx, found.ActivationID)
		if err != nil {
			return err
		}
		if expired, err := s.expireActivationIfDue(ctx, tx, &a); err != nil {
			return err
		} else if expired {
			deferred.set(Errorf(CodeActivationExpired, "This activation is already expired."))
			return nil
		}
		if a.Status != domain.ActivationCreated || a.ActivationCode != in.ActivationCode {
			return Errorf(CodeActivationNotFound, "Activation with given activation code was not found.")
		}
		if a.Protocol != domain.ProtocolPowerAuth {
			return Errorf(CodeInvalidRequest, "Activation does not use the powerauth protocol.")
		}
		outcome, err := s.checkActivationOTP(&a, domain.CommitPhaseOnKeyExchange, l2.ActivationOTP)
		if err != nil {
			return err
		}
		if outcome == otpRejected {
			if err := s.recordOTPFailure(ctx, tx, &a, ""); err != nil {
				return err
			}
			deferred.set(errActivationOTP())
			return nil
		}
		devicePublicKey, err := decodeDevicePublicKey(l2.DevicePublicKey)
		if err != nil {
			// As the reference does: an invalid key ends the activation.
			if err := s.removeActivationLocked(ctx, tx, &a, "", false); err != nil {
				return err
			}
			deferred.set(Wrap(CodeActivationNotFound, "Invalid device public key.", err))
			return nil
		}
		status := domain.ActivationPendingCommit
		if outcome == otpVerified || a.CommitPhase == domain.CommitPhaseOnKeyExchange {
			status = domain.ActivationActive
		}
		resp, err := s.completeKeyExchange(ctx, tx, app, &a, l2, devicePublicKey, status, env, in.GenerateRecoveryCodes)
		if err != nil {
			return err
		}
		out = KeyExchangeResult{Activation: ActivationDetail{Activation: a, ApplicationName: app.Name}, Response: resp}
		return nil
	})
	return out, deferred.result(err)
}

// CreateActivation creates a PENDING_COMMIT activation for a known user and
// performs its key exchange in one step (activation/create). An OTP given
// here must be passed to the commit.
func (s *Service) CreateActivation(ctx context.Context, in CreateActivationInput) (KeyExchangeResult, error) {
	p, err := s.activationRecordDefaults(in.UserID, in.ActivationExpire, in.MaxFailureCount)
	if err != nil {
		return KeyExchangeResult{}, err
	}
	if strings.TrimSpace(in.ApplicationKey) == "" {
		return KeyExchangeResult{}, Errorf(CodeInvalidRequest, "applicationKey - must not be blank")
	}
	if in.ActivationOTP != "" {
		if p.otpHash, err = s.hashSecret(in.ActivationOTP); err != nil {
			return KeyExchangeResult{}, fmt.Errorf("hash activation OTP: %w", err)
		}
	}
	var out KeyExchangeResult
	err = s.store.InTx(ctx, func(tx store.Tx) error {
		v, app, err := s.applicationVersionByKey(ctx, tx, in.ApplicationKey)
		if err != nil {
			return err
		}
		if !v.Supported {
			return Errorf(CodeInvalidApplication, "Application version is not supported.")
		}
		l2, env, err := s.decryptActivationLayer2(ctx, tx, app, v, in.Request)
		if err != nil {
			return err
		}
		devicePublicKey, err := decodeDevicePublicKey(l2.DevicePublicKey)
		if err != nil {
			return Wrap(CodeActivationExpired, "Invalid device public key.", err)
		}
		a, err := s.createActivationRecord(ctx, tx, app, p)
		if err != nil {
			return err
		}
		resp, err := s.completeKeyExchange(ctx, tx, app, &a, l2, devicePublicKey, domain.ActivationPendingCommit, env, in.GenerateRecoveryCodes)
		if err != nil {
			return err
		}
		out = KeyExchangeResult{Activation: ActivationDetail{Activation: a, ApplicationName: app.Name}, Response: resp}
		return nil
	})
	return out, err
}

// CreateActivationWithRecoveryCode activates a new device with a recovery
// code and its next PUK (activation/recovery/create). The activation the
// recovery code belonged to is removed (its recovery codes revoked) and
// its flags carry over; the new activation is PENDING_COMMIT. A wrong PUK
// is counted and fails with ERR_RECOVERY and the index of the PUK to ask
// for next.
func (s *Service) CreateActivationWithRecoveryCode(ctx context.Context, in RecoveryActivationInput) (KeyExchangeResult, error) {
	switch {
	case strings.TrimSpace(in.RecoveryCode) == "":
		return KeyExchangeResult{}, Errorf(CodeInvalidRequest, "recoveryCode - must not be blank")
	case strings.TrimSpace(in.PUK) == "":
		return KeyExchangeResult{}, Errorf(CodeInvalidRequest, "puk - must not be blank")
	case strings.TrimSpace(in.ApplicationKey) == "":
		return KeyExchangeResult{}, Errorf(CodeInvalidRequest, "applicationKey - must not be blank")
	case in.MaxFailureCount < 0:
		return KeyExchangeResult{}, Errorf(CodeActivationCreateFailed, "Activation cannot be created with the specified maximum failure count.")
	}
	var otpHash string
	if in.ActivationOTP != "" {
		var err error
		if otpHash, err = s.hashSecret(in.ActivationOTP); err != nil {
			return KeyExchangeResult{}, fmt.Errorf("hash activation OTP: %w", err)
		}
	}
	var out KeyExchangeResult
	var deferred committedError
	err := s.store.InTx(ctx, func(tx store.Tx) error {
		deferred.reset()
		v, app, err := s.applicationVersionByKey(ctx, tx, in.ApplicationKey)
		if CodeOf(err) == CodeInvalidApplication || (err == nil && !v.Supported) {
			return Errorf(CodeInvalidRequest, "Application version is unknown or not supported.")
		}
		if err != nil {
			return err
		}
		cfg, err := tx.GetRecoveryConfig(ctx, app.ID)
		if errors.Is(err, store.ErrNotFound) || (err == nil && !cfg.ActivationRecoveryEnabled) {
			return Errorf(CodeInvalidRequest, "Activation recovery is disabled.")
		}
		if err != nil {
			return fmt.Errorf("load recovery config: %w", err)
		}
		l2, env, err := s.decryptActivationLayer2(ctx, tx, app, v, in.Request)
		if err != nil {
			return err
		}
		devicePublicKey, err := decodeDevicePublicKey(l2.DevicePublicKey)
		if err != nil {
			return Wrap(CodeActivationExpired, "Invalid device public key.", err)
		}
		rc, err := s.consumeRecoveryPUK(ctx, tx, app, in.RecoveryCode, in.PUK)
		if err != nil {
			// A counted wrong PUK must be committed; anything else rolls back.
			if c := CodeOf(err); c == CodeRecovery || c == CodeInvalidRecoveryCode {
				deferred.set(err)
				return nil
			}
			return err
		}
		var flags []string
		if rc.ActivationID != "" {
			old, err := tx.GetActivationForUpdate(ctx, rc.ActivationID)
			switch {
			case errors.Is(err, store.ErrNotFound):
				// The old activation is gone; nothing to remove.
			case err != nil:
				return fmt.Errorf("lock activation: %w", err)
			default:
				flags = old.Flags
				if err := s.removeActivationLocked(ctx, tx, &old, "", true); err != nil {
					return err
				}
			}
		}
		p, err := s.activationRecordDefaults(rc.UserID, time.Time{}, in.MaxFailureCount)
		if err != nil {
			return err
		}
		p.otpHash = otpHash
		p.flags = flags
		a, err := s.createActivationRecord(ctx, tx, app, p)
		if err != nil {
			return err
		}
		resp, err := s.completeKeyExchange(ctx, tx, app, &a, l2, devicePublicKey, domain.ActivationPendingCommit, env, in.GenerateRecoveryCodes)
		if err != nil {
			return err
		}
		out = KeyExchangeResult{Activation: ActivationDetail{Activation: a, ApplicationName: app.Name}, Response: resp}
		return nil
	})
	return out, deferred.result(err)
}
