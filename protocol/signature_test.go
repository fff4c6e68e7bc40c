package protocol

import (
	"bytes"
	"net/url"
	"strings"
	"testing"
)

func testKeys(t testing.TB) *ActivationKeys {
	t.Helper()
	dev, err := GenerateKeyPair()
	if err != nil {
		t.Fatal(err)
	}
	srv, err := GenerateKeyPair()
	if err != nil {
		t.Fatal(err)
	}
	ks, err := DeriveActivationKeysECDH(dev, srv.Public())
	if err != nil {
		t.Fatal(err)
	}
	// Both sides derive the same keys.
	ks2, err := DeriveActivationKeysECDH(srv, dev.Public())
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(ks.Possession, ks2.Possession) || !bytes.Equal(ks.Transport, ks2.Transport) {
		t.Fatal("device and server derived different keys")
	}
	return ks
}

func TestSignatureRoundTripEveryTypeAndFormat(t *testing.T) {
	ks := testKeys(t)
	ctr := RandomBytes(16)
	data := SignatureData(RequestData("post", "/pa/signature/validate", RandomBytes(16), []byte(`{"a":1}`)), "c2VjcmV0c2VjcmV0c2VjcmV0")
	formats := []struct {
		name   string
		format SignatureFormat
		length int
	}{
		{"base64", FormatBase64, 0},
		{"decimal8", FormatDecimal, 8},
		{"offline4", FormatDecimal, 4},
		{"offline6", FormatDecimal, 6},
	}
	for _, st := range SignatureTypes {
		for _, f := range formats {
			t.Run(string(st)+"/"+f.name, func(t *testing.T) {
				sig, err := ComputeSignature(ks, st, ctr, data, f.format, f.length)
				if err != nil {
					t.Fatal(err)
				}
				n := len(st.Factors())
				if f.format == FormatBase64 {
					if want := []int{24, 44, 64}[n-1]; len(sig) != want {
						t.Fatalf("base64 signature length %d, want %d", len(sig), want)
					}
				} else if parts := strings.Split(sig, "-"); len(parts) != n || len(parts[0]) != f.length {
					t.Fatalf("decimal signature %q has wrong shape", sig)
				}
				req := VerifyRequest{Keys: ks, Type: st, CtrData: ctr, Data: data, Signature: sig, Format: f.format, DecimalLength: f.length}
				res, err := VerifySignature(req)
				if err != nil || !res.Valid || res.Step != 0 {
					t.Fatalf("verify: %+v %v", res, err)
				}
				if !bytes.Equal(res.NextCtrData, NextCtrData(ctr)) {
					t.Fatal("next counter is not next(matched)")
				}
			})
		}
	}
}

func TestSignatureTamperingFails(t *testing.T) {
	ks := testKeys(t)
	ctr := RandomBytes(16)
	data := SignatureData(RequestData("POST", "/pa/token/create", RandomBytes(16), []byte("{}")), "YXBwc2VjcmV0YXBwc2VjcmV0")
	st := SignaturePossessionKnowledgeBiometry
	sig, err := ComputeSignature(ks, st, ctr, data, FormatBase64, 0)
	if err != nil {
		t.Fatal(err)
	}
	flip := func(b []byte, bit int) []byte {
		c := append([]byte(nil), b...)
		c[bit/8] ^= 1 << (bit % 8)
		return c
	}
	otherKeys := func(mod func(k *ActivationKeys)) *ActivationKeys {
		c := *ks
		mod(&c)
		return &c
	}
	sigBytes := []byte(sig)
	cases := []struct {
		name string
		req  VerifyRequest
	}{
		{"signature bit", VerifyRequest{Keys: ks, Type: st, CtrData: ctr, Data: data, Signature: string(flip(sigBytes, 3))}},
		{"possession key", VerifyRequest{Keys: otherKeys(func(k *ActivationKeys) { k.Possession = flip(k.Possession, 0) }), Type: st, CtrData: ctr, Data: data, Signature: sig}},
		{"knowledge key (wrong PIN)", VerifyRequest{Keys: otherKeys(func(k *ActivationKeys) { k.Knowledge = flip(k.Knowledge, 77) }), Type: st, CtrData: ctr, Data: data, Signature: sig}},
		{"biometry key", VerifyRequest{Keys: otherKeys(func(k *ActivationKeys) { k.Biometry = flip(k.Biometry, 127) }), Type: st, CtrData: ctr, Data: data, Signature: sig}},
		{"counter", VerifyRequest{Keys: ks, Type: st, CtrData: flip(ctr, 9), Data: data, Signature: sig}},
		{"counter already used", VerifyRequest{Keys: ks, Type: st, CtrData: NextCtrData(ctr), Data: data, Signature: sig}},
		{"body", VerifyRequest{Keys: ks, Type: st, CtrData: ctr, Data: flip(data, 8*len(data)-1), Signature: sig}},
		{"type", VerifyRequest{Keys: ks, Type: SignaturePossessionKnowledge, CtrData: ctr, Data: data, Signature: sig}},
		{"format", VerifyRequest{Keys: ks, Type: st, CtrData: ctr, Data: data, Signature: sig, Format: FormatDecimal}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if c.req.Format == 0 && c.name != "format" {
				c.req.Format = FormatBase64
			}
			res, err := VerifySignature(c.req)
			if err != nil {
				t.Fatal(err)
			}
			if res.Valid {
				t.Fatal("tampered signature verified")
			}
			if res.Step != -1 || res.NextCtrData != nil {
				t.Fatalf("failed verification reported a step: %+v", res)
			}
		})
	}
}

