package protocol

import (
	"bytes"
	"errors"
	"testing"
)

func TestStatusBlobRoundTrip(t *testing.T) {
	ks := testKeys(t)
	ctr := RandomBytes(16)
	hash, err := CtrDataHash(ks.Transport, ctr)
	if err != nil {
		t.Fatal(err)
	}
	in := StatusBlob{Status: StatusActive, CurrentVersion: 3, UpgradeVersion: 3, CtrByte: 200, FailedAttempts: 2, MaxFailedAttempts: 5, CtrLookAhead: 20, CtrDataHash: hash}
	ch, nonce := RandomBytes(16), RandomBytes(16)
	enc, err := EncryptStatusBlob(ks.Transport, ch, nonce, in)
	if err != nil {
		t.Fatal(err)
	}
	out, err := DecryptStatusBlob(ks.Transport, ch, nonce, enc)
	if err != nil {
		t.Fatal(err)
	}
	if out.Status != in.Status || out.CurrentVersion != 3 || out.UpgradeVersion != 3 || out.CtrByte != 200 ||
		out.FailedAttempts != 2 || out.MaxFailedAttempts != 5 || out.CtrLookAhead != 20 || !bytes.Equal(out.CtrDataHash, hash) {
		t.Fatalf("round trip: %+v", out)
	}
	// The client finds its counter at distance 0, and at distance 3 when it is 3 behind.
	if d, _ := CounterHashDistance(ks.Transport, ctr, out.CtrDataHash, 20); d != 0 {
		t.Fatalf("distance %d", d)
	}
	behind := ctr
	serverCtr := NextCtrData(NextCtrData(NextCtrData(ctr)))
	h3, _ := CtrDataHash(ks.Transport, serverCtr)
	if d, _ := CounterHashDistance(ks.Transport, behind, h3, 20); d != 3 {
		t.Fatalf("distance %d, want 3", d)
	}
	if d, _ := CounterHashDistance(ks.Transport, serverCtr, hash, 20); d != -1 {
		t.Fatalf("client ahead: distance %d, want -1", d)
	}
	// A wrong challenge, nonce or key gives garbage that fails the magic check.
	for name, args := range map[string][3][]byte{
		"challenge": {ks.Transport, RandomBytes(16), nonce},
		"nonce":     {ks.Transport, ch, RandomBytes(16)},
		"key":       {ks.Vault, ch, nonce},
	} {
		if _, err := DecryptStatusBlob(args[0], args[1], args[2], enc); !errors.Is(err, ErrInvalidStatusBlob) {
			t.Errorf("wrong %s: %v", name, err)
		}
	}
	// Two encryptions of the same status differ (random reserved bytes, fresh nonce).
	enc2, _ := EncryptStatusBlob(ks.Transport, ch, nonce, in)
	if bytes.Equal(enc, enc2) {
		t.Fatal("status blob is deterministic")
	}
}

func TestStatusBlobV30HidesCounter(t *testing.T) {
	ks := testKeys(t)
	in := StatusBlob{Status: StatusBlocked, CurrentVersion: 3, UpgradeVersion: 3, CtrByte: 9, FailedAttempts: 5, MaxFailedAttempts: 5, CtrLookAhead: 20, CtrDataHash: make([]byte, 16)}
	enc, err := EncryptStatusBlob(ks.Transport, nil, nil, in)
	if err != nil {
		t.Fatal(err)
	}
	out, err := DecryptStatusBlob(ks.Transport, nil, nil, enc)
	if err != nil {
		t.Fatal(err)
	}
	if out.Status != StatusBlocked || out.FailedAttempts != 5 || out.MaxFailedAttempts != 5 {
		t.Fatalf("3.0 blob: %+v", out)
	}
	if bytes.Equal(out.CtrDataHash, in.CtrDataHash) {
		t.Fatal("3.0 blob carries counter data")
	}
}

func TestParseStatusBlobMagic(t *testing.T) {
	b := make([]byte, 32)
	copy(b, []byte{0xDE, 0xC0, 0xDE, 0xD1})
	if _, err := ParseStatusBlob(b); err != nil {
		t.Fatal(err)
	}
	for _, bad := range [][]byte{{0xDE, 0xC0, 0xDE, 0xD0}, {0xDE, 0xC0, 0xDE, 0xE1}, {0xDD, 0xC0, 0xDE, 0xD1}} {
		copy(b, bad)
		if _, err := ParseStatusBlob(b); err == nil {
			t.Errorf("magic % x accepted", bad)
		}
	}
	if _, err := ParseStatusBlob(b[:31]); err == nil {
		t.Error("short blob accepted")
	}
}

func TestCounterByteDistance(t *testing.T) {
	for _, c := range []struct {
		l, s byte
		want int
	}{{5, 5, 0}, {7, 5, 2}, {5, 7, -2}, {2, 250, 8}, {250, 2, -8}, {128, 0, -128}, {0, 128, -128}, {127, 0, 127}, {0, 127, -127}} {
		if got := CounterByteDistance(c.l, c.s); got != c.want {
			t.Errorf("%d-%d: %d want %d", c.l, c.s, got, c.want)
		}
	}
}

func FuzzParseStatusBlob(f *testing.F) {
	f.Add(make([]byte, 32), make([]byte, 16), make([]byte, 16))
	good := make([]byte, 32)
	copy(good, []byte{0xDE, 0xC0, 0xDE, 0xD1, 3, 3, 3})
	f.Add(good, RandomBytes(16), RandomBytes(16))
	f.Add([]byte{1, 2, 3}, []byte{}, []byte{1})
	key := RandomBytes(16)
	f.Fuzz(func(t *testing.T, blob, challenge, nonce []byte) {
		if b, err := ParseStatusBlob(blob); err == nil {
			if len(b.CtrDataHash) != 16 || blob[0] != 0xDE {
				t.Fatalf("accepted %x", blob)
			}
		}
		if challenge != nil && len(challenge) == 0 {
			challenge = nil
		}
		if b, err := DecryptStatusBlob(key, challenge, nonce, blob); err == nil && len(b.CtrDataHash) != 16 {
			t.Fatalf("bad parse")
		}
	})
}
