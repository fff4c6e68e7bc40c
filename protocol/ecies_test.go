package protocol

import (
	"bytes"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"
)

const (
	eciesTAppKey     = "GlnZarYuYxQf9XNQYcKSvA=="
	eciesTAppSecret  = "X4Y+OoARCjZ3il+ogr67+w=="
	eciesTActivation = "27b1692e-b467-4708-9ad1-c84eec83fc0a"
	eciesTTempKeyID  = "61376bfb-9988-423b-93d7-9678f1915965"
)

var (
	eciesTTransportKey = []byte("0123456789abcdef")
	eciesTNow          = time.UnixMilli(1749762303600)
)

// eciesTContext returns a complete context for a version and SHARED_INFO_1.
func eciesTContext(version, sh1 string) EciesContext {
	ctx := EciesContext{Version: version, SharedInfo1: sh1, ApplicationKey: eciesTAppKey, ApplicationSecret: eciesTAppSecret}
	if ctx.Scope() == EciesScopeActivation {
		ctx.ActivationID = eciesTActivation
		ctx.TransportKey = append([]byte(nil), eciesTTransportKey...)
	}
	if version == Version33 {
		ctx.TemporaryKeyID = eciesTTempKeyID
	}
	return ctx
}

var eciesTAllSharedInfo1 = []string{
	SharedInfo1GenericApplication, SharedInfo1ActivationLayer2, SharedInfo1Upgrade, SharedInfo1VaultUnlock,
	SharedInfo1TokenCreate, SharedInfo1RecoveryConfirm, SharedInfo1GenericActivation,
}

