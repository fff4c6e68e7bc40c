package cloud

import (
	"context"
	"encoding/base64"
	"strings"
	"testing"
	"time"

	"github.com/mauth/mauth/internal/domain"
	"github.com/mauth/mauth/internal/secretbox"
	"github.com/mauth/mauth/internal/store"
	"github.com/mauth/mauth/internal/testutil/testclock"
	"github.com/mauth/mauth/internal/testutil/teststore"
)

// TestLimiter: per-user and per-IP windows, the user's failures forgotten
// after a right password, the IP's kept, both ending with the window.
func TestLimiter(t *testing.T) {
	now := time.Unix(1_700_000_000, 0)
	l := newLimiter(2, 3, time.Minute)
	for i := range 2 {
		if _, limited := l.limited("u", "ip1", now); limited {
			t.Fatalf("limited after %d failures", i)
		}
		l.fail("u", "ip1", now)
	}
	if d, limited := l.limited("u", "ip2", now.Add(10*time.Second)); !limited || d != 50*time.Second {
		t.Fatalf("user not limited from another IP: %v %v", d, limited)
	}
	if _, limited := l.limited("v", "ip1", now); limited {
		t.Fatal("another user limited before the IP's limit")
	}
	l.fail("v", "ip1", now)
	if _, limited := l.limited("w", "ip1", now); !limited {
		t.Fatal("IP not limited after 3 failures")
	}
	if _, limited := l.limited("w", "ip3", now); limited {
		t.Fatal("another IP limited")
	}
	later := now.Add(time.Minute)
	if _, limited := l.limited("u", "ip1", later); limited {
		t.Fatal("still limited after the window")
	}
	l.fail("x", "ip9", later)
	l.succeed("x")
	l.fail("x", "ip9", later)
	if _, limited := l.limited("x", "", later); limited {
		t.Fatal("a right password did not reset the user's count")
	}
}

// TestPasswordHash: Argon2id PHC strings verify their password only; a
// malformed or costly hash matches nothing.
func TestPasswordHash(t *testing.T) {
	s := &Service{opts: Options{PasswordHashMemoryKiB: 64}}
	h, err := s.hashPassword("correct horse")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(h, "$argon2id$v=19$m=64,t=2,p=1$") {
		t.Fatalf("hash %q", h)
	}
	h2, _ := s.hashPassword("correct horse")
	if h == h2 {
		t.Fatal("same salt twice")
	}
	for _, c := range []struct {
		hash, password string
		want           bool
	}{
		{h, "correct horse", true},
		{h, "correct horse ", false},
		{h, "", false},
		{strings.Replace(h, "argon2id", "argon2i", 1), "correct horse", false},
		{strings.Replace(h, "m=64", "m=99999999", 1), "correct horse", false},
		{"", "", false},
		{"$argon2id$v=19$m=64,t=2,p=1$$", "", false},
	} {
		if got := checkPassword(c.hash, c.password); got != c.want {
			t.Errorf("checkPassword(%q, %q) = %v", c.hash, c.password, got)
		}
	}
}

// TestFill: placeholders take the parameters; unknown ones stay.
func TestFill(t *testing.T) {
	for _, c := range []struct{ text, want string }{
		{"Pay ${amount} ${currency}", "Pay 10 EUR"},
		{"${missing} and ${amount}", "${missing} and 10"},
		{"no placeholders", "no placeholders"},
		{"$amount {amount} ${ amount}", "$amount {amount} ${ amount}"},
	} {
		if got := fill(c.text, map[string]string{"amount": "10", "currency": "EUR"}); got != c.want {
			t.Errorf("fill(%q) = %q, want %q", c.text, got, c.want)
		}
	}
}

// nopCore is a Core the token tests never call.
type nopCore struct{ Core }

