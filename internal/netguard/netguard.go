// Package netguard keeps mauth's outbound calls to URLs that API callers
// choose (callbacks and their OAuth 2.0 token endpoints) away from the
// server's own networks (server-side request forgery).
//
// A Policy refuses loopback, link-local (including the cloud metadata
// address 169.254.169.254), private (RFC 1918, fc00::/7, the 100.64.0.0/10
// shared address space), unspecified, multicast and reserved addresses,
// unless the operator allows them: an allow-list entry is a CIDR prefix, an
// IP address or a host name ("*.example.com" allows every name below
// example.com). A host named in the allow-list is reached whatever it
// resolves to; any other host is refused when one of its addresses is
// forbidden.
//
// The policy is applied twice: CheckURL when a URL is registered, and
// DialContext on every connection, which resolves the host itself, checks
// every address and dials the checked address (net.Dialer.Control checks
// the address actually dialled once more), so a DNS answer that changes
// after registration (DNS rebinding) cannot reach a forbidden address.
package netguard

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"slices"
	"strings"
	"syscall"
	"time"
)

// LookupTimeout bounds the name resolution of CheckURL.
const LookupTimeout = 5 * time.Second

// Resolver resolves host names (*net.Resolver implements it).
type Resolver interface {
	LookupNetIP(ctx context.Context, network, host string) ([]netip.Addr, error)
}

// ErrForbidden is wrapped by every refusal of the policy.
var ErrForbidden = errors.New("forbidden network address")

// forbiddenError names the refused address (never a URL's credentials).
type forbiddenError struct {
	host string
	addr netip.Addr
}

func (e *forbiddenError) Error() string {
	if e.host != "" && e.host != e.addr.String() {
		return fmt.Sprintf("%s resolves to %s, a %v (%s)", e.host, e.addr, ErrForbidden, Category(e.addr))
	}
	return fmt.Sprintf("%s is a %v (%s)", e.addr, ErrForbidden, Category(e.addr))
}

func (e *forbiddenError) Unwrap() error { return ErrForbidden }

// Forbidden ranges beyond what netip's predicates cover.
var (
	thisNetwork   = netip.MustParsePrefix("0.0.0.0/8")
	sharedAddress = netip.MustParsePrefix("100.64.0.0/10")
	ietfProtocol  = netip.MustParsePrefix("192.0.0.0/24")
	reserved4     = netip.MustParsePrefix("240.0.0.0/4")
	siteLocal6    = netip.MustParsePrefix("fec0::/10")
	nat64         = netip.MustParsePrefix("64:ff9b::/96")
)

// Category names why addr is forbidden by default ("" when it is not).
func Category(addr netip.Addr) string {
	a := addr.WithZone("").Unmap()
	if nat64.Contains(a) {
		b := a.As16()
		return Category(netip.AddrFrom4([4]byte(b[12:])))
	}
	switch {
	case a.IsUnspecified() || thisNetwork.Contains(a):
		return "unspecified"
	case a.IsLoopback():
		return "loopback"
	case a.IsLinkLocalUnicast():
		if a == netip.AddrFrom4([4]byte{169, 254, 169, 254}) {
			return "cloud metadata"
		}
		return "link-local"
	case a.IsMulticast():
		return "multicast"
	case a.IsPrivate() || sharedAddress.Contains(a) || siteLocal6.Contains(a):
		return "private"
	case ietfProtocol.Contains(a) || reserved4.Contains(a):
		return "reserved"
	case a.Is6() && prefixZero(a):
		// ::/96 other than :: and ::1: the deprecated IPv4-compatible form.
		return "reserved"
	}
	return ""
}

// prefixZero reports whether the first 96 bits of a are zero.
func prefixZero(a netip.Addr) bool {
	b := a.As16()
	for _, x := range b[:12] {
		if x != 0 {
			return false
		}
	}
	return true
}

// Policy decides which addresses outbound calls may reach. The zero value
// is not usable; build one with New.
type Policy struct {
	nets     []netip.Prefix
	hosts    []string // lower case, without a trailing dot
	suffixes []string // ".example.com" of "*.example.com"
	resolver Resolver
}

// New builds a policy from allow-list entries (CIDR prefixes, IP
// addresses, host names or "*." wildcards; blanks are ignored). r resolves
// names; nil uses net.DefaultResolver.
func New(allow []string, r Resolver) (*Policy, error) {
	if r == nil {
		r = net.DefaultResolver
	}
	p := &Policy{resolver: r}
	for _, raw := range allow {
		e := strings.TrimSpace(raw)
		if e == "" {
			continue
		}
		if pfx, err := netip.ParsePrefix(e); err == nil {
			p.nets = append(p.nets, pfx.Masked())
			continue
		}
		if a, err := netip.ParseAddr(e); err == nil {
			a = a.WithZone("").Unmap()
			p.nets = append(p.nets, netip.PrefixFrom(a, a.BitLen()))
			continue
		}
		name := normalizeHost(e)
		if suffix, ok := strings.CutPrefix(name, "*."); ok {
			if !validHostName(suffix) {
				return nil, fmt.Errorf("netguard: %q is neither a CIDR prefix, an IP address nor a host name", raw)
			}
			p.suffixes = append(p.suffixes, "."+suffix)
			continue
		}
		if !validHostName(name) {
			return nil, fmt.Errorf("netguard: %q is neither a CIDR prefix, an IP address nor a host name", raw)
		}
		p.hosts = append(p.hosts, name)
	}
	return p, nil
}