func eciesTKeyPair(t testing.TB) *PrivateKey {
	t.Helper()
	k, err := GenerateKeyPair()
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func TestEciesRoundTrip(t *testing.T) {
	for _, version := range Versions {
		for _, sh1 := range eciesTAllSharedInfo1 {
			t.Run(version+sh1, func(t *testing.T) {
				ctx := eciesTContext(version, sh1)
				encPriv := eciesTKeyPair(t)
				reqPlain := []byte(`{"request":"` + version + sh1 + `"}`)
				respPlain := []byte(`{"response":true}`)

				req, clientEnv, err := EncryptRequest(encPriv.Public(), ctx, reqPlain, eciesTNow)
				if err != nil {
					t.Fatalf("EncryptRequest: %v", err)
				}
				if len(req.EphemeralPublicKey) != 33 {
					t.Errorf("ephemeral key is %d bytes, want 33 (compressed)", len(req.EphemeralPublicKey))
				}
				body, err := req.Marshal()
				if err != nil {
					t.Fatal(err)
				}
				parsed, err := ParseEncryptedRequest(body, version)
				if err != nil {
					t.Fatalf("ParseEncryptedRequest(%s): %v", body, err)
				}
				got, serverEnv, err := DecryptRequest(encPriv, ctx, parsed)
				if err != nil {
					t.Fatalf("DecryptRequest: %v", err)
				}
				if !bytes.Equal(got, reqPlain) {
					t.Fatalf("request plaintext %q, want %q", got, reqPlain)
				}
				if !bytes.Equal(serverEnv.EnvelopeKey(), clientEnv.EnvelopeKey()) {
					t.Errorf("client and server envelope keys differ")
				}
				if serverEnv.ReplayKey() != clientEnv.ReplayKey() {
					t.Errorf("client and server replay keys differ")
				}
				wantReplay := base64.StdEncoding.EncodeToString(append(append(append([]byte(nil), req.EphemeralPublicKey...), req.Nonce...), ctx.ActivationID...))
				if serverEnv.ReplayKey() != wantReplay {
					t.Errorf("ReplayKey %s, want %s", serverEnv.ReplayKey(), wantReplay)
				}

				switch version {
				case Version30:
					if req.Nonce != nil || req.Timestamp != 0 || req.TemporaryKeyID != "" {
						t.Errorf("3.0 request carries nonce, timestamp or temporary key ID")
					}
				case Version31:
					if len(req.Nonce) != 16 || req.Timestamp != 0 || req.TemporaryKeyID != "" {
						t.Errorf("3.1 request: nonce %d bytes, timestamp %d, tempKeyId %q", len(req.Nonce), req.Timestamp, req.TemporaryKeyID)
					}
				default:
					if len(req.Nonce) != 16 || req.Timestamp != eciesTNow.UnixMilli() {
						t.Errorf("%s request: nonce %d bytes, timestamp %d", version, len(req.Nonce), req.Timestamp)
					}
					if (req.TemporaryKeyID != "") != (version == Version33) {
						t.Errorf("%s request: temporaryKeyId %q", version, req.TemporaryKeyID)
					}
				}
				if serverEnv.RequiresReplayCheck() != (version >= Version32) {
					t.Errorf("RequiresReplayCheck = %v", serverEnv.RequiresReplayCheck())
				}

				respNow := eciesTNow.Add(42 * time.Millisecond)
				resp, err := serverEnv.EncryptResponse(respPlain, respNow)
				if err != nil {
					t.Fatalf("EncryptResponse: %v", err)
				}
				if version >= Version32 {
					if len(resp.Nonce) != 16 || bytes.Equal(resp.Nonce, req.Nonce) || resp.Timestamp != respNow.UnixMilli() {
						t.Errorf("response nonce/timestamp wrong: %x (request %x), %d", resp.Nonce, req.Nonce, resp.Timestamp)
					}
				} else if resp.Nonce != nil || resp.Timestamp != 0 {
					t.Errorf("%s response carries a nonce or timestamp", version)
				}
				if _, err := serverEnv.EncryptResponse(respPlain, respNow); !errors.Is(err, ErrEciesEnvelopeUsed) {
					t.Errorf("second EncryptResponse: %v, want ErrEciesEnvelopeUsed", err)
				}
				respBody, err := resp.Marshal()
				if err != nil {
					t.Fatal(err)
				}
				parsedResp, err := ParseEncryptedResponse(respBody, version)
				if err != nil {
					t.Fatalf("ParseEncryptedResponse(%s): %v", respBody, err)
				}
				got, err = clientEnv.DecryptResponse(parsedResp)
				if err != nil {
					t.Fatalf("DecryptResponse: %v", err)
				}
				if !bytes.Equal(got, respPlain) {
					t.Fatalf("response plaintext %q, want %q", got, respPlain)
				}
			})
		}
	}
}

// TestEciesEmptyAndLargePayloads covers the padding edges: empty payload,
// exact block multiples and a payload of several kilobytes.
func TestEciesEmptyAndLargePayloads(t *testing.T) {
	encPriv := eciesTKeyPair(t)
	ctx := eciesTContext(Version33, SharedInfo1GenericActivation)
	for _, n := range []int{0, 1, 15, 16, 17, 32, 4096 + 3} {
		plain := bytes.Repeat([]byte{'x'}, n)
		req, _, err := EncryptRequest(encPriv.Public(), ctx, plain, eciesTNow)
		if err != nil {
			t.Fatal(err)
		}
		if want := (n/16 + 1) * 16; len(req.EncryptedData) != want {
			t.Errorf("n=%d: ciphertext %d bytes, want %d", n, len(req.EncryptedData), want)
		}
		got, _, err := DecryptRequest(encPriv, ctx, req)
		if err != nil || !bytes.Equal(got, plain) {
			t.Errorf("n=%d: round trip failed: %v", n, err)
		}
	}
}

// TestEciesUncompressedEphemeralKey checks that a Java-style client sending
// a 65-byte ephemeral key is served, and that the key bytes enter the KDF
// exactly as transmitted: re-encoding the same point breaks the MAC.
func TestEciesUncompressedEphemeralKey(t *testing.T) {
	for _, version := range Versions {
		t.Run(version, func(t *testing.T) {
			encPriv := eciesTKeyPair(t)
			ctx := eciesTContext(version, SharedInfo1TokenCreate)
			eph := eciesTKeyPair(t)
			z, err := eph.SharedSecret(encPriv.Public())
			if err != nil {
				t.Fatal(err)
			}
			var nonce []byte
			var ts int64
			if version != Version30 {
				nonce = RandomBytes(16)
			}
			if version >= Version32 {
				ts = eciesTNow.UnixMilli()
			}
			uncompressed := eph.Public().Uncompressed()
			env, err := NewEciesEnvelope(eciesEnvelopeKey(z, ctx, uncompressed), ctx, uncompressed, nonce, ts)
			if err != nil {
				t.Fatal(err)
			}
			req, err := env.SealRequest([]byte("hello"))
			if err != nil {
				t.Fatal(err)
			}
			if got, _, err := DecryptRequest(encPriv, ctx, req); err != nil || string(got) != "hello" {
				t.Fatalf("65-byte ephemeral key: %q, %v", got, err)
			}
			req.EphemeralPublicKey = eph.Public().Compressed()
			if _, _, err := DecryptRequest(encPriv, ctx, req); !errors.Is(err, ErrEciesMAC) {
				t.Fatalf("re-encoded ephemeral key: %v, want ErrEciesMAC", err)
			}
		})
	}
}

// TestEciesTampering flips every authenticated input and checks that the
// server rejects the request.
func TestEciesTampering(t *testing.T) {
	type mutation struct {
		name string
		// minVersion is the first version that has the input at all.
		minVersion string
		// authFrom is the first version in which the input is authenticated.
		authFrom string
		req      func(r *EncryptedRequest)
		ctx      func(c *EciesContext)
		wrongKey bool
		want     []error
	}
	other := eciesTKeyPair(t)
	mutations := []mutation{
		{name: "mac bit", req: func(r *EncryptedRequest) { r.MAC[5] ^= 0x10 }, want: []error{ErrEciesMAC}},
		{name: "ciphertext first block", req: func(r *EncryptedRequest) { r.EncryptedData[0] ^= 1 }, want: []error{ErrEciesMAC}},
		{name: "ciphertext last byte", req: func(r *EncryptedRequest) { r.EncryptedData[len(r.EncryptedData)-1] ^= 0x80 }, want: []error{ErrEciesMAC}},
		{name: "ciphertext truncated block", req: func(r *EncryptedRequest) { r.EncryptedData = r.EncryptedData[:len(r.EncryptedData)-16] }, want: []error{ErrEciesMAC}},
		// In 3.1 the nonce only feeds the IV and is not covered by the MAC (SH2 is
		// the bare base), so flipping it garbles the first plaintext block unnoticed.
		{name: "nonce bit", minVersion: Version31, authFrom: Version32, req: func(r *EncryptedRequest) { r.Nonce[15] ^= 1 }, want: []error{ErrEciesMAC}},
		{name: "timestamp +1", minVersion: Version32, req: func(r *EncryptedRequest) { r.Timestamp++ }, want: []error{ErrEciesMAC}},
		{name: "ephemeral key bit", req: func(r *EncryptedRequest) { r.EphemeralPublicKey[20] ^= 1 }, want: []error{ErrEciesMAC, ErrEciesMalformed}},
		{name: "ephemeral key other point", req: func(r *EncryptedRequest) { r.EphemeralPublicKey = other.Public().Compressed() }, want: []error{ErrEciesMAC}},
		{name: "wrong private key", wrongKey: true, want: []error{ErrEciesMAC}},
		{name: "wrong app secret", ctx: func(c *EciesContext) { c.ApplicationSecret = "I49tRIH5CaUXoOVkeVRmsA==" }, want: []error{ErrEciesMAC}},
		{name: "wrong SH1", ctx: func(c *EciesContext) { c.SharedInfo1 = SharedInfo1VaultUnlock }, want: []error{ErrEciesMAC}},
		{name: "wrong transport key", ctx: func(c *EciesContext) { c.TransportKey = []byte("fedcba9876543210") }, want: []error{ErrEciesMAC}},
		{name: "wrong app key", authFrom: Version32, ctx: func(c *EciesContext) { c.ApplicationKey = "otaS9RB+A4Q1qPTbB2eErQ==" }, want: []error{ErrEciesMAC}},
		{name: "wrong activation ID", authFrom: Version32, ctx: func(c *EciesContext) { c.ActivationID = "9380800d-e697-41f5-aa07-daed949a575a" }, want: []error{ErrEciesMAC}},
		{
			name: "wrong temporary key ID (context and request)", minVersion: Version33,
			ctx: func(c *EciesContext) { c.TemporaryKeyID = "2d6bf693-3928-4c01-a8d5-7c4a9671261e" },
			req: func(r *EncryptedRequest) { r.TemporaryKeyID = "2d6bf693-3928-4c01-a8d5-7c4a9671261e" }, want: []error{ErrEciesMAC},
		},
		{
			name: "temporary key ID differs from context", minVersion: Version33,
			req: func(r *EncryptedRequest) { r.TemporaryKeyID = "2d6bf693-3928-4c01-a8d5-7c4a9671261e" }, want: []error{ErrEciesTemporaryKey},
		},
	}
	for _, version := range Versions {
		for _, m := range mutations {
			if m.minVersion != "" && version < m.minVersion {
				continue
			}
			t.Run(version+"/"+m.name, func(t *testing.T) {
				ctx := eciesTContext(version, SharedInfo1GenericActivation)
				encPriv := eciesTKeyPair(t)
				plain := []byte("a secret payload of some length")
				req, _, err := EncryptRequest(encPriv.Public(), ctx, plain, eciesTNow)
				if err != nil {
					t.Fatal(err)
				}
				serverCtx, serverKey := ctx, encPriv
				if m.req != nil {
					m.req(req)
				}
				if m.ctx != nil {
					m.ctx(&serverCtx)
				}
				if m.wrongKey {
					serverKey = other
				}
				got, env, err := DecryptRequest(serverKey, serverCtx, req)
				if m.authFrom != "" && version < m.authFrom {
					// The input is not authenticated in this version (the protocol
					// binds nonce, app key and activation ID only from 3.2).
					if err != nil {
						t.Fatalf("unauthenticated input rejected: %v", err)
					}
					if m.name == "nonce bit" && bytes.Equal(got, plain) {
						t.Fatalf("a different nonce decrypted to the same plaintext")
					}
					return
				}
				if err == nil || env != nil {
					t.Fatalf("tampered request accepted")
				}
				for _, w := range m.want {
					if errors.Is(err, w) {
						return
					}
				}
				t.Fatalf("error %v, want one of %v", err, m.want)
			})
		}
	}
}

// TestEciesResponseTampering checks the client side of the response.
func TestEciesResponseTampering(t *testing.T) {
	for _, version := range Versions {
		mutations := map[string]func(r *EncryptedResponse){
			"mac":        func(r *EncryptedResponse) { r.MAC[31] ^= 1 },
			"ciphertext": func(r *EncryptedResponse) { r.EncryptedData[3] ^= 4 },
		}
		if version >= Version32 {
			mutations["nonce"] = func(r *EncryptedResponse) { r.Nonce[0] ^= 1 }
			mutations["timestamp"] = func(r *EncryptedResponse) { r.Timestamp-- }
		}
		for name, mutate := range mutations {
			t.Run(version+"/"+name, func(t *testing.T) {
				ctx := eciesTContext(version, SharedInfo1GenericApplication)
				encPriv := eciesTKeyPair(t)
				req, clientEnv, err := EncryptRequest(encPriv.Public(), ctx, []byte("q"), eciesTNow)
				if err != nil {
					t.Fatal(err)
				}
				_, serverEnv, err := DecryptRequest(encPriv, ctx, req)
				if err != nil {
					t.Fatal(err)
				}
				resp, err := serverEnv.EncryptResponse([]byte("answer"), eciesTNow)
				if err != nil {
					t.Fatal(err)
				}
				mutate(resp)
				if _, err := clientEnv.DecryptResponse(resp); !errors.Is(err, ErrEciesMAC) {
					t.Fatalf("tampered response: %v, want ErrEciesMAC", err)
				}
			})
		}
	}
}

// TestEciesResponseFromAnotherEnvelope checks that a response cannot be
// replayed to a different request.
func TestEciesResponseFromAnotherEnvelope(t *testing.T) {
	encPriv := eciesTKeyPair(t)
	ctx := eciesTContext(Version32, SharedInfo1GenericApplication)
	req1, _, err := EncryptRequest(encPriv.Public(), ctx, []byte("one"), eciesTNow)
	if err != nil {
		t.Fatal(err)
	}
	_, clientEnv2, err := EncryptRequest(encPriv.Public(), ctx, []byte("two"), eciesTNow)
	if err != nil {
		t.Fatal(err)
	}
	_, serverEnv1, err := DecryptRequest(encPriv, ctx, req1)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := serverEnv1.EncryptResponse([]byte("for one"), eciesTNow)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := clientEnv2.DecryptResponse(resp); !errors.Is(err, ErrEciesMAC) {
		t.Fatalf("response to another request: %v, want ErrEciesMAC", err)
	}
}

func TestEciesEnvelopeResponseNonceRules(t *testing.T) {
	ctx := eciesTContext(Version32, SharedInfo1GenericApplication)
	eph := eciesTKeyPair(t).Public().Compressed()
	nonce := RandomBytes(16)
	key := RandomBytes(EciesEnvelopeKeySize)
	env, err := NewEciesEnvelope(key, ctx, eph, nonce, eciesTNow.UnixMilli())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := env.EncryptResponseWithNonce([]byte("x"), nonce, 5); !errors.Is(err, ErrEciesContext) {
		t.Errorf("response nonce equal to the request nonce: %v", err)
	}
	if _, err := env.EncryptResponseWithNonce([]byte("x"), nil, 5); !errors.Is(err, ErrEciesMalformed) {
		t.Errorf("missing response nonce in 3.2: %v", err)
	}
	if _, err := env.EncryptResponseWithNonce([]byte("x"), RandomBytes(16), 0); !errors.Is(err, ErrEciesMalformed) {
		t.Errorf("missing response timestamp in 3.2: %v", err)
	}
	// The failed attempts did not burn the envelope.
	if _, err := env.EncryptResponseWithNonce([]byte("x"), RandomBytes(16), 5); err != nil {
		t.Errorf("valid response: %v", err)
	}

	ctx31 := eciesTContext(Version31, SharedInfo1GenericApplication)
	env31, err := NewEciesEnvelope(key, ctx31, eph, nonce, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := env31.EncryptResponseWithNonce([]byte("x"), RandomBytes(16), 0); !errors.Is(err, ErrEciesMalformed) {
		t.Errorf("response nonce in 3.1: %v", err)
	}
	// 3.1 derives the response IV from the request nonce: same key, same
	// nonce and same plaintext give the same ciphertext as the request.
	resp, err := env31.EncryptResponse([]byte("same"), eciesTNow)
	if err != nil {
		t.Fatal(err)
	}
	req, err := env31.SealRequest([]byte("same"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(resp.EncryptedData, req.EncryptedData) {
		t.Errorf("3.1 response IV is not derived from the request nonce")
	}
}

func TestEciesContextValidate(t *testing.T) {
	cases := []struct {
		name    string
		version string
		sh1     string
		edit    func(c *EciesContext)
		want    error
	}{
		{name: "app 3.0", version: Version30, sh1: SharedInfo1GenericApplication},
		{name: "app 3.3", version: Version33, sh1: SharedInfo1ActivationLayer2},
		{name: "act 3.1", version: Version31, sh1: SharedInfo1VaultUnlock},
		{name: "act 3.3", version: Version33, sh1: SharedInfo1RecoveryConfirm},
		{"version 2.1", Version31, SharedInfo1Upgrade, func(c *EciesContext) { c.Version = "2.1" }, ErrEciesVersion},
		{"version empty", Version31, SharedInfo1Upgrade, func(c *EciesContext) { c.Version = "" }, ErrEciesVersion},
		{"unknown SH1", Version32, SharedInfo1Upgrade, func(c *EciesContext) { c.SharedInfo1 = "/pa/custom" }, ErrEciesContext},
		{"versioned SH1", Version32, SharedInfo1Upgrade, func(c *EciesContext) { c.SharedInfo1 = "3.2/pa/upgrade" }, ErrEciesContext},
		{"no app key", Version32, SharedInfo1Upgrade, func(c *EciesContext) { c.ApplicationKey = "" }, ErrEciesContext},
		{"no app secret", Version32, SharedInfo1Upgrade, func(c *EciesContext) { c.ApplicationSecret = "" }, ErrEciesContext},
		{"app secret not Base64", Version32, SharedInfo1Upgrade, func(c *EciesContext) { c.ApplicationSecret = "not base64!" }, ErrEciesContext},
		{"act without activation ID", Version32, SharedInfo1Upgrade, func(c *EciesContext) { c.ActivationID = "" }, ErrEciesContext},
		{"act without transport key", Version32, SharedInfo1Upgrade, func(c *EciesContext) { c.TransportKey = nil }, ErrEciesContext},
		{"act short transport key", Version32, SharedInfo1Upgrade, func(c *EciesContext) { c.TransportKey = make([]byte, 15) }, ErrEciesContext},
		{"app with activation ID", Version32, SharedInfo1GenericApplication, func(c *EciesContext) { c.ActivationID = eciesTActivation }, ErrEciesContext},
		{"app with transport key", Version32, SharedInfo1GenericApplication, func(c *EciesContext) { c.TransportKey = eciesTTransportKey }, ErrEciesContext},
		{"3.3 without temp key", Version33, SharedInfo1Upgrade, func(c *EciesContext) { c.TemporaryKeyID = "" }, ErrEciesContext},
		{"3.2 with temp key", Version32, SharedInfo1Upgrade, func(c *EciesContext) { c.TemporaryKeyID = eciesTTempKeyID }, ErrEciesContext},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ctx := eciesTContext(c.version, c.sh1)
			if c.edit != nil {
				c.edit(&ctx)
			}
			err := ctx.Validate()
			if c.want == nil {
				if err != nil {
					t.Fatalf("unexpected error %v", err)
				}
				return
			}
			if !errors.Is(err, c.want) {
				t.Fatalf("error %v, want %v", err, c.want)
			}
			if _, _, err := EncryptRequest(eciesTKeyPair(t).Public(), ctx, []byte("x"), eciesTNow); err == nil {
				t.Fatalf("EncryptRequest accepted an invalid context")
			}
			if _, err := ctx.SharedInfo2Base(); err == nil {
				t.Fatalf("SharedInfo2Base accepted an invalid context")
			}
		})
	}
}

func TestEciesContextDerivedValues(t *testing.T) {
	ctx := eciesTContext(Version32, SharedInfo1TokenCreate)
	if got := string(ctx.SharedInfo1Bytes()); got != "3.2/pa/token/create" {
		t.Errorf("3.2 SH1 = %q", got)
	}
	ctx31 := eciesTContext(Version31, SharedInfo1TokenCreate)
	if got := string(ctx31.SharedInfo1Bytes()); got != "/pa/token/create" {
		t.Errorf("3.1 SH1 = %q", got)
	}
	if ctx31.AssociatedData() != nil {
		t.Errorf("3.1 has associated data")
	}
	want := ConcatWithSizes([]byte("3.2"), []byte(eciesTAppKey), []byte(eciesTActivation))
	if !bytes.Equal(ctx.AssociatedData(), want) {
		t.Errorf("3.2 activation AD = %x", ctx.AssociatedData())
	}
	app33 := eciesTContext(Version33, SharedInfo1GenericApplication)
	want = ConcatWithSizes([]byte("3.3"), []byte(eciesTAppKey), []byte(eciesTTempKeyID))
	if !bytes.Equal(app33.AssociatedData(), want) {
		t.Errorf("3.3 application AD = %x", app33.AssociatedData())
	}
	// The documented example: 00000003 "3.2" 00000018 "<appKey>".
	app32 := eciesTContext(Version32, SharedInfo1GenericApplication)
	if got := app32.AssociatedData(); !bytes.Equal(got[:7], []byte{0, 0, 0, 3, '3', '.', '2'}) || binary.BigEndian.Uint32(got[7:11]) != 24 || len(got) != 11+24 {
		t.Errorf("3.2 application AD = %x", got)
	}
	if s := fmt.Sprintf("%v %#v %s", ctx, ctx, ctx); strings.Contains(s, eciesTAppSecret) || strings.Contains(s, string(eciesTTransportKey)) {
		t.Errorf("formatted context leaks secrets: %s", s)
	}
}

func TestEciesEnvelopeDoesNotLeakSecrets(t *testing.T) {
	encPriv := eciesTKeyPair(t)
	ctx := eciesTContext(Version33, SharedInfo1GenericActivation)
	_, env, err := EncryptRequest(encPriv.Public(), ctx, []byte("x"), eciesTNow)
	if err != nil {
		t.Fatal(err)
	}
	secrets := env.Secrets()
	for _, s := range []string{fmt.Sprintf("%v", env), fmt.Sprintf("%+v", env), fmt.Sprintf("%#v", env), fmt.Sprintf("%v %#v", secrets, secrets)} {
		for _, secret := range [][]byte{secrets.EnvelopeKey, secrets.SharedInfo2Base} {
			if strings.Contains(s, fmt.Sprint(secret)) || strings.Contains(s, fmt.Sprintf("%x", secret)) {
				t.Errorf("formatted envelope leaks a secret: %s", s)
			}
		}
		if strings.Contains(s, eciesTAppSecret) {
			t.Errorf("formatted envelope leaks the app secret: %s", s)
		}
	}
}

func TestNewEciesEnvelopeRejectsBadInputs(t *testing.T) {
	eph := eciesTKeyPair(t).Public().Compressed()
	key := RandomBytes(48)
	nonce := RandomBytes(16)
	ctx := eciesTContext(Version32, SharedInfo1GenericApplication)
	cases := []struct {
		name  string
		key   []byte
		eph   []byte
		nonce []byte
		ts    int64
		ctx   EciesContext
		want  error
	}{
		{"short key", key[:47], eph, nonce, 1, ctx, ErrEciesContext},
		{"bad point", key, append([]byte{0x02}, bytes.Repeat([]byte{0xff}, 32)...), nonce, 1, ctx, ErrEciesMalformed},
		{"64-byte key", key, make([]byte, 64), nonce, 1, ctx, ErrEciesMalformed},
		{"no nonce 3.2", key, eph, nil, 1, ctx, ErrEciesMalformed},
		{"no timestamp 3.2", key, eph, nonce, 0, ctx, ErrEciesMalformed},
		{"nonce in 3.0", key, eph, nonce, 0, eciesTContext(Version30, SharedInfo1GenericApplication), ErrEciesMalformed},
		{"timestamp in 3.1", key, eph, nonce, 1, eciesTContext(Version31, SharedInfo1GenericApplication), ErrEciesMalformed},
	}
	for _, c := range cases {
		if _, err := NewEciesEnvelope(c.key, c.ctx, c.eph, c.nonce, c.ts); !errors.Is(err, c.want) {
			t.Errorf("%s: %v, want %v", c.name, err, c.want)
		}
	}
	if _, err := NewEciesEnvelopeFromSecrets(EciesSecrets{EnvelopeKey: key, SharedInfo2Base: make([]byte, 31)}, ctx, eph, nonce, 1); !errors.Is(err, ErrEciesContext) {
		t.Errorf("short SH2 base: %v", err)
	}
	if _, _, err := DecryptRequest(nil, ctx, &EncryptedRequest{}); err == nil {
		t.Errorf("DecryptRequest accepted a nil key")
	}
	if _, _, err := DecryptRequest(eciesTKeyPair(t), ctx, nil); !errors.Is(err, ErrEciesMalformed) {
		t.Errorf("DecryptRequest(nil request): %v", err)
	}
	if _, _, err := EncryptRequest(nil, ctx, nil, eciesTNow); !errors.Is(err, ErrEciesContext) {
		t.Errorf("EncryptRequest(nil key): %v", err)
	}
}

// eciesTValidBody returns a valid wire body for a version as a member map.
func eciesTValidBody(t *testing.T, version string) map[string]any {
	t.Helper()
	ctx := eciesTContext(version, SharedInfo1GenericActivation)
	req, _, err := EncryptRequest(eciesTKeyPair(t).Public(), ctx, []byte("payload"), eciesTNow)
	if err != nil {
		t.Fatal(err)
	}
	body, err := req.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	if err := dec.Decode(&m); err != nil {
		t.Fatal(err)
	}
	return m
}

func TestParseEncryptedRequest(t *testing.T) {
	b64s := func(n int) string { return base64.StdEncoding.EncodeToString(RandomBytes(n)) }
	type tc struct {
		name    string
		version string
		edit    func(m map[string]any)
		raw     string // used instead of the edited body when set
		want    error  // nil: must parse
	}
	set := func(k string, v any) func(map[string]any) { return func(m map[string]any) { m[k] = v } }
	del := func(k string) func(map[string]any) { return func(m map[string]any) { delete(m, k) } }
	cases := []tc{
		{name: "valid 3.0", version: Version30},
		{name: "valid 3.1", version: Version31},
		{name: "valid 3.2", version: Version32},
		{name: "valid 3.3", version: Version33},
		{name: "3.0 null nonce is absent", version: Version30, edit: set("nonce", nil)},
		{name: "3.3 unknown member ignored", version: Version33, edit: set("extra", []int{1})},
		{name: "3.3 upper-case temp key id", version: Version33, edit: set("temporaryKeyId", strings.ToUpper(eciesTTempKeyID))},
		{name: "uncompressed ephemeral key", version: Version32, edit: set("ephemeralPublicKey", base64.StdEncoding.EncodeToString(eciesTKeyPair(t).Public().Uncompressed()))},

		{name: "3.0 with nonce", version: Version30, edit: set("nonce", b64s(16)), want: ErrEciesMalformed},
		{name: "3.0 with timestamp", version: Version30, edit: set("timestamp", 1), want: ErrEciesMalformed},
		{name: "3.0 with temp key", version: Version30, edit: set("temporaryKeyId", eciesTTempKeyID), want: ErrEciesMalformed},
		{name: "3.1 without nonce", version: Version31, edit: del("nonce"), want: ErrEciesMalformed},
		{name: "3.1 with timestamp", version: Version31, edit: set("timestamp", 1), want: ErrEciesMalformed},
		{name: "3.1 with temp key", version: Version31, edit: set("temporaryKeyId", eciesTTempKeyID), want: ErrEciesMalformed},
		{name: "3.2 without nonce", version: Version32, edit: del("nonce"), want: ErrEciesMalformed},
		{name: "3.2 without timestamp", version: Version32, edit: del("timestamp"), want: ErrEciesMalformed},
		{name: "3.2 null timestamp", version: Version32, edit: set("timestamp", nil), want: ErrEciesMalformed},
		{name: "3.2 with temp key", version: Version32, edit: set("temporaryKeyId", eciesTTempKeyID), want: ErrEciesMalformed},
		{name: "3.3 without temp key", version: Version33, edit: del("temporaryKeyId"), want: ErrEciesMalformed},
		{name: "3.3 empty temp key", version: Version33, edit: set("temporaryKeyId", ""), want: ErrEciesMalformed},
		{name: "3.3 temp key not a UUID", version: Version33, edit: set("temporaryKeyId", "key-1"), want: ErrEciesMalformed},
		{name: "3.3 temp key a number", version: Version33, edit: set("temporaryKeyId", 7), want: ErrEciesMalformed},
		{name: "3.3 without timestamp", version: Version33, edit: del("timestamp"), want: ErrEciesMalformed},
		{name: "3.3 without nonce", version: Version33, edit: del("nonce"), want: ErrEciesMalformed},
		{name: "missing mac", version: Version33, edit: del("mac"), want: ErrEciesMalformed},
		{name: "missing encryptedData", version: Version33, edit: del("encryptedData"), want: ErrEciesMalformed},
		{name: "missing ephemeralPublicKey", version: Version33, edit: del("ephemeralPublicKey"), want: ErrEciesMalformed},
		{name: "upper-case member name", version: Version31, edit: func(m map[string]any) { m["MAC"] = m["mac"]; delete(m, "mac") }, want: ErrEciesMalformed},
		{name: "mac 31 bytes", version: Version33, edit: set("mac", b64s(31)), want: ErrEciesMalformed},
		{name: "mac 33 bytes", version: Version33, edit: set("mac", b64s(33)), want: ErrEciesMalformed},
		{name: "nonce 15 bytes", version: Version33, edit: set("nonce", b64s(15)), want: ErrEciesMalformed},
		{name: "nonce 17 bytes", version: Version31, edit: set("nonce", b64s(17)), want: ErrEciesMalformed},
		{name: "empty nonce", version: Version31, edit: set("nonce", ""), want: ErrEciesMalformed},
		{name: "empty encryptedData", version: Version33, edit: set("encryptedData", ""), want: ErrEciesMalformed},
		{name: "encryptedData 17 bytes", version: Version33, edit: set("encryptedData", b64s(17)), want: ErrEciesMalformed},
		{name: "encryptedData not Base64", version: Version33, edit: set("encryptedData", "!!!!"), want: ErrEciesMalformed},
		{name: "mac base64url", version: Version33, edit: set("mac", strings.Repeat("_-", 21)+"AA="), want: ErrEciesMalformed},
		{name: "mac unpadded", version: Version33, edit: set("mac", strings.TrimRight(b64s(32), "=")), want: ErrEciesMalformed},
		{name: "mac with line break", version: Version33, edit: func(m map[string]any) { s := m["mac"].(string); m["mac"] = s[:10] + "\n" + s[10:] }, want: ErrEciesMalformed},
		{name: "nonce with non-zero pad bits", version: Version31, edit: set("nonce", "AAAAAAAAAAAAAAAAAAAAAB=="), want: ErrEciesMalformed},
		{name: "ephemeral key 64 bytes", version: Version33, edit: set("ephemeralPublicKey", b64s(64)), want: ErrEciesMalformed},
		{name: "ephemeral key off curve", version: Version33, edit: set("ephemeralPublicKey", base64.StdEncoding.EncodeToString(append([]byte{4}, bytes.Repeat([]byte{1}, 64)...))), want: ErrEciesMalformed},
		{name: "ephemeral key bad x", version: Version33, edit: set("ephemeralPublicKey", base64.StdEncoding.EncodeToString(append([]byte{2}, bytes.Repeat([]byte{0xff}, 32)...))), want: ErrEciesMalformed},
		{name: "ephemeral key infinity", version: Version33, edit: set("ephemeralPublicKey", base64.StdEncoding.EncodeToString(make([]byte, 33))), want: ErrEciesMalformed},
		{name: "timestamp string", version: Version33, edit: set("timestamp", "1749762303600"), want: ErrEciesMalformed},
		{name: "timestamp fraction", version: Version33, edit: set("timestamp", json.Number("1749762303600.5")), want: ErrEciesMalformed},
		{name: "timestamp exponent", version: Version33, edit: set("timestamp", json.Number("1.7e12")), want: ErrEciesMalformed},
		{name: "timestamp zero", version: Version33, edit: set("timestamp", 0), want: ErrEciesMalformed},
		{name: "timestamp negative", version: Version33, edit: set("timestamp", -5), want: ErrEciesMalformed},
		{name: "timestamp overflow", version: Version33, edit: set("timestamp", json.Number("99999999999999999999")), want: ErrEciesMalformed},
		{name: "mac number", version: Version33, edit: set("mac", 12), want: ErrEciesMalformed},
		{name: "mac object", version: Version33, edit: set("mac", map[string]any{}), want: ErrEciesMalformed},
		{name: "empty body", version: Version33, raw: " ", want: ErrEciesMalformed},
		{name: "not JSON", version: Version33, raw: "ephemeralPublicKey=abc", want: ErrEciesMalformed},
		{name: "array", version: Version33, raw: `[{"mac":"x"}]`, want: ErrEciesMalformed},
		{name: "null", version: Version33, raw: `null`, want: ErrEciesMalformed},
		{name: "truncated", version: Version33, raw: `{"mac":"`, want: ErrEciesMalformed},
		{name: "invalid UTF-8", version: Version33, raw: "{\"x\":\"\xff\"}", want: ErrEciesMalformed},
		{name: "unsupported version", version: "3.4", want: ErrEciesVersion},
		{name: "empty version", version: "", want: ErrEciesVersion},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var body []byte
			if c.raw != "" {
				body = []byte(c.raw)
			} else {
				v := c.version
				if !ValidVersion(v) {
					v = Version33
				}
				m := eciesTValidBody(t, v)
				if c.edit != nil {
					c.edit(m)
				}
				var err error
				if body, err = json.Marshal(m); err != nil {
					t.Fatal(err)
				}
			}
			req, err := ParseEncryptedRequest(body, c.version)
			if c.want == nil {
				if err != nil {
					t.Fatalf("ParseEncryptedRequest(%s): %v", body, err)
				}
				if req.validate(c.version) != nil {
					t.Fatalf("parsed request does not validate")
				}
				return
			}
			if !errors.Is(err, c.want) || req != nil {
				t.Fatalf("ParseEncryptedRequest(%s) = %v, %v; want %v", body, req, err, c.want)
			}
		})
	}
}

