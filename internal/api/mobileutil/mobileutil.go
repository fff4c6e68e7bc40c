// Package mobileutil is the HTTP surface of the mobile utility services:
// the public GET /app/init and GET /app/init/public-key a mobile app calls
// when it starts (answers signed with the application's key), and the
// administration under /admin/… that internal/app mounts on the private
// listener behind integration authentication. It is a thin translation
// layer over internal/mobileutil.
//
// Successful answers are plain JSON; errors are the PowerAuth envelope
// {"status":"ERROR","responseObject":{"code","message"}} with the codes of
// the reference server (INVALID_CHALLENGE, APP_NOT_FOUND,
// PUBLIC_KEY_NOT_FOUND, ERROR_REQUEST, ERROR_NOT_FOUND, …).
package mobileutil

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"log/slog"
	"net/http"
	"strconv"
	"strings"

	"github.com/mauth/mauth/internal/api/render"
	"github.com/mauth/mauth/internal/domain"
	mu "github.com/mauth/mauth/internal/mobileutil"
)

// Paths and headers of the public surface.
const (
	InitPath            = "/app/init"
	PublicKeyPath       = "/app/init/public-key"
	HeaderChallenge     = "X-Cert-Pinning-Challenge"
	HeaderSignature     = "X-Cert-Pinning-Signature"
	AdminPrefix         = "/admin/"
	MinChallengeBytes   = 16
	MaxChallengeBytes   = 32
	maxChallengeEncoded = 64
)

// Error codes (those of the reference server).
const (
	CodeInvalidChallenge  = "INVALID_CHALLENGE"
	CodeAppNotFound       = "APP_NOT_FOUND"
	CodePublicKeyNotFound = "PUBLIC_KEY_NOT_FOUND"
	CodeRequest           = "ERROR_REQUEST"
	CodeAppException      = "APP_EXCEPTION"
	CodeNotFound          = "ERROR_NOT_FOUND"
	CodeUnknown           = "UNKNOWN_ERROR"
)

// The error answers.
var (
	failChallenge   = render.APIError{Status: http.StatusForbidden, Code: CodeInvalidChallenge, Message: "Invalid challenge header."}
	failAppNotFound = render.APIError{Status: http.StatusNotFound, Code: CodeAppNotFound, Message: "Application not found."}
	failPublicKey   = render.APIError{Status: http.StatusNotFound, Code: CodePublicKeyNotFound, Message: "Public key not found."}
	failRequest     = render.APIError{Status: http.StatusBadRequest, Code: CodeRequest, Message: "Invalid request."}
	failNotFound    = render.APIError{Status: http.StatusNotFound, Code: CodeNotFound, Message: "Not found."}
	failExists      = render.APIError{Status: http.StatusBadRequest, Code: CodeAppException, Message: "The object exists already."}
	failFetch       = render.APIError{Status: http.StatusBadRequest, Code: CodeAppException, Message: "The certificate could not be fetched."}
	failInternal    = render.APIError{Status: http.StatusInternalServerError, Code: CodeUnknown, Message: "Unknown error occurred."}
)

// Utility is what the surface needs of the mobile utility services
// (*mobileutil.Service).
type Utility interface {
	Init(ctx context.Context, r mu.InitRequest) (mu.InitResponse, error)
	PublicKey(ctx context.Context, appName string) ([]byte, error)
	Sign(ctx context.Context, appName, challenge string, body []byte) ([]byte, error)

	CreateApp(ctx context.Context, name, displayName string) (mu.App, error)
	ListApps(ctx context.Context) ([]mu.App, error)
	App(ctx context.Context, name string) (mu.App, error)
	AddCertificatePEM(ctx context.Context, appName, domainName, pemText string) (mu.Certificate, error)
	FetchCertificate(ctx context.Context, appName, endpoint string) (mu.Certificate, error)
	RemoveCertificate(ctx context.Context, appName, domainName, fingerprint string) error
	RemoveDomain(ctx context.Context, appName, domainName string) error
	PurgeExpired(ctx context.Context) (int64, error)
	CreateVersionRule(ctx context.Context, appName string, in mu.VersionRule) (mu.VersionRule, error)
	VersionRules(ctx context.Context, appName string) ([]mu.VersionRule, error)
	VersionRule(ctx context.Context, appName string, id int64) (mu.VersionRule, error)
	DeleteVersionRule(ctx context.Context, appName string, id int64) error
	PutText(ctx context.Context, t domain.LocalizedText) error
	Texts(ctx context.Context) ([]domain.LocalizedText, error)
	Text(ctx context.Context, key, language string) (domain.LocalizedText, error)
	DeleteText(ctx context.Context, key, language string) error
}

// Server serves the surface.
type Server struct {
	u   Utility
	log *slog.Logger
}

// New builds the surface over u.
func New(u Utility, log *slog.Logger) *Server {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Server{u: u, log: log}
}

// RegisterPublic mounts GET /app/init and GET /app/init/public-key.
func (s *Server) RegisterPublic(mux *http.ServeMux) {
	mux.Handle(InitPath, render.AllowMethods(s.signed(s.init), http.MethodGet))
	mux.Handle(PublicKeyPath, render.AllowMethods(s.signed(s.publicKey), http.MethodGet))
}

