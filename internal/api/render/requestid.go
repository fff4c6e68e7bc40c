package render

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"log/slog"
	"net"
	"net/http"
	"time"
)

// RequestIDHeader carries the request id in requests and responses.
const RequestIDHeader = "X-Request-ID"

// maxRequestIDLen bounds an accepted request id.
const maxRequestIDLen = 128

type requestIDKey struct{}

// RequestIDFrom returns the request id stored in ctx, "" when none.
func RequestIDFrom(ctx context.Context) string {
	id, _ := ctx.Value(requestIDKey{}).(string)
	return id
}

// WithRequestID stores a request id in ctx.
func WithRequestID(ctx context.Context, id string) context.Context {
	return context.WithValue(ctx, requestIDKey{}, id)
}

// ValidRequestID reports whether a client-supplied id may be used: 1 to 128
// characters from [A-Za-z0-9._:-] (so it is safe in logs and headers).
func ValidRequestID(id string) bool {
	if id == "" || len(id) > maxRequestIDLen {
		return false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c == '-', c == '_', c == '.', c == ':':
		default:
			return false
		}
	}
	return true
}

// NewRequestID returns 16 random bytes in hex.
func NewRequestID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// StatusRecorder wraps a ResponseWriter and remembers the status and the
// number of body bytes written.
type StatusRecorder struct {
	http.ResponseWriter
	// Status is the HTTP status written (200 when only a body was written).
	Status int
	// Bytes counts the body bytes written.
	Bytes int64
}

// WriteHeader implements http.ResponseWriter.
func (r *StatusRecorder) WriteHeader(code int) {
	if r.Status == 0 {
		r.Status = code
	}
	r.ResponseWriter.WriteHeader(code)
}

// Write implements http.ResponseWriter.
func (r *StatusRecorder) Write(b []byte) (int, error) {
	if r.Status == 0 {
		r.Status = http.StatusOK
	}
	n, err := r.ResponseWriter.Write(b)
	r.Bytes += int64(n)
	return n, err
}

// Unwrap lets http.ResponseController reach the underlying writer.
func (r *StatusRecorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }

// StatusCode is the written status, 200 when nothing was written.
func (r *StatusRecorder) StatusCode() int {
	if r.Status == 0 {
		return http.StatusOK
	}
	return r.Status
}

// AccessLog assigns every request an id (the client's X-Request-ID when it
// is valid, else a random one), returns it in the X-Request-ID response
// header, stores it in the request context (see RequestIDFrom and
// LogHandler) and logs one access line per request at info level: api,
// method, path, route pattern, status, bytes, duration, remote address (the
// TCP peer), client address (when WithClientAddr recorded one that differs
// from the peer: the client behind a trusted proxy) and user agent.
// Bodies, query strings and authorization headers are never logged.
func AccessLog(log *slog.Logger, api string, next http.Handler) http.Handler {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		id := r.Header.Get(RequestIDHeader)
		if !ValidRequestID(id) {
			id = NewRequestID()
		}
		w.Header().Set(RequestIDHeader, id)
		r = r.WithContext(WithRequestID(r.Context(), id))
		rec := &StatusRecorder{ResponseWriter: w}
		next.ServeHTTP(rec, r)
		attrs := []slog.Attr{
			slog.String("api", api),
			slog.String("method", r.Method),
			slog.String("path", r.URL.Path),
			slog.String("route", r.Pattern),
			slog.Int("status", rec.StatusCode()),
			slog.Int64("bytes", rec.Bytes),
			slog.Duration("duration", time.Since(start)),
			slog.String("remote", r.RemoteAddr),
			slog.String("userAgent", r.UserAgent()),
		}
		if c := ClientAddr(r.Context()); c != "" {
			if host, _, err := net.SplitHostPort(r.RemoteAddr); err != nil || host != c {
				attrs = append(attrs, slog.String("client", c))
			}
		}
		log.LogAttrs(r.Context(), slog.LevelInfo, "http request", attrs...)
	})
}

// LogHandler wraps a slog.Handler so that every record logged with a
// request's context carries its request id (attribute "requestId").
func LogHandler(h slog.Handler) slog.Handler { return &logHandler{h} }

type logHandler struct{ slog.Handler }

// Handle implements slog.Handler.
func (h *logHandler) Handle(ctx context.Context, rec slog.Record) error {
	if id := RequestIDFrom(ctx); id != "" {
		rec = rec.Clone()
		rec.AddAttrs(slog.String("requestId", id))
	}
	return h.Handler.Handle(ctx, rec)
}

// WithAttrs implements slog.Handler.
func (h *logHandler) WithAttrs(as []slog.Attr) slog.Handler {
	return &logHandler{h.Handler.WithAttrs(as)}
}

// WithGroup implements slog.Handler.
func (h *logHandler) WithGroup(name string) slog.Handler {
	return &logHandler{h.Handler.WithGroup(name)}
}
