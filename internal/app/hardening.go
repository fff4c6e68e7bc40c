package app

import (
	"fmt"
	"net/http"
	"os"
	"runtime"
)

// Headers every answer of both surfaces carries: nothing an API answers
// may be stored by a cache or a browser, or interpreted as another type
// than it declares.
const (
	headerCacheControl    = "Cache-Control"
	headerContentOptions  = "X-Content-Type-Options"
	cacheControlNoStore   = "no-store"
	contentOptionsNoSniff = "nosniff"
)

// withSecurityHeaders sets Cache-Control: no-store and
// X-Content-Type-Options: nosniff before h writes anything, so that every
// answer carries them: errors, 404s, 429s and 503s included.
func withSecurityHeaders(h http.Handler) http.Handler {
	if h == nil {
		return nil
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set(headerCacheControl, cacheControlNoStore)
		w.Header().Set(headerContentOptions, contentOptionsNoSniff)
		h.ServeHTTP(w, r)
	})
}

// securityHeaders wraps both surfaces with withSecurityHeaders (outermost).
func (a *App) securityHeaders() {
	a.Public = withSecurityHeaders(a.Public)
	a.Private = withSecurityHeaders(a.Private)
}

// resolveClients records the client address of every public API request
// (the forwarded one behind a trusted proxy) for the audit and access logs.
func (a *App) resolveClients() {
	if a.Public != nil {
		a.Public = newClientResolver(a.cfg.Proxies).wrap(a.Public)
	}
}

// warnRateLimits logs a warning when the per-IP rate limit of the public
// API cannot tell clients apart: when it is off, and when the public
// listener is reachable from this host only (so clients come through a
// local reverse proxy) but no proxy is trusted, so that every client
// shares the proxy's address and budget.
func (a *App) warnRateLimits() {
	if !a.cfg.servesPublic() {
		return
	}
	if a.cfg.RateLimit.PerIP < 0 || a.cfg.RateLimit.PerIPBurst < 0 {
		a.log.Warn("the public API has no per-IP rate limit (public.rate_limit_per_ip is 0): rate-limit per client in front of mauth")
		return
	}
	if len(a.cfg.Proxies.Trusted) == 0 && IsLoopbackAddr(a.cfg.PublicAddr) {
		a.log.Warn("the public API listens on a loopback address and no trusted proxy is configured: behind a local reverse proxy every client shares the proxy's address and per-IP budget; list the proxy in public.trusted_proxies", "addr", a.cfg.PublicAddr)
	}
	for _, p := range a.cfg.Proxies.Trusted {
		if p.Bits() == 0 {
			a.log.Warn("public.trusted_proxies trusts every address: any client can choose the address it is rate-limited and audited as", "network", p.String())
		}
	}
}

// checkKeyFileMode refuses a server key file that group or others may
// read or write (Unix permissions; not checked on Windows).
func checkKeyFileMode(path string) error {
	if runtime.GOOS == "windows" {
		return nil
	}
	fi, err := os.Stat(path)
	if err != nil {
		return fmt.Errorf("server key file: %w", err)
	}
	if m := fi.Mode().Perm(); m&0o077 != 0 {
		return fmt.Errorf("server key file %s is accessible by group or others (mode %04o): it decrypts every server secret; run `chmod 600 %s` (and make the mauth user its owner), or pass the key in MAUTH_SERVER_KEY", path, m, path)
	}
	return nil
}
