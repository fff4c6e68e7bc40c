package protocol

import (
	"bytes"
	"encoding/base64"
	"testing"
)

func TestSDKConfigRoundTrip(t *testing.T) {
	master, _ := GenerateKeyPair()
	c := SDKConfig{ApplicationKey: RandomBytes(16), ApplicationSecret: RandomBytes(16), MasterPublicKey: master.Public().Uncompressed()}
	s := c.String()
	raw, _ := base64.StdEncoding.DecodeString(s)
	// 01 · 10 appKey · 10 appSecret · 01 · 01 · 41 masterKey
	if raw[0] != 1 || raw[1] != 16 || raw[18] != 16 || raw[35] != 1 || raw[36] != 1 || raw[37] != 65 || len(raw) != 38+65 {
		t.Fatalf("layout: % x", raw[:40])
	}
	got, err := ParseSDKConfig(s)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got.ApplicationKey, c.ApplicationKey) || !bytes.Equal(got.ApplicationSecret, c.ApplicationSecret) || !bytes.Equal(got.MasterPublicKey, c.MasterPublicKey) {
		t.Fatal("round trip mismatch")
	}
	for _, bad := range []string{"", "!!", base64.StdEncoding.EncodeToString(raw[:50]), base64.StdEncoding.EncodeToString(append(raw, 0))} {
		if _, err := ParseSDKConfig(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

func TestVarLenCount(t *testing.T) {
	for _, n := range []int{0, 1, 0x7F, 0x80, 0x3FFF, 0x4000, 0x3FFFFFFF} {
		b := appendCount(nil, n)
		r := &byteReader{b: b}
		got, err := r.count()
		if err != nil || got != n || len(r.b) != 0 {
			t.Errorf("%d: got %d (%v), % x", n, got, err, b)
		}
	}
}

func FuzzParseSDKConfig(f *testing.F) {
	master, _ := GenerateKeyPair()
	f.Add(SDKConfig{ApplicationKey: RandomBytes(16), ApplicationSecret: RandomBytes(16), MasterPublicKey: master.Public().Uncompressed()}.String())
	f.Add("AQ==")
	f.Add("wP///w==")
	f.Fuzz(func(t *testing.T, s string) {
		c, err := ParseSDKConfig(s)
		if err != nil {
			return
		}
		back, err := ParseSDKConfig(c.String())
		if err != nil || !bytes.Equal(back.MasterPublicKey, c.MasterPublicKey) {
			t.Fatalf("re-encoding failed: %v", err)
		}
	})
}
