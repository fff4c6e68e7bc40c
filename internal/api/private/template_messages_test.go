package private

import (
	"net/http"
	"testing"
)

// TestTemplateValidationMessages pins the answers to invalid template
// requests: every invalid field at once, sorted, in the API's wording
// (the fields are checked by service.OperationTemplateInput.CheckFields,
// the JSON shapes here).
func TestTemplateValidationMessages(t *testing.T) {
	ts := newTestServer(t)
	for _, c := range []struct {
		method string
		req    map[string]any
		want   string
	}{
		{"operation/template/create", map[string]any{},
			"dataTemplate - must not be blank, expiration - must be a positive number of seconds, maxFailureCount - must be greater than or equal to 1, " +
				"operationType - must not be blank, signatureType - must not be empty, templateName - must not be blank"},
		{"operation/template/create", map[string]any{"templateName": " ", "operationType": "x", "dataTemplate": "\t",
			"signatureType": []string{"possession", "POSSESSION"}, "maxFailureCount": 0, "expiration": int64(1) << 33},
			"dataTemplate - must not be blank, expiration - must be a positive number of seconds, maxFailureCount - must be greater than or equal to 1, " +
				"signatureType - must be a list of signature types, templateName - must not be blank"},
		{"operation/template/create", map[string]any{"templateName": "t", "operationType": "x", "dataTemplate": "x",
			"signatureType": []string{}, "maxFailureCount": 1, "expiration": -5},
			"expiration - must be a positive number of seconds, signatureType - must not be empty"},
		{"operation/template/update", map[string]any{"operationType": "x"},
			"dataTemplate - must not be blank, expiration - must be a positive number of seconds, id - must not be null, " +
				"maxFailureCount - must be greater than or equal to 1, signatureType - must not be empty"},
		{"operation/template/update", map[string]any{"id": "x", "templateName": "", "operationType": "x", "dataTemplate": "x",
			"signatureType": []string{"POSSESSION"}, "maxFailureCount": 1, "expiration": 1},
			"id - must be a positive number"},
	} {
		ro := ts.fail(t, c.method, c.req, http.StatusBadRequest, "ERR0024")
		if ro["message"] != c.want {
			t.Errorf("%s %v:\n got %q\nwant %q", c.method, c.req, ro["message"], c.want)
		}
	}
}
