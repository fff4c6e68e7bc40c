package app

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/netip"

	apitestserver "github.com/mauth/mauth/internal/api/testserver"
	"github.com/mauth/mauth/internal/service"
	"github.com/mauth/mauth/internal/testserver"
)

// mountTestServer builds the test server over the store and mounts its
// surface on the private listener (called by New when it is enabled;
// Validate has refused it on a production configuration).
func (a *App) mountTestServer() error {
	publicURL := a.cfg.TestServer.PublicURL
	if publicURL == "" {
		publicURL = a.localPublicURL()
	}
	ts, err := testserver.New(testserver.Options{Store: a.Store, Box: a.box, PublicURL: publicURL})
	if err != nil {
		return fmt.Errorf("test server: %w", err)
	}
	a.testSrv = ts
	opts := apitestserver.Options{Devices: ts, Logger: a.log}
	if a.cfg.RestrictAccess {
		opts.Authenticator = adminAuthenticator{a.Service}
	}
	mux := http.NewServeMux()
	mux.Handle(apitestserver.Prefix, apitestserver.New(opts).Handler())
	mux.Handle("/", a.Private)
	a.Private = mux
	a.log.Warn("the test server is enabled: simulated devices are served on the private listener", "path", apitestserver.Prefix, "public_url", publicURL)
	return nil
}

// localPublicURL is the process's own public listener over loopback.
func (a *App) localPublicURL() string {
	addr := a.PublicAddr()
	if addr == nil {
		return ""
	}
	host, port, err := net.SplitHostPort(addr.String())
	if err != nil {
		return ""
	}
	if ip, err := netip.ParseAddr(host); err == nil && ip.IsUnspecified() {
		host = "127.0.0.1" // a wildcard listener answers on loopback
	}
	return "http://" + net.JoinHostPort(host, port)
}

// adminAuthenticator lets only ADMIN integrations drive simulated devices.
type adminAuthenticator struct{ svc *service.Service }

// AuthenticateAdmin implements apitestserver.Authenticator.
func (x adminAuthenticator) AuthenticateAdmin(ctx context.Context, username, password string) bool {
	p, ok := x.svc.Authenticate(ctx, username, password)
	return ok && p.Admin()
}
