package app

import (
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"strings"

	"github.com/mauth/mauth/internal/api/render"
)

// Client address headers a trusted proxy may set (ProxyConfig.Header).
const (
	// HeaderXForwardedFor is the de-facto standard X-Forwarded-For list.
	HeaderXForwardedFor = "X-Forwarded-For"
	// HeaderForwarded is the RFC 7239 Forwarded header (its for= nodes).
	HeaderForwarded = "Forwarded"
)

// maxForwardedHeader bounds the forwarded-header text examined per request;
// a longer chain is cut at the left (the client end), so the entries the
// trusted proxies appended last are still read.
const maxForwardedHeader = 4096

// ProxyConfig tells the public API which TCP peers are reverse proxies
// whose forwarded-client header is believed.
type ProxyConfig struct {
	// Trusted lists the proxies' networks. Empty: no header is believed
	// and every client is its TCP peer.
	Trusted []netip.Prefix
	// Header is HeaderXForwardedFor (the default when empty) or
	// HeaderForwarded: the one header the proxies append the client
	// address to. The other header is ignored: a client could write it.
	Header string
}

// ParseTrustedProxies parses a comma- or space-separated list of CIDR
// networks or single addresses ("10.0.0.0/8, 192.0.2.7, ::1").
func ParseTrustedProxies(s string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for _, f := range strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ' ' || r == '\t' || r == '\n' }) {
		if strings.Contains(f, "/") {
			p, err := netip.ParsePrefix(f)
			if err != nil {
				return nil, fmt.Errorf("not a CIDR network or address: %q", f)
			}
			if p.Addr().Is4In6() {
				p = netip.PrefixFrom(p.Addr().Unmap(), max(0, p.Bits()-96))
			}
			out = append(out, p.Masked())
			continue
		}
		a, err := netip.ParseAddr(f)
		if err != nil {
			return nil, fmt.Errorf("not a CIDR network or address: %q", f)
		}
		a = a.Unmap().WithZone("")
		out = append(out, netip.PrefixFrom(a, a.BitLen()))
	}
	return out, nil
}

// canonicalHeader returns the configured header's canonical name, "" when
// it is neither supported header.
func canonicalHeader(h string) string {
	switch strings.ToLower(strings.TrimSpace(h)) {
	case "", "x-forwarded-for":
		return HeaderXForwardedFor
	case "forwarded":
		return HeaderForwarded
	}
	return ""
}

// Validate reports an unsupported header name.
func (p ProxyConfig) Validate() error {
	if canonicalHeader(p.Header) == "" {
		return fmt.Errorf("unsupported client address header %q (use %s or %s)", p.Header, HeaderXForwardedFor, HeaderForwarded)
	}
	return nil
}

// clientResolver finds a request's client address.
type clientResolver struct {
	trusted []netip.Prefix
	header  string
}

// newClientResolver returns the resolver of p.
func newClientResolver(p ProxyConfig) *clientResolver {
	return &clientResolver{trusted: p.Trusted, header: canonicalHeader(p.Header)}
}

// isTrusted reports whether a is one of the trusted proxies.
func (c *clientResolver) isTrusted(a netip.Addr) bool {
	for _, p := range c.trusted {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// resolve returns the client address of r: the TCP peer, unless the peer
// is a trusted proxy; then the right-most address of the forwarded chain
// that is not a trusted proxy (the client as the first trusted proxy saw
// it; entries left of it were written by the client and are ignored).
// When the chain holds nothing usable the last trusted hop is the client,
// so a request is always attributed to some address. ok is false only
// when the peer address does not parse.
func (c *clientResolver) resolve(r *http.Request) (netip.Addr, bool) {
	peer, ok := parseNode(r.RemoteAddr)
	if !ok {
		return netip.Addr{}, false
	}
	if len(c.trusted) == 0 || !c.isTrusted(peer) {
		return peer, true
	}
	var chain []string
	if c.header == HeaderForwarded {
		chain = forwardedFor(joinHeader(r.Header.Values(HeaderForwarded)))
	} else {
		chain = strings.Split(joinHeader(r.Header.Values(HeaderXForwardedFor)), ",")
	}
	client := peer
	for i := len(chain) - 1; i >= 0; i-- {
		a, ok := parseNode(strings.TrimSpace(chain[i]))
		if !ok {
			return client, true // unknown or obfuscated hop: stop at the last address vouched for
		}
		client = a
		if !c.isTrusted(a) {
			return a, true
		}
	}
	return client, true
}

// joinHeader joins the lines of a list header, keeping at most the last
// maxForwardedHeader bytes (cut at an element boundary).
func joinHeader(lines []string) string {
	s := strings.Join(lines, ",")
	if len(s) > maxForwardedHeader {
		s = s[len(s)-maxForwardedHeader:]
		if i := strings.IndexByte(s, ','); i >= 0 {
			s = s[i+1:]
		} else {
			s = ""
		}
	}
	return s
}

// forwardedFor returns the for= node of each element of an RFC 7239
// Forwarded header, in order; an element without one gives "".
func forwardedFor(h string) []string {
	var out []string
	for _, elem := range splitQuoted(h, ',') {
		node := ""
		for _, pair := range splitQuoted(elem, ';') {
			name, value, ok := strings.Cut(strings.TrimSpace(pair), "=")
			if ok && strings.EqualFold(strings.TrimSpace(name), "for") {
				node = unquote(strings.TrimSpace(value))
			}
		}
		out = append(out, node)
	}
	return out
}

// splitQuoted splits s at sep outside double-quoted strings.
func splitQuoted(s string, sep byte) []string {
	var out []string
	quoted, escaped, start := false, false, 0
	for i := 0; i < len(s); i++ {
		switch ch := s[i]; {
		case escaped:
			escaped = false
		case quoted && ch == '\\':
			escaped = true
		case ch == '"':
			quoted = !quoted
		case ch == sep && !quoted:
			out = append(out, s[start:i])
			start = i + 1
		}
	}
	return append(out, s[start:])
}

// unquote removes the quotes and backslash escapes of an RFC 7230 quoted string.
func unquote(v string) string {
	if len(v) < 2 || v[0] != '"' || v[len(v)-1] != '"' {
		return v
	}
	var b strings.Builder
	for i := 1; i < len(v)-1; i++ {
		if v[i] == '\\' && i+1 < len(v)-1 {
			i++
		}
		b.WriteByte(v[i])
	}
	return b.String()
}

// parseNode parses an address with or without a port: "192.0.2.1",
// "192.0.2.1:80", "2001:db8::1", "[2001:db8::1]:80". IPv4-mapped IPv6
// addresses become IPv4; zones are dropped.
func parseNode(s string) (netip.Addr, bool) {
	if s == "" {
		return netip.Addr{}, false
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		host, _, err2 := net.SplitHostPort(s)
		if err2 != nil {
			host = strings.TrimSuffix(strings.TrimPrefix(s, "["), "]")
		}
		if a, err = netip.ParseAddr(host); err != nil {
			return netip.Addr{}, false
		}
	}
	return a.Unmap().WithZone(""), true
}

// wrap resolves every request's client address and records it
// for the audit log and the access log (render.WithClientAddr).
func (c *clientResolver) wrap(h http.Handler) http.Handler {
	if h == nil {
		return nil
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if a, ok := c.resolve(r); ok {
			r = r.WithContext(render.WithClientAddr(r.Context(), a.String()))
		}
		h.ServeHTTP(w, r)
	})
}
