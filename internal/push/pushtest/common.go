package pushtest

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

// Received is one request a fake accepted for delivery.
type Received struct {
	// Path is the request path.
	Path string
	// Token is the device token addressed.
	Token string
	// Header holds the request headers.
	Header http.Header
	// Body is the raw JSON body.
	Body []byte
}

// recorder keeps what a fake received and refused.
type recorder struct {
	mu         sync.Mutex
	record     bool
	received   []Received
	rejections []string
	count      int64
}

func (r *recorder) add(rec Received) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.count++
	if r.record {
		r.received = append(r.received, rec)
	}
}

func (r *recorder) reject(format string, args ...any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.rejections = append(r.rejections, fmt.Sprintf(format, args...))
}

// Received returns the accepted requests in arrival order.
func (r *recorder) Received() []Received {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]Received(nil), r.received...)
}

// Rejections lists requests refused because the client was wrong (a bad
// signature, header or body): a correct client causes none.
func (r *recorder) Rejections() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.rejections...)
}

// Count is the number of accepted requests (also when not recording).
func (r *recorder) Count() int64 {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.count
}

// SetRecording switches keeping request copies on or off (benchmarks
// turn it off); Count counts either way.
func (r *recorder) SetRecording(on bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.record = on
}

// clock is a fake's notion of now, settable by tests.
type clock struct {
	mu  sync.Mutex
	now func() time.Time
}

// SetClock makes the fake judge token ages and expiries by now.
func (c *clock) SetClock(now func() time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = now
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.now == nil {
		return time.Now()
	}
	return c.now()
}

// startTLS2 starts h on a TLS server speaking HTTP/2.
func startTLS2(t testing.TB, h http.Handler) *httptest.Server {
	srv := newTLS2(h)
	t.Cleanup(srv.Close)
	return srv
}

// newTLS2 starts h on a TLS server speaking HTTP/2; the caller closes it.
func newTLS2(h http.Handler) *httptest.Server {
	srv := httptest.NewUnstartedServer(h)
	srv.EnableHTTP2 = true
	srv.StartTLS()
	return srv
}

// requireHTTP2 refuses requests not made over HTTP/2 (as Apple does).
func requireHTTP2(rec *recorder, w http.ResponseWriter, r *http.Request) bool {
	if r.ProtoMajor != 2 {
		rec.reject("%s over %s, want HTTP/2", r.URL.Path, r.Proto)
		http.Error(w, "HTTP/2 required", http.StatusHTTPVersionNotSupported)
		return false
	}
	return true
}

// NewAPNsKey returns a fresh P-256 key as a .p8 file (PKCS#8 PEM) and its
// public half.
func NewAPNsKey(t testing.TB) ([]byte, *ecdsa.PublicKey) {
	t.Helper()
	p8, pub, err := GenerateAPNsKey()
	if err != nil {
		t.Fatal(err)
	}
	return p8, pub
}

// GenerateAPNsKey is NewAPNsKey outside a test.
func GenerateAPNsKey() ([]byte, *ecdsa.PublicKey, error) {
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, fmt.Errorf("generate APNs key: %w", err)
	}
	der, err := x509.MarshalPKCS8PrivateKey(k)
	if err != nil {
		return nil, nil, fmt.Errorf("encode APNs key: %w", err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), &k.PublicKey, nil
}

// jwtParts is a parsed compact JWS.
type jwtParts struct {
	header  map[string]any
	claims  map[string]any
	signing string
	sig     []byte
}

func parseJWT(tok string) (jwtParts, error) {
	var p jwtParts
	parts := strings.Split(tok, ".")
	if len(parts) != 3 {
		return p, errors.New("not a compact JWS")
	}
	dec := base64.RawURLEncoding
	h, err := dec.DecodeString(parts[0])
	if err != nil {
		return p, errors.New("header is not base64url")
	}
	c, err := dec.DecodeString(parts[1])
	if err != nil {
		return p, errors.New("claims are not base64url")
	}
	if p.sig, err = dec.DecodeString(parts[2]); err != nil {
		return p, errors.New("signature is not base64url")
	}
	if json.Unmarshal(h, &p.header) != nil || json.Unmarshal(c, &p.claims) != nil {
		return p, errors.New("header or claims are not JSON objects")
	}
	p.signing = parts[0] + "." + parts[1]
	return p, nil
}

