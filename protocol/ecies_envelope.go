package protocol

import (
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"sync/atomic"
	"time"
)

// EciesSecrets are the per-request secrets a server hands to an edge that
// decrypts and encrypts payloads itself (the ECIES decryptor call returns
// them as secretKey and sharedInfo2). Treat them as keys: never log them.
type EciesSecrets struct {
	// EnvelopeKey is the 48-byte X9.63 envelope key K_ENC || K_MAC || K_IV.
	EnvelopeKey []byte
	// SharedInfo2Base is SH2_BASE (32 bytes).
	SharedInfo2Base []byte
}

// String hides the secret values.
func (EciesSecrets) String() string { return "EciesSecrets{redacted}" }

// GoString hides the secret values.
func (EciesSecrets) GoString() string { return "EciesSecrets{redacted}" }

// EciesEnvelope is the state shared by one ECIES request and its response:
// the envelope key, the context and the request's ephemeral key, nonce and
// timestamp. Each envelope serves exactly one request/response pair; a second
// response encryption fails with ErrEciesEnvelopeUsed. It is safe for
// concurrent use.
type EciesEnvelope struct {
	ctx       EciesContext
	key       []byte // 48 bytes
	sh2Base   []byte
	ad        []byte
	ephemeral []byte // as transmitted
	nonce     []byte // nil in 3.0
	timestamp int64  // 0 before 3.2
	responded atomic.Bool
}

// String describes the envelope without its secrets.
func (e *EciesEnvelope) String() string {
	return fmt.Sprintf("EciesEnvelope{%s}", e.ctx.String())
}

// GoString is like String, so %#v does not print secrets either.
func (e *EciesEnvelope) GoString() string { return e.String() }

// NewEciesEnvelope builds an envelope from a known envelope key, the
// context (which must validate, secrets included) and the request's
// ephemeral public key bytes as transmitted, nonce (nil in 3.0, 16 bytes
// otherwise) and timestamp in ms (0 before 3.2, positive from 3.2).
// It is the low-level entry point used with test vectors and by code that
// obtained the envelope key elsewhere.
func NewEciesEnvelope(envelopeKey []byte, ctx EciesContext, ephemeralPublicKey, requestNonce []byte, requestTimestamp int64) (*EciesEnvelope, error) {
	if err := ctx.Validate(); err != nil {
		return nil, err
	}
	return newEciesEnvelope(envelopeKey, ctx.sharedInfo2Base(), ctx, ephemeralPublicKey, requestNonce, requestTimestamp, true)
}

// NewEciesEnvelopeFromSecrets builds an envelope from secrets returned by
// EciesEnvelope.Secrets (for an edge that knows neither the application
// secret nor the transport key). ctx.ApplicationSecret and ctx.TransportKey
// may be empty; the rest of the context must validate.
func NewEciesEnvelopeFromSecrets(secrets EciesSecrets, ctx EciesContext, ephemeralPublicKey, requestNonce []byte, requestTimestamp int64) (*EciesEnvelope, error) {
	if err := ctx.validate(false); err != nil {
		return nil, err
	}
	if len(secrets.SharedInfo2Base) != 32 {
		return nil, fmt.Errorf("%w: SHARED_INFO_2 base must be 32 bytes, got %d", ErrEciesContext, len(secrets.SharedInfo2Base))
	}
	return newEciesEnvelope(secrets.EnvelopeKey, secrets.SharedInfo2Base, ctx, ephemeralPublicKey, requestNonce, requestTimestamp, true)
}

// NewServerEciesEnvelope derives the envelope key on the server from the
// private key matching KEY_ENC_PUB and the request's ephemeral public key
// bytes, nonce and timestamp (the inputs of the ECIES decryptor call).
func NewServerEciesEnvelope(encPriv *PrivateKey, ctx EciesContext, ephemeralPublicKey, requestNonce []byte, requestTimestamp int64) (*EciesEnvelope, error) {
	if encPriv == nil {
		return nil, fmt.Errorf("%w: missing private key", ErrEciesContext)
	}
	if err := ctx.Validate(); err != nil {
		return nil, err
	}
	eph, err := ParsePublicKey(ephemeralPublicKey)
	if err != nil {
		return nil, fmt.Errorf("%w: ephemeral public key: %w", ErrEciesMalformed, err)
	}
	z, err := encPriv.SharedSecret(eph)
	if err != nil {
		return nil, fmt.Errorf("%w: ephemeral public key: %w", ErrEciesMalformed, err)
	}
	key := eciesEnvelopeKey(z, ctx, ephemeralPublicKey)
	return newEciesEnvelope(key, ctx.sharedInfo2Base(), ctx, ephemeralPublicKey, requestNonce, requestTimestamp, false)
}

