package pushtest

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/subtle"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"
)

// FCMResponse is an answer the fake FCM gives instead of success.
type FCMResponse struct {
	// Status is the HTTP status (e.g. 404, 400, 429, 503).
	Status int
	// ErrorStatus is the google.rpc status (e.g. "NOT_FOUND").
	ErrorStatus string
	// ErrorCode is the FcmError code in details (e.g. "UNREGISTERED").
	ErrorCode string
	// RetryAfter is sent as the Retry-After header when not empty.
	RetryAfter string
}

// FCMMessage is the FCM v1 message shape the fake accepts (the fields the
// client maps; anything else is refused as INVALID_ARGUMENT).
type FCMMessage struct {
	Message struct {
		Token   string            `json:"token"`
		Data    map[string]string `json:"data,omitempty"`
		Android *struct {
			CollapseKey  string `json:"collapse_key,omitempty"`
			Priority     string `json:"priority,omitempty"`
			TTL          string `json:"ttl,omitempty"`
			Notification *struct {
				Title             string   `json:"title,omitempty"`
				Body              string   `json:"body,omitempty"`
				TitleLocKey       string   `json:"title_loc_key,omitempty"`
				TitleLocArgs      []string `json:"title_loc_args,omitempty"`
				BodyLocKey        string   `json:"body_loc_key,omitempty"`
				BodyLocArgs       []string `json:"body_loc_args,omitempty"`
				Icon              string   `json:"icon,omitempty"`
				Sound             string   `json:"sound,omitempty"`
				Tag               string   `json:"tag,omitempty"`
				NotificationCount *int     `json:"notification_count,omitempty"`
			} `json:"notification,omitempty"`
		} `json:"android,omitempty"`
	} `json:"message"`
}

// FCM is a fake Firebase Cloud Messaging HTTP v1 API with its OAuth2
// token endpoint (JWT bearer grant).
type FCM struct {
	recorder
	clock
	// Server is the TLS + HTTP/2 server.
	Server *httptest.Server
	// ProjectID is the Firebase project.
	ProjectID string
	// TokenTTL is the lifetime of issued access tokens (default 1 h).
	TokenTTL time.Duration
	key      *rsa.PrivateKey
	keyID    string
	email    string

	script[FCMResponse]
	accessTokens
}

// NewFCM starts a fake FCM for projectID; it stops when the test ends.
func NewFCM(t testing.TB, projectID string) *FCM {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	f := &FCM{ProjectID: projectID, TokenTTL: time.Hour, key: key, keyID: "0123456789abcdef",
		email: "mauth-push@" + projectID + ".iam.gserviceaccount.com"}
	f.record = true
	mux := http.NewServeMux()
	mux.HandleFunc("/token", f.serveToken)
	mux.HandleFunc("/v1/", f.serveSend)
	f.Server = startTLS2(t, mux)
	return f
}

// URL is the API base URL.
func (f *FCM) URL() string { return f.Server.URL }

// TokenURL is the OAuth2 token endpoint.
func (f *FCM) TokenURL() string { return f.Server.URL + "/token" }

// Client is an HTTP/2 client trusting the fake's certificate.
func (f *FCM) Client() *http.Client { return f.Server.Client() }

// ServiceAccountJSON is a service-account key the fake accepts (its
// token_uri points at the fake).
func (f *FCM) ServiceAccountJSON() []byte {
	der, _ := x509.MarshalPKCS8PrivateKey(f.key)
	b, _ := json.Marshal(map[string]string{
		"type":           "service_account",
		"project_id":     f.ProjectID,
		"private_key_id": f.keyID,
		"private_key":    string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})),
		"client_email":   f.email,
		"client_id":      "100000000000000000001",
		"token_uri":      f.TokenURL(),
	})
	return b
}

