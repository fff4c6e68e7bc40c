package client

import (
	"bytes"
	"testing"

	"github.com/mauth/mauth/protocol"
)

// TestKeysForDerivesTheKnowledgeKeyOnlyWhenNeeded: a signature without
// the knowledge factor does not unwrap the knowledge key (no PBKDF2), and
// one with it gets the same keys as signingKeys.
func TestKeysForDerivesTheKnowledgeKeyOnlyWhenNeeded(t *testing.T) {
	d, server := testDevice(t, "1234")
	for _, f := range []Factors{Possession, PossessionBiometry, {Type: protocol.SignatureBiometry}} {
		ks, err := d.keysFor(f)
		if err != nil {
			t.Fatal(err)
		}
		if ks.Knowledge != nil || !bytes.Equal(ks.Possession, server.Possession) || !bytes.Equal(ks.Biometry, server.Biometry) {
			t.Fatalf("%s: keys %+v", f.Type, ks)
		}
	}
	for _, f := range []Factors{PossessionKnowledge("1234"), {Type: protocol.SignatureKnowledge, PIN: "1234"}, {Type: protocol.SignaturePossessionKnowledgeBiometry, PIN: "1234"}} {
		ks, err := d.keysFor(f)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(ks.Knowledge, server.Knowledge) || !bytes.Equal(ks.Possession, server.Possession) {
			t.Fatalf("%s: knowledge key differs", f.Type)
		}
	}
	// A possession signature is the same whatever PIN is given.
	c := &Client{cfg: Config{ApplicationSecret: "c2VjcmV0", ApplicationKey: "a2V5", Version: protocol.Version33}}
	h, err := c.SignatureHeader(d, Factors{Type: protocol.SignaturePossession, PIN: "ignored"}, "POST", "/x", nil)
	if err != nil || h == "" {
		t.Fatalf("possession signature: %q %v", h, err)
	}
}

// TestConfigPINKeySuppliesThePINKey: with Config.PINKey set, a
// knowledge-factor signature asks it (and runs no PBKDF2 of its own) for
// the device and PIN given, a possession signature does not, and the key
// it returns is the one the knowledge key is unwrapped with.
func TestConfigPINKeySuppliesThePINKey(t *testing.T) {
	d, server := testDevice(t, "1234")
	var asked []string
	c := &Client{cfg: Config{ApplicationSecret: "c2VjcmV0", ApplicationKey: "a2V5", Version: protocol.Version33,
		PINKey: func(got *Device, pin string) ([]byte, error) {
			if got != d {
				t.Fatalf("PINKey asked for another device")
			}
			asked = append(asked, pin)
			return DerivePINKey(pin, got.PINSalt)
		}}}
	for _, c2 := range []struct {
		f    Factors
		want []string
	}{
		{Possession, nil},
		{PossessionKnowledge("1234"), []string{"1234"}},
		{PossessionKnowledge("9999"), []string{"1234", "9999"}},
	} {
		if _, err := c.SignatureHeader(d, c2.f, "POST", "/x", nil); err != nil {
			t.Fatal(err)
		}
		if len(asked) != len(c2.want) || (len(asked) > 0 && asked[len(asked)-1] != c2.want[len(c2.want)-1]) {
			t.Fatalf("%s: PINKey asked for %v, want %v", c2.f.Type, asked, c2.want)
		}
	}
	ks, err := d.keysWith(PossessionKnowledge("1234"), c.cfg.PINKey)
	if err != nil || !bytes.Equal(ks.Knowledge, server.Knowledge) {
		t.Fatalf("knowledge key through PINKey differs: %v", err)
	}
}