// eciesEnvelopeKey computes K = KDF_X9_63_SHA256(Z, SH1_eff || E, 48).
func eciesEnvelopeKey(z []byte, ctx EciesContext, ephemeral []byte) []byte {
	sh1 := ctx.SharedInfo1Bytes()
	info := make([]byte, 0, len(sh1)+len(ephemeral))
	info = append(append(info, sh1...), ephemeral...)
	return KDFX963SHA256(z, info, EciesEnvelopeKeySize)
}

// newEciesEnvelope builds an envelope; checkKey says whether the ephemeral
// key still has to be validated as a curve point.
func newEciesEnvelope(key, sh2Base []byte, ctx EciesContext, ephemeral, nonce []byte, ts int64, checkKey bool) (*EciesEnvelope, error) {
	if len(key) != EciesEnvelopeKeySize {
		return nil, fmt.Errorf("%w: envelope key must be %d bytes, got %d", ErrEciesContext, EciesEnvelopeKeySize, len(key))
	}
	if len(ephemeral) != 33 && len(ephemeral) != 65 {
		return nil, fmt.Errorf("%w: ephemeral public key length %d", ErrEciesMalformed, len(ephemeral))
	}
	if checkKey {
		if _, err := ParsePublicKey(ephemeral); err != nil {
			return nil, fmt.Errorf("%w: ephemeral public key: %w", ErrEciesMalformed, err)
		}
	}
	if err := eciesCheckNonceTimestamp(ctx.Version, nonce, ts); err != nil {
		return nil, fmt.Errorf("%w: request %w", ErrEciesMalformed, err)
	}
	return &EciesEnvelope{
		ctx:       ctx.clone(),
		key:       eciesClone(key),
		sh2Base:   eciesClone(sh2Base),
		ad:        ctx.AssociatedData(),
		ephemeral: eciesClone(ephemeral),
		nonce:     eciesClone(nonce),
		timestamp: ts,
	}, nil
}

// eciesClone copies b, keeping nil as nil.
func eciesClone(b []byte) []byte {
	if b == nil {
		return nil
	}
	return append([]byte{}, b...)
}

// eciesCheckNonceTimestamp enforces the version matrix for a nonce and a
// timestamp (0 meaning absent).
func eciesCheckNonceTimestamp(version string, nonce []byte, ts int64) error {
	if eciesHasNonce(version) {
		if len(nonce) != EciesNonceSize {
			return fmt.Errorf("nonce must be %d bytes in version %s, got %d", EciesNonceSize, version, len(nonce))
		}
	} else if nonce != nil {
		return fmt.Errorf("nonce not allowed in version %s", version)
	}
	if eciesHasTimestamp(version) {
		if ts <= 0 {
			return fmt.Errorf("timestamp required in version %s", version)
		}
	} else if ts != 0 {
		return fmt.Errorf("timestamp not allowed in version %s", version)
	}
	return nil
}

func (e *EciesEnvelope) encKey() []byte { return e.key[0:16] }
func (e *EciesEnvelope) macKey() []byte { return e.key[16:32] }
func (e *EciesEnvelope) ivKey() []byte  { return e.key[32:48] }

// iv returns the CBC IV for a nonce: zero in 3.0, KDF_INTERNAL(K_IV, nonce) after.
func (e *EciesEnvelope) iv(nonce []byte) []byte {
	if !eciesHasNonce(e.ctx.Version) {
		return make([]byte, 16)
	}
	return KDFInternal(e.ivKey(), nonce)
}

