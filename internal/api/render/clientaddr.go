package render

import "context"

// clientAddrKey is the context key of the resolved client address.
type clientAddrKey struct{}

// WithClientAddr records the client address of a request that came
// through a trusted reverse proxy (or the TCP peer) for WithRequestInfo
// and AccessLog.
func WithClientAddr(ctx context.Context, addr string) context.Context {
	return context.WithValue(ctx, clientAddrKey{}, addr)
}

// ClientAddr returns the address recorded by WithClientAddr, "" when none.
func ClientAddr(ctx context.Context) string {
	s, _ := ctx.Value(clientAddrKey{}).(string)
	return s
}