func TestParseEncryptedRequestStructuralJSON(t *testing.T) {
	valid, err := json.Marshal(eciesTValidBody(t, Version32))
	if err != nil {
		t.Fatal(err)
	}
	inner := string(valid[1 : len(valid)-1])
	cases := map[string]string{
		"duplicate member": `{` + inner + `,"mac":"` + base64.StdEncoding.EncodeToString(make([]byte, 32)) + `"}`,
		"trailing object":  string(valid) + `{}`,
		"trailing garbage": string(valid) + `x`,
		"two objects":      string(valid) + string(valid),
		"trailing comma":   `{` + inner + `,}`,
	}
	for name, body := range cases {
		if _, err := ParseEncryptedRequest([]byte(body), Version32); !errors.Is(err, ErrEciesMalformed) {
			t.Errorf("%s: %v, want ErrEciesMalformed", name, err)
		}
	}
	if _, err := ParseEncryptedRequest(append(append([]byte(" \n"), valid...), " \t\n"...), Version32); err != nil {
		t.Errorf("surrounding whitespace: %v", err)
	}
}

func TestParseEncryptedResponse(t *testing.T) {
	ct := base64.StdEncoding.EncodeToString(make([]byte, 32))
	mac := base64.StdEncoding.EncodeToString(make([]byte, 32))
	nonce := base64.StdEncoding.EncodeToString(make([]byte, 16))
	cases := []struct {
		body    string
		version string
		ok      bool
	}{
		{`{"encryptedData":"` + ct + `","mac":"` + mac + `"}`, Version30, true},
		{`{"encryptedData":"` + ct + `","mac":"` + mac + `"}`, Version31, true},
		{`{"encryptedData":"` + ct + `","mac":"` + mac + `","nonce":"` + nonce + `","timestamp":5}`, Version32, true},
		{`{"encryptedData":"` + ct + `","mac":"` + mac + `","nonce":"` + nonce + `","timestamp":5}`, Version31, false},
		{`{"encryptedData":"` + ct + `","mac":"` + mac + `"}`, Version33, false},
		{`{"encryptedData":"` + ct + `","mac":"` + mac + `","nonce":"` + nonce + `"}`, Version33, false},
		{`{"encryptedData":"` + ct + `","mac":"` + mac + `","timestamp":5}`, Version33, false},
		{`{"encryptedData":"","mac":"` + mac + `"}`, Version30, false},
		{`{"encryptedData":"` + ct + `","mac":"AAAA"}`, Version30, false},
		{`{"encryptedData":"` + ct + `"}`, Version30, false},
		{`[]`, Version30, false},
	}
	for _, c := range cases {
		resp, err := ParseEncryptedResponse([]byte(c.body), c.version)
		if c.ok && (err != nil || resp == nil) {
			t.Errorf("%s (%s): %v", c.body, c.version, err)
		}
		if !c.ok && !errors.Is(err, ErrEciesMalformed) {
			t.Errorf("%s (%s): %v, want ErrEciesMalformed", c.body, c.version, err)
		}
	}
	if _, err := ParseEncryptedResponse([]byte(`{}`), "4.0"); !errors.Is(err, ErrEciesVersion) {
		t.Errorf("version 4.0: %v", err)
	}
}

