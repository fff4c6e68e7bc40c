package netguard

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"sync"
	"testing"
	"time"
)

func TestCategory(t *testing.T) {
	for _, tc := range []struct{ addr, want string }{
		{"127.0.0.1", "loopback"},
		{"127.8.9.10", "loopback"},
		{"::1", "loopback"},
		{"::ffff:127.0.0.1", "loopback"},
		{"169.254.169.254", "cloud metadata"},
		{"169.254.1.1", "link-local"},
		{"fe80::1", "link-local"},
		{"fe80::1%eth0", "link-local"},
		{"10.0.0.1", "private"},
		{"172.16.5.4", "private"},
		{"172.31.255.255", "private"},
		{"192.168.1.1", "private"},
		{"100.64.0.1", "private"},
		{"100.100.100.200", "private"}, // Alibaba Cloud metadata
		{"fd00:ec2::254", "private"},   // AWS IPv6 metadata
		{"fc00::1", "private"},
		{"fec0::1", "private"},
		{"0.0.0.0", "unspecified"},
		{"0.1.2.3", "unspecified"},
		{"::", "unspecified"},
		{"224.0.0.1", "multicast"},
		{"239.255.255.250", "multicast"},
		{"ff02::1", "multicast"},
		{"255.255.255.255", "reserved"},
		{"240.0.0.1", "reserved"},
		{"192.0.0.170", "reserved"},
		{"::7f00:1", "reserved"},
		{"64:ff9b::a9fe:a9fe", "cloud metadata"}, // NAT64 of 169.254.169.254
		{"64:ff9b::808:808", ""},
		{"8.8.8.8", ""},
		{"172.32.0.1", ""},
		{"100.128.0.1", ""},
		{"198.51.100.7", ""},
		{"2001:db8::1", ""},
		{"2a00:1450:4001::200e", ""},
	} {
		if got := Category(netip.MustParseAddr(tc.addr)); got != tc.want {
			t.Errorf("Category(%s) = %q, want %q", tc.addr, got, tc.want)
		}
	}
}

func TestNewParsesEntries(t *testing.T) {
	p, err := New([]string{" 127.0.0.0/8", "10.1.2.3", "::1", "Hooks.Bank.Internal.", "*.svc.cluster.local", ""}, nil)
	if err != nil {
		t.Fatal(err)
	}
	for addr, want := range map[string]bool{
		"127.0.0.1": true, "127.1.1.1": true, "10.1.2.3": true, "10.1.2.4": false, "::1": true,
		"::ffff:127.0.0.1": true, "169.254.169.254": false, "8.8.8.8": true,
	} {
		if got := p.AllowedAddr(netip.MustParseAddr(addr)); got != want {
			t.Errorf("AllowedAddr(%s) = %v, want %v", addr, got, want)
		}
	}
	for host, want := range map[string]bool{
		"hooks.bank.internal": true, "HOOKS.bank.internal.": true, "other.bank.internal": false,
		"a.svc.cluster.local": true, "svc.cluster.local": false,
	} {
		if got := p.allowedHost(host); got != want {
			t.Errorf("allowedHost(%s) = %v, want %v", host, got, want)
		}
	}
	for _, bad := range []string{"10.0.0.0/33", "ho st", "http://x", "*."} {
		if _, err := New([]string{bad}, nil); err == nil {
			t.Errorf("New(%q) accepted", bad)
		}
	}
	if got := ParseList("127.0.0.0/8, ::1 hooks.internal\n"); len(got) != 3 || got[2] != "hooks.internal" {
		t.Errorf("ParseList: %q", got)
	}
}

// fakeResolver answers from a table that tests change.
type fakeResolver struct {
	mu    sync.Mutex
	names map[string][]netip.Addr
	calls int
}

func (f *fakeResolver) set(name string, addrs ...string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.names == nil {
		f.names = map[string][]netip.Addr{}
	}
	f.names[name] = nil
	for _, a := range addrs {
		f.names[name] = append(f.names[name], netip.MustParseAddr(a))
	}
}

func (f *fakeResolver) LookupNetIP(_ context.Context, _, host string) ([]netip.Addr, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls++
	if a, ok := f.names[host]; ok {
		return a, nil
	}
	return nil, &net.DNSError{Err: "no such host", Name: host, IsNotFound: true}
}

