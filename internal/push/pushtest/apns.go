package pushtest

import (
	"crypto/ecdsa"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// APNsResponse is an answer the fake APNs gives instead of success.
type APNsResponse struct {
	// Status is the HTTP status (e.g. 400, 410, 429, 503).
	Status int
	// Reason is Apple's reason string (e.g. "BadDeviceToken").
	Reason string
	// Timestamp is the token-invalidation time (410 answers), Unix ms.
	Timestamp int64
	// RetryAfter is sent as the Retry-After header when not empty.
	RetryAfter string
}

// APNsConfig configures the fake APNs.
type APNsConfig struct {
	// Key is the public half of the .p8 the client signs with.
	Key *ecdsa.PublicKey
	// KeyID, TeamID and Topic are what the provider token and the
	// apns-topic header must carry.
	KeyID, TeamID, Topic string
}

// APNs is a fake Apple Push Notification service (provider API over
// HTTP/2, token authentication).
type APNs struct {
	recorder
	clock
	// Server is the TLS + HTTP/2 server.
	Server *httptest.Server
	cfg    APNsConfig

	script[APNsResponse]

	mu       sync.Mutex
	verified map[string]int64 // provider token → iat
	tokens   []string         // provider tokens in order of first use
}

// NewAPNs starts a fake APNs; it stops when the test ends.
func NewAPNs(t testing.TB, cfg APNsConfig) *APNs {
	f := &APNs{cfg: cfg, verified: map[string]int64{}}
	f.record = true
	f.Server = startTLS2(t, http.HandlerFunc(f.serve))
	return f
}

// StartAPNs starts a fake APNs outside a test (the push benchmark of
// mauth bench); Close stops it.
func StartAPNs(cfg APNsConfig) *APNs {
	f := &APNs{cfg: cfg, verified: map[string]int64{}}
	srv := httptest.NewUnstartedServer(http.HandlerFunc(f.serve))
	srv.EnableHTTP2 = true
	srv.Config.ErrorLog = log.New(io.Discard, "", 0) // a closed connection at the end is no news
	srv.StartTLS()
	f.Server = srv
	return f
}

// Close stops a fake started by StartAPNs.
func (f *APNs) Close() { f.Server.Close() }

// CertificatePEM is the fake's TLS certificate (PEM), for a client's
// trusted CA file.
func (f *APNs) CertificatePEM() []byte {
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: f.Server.Certificate().Raw})
}

// URL is the base URL (for the client's development or production URL).
func (f *APNs) URL() string { return f.Server.URL }

// Client is an HTTP/2 client trusting the fake's certificate.
func (f *APNs) Client() *http.Client { return f.Server.Client() }

// ProviderTokens lists the distinct provider JWTs the fake accepted, in
// order of first use.
func (f *APNs) ProviderTokens() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.tokens...)
}

func (f *APNs) fail(w http.ResponseWriter, status int, reason string, clientBug bool, detail string) {
	if clientBug {
		f.reject("%d %s: %s", status, reason, detail)
	}
	w.Header().Set("apns-id", "00000000-0000-0000-0000-000000000000")
	writeJSON(w, status, map[string]any{"reason": reason})
}

// checkProviderToken verifies the JWT as Apple does; it returns the
// failure reason or "".
func (f *APNs) checkProviderToken(r *http.Request) (int, string, string) {
	auth := r.Header.Get("authorization")
	if !strings.HasPrefix(auth, "bearer ") {
		return http.StatusForbidden, "MissingProviderToken", "no bearer token"
	}
	tok := strings.TrimPrefix(auth, "bearer ")
	now := f.Now().Unix()
	f.mu.Lock()
	iat, ok := f.verified[tok]
	f.mu.Unlock()
	if !ok {
		p, err := parseJWT(tok)
		if err != nil {
			return http.StatusForbidden, "InvalidProviderToken", err.Error()
		}
		if err := p.verifyES256(f.cfg.Key); err != nil {
			return http.StatusForbidden, "InvalidProviderToken", err.Error()
		}
		if kid, _ := p.header["kid"].(string); kid != f.cfg.KeyID {
			return http.StatusForbidden, "InvalidProviderToken", "kid " + kid
		}
		if iss, _ := p.claims["iss"].(string); iss != f.cfg.TeamID {
			return http.StatusForbidden, "InvalidProviderToken", "iss " + iss
		}
		var okIat bool
		if iat, okIat = p.intClaim("iat"); !okIat {
			return http.StatusForbidden, "InvalidProviderToken", "no integer iat"
		}
		f.mu.Lock()
		_, seen := f.verified[tok] // a concurrent request verified it meanwhile
		// Apple's rule: a new token at most every 20 minutes.
		if n := len(f.tokens); n > 0 && !seen {
			prev := f.verified[f.tokens[n-1]]
			if iat-prev < int64((20*time.Minute)/time.Second) {
				f.mu.Unlock()
				return http.StatusTooManyRequests, "TooManyProviderTokenUpdates", "new token " + strconv.FormatInt(iat-prev, 10) + "s after the previous"
			}
		}
		if !seen {
			f.verified[tok] = iat
			f.tokens = append(f.tokens, tok)
		}
		f.mu.Unlock()
	}
	if now-iat > 3600 {
		return http.StatusForbidden, "ExpiredProviderToken", "iat older than an hour"
	}
	if iat > now+60 {
		return http.StatusForbidden, "InvalidProviderToken", "iat in the future"
	}
	return 0, "", ""
}