// sharedInfo2 returns SH2 for the given nonce, timestamp and ephemeral key
// slot: the base in 3.0/3.1, concatWithSizes(base, nonce, BE64(ts), E, AD) after.
func (e *EciesEnvelope) sharedInfo2(nonce []byte, ts int64, ephemeral []byte) []byte {
	if !eciesHasTimestamp(e.ctx.Version) {
		return append([]byte(nil), e.sh2Base...)
	}
	var tsb [8]byte
	binary.BigEndian.PutUint64(tsb[:], uint64(ts))
	return ConcatWithSizes(e.sh2Base, nonce, tsb[:], ephemeral, e.ad)
}

// seal encrypts and MACs plaintext.
func (e *EciesEnvelope) seal(plaintext, iv, sh2 []byte) (ct, mac []byte, err error) {
	ct, err = EncryptCBC(e.encKey(), iv, plaintext)
	if err != nil {
		return nil, nil, fmt.Errorf("ecies encrypt: %w", err)
	}
	return ct, HMACSHA256(e.macKey(), ct, sh2), nil
}

// open verifies the MAC in constant time and only then decrypts.
func (e *EciesEnvelope) open(ct, mac, iv, sh2 []byte) ([]byte, error) {
	if !Equal(HMACSHA256(e.macKey(), ct, sh2), mac) {
		return nil, ErrEciesMAC
	}
	pt, err := DecryptCBC(e.encKey(), iv, ct)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrEciesDecrypt, err)
	}
	return pt, nil
}

// SealRequest encrypts a request payload with the envelope's nonce and
// timestamp (client side, low level). EncryptRequest is the usual entry point.
func (e *EciesEnvelope) SealRequest(plaintext []byte) (*EncryptedRequest, error) {
	ct, mac, err := e.seal(plaintext, e.iv(e.nonce), e.RequestSharedInfo2())
	if err != nil {
		return nil, err
	}
	return &EncryptedRequest{
		TemporaryKeyID:     e.ctx.TemporaryKeyID,
		EphemeralPublicKey: append([]byte(nil), e.ephemeral...),
		EncryptedData:      ct,
		MAC:                mac,
		Nonce:              eciesClone(e.nonce),
		Timestamp:          e.timestamp,
	}, nil
}

// OpenRequest verifies and decrypts a request (server side, low level). The
// request's ephemeral key, nonce, timestamp and temporary key ID must be the
// ones the envelope was built from. DecryptRequest is the usual entry point.
func (e *EciesEnvelope) OpenRequest(req *EncryptedRequest) ([]byte, error) {
	if req == nil {
		return nil, fmt.Errorf("%w: nil request", ErrEciesMalformed)
	}
	if err := req.validate(e.ctx.Version); err != nil {
		return nil, err
	}
	if req.TemporaryKeyID != e.ctx.TemporaryKeyID {
		return nil, fmt.Errorf("%w: request names %q", ErrEciesTemporaryKey, req.TemporaryKeyID)
	}
	if !Equal(req.EphemeralPublicKey, e.ephemeral) || !Equal(req.Nonce, e.nonce) || req.Timestamp != e.timestamp {
		return nil, fmt.Errorf("%w: request does not belong to this envelope", ErrEciesMalformed)
	}
	return e.open(req.EncryptedData, req.MAC, e.iv(e.nonce), e.RequestSharedInfo2())
}

// EncryptResponse encrypts the response payload (server side). In 3.2+ it
// uses a fresh random nonce that differs from the request nonce and the
// timestamp now; 3.1 reuses the request nonce for the IV and 3.0 uses a zero
// IV, and neither sends a nonce or timestamp.
func (e *EciesEnvelope) EncryptResponse(plaintext []byte, now time.Time) (*EncryptedResponse, error) {
	if !eciesHasTimestamp(e.ctx.Version) {
		return e.EncryptResponseWithNonce(plaintext, nil, 0)
	}
	nonce := RandomBytes(EciesNonceSize)
	for Equal(nonce, e.nonce) {
		nonce = RandomBytes(EciesNonceSize)
	}
	ts := now.UnixMilli()
	if ts <= 0 {
		return nil, fmt.Errorf("%w: response timestamp %d is not positive", ErrEciesContext, ts)
	}
	return e.EncryptResponseWithNonce(plaintext, nonce, ts)
}

