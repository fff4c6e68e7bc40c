package public

import (
	"bytes"
	"context"
	"encoding/base64"
	"fmt"
	"net/http"
	"strings"

	"github.com/mauth/mauth/internal/deviceauth"
	"github.com/mauth/mauth/internal/service"
	"github.com/mauth/mauth/protocol"
)

// EncryptionContext describes the ECIES envelope of a request that
// Encrypted decrypted (one definition, shared with the other device-facing
// surfaces through deviceauth).
type EncryptionContext = deviceauth.Envelope

// EncryptionFromContext returns the envelope of a request that passed Encrypted.
func EncryptionFromContext(ctx context.Context) (*EncryptionContext, bool) {
	return deviceauth.EnvelopeFromContext(ctx)
}

// Encrypted makes a handler end-to-end encrypted in scope with the
// SHARED_INFO_1 value sh1 (the core serves the generic values,
// protocol.SharedInfo1GenericApplication and SharedInfo1GenericActivation).
// The request body must be an ECIES cryptogram; the version, application
// key and activation come from the X-PowerAuth-Encryption header or, for a
// signed request without that header, from the signature (encrypt then
// sign: put RequireSignature first). The core checks the application, the
// activation (ACTIVE, same application), the timestamp window and replays
// and hands over the envelope secrets; the cryptogram is verified and
// decrypted here and the handler reads the plaintext as its body. A 2xx
// answer of the handler is encrypted with the same envelope; error answers
// pass through unencrypted. Bad envelopes are 400 ERR_ENCRYPTION (or
// ERR_TEMPORARY_KEY for an unknown or expired 3.3 temporary key).
//
// It panics when sh1 does not belong to scope (a wiring mistake).
func (m *Middleware) Encrypted(scope protocol.EciesScope, sh1 string) func(http.Handler) http.Handler {
	if s, ok := protocol.SharedInfo1Scope(sh1); !ok || s != scope {
		panic(fmt.Sprintf("public: SHARED_INFO_1 %q does not belong to the %s scope", sh1, scope))
	}
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			ec, err := encryptionParams(r, scope)
			if err != nil {
				m.fail(w, r, err)
				return
			}
			body, r, err := m.readBody(r)
			if err != nil {
				m.fail(w, r, err)
				return
			}
			env, plain, err := m.open(r.Context(), ec, sh1, body)
			if err != nil {
				m.fail(w, r, err)
				return
			}
			r = replaceBody(r, plain)
			r = r.WithContext(deviceauth.WithEnvelope(r.Context(), ec))
			cw := &captureWriter{header: http.Header{}}
			next.ServeHTTP(cw, r)
			m.finish(w, r, cw, env)
		})
	}
}

// encryptionParams determines the envelope parameters of a request: from
// X-PowerAuth-Encryption when present, else from a verified signature.
func encryptionParams(r *http.Request, scope protocol.EciesScope) (*EncryptionContext, error) {
	auth, authenticated := deviceauth.AuthFromContext(r.Context())
	ec := &EncryptionContext{Scope: scope}
	if raw := r.Header.Get(protocol.HeaderEncryption); strings.TrimSpace(raw) != "" {
		h, err := protocol.ParseEncryptionHeader(raw)
		if err != nil {
			return nil, failEncryption.With(err)
		}
		ec.Version, ec.ApplicationKey, ec.ActivationID = h.Version, h.ApplicationKey, h.ActivationID
		if scope == protocol.EciesScopeApplication && h.HasActivationID() {
			return nil, failEncryption.Withf("activation_id is not allowed in application scope")
		}
	} else if authenticated && auth.Method == deviceauth.AuthSignature {
		ec.Version, ec.ApplicationKey = auth.Version, auth.ApplicationKey
		if scope == protocol.EciesScopeActivation {
			ec.ActivationID = auth.ActivationID
		}
	} else {
		return nil, failEncryption.Withf("missing %s header", protocol.HeaderEncryption)
	}
	if scope == protocol.EciesScopeActivation {
		if ec.ActivationID == "" {
			return nil, failEncryption.Withf("activation_id is required in activation scope")
		}
		if authenticated && ec.ActivationID != auth.ActivationID {
			return nil, failEncryption.Withf("encryption activation %s differs from the authenticated activation %s", ec.ActivationID, auth.ActivationID)
		}
	}
	if authenticated && auth.ApplicationKey != "" && ec.ApplicationKey != auth.ApplicationKey {
		return nil, failEncryption.Withf("encryption application key differs from the signature's")
	}
	return ec, nil
}

