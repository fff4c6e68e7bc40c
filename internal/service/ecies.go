package service

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"

	"github.com/mauth/mauth/internal/domain"
	"github.com/mauth/mauth/internal/store"
	"github.com/mauth/mauth/protocol"
)

// EciesRequest is the ECIES cryptogram as the private API receives it
// ("ECIES-in"): Base64 strings plus the protocol version that produced them.
type EciesRequest struct {
	EphemeralPublicKey string
	EncryptedData      string
	Mac                string
	Nonce              string
	Timestamp          *int64
	ProtocolVersion    string
	TemporaryKeyID     string
}

// EciesResponse is an encrypted response ("ECIES-out"); Nonce and
// Timestamp are set for 3.2+.
type EciesResponse struct {
	EncryptedData string
	Mac           string
	Nonce         string
	Timestamp     *int64
}

// eciesScope names who a request is decrypted for.
type eciesScope struct {
	app        domain.Application
	version    domain.ApplicationVersion
	activation *domain.Activation // nil in application scope
	sh1        string
}

// parse converts the wire strings to a protocol request, validating Base64
// and the presence rules of the version matrix. A missing or unsupported
// protocol version is CodeDecryptionFailed, as in PowerAuth servers from
// 1.5 on; with legacyVersion a missing one is inferred as servers up to 1.4
// did: 3.1 when the request has a nonce, 3.0 otherwise
// (Config.LegacyProtocolVersionInference).
func (r EciesRequest) parse(legacyVersion bool) (*protocol.EncryptedRequest, string, error) {
	version := r.ProtocolVersion
	if version == "" && legacyVersion {
		version = protocol.Version30
		if r.Nonce != "" {
			version = protocol.Version31
		}
	}
	if !protocol.ValidVersion(version) {
		return nil, "", Wrap(CodeDecryptionFailed, "Decryption failed.", fmt.Errorf("protocolVersion %.16q is missing or unsupported", version))
	}
	dec := func(field, s string) ([]byte, error) {
		if s == "" {
			return nil, nil
		}
		b, err := base64.StdEncoding.DecodeString(s)
		if err != nil {
			return nil, Errorf(CodeInvalidInputFormat, "Invalid Base64 in %s.", field)
		}
		return b, nil
	}
	var req protocol.EncryptedRequest
	var err error
	if req.EphemeralPublicKey, err = dec("ephemeralPublicKey", r.EphemeralPublicKey); err != nil {
		return nil, "", err
	}
	if req.EncryptedData, err = dec("encryptedData", r.EncryptedData); err != nil {
		return nil, "", err
	}
	if req.MAC, err = dec("mac", r.Mac); err != nil {
		return nil, "", err
	}
	if req.Nonce, err = dec("nonce", r.Nonce); err != nil {
		return nil, "", err
	}
	if r.Timestamp != nil {
		req.Timestamp = *r.Timestamp
	}
	req.TemporaryKeyID = r.TemporaryKeyID
	// Round-trip through the strict wire parser so every rule of the
	// version matrix is enforced in one place.
	body, err := req.Marshal()
	if err != nil {
		return nil, "", Wrap(CodeInvalidRequest, "Invalid encrypted request.", err)
	}
	parsed, err := protocol.ParseEncryptedRequest(body, version)
	if err != nil {
		return nil, "", Wrap(CodeInvalidRequest, "Invalid encrypted request.", err)
	}
	return parsed, version, nil
}

// decryptRequest decrypts an ECIES request for the scope, inside the
// caller's write transaction: it picks the key (master, activation or 3.3
// temporary key), checks the timestamp window (too old and too new) and
// records the request in the replay cache. Decryption failures are
// CodeDecryptionFailed; a replay or stale request is CodeDecryptionFailed too,
// with a distinct message.
func (s *Service) decryptRequest(ctx context.Context, tx store.Tx, sc eciesScope, r EciesRequest) ([]byte, *protocol.EciesEnvelope, error) {
	req, version, err := r.parse(s.cfg.LegacyProtocolVersionInference)
	if err != nil {
		return nil, nil, err
	}
	key, ectx, err := s.eciesKey(ctx, tx, sc, version, req.TemporaryKeyID)
	if err != nil {
		return nil, nil, err
	}
	if err := s.checkEciesTimestamp(req.Timestamp); err != nil {
		return nil, nil, err
	}
	plain, env, err := protocol.DecryptRequest(key, ectx, req)
	if err != nil {
		return nil, nil, Wrap(CodeDecryptionFailed, "Decryption failed.", err)
	}
	if err := s.recordEciesReplay(ctx, tx, sc, env); err != nil {
		return nil, nil, err
	}
	return plain, env, nil
}

