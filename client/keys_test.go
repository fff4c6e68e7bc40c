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
