package public

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"time"

	"github.com/mauth/mauth/internal/api/render"
	"github.com/mauth/mauth/internal/deviceauth"
)

// DefaultMaxBodyBytes is the default request body limit (1 MiB).
const DefaultMaxBodyBytes = 1 << 20

// MiddlewareOptions configure the request guards.
type MiddlewareOptions struct {
	// Logger receives rejected requests and internal failures (never secrets).
	Logger *slog.Logger
	// MaxBodyBytes limits request bodies (default DefaultMaxBodyBytes);
	// a larger body is answered 413 ERROR_HTTP_REQUEST.
	MaxBodyBytes int64
	// Now is the clock used for encrypted responses (default time.Now).
	Now func() time.Time
}

// Middleware builds the PowerAuth request guards every mobile-facing surface
// uses: "needs a signature of these factor types" (RequireSignature), "needs
// a MAC token" (RequireToken) and "is end-to-end encrypted in this scope"
// (Encrypted). They compose with Chain; the authenticated device is in the
// request context (deviceauth.AuthFromContext), the decryption context too
// (EncryptionFromContext).
//
// Every guard answers bad input with a 4xx error envelope and never
// reaches the handler; a failure of the core is a 500 without detail.
type Middleware struct {
	core    Core
	log     *slog.Logger
	maxBody int64
	now     func() time.Time
}

// The middleware is the guards of the device-facing surfaces.
var _ deviceauth.Guards = (*Middleware)(nil)

// NewMiddleware builds the guards over a core.
func NewMiddleware(core Core, opts MiddlewareOptions) *Middleware {
	m := &Middleware{core: core, log: opts.Logger, maxBody: opts.MaxBodyBytes, now: opts.Now}
	if m.log == nil {
		m.log = slog.New(slog.DiscardHandler)
	}
	if m.maxBody <= 0 {
		m.maxBody = DefaultMaxBodyBytes
	}
	if m.now == nil {
		m.now = time.Now
	}
	return m
}

// Chain wraps h in the middleware mw; mw[0] is the outermost, so
// Chain(h, sign, decrypt) verifies the signature over the encrypted body
// first and then decrypts it for h.
func Chain(h http.Handler, mw ...func(http.Handler) http.Handler) http.Handler {
	for i := len(mw) - 1; i >= 0; i-- {
		h = mw[i](h)
	}
	return h
}

// fail answers err (see render.Error).
func (m *Middleware) fail(w http.ResponseWriter, r *http.Request, err error) {
	render.Error(w, r, m.log, err)
}

type bodyKey struct{}

// readBody returns the request body, read at most once per request and
// within the size limit. The body stays readable for the next handler.
func (m *Middleware) readBody(r *http.Request) ([]byte, *http.Request, error) {
	if b, ok := r.Context().Value(bodyKey{}).(*[]byte); ok && b != nil {
		r.Body = io.NopCloser(bytes.NewReader(*b))
		return *b, r, nil
	}
	b, err := readLimited(r.Body, m.maxBody)
	if err != nil {
		return nil, r, err
	}
	r = r.WithContext(context.WithValue(r.Context(), bodyKey{}, &b))
	r.Body = io.NopCloser(bytes.NewReader(b))
	return b, r, nil
}

// replaceBody makes body the request body for the next handlers.
func replaceBody(r *http.Request, body []byte) *http.Request {
	r = r.WithContext(context.WithValue(r.Context(), bodyKey{}, &body))
	r.Body = io.NopCloser(bytes.NewReader(body))
	r.ContentLength = int64(len(body))
	return r
}

// readLimited reads body completely, failing with 413 above limit bytes.
func readLimited(body io.Reader, limit int64) ([]byte, error) {
	if body == nil || body == http.NoBody {
		return []byte{}, nil
	}
	b, err := io.ReadAll(io.LimitReader(body, limit+1))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return nil, errBodyTooLarge(limit)
		}
		return nil, failUnreadable.Withf("read request body: %w", err)
	}
	if int64(len(b)) > limit {
		return nil, errBodyTooLarge(limit)
	}
	return b, nil
}
