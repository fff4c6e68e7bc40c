package protocol

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"
)

// tkTSeg returns the base64url segment of a string.
func tkTSeg(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }

// tkTHS256 signs header.payload with HMAC-SHA256 and returns the compact JWS.
func tkTHS256(header, payload string, key []byte) string {
	input := tkTSeg(header) + "." + tkTSeg(payload)
	return input + "." + base64.RawURLEncoding.EncodeToString(HMACSHA256(key, []byte(input)))
}

// tkTES256 signs header.payload with ES256 and returns the compact JWS.
func tkTES256(t testing.TB, header, payload string, key *PrivateKey) string {
	t.Helper()
	input := tkTSeg(header) + "." + tkTSeg(payload)
	sig, err := key.SignJOSE([]byte(input))
	if err != nil {
		t.Fatal(err)
	}
	return input + "." + base64.RawURLEncoding.EncodeToString(sig)
}

func TestTemporaryKeyHeaders(t *testing.T) {
	if TemporaryKeyRequestHeader != tkTSeg(`{"alg":"HS256","typ":"JWT"}`) {
		t.Errorf("request header literal does not encode {\"alg\":\"HS256\",\"typ\":\"JWT\"}")
	}
	if temporaryKeyResponseHeader != tkTSeg(`{"alg":"ES256","typ":"JWT"}`) {
		t.Errorf("response header does not encode {\"alg\":\"ES256\",\"typ\":\"JWT\"}")
	}
}

func TestTemporaryKeyRequestKey(t *testing.T) {
	raw := eciesTB64(t, eciesTAppSecret)
	app, err := TemporaryKeyRequestKey(eciesTAppSecret, nil)
	if err != nil || !bytes.Equal(app, raw) {
		t.Fatalf("application scope key = %x, %v; want the decoded secret", app, err)
	}
	act, err := TemporaryKeyRequestKey(eciesTAppSecret, eciesTTransportKey)
	if err != nil || !bytes.Equal(act, KDFInternal(eciesTTransportKey, raw)) || len(act) != 16 {
		t.Fatalf("activation scope key = %x, %v", act, err)
	}
	for _, bad := range []struct {
		secret string
		tk     []byte
	}{{"", nil}, {"not base64", nil}, {eciesTAppSecret, make([]byte, 15)}} {
		if _, err := TemporaryKeyRequestKey(bad.secret, bad.tk); err == nil {
			t.Errorf("TemporaryKeyRequestKey(%q, %d bytes) accepted", bad.secret, len(bad.tk))
		}
	}
}

