package deviceauth

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"

	"github.com/mauth/mauth/internal/api/render"
)

// DefaultMaxBodyBytes limits request bodies behind a Guard (1 MiB).
const DefaultMaxBodyBytes = 1 << 20

// Error codes of the Mobile Token API's dialect that Guard answers with.
const (
	CodeInvalidRequest = "INVALID_REQUEST"
	CodeAuthFail       = "POWERAUTH_AUTH_FAIL"
)

// The answers of Guard.
var (
	// FailInvalidRequest is an unreadable request.
	FailInvalidRequest = render.APIError{Status: http.StatusBadRequest, Code: CodeInvalidRequest, Message: "Invalid request."}
	// FailAuth is a request a guard did not authenticate.
	FailAuth = render.APIError{Status: http.StatusUnauthorized, Code: CodeAuthFail, Message: "PowerAuth authentication failed."}
)

// Guard runs a handler behind request guards (signature, MAC token,
// encryption: see Guards) and speaks the Mobile Token API's error dialect:
// a 401 of a guard becomes 401 POWERAUTH_AUTH_FAIL, other guard errors
// pass through unchanged. OnAuthFail, when set, is called with the raw
// request body after a 401 of a guard (the handler did not run).
type Guard struct {
	// Middleware are the guards, outermost first.
	Middleware []func(http.Handler) http.Handler
	// OnAuthFail reacts to a rejected authentication (optional).
	OnAuthFail func(r *http.Request, body []byte)
	// MaxBodyBytes limits the body (default DefaultMaxBodyBytes).
	MaxBodyBytes int64
	// Logger receives the causes of rejected requests.
	Logger *slog.Logger
}

// Wrap returns h behind the guards.
func (g Guard) Wrap(h http.Handler) http.Handler {
	limit := g.MaxBodyBytes
	if limit <= 0 {
		limit = DefaultMaxBodyBytes
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(io.LimitReader(r.Body, limit+1))
		if err != nil {
			render.Error(w, r, g.Logger, FailInvalidRequest.Withf("read body: %w", err))
			return
		}
		if int64(len(body)) > limit {
			render.ErrorResponse(w, http.StatusRequestEntityTooLarge, render.ErrorObject{Code: render.CodeHTTPRequest, Message: "Request body is too large."})
			return
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		gw := &gateWriter{real: w, header: http.Header{}}
		inner := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			gw.open = true
			h.ServeHTTP(w, r)
		})
		var chained http.Handler = inner
		for i := len(g.Middleware) - 1; i >= 0; i-- {
			chained = g.Middleware[i](chained)
		}
		chained.ServeHTTP(gw, r)
		if gw.open {
			return
		}
		// A guard answered: translate its authentication failures.
		status := gw.status
		if status == 0 {
			status = http.StatusOK
		}
		if status == http.StatusUnauthorized {
			if g.OnAuthFail != nil {
				g.OnAuthFail(r, body)
			}
			reason := errors.New("request guard rejected the authentication")
			var env struct {
				ResponseObject struct {
					Message string `json:"message"`
				} `json:"responseObject"`
			}
			if json.Unmarshal(gw.buf.Bytes(), &env) == nil && env.ResponseObject.Message != "" {
				reason = errors.New(env.ResponseObject.Message)
			}
			render.Error(w, r, g.Logger, FailAuth.With(reason))
			return
		}
		for k, vs := range gw.header {
			w.Header()[k] = vs
		}
		w.WriteHeader(status)
		_, _ = w.Write(gw.buf.Bytes())
	})
}

// gateWriter buffers what the guards answer until the handler is reached;
// from then on it writes through.
type gateWriter struct {
	real   http.ResponseWriter
	open   bool
	header http.Header
	status int
	buf    bytes.Buffer
}

func (g *gateWriter) Header() http.Header {
	if g.open {
		return g.real.Header()
	}
	return g.header
}

func (g *gateWriter) WriteHeader(status int) {
	if g.open {
		g.real.WriteHeader(status)
		return
	}
	if g.status == 0 {
		g.status = status
	}
}

func (g *gateWriter) Write(b []byte) (int, error) {
	if g.open {
		return g.real.Write(b)
	}
	if g.status == 0 {
		g.status = http.StatusOK
	}
	return g.buf.Write(b)
}
