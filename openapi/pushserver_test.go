package openapi_test

import (
	"testing"

	"github.com/mauth/mauth/internal/testutil/apicontract"
	"github.com/mauth/mauth/openapi"
)

func TestPushServerDocumentLoads(t *testing.T) {
	if _, err := apicontract.Load("openapi/pushserver.yaml", openapi.PushServer); err != nil {
		t.Fatal(err)
	}
}