func (f *APNs) serve(w http.ResponseWriter, r *http.Request) {
	if !requireHTTP2(&f.recorder, w, r) {
		return
	}
	if r.Method != http.MethodPost {
		f.fail(w, http.StatusMethodNotAllowed, "MethodNotAllowed", true, r.Method)
		return
	}
	token, ok := strings.CutPrefix(r.URL.Path, "/3/device/")
	if !ok {
		f.fail(w, http.StatusNotFound, "BadPath", true, r.URL.Path)
		return
	}
	if status, reason, detail := f.checkProviderToken(r); status != 0 {
		f.fail(w, status, reason, true, detail)
		return
	}
	h := r.Header
	switch {
	case h.Get("apns-topic") == "":
		f.fail(w, http.StatusBadRequest, "MissingTopic", true, "")
		return
	case h.Get("apns-topic") != f.cfg.Topic:
		f.fail(w, http.StatusBadRequest, "BadTopic", true, h.Get("apns-topic"))
		return
	}
	pushType := h.Get("apns-push-type")
	if pushType != "alert" && pushType != "background" {
		f.fail(w, http.StatusBadRequest, "InvalidPushType", true, pushType)
		return
	}
	prio := h.Get("apns-priority")
	if prio != "" && prio != "5" && prio != "10" && prio != "1" {
		f.fail(w, http.StatusBadRequest, "BadPriority", true, prio)
		return
	}
	if pushType == "background" && prio != "5" {
		f.fail(w, http.StatusBadRequest, "BadPriority", true, "background push with priority "+prio)
		return
	}
	if exp := h.Get("apns-expiration"); exp != "" {
		if _, err := strconv.ParseInt(exp, 10, 64); err != nil {
			f.fail(w, http.StatusBadRequest, "BadExpirationDate", true, exp)
			return
		}
	}
	if len(h.Get("apns-collapse-id")) > 64 {
		f.fail(w, http.StatusBadRequest, "BadCollapseId", true, "")
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, 64<<10))
	if err != nil {
		return
	}
	if len(body) > 4096 {
		f.fail(w, http.StatusRequestEntityTooLarge, "PayloadTooLarge", true, strconv.Itoa(len(body)))
		return
	}
	var payload map[string]json.RawMessage
	if err := json.Unmarshal(body, &payload); err != nil || payload["aps"] == nil {
		f.fail(w, http.StatusBadRequest, "PayloadEmpty", true, "no aps dictionary")
		return
	}
	if _, err := hex.DecodeString(token); err != nil || token == "" {
		f.fail(w, http.StatusBadRequest, "BadDeviceToken", false, "")
		return
	}
	resp, scripted := f.next(token)
	f.add(Received{Path: r.URL.Path, Token: token, Header: h.Clone(), Body: body})
	if scripted && resp.Status != 0 && resp.Status != http.StatusOK {
		if resp.RetryAfter != "" {
			w.Header().Set("Retry-After", resp.RetryAfter)
		}
		ans := map[string]any{"reason": resp.Reason}
		if resp.Timestamp != 0 {
			ans["timestamp"] = resp.Timestamp
		}
		writeJSON(w, resp.Status, ans)
		return
	}
	w.Header().Set("apns-id", "5e4c2a1b-0000-4000-8000-"+strconv.FormatInt(f.Count(), 16))
	w.WriteHeader(http.StatusOK)
}
