// Package openapi holds the OpenAPI 3 descriptions of mauth's HTTP APIs:
//   - private.yaml: the private API under /rest/v3, for the bank's backend;
//   - public.yaml: the public API for mobile apps (/pa/v3, the Mobile Token
//     operations API, push registration, the inbox and the mobile utility
//     /app/init);
//   - pushserver.yaml: the push server API on the private listener
//     (devices, messages, campaigns, provider credentials);
//   - inbox.yaml: the push server's inbox API on the private listener;
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

// Inbox is the OpenAPI 3 document of the push server's inbox API
// (/inbox/…) on the private listener.
//
//go:embed inbox.yaml
var Inbox []byte

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

// PushServer is the OpenAPI 3 document of the push server API (/push/…,
// /admin/app/…) on the private listener.
//
//go:embed pushserver.yaml
var PushServer []byte

// Paths under which Handler serves the documents.
const (
	PrivatePath         = "/openapi/private.yaml"
	PublicPath          = "/openapi/public.yaml"
	InboxPath           = "/openapi/inbox.yaml"
	PushServerPath      = "/openapi/pushserver.yaml"
	CloudPath           = "/openapi/cloud.yaml"
	MobileUtilAdminPath = "/openapi/mobileutil-admin.yaml"
	TestServerPath      = "/openapi/testserver.yaml"
)

// Handler serves GET PublicPath and, when withPrivate is set, GET
// PrivatePath, InboxPath, PushServerPath, CloudPath, MobileUtilAdminPath and
// TestServerPath as application/yaml. Mount the private documents only on
// the private listener.
func Handler(withPrivate bool) http.Handler {
	mux := http.NewServeMux()
	mux.Handle("GET "+PublicPath, document(Public))
	if withPrivate {
		mux.Handle("GET "+PrivatePath, document(Private))
		mux.Handle("GET "+InboxPath, document(Inbox))
		mux.Handle("GET "+CloudPath, document(Cloud))
		mux.Handle("GET "+MobileUtilAdminPath, document(MobileUtilAdmin))
		mux.Handle("GET "+TestServerPath, document(TestServer))
		mux.Handle("GET "+PushServerPath, document(PushServer))
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
