package domain

import "context"

// RequestInfo describes the request a core call serves, for the audit
// log: the HTTP layer puts it into the context (WithRequestInfo), the
// audit writers read it (RequestInfoOf). It lives here so that the HTTP
// layer sets it without knowing the core.
type RequestInfo struct {
	// IP is the client address.
	IP string
	// UserAgent is the client's User-Agent header.
	UserAgent string
	// Actor names who calls: e.g. "private-api:<integration client token>"
	// or "public-api".
	Actor string
}

type requestInfoKey struct{}

// WithRequestInfo returns ctx carrying ri.
func WithRequestInfo(ctx context.Context, ri RequestInfo) context.Context {
	return context.WithValue(ctx, requestInfoKey{}, ri)
}

// RequestInfoOf returns the request info ctx carries (zero when none).
func RequestInfoOf(ctx context.Context) RequestInfo {
	ri, _ := ctx.Value(requestInfoKey{}).(RequestInfo)
	return ri
}
