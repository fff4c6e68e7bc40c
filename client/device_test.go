package client

import (
	"bytes"
	"encoding/hex"
	"math/big"
	"os"
	"path/filepath"
	"testing"

	"github.com/mauth/mauth/protocol"
)

func testDevice(t *testing.T, pin string) (*Device, *protocol.ActivationKeys) {
	t.Helper()
	dev, _ := protocol.GenerateKeyPair()
	srv, _ := protocol.GenerateKeyPair()
	d, err := newDevice("6ae8cd16-67a7-4840-8d37-33d9aab6ea51", dev, dev.Public().Compressed(), srv.Public(), protocol.RandomBytes(16), pin)
	if err != nil {
		t.Fatal(err)
	}
	ks, _ := protocol.DeriveActivationKeysECDH(srv, dev.Public())
	return d, ks
}

func TestDevicePINProtectsKnowledgeKey(t *testing.T) {
	d, server := testDevice(t, "1234")
	ks, err := d.signingKeys("1234")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(ks.Knowledge, server.Knowledge) || !bytes.Equal(ks.Possession, server.Possession) {
		t.Fatal("device keys differ from the server's")
	}
	if bytes.Contains(d.WrappedKnowledgeKey, server.Knowledge) {
		t.Fatal("knowledge key stored in clear")
	}
	wrong, err := d.signingKeys("9999")
	if err != nil {
		t.Fatal("a wrong PIN must not be detectable locally:", err)
	}
	if bytes.Equal(wrong.Knowledge, server.Knowledge) {
		t.Fatal("wrong PIN unwrapped the right key")
	}
	if err := d.ChangePIN("1234", "5678"); err != nil {
		t.Fatal(err)
	}
	ks2, _ := d.signingKeys("5678")
	if !bytes.Equal(ks2.Knowledge, server.Knowledge) {
		t.Fatal("PIN change lost the knowledge key")
	}
}

func TestDeviceSaveLoad(t *testing.T) {
	d, _ := testDevice(t, "1234")
	d.nextSignatureCounter()
	path := filepath.Join(t.TempDir(), "device.json")
	if err := d.Save(path); err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat(path)
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("state file mode %v: %v", st.Mode(), err)
	}
	back, err := LoadDevice(path)
	if err != nil {
		t.Fatal(err)
	}
	if back.Counter != 1 || !bytes.Equal(back.CtrData, d.CtrData) || back.Fingerprint != d.Fingerprint || len(back.Fingerprint) != 8 {
		t.Fatalf("round trip: %+v", back)
	}
	if err := os.WriteFile(path, []byte(`{"activationId":"x"}`), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadDevice(path); err == nil {
		t.Fatal("incomplete state accepted")
	}
}

func TestSyncCounter(t *testing.T) {
	mk := func(t *testing.T) (*Device, []byte, uint64) {
		d, _ := testDevice(t, "1")
		return d, d.CtrData, d.Counter
	}
	blobFor := func(d *Device, ctr []byte, counter uint64) *protocol.StatusBlob {
		h, _ := protocol.CtrDataHash(d.TransportKey, ctr)
		return &protocol.StatusBlob{CtrByte: byte(counter), CtrLookAhead: 20, CtrDataHash: h}
	}
	t.Run("in sync", func(t *testing.T) {
		d, ctr, n := mk(t)
		st := &Status{}
		if err := syncCounter(d, blobFor(d, ctr, n), st); err != nil || !st.CounterSynced {
			t.Fatalf("%v %+v", err, st)
		}
	})
	t.Run("server ahead", func(t *testing.T) {
		d, ctr, n := mk(t)
		for i := 0; i < 3; i++ {
			ctr = protocol.NextCtrData(ctr)
		}
		st := &Status{}
		if err := syncCounter(d, blobFor(d, ctr, n+3), st); err != nil || !st.CounterSynced {
			t.Fatalf("%v %+v", err, st)
		}
		if !bytes.Equal(d.CtrData, ctr) || d.Counter != n+3 {
			t.Fatal("device did not adopt the server counter")
		}
	})
	t.Run("device ahead", func(t *testing.T) {
		d, ctr, n := mk(t)
		for i := 0; i < 4; i++ {
			d.nextSignatureCounter()
		}
		st := &Status{}
		if err := syncCounter(d, blobFor(d, ctr, n), st); err != nil || st.CounterAhead != 4 {
			t.Fatalf("%v %+v", err, st)
		}
	})
	t.Run("deadlock", func(t *testing.T) {
		d, _, n := mk(t)
		st := &Status{}
		if err := syncCounter(d, blobFor(d, protocol.RandomBytes(16), n+1), st); err != ErrCounterDeadlock {
			t.Fatalf("got %v", err)
		}
	})
}