func (f *FCM) serveToken(w http.ResponseWriter, r *http.Request) {
	if !requireHTTP2(&f.recorder, w, r) {
		return
	}
	bad := func(detail string) {
		f.reject("token: %s", detail)
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "invalid_grant", "error_description": "refused"})
	}
	if r.Method != http.MethodPost || r.ParseForm() != nil {
		bad("not a form POST")
		return
	}
	if r.PostForm.Get("grant_type") != "urn:ietf:params:oauth:grant-type:jwt-bearer" {
		bad("grant_type " + r.PostForm.Get("grant_type"))
		return
	}
	p, err := parseJWT(r.PostForm.Get("assertion"))
	if err != nil {
		bad(err.Error())
		return
	}
	if err := p.verifyRS256(&f.key.PublicKey); err != nil {
		bad(err.Error())
		return
	}
	now := f.Now().Unix()
	iat, ok1 := p.intClaim("iat")
	exp, ok2 := p.intClaim("exp")
	iss, _ := p.claims["iss"].(string)
	aud, _ := p.claims["aud"].(string)
	scope, _ := p.claims["scope"].(string)
	kid, _ := p.header["kid"].(string)
	switch {
	case kid != f.keyID:
		bad("kid " + kid)
	case iss != f.email:
		bad("iss " + iss)
	case aud != f.TokenURL():
		bad("aud " + aud)
	case !strings.Contains(" "+scope+" ", " https://www.googleapis.com/auth/firebase.messaging "):
		bad("scope " + scope)
	case !ok1 || !ok2 || exp <= iat || exp-iat > 3600 || iat > now+60 || exp < now:
		bad("iat/exp " + strconv.FormatInt(iat, 10) + "/" + strconv.FormatInt(exp, 10))
	default:
		tok := f.issue(f.Now().Add(f.TokenTTL))
		writeJSON(w, http.StatusOK, map[string]any{"access_token": tok, "expires_in": int64(f.TokenTTL / time.Second), "token_type": "Bearer"})
	}
}

func (f *FCM) error(w http.ResponseWriter, resp FCMResponse) {
	if resp.RetryAfter != "" {
		w.Header().Set("Retry-After", resp.RetryAfter)
	}
	e := map[string]any{"code": resp.Status, "message": "fake", "status": resp.ErrorStatus}
	if resp.ErrorCode != "" {
		e["details"] = []any{map[string]any{"@type": "type.googleapis.com/google.firebase.fcm.v1.FcmError", "errorCode": resp.ErrorCode}}
	}
	writeJSON(w, resp.Status, map[string]any{"error": e})
}

func (f *FCM) serveSend(w http.ResponseWriter, r *http.Request) {
	if !requireHTTP2(&f.recorder, w, r) {
		return
	}
	if r.Method != http.MethodPost || r.URL.Path != "/v1/projects/"+f.ProjectID+"/messages:send" {
		f.reject("%s %s", r.Method, r.URL.Path)
		f.error(w, FCMResponse{Status: http.StatusNotFound, ErrorStatus: "NOT_FOUND"})
		return
	}
	tok := bearer(r)
	if !f.valid(tok, f.Now()) {
		f.error(w, FCMResponse{Status: http.StatusUnauthorized, ErrorStatus: "UNAUTHENTICATED"})
		return
	}
	if !strings.HasPrefix(r.Header.Get("Content-Type"), "application/json") {
		f.reject("content type %q", r.Header.Get("Content-Type"))
		f.error(w, FCMResponse{Status: http.StatusBadRequest, ErrorStatus: "INVALID_ARGUMENT"})
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, 64<<10))
	if err != nil {
		return
	}
	var m FCMMessage
	if err := strictDecode(body, &m); err != nil || m.Message.Token == "" {
		f.reject("body: %v", err)
		f.error(w, FCMResponse{Status: http.StatusBadRequest, ErrorStatus: "INVALID_ARGUMENT"})
		return
	}
	resp, scripted := f.next(m.Message.Token)
	f.add(Received{Path: r.URL.Path, Token: m.Message.Token, Header: r.Header.Clone(), Body: body})
	if scripted && resp.Status != 0 && resp.Status != http.StatusOK {
		f.error(w, resp)
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"name": "projects/" + f.ProjectID + "/messages/0:" + strconv.FormatInt(f.Count(), 10)})
}

// constantEqual compares secrets in constant time.
func constantEqual(a, b string) bool {
	return subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1
}
