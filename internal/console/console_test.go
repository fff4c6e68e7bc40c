package console_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/mauth/mauth/internal/console"
	"github.com/mauth/mauth/internal/domain"
	"github.com/mauth/mauth/internal/store"
	"github.com/mauth/mauth/internal/testutil/testclock"
	"github.com/mauth/mauth/internal/testutil/teststore"
)

const password = "correct horse battery"

// backends runs a test on both databases.
func backends(t *testing.T, fn func(t *testing.T, st store.Store)) {
	t.Run("sqlite", func(t *testing.T) { fn(t, teststore.SQLite(t)) })
	t.Run("postgres", func(t *testing.T) { fn(t, teststore.Postgres(t)) })
}

func newService(t *testing.T, st store.Store, clock *testclock.Clock) *console.Service {
	t.Helper()
	s, err := console.New(console.Options{Store: st, Now: clock.Now, PasswordMemoryKiB: 1024,
		IdleTimeout: 10 * time.Minute, AbsoluteTimeout: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestPasswordHash(t *testing.T) {
	h, err := console.HashPassword(password, 1024)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(h, "$argon2id$v=19$m=1024,t=3,p=2$") {
		t.Fatalf("hash %q", h)
	}
	tests := []struct {
		name, hash, password string
		want                 bool
	}{
		{"right", h, password, true},
		{"wrong", h, password + "!", false},
		{"argon2i is not accepted", strings.Replace(h, "argon2id", "argon2i", 1), password, false},
		{"huge memory", strings.Replace(h, "m=1024", "m=99999999", 1), password, false},
		{"garbage", "$argon2id$nonsense", password, false},
		{"empty", "", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := console.VerifyPassword(tt.hash, tt.password); got != tt.want {
				t.Fatalf("VerifyPassword = %v, want %v", got, tt.want)
			}
		})
	}
}

// TestLockOut locks a user after five wrong passwords, refuses even the
// right one while locked, doubles the lock-out on the next failure and
// opens again when it has passed.
func TestLockOut(t *testing.T) {
	backends(t, func(t *testing.T, st store.Store) {
		ctx := context.Background()
		clock := &testclock.Clock{}
		clock.Stop()
		s := newService(t, st, clock)
		if _, err := s.CreateUser(ctx, "test", "ann", password, domain.ConsoleRoleOperator); err != nil {
			t.Fatal(err)
		}
		for i := range console.DefaultMaxFailures {
			if _, _, err := s.SignIn(ctx, "ann", "wrong password "+string(rune('a'+i))); !errors.Is(err, console.ErrSignIn) {
				t.Fatalf("wrong password %d: %v", i, err)
			}
		}
		if _, _, err := s.SignIn(ctx, "ann", password); !errors.Is(err, console.ErrLocked) {
			t.Fatalf("right password while locked: %v, want ErrLocked", err)
		}
		clock.Advance(console.DefaultLockout)
		if _, _, err := s.SignIn(ctx, "ann", "still wrong!!"); !errors.Is(err, console.ErrSignIn) {
			t.Fatalf("wrong password after the lock-out: %v", err)
		}
		clock.Advance(console.DefaultLockout) // the lock-out doubled: still locked
		if _, _, err := s.SignIn(ctx, "ann", password); !errors.Is(err, console.ErrLocked) {
			t.Fatalf("right password during the doubled lock-out: %v", err)
		}
		clock.Advance(console.DefaultLockout)
		if _, _, err := s.SignIn(ctx, "ann", password); err != nil {
			t.Fatalf("sign in after the lock-out: %v", err)
		}
		u, err := st.GetConsoleUserByName(ctx, "ann")
		if err != nil {
			t.Fatal(err)
		}
		if u.FailedAttempts != 0 || !u.LockedUntil.IsZero() {
			t.Fatalf("a good sign-in left failed=%d locked=%v", u.FailedAttempts, u.LockedUntil)
		}
		if _, _, err := s.SignIn(ctx, "nobody", password); !errors.Is(err, console.ErrSignIn) {
			t.Fatalf("unknown user: %v", err)
		}
		entries, err := st.PageAuditEntries(ctx, store.AuditPage{Actor: "console:ann"})
		if err != nil {
			t.Fatal(err)
		}
		var failed int
		for _, e := range entries {
			if e.Details["action"] == "CONSOLE_SIGN_IN_FAILED" {
				failed++
			}
		}
		if failed != console.DefaultMaxFailures+1 {
			t.Fatalf("%d failed sign-ins audited, want %d", failed, console.DefaultMaxFailures+1)
		}
	})
}

// TestSessionTimeouts ends sessions after the idle and the absolute
// timeout, and at sign-out.
func TestSessionTimeouts(t *testing.T) {
	backends(t, func(t *testing.T, st store.Store) {
		ctx := context.Background()
		clock := &testclock.Clock{}
		clock.Stop()
		s := newService(t, st, clock)
		if _, err := s.CreateUser(ctx, "test", "bo", password, domain.ConsoleRoleReadOnly); err != nil {
			t.Fatal(err)
		}
		signIn := func() string {
			id, p, err := s.SignIn(ctx, "bo", password)
			if err != nil {
				t.Fatal(err)
			}
			if p.CSRFToken() == "" || p.CheckCSRF(p.CSRFToken()) != nil || p.CheckCSRF("x") == nil {
				t.Fatal("CSRF token of a new session")
			}
			return id
		}

		// Idle: requests keep it alive; a pause longer than the idle timeout ends it.
		id := signIn()
		for range 3 {
			clock.Advance(9 * time.Minute)
			if _, err := s.Authenticate(ctx, id); err != nil {
				t.Fatalf("active session: %v", err)
			}
		}
		clock.Advance(10 * time.Minute)
		if _, err := s.Authenticate(ctx, id); !errors.Is(err, console.ErrNoSession) {
			t.Fatalf("idle session: %v", err)
		}

		// Absolute: even an active session ends after it.
		id = signIn()
		for range 6 {
			clock.Advance(9 * time.Minute)
			if _, err := s.Authenticate(ctx, id); err != nil {
				t.Fatalf("active session: %v", err)
			}
		}
		clock.Advance(9 * time.Minute)
		if _, err := s.Authenticate(ctx, id); !errors.Is(err, console.ErrNoSession) {
			t.Fatalf("session past the absolute timeout: %v", err)
		}

		// Sign-out revokes server-side; the ids are stored only hashed.
		id = signIn()
		p, err := s.Authenticate(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := st.GetConsoleSession(ctx, id); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("the session id itself is a key in the store: %v", err)
		}
		if err := s.SignOut(ctx, p); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Authenticate(ctx, id); !errors.Is(err, console.ErrNoSession) {
			t.Fatalf("session after sign-out: %v", err)
		}
		// Expired sessions nobody presents again are purged.
		signIn()
		clock.Advance(11 * time.Minute)
		if n, err := s.PurgeSessions(ctx); err != nil || n != 1 {
			t.Fatalf("PurgeSessions = %d, %v; want 1", n, err)
		}
		if p.Can(console.Change) || !p.Can(console.Read) {
			t.Fatal("read-only role")
		}
	})
}

func TestRoles(t *testing.T) {
	tests := []struct {
		role                 domain.ConsoleRole
		read, change, manage bool
	}{
		{domain.ConsoleRoleAdmin, true, true, true},
		{domain.ConsoleRoleOperator, true, true, false},
		{domain.ConsoleRoleReadOnly, true, false, false},
		{"root", false, false, false},
	}
	for _, tt := range tests {
		p := console.Principal{User: domain.ConsoleUser{Role: tt.role}}
		if p.Can(console.Read) != tt.read || p.Can(console.Change) != tt.change || p.Can(console.ManageUsers) != tt.manage {
			t.Errorf("role %q: read %v change %v manage %v", tt.role, p.Can(console.Read), p.Can(console.Change), p.Can(console.ManageUsers))
		}
	}
}

func TestCreateUserValidates(t *testing.T) {
	st := teststore.SQLite(t)
	s := newService(t, st, &testclock.Clock{})
	ctx := context.Background()
	tests := []struct {
		name, user, password string
		role                 domain.ConsoleRole
	}{
		{"short password", "a", "short", domain.ConsoleRoleAdmin},
		{"blank username", " ", password, domain.ConsoleRoleAdmin},
		{"space in username", "a b", password, domain.ConsoleRoleAdmin},
		{"unknown role", "a", password, "root"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := s.CreateUser(ctx, "test", tt.user, tt.password, tt.role)
			var ce *console.Error
			if !errors.As(err, &ce) || ce.Status != 400 {
				t.Fatalf("CreateUser: %v, want a 400 refusal", err)
			}
		})
	}
}

// TestDashboardCounts: the counts are reused for a few seconds, recounted
// after that or after a change made in the console.
func TestDashboardCounts(t *testing.T) {
	ctx := context.Background()
	st := teststore.SQLite(t)
	clock := &testclock.Clock{}
	clock.Stop()
	s := newService(t, st, clock)
	active := func() int64 {
		t.Helper()
		d, err := s.Dashboard(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range d.Activations {
			if c.Label == "ACTIVE" {
				return c.N
			}
		}
		t.Fatal("no ACTIVE count")
		return 0
	}
	if n := active(); n != 0 {
		t.Fatalf("ACTIVE = %d on an empty database", n)
	}
	app := domain.Application{Name: "app"}
	a := domain.Activation{ActivationID: "a1", UserID: "u", Status: domain.ActivationActive, OtpValidation: domain.OtpValidationNone,
		CommitPhase: domain.CommitPhaseOnCommit, CtrData: make([]byte, 16), Protocol: domain.ProtocolPowerAuth, MaxFailedAttempts: 5,
		ServerPrivateKeyEncrypted: []byte("x"), ServerPublicKey: []byte{4}, Created: clock.Now(), ActivationExpire: clock.Now().Add(time.Hour), Version: 3}
	err := st.InTx(ctx, func(tx store.Tx) error {
		if err := tx.CreateApplication(ctx, &app); err != nil {
			return err
		}
		a.ApplicationID = app.ID
		return tx.CreateActivation(ctx, &a)
	})
	if err != nil {
		t.Fatal(err)
	}
	if n := active(); n != 0 {
		t.Fatalf("ACTIVE = %d within the reuse period, want the reused 0", n)
	}
	clock.Advance(5 * time.Second)
	if n := active(); n != 1 {
		t.Fatalf("ACTIVE = %d after the reuse period, want 1", n)
	}
	// A change in the console shows at once.
	err = st.InTx(ctx, func(tx store.Tx) error {
		b := a
		b.ActivationID = "a2"
		return tx.CreateActivation(ctx, &b)
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Record(ctx, console.Principal{User: domain.ConsoleUser{Username: "x"}}, "TEST", nil); err != nil {
		t.Fatal(err)
	}
	if n := active(); n != 2 {
		t.Fatalf("ACTIVE = %d after a console change, want 2", n)
	}
}