func TestTemporaryKeyRequestRoundTrip(t *testing.T) {
	for _, scope := range []EciesScope{EciesScopeApplication, EciesScopeActivation} {
		t.Run(scope.String(), func(t *testing.T) {
			activationID, tk := "", []byte(nil)
			if scope == EciesScopeActivation {
				activationID, tk = eciesTActivation, eciesTTransportKey
			}
			jwt, challenge, err := BuildTemporaryKeyRequest(eciesTAppKey, eciesTAppSecret, activationID, tk)
			if err != nil {
				t.Fatal(err)
			}
			if !strings.HasPrefix(jwt, TemporaryKeyRequestHeader+".") {
				t.Errorf("JWT does not start with the SDK header literal: %s", jwt)
			}
			if c, err := base64.StdEncoding.DecodeString(challenge); err != nil || len(c) != 18 {
				t.Errorf("challenge %q is not Base64 of 18 bytes", challenge)
			}
			payload, err := base64.RawURLEncoding.DecodeString(strings.Split(jwt, ".")[1])
			if err != nil {
				t.Fatal(err)
			}
			want := `{"applicationKey":"` + eciesTAppKey + `",`
			if activationID != "" {
				want += `"activationId":"` + activationID + `",`
			}
			want += `"challenge":"` + challenge + `"}`
			if string(payload) != want {
				t.Errorf("payload %s, want %s", payload, want)
			}

			req, err := ParseTemporaryKeyRequest(jwt)
			if err != nil {
				t.Fatalf("ParseTemporaryKeyRequest: %v", err)
			}
			if req.ApplicationKey != eciesTAppKey || req.ActivationID != activationID || req.Challenge != challenge || req.Scope() != scope {
				t.Errorf("claims %+v", req)
			}
			key, err := TemporaryKeyRequestKey(eciesTAppSecret, tk)
			if err != nil {
				t.Fatal(err)
			}
			if err := req.Verify(key); err != nil {
				t.Errorf("Verify with the right key: %v", err)
			}
			// Wrong keys: the other scope's key, another secret, another transport key.
			wrong := [][]byte{eciesTB64(t, "I49tRIH5CaUXoOVkeVRmsA=="), nil, {}}
			if scope == EciesScopeActivation {
				wrong = append(wrong, eciesTB64(t, eciesTAppSecret), KDFInternal([]byte("fedcba9876543210"), eciesTB64(t, eciesTAppSecret)))
			} else {
				wrong = append(wrong, KDFInternal(eciesTTransportKey, eciesTB64(t, eciesTAppSecret)))
			}
			for _, k := range wrong {
				if err := req.Verify(k); !errors.Is(err, ErrTemporaryKeySignature) {
					t.Errorf("Verify with wrong key %x: %v", k, err)
				}
			}
			// A modified payload with the original signature fails.
			parts := strings.Split(jwt, ".")
			forged := parts[0] + "." + tkTSeg(strings.Replace(string(payload), challenge, "AAAAAAAAAAAAAAAAAAAAAAAA", 1)) + "." + parts[2]
			freq, err := ParseTemporaryKeyRequest(forged)
			if err != nil {
				t.Fatal(err)
			}
			if err := freq.Verify(key); !errors.Is(err, ErrTemporaryKeySignature) {
				t.Errorf("forged payload verified: %v", err)
			}
		})
	}
	if _, _, err := BuildTemporaryKeyRequest(eciesTAppKey, eciesTAppSecret, eciesTActivation, nil); err == nil {
		t.Errorf("activation ID without transport key accepted")
	}
	if _, _, err := BuildTemporaryKeyRequest(eciesTAppKey, eciesTAppSecret, "", eciesTTransportKey); err == nil {
		t.Errorf("transport key without activation ID accepted")
	}
	if _, _, err := BuildTemporaryKeyRequest("", eciesTAppSecret, "", nil); err == nil {
		t.Errorf("empty application key accepted")
	}
	if err := (&TemporaryKeyRequest{}).Verify([]byte("k")); !errors.Is(err, ErrTemporaryKeySignature) {
		t.Errorf("unparsed request verified")
	}
}

