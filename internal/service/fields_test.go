package service

import (
	"testing"
	"time"

	"github.com/mauth/mauth/protocol"
)

// TestOperationTemplateInputValidation: the core checks a template's fields
// with the one check the private API runs too (CheckFields), so a caller of
// the core gets the private API's wording, every invalid field at once,
// and a name of white space only is blank here as well.
func TestOperationTemplateInputValidation(t *testing.T) {
	valid := OperationTemplateInput{Name: "t", OperationType: "x", DataTemplate: "x",
		SignatureTypes: []protocol.SignatureType{protocol.SignaturePossession}, MaxFailureCount: 1, Expiration: time.Second}
	for _, c := range []struct {
		name   string
		in     OperationTemplateInput
		update bool
		want   string // "" for valid
	}{
		{"valid", valid, false, ""},
		{"update ignores the name", func() OperationTemplateInput { in := valid; in.Name = ""; return in }(), true, ""},
		{"empty", OperationTemplateInput{}, false, "dataTemplate - must not be blank, expiration - must be a positive number of seconds, " +
			"maxFailureCount - must be greater than or equal to 1, operationType - must not be blank, signatureType - must not be empty, " +
			"templateName - must not be blank"},
		{"white space name", func() OperationTemplateInput { in := valid; in.Name = " \t"; return in }(), false, "templateName - must not be blank"},
		{"unknown type", func() OperationTemplateInput {
			in := valid
			in.SignatureTypes = []protocol.SignatureType{"possession", "nope"}
			return in
		}(), false, "signatureType - must be a list of signature types"},
		{"fractional expiration", func() OperationTemplateInput { in := valid; in.Expiration = 1500 * time.Millisecond; return in }(), false,
			"expiration - must be a positive number of seconds"},
	} {
		err := c.in.validate(c.update)
		if c.want == "" {
			if err != nil {
				t.Errorf("%s: %v", c.name, err)
			}
			continue
		}
		se, ok := err.(*Error)
		if !ok || se.Code != CodeInvalidRequest || se.Message != c.want {
			t.Errorf("%s: got %v, want %s: %s", c.name, err, CodeInvalidRequest, c.want)
		}
	}
}
