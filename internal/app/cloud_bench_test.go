package app

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/mauth/mauth/internal/domain"
)

// BenchmarkCloudVersusRESTOperationCreate creates operations on SQLite
// through the Cloud API (HTTP Basic with a remembered password, and a
// bearer token) and through /rest/v3 operation/create (integration Basic
// credentials), one request at a time: the cost of the Cloud layer.
func BenchmarkCloudVersusRESTOperationCreate(b *testing.B) {
	c := DefaultConfig()
	c.DataDir = b.TempDir()
	c.PublicAddr, c.PrivateAddr = "127.0.0.1:0", "127.0.0.1:0"
	out := &syncBuffer{}
	c.Out = out
	ctx := context.Background()
	a, err := New(ctx, c)
	if err != nil {
		b.Fatal(err)
	}
	if err := a.Listen(ctx); err != nil {
		b.Fatal(err)
	}
	sctx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- a.Serve(sctx) }()
	b.Cleanup(func() { cancel(); <-done; a.Close() })
	var token, secret string
	for _, line := range strings.Split(out.String(), "\n") {
		if v, ok := strings.CutPrefix(strings.TrimSpace(line), "client token:"); ok {
			token = strings.TrimSpace(v)
		}
		if v, ok := strings.CutPrefix(strings.TrimSpace(line), "client secret:"); ok {
			secret = strings.TrimSpace(v)
		}
	}
	priv := "http://" + a.PrivateAddr().String()
	admin, err := a.Cloud.CreateUser(ctx, "bench-admin", domain.CloudRoleAdmin)
	if err != nil {
		b.Fatal(err)
	}
	hc := &http.Client{}
	post := func(b *testing.B, url string, auth func(*http.Request), body any) map[string]any {
		raw, _ := json.Marshal(body)
		req, _ := http.NewRequest("POST", url, bytes.NewReader(raw))
		req.Header.Set("Content-Type", "application/json")
		auth(req)
		resp, err := hc.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		defer resp.Body.Close()
		rb, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != 200 {
			b.Fatalf("%s: %d %s", url, resp.StatusCode, rb)
		}
		var m map[string]any
		_ = json.Unmarshal(rb, &m)
		return m
	}
	adminAuth := func(r *http.Request) { r.SetBasicAuth(admin.Username, admin.Password) }
	cloudURL := priv + "/powerauth-cloud"
	post(b, cloudURL+"/admin/applications", adminAuth, map[string]any{"id": "bench-app"})
	post(b, cloudURL+"/admin/users/bench-admin/applications/bench-app", adminAuth, nil)
	post(b, cloudURL+"/admin/templates", adminAuth, map[string]any{"name": "login", "operationType": "login",
		"dataTemplate": "A2", "signatureType": []string{"possession_knowledge"}, "maxFailureCount": 3, "expiration": 300})
	tok := func() string {
		req, _ := http.NewRequest("POST", cloudURL+"/oauth2/token", strings.NewReader("grant_type=client_credentials"))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		adminAuth(req)
		resp, err := hc.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		defer resp.Body.Close()
		var m map[string]any
		_ = json.NewDecoder(resp.Body).Decode(&m)
		return m["access_token"].(string)
	}()
	op := map[string]any{"userId": "alice", "template": "login", "language": "en"}
	b.Run("cloud-basic", func(b *testing.B) {
		for b.Loop() {
			post(b, cloudURL+"/v2/operations", adminAuth, op)
		}
	})
	b.Run("cloud-bearer", func(b *testing.B) {
		for b.Loop() {
			post(b, cloudURL+"/v2/operations", func(r *http.Request) { r.Header.Set("Authorization", "Bearer "+tok) }, op)
		}
	})
	b.Run("rest-v3", func(b *testing.B) {
		req := map[string]any{"requestObject": map[string]any{"userId": "alice", "templateName": "login", "applications": []string{"bench-app"}}}
		for b.Loop() {
			post(b, priv+"/rest/v3/operation/create", func(r *http.Request) { r.SetBasicAuth(token, secret) }, req)
		}
	})
}
