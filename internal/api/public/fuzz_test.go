package public

import (
	"testing"

	"github.com/mauth/mauth/internal/api/render"
)

// FuzzParseLayer1 feeds arbitrary decrypted layer-1 payloads to the parser:
// it never panics, and an accepted request has a known type, identity
// attributes, the identity values its type needs and a layer-2 cryptogram.
func FuzzParseLayer1(f *testing.F) {
	for _, s := range []string{
		`{"type":"CODE","identityAttributes":{"code":"AAAAA-AAAAA-AAAAA-AAAAA"},"activationData":{"ephemeralPublicKey":"A","encryptedData":"B","mac":"C"}}`,
		`{"type":"RECOVERY","identityAttributes":{"recoveryCode":"X","puk":"0123456789"},"activationData":{"ephemeralPublicKey":"A","encryptedData":"B","mac":"C","timestamp":1}}`,
		`{"type":"CUSTOM","identityAttributes":{"username":"a","n":1.5},"customAttributes":{"k":[1]},"activationData":{"ephemeralPublicKey":"A","encryptedData":"B","mac":"C"}}`,
		`{"type":"DIRECT","identityAttributes":{"method":"oidc"}}`,
		`{"type":"CODE"} {}`, `null`, `[]`, `{"type":7}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, plain []byte) {
		l1, err := parseLayer1(plain)
		if err != nil {
			return
		}
		switch l1.Type {
		case activationTypeCode:
			if l1.code == "" {
				t.Fatal("CODE without code")
			}
		case activationTypeRecovery:
			if l1.recoveryCode == "" || l1.puk == "" {
				t.Fatal("RECOVERY without code or PUK")
			}
		case activationTypeCustom, activationTypeDirect:
		default:
			t.Fatalf("accepted type %q", l1.Type)
		}
		if len(l1.IdentityAttributes) == 0 || l1.ActivationData == nil || l1.ActivationData.Mac == "" {
			t.Fatalf("accepted incomplete request %+v", l1)
		}
		_ = l1.ActivationData.request("3.3")
	})
}

// FuzzDecodeObject feeds arbitrary plain request bodies to the envelope
// decoder: it never panics and fails only with an answer of the given class.
func FuzzDecodeObject(f *testing.F) {
	for _, s := range []string{`{"requestObject":{"activationId":"a","challenge":"b"}}`, `{"requestObject":null}`, ``, `{"requestObject":{"activationId":1}}`, `{"requestObject":`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		var req activationStatusRequest
		if err := decodeObject(body, &req, failActivation); err != nil {
			ae, ok := err.(*render.APIError)
			if !ok || ae.Code != CodeActivation || ae.Status != 400 {
				t.Fatalf("unexpected error %v", err)
			}
		}
	})
}
