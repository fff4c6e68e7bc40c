// Package openapi holds the OpenAPI 3 descriptions of mauth's HTTP APIs:
//   - private.yaml: the private API under /rest/v3, for the bank's backend;
//   - public.yaml: the public API for mobile apps (/pa/v3, the Mobile Token
//     operations API, push registration, the inbox and the mobile utility
//     /app/init);
//   - push.yaml: the push server API on the private listener;
//   - cloud.yaml: the PowerAuth Cloud API under /powerauth-cloud;
//   - mobileutil-admin.yaml: the mobile utility administration under
//     /admin/ on the private listener;
//   - testserver.yaml: the Test Server API of simulated devices,
//     /powerauth-test-server on the private listener.
//
// The files are the contract: the end-to-end tests validate every request
// and response they exchange with a running server against them
// (internal/testutil/apicontract), so they cannot drift from the code.
// The binary serves them for tooling (see Handler).
package openapi

import (
	_ "embed"
	"net/http"
)

// Private is the OpenAPI 3 document of the private API (/rest/v3/…).
//
//go:embed private.yaml
var Private []byte

// Public is the OpenAPI 3 document of the public API (/pa/v3/…, the Mobile
// Token API and push registration).
//
//go:embed public.yaml
var Public []byte

// Push is the OpenAPI 3 document of the push server API (/inbox/…) on
// the private listener.
//
//go:embed push.yaml
var Push []byte

// Cloud is the OpenAPI 3 document of the PowerAuth Cloud API
// (/powerauth-cloud/…, on the private listener).
//
//go:embed cloud.yaml
var Cloud []byte

// MobileUtilAdmin is the OpenAPI 3 document of the mobile utility
// administration (/admin/… on the private listener).
//
//go:embed mobileutil-admin.yaml
var MobileUtilAdmin []byte

// TestServer is the OpenAPI 3 document of the Test Server API
// (/powerauth-test-server/…).
//
//go:embed testserver.yaml
var TestServer []byte

// Paths under which Handler serves the documents.
const (
	PrivatePath         = "/openapi/private.yaml"
	PublicPath          = "/openapi/public.yaml"
	PushPath            = "/openapi/push.yaml"
	CloudPath           = "/openapi/cloud.yaml"
	MobileUtilAdminPath = "/openapi/mobileutil-admin.yaml"
	TestServerPath      = "/openapi/testserver.yaml"
)

// Handler serves GET PublicPath and, when withPrivate is set, GET
// PrivatePath, PushPath, CloudPath, MobileUtilAdminPath and TestServerPath,
// as application/yaml. Mount the private documents only on the private
// listener.
func Handler(withPrivate bool) http.Handler {
	mux := http.NewServeMux()
	mux.Handle("GET "+PublicPath, document(Public))
	if withPrivate {
		mux.Handle("GET "+PrivatePath, document(Private))
		mux.Handle("GET "+PushPath, document(Push))
		mux.Handle("GET "+CloudPath, document(Cloud))
		mux.Handle("GET "+MobileUtilAdminPath, document(MobileUtilAdmin))
		mux.Handle("GET "+TestServerPath, document(TestServer))
	}
	return mux
}

// document serves one embedded file.
func document(b []byte) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/yaml")
		_, _ = w.Write(b)
	})
}
