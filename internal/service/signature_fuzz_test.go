package service

import (
	"bytes"
	"encoding/base64"
	"strings"
	"testing"
	"time"

	"github.com/mauth/mauth/protocol"
)

// FuzzOfflineSignatureData feeds untrusted offline data (and proximity
// settings) to the candidate builder: it must never panic, and every
// candidate must keep everything up to the last '&' and end in "&offline".
func FuzzOfflineSignatureData(f *testing.F) {
	f.Add("POST&L29wZXJhdGlvbi9hdXRob3JpemUvb2ZmbGluZQ==&AAAAAAAAAAAAAAAAAAAAAA==&b3AmZGF0YQ==", []byte("seed"), uint8(30), uint8(1), true)
	f.Add("POST&x&y&", []byte{}, uint8(0), uint8(0), false)
	f.Add("no ampersand", []byte{1}, uint8(1), uint8(2), true)
	f.Add("POST&x&y&%%%", []byte{1}, uint8(1), uint8(0), true)
	f.Fuzz(func(t *testing.T, data string, seed []byte, step, count uint8, proximity bool) {
		var pc *ProximityCheck
		if proximity {
			pc = &ProximityCheck{Seed: seed, StepLength: time.Duration(step) * time.Second, StepCount: int(count % 8)}
		}
		out, err := offlineSignatureData(data, pc, time.Unix(1700000000, 0))
		if err != nil {
			if !proximity {
				t.Fatalf("error without proximity check: %v", err)
			}
			return
		}
		if !proximity {
			if len(out) != 1 || !bytes.Equal(out[0], protocol.SignatureData(data, "offline")) {
				t.Fatalf("candidates %q", out)
			}
			return
		}
		if len(out) != pc.StepCount+1 {
			t.Fatalf("%d candidates for %d steps", len(out), pc.StepCount)
		}
		head := ""
		if i := strings.LastIndexByte(data, '&'); i >= 0 {
			head = data[:i+1]
		}
		for _, c := range out {
			s := string(c)
			if !strings.HasPrefix(s, head) || !strings.HasSuffix(s, "&offline") {
				t.Fatalf("candidate %q for %q", s, data)
			}
			body, err := base64.StdEncoding.DecodeString(strings.TrimSuffix(s[len(head):], "&offline"))
			if err != nil || len(body) < 9 || body[len(body)-9] != '&' {
				t.Fatalf("candidate body %q: %v", body, err)
			}
		}
	})
}

// FuzzParseSignatureTypeName checks the wire-name parser against the
// round trip through SignatureTypeName.
func FuzzParseSignatureTypeName(f *testing.F) {
	for _, t := range protocol.SignatureTypes {
		f.Add(SignatureTypeName(t))
	}
	f.Add("possession")
	f.Add("")
	f.Fuzz(func(t *testing.T, name string) {
		typ, err := ParseSignatureTypeName(name)
		if err != nil {
			return
		}
		if SignatureTypeName(typ) != name || len(typ.Factors()) == 0 {
			t.Fatalf("%q parsed as %q", name, typ)
		}
	})
}