// EncryptResponseWithNonce encrypts the response payload with a caller-chosen
// nonce and timestamp (3.2+; nil and 0 before). The nonce must differ from the
// request nonce. It exists for test vectors; servers use EncryptResponse.
func (e *EciesEnvelope) EncryptResponseWithNonce(plaintext, nonce []byte, timestamp int64) (*EncryptedResponse, error) {
	iv, sh2, err := e.responseParams(nonce, timestamp)
	if err != nil {
		return nil, err
	}
	if eciesHasTimestamp(e.ctx.Version) && Equal(nonce, e.nonce) {
		return nil, fmt.Errorf("%w: response nonce equals the request nonce", ErrEciesContext)
	}
	if !e.responded.CompareAndSwap(false, true) {
		return nil, ErrEciesEnvelopeUsed
	}
	ct, mac, err := e.seal(plaintext, iv, sh2)
	if err != nil {
		return nil, err
	}
	return &EncryptedResponse{EncryptedData: ct, MAC: mac, Nonce: eciesClone(nonce), Timestamp: timestamp}, nil
}

// DecryptResponse verifies and decrypts the server's response (client side).
func (e *EciesEnvelope) DecryptResponse(resp *EncryptedResponse) ([]byte, error) {
	if resp == nil {
		return nil, fmt.Errorf("%w: nil response", ErrEciesMalformed)
	}
	if err := resp.validate(e.ctx.Version); err != nil {
		return nil, err
	}
	iv, sh2, err := e.responseParams(resp.Nonce, resp.Timestamp)
	if err != nil {
		return nil, err
	}
	return e.open(resp.EncryptedData, resp.MAC, iv, sh2)
}

// responseParams returns the response IV and SH2 for the version matrix.
func (e *EciesEnvelope) responseParams(nonce []byte, ts int64) (iv, sh2 []byte, err error) {
	if eciesHasTimestamp(e.ctx.Version) {
		if err := eciesCheckNonceTimestamp(e.ctx.Version, nonce, ts); err != nil {
			return nil, nil, fmt.Errorf("%w: response %w", ErrEciesMalformed, err)
		}
		return e.iv(nonce), e.sharedInfo2(nonce, ts, nil), nil
	}
	if nonce != nil || ts != 0 {
		return nil, nil, fmt.Errorf("%w: response nonce/timestamp not allowed in version %s", ErrEciesMalformed, e.ctx.Version)
	}
	// 3.1 derives the IV from the request nonce, 3.0 uses a zero IV.
	return e.iv(e.nonce), e.sharedInfo2(nil, 0, nil), nil
}

// Context returns a copy of the envelope's context.
func (e *EciesEnvelope) Context() EciesContext { return e.ctx.clone() }

// Secrets returns copies of the envelope key and SH2_BASE, which is what the
// ECIES decryptor call returns (secretKey, sharedInfo2).
func (e *EciesEnvelope) Secrets() EciesSecrets {
	return EciesSecrets{EnvelopeKey: e.EnvelopeKey(), SharedInfo2Base: e.SharedInfo2Base()}
}

// EnvelopeKey returns a copy of the 48-byte envelope key.
func (e *EciesEnvelope) EnvelopeKey() []byte { return append([]byte(nil), e.key...) }

// SharedInfo2Base returns a copy of SH2_BASE.
func (e *EciesEnvelope) SharedInfo2Base() []byte { return append([]byte(nil), e.sh2Base...) }

// RequestSharedInfo2 returns the full SHARED_INFO_2 of the request: the base
// in 3.0/3.1, concatWithSizes(base, nonce, BE64(ts), E, AD) from 3.2.
func (e *EciesEnvelope) RequestSharedInfo2() []byte {
	return e.sharedInfo2(e.nonce, e.timestamp, e.ephemeral)
}

// EphemeralPublicKey returns the request's ephemeral public key bytes as transmitted.
func (e *EciesEnvelope) EphemeralPublicKey() []byte { return append([]byte(nil), e.ephemeral...) }

// RequestNonce returns a copy of the request nonce (nil in 3.0).
func (e *EciesEnvelope) RequestNonce() []byte { return eciesClone(e.nonce) }

