package render

import (
	"net"
	"net/http"

	"github.com/mauth/mauth/internal/domain"
)

// maxUserAgent bounds the User-Agent kept for the audit log.
const maxUserAgent = 512

// WithRequestInfo wraps h so that every request's context carries its
// client address, User-Agent and actor (domain.WithRequestInfo) for the
// audit log. actor names the surface, e.g. "private-api"; when the request
// has HTTP Basic credentials, their user name (an integration's client
// token, never the password) is appended after a colon. The client
// address is the one recorded by WithClientAddr (the app resolves it from
// the forwarded header of a trusted proxy), else the TCP peer. The
// pattern the wrapped mux matched is copied back to the outer request.
func WithRequestInfo(actor string, h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ri := domain.RequestInfo{Actor: actor, UserAgent: r.UserAgent()}
		if len(ri.UserAgent) > maxUserAgent {
			ri.UserAgent = ri.UserAgent[:maxUserAgent]
		}
		if a := ClientAddr(r.Context()); a != "" {
			ri.IP = a
		} else if host, _, err := net.SplitHostPort(r.RemoteAddr); err == nil {
			ri.IP = host
		} else {
			ri.IP = r.RemoteAddr
		}
		if user, _, ok := r.BasicAuth(); ok && user != "" {
			if len(user) > 64 {
				user = user[:64]
			}
			ri.Actor += ":" + user
		}
		inner := r.WithContext(domain.WithRequestInfo(r.Context(), ri))
		h.ServeHTTP(w, inner)
		// Outer middleware (access logs) reads the route the mux matched.
		r.Pattern = inner.Pattern
	})
}
