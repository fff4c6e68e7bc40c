package pushtest

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"
)

// HMSResponse is an answer the fake HMS gives instead of success.
type HMSResponse struct {
	// Status is the HTTP status (200 for most Push Kit result codes).
	Status int
	// Code is the Push Kit result code (e.g. "80300007").
	Code string
	// Msg is the result message.
	Msg string
	// RetryAfter is sent as the Retry-After header when not empty.
	RetryAfter string
}

// HMSMessage is the Push Kit message shape the fake accepts.
type HMSMessage struct {
	ValidateOnly bool `json:"validate_only"`
	Message      struct {
		Token   []string `json:"token"`
		Data    string   `json:"data,omitempty"`
		Android *struct {
			CollapseKey  *int   `json:"collapse_key,omitempty"`
			Urgency      string `json:"urgency,omitempty"`
			TTL          string `json:"ttl,omitempty"`
			Notification *struct {
				Title        string   `json:"title,omitempty"`
				Body         string   `json:"body,omitempty"`
				TitleLocKey  string   `json:"title_loc_key,omitempty"`
				TitleLocArgs []string `json:"title_loc_args,omitempty"`
				BodyLocKey   string   `json:"body_loc_key,omitempty"`
				BodyLocArgs  []string `json:"body_loc_args,omitempty"`
				Icon         string   `json:"icon,omitempty"`
				Sound        string   `json:"sound,omitempty"`
				Tag          string   `json:"tag,omitempty"`
				Badge        *struct {
					SetNum int `json:"set_num"`
				} `json:"badge,omitempty"`
				ClickAction *struct {
					Type int `json:"type"`
				} `json:"click_action"`
			} `json:"notification,omitempty"`
		} `json:"android,omitempty"`
	} `json:"message"`
}

// HMS is a fake Huawei Push Kit server API with its OAuth2 token endpoint
// (client credentials).
type HMS struct {
	recorder
	clock
	// Server is the TLS + HTTP/2 server.
	Server *httptest.Server
	// ClientID and ClientSecret are the credentials the fake accepts;
	// ProjectID the project of /v2 paths.
	ClientID, ClientSecret, ProjectID string
	// TokenTTL is the lifetime of issued access tokens (default 1 h).
	TokenTTL time.Duration

	script[HMSResponse]
	accessTokens
}

// NewHMS starts a fake HMS; it stops when the test ends.
func NewHMS(t testing.TB, clientID, clientSecret, projectID string) *HMS {
	f := &HMS{ClientID: clientID, ClientSecret: clientSecret, ProjectID: projectID, TokenTTL: time.Hour}
	f.record = true
	mux := http.NewServeMux()
	mux.HandleFunc("/oauth2/v3/token", f.serveToken)
	mux.HandleFunc("/", f.serveSend)
	f.Server = startTLS2(t, mux)
	return f
}

// URL is the API base URL.
func (f *HMS) URL() string { return f.Server.URL }

// TokenURL is the OAuth2 token endpoint.
func (f *HMS) TokenURL() string { return f.Server.URL + "/oauth2/v3/token" }

// Client is an HTTP/2 client trusting the fake's certificate.
func (f *HMS) Client() *http.Client { return f.Server.Client() }

func (f *HMS) serveToken(w http.ResponseWriter, r *http.Request) {
	if !requireHTTP2(&f.recorder, w, r) {
		return
	}
	if r.Method != http.MethodPost || r.ParseForm() != nil || r.PostForm.Get("grant_type") != "client_credentials" {
		f.reject("token: not a client_credentials form POST")
		writeJSON(w, http.StatusBadRequest, map[string]any{"error": 1102, "sub_error": 20001, "error_description": "invalid request"})
		return
	}
	if !constantEqual(r.PostForm.Get("client_id"), f.ClientID) || !constantEqual(r.PostForm.Get("client_secret"), f.ClientSecret) {
		writeJSON(w, http.StatusUnauthorized, map[string]any{"error": 1101, "sub_error": 20003, "error_description": "invalid client"})
		return
	}
	tok := f.issue(f.Now().Add(f.TokenTTL))
	writeJSON(w, http.StatusOK, map[string]any{"access_token": tok, "expires_in": int64(f.TokenTTL / time.Second), "token_type": "Bearer"})
}

func (f *HMS) answer(w http.ResponseWriter, r HMSResponse) {
	if r.RetryAfter != "" {
		w.Header().Set("Retry-After", r.RetryAfter)
	}
	status := r.Status
	if status == 0 {
		status = http.StatusOK
	}
	writeJSON(w, status, map[string]string{"code": r.Code, "msg": r.Msg, "requestId": "1700000000000000000" + strconv.FormatInt(f.Count(), 10)})
}

func (f *HMS) serveSend(w http.ResponseWriter, r *http.Request) {
	if !requireHTTP2(&f.recorder, w, r) {
		return
	}
	okPath := r.URL.Path == "/v1/"+f.ClientID+"/messages:send" ||
		(f.ProjectID != "" && r.URL.Path == "/v2/"+f.ProjectID+"/messages:send")
	if r.Method != http.MethodPost || !okPath {
		f.reject("%s %s", r.Method, r.URL.Path)
		f.answer(w, HMSResponse{Status: http.StatusNotFound, Code: "80100001", Msg: "not found"})
		return
	}
	if !f.valid(bearer(r), f.Now()) {
		f.answer(w, HMSResponse{Status: http.StatusUnauthorized, Code: "80200003", Msg: "Oauth token expired"})
		return
	}
	if !strings.HasPrefix(r.Header.Get("Content-Type"), "application/json") {
		f.reject("content type %q", r.Header.Get("Content-Type"))
		f.answer(w, HMSResponse{Status: http.StatusBadRequest, Code: "80100001", Msg: "bad content type"})
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, 64<<10))
	if err != nil {
		return
	}
	var m HMSMessage
	err = strictDecode(body, &m)
	switch {
	case err == nil && len(m.Message.Token) != 1:
		f.reject("%d tokens", len(m.Message.Token))
		f.answer(w, HMSResponse{Status: http.StatusBadRequest, Code: "80100002", Msg: "one token"})
		return
	case err == nil && m.Message.Data != "" && !json.Valid([]byte(m.Message.Data)):
		err = errFake("data is not a JSON string")
	case err == nil && m.Message.Android != nil && m.Message.Android.Notification != nil && m.Message.Android.Notification.ClickAction == nil:
		err = errFake("notification without click_action")
	case err == nil && m.Message.Android != nil && m.Message.Android.CollapseKey != nil && (*m.Message.Android.CollapseKey < -1 || *m.Message.Android.CollapseKey > 100):
		err = errFake("collapse_key out of range")
	}
	if err != nil {
		f.reject("body: %v", err)
		f.answer(w, HMSResponse{Status: http.StatusBadRequest, Code: "80100003", Msg: "Illegal payload"})
		return
	}
	token := m.Message.Token[0]
	resp, scripted := f.next(token)
	f.add(Received{Path: r.URL.Path, Token: token, Header: r.Header.Clone(), Body: body})
	if scripted && resp.Code != "" && resp.Code != "80000000" {
		f.answer(w, resp)
		return
	}
	f.answer(w, HMSResponse{Code: "80000000", Msg: "Success"})
}

type errFake string

func (e errFake) Error() string { return string(e) }
