package private

import (
	"encoding/json"
	"errors"
	"testing"

	"github.com/mauth/mauth/internal/api/render"
	"github.com/mauth/mauth/protocol"
)

// FuzzSignatureRequests decodes untrusted request objects into the
// signature DTOs and runs their validation: no panic, and whatever passes
// validation is well-formed.
func FuzzSignatureRequests(f *testing.F) {
	f.Add(`{"activationId":"a","applicationKey":"k","data":"d","signature":"s","signatureType":"POSSESSION","signatureVersion":"3.1","forcedSignatureVersion":3}`)
	f.Add(`{"activationId":"a","data":"d","signature":"s","proximityCheck":{"seed":"AAAA","stepLength":30,"stepCount":2},"componentLength":6}`)
	f.Add(`{"proximityCheck":{"seed":"%%","stepLength":-1,"stepCount":9999999999}}`)
	f.Add(`{"signatureType":"possession","signatureVersion":"2.1"}`)
	f.Add(`{}`)
	f.Fuzz(func(t *testing.T, raw string) {
		var vr sigVerifyRequest
		if json.Unmarshal([]byte(raw), &vr) == nil {
			in, err := vr.input()
			var ve *render.ValidationError
			switch {
			case err != nil && !errors.As(err, &ve):
				t.Fatalf("non-validation error %v", err)
			case err == nil && (len(in.SignatureType.Factors()) == 0 || !protocol.ValidVersion(in.SignatureVersion) || in.Data == ""):
				t.Fatalf("accepted malformed input %+v", in)
			}
		}
		var pr sigOfflineVerifyRequest
		if json.Unmarshal([]byte(raw), &pr) == nil {
			var v render.Validator
			pc := pr.ProximityCheck.parse(&v, true)
			if v.Err() == nil && pc != nil && (len(pc.Seed) == 0 || pc.StepLength <= 0 || pc.StepCount < 0 || pc.StepCount > 100) {
				t.Fatalf("accepted proximity check %+v", pc)
			}
		}
	})
}