func TestParseTemporaryKeyRequestRejects(t *testing.T) {
	key := eciesTB64(t, eciesTAppSecret)
	const hs = `{"alg":"HS256","typ":"JWT"}`
	const payload = `{"applicationKey":"k","challenge":"c"}`
	valid := tkTHS256(hs, payload, key)
	parts := strings.Split(valid, ".")
	cases := []struct {
		name string
		jwt  string
		want error
	}{
		{"alg none unsigned", tkTSeg(`{"alg":"none","typ":"JWT"}`) + "." + tkTSeg(payload) + ".", ErrTemporaryKeyMalformed},
		{"alg none with signature", tkTHS256(`{"alg":"none","typ":"JWT"}`, payload, key), ErrTemporaryKeyAlgorithm},
		{"alg None", tkTHS256(`{"alg":"None","typ":"JWT"}`, payload, key), ErrTemporaryKeyAlgorithm},
		{"alg ES256", tkTHS256(`{"alg":"ES256","typ":"JWT"}`, payload, key), ErrTemporaryKeyAlgorithm},
		{"alg HS512", tkTHS256(`{"alg":"HS512","typ":"JWT"}`, payload, key), ErrTemporaryKeyAlgorithm},
		{"alg lower case", tkTHS256(`{"alg":"hs256","typ":"JWT"}`, payload, key), ErrTemporaryKeyAlgorithm},
		{"alg missing", tkTHS256(`{"typ":"JWT"}`, payload, key), ErrTemporaryKeyMalformed},
		{"alg not a string", tkTHS256(`{"alg":256,"typ":"JWT"}`, payload, key), ErrTemporaryKeyMalformed},
		{"alg duplicated", tkTHS256(`{"alg":"HS256","alg":"none","typ":"JWT"}`, payload, key), ErrTemporaryKeyMalformed},
		{"typ JWS", tkTHS256(`{"alg":"HS256","typ":"JWS"}`, payload, key), ErrTemporaryKeyAlgorithm},
		{"typ missing", tkTHS256(`{"alg":"HS256"}`, payload, key), ErrTemporaryKeyMalformed},
		{"crit header", tkTHS256(`{"alg":"HS256","typ":"JWT","crit":["exp"]}`, payload, key), ErrTemporaryKeyMalformed},
		{"header not JSON", tkTHS256(`alg=HS256`, payload, key), ErrTemporaryKeyMalformed},
		{"header array", tkTHS256(`["HS256"]`, payload, key), ErrTemporaryKeyMalformed},
		{"two segments", parts[0] + "." + parts[1], ErrTemporaryKeyMalformed},
		{"four segments", valid + "." + parts[2], ErrTemporaryKeyMalformed},
		{"empty payload segment", parts[0] + ".." + parts[2], ErrTemporaryKeyMalformed},
		{"empty", "", ErrTemporaryKeyMalformed},
		{"padded segment", parts[0] + "." + parts[1] + "." + parts[2] + "=", ErrTemporaryKeyMalformed},
		{"standard Base64 signature", parts[0] + "." + parts[1] + "." + base64.StdEncoding.EncodeToString(HMACSHA256(key, []byte(parts[0]+"."+parts[1]))), ErrTemporaryKeyMalformed},
		{"line break in payload", parts[0] + "." + parts[1][:4] + "\n" + parts[1][4:] + "." + parts[2], ErrTemporaryKeyMalformed},
		{"short signature", parts[0] + "." + parts[1] + "." + parts[2][:40], ErrTemporaryKeyMalformed},
		{"payload not JSON", tkTHS256(hs, `applicationKey=k`, key), ErrTemporaryKeyMalformed},
		{"payload trailing data", tkTHS256(hs, payload+`x`, key), ErrTemporaryKeyMalformed},
		{"missing challenge", tkTHS256(hs, `{"applicationKey":"k"}`, key), ErrTemporaryKeyMalformed},
		{"empty challenge", tkTHS256(hs, `{"applicationKey":"k","challenge":""}`, key), ErrTemporaryKeyMalformed},
		{"missing applicationKey", tkTHS256(hs, `{"challenge":"c"}`, key), ErrTemporaryKeyMalformed},
		{"applicationKey number", tkTHS256(hs, `{"applicationKey":1,"challenge":"c"}`, key), ErrTemporaryKeyMalformed},
		{"empty activationId", tkTHS256(hs, `{"applicationKey":"k","activationId":"","challenge":"c"}`, key), ErrTemporaryKeyMalformed},
		{"duplicate activationId", tkTHS256(hs, `{"applicationKey":"k","activationId":"a","activationId":"b","challenge":"c"}`, key), ErrTemporaryKeyMalformed},
		{"invalid UTF-8", tkTHS256(hs, "{\"applicationKey\":\"\xff\",\"challenge\":\"c\"}", key), ErrTemporaryKeyMalformed},
		{"too long", tkTHS256(hs, `{"applicationKey":"k","challenge":"`+strings.Repeat("c", 9000)+`"}`, key), ErrTemporaryKeyMalformed},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			req, err := ParseTemporaryKeyRequest(c.jwt)
			if !errors.Is(err, c.want) || req != nil {
				t.Fatalf("ParseTemporaryKeyRequest = %+v, %v; want %v", req, err, c.want)
			}
		})
	}
	// Accepted variants: lower-case typ, null activationId, extra claims and header members.
	for _, jwt := range []string{
		tkTHS256(`{"alg":"HS256","typ":"jwt"}`, payload, key),
		tkTHS256(hs, `{"applicationKey":"k","activationId":null,"challenge":"c"}`, key),
		tkTHS256(`{"typ":"JWT","alg":"HS256","kid":"x"}`, `{"challenge":"c","iat":1,"applicationKey":"k"}`, key),
	} {
		req, err := ParseTemporaryKeyRequest(jwt)
		if err != nil {
			t.Fatalf("ParseTemporaryKeyRequest(%s): %v", jwt, err)
		}
		if req.ApplicationKey != "k" || req.Challenge != "c" || req.ActivationID != "" || req.Verify(key) != nil {
			t.Errorf("claims %+v", req)
		}
	}
}

func tkTClaims(t testing.TB, activationID string) TemporaryKeyResponseClaims {
	iat := time.UnixMilli(1749762303601)
	return TemporaryKeyResponseClaims{
		TemporaryKeyID: eciesTTempKeyID,
		ApplicationKey: eciesTAppKey,
		ActivationID:   activationID,
		Challenge:      "q1w2e3r4t5y6u7i8o9p0a1s2",
		PublicKey:      eciesTKeyPair(t).Public(),
		IssuedAt:       iat,
		ExpiresAt:      iat.Add(TemporaryKeyValidity),
	}
}