func TestSignatureLookAhead(t *testing.T) {
	ks := testKeys(t)
	serverCtr := RandomBytes(16)
	data := []byte("data")
	// The client is 7 steps ahead of the server (7 requests that never arrived).
	clientCtr := serverCtr
	for i := 0; i < 7; i++ {
		clientCtr = NextCtrData(clientCtr)
	}
	sig, err := ComputeSignature(ks, SignaturePossession, clientCtr, data, FormatBase64, 0)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		lookAhead int
		valid     bool
	}{{0, true}, {20, true}, {8, true}, {7, false}, {1, false}} {
		res, err := VerifySignature(VerifyRequest{Keys: ks, Type: SignaturePossession, CtrData: serverCtr, Data: data, Signature: sig, Format: FormatBase64, LookAhead: tc.lookAhead})
		if err != nil {
			t.Fatal(err)
		}
		if res.Valid != tc.valid {
			t.Fatalf("lookAhead %d: valid=%v, want %v", tc.lookAhead, res.Valid, tc.valid)
		}
		if tc.valid && (res.Step != 7 || !bytes.Equal(res.NextCtrData, NextCtrData(clientCtr))) {
			t.Fatalf("lookAhead %d: step %d", tc.lookAhead, res.Step)
		}
	}
}

func TestSignatureInvalidInput(t *testing.T) {
	ks := testKeys(t)
	for name, req := range map[string]VerifyRequest{
		"unknown type": {Keys: ks, Type: "possession_possession", CtrData: RandomBytes(16)},
		"short ctr":    {Keys: ks, Type: SignaturePossession, CtrData: RandomBytes(15)},
		"missing key":  {Keys: &ActivationKeys{Possession: ks.Possession}, Type: SignaturePossessionKnowledge, CtrData: RandomBytes(16)},
	} {
		if _, err := VerifySignature(req); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
	if _, err := FormatSignature([][]byte{make([]byte, 32)}, FormatDecimal, 9); err == nil {
		t.Error("decimal length 9 accepted")
	}
	if _, err := FormatSignature([][]byte{make([]byte, 32)}, FormatDecimal, 3); err == nil {
		t.Error("decimal length 3 accepted")
	}
}

func TestSignatureFormatForVersion(t *testing.T) {
	for v, want := range map[string]SignatureFormat{
		"3.0": FormatDecimal, "2.1": FormatDecimal, "3.1": FormatBase64, "3.2": FormatBase64, "3.3": FormatBase64, "4.0": FormatBase64, "x": FormatDecimal,
	} {
		if got := SignatureFormatForVersion(v); got != want {
			t.Errorf("%s: %v want %v", v, got, want)
		}
	}
}

func TestRequestDataLayout(t *testing.T) {
	nonce := []byte("0123456789abcdef")
	got := RequestData("post", "/pa/token/create", nonce, nil)
	want := "POST&L3BhL3Rva2VuL2NyZWF0ZQ==&MDEyMzQ1Njc4OWFiY2RlZg==&"
	if got != want {
		t.Fatalf("got %q want %q", got, want)
	}
	if s := string(SignatureData(got, "secret")); s != want+"&secret" {
		t.Fatalf("signature data %q", s)
	}
}

func TestCanonicalQuery(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"b=2&a=1", "a=1&b=2"},
		{"a=2&a=1&b=x", "a=1&a=2&b=x"},
		{"name=J%C3%BCrgen+M&x=%26%3D", "name=J%C3%BCrgen+M&x=%26%3D"},
		{"", ""},
	} {
		v, err := url.ParseQuery(tc.in)
		if err != nil {
			t.Fatal(err)
		}
		if got := CanonicalQuery(v); got != tc.want {
			t.Errorf("%q: got %q want %q", tc.in, got, tc.want)
		}
	}
}

func BenchmarkVerify2FA(b *testing.B) {
	ks := testKeys(b)
	ctr := RandomBytes(16)
	data := SignatureData(RequestData("POST", "/pa/signature/validate", RandomBytes(16), bytes.Repeat([]byte("x"), 200)), "YXBwc2VjcmV0YXBwc2VjcmV0")
	sig, err := ComputeSignature(ks, SignaturePossessionKnowledge, ctr, data, FormatBase64, 0)
	if err != nil {
		b.Fatal(err)
	}
	req := VerifyRequest{Keys: ks, Type: SignaturePossessionKnowledge, CtrData: ctr, Data: data, Signature: sig, Format: FormatBase64}
	b.ReportAllocs()
	for b.Loop() {
		if res, _ := VerifySignature(req); !res.Valid {
			b.Fatal("invalid")
		}
	}
}

// BenchmarkVerify2FAWithKeyAgreement includes what the server does per
// request before the look-ahead loop: ECDH and key derivation.
func BenchmarkVerify2FAWithKeyAgreement(b *testing.B) {
	dev, _ := GenerateKeyPair()
	srv, _ := GenerateKeyPair()
	ks, _ := DeriveActivationKeysECDH(dev, srv.Public())
	ctr := RandomBytes(16)
	data := []byte("POST&L3BhL3NpZ25hdHVyZS92YWxpZGF0ZQ==&bm9uY2Vub25jZW5vbmNlIQ==&e30=&YXBwc2VjcmV0YXBwc2VjcmV0")
	sig, _ := ComputeSignature(ks, SignaturePossessionKnowledge, ctr, data, FormatBase64, 0)
	devPub := dev.Public()
	b.ReportAllocs()
	for b.Loop() {
		keys, err := DeriveActivationKeysECDH(srv, devPub)
		if err != nil {
			b.Fatal(err)
		}
		if res, _ := VerifySignature(VerifyRequest{Keys: keys, Type: SignaturePossessionKnowledge, CtrData: ctr, Data: data, Signature: sig, Format: FormatBase64}); !res.Valid {
			b.Fatal("invalid")
		}
	}
}