// mapError translates the service's errors; what is left is internal.
func mapError(err error, notFound render.APIError) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, mu.ErrAppNotFound):
		return notFound.With(err)
	case errors.Is(err, mu.ErrInvalid):
		return invalidRequest(err)
	case errors.Is(err, mu.ErrNotFound):
		return failNotFound.With(err)
	case errors.Is(err, mu.ErrAlreadyExists):
		return failExists.With(err)
	case errors.Is(err, mu.ErrFetch):
		return failFetch.With(err)
	}
	return err
}

// invalidRequest is the ERROR_REQUEST answer naming what is wrong (the
// service's validation messages carry no secrets).
func invalidRequest(cause error) *render.APIError {
	e := failRequest
	e.Message = strings.TrimPrefix(cause.Error(), mu.ErrInvalid.Error()+": ")
	return e.With(cause)
}

// ValidChallenge reports whether a challenge header is the Base64 of 16
// to 32 bytes.
func ValidChallenge(h string) bool {
	if h == "" || len(h) > maxChallengeEncoded {
		return false
	}
	b, err := base64.StdEncoding.DecodeString(h)
	return err == nil && len(b) >= MinChallengeBytes && len(b) <= MaxChallengeBytes
}

// InitQuery reads the query of GET /app/init (no I/O; fuzzed).
func InitQuery(r *http.Request) (mu.InitRequest, error) {
	q := r.URL.Query()
	req := mu.InitRequest{AppName: q.Get("appName"), AppVersion: q.Get("appVersion"), OSVersion: q.Get("osVersion"), Platform: q.Get("platform")}
	if req.AppName == "" {
		return req, invalidRequest(errors.New("appName is missing"))
	}
	if err := mu.CheckInitRequest(req); err != nil {
		return req, invalidRequest(err)
	}
	req.Languages = mu.ParseAcceptLanguage(r.Header.Get("Accept-Language"))
	return req, nil
}

// initAnswer is the JSON of GET /app/init.
type initAnswer struct {
	Timestamp           int64           `json:"timestamp"`
	Fingerprints        []fingerprint   `json:"fingerprints"`
	VerifyVersionResult *versionOutcome `json:"verifyVersionResult,omitempty"`
}

type fingerprint struct {
	Name        string `json:"name"`
	Fingerprint string `json:"fingerprint"`
	Expires     int64  `json:"expires"`
}

type versionOutcome struct {
	Update  string `json:"update"`
	Message string `json:"message,omitempty"`
}

func (s *Server) init(r *http.Request) (any, error) {
	req, err := InitQuery(r)
	if err != nil {
		return nil, err
	}
	if !ValidChallenge(r.Header.Get(HeaderChallenge)) {
		return nil, failChallenge.Withf("challenge must be the Base64 of %d to %d bytes", MinChallengeBytes, MaxChallengeBytes)
	}
	res, err := s.u.Init(r.Context(), req)
	if err != nil {
		return nil, mapError(err, failAppNotFound)
	}
	out := initAnswer{Timestamp: res.Timestamp, Fingerprints: []fingerprint{}}
	for _, f := range res.Fingerprints {
		out.Fingerprints = append(out.Fingerprints, fingerprint(f))
	}
	if res.Version != nil {
		out.VerifyVersionResult = &versionOutcome{Update: res.Version.Update, Message: res.Version.Message}
	}
	return out, nil
}

func (s *Server) publicKey(r *http.Request) (any, error) {
	name := r.URL.Query().Get("appName")
	if name == "" {
		return nil, invalidRequest(errors.New("appName is missing"))
	}
	key, err := s.u.PublicKey(r.Context(), name)
	if err != nil {
		return nil, mapError(err, failPublicKey)
	}
	return map[string]string{"publicKey": base64.StdEncoding.EncodeToString(key)}, nil
}

// bufferedWriter holds an answer until it is signed.
type bufferedWriter struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func (b *bufferedWriter) Header() http.Header { return b.header }
func (b *bufferedWriter) WriteHeader(code int) {
	if b.status == 0 {
		b.status = code
	}
}

func (b *bufferedWriter) Write(p []byte) (int, error) {
	if b.status == 0 {
		b.status = http.StatusOK
	}
	return b.body.Write(p)
}

// signed serves fn and signs its answer, errors included, when the request
// has a valid challenge and its appName query names an application: the
// X-Cert-Pinning-Signature header is the Base64 DER ECDSA signature over
// the challenge, "&" and the exact body bytes.
func (s *Server) signed(fn render.Endpoint) http.Handler {
	inner := render.Serve(s.log, failInternal, render.Bare, fn)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		buf := &bufferedWriter{header: w.Header()}
		inner.ServeHTTP(buf, r)
		if buf.status == 0 {
			buf.status = http.StatusOK
		}
		challenge := r.Header.Get(HeaderChallenge)
		if app := r.URL.Query().Get("appName"); app != "" && ValidChallenge(challenge) {
			sig, err := s.u.Sign(r.Context(), app, challenge, buf.body.Bytes())
			switch {
			case err == nil:
				w.Header().Set(HeaderSignature, base64.StdEncoding.EncodeToString(sig))
			case !errors.Is(err, mu.ErrAppNotFound):
				s.log.ErrorContext(r.Context(), "sign mobile utility answer", "error", err)
			}
		}
		w.Header().Set("Content-Length", strconv.Itoa(buf.body.Len()))
		w.WriteHeader(buf.status)
		_, _ = w.Write(buf.body.Bytes())
	})
}