func tkTSameClaims(a, b *TemporaryKeyResponseClaims) bool {
	return a.TemporaryKeyID == b.TemporaryKeyID && a.ApplicationKey == b.ApplicationKey && a.ActivationID == b.ActivationID &&
		a.Challenge == b.Challenge && a.PublicKey.Equal(b.PublicKey) && a.IssuedAt.Equal(b.IssuedAt) && a.ExpiresAt.Equal(b.ExpiresAt)
}

func TestTemporaryKeyResponseRoundTrip(t *testing.T) {
	for _, activationID := range []string{"", eciesTActivation} {
		signer := eciesTKeyPair(t)
		claims := tkTClaims(t, activationID)
		jwt, err := BuildTemporaryKeyResponse(signer, claims)
		if err != nil {
			t.Fatal(err)
		}
		parts := strings.Split(jwt, ".")
		if len(parts) != 3 || parts[0] != temporaryKeyResponseHeader {
			t.Fatalf("JWT %s", jwt)
		}
		if sig, _ := base64.RawURLEncoding.DecodeString(parts[2]); len(sig) != 64 {
			t.Errorf("signature is %d bytes, want JOSE 64", len(sig))
		}
		var payload map[string]any
		raw, _ := base64.RawURLEncoding.DecodeString(parts[1])
		dec := json.NewDecoder(bytes.NewReader(raw))
		dec.UseNumber()
		if err := dec.Decode(&payload); err != nil {
			t.Fatal(err)
		}
		wantPayload := map[string]any{
			"sub": eciesTTempKeyID, "applicationKey": eciesTAppKey, "challenge": claims.Challenge,
			"publicKey": base64.StdEncoding.EncodeToString(claims.PublicKey.Uncompressed()),
			"iat":       json.Number("1749762303"), "exp": json.Number("1749762603"),
			"iat_ms": json.Number("1749762303601"), "exp_ms": json.Number("1749762603601"),
		}
		if activationID != "" {
			wantPayload["activationId"] = activationID
		}
		if len(payload) != len(wantPayload) {
			t.Errorf("payload %v, want %v", payload, wantPayload)
		}
		for k, v := range wantPayload {
			if payload[k] != v {
				t.Errorf("claim %s = %v, want %v", k, payload[k], v)
			}
		}

		got, err := ParseTemporaryKeyResponse(jwt, signer.Public())
		if err != nil {
			t.Fatalf("ParseTemporaryKeyResponse: %v", err)
		}
		if !tkTSameClaims(got, &claims) {
			t.Errorf("claims %+v, want %+v", got, claims)
		}
		if err := got.MatchesRequest(eciesTAppKey, activationID, claims.Challenge); err != nil {
			t.Errorf("MatchesRequest: %v", err)
		}
		for _, m := range [][3]string{
			{"other", activationID, claims.Challenge},
			{eciesTAppKey, activationID + "x", claims.Challenge},
			{eciesTAppKey, activationID, "other"},
		} {
			if err := got.MatchesRequest(m[0], m[1], m[2]); !errors.Is(err, ErrTemporaryKeyMismatch) {
				t.Errorf("MatchesRequest(%v): %v", m, err)
			}
		}
		if got.Expired(claims.ExpiresAt.Add(-time.Millisecond)) || !got.Expired(claims.ExpiresAt) {
			t.Errorf("Expired boundary wrong")
		}

		if _, err := ParseTemporaryKeyResponse(jwt, eciesTKeyPair(t).Public()); !errors.Is(err, ErrTemporaryKeySignature) {
			t.Errorf("wrong verifier: %v", err)
		}
		forged := parts[0] + "." + tkTSeg(strings.Replace(string(raw), claims.Challenge, "AAAAAAAAAAAAAAAAAAAAAAAA", 1)) + "." + parts[2]
		if _, err := ParseTemporaryKeyResponse(forged, signer.Public()); !errors.Is(err, ErrTemporaryKeySignature) {
			t.Errorf("forged payload: %v", err)
		}
	}
}

