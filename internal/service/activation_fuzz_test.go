package service

import (
	"encoding/json"
	"strings"
	"testing"
)

// FuzzParseActivationLayer2 feeds arbitrary decrypted layer-2 payloads to
// the parser: it must never panic, must only accept attributes within their
// limits, and what it accepts must survive a round trip.
func FuzzParseActivationLayer2(f *testing.F) {
	f.Add([]byte(`{"devicePublicKey":"AkR0b+kK0mpmE4PuqcIU4A0Y3WGvbDEB7bdN0B/0SJik","activationName":"Phone","extras":"x","platform":"ios","deviceInfo":"iPhone12,3"}`))
	f.Add([]byte(`{"devicePublicKey":"","activationOtp":"12345"}`))
	f.Add([]byte(`{"activationName":"a\u0000b"}`))
	f.Add([]byte(`{"activationName":123}`))
	f.Add([]byte(`[]`))
	f.Add([]byte(`null`))
	f.Add([]byte(`{"extras":"` + strings.Repeat("e", 4001) + `"}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := parseActivationLayer2(data)
		if err != nil {
			if CodeOf(err) != CodeInvalidInputFormat {
				t.Fatalf("error code %s", CodeOf(err))
			}
			return
		}
		for _, v := range []string{r.DevicePublicKey, r.ActivationName, r.ExternalID, r.Platform, r.DeviceInfo, r.ActivationOTP} {
			if len(v) > maxActivationText || strings.ContainsRune(v, 0) {
				t.Fatalf("accepted out-of-range value %q", v)
			}
		}
		if len(r.Extras) > maxActivationExtras || strings.ContainsRune(r.Extras, 0) {
			t.Fatal("accepted out-of-range extras")
		}
		b, err := json.Marshal(r)
		if err != nil {
			t.Fatal(err)
		}
		again, err := parseActivationLayer2(b)
		if err != nil || again != r {
			t.Fatalf("round trip: %+v vs %+v (%v)", again, r, err)
		}
	})
}