func TestSignatureHeaderVerifiesOnServerSide(t *testing.T) {
	d, server := testDevice(t, "1234")
	master, _ := protocol.GenerateKeyPair()
	for _, v := range []string{"3.1", "3.2", "3.3"} {
		c, err := New(Config{BaseURL: "http://x", ApplicationKey: "AAAAAAAAAAAAAAAAAAAAAA==", ApplicationSecret: "BBBBBBBBBBBBBBBBBBBBBB==", MasterPublicKey: master.Public().Uncompressed(), Version: v})
		if err != nil {
			t.Fatal(err)
		}
		serverCtr := d.CtrData
		hdr, err := c.SignatureHeader(d, PossessionKnowledge("1234"), "POST", "/pa/signature/validate", []byte(`{"x":1}`))
		if err != nil {
			t.Fatal(err)
		}
		h, err := protocol.ParseAuthorizationHeader(hdr)
		if err != nil {
			t.Fatalf("%s: %v", v, err)
		}
		nonce, _ := h.NonceBytes()
		data := protocol.SignatureData(protocol.RequestData("POST", "/pa/signature/validate", nonce, []byte(`{"x":1}`)), "BBBBBBBBBBBBBBBBBBBBBB==")
		res, err := protocol.VerifySignature(protocol.VerifyRequest{Keys: server, Type: h.SignatureType, CtrData: serverCtr, Data: data, Signature: h.Signature, Format: protocol.SignatureFormatForVersion(h.Version)})
		if err != nil || !res.Valid {
			t.Fatalf("%s: server rejects the client's signature: %v", v, err)
		}
	}
}

// TestDeviceStoresJavaReadablePrivateKey: a new device encrypts its
// private key in the form Java's signed BigInteger reader and unsigned
// readers agree on (a zero sign byte when the top bit is set), for keys
// with the top bit set and clear; a device saved by an earlier client
// (bare 32-byte scalar) still yields its key.
func TestDeviceStoresJavaReadablePrivateKey(t *testing.T) {
	srv, err := protocol.ParsePrivateKey(bytes.Repeat([]byte{0x21}, 32))
	if err != nil {
		t.Fatal(err)
	}
	for _, scalarHex := range []string{
		"e1d2c3b4a5968778695a4b3c2d1e0f00112233445566778899aabbccddeeff01", // top bit set
		"61d2c3b4a5968778695a4b3c2d1e0f00112233445566778899aabbccddeeff01", // top bit clear
	} {
		scalar, _ := hex.DecodeString(scalarHex)
		dev, err := protocol.ParsePrivateKey(scalar)
		if err != nil {
			t.Fatal(err)
		}
		d, err := newDevice("6ae8cd16-67a7-4840-8d37-33d9aab6ea51", dev, dev.Public().Compressed(), srv.Public(), protocol.RandomBytes(16), "1234")
		if err != nil {
			t.Fatal(err)
		}
		ks, err := protocol.DeriveActivationKeysECDH(srv, dev.Public())
		if err != nil {
			t.Fatal(err)
		}
		plain, err := protocol.DecryptCBC(ks.Vault, make([]byte, 16), d.EncryptedDevicePrivateKey)
		if err != nil {
			t.Fatal(err)
		}
		// Java: new BigInteger(plain), signed two's complement.
		java := new(big.Int).SetBytes(plain)
		if plain[0]&0x80 != 0 {
			java.Sub(java, new(big.Int).Lsh(big.NewInt(1), uint(8*len(plain))))
		}
		if java.Cmp(new(big.Int).SetBytes(scalar)) != 0 {
			t.Fatalf("%s: Java reads the stored key as %s (plaintext %x)", scalarHex, java.Text(16), plain)
		}
		got, err := protocol.DecryptDevicePrivateKey(ks.Vault, d.EncryptedDevicePrivateKey)
		if err != nil || !bytes.Equal(got.Bytes(), scalar) {
			t.Fatalf("%s: read back %x %v", scalarHex, got.Bytes(), err)
		}
		old, _ := protocol.EncryptCBC(ks.Vault, make([]byte, 16), scalar)
		if got, err := protocol.DecryptDevicePrivateKey(ks.Vault, old); err != nil || !bytes.Equal(got.Bytes(), scalar) {
			t.Fatalf("%s: the 32-byte form of earlier clients: %v", scalarHex, err)
		}
	}
}