// verifyES256 checks alg ES256 (only) and the signature.
func (p jwtParts) verifyES256(pub *ecdsa.PublicKey) error {
	if alg, _ := p.header["alg"].(string); alg != "ES256" {
		return fmt.Errorf("alg %q, want ES256", alg)
	}
	if len(p.sig) != 64 {
		return errors.New("ES256 signature is not 64 bytes")
	}
	sum := sha256.Sum256([]byte(p.signing))
	if !ecdsa.Verify(pub, sum[:], new(big.Int).SetBytes(p.sig[:32]), new(big.Int).SetBytes(p.sig[32:])) {
		return errors.New("bad signature")
	}
	return nil
}

// verifyRS256 checks alg RS256 (only) and the signature.
func (p jwtParts) verifyRS256(pub *rsa.PublicKey) error {
	if alg, _ := p.header["alg"].(string); alg != "RS256" {
		return fmt.Errorf("alg %q, want RS256", alg)
	}
	sum := sha256.Sum256([]byte(p.signing))
	if err := rsa.VerifyPKCS1v15(pub, crypto.SHA256, sum[:], p.sig); err != nil {
		return errors.New("bad signature")
	}
	return nil
}

func (p jwtParts) intClaim(name string) (int64, bool) {
	f, ok := p.claims[name].(float64)
	if !ok || f != float64(int64(f)) {
		return 0, false
	}
	return int64(f), true
}

// newOpaqueToken returns a random access token.
func newOpaqueToken() string {
	b := make([]byte, 24)
	_, _ = rand.Read(b)
	return "ya29." + hex.EncodeToString(b)
}

func bearer(r *http.Request) string {
	v := r.Header.Get("Authorization")
	if len(v) > 7 && strings.EqualFold(v[:7], "bearer ") {
		return v[7:]
	}
	return ""
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// strictDecode decodes body into v refusing unknown fields and trailing data.
func strictDecode(body []byte, v any) error {
	dec := json.NewDecoder(strings.NewReader(string(body)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return err
	}
	if dec.More() {
		return errors.New("trailing data")
	}
	return nil
}

// script holds the answers a fake was told to give: one per device token
// (RespondTo), else the next queued one (Queue), else the default.
type script[R any] struct {
	scriptMu sync.Mutex
	queue    []R
	byToken  map[string]R
}

// Queue makes the next requests (one each, in order) get these answers.
func (s *script[R]) Queue(r ...R) {
	s.scriptMu.Lock()
	defer s.scriptMu.Unlock()
	s.queue = append(s.queue, r...)
}

// RespondTo makes every request to device token get r.
func (s *script[R]) RespondTo(token string, r R) {
	s.scriptMu.Lock()
	defer s.scriptMu.Unlock()
	if s.byToken == nil {
		s.byToken = map[string]R{}
	}
	s.byToken[token] = r
}

// next returns the scripted answer for a request to token, if any.
func (s *script[R]) next(token string) (R, bool) {
	s.scriptMu.Lock()
	defer s.scriptMu.Unlock()
	if r, ok := s.byToken[token]; ok {
		return r, true
	}
	if len(s.queue) > 0 {
		r := s.queue[0]
		s.queue = s.queue[1:]
		return r, true
	}
	var zero R
	return zero, false
}

// accessTokens are the OAuth 2.0 access tokens a fake's token endpoint
// issued, with their expiry.
type accessTokens struct {
	tokensMu sync.Mutex
	issued   map[string]time.Time
	requests int
}

// TokenRequests counts the access tokens the fake issued.
func (a *accessTokens) TokenRequests() int {
	a.tokensMu.Lock()
	defer a.tokensMu.Unlock()
	return a.requests
}

// RevokeTokens invalidates every issued access token.
func (a *accessTokens) RevokeTokens() {
	a.tokensMu.Lock()
	defer a.tokensMu.Unlock()
	a.issued = nil
}

// issue records a new access token valid until exp.
func (a *accessTokens) issue(exp time.Time) string {
	tok := newOpaqueToken()
	a.tokensMu.Lock()
	defer a.tokensMu.Unlock()
	if a.issued == nil {
		a.issued = map[string]time.Time{}
	}
	a.issued[tok] = exp
	a.requests++
	return tok
}

// valid reports whether tok was issued and has not expired at now.
func (a *accessTokens) valid(tok string, now time.Time) bool {
	a.tokensMu.Lock()
	exp, ok := a.issued[tok]
	a.tokensMu.Unlock()
	return ok && now.Before(exp)
}