func TestEncryptedRequestJSONShape(t *testing.T) {
	m := eciesTValidBody(t, Version33)
	for _, k := range []string{"temporaryKeyId", "ephemeralPublicKey", "encryptedData", "mac", "nonce", "timestamp"} {
		if _, ok := m[k]; !ok {
			t.Errorf("3.3 body lacks %s", k)
		}
	}
	m = eciesTValidBody(t, Version30)
	if len(m) != 3 {
		t.Errorf("3.0 body has members %v, want ephemeralPublicKey, encryptedData, mac", m)
	}
	resp, err := (&EncryptedResponse{EncryptedData: make([]byte, 16), MAC: make([]byte, 32)}).Marshal()
	if err != nil {
		t.Fatal(err)
	}
	if want := `{"encryptedData":"AAAAAAAAAAAAAAAAAAAAAA==","mac":"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="}`; string(resp) != want {
		t.Errorf("3.0 response body %s, want %s", resp, want)
	}
}

func TestCheckRequestTimestamp(t *testing.T) {
	now := time.UnixMilli(1_700_000_000_000)
	ms := now.UnixMilli()
	cases := []struct {
		name string
		ts   int64
		want error
	}{
		{"now", ms, nil},
		{"59.999 s ahead", ms + 59_999, nil},
		{"60 s ahead (inclusive)", ms + 60_000, nil},
		{"60.001 s ahead", ms + 60_001, ErrEciesTimestampInFuture},
		{"far future", 1<<63 - 1, ErrEciesTimestampInFuture},
		{"5 min old (inclusive)", ms - 300_000, nil},
		{"5 min 1 ms old", ms - 300_001, ErrEciesTimestampTooOld},
		{"zero", 0, ErrEciesTimestampTooOld},
		{"most negative", -1 << 63, ErrEciesTimestampTooOld},
	}
	for _, c := range cases {
		err := CheckRequestTimestamp(c.ts, now, DefaultEciesMaxAge, DefaultEciesMaxFuture)
		if c.want == nil && err != nil || c.want != nil && !errors.Is(err, c.want) {
			t.Errorf("%s: %v, want %v", c.name, err, c.want)
		}
	}
	if errors.Is(ErrEciesTimestampInFuture, ErrEciesTimestampTooOld) {
		t.Errorf("timestamp errors are not distinct")
	}
}