// RequestTimestamp returns the request timestamp in ms (0 before 3.2).
func (e *EciesEnvelope) RequestTimestamp() int64 { return e.timestamp }

// RequiresReplayCheck reports whether the server must run the replay check
// (ReplayKey uniqueness and CheckRequestTimestamp): true when the request
// carries a timestamp, i.e. from 3.2.
func (e *EciesEnvelope) RequiresReplayCheck() bool { return eciesHasTimestamp(e.ctx.Version) }

// ReplayKey returns the unique value of the request for the replay cache:
// B64(ephemeralPublicKey || nonce || utf8(activationId)), with an empty
// activation ID in application scope.
func (e *EciesEnvelope) ReplayKey() string {
	b := make([]byte, 0, len(e.ephemeral)+len(e.nonce)+len(e.ctx.ActivationID))
	b = append(append(append(b, e.ephemeral...), e.nonce...), e.ctx.ActivationID...)
	return base64.StdEncoding.EncodeToString(b)
}

// EncryptRequest encrypts a request payload for the holder of encKey
// (client side): it generates an ephemeral key pair (sent compressed, 33
// bytes, as the mobile SDK does), a random nonce (3.1+) and takes the
// timestamp from now (3.2+). The returned envelope decrypts the response.
func EncryptRequest(encKey *PublicKey, ctx EciesContext, plaintext []byte, now time.Time) (*EncryptedRequest, *EciesEnvelope, error) {
	if encKey == nil {
		return nil, nil, fmt.Errorf("%w: missing encryption public key", ErrEciesContext)
	}
	if err := ctx.Validate(); err != nil {
		return nil, nil, err
	}
	ephPriv, err := GenerateKeyPair()
	if err != nil {
		return nil, nil, fmt.Errorf("ecies: %w", err)
	}
	z, err := ephPriv.SharedSecret(encKey)
	if err != nil {
		return nil, nil, fmt.Errorf("ecies: %w", err)
	}
	ephemeral := ephPriv.Public().Compressed()
	var nonce []byte
	if eciesHasNonce(ctx.Version) {
		nonce = RandomBytes(EciesNonceSize)
	}
	var ts int64
	if eciesHasTimestamp(ctx.Version) {
		ts = now.UnixMilli()
		if ts <= 0 {
			return nil, nil, fmt.Errorf("%w: request timestamp %d is not positive", ErrEciesContext, ts)
		}
	}
	env, err := newEciesEnvelope(eciesEnvelopeKey(z, ctx, ephemeral), ctx.sharedInfo2Base(), ctx, ephemeral, nonce, ts, false)
	if err != nil {
		return nil, nil, err
	}
	req, err := env.SealRequest(plaintext)
	if err != nil {
		return nil, nil, err
	}
	return req, env, nil
}

// DecryptRequest verifies and decrypts an encrypted request (server side).
// encPriv is the private key matching KEY_ENC_PUB for the context's version
// and scope (master, activation or temporary key). The MAC is checked in
// constant time before decryption. The returned envelope encrypts the
// response and provides the replay key; the caller still runs the replay
// check (see EciesEnvelope.RequiresReplayCheck).
func DecryptRequest(encPriv *PrivateKey, ctx EciesContext, req *EncryptedRequest) ([]byte, *EciesEnvelope, error) {
	if req == nil {
		return nil, nil, fmt.Errorf("%w: nil request", ErrEciesMalformed)
	}
	if err := ctx.Validate(); err != nil {
		return nil, nil, err
	}
	if err := req.validate(ctx.Version); err != nil {
		return nil, nil, err
	}
	if req.TemporaryKeyID != ctx.TemporaryKeyID {
		return nil, nil, fmt.Errorf("%w: request names %q", ErrEciesTemporaryKey, req.TemporaryKeyID)
	}
	env, err := NewServerEciesEnvelope(encPriv, ctx, req.EphemeralPublicKey, req.Nonce, req.Timestamp)
	if err != nil {
		return nil, nil, err
	}
	pt, err := env.OpenRequest(req)
	if err != nil {
		return nil, nil, err
	}
	return pt, env, nil
}