func TestCheckURL(t *testing.T) {
	r := &fakeResolver{}
	r.set("public.example", "198.51.100.7")
	r.set("rebind.example", "198.51.100.8", "10.0.0.8")
	r.set("metadata.example", "169.254.169.254")
	strict := MustNew().WithResolver(r)
	ctx := context.Background()
	for _, tc := range []struct {
		url    string
		policy *Policy
		ok     bool
	}{
		{"http://127.0.0.1:8080/cb", strict, false},
		{"http://169.254.169.254/latest/meta-data/", strict, false},
		{"http://10.1.2.3/cb", strict, false},
		{"http://[::1]:9000/cb", strict, false},
		{"http://[fe80::1%25eth0]/cb", strict, false},
		{"http://localhost:8080/cb", strict, false},
		{"http://api.localhost/cb", strict, false},
		{"http://0.0.0.0/cb", strict, false},
		{"https://metadata.example/cb", strict, false},
		{"https://rebind.example/cb", strict, false},
		{"https://public.example/cb", strict, true},
		{"https://unknown.example/cb", strict, true}, // checked again when connecting
		{"http://127.0.0.1:8080/cb", MustNew("127.0.0.0/8").WithResolver(r), true},
		{"http://localhost:8080/cb", MustNew("127.0.0.0/8", "::1").WithResolver(r), true},
		{"http://localhost:8080/cb", MustNew("localhost").WithResolver(r), true},
		{"https://rebind.example/cb", MustNew("10.0.0.0/8").WithResolver(r), true},
		{"https://rebind.example/cb", MustNew("rebind.example").WithResolver(r), true},
		{"http://169.254.169.254/", MustNew("10.0.0.0/8").WithResolver(r), false},
	} {
		err := tc.policy.CheckURL(ctx, tc.url)
		if tc.ok && err != nil {
			t.Errorf("CheckURL(%s): %v", tc.url, err)
		}
		if !tc.ok && !errors.Is(err, ErrForbidden) {
			t.Errorf("CheckURL(%s) = %v, want ErrForbidden", tc.url, err)
		}
	}
}

// client is an HTTP client dialling through p.
func client(p *Policy) *http.Client {
	tr := &http.Transport{DialContext: p.DialContext(&net.Dialer{Timeout: 10 * time.Second}), Proxy: nil}
	return &http.Client{Transport: tr, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

// TestDialRefusesForbiddenAddresses: the check runs again on every
// connection, so a name that resolved to a public address when it was
// registered and to loopback now (DNS rebinding), or an address the
// allow-list no longer holds, is not reached.
func TestDialRefusesForbiddenAddresses(t *testing.T) {
	hits := 0
	var mu sync.Mutex
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		mu.Lock()
		hits++
		mu.Unlock()
	}))
	defer srv.Close()
	u, _ := url.Parse(srv.URL)
	port := u.Port()
	r := &fakeResolver{}
	strict := MustNew().WithResolver(r)
	allowLoopback := MustNew("127.0.0.0/8").WithResolver(r)

	get := func(p *Policy, rawURL string) error {
		resp, err := client(p).Get(rawURL)
		if err == nil {
			resp.Body.Close()
		}
		return err
	}
	// Registered while it resolved to a public address, now loopback.
	r.set("receiver.example", "198.51.100.7")
	if err := strict.CheckURL(context.Background(), "http://receiver.example:"+port+"/cb"); err != nil {
		t.Fatalf("CheckURL while public: %v", err)
	}
	r.set("receiver.example", "127.0.0.1")
	if err := get(strict, "http://receiver.example:"+port+"/cb"); !errors.Is(err, ErrForbidden) {
		t.Fatalf("rebound name: %v, want ErrForbidden", err)
	}
	// The IP literal, without the allow-list.
	if err := get(strict, srv.URL); !errors.Is(err, ErrForbidden) {
		t.Fatalf("loopback literal: %v, want ErrForbidden", err)
	}
	if err := get(strict, "http://localhost:"+port+"/"); !errors.Is(err, ErrForbidden) {
		t.Fatalf("localhost: %v, want ErrForbidden", err)
	}
	mu.Lock()
	if hits != 0 {
		t.Fatalf("the receiver was reached %d times", hits)
	}
	mu.Unlock()
	// The allow-list lets both through.
	if err := get(allowLoopback, "http://receiver.example:"+port+"/cb"); err != nil {
		t.Fatalf("allowed name: %v", err)
	}
	if err := get(allowLoopback, srv.URL); err != nil {
		t.Fatalf("allowed literal: %v", err)
	}
	// A host named in the allow-list is dialled as is.
	if err := get(MustNew("localhost").WithResolver(r), "http://localhost:"+port+"/"); err != nil {
		t.Fatalf("allowed host name: %v", err)
	}
	mu.Lock()
	if hits != 3 {
		t.Fatalf("the receiver was reached %d times, want 3", hits)
	}
	mu.Unlock()
}

func TestControlChecksTheDialledAddress(t *testing.T) {
	p := MustNew("10.0.0.0/8")
	for addr, ok := range map[string]bool{
		"127.0.0.1:80": false, "[::1]:443": false, "169.254.169.254:80": false, "[fe80::1%eth0]:80": false,
		"10.9.9.9:80": true, "198.51.100.7:443": true, "not-an-address": false,
	} {
		err := p.Control("tcp", addr, nil)
		if ok != (err == nil) {
			t.Errorf("Control(%s) = %v", addr, err)
		}
		if err != nil && !errors.Is(err, ErrForbidden) {
			t.Errorf("Control(%s) = %v, want ErrForbidden", addr, err)
		}
	}
}