// ParseList splits a comma- or space-separated allow-list.
func ParseList(s string) []string {
	return strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ' ' || r == '\t' || r == '\n' })
}

// MustNew is New that panics on a bad entry (tests and constants).
func MustNew(allow ...string) *Policy {
	p, err := New(allow, nil)
	if err != nil {
		panic(err)
	}
	return p
}

// WithResolver returns a copy of p that resolves names with r (tests).
func (p *Policy) WithResolver(r Resolver) *Policy {
	q := *p
	q.resolver = r
	return &q
}

func normalizeHost(h string) string {
	return strings.TrimSuffix(strings.ToLower(strings.TrimSpace(h)), ".")
}

// validHostName accepts letters, digits, '-', '_' and dots.
func validHostName(h string) bool {
	if h == "" || len(h) > 253 {
		return false
	}
	for _, r := range h {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-' || r == '_' || r == '.') {
			return false
		}
	}
	return true
}

// AllowedAddr reports whether addr may be reached: it is not forbidden by
// default, or an allow-list prefix contains it.
func (p *Policy) AllowedAddr(addr netip.Addr) bool {
	a := addr.WithZone("").Unmap()
	if Category(a) == "" {
		return true
	}
	for _, n := range p.nets {
		if n.Contains(a) {
			return true
		}
	}
	return false
}

// allowedHost reports whether the allow-list names host.
func (p *Policy) allowedHost(host string) bool {
	h := normalizeHost(host)
	if slices.Contains(p.hosts, h) {
		return true
	}
	for _, s := range p.suffixes {
		if strings.HasSuffix(h, s) {
			return true
		}
	}
	return false
}

// isLocalhostName reports the names RFC 6761 reserves for loopback.
func isLocalhostName(h string) bool {
	h = normalizeHost(h)
	return h == "localhost" || strings.HasSuffix(h, ".localhost")
}

// resolve returns the addresses of host: an IP literal itself, the
// loopback addresses for localhost names, the resolver's answer otherwise.
func (p *Policy) resolve(ctx context.Context, host string) ([]netip.Addr, error) {
	if a, err := netip.ParseAddr(strings.Trim(host, "[]")); err == nil {
		return []netip.Addr{a}, nil
	}
	if isLocalhostName(host) {
		return []netip.Addr{netip.MustParseAddr("127.0.0.1"), netip.IPv6Loopback()}, nil
	}
	return p.resolver.LookupNetIP(ctx, "ip", host)
}

// check refuses the first forbidden address of host.
func (p *Policy) check(host string, addrs []netip.Addr) error {
	for _, a := range addrs {
		if !p.AllowedAddr(a) {
			return &forbiddenError{host: host, addr: a.WithZone("").Unmap()}
		}
	}
	return nil
}

// CheckURL checks the host of an absolute URL when it is registered: a
// host the allow-list names passes; an IP literal or localhost name must
// be allowed; any other name is resolved (at most LookupTimeout) and every
// address must be allowed. A name that does not resolve now passes: it is
// checked again on every connection. Errors wrap ErrForbidden, except a
// URL that does not parse.
func (p *Policy) CheckURL(ctx context.Context, raw string) error {
	u, err := url.Parse(raw)
	if err != nil {
		return fmt.Errorf("netguard: parse URL: %w", err)
	}
	host := u.Hostname()
	if host == "" || p.allowedHost(host) {
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, LookupTimeout)
	defer cancel()
	addrs, err := p.resolve(ctx, host)
	if err != nil {
		return nil
	}
	return p.check(host, addrs)
}

// DialContext returns a dial function for http.Transport that connects
// through d only to allowed addresses. The host is resolved here (with the
// policy's resolver); unless the allow-list names the host, it is refused
// when any of its addresses is forbidden, and d.Control is replaced by
// Control, which checks each address actually dialled. The addresses are
// dialled in turn.
func (p *Policy) DialContext(d *net.Dialer) func(ctx context.Context, network, address string) (net.Conn, error) {
	return func(ctx context.Context, network, address string) (net.Conn, error) {
		host, port, err := net.SplitHostPort(address)
		if err != nil {
			return nil, fmt.Errorf("netguard: %w", err)
		}
		addrs, err := p.resolve(ctx, host)
		if err != nil {
			return nil, fmt.Errorf("netguard: resolve %s: %w", host, err)
		}
		dd := *d
		if !p.allowedHost(host) {
			if err := p.check(host, addrs); err != nil {
				return nil, fmt.Errorf("netguard: refused to connect: %w", err)
			}
			dd.Control = p.Control
		}
		var last error = fmt.Errorf("netguard: %s has no address for %s", host, network)
		for _, a := range addrs {
			a = a.Unmap()
			if network == "tcp4" && !a.Is4() || network == "tcp6" && !a.Is6() {
				continue
			}
			conn, err := dd.DialContext(ctx, network, net.JoinHostPort(a.String(), port))
			if err == nil {
				return conn, nil
			}
			last = err
			if ctx.Err() != nil {
				break
			}
		}
		return nil, last
	}
}

// Control is a net.Dialer.Control function refusing a connection to a
// forbidden address (address is the "ip:port" being dialled).
func (p *Policy) Control(_, address string, _ syscall.RawConn) error {
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		return fmt.Errorf("netguard: dialled address %q: %w", address, ErrForbidden)
	}
	if err := p.check("", []netip.Addr{ap.Addr()}); err != nil {
		return fmt.Errorf("netguard: refused to connect: %w", err)
	}
	return nil
}
