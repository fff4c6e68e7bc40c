package mobileutil

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"

	"github.com/mauth/mauth/internal/api/render"
	"github.com/mauth/mauth/internal/domain"
	mu "github.com/mauth/mauth/internal/mobileutil"
)

// maxAdminBody bounds admin request bodies.
const maxAdminBody = 256 << 10

// RegisterAdmin mounts the administration under /admin/ on mux. The caller
// authenticates and authorises every request before it reaches mux.
func (s *Server) RegisterAdmin(mux *http.ServeMux) {
	h := func(pattern string, fn render.Endpoint) {
		mux.Handle(pattern, render.Serve(s.log, failInternal, render.Bare, fn))
	}
	h("POST /admin/apps", s.createApp)
	h("GET /admin/apps", s.listApps)
	h("GET /admin/apps/{name}", s.getApp)
	h("POST /admin/apps/{name}/certificates/pem", s.addPEM)
	h("POST /admin/apps/{name}/certificates/auto", s.addAuto)
	h("DELETE /admin/apps/{name}/certificates", s.removeCertificate)
	h("DELETE /admin/apps/{name}/domains", s.removeDomain)
	h("DELETE /admin/certificates/expired", s.purgeExpired)
	h("GET /admin/apps/{name}/versions", s.listVersions)
	h("POST /admin/apps/{name}/versions", s.createVersion)
	h("GET /admin/apps/{name}/versions/{id}", s.getVersion)
	h("DELETE /admin/apps/{name}/versions/{id}", s.deleteVersion)
	h("GET /admin/texts", s.listTexts)
	h("POST /admin/texts", s.createText)
	h("GET /admin/texts/{key}/{language}", s.getText)
	h("DELETE /admin/texts/{key}/{language}", s.deleteText)
	for _, p := range adminRoots {
		mux.HandleFunc(p+"/", render.NotFound)
	}
}

// adminRoots are the path roots of the administration below AdminPrefix.
// The private listener also serves other /admin/… surfaces (the push
// server's /admin/app/…, the console), so the administration claims only
// these.
var adminRoots = []string{"/admin/apps", "/admin/certificates", "/admin/texts"}

// OwnsAdmin reports whether path belongs to the administration.
func OwnsAdmin(path string) bool {
	for _, p := range adminRoots {
		if path == p || strings.HasPrefix(path, p+"/") {
			return true
		}
	}
	return false
}

// DecodeAdminBody reads a plain JSON request body into dst (fuzzed).
func DecodeAdminBody(r io.Reader, dst any) error {
	body, err := io.ReadAll(io.LimitReader(r, maxAdminBody+1))
	if err != nil {
		return failRequest.Withf("read body: %w", err)
	}
	if len(body) > maxAdminBody {
		return invalidRequest(fmt.Errorf("the body exceeds %d bytes", maxAdminBody))
	}
	if err := json.Unmarshal(body, dst); err != nil {
		return invalidRequest(fmt.Errorf("the body is not the expected JSON: %w", err))
	}
	return nil
}

// statusOK is the answer of a DELETE.
var statusOK = map[string]string{"status": "OK"}

type certificateJSON struct {
	PEM         string `json:"pem"`
	Fingerprint string `json:"fingerprint"`
	Expires     int64  `json:"expires"`
}

type domainJSON struct {
	Name         string            `json:"name"`
	Certificates []certificateJSON `json:"certificates"`
}

type appJSON struct {
	Name        string       `json:"name"`
	DisplayName string       `json:"displayName"`
	PublicKey   string       `json:"publicKey"`
	Domains     []domainJSON `json:"domains"`
}

func certOf(c mu.Certificate) certificateJSON {
	return certificateJSON{PEM: c.PEM, Fingerprint: c.Fingerprint, Expires: c.Expires.Unix()}
}