// open asks the core for the envelope secrets of the request and decrypts it.
func (m *Middleware) open(ctx context.Context, ec *EncryptionContext, sh1 string, body []byte) (*protocol.EciesEnvelope, []byte, error) {
	req, err := protocol.ParseEncryptedRequest(body, ec.Version)
	if err != nil {
		return nil, nil, failEncryption.With(err)
	}
	ec.TemporaryKeyID = req.TemporaryKeyID
	enc := base64.StdEncoding
	in := service.EciesDecryptorInput{
		ActivationID:       ec.ActivationID,
		ApplicationKey:     ec.ApplicationKey,
		EphemeralPublicKey: enc.EncodeToString(req.EphemeralPublicKey),
		ProtocolVersion:    ec.Version,
		TemporaryKeyID:     req.TemporaryKeyID,
	}
	if req.Nonce != nil {
		in.Nonce = enc.EncodeToString(req.Nonce)
	}
	if req.Timestamp != 0 {
		ts := req.Timestamp
		in.Timestamp = &ts
	}
	secrets, err := m.core.EciesDecryptor(ctx, in)
	if err != nil {
		return nil, nil, coreError(err, failEncryption)
	}
	ectx := protocol.EciesContext{
		Version:        ec.Version,
		SharedInfo1:    sh1,
		ApplicationKey: ec.ApplicationKey,
		ActivationID:   ec.ActivationID,
		TemporaryKeyID: req.TemporaryKeyID,
	}
	env, err := protocol.NewEciesEnvelopeFromSecrets(secrets, ectx, req.EphemeralPublicKey, req.Nonce, req.Timestamp)
	if err != nil {
		return nil, nil, failEncryption.With(err)
	}
	plain, err := env.OpenRequest(req)
	if err != nil {
		return nil, nil, failEncryption.With(err)
	}
	return env, plain, nil
}

// finish writes the handler's answer: a 2xx body encrypted with env,
// anything else as it is.
func (m *Middleware) finish(w http.ResponseWriter, r *http.Request, cw *captureWriter, env *protocol.EciesEnvelope) {
	status := cw.status
	if status == 0 {
		status = http.StatusOK
	}
	if status/100 != 2 {
		copyHeader(w.Header(), cw.header)
		w.WriteHeader(status)
		_, _ = w.Write(cw.buf.Bytes())
		return
	}
	resp, err := env.EncryptResponse(cw.buf.Bytes(), m.now())
	if err != nil {
		m.fail(w, r, fmt.Errorf("encrypt response: %w", err))
		return
	}
	out, err := resp.Marshal()
	if err != nil {
		m.fail(w, r, fmt.Errorf("encode encrypted response: %w", err))
		return
	}
	copyHeader(w.Header(), cw.header)
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(out)
}

func copyHeader(dst, src http.Header) {
	for k, vs := range src {
		if http.CanonicalHeaderKey(k) == "Content-Length" {
			continue
		}
		dst[k] = append([]string(nil), vs...)
	}
}

// captureWriter buffers a handler's answer so that it can be encrypted.
type captureWriter struct {
	header http.Header
	status int
	buf    bytes.Buffer
}

func (c *captureWriter) Header() http.Header { return c.header }

func (c *captureWriter) WriteHeader(status int) {
	if c.status == 0 {
		c.status = status
	}
}

func (c *captureWriter) Write(b []byte) (int, error) {
	if c.status == 0 {
		c.status = http.StatusOK
	}
	return c.buf.Write(b)
}
