package protocol

import (
	"encoding/base64"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"
)

// eciesFuzzKey is the fixed server key the committed seed corpora were
// encrypted or signed with (scalar 0x01..0x20).
func eciesFuzzKey(t testing.TB) *PrivateKey {
	t.Helper()
	b := make([]byte, 32)
	for i := range b {
		b[i] = byte(i + 1)
	}
	k, err := ParsePrivateKey(b)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// eciesFuzzHMACKey is the fixed HS256 key of the request JWT seeds: the
// application-scope key of eciesTAppSecret.
var eciesFuzzHMACKey, _ = base64.StdEncoding.DecodeString(eciesTAppSecret)

// FuzzParseEncryptedRequest feeds arbitrary bodies to the request parser for
// each version. A parsed request must validate, survive a JSON round trip
// unchanged and never decrypt without a matching MAC.
func FuzzParseEncryptedRequest(f *testing.F) {
	key := eciesFuzzKey(f)
	for i, v := range Versions {
		req, _, err := EncryptRequest(key.Public(), eciesTContext(v, SharedInfo1GenericActivation), []byte(`{"seed":true}`), time.UnixMilli(1749762303600))
		if err != nil {
			f.Fatal(err)
		}
		body, err := req.Marshal()
		if err != nil {
			f.Fatal(err)
		}
		f.Add(body, uint8(i))
	}
	f.Add([]byte(`{"ephemeralPublicKey":"","encryptedData":"","mac":""}`), uint8(0))
	f.Add([]byte(`{"timestamp":1e3,"nonce":null}`), uint8(2))
	f.Add([]byte(`[]`), uint8(3))
	f.Fuzz(func(t *testing.T, body []byte, vi uint8) {
		version := Versions[int(vi)%len(Versions)]
		req, err := ParseEncryptedRequest(body, version)
		if err != nil {
			if req != nil || !errors.Is(err, ErrEciesMalformed) {
				t.Fatalf("error %v with request %v", err, req)
			}
			return
		}
		if err := req.validate(version); err != nil {
			t.Fatalf("parsed request does not validate: %v", err)
		}
		again, err := req.Marshal()
		if err != nil {
			t.Fatalf("marshal: %v", err)
		}
		req2, err := ParseEncryptedRequest(again, version)
		if err != nil {
			t.Fatalf("re-parse of %s: %v", again, err)
		}
		if !reflect.DeepEqual(req, req2) {
			t.Fatalf("round trip changed the request: %+v != %+v", req, req2)
		}
		ctx := eciesTContext(version, SharedInfo1GenericActivation)
		if _, _, err := DecryptRequest(key, ctx, req); err != nil &&
			!errors.Is(err, ErrEciesMAC) && !errors.Is(err, ErrEciesTemporaryKey) && !errors.Is(err, ErrEciesDecrypt) {
			t.Fatalf("DecryptRequest of a parsed request: %v", err)
		}
	})
}

// FuzzParseTemporaryKeyRequest feeds arbitrary strings to the request JWT
// parser. A parsed request re-signed from its claims must parse to the same
// claims and verify.
func FuzzParseTemporaryKeyRequest(f *testing.F) {
	for _, act := range []string{"", eciesTActivation} {
		jwt, err := signTemporaryKeyRequest(TemporaryKeyRequest{ApplicationKey: eciesTAppKey, ActivationID: act, Challenge: "q1w2e3r4t5y6u7i8o9p0a1s2"}, eciesFuzzHMACKey)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(jwt)
	}
	f.Add(tkTHS256(`{"alg":"none","typ":"JWT"}`, `{"applicationKey":"k","challenge":"c"}`, eciesFuzzHMACKey))
	f.Add("a.b.c")
	f.Add("..")
	f.Fuzz(func(t *testing.T, jwt string) {
		req, err := ParseTemporaryKeyRequest(jwt)
		if err != nil {
			if req != nil || !errors.Is(err, ErrTemporaryKeyMalformed) && !errors.Is(err, ErrTemporaryKeyAlgorithm) {
				t.Fatalf("error %v with request %+v", err, req)
			}
			return
		}
		_ = req.Verify(eciesFuzzHMACKey)
		if req.ApplicationKey == "" || req.Challenge == "" {
			t.Fatalf("parsed request lacks required claims: %+v", req)
		}
		resigned, err := signTemporaryKeyRequest(*req, eciesFuzzHMACKey)
		if err != nil {
			t.Fatalf("re-sign: %v", err)
		}
		if len(resigned) > tempKeyMaxJWTLength {
			return // the canonical form may be longer than the accepted input
		}
		req2, err := ParseTemporaryKeyRequest(resigned)
		if err != nil {
			t.Fatalf("re-parse of %s: %v", resigned, err)
		}
		if req2.ApplicationKey != req.ApplicationKey || req2.ActivationID != req.ActivationID || req2.Challenge != req.Challenge {
			t.Fatalf("round trip changed the claims: %+v != %+v", req, req2)
		}
		if err := req2.Verify(eciesFuzzHMACKey); err != nil {
			t.Fatalf("re-signed request does not verify: %v", err)
		}
	})
}

// FuzzParseTemporaryKeyResponse feeds arbitrary strings to the response JWT
// parser, both as given and re-signed with the fixed key (so the claims
// parser is reached). A parsed response rebuilt from its claims must parse
// to the same claims.
func FuzzParseTemporaryKeyResponse(f *testing.F) {
	key := eciesFuzzKey(f)
	for _, act := range []string{"", eciesTActivation} {
		c := tkTClaims(f, act)
		jwt, err := BuildTemporaryKeyResponse(key, c)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(jwt)
	}
	f.Add(tkTSeg(`{"alg":"none","typ":"JWT"}`) + "." + tkTSeg(`{"sub":"x"}`) + ".")
	f.Add("e30.e30.AA")
	f.Fuzz(func(t *testing.T, jwt string) {
		check := func(jwt string) {
			claims, err := ParseTemporaryKeyResponse(jwt, key.Public())
			if err != nil {
				if claims != nil || !errors.Is(err, ErrTemporaryKeyMalformed) && !errors.Is(err, ErrTemporaryKeyAlgorithm) && !errors.Is(err, ErrTemporaryKeySignature) {
					t.Fatalf("error %v with claims %+v", err, claims)
				}
				return
			}
			rebuilt, err := BuildTemporaryKeyResponse(key, *claims)
			if err != nil {
				t.Fatalf("rebuild from parsed claims: %v", err)
			}
			if len(rebuilt) > tempKeyMaxJWTLength {
				return
			}
			claims2, err := ParseTemporaryKeyResponse(rebuilt, key.Public())
			if err != nil {
				t.Fatalf("re-parse of %s: %v", rebuilt, err)
			}
			if !tkTSameClaims(claims, claims2) {
				t.Fatalf("round trip changed the claims: %+v != %+v", claims, claims2)
			}
		}
		check(jwt)
		if parts := strings.Split(jwt, "."); len(parts) == 3 && len(jwt) <= tempKeyMaxJWTLength {
			sig, err := key.SignJOSE([]byte(parts[0] + "." + parts[1]))
			if err != nil {
				t.Fatal(err)
			}
			check(parts[0] + "." + parts[1] + "." + base64.RawURLEncoding.EncodeToString(sig))
		}
	})
}