func appOf(a mu.App) appJSON {
	out := appJSON{Name: a.Name, DisplayName: a.DisplayName, PublicKey: base64.StdEncoding.EncodeToString(a.PublicKey), Domains: []domainJSON{}}
	for _, d := range a.Domains {
		dj := domainJSON{Name: d.Name, Certificates: []certificateJSON{}}
		for _, c := range d.Certificates {
			dj.Certificates = append(dj.Certificates, certOf(c))
		}
		out.Domains = append(out.Domains, dj)
	}
	return out
}

func (s *Server) createApp(r *http.Request) (any, error) {
	var req struct {
		Name        string `json:"name"`
		DisplayName string `json:"displayName"`
	}
	if err := DecodeAdminBody(r.Body, &req); err != nil {
		return nil, err
	}
	a, err := s.u.CreateApp(r.Context(), req.Name, req.DisplayName)
	if err != nil {
		return nil, mapError(err, failAppNotFound)
	}
	return appOf(a), nil
}

func (s *Server) listApps(r *http.Request) (any, error) {
	apps, err := s.u.ListApps(r.Context())
	if err != nil {
		return nil, err
	}
	out := struct {
		Applications []appJSON `json:"applications"`
	}{Applications: []appJSON{}}
	for _, a := range apps {
		out.Applications = append(out.Applications, appOf(a))
	}
	return out, nil
}

func (s *Server) getApp(r *http.Request) (any, error) {
	a, err := s.u.App(r.Context(), r.PathValue("name"))
	if err != nil {
		return nil, mapError(err, failAppNotFound)
	}
	return appOf(a), nil
}

func (s *Server) addPEM(r *http.Request) (any, error) {
	var req struct {
		Domain string `json:"domain"`
		PEM    string `json:"pem"`
	}
	if err := DecodeAdminBody(r.Body, &req); err != nil {
		return nil, err
	}
	c, err := s.u.AddCertificatePEM(r.Context(), r.PathValue("name"), req.Domain, req.PEM)
	if err != nil {
		return nil, mapError(err, failAppNotFound)
	}
	return certOf(c), nil
}

func (s *Server) addAuto(r *http.Request) (any, error) {
	var req struct {
		Domain string `json:"domain"`
	}
	if err := DecodeAdminBody(r.Body, &req); err != nil {
		return nil, err
	}
	c, err := s.u.FetchCertificate(r.Context(), r.PathValue("name"), req.Domain)
	if err != nil {
		return nil, mapError(err, failAppNotFound)
	}
	return certOf(c), nil
}

func (s *Server) removeCertificate(r *http.Request) (any, error) {
	q := r.URL.Query()
	if q.Get("domain") == "" || q.Get("fingerprint") == "" {
		return nil, invalidRequest(errors.New("domain and fingerprint are required"))
	}
	if err := s.u.RemoveCertificate(r.Context(), r.PathValue("name"), q.Get("domain"), q.Get("fingerprint")); err != nil {
		return nil, mapError(err, failAppNotFound)
	}
	return statusOK, nil
}

func (s *Server) removeDomain(r *http.Request) (any, error) {
	d := r.URL.Query().Get("domain")
	if d == "" {
		return nil, invalidRequest(errors.New("domain is required"))
	}
	if err := s.u.RemoveDomain(r.Context(), r.PathValue("name"), d); err != nil {
		return nil, mapError(err, failAppNotFound)
	}
	return statusOK, nil
}

func (s *Server) purgeExpired(r *http.Request) (any, error) {
	n, err := s.u.PurgeExpired(r.Context())
	if err != nil {
		return nil, err
	}
	return map[string]any{"status": "OK", "removed": n}, nil
}

type versionJSON struct {
	ID               int64  `json:"id"`
	Platform         string `json:"platform"`
	MajorOSVersion   *int   `json:"majorOsVersion"`
	SuggestedVersion string `json:"suggestedVersion,omitempty"`
	RequiredVersion  string `json:"requiredVersion,omitempty"`
	MessageKey       string `json:"messageKey,omitempty"`
}

