package cloud

import (
	"context"
	"testing"

	"github.com/mauth/mauth/internal/domain"
	"github.com/mauth/mauth/internal/secretbox"
	"github.com/mauth/mauth/internal/testutil/teststore"
)

// benchService is a Cloud service on SQLite with one user at the
// default password hash cost.
func benchService(b *testing.B) (*Service, string) {
	b.Helper()
	box, err := secretbox.New(secretbox.GenerateKey())
	if err != nil {
		b.Fatal(err)
	}
	s, err := New(teststore.SQLite(b), box, nopCore{}, Options{})
	if err != nil {
		b.Fatal(err)
	}
	u, err := s.CreateUser(context.Background(), "bench", domain.CloudRoleUser)
	if err != nil {
		b.Fatal(err)
	}
	return s, u.Password
}

// BenchmarkAuthenticatePassword is one HTTP Basic login (repeated
// credentials, as a backend sends them on every call).
func BenchmarkAuthenticatePassword(b *testing.B) {
	s, pass := benchService(b)
	ctx := context.Background()
	for b.Loop() {
		if _, err := s.AuthenticatePassword(ctx, "bench", pass, "10.0.0.1"); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkAuthenticateBearer is one bearer token check.
func BenchmarkAuthenticateBearer(b *testing.B) {
	s, pass := benchService(b)
	ctx := context.Background()
	tok, err := s.IssueToken(ctx, "bench", pass, "10.0.0.1")
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if _, err := s.AuthenticateBearer(ctx, tok.AccessToken); err != nil {
			b.Fatal(err)
		}
	}
}
