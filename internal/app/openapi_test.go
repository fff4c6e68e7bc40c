package app

import (
	"net/http"
	"testing"

	"github.com/mauth/mauth/openapi"
)

// TestOpenAPIDocumentsServed checks where the binary serves its OpenAPI
// documents: the public one on both listeners, the private one only on the
// private listener.
func TestOpenAPIDocumentsServed(t *testing.T) {
	r := start(t, testConfig(t, RoleAll))
	pubURL := "http://" + r.PublicAddr().String()
	privURL := "http://" + r.PrivateAddr().String()
	tests := []struct {
		name string
		url  string
		code int
		want []byte
	}{
		{"public document on the public listener", pubURL + openapi.PublicPath, http.StatusOK, openapi.Public},
		{"public document on the private listener", privURL + openapi.PublicPath, http.StatusOK, openapi.Public},
		{"private document on the private listener", privURL + openapi.PrivatePath, http.StatusOK, openapi.Private},
		{"no private document on the public listener", pubURL + openapi.PrivatePath, http.StatusNotFound, nil},
		{"inbox document on the private listener", privURL + openapi.InboxPath, http.StatusOK, openapi.Inbox},
		{"no inbox document on the public listener", pubURL + openapi.InboxPath, http.StatusNotFound, nil},
		{"push server document on the private listener", privURL + openapi.PushServerPath, http.StatusOK, openapi.PushServer},
		{"no push server document on the public listener", pubURL + openapi.PushServerPath, http.StatusNotFound, nil},
		{"Cloud document on the private listener", privURL + openapi.CloudPath, http.StatusOK, openapi.Cloud},
		{"no Cloud document on the public listener", pubURL + openapi.CloudPath, http.StatusNotFound, nil},
		{"mobile utility administration document on the private listener", privURL + openapi.MobileUtilAdminPath, http.StatusOK, openapi.MobileUtilAdmin},
		{"no mobile utility administration document on the public listener", pubURL + openapi.MobileUtilAdminPath, http.StatusNotFound, nil},
		{"test server document on the private listener", privURL + openapi.TestServerPath, http.StatusOK, openapi.TestServer},
		{"no test server document on the public listener", pubURL + openapi.TestServerPath, http.StatusNotFound, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, body, h := get(t, tt.url, nil)
			if code != tt.code {
				t.Fatalf("HTTP %d, want %d", code, tt.code)
			}
			if tt.want == nil {
				return
			}
			if body != string(tt.want) {
				t.Fatalf("served %d bytes that differ from the embedded document (%d bytes)", len(body), len(tt.want))
			}
			if ct := h.Get("Content-Type"); ct != "application/yaml" {
				t.Fatalf("Content-Type %q", ct)
			}
		})
	}
}
