package public

import (
	"encoding/json"
	"net/http"
	"sync"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/mauth/mauth/internal/testutil/apicontract"
	"github.com/mauth/mauth/openapi"
)

// checked returns the server's handler behind a checker of
// openapi/public.yaml: every exchange of the test must match the document
// (see internal/testutil/apicontract), or the test fails at its end.
func checked(t *testing.T, s *Server) http.Handler {
	t.Helper()
	return apicontract.New(t, "openapi/public.yaml", openapi.Public).Wrap(s.Handler())
}

var (
	publicDocOnce sync.Once
	publicDoc     *openapi3.T
	publicDocErr  error
)

// checkPlaintext validates a decrypted payload against a schema of
// openapi/public.yaml (the plaintexts the checker cannot see).
func checkPlaintext(t *testing.T, schema string, payload []byte) {
	t.Helper()
	publicDocOnce.Do(func() {
		c, err := apicontract.Load("openapi/public.yaml", openapi.Public)
		if err != nil {
			publicDocErr = err
			return
		}
		publicDoc = c.Doc()
	})
	if publicDocErr != nil {
		t.Fatalf("openapi: %v", publicDocErr)
	}
	ref := publicDoc.Components.Schemas[schema]
	if ref == nil || ref.Value == nil {
		t.Fatalf("schema %s is not in openapi/public.yaml", schema)
	}
	var v any
	if err := json.Unmarshal(payload, &v); err != nil {
		t.Fatalf("%s: not JSON: %v", schema, err)
	}
	if err := ref.Value.VisitJSON(v, openapi3.MultiErrors()); err != nil {
		t.Fatalf("plaintext breaks schema %s of openapi/public.yaml: %v\nplaintext: %s", schema, err, payload)
	}
}