func TestParseTemporaryKeyResponseRejects(t *testing.T) {
	signer := eciesTKeyPair(t)
	const es = `{"alg":"ES256","typ":"JWT"}`
	good := tkTClaims(t, "")
	pubB64 := base64.StdEncoding.EncodeToString(good.PublicKey.Uncompressed())
	claims := func(edit func(m map[string]any)) string {
		m := map[string]any{
			"sub": eciesTTempKeyID, "applicationKey": eciesTAppKey, "challenge": "c", "publicKey": pubB64,
			"iat": 1749762303, "exp": 1749762603, "iat_ms": 1749762303601, "exp_ms": 1749762603601,
		}
		if edit != nil {
			edit(m)
		}
		b, err := json.Marshal(m)
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	set := func(k string, v any) func(map[string]any) { return func(m map[string]any) { m[k] = v } }
	del := func(k string) func(map[string]any) { return func(m map[string]any) { delete(m, k) } }
	valid := tkTES256(t, es, claims(nil), signer)
	if _, err := ParseTemporaryKeyResponse(valid, signer.Public()); err != nil {
		t.Fatalf("valid response: %v", err)
	}
	parts := strings.Split(valid, ".")
	der, err := signer.SignDER([]byte(parts[0] + "." + parts[1]))
	if err != nil {
		t.Fatal(err)
	}
	// HS256 keyed with the public key bytes: the classic algorithm confusion.
	confused := tkTHS256(`{"alg":"HS256","typ":"JWT"}`, claims(nil), signer.Public().Uncompressed())
	cases := []struct {
		name string
		jwt  string
		want error
	}{
		{"alg none", tkTSeg(`{"alg":"none","typ":"JWT"}`) + "." + parts[1] + ".", ErrTemporaryKeyMalformed},
		{"alg none signed", tkTES256(t, `{"alg":"none","typ":"JWT"}`, claims(nil), signer), ErrTemporaryKeyAlgorithm},
		{"alg HS256 confusion", confused, ErrTemporaryKeyAlgorithm},
		{"alg ES384", tkTES256(t, `{"alg":"ES384","typ":"JWT"}`, claims(nil), signer), ErrTemporaryKeyAlgorithm},
		{"typ other", tkTES256(t, `{"alg":"ES256","typ":"at+jwt"}`, claims(nil), signer), ErrTemporaryKeyAlgorithm},
		{"DER signature", parts[0] + "." + parts[1] + "." + base64.RawURLEncoding.EncodeToString(der), ErrTemporaryKeyMalformed},
		{"zero signature", parts[0] + "." + parts[1] + "." + base64.RawURLEncoding.EncodeToString(make([]byte, 64)), ErrTemporaryKeySignature},
		{"bad Base64 signature", parts[0] + "." + parts[1] + ".*" + parts[2][1:], ErrTemporaryKeyMalformed},
		{"sub not a UUID", tkTES256(t, es, claims(set("sub", "key")), signer), ErrTemporaryKeyMalformed},
		{"sub missing", tkTES256(t, es, claims(del("sub")), signer), ErrTemporaryKeyMalformed},
		{"publicKey missing", tkTES256(t, es, claims(del("publicKey")), signer), ErrTemporaryKeyMalformed},
		{"publicKey off curve", tkTES256(t, es, claims(set("publicKey", base64.StdEncoding.EncodeToString(append([]byte{4}, make([]byte, 64)...)))), signer), ErrTemporaryKeyMalformed},
		{"publicKey base64url", tkTES256(t, es, claims(set("publicKey", base64.URLEncoding.EncodeToString(good.PublicKey.Uncompressed())+"_")), signer), ErrTemporaryKeyMalformed},
		{"iat_ms missing", tkTES256(t, es, claims(del("iat_ms")), signer), ErrTemporaryKeyMalformed},
		{"exp_ms string", tkTES256(t, es, claims(set("exp_ms", "1749762603601")), signer), ErrTemporaryKeyMalformed},
		{"exp before iat", tkTES256(t, es, claims(set("exp_ms", 1749762303600)), signer), ErrTemporaryKeyMalformed},
		{"iat fraction", tkTES256(t, es, claims(set("iat", 1.5)), signer), ErrTemporaryKeyMalformed},
		{"challenge missing", tkTES256(t, es, claims(del("challenge")), signer), ErrTemporaryKeyMalformed},
		{"applicationKey empty", tkTES256(t, es, claims(set("applicationKey", "")), signer), ErrTemporaryKeyMalformed},
		{"payload array", tkTES256(t, es, `[1]`, signer), ErrTemporaryKeyMalformed},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := ParseTemporaryKeyResponse(c.jwt, signer.Public())
			if !errors.Is(err, c.want) || got != nil {
				t.Fatalf("ParseTemporaryKeyResponse = %+v, %v; want %v", got, err, c.want)
			}
		})
	}
	if _, err := ParseTemporaryKeyResponse(valid, nil); err == nil {
		t.Errorf("nil verifier accepted")
	}
	for name, edit := range map[string]func(c *TemporaryKeyResponseClaims){
		"no key":       func(c *TemporaryKeyResponseClaims) { c.PublicKey = nil },
		"bad sub":      func(c *TemporaryKeyResponseClaims) { c.TemporaryKeyID = "x" },
		"no challenge": func(c *TemporaryKeyResponseClaims) { c.Challenge = "" },
		"zero times":   func(c *TemporaryKeyResponseClaims) { c.IssuedAt, c.ExpiresAt = time.Time{}, time.Time{} },
		"expired":      func(c *TemporaryKeyResponseClaims) { c.ExpiresAt = c.IssuedAt },
	} {
		c := good
		edit(&c)
		if _, err := BuildTemporaryKeyResponse(signer, c); !errors.Is(err, ErrTemporaryKeyMalformed) {
			t.Errorf("BuildTemporaryKeyResponse(%s): %v", name, err)
		}
	}
	if _, err := BuildTemporaryKeyResponse(nil, good); err == nil {
		t.Errorf("nil signer accepted")
	}
}