// TestTokens: issued tokens verify on both backends; expiry, another
// audience, another issuer, tampering and a disabled user are refused.
func TestTokens(t *testing.T) {
	teststore.Each(t, func(t *testing.T, st store.Store) {
		ctx := context.Background()
		box, err := secretbox.New(secretbox.GenerateKey())
		if err != nil {
			t.Fatal(err)
		}
		clock := &testclock.Clock{}
		s, err := New(st, box, nopCore{}, Options{Now: clock.Now, PasswordHashMemoryKiB: 64})
		if err != nil {
			t.Fatal(err)
		}
		u, err := s.CreateUser(ctx, "svc", domain.CloudRoleUser)
		if err != nil {
			t.Fatal(err)
		}
		tok, err := s.IssueToken(ctx, "svc", u.Password, "10.0.0.1")
		if err != nil {
			t.Fatal(err)
		}
		if p, err := s.AuthenticateBearer(ctx, tok.AccessToken); err != nil || p.Username != "svc" {
			t.Fatalf("fresh token: %v %v", p, err)
		}
		// A second service on the same database reads the same key.
		s2, _ := New(st, box, nopCore{}, Options{Now: clock.Now})
		if _, err := s2.AuthenticateBearer(ctx, tok.AccessToken); err != nil {
			t.Fatalf("another node: %v", err)
		}
		for _, o := range []Options{{TokenAudience: "other"}, {TokenIssuer: "other"}} {
			o.Now = clock.Now
			other, _ := New(st, box, nopCore{}, o)
			if _, err := other.AuthenticateBearer(ctx, tok.AccessToken); err == nil {
				t.Fatalf("accepted by %+v", o)
			}
		}
		// A key sealed under another server key cannot be opened.
		otherBox, _ := secretbox.New(secretbox.GenerateKey())
		s3, _ := New(st, otherBox, nopCore{}, Options{Now: clock.Now})
		if _, err := s3.AuthenticateBearer(ctx, tok.AccessToken); err == nil {
			t.Fatal("accepted with another server key")
		}
		parts := strings.Split(tok.AccessToken, ".")
		sig, _ := base64.RawURLEncoding.DecodeString(parts[2])
		sig[5] ^= 1
		if _, err := s.AuthenticateBearer(ctx, parts[0]+"."+parts[1]+"."+base64.RawURLEncoding.EncodeToString(sig)); err == nil {
			t.Fatal("accepted a changed signature")
		}
		if _, err := s.IssueToken(ctx, "svc", "wrong", "10.0.0.1"); err == nil {
			t.Fatal("issued for a wrong password")
		}
		clock.Advance(DefaultTokenLifetime)
		if _, err := s.AuthenticateBearer(ctx, tok.AccessToken); err == nil {
			t.Fatal("accepted an expired token")
		}
		tok2, err := s.IssueToken(ctx, "svc", u.Password, "10.0.0.1")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.SetUserEnabled(ctx, "svc", false); err != nil {
			t.Fatal(err)
		}
		if _, err := s.AuthenticateBearer(ctx, tok2.AccessToken); err == nil {
			t.Fatal("accepted a disabled user's token")
		}
	})
}

// FuzzParseToken: the parser of untrusted bearer tokens never panics and
// accepts only three Base64url parts with a JSON header and claims.
func FuzzParseToken(f *testing.F) {
	f.Add("eyJhbGciOiJFUzI1NiIsInR5cCI6IkpXVCIsImtpZCI6ImFiIn0.eyJpc3MiOiJtYXV0aCIsInN1YiI6InUiLCJhdWQiOiJwb3dlcmF1dGgtY2xvdWQiLCJpYXQiOjEsImV4cCI6MiwianRpIjoiaiJ9.AAAA")
	f.Add("a.b.c")
	f.Add("..")
	f.Add("eyJhbGciOiJub25lIn0..")
	f.Fuzz(func(t *testing.T, token string) {
		h, c, input, sig, err := parseToken(token)
		if err != nil {
			return
		}
		if strings.Count(token, ".") != 2 || !strings.HasPrefix(token, input+".") || len(token) > maxTokenLength {
			t.Fatalf("accepted %q", token)
		}
		_, _, _ = h, c, sig
	})
}

// TestAuthCache: a remembered password serves only the same password
// against the same stored hash of an enabled user, until it expires.
func TestAuthCache(t *testing.T) {
	now := time.Unix(1_700_000_000, 0)
	c := newAuthCache(time.Minute)
	c.remember("u", "pw", "hash1", now)
	for _, tc := range []struct {
		user, pw, hash string
		at             time.Time
		want           bool
	}{
		{"u", "pw", "hash1", now.Add(59 * time.Second), true},
		{"u", "pw ", "hash1", now, false},
		{"u", "pw", "hash2", now, false},
		{"v", "pw", "hash1", now, false},
		{"u", "pw", "hash1", now.Add(time.Minute), false},
	} {
		if got := c.hit(tc.user, tc.pw, tc.hash, tc.at); got != tc.want {
			t.Errorf("hit(%q, %q, %q, +%v) = %v", tc.user, tc.pw, tc.hash, tc.at.Sub(now), got)
		}
	}

	teststore.Each(t, func(t *testing.T, st store.Store) {
		ctx := context.Background()
		box, _ := secretbox.New(secretbox.GenerateKey())
		s, err := New(st, box, nopCore{}, Options{PasswordHashMemoryKiB: 64})
		if err != nil {
			t.Fatal(err)
		}
		u, err := s.CreateUser(ctx, "cached", domain.CloudRoleUser)
		if err != nil {
			t.Fatal(err)
		}
		for range 2 {
			if _, err := s.AuthenticatePassword(ctx, "cached", u.Password, "ip"); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := s.AuthenticatePassword(ctx, "cached", u.Password+"x", "ip"); err == nil {
			t.Fatal("a wrong password passed after a cached login")
		}
		if _, err := s.SetUserEnabled(ctx, "cached", false); err != nil {
			t.Fatal(err)
		}
		if _, err := s.AuthenticatePassword(ctx, "cached", u.Password, "ip"); err == nil {
			t.Fatal("a disabled user passed on a cached login")
		}
		if err := s.DeleteUser(ctx, "cached"); err != nil {
			t.Fatal(err)
		}
		u2, err := s.CreateUser(ctx, "cached", domain.CloudRoleUser)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.AuthenticatePassword(ctx, "cached", u.Password, "ip"); err == nil {
			t.Fatal("the old password of a recreated user passed")
		}
		if _, err := s.AuthenticatePassword(ctx, "cached", u2.Password, "ip"); err != nil {
			t.Fatal(err)
		}
	})
}
