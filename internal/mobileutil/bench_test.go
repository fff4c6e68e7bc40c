package mobileutil

import (
	"context"
	"testing"
	"time"

	"github.com/mauth/mauth/internal/store/sqlite/sqlitetest"
)

// BenchmarkInitSigned is the work of one GET /app/init on SQLite: the
// answer (two pinned certificates, a version rule) and its signature.
func BenchmarkInitSigned(b *testing.B) {
	ctx := context.Background()
	st := sqlitetest.New(b)
	box, err := newBoxErr()
	if err != nil {
		b.Fatal(err)
	}
	s := New(st, box, Options{})
	if _, err := s.CreateApp(ctx, "bank-app", ""); err != nil {
		b.Fatal(err)
	}
	if _, err := s.CreateVersionRule(ctx, "bank-app", VersionRule{Platform: "IOS", SuggestedVersion: "2.0.0"}); err != nil {
		b.Fatal(err)
	}
	for _, h := range []string{"a.example.com", "b.example.com"} {
		if _, err := s.AddCertificatePEM(ctx, "bank-app", h, benchPEM(b, h)); err != nil {
			b.Fatal(err)
		}
	}
	body := make([]byte, 300)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := s.Init(ctx, InitRequest{AppName: "bank-app", AppVersion: "1.0.0", OSVersion: "17.0.0", Platform: "IOS"}); err != nil {
			b.Fatal(err)
		}
		if _, err := s.Sign(ctx, "bank-app", "AAAAAAAAAAAAAAAAAAAAAA==", body); err != nil {
			b.Fatal(err)
		}
	}
}

func benchPEM(b *testing.B, host string) string {
	b.Helper()
	return certPEM(b, time.Now().Add(24*time.Hour), host)
}