// eciesKey picks the server private key of a request (master key,
// activation key or 3.3 temporary key) and builds its ECIES context. A
// version below the application's minimum, or in activation scope below
// the version the activation has spoken (the ratchet), is refused first
// (CodeDecryptionFailed).
func (s *Service) eciesKey(ctx context.Context, r store.Reader, sc eciesScope, version, temporaryKeyID string) (*protocol.PrivateKey, protocol.EciesContext, error) {
	if err := checkRequestVersion(sc.app, sc.activation, version); err != nil {
		return nil, protocol.EciesContext{}, err
	}
	ectx := protocol.EciesContext{
		Version:           version,
		SharedInfo1:       sc.sh1,
		ApplicationKey:    sc.version.ApplicationKey,
		ApplicationSecret: sc.version.ApplicationSecret,
		TemporaryKeyID:    temporaryKeyID,
	}
	if sc.activation != nil {
		ectx.ActivationID = sc.activation.ActivationID
		ks, err := s.activationKeys(*sc.activation)
		if err != nil {
			return nil, ectx, err
		}
		ectx.TransportKey = ks.Transport
	}
	var key *protocol.PrivateKey
	var err error
	switch {
	case temporaryKeyID != "":
		key, err = s.temporaryPrivateKey(ctx, r, temporaryKeyID, sc)
	case sc.activation != nil:
		key, err = s.activationServerKey(*sc.activation)
	default:
		key, _, err = s.masterKey(ctx, r, sc.app)
	}
	if err != nil {
		return nil, ectx, err
	}
	return key, ectx, nil
}

// checkEciesTimestamp rejects a request timestamp (ms; 0 = none, before
// 3.2) that is too old or too far in the future.
func (s *Service) checkEciesTimestamp(ts int64) error {
	if ts == 0 {
		return nil
	}
	if err := protocol.CheckRequestTimestamp(ts, s.now(), s.cfg.EciesMaxAge, s.cfg.EciesMaxFuture); err != nil {
		return Wrap(CodeDecryptionFailed, "Encrypted request is expired or its timestamp is in the future.", err)
	}
	return nil
}

// recordEciesReplay records the request of env in the replay cache (3.2+)
// and rejects a request that was seen before.
func (s *Service) recordEciesReplay(ctx context.Context, tx store.Tx, sc eciesScope, env *protocol.EciesEnvelope) error {
	if !env.RequiresReplayCheck() {
		return nil
	}
	typ := domain.UniqueValueECIESApplicationScope
	if sc.activation != nil {
		typ = domain.UniqueValueECIESActivationScope
	}
	// Keep the value until the request could no longer pass the age check.
	expires := s.Now().Add(s.cfg.EciesMaxAge + s.cfg.EciesMaxFuture)
	err := tx.InsertUniqueValue(ctx, domain.UniqueValue{Type: typ, Value: env.ReplayKey(), Expires: expires})
	if errors.Is(err, store.ErrAlreadyExists) {
		return Errorf(CodeDecryptionFailed, "Encrypted request was already used (replay).")
	}
	if err != nil {
		return fmt.Errorf("replay cache: %w", err)
	}
	return nil
}

// encryptResponse encrypts a response with the request's envelope.
func (s *Service) encryptResponse(env *protocol.EciesEnvelope, plaintext []byte) (*EciesResponse, error) {
	resp, err := env.EncryptResponse(plaintext, s.now())
	if err != nil {
		return nil, Wrap(CodeEncryptionFailed, "Encryption failed.", err)
	}
	enc := base64.StdEncoding
	out := &EciesResponse{EncryptedData: enc.EncodeToString(resp.EncryptedData), Mac: enc.EncodeToString(resp.MAC)}
	if resp.Nonce != nil {
		out.Nonce = enc.EncodeToString(resp.Nonce)
	}
	if resp.Timestamp != 0 {
		ts := resp.Timestamp
		out.Timestamp = &ts
	}
	return out, nil
}

// temporaryPrivateKey loads a 3.3 temporary key and checks that it is
// unexpired and bound to the same application key and activation (none in
// application scope). Any mismatch is CodeMissingTemporaryKey.
func (s *Service) temporaryPrivateKey(ctx context.Context, r store.Reader, id string, sc eciesScope) (*protocol.PrivateKey, error) {
	missing := Errorf(CodeMissingTemporaryKey, "Temporary key is missing or expired.")
	k, err := r.GetTemporaryKey(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return nil, missing
	}
	if err != nil {
		return nil, fmt.Errorf("load temporary key: %w", err)
	}
	wantActivation := ""
	if sc.activation != nil {
		wantActivation = sc.activation.ActivationID
	}
	if !k.Expires.After(s.now()) || k.ApplicationKey != sc.version.ApplicationKey || k.ActivationID != wantActivation {
		return nil, missing
	}
	return s.openPrivateKey(k.PrivateKeyEncrypted, temporaryKeyContext(k.ID))
}