func versionOf(v mu.VersionRule) versionJSON {
	return versionJSON{ID: v.ID, Platform: v.Platform, MajorOSVersion: v.MajorOSVersion, SuggestedVersion: v.SuggestedVersion, RequiredVersion: v.RequiredVersion, MessageKey: v.MessageKey}
}

func (s *Server) listVersions(r *http.Request) (any, error) {
	rules, err := s.u.VersionRules(r.Context(), r.PathValue("name"))
	if err != nil {
		return nil, mapError(err, failAppNotFound)
	}
	out := struct {
		ApplicationVersions []versionJSON `json:"applicationVersions"`
	}{ApplicationVersions: []versionJSON{}}
	for _, v := range rules {
		out.ApplicationVersions = append(out.ApplicationVersions, versionOf(v))
	}
	return out, nil
}

func (s *Server) createVersion(r *http.Request) (any, error) {
	var req versionJSON
	if err := DecodeAdminBody(r.Body, &req); err != nil {
		return nil, err
	}
	v, err := s.u.CreateVersionRule(r.Context(), r.PathValue("name"), mu.VersionRule{Platform: req.Platform, MajorOSVersion: req.MajorOSVersion,
		SuggestedVersion: req.SuggestedVersion, RequiredVersion: req.RequiredVersion, MessageKey: req.MessageKey})
	if err != nil {
		return nil, mapError(err, failAppNotFound)
	}
	return versionOf(v), nil
}

func versionID(r *http.Request) (int64, error) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		return 0, invalidRequest(errors.New("id must be a positive number"))
	}
	return id, nil
}

func (s *Server) getVersion(r *http.Request) (any, error) {
	id, err := versionID(r)
	if err != nil {
		return nil, err
	}
	v, err := s.u.VersionRule(r.Context(), r.PathValue("name"), id)
	if err != nil {
		return nil, mapError(err, failAppNotFound)
	}
	return versionOf(v), nil
}

func (s *Server) deleteVersion(r *http.Request) (any, error) {
	id, err := versionID(r)
	if err != nil {
		return nil, err
	}
	if err := s.u.DeleteVersionRule(r.Context(), r.PathValue("name"), id); err != nil {
		return nil, mapError(err, failAppNotFound)
	}
	return statusOK, nil
}

type textJSON struct {
	MessageKey string `json:"messageKey"`
	Language   string `json:"language"`
	Text       string `json:"text"`
}

func (s *Server) listTexts(r *http.Request) (any, error) {
	texts, err := s.u.Texts(r.Context())
	if err != nil {
		return nil, err
	}
	// The reference names this list applicationVersions too.
	out := struct {
		Texts []textJSON `json:"applicationVersions"`
	}{Texts: []textJSON{}}
	for _, t := range texts {
		out.Texts = append(out.Texts, textJSON{MessageKey: t.Key, Language: t.Language, Text: t.Text})
	}
	return out, nil
}

func (s *Server) createText(r *http.Request) (any, error) {
	var req textJSON
	if err := DecodeAdminBody(r.Body, &req); err != nil {
		return nil, err
	}
	req.Language = strings.ToLower(req.Language)
	t := domain.LocalizedText{Key: req.MessageKey, Language: req.Language, Text: req.Text}
	if err := s.u.PutText(r.Context(), t); err != nil {
		return nil, mapError(err, failNotFound)
	}
	return req, nil
}

func (s *Server) getText(r *http.Request) (any, error) {
	t, err := s.u.Text(r.Context(), r.PathValue("key"), r.PathValue("language"))
	if err != nil {
		return nil, mapError(err, failNotFound)
	}
	return textJSON{MessageKey: t.Key, Language: t.Language, Text: t.Text}, nil
}

func (s *Server) deleteText(r *http.Request) (any, error) {
	err := s.u.DeleteText(r.Context(), r.PathValue("key"), r.PathValue("language"))
	if err != nil {
		return nil, mapError(err, failNotFound)
	}
	return statusOK, nil
}