func TestSharedInfo1Scope(t *testing.T) {
	want := map[string]EciesScope{
		SharedInfo1GenericApplication: EciesScopeApplication,
		SharedInfo1ActivationLayer2:   EciesScopeApplication,
		SharedInfo1Upgrade:            EciesScopeActivation,
		SharedInfo1VaultUnlock:        EciesScopeActivation,
		SharedInfo1TokenCreate:        EciesScopeActivation,
		SharedInfo1RecoveryConfirm:    EciesScopeActivation,
		SharedInfo1GenericActivation:  EciesScopeActivation,
	}
	for sh1, scope := range want {
		if got, ok := SharedInfo1Scope(sh1); !ok || got != scope {
			t.Errorf("SharedInfo1Scope(%s) = %v, %v", sh1, got, ok)
		}
	}
	if _, ok := SharedInfo1Scope("/pa/generic"); ok {
		t.Errorf("unknown SH1 accepted")
	}
	if EciesScope(0).String() != "invalid" || EciesScopeActivation.String() != "activation" {
		t.Errorf("EciesScope.String")
	}
}

// BenchmarkEciesDecryptEncrypt200 measures the server side of one 3.3
// activation-scope exchange: decrypt a 200-byte request body and encrypt a
// 200-byte response.
func BenchmarkEciesDecryptEncrypt200(b *testing.B) {
	encPriv := eciesTKeyPair(b)
	ctx := eciesTContext(Version33, SharedInfo1GenericActivation)
	plain := bytes.Repeat([]byte{'a'}, 200)
	req, _, err := EncryptRequest(encPriv.Public(), ctx, plain, eciesTNow)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		got, env, err := DecryptRequest(encPriv, ctx, req)
		if err != nil || len(got) != 200 {
			b.Fatal(err)
		}
		if _, err := env.EncryptResponse(plain, eciesTNow); err != nil {
			b.Fatal(err)
		}
	}
}
