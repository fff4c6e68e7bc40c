package render

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/mauth/mauth/internal/domain"
)

func TestWithRequestInfo(t *testing.T) {
	for _, tc := range []struct {
		name   string
		remote string
		ua     string
		basic  [2]string
		want   domain.RequestInfo
	}{
		{"plain", "192.0.2.1:5555", "bank/1", [2]string{}, domain.RequestInfo{IP: "192.0.2.1", UserAgent: "bank/1", Actor: "private-api"}},
		{"ipv6 with basic", "[2001:db8::1]:443", "", [2]string{"token", "secret"}, domain.RequestInfo{IP: "2001:db8::1", Actor: "private-api:token"}},
		{"no port", "pipe", strings.Repeat("a", 600), [2]string{}, domain.RequestInfo{IP: "pipe", UserAgent: strings.Repeat("a", 512), Actor: "private-api"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var got domain.RequestInfo
			h := WithRequestInfo("private-api", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				got = domain.RequestInfoOf(r.Context())
			}))
			r := httptest.NewRequest(http.MethodPost, "/x", nil)
			r.RemoteAddr = tc.remote
			r.Header.Set("User-Agent", tc.ua)
			if tc.basic[0] != "" {
				r.SetBasicAuth(tc.basic[0], tc.basic[1])
			}
			h.ServeHTTP(httptest.NewRecorder(), r)
			require.Equal(t, tc.want, got)
			require.NotContains(t, got.Actor, "secret")
		})
	}
}

func TestWithRequestInfoKeepsPattern(t *testing.T) {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /rest/v3/status", func(http.ResponseWriter, *http.Request) {})
	r := httptest.NewRequest(http.MethodPost, "/rest/v3/status", nil)
	WithRequestInfo("private-api", mux).ServeHTTP(httptest.NewRecorder(), r)
	require.Equal(t, "POST /rest/v3/status", r.Pattern)
}

// TestWithRequestInfoUsesClientAddr: the client address resolved behind a
// trusted proxy (WithClientAddr) is the audited IP, not the proxy.
func TestWithRequestInfoUsesClientAddr(t *testing.T) {
	var got domain.RequestInfo
	h := WithRequestInfo("public-api", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got = domain.RequestInfoOf(r.Context())
	}))
	r := httptest.NewRequest(http.MethodPost, "/x", nil)
	r.RemoteAddr = "10.0.0.1:5555"
	r = r.WithContext(WithClientAddr(r.Context(), "198.51.100.7"))
	h.ServeHTTP(httptest.NewRecorder(), r)
	require.Equal(t, "198.51.100.7", got.IP)
}
