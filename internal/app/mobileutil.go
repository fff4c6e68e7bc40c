package app

import (
	"net/http"

	apimobileutil "github.com/mauth/mauth/internal/api/mobileutil"
	"github.com/mauth/mauth/internal/api/render"
	"github.com/mauth/mauth/internal/mobileutil"
	"github.com/mauth/mauth/internal/service"
)

// mobileUtilitySurface builds the mobile utility services over the core's
// store and server key, and their HTTP surface (built once).
func (a *App) mobileUtilitySurface() *apimobileutil.Server {
	if a.mobileUtil == nil {
		u := mobileutil.New(a.Store, a.box, mobileutil.Options{Now: a.cfg.mobileUtilityNow, DisableVersionCheck: a.cfg.MobileUtilityVersionCheckDisabled})
		a.mobileUtil = apimobileutil.New(u, a.log)
	}
	return a.mobileUtil
}

// mountMobileUtilityAdmin serves the mobile utility administration under
// /admin/ on the private listener, behind the private API's integration
// authentication: with access restricted, only an ADMIN integration may
// call it (the pinned certificates and version rules are global).
func (a *App) mountMobileUtilityAdmin() {
	mux := http.NewServeMux()
	a.mobileUtilitySurface().RegisterAdmin(mux)
	admin := render.WithRequestInfo("private-api", requireAdminIntegration(a.Service, a.cfg.RestrictAccess, mux))
	priv := a.Private
	a.Private = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if apimobileutil.OwnsAdmin(r.URL.Path) {
			admin.ServeHTTP(w, r)
			return
		}
		priv.ServeHTTP(w, r)
	})
}

// requireAdminIntegration lets through the requests with the HTTP Basic
// credentials of an ADMIN integration (every request when restrict is
// off): others are answered 401 ERROR_AUTHENTICATION, a non-admin
// integration 403 ERR0050.
func requireAdminIntegration(svc *service.Service, restrict bool, next http.Handler) http.Handler {
	if !restrict {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		token, secret, ok := r.BasicAuth()
		var p service.Principal
		if ok {
			p, ok = svc.Authenticate(r.Context(), token, secret)
		}
		if !ok {
			w.Header().Set("WWW-Authenticate", `Basic realm="mauth"`)
			render.ErrorResponse(w, http.StatusUnauthorized, render.ErrorObject{Code: service.CodeAuthentication, Message: "Authentication failed"})
			return
		}
		if !p.Admin() {
			render.ErrorResponse(w, http.StatusForbidden, render.ErrorObject{Code: service.CodeAccessDenied, Message: "Access denied: the mobile utility administration needs an ADMIN integration"})
			return
		}
		next.ServeHTTP(w, r)
	})
}
