package service

import (
	"strings"
	"testing"
)

func TestArgon2RoundTrip(t *testing.T) {
	svc := &Service{cfg: Config{RecoveryPUKHashMemoryKiB: 64}}
	h, err := svc.hashSecret("0123456789")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(h, "$argon2i$v=19$m=64,t=3,p=16$") {
		t.Fatalf("unexpected MCF prefix: %s", h)
	}
	parts := strings.Split(h, "$")
	if len(parts) != 6 || len(parts[4]) != 22 || len(parts[5]) != 43 || strings.Contains(h, "=$") {
		t.Fatalf("salt/hash encoding: %q", h)
	}
	if !svc.verifySecret(h, "0123456789") {
		t.Fatal("correct secret rejected")
	}
	if svc.verifySecret(h, "0123456788") || svc.verifySecret(h, "") {
		t.Fatal("wrong secret accepted")
	}
	h2, err := svc.hashSecret("0123456789")
	if err != nil || h2 == h {
		t.Fatalf("salt is not random: %v", err)
	}
	// The memory cost is read back from the hash: a service configured
	// differently still verifies it.
	other := &Service{cfg: Config{RecoveryPUKHashMemoryKiB: 128}}
	if !other.verifySecret(h, "0123456789") {
		t.Fatal("hash made with another memory cost rejected")
	}
}

func TestArgon2DefaultMemory(t *testing.T) {
	svc := &Service{}
	h, err := svc.hashSecret("x")
	if err != nil || !strings.HasPrefix(h, "$argon2i$v=19$m=32768,t=3,p=16$") {
		t.Fatalf("default params: %q %v", h, err)
	}
}

func TestArgon2Malformed(t *testing.T) {
	svc := &Service{cfg: Config{RecoveryPUKHashMemoryKiB: 64}}
	good, err := svc.hashSecret("secret")
	if err != nil {
		t.Fatal(err)
	}
	parts := strings.Split(good, "$")
	salt, sum := parts[4], parts[5]
	cases := map[string]string{
		"empty":            "",
		"plain":            "secret",
		"argon2id":         "$argon2id$v=19$m=64,t=3,p=16$" + salt + "$" + sum,
		"old version":      "$argon2i$v=16$m=64,t=3,p=16$" + salt + "$" + sum,
		"missing part":     "$argon2i$v=19$m=64,t=3,p=16$" + salt,
		"extra part":       good + "$x",
		"no leading $":     strings.TrimPrefix(good, "$"),
		"param order":      "$argon2i$v=19$t=3,m=64,p=16$" + salt + "$" + sum,
		"zero memory":      "$argon2i$v=19$m=0,t=3,p=16$" + salt + "$" + sum,
		"huge memory":      "$argon2i$v=19$m=4294967295,t=3,p=16$" + salt + "$" + sum,
		"zero time":        "$argon2i$v=19$m=64,t=0,p=16$" + salt + "$" + sum,
		"huge time":        "$argon2i$v=19$m=64,t=100000,p=16$" + salt + "$" + sum,
		"zero threads":     "$argon2i$v=19$m=64,t=3,p=0$" + salt + "$" + sum,
		"threads overflow": "$argon2i$v=19$m=64,t=3,p=256$" + salt + "$" + sum,
		"negative":         "$argon2i$v=19$m=-64,t=3,p=16$" + salt + "$" + sum,
		"leading zero":     "$argon2i$v=19$m=064,t=3,p=16$" + salt + "$" + sum,
		"bad salt b64":     "$argon2i$v=19$m=64,t=3,p=16$!!!!$" + sum,
		"padded hash":      "$argon2i$v=19$m=64,t=3,p=16$" + salt + "$" + sum + "=",
		"short hash":       "$argon2i$v=19$m=64,t=3,p=16$" + salt + "$AAAA",
		"empty salt":       "$argon2i$v=19$m=64,t=3,p=16$$" + sum,
	}
	for name, h := range cases {
		t.Run(name, func(t *testing.T) {
			if svc.verifySecret(h, "secret") {
				t.Fatalf("malformed hash accepted: %q", h)
			}
		})
	}
}

func FuzzParseArgon2Hash(f *testing.F) {
	f.Add("$argon2i$v=19$m=64,t=3,p=16$AAAAAAAAAAAAAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")
	f.Add("$argon2i$v=19$m=,t=,p=$$")
	f.Add("")
	f.Fuzz(func(t *testing.T, s string) {
		h, ok := parseArgon2Hash(s)
		if !ok {
			return
		}
		if h.memory < 8 || h.memory > argon2MaxMemoryKiB || h.time < 1 || h.time > argon2MaxIterations || h.threads < 1 {
			t.Fatalf("accepted out-of-range parameters: %+v", h)
		}
	})
}