// TestTemporaryKeyEndToEnd runs the whole 3.3 flow in both scopes: the
// client asks for a temporary key, the server answers, the client encrypts
// to that key and the server decrypts with the temporary private key.
func TestTemporaryKeyEndToEnd(t *testing.T) {
	master, server := eciesTKeyPair(t), eciesTKeyPair(t)
	for _, sh1 := range []string{SharedInfo1GenericApplication, SharedInfo1VaultUnlock} {
		t.Run(sh1, func(t *testing.T) {
			ctx := eciesTContext(Version33, sh1)
			signer := master
			if ctx.Scope() == EciesScopeActivation {
				signer = server
			}
			// Client: request JWT.
			jwt, challenge, err := BuildTemporaryKeyRequest(ctx.ApplicationKey, ctx.ApplicationSecret, ctx.ActivationID, ctx.TransportKey)
			if err != nil {
				t.Fatal(err)
			}
			// Server: parse, pick the key for the scope the claims select, verify, answer.
			req, err := ParseTemporaryKeyRequest(jwt)
			if err != nil {
				t.Fatal(err)
			}
			var tk []byte
			if req.Scope() == EciesScopeActivation {
				tk = ctx.TransportKey
			}
			key, err := TemporaryKeyRequestKey(ctx.ApplicationSecret, tk)
			if err != nil {
				t.Fatal(err)
			}
			if err := req.Verify(key); err != nil {
				t.Fatalf("server Verify: %v", err)
			}
			temp := eciesTKeyPair(t)
			now := eciesTNow
			respJWT, err := BuildTemporaryKeyResponse(signer, TemporaryKeyResponseClaims{
				TemporaryKeyID: eciesTTempKeyID, ApplicationKey: req.ApplicationKey, ActivationID: req.ActivationID,
				Challenge: req.Challenge, PublicKey: temp.Public(), IssuedAt: now, ExpiresAt: now.Add(TemporaryKeyValidity),
			})
			if err != nil {
				t.Fatal(err)
			}
			// Client: verify with the scope's server key and check the echo.
			claims, err := ParseTemporaryKeyResponse(respJWT, signer.Public())
			if err != nil {
				t.Fatal(err)
			}
			if err := claims.MatchesRequest(ctx.ApplicationKey, ctx.ActivationID, challenge); err != nil {
				t.Fatal(err)
			}
			other := master
			if signer == master {
				other = server
			}
			if _, err := ParseTemporaryKeyResponse(respJWT, other.Public()); !errors.Is(err, ErrTemporaryKeySignature) {
				t.Errorf("response verified with the other scope's key: %v", err)
			}
			ctx.TemporaryKeyID = claims.TemporaryKeyID
			ereq, cenv, err := EncryptRequest(claims.PublicKey, ctx, []byte("secret"), now)
			if err != nil {
				t.Fatal(err)
			}
			got, senv, err := DecryptRequest(temp, ctx, ereq)
			if err != nil || string(got) != "secret" {
				t.Fatalf("DecryptRequest: %q, %v", got, err)
			}
			resp, err := senv.EncryptResponse([]byte("ok"), now)
			if err != nil {
				t.Fatal(err)
			}
			if got, err := cenv.DecryptResponse(resp); err != nil || string(got) != "ok" {
				t.Fatalf("DecryptResponse: %q, %v", got, err)
			}
		})
	}
}
