package console

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/mauth/mauth/internal/audit"
	"github.com/mauth/mauth/internal/domain"
	"github.com/mauth/mauth/internal/store"
)

// Defaults of Options.
const (
	DefaultIdleTimeout     = 30 * time.Minute
	DefaultAbsoluteTimeout = 12 * time.Hour
	// DefaultMaxFailures is how many wrong passwords in a row lock a user.
	DefaultMaxFailures = 5
	// DefaultLockout is the first lock-out; each further wrong password
	// doubles it, up to MaxLockout.
	DefaultLockout = time.Minute
	// MaxLockout caps the lock-out.
	MaxLockout = time.Hour

	// touchEvery is how stale a session's last-seen time may get before a
	// request writes it again (saves a write per page view).
	touchEvery = 30 * time.Second
)

// Options configure a Service.
type Options struct {
	// Store is the database.
	Store store.Store
	// Core changes the core's data.
	Core Core
	// Now is the clock (default time.Now).
	Now func() time.Time
	// IdleTimeout ends a session without requests (default 30 min).
	IdleTimeout time.Duration
	// AbsoluteTimeout ends any session after sign-in (default 12 h).
	AbsoluteTimeout time.Duration
	// MaxFailures wrong passwords in a row lock the user (default 5).
	MaxFailures int64
	// Lockout is the first lock-out (default 1 min), doubled per further
	// wrong password up to MaxLockout.
	Lockout time.Duration
	// PasswordMemoryKiB is the Argon2id memory cost of new hashes
	// (default DefaultPasswordMemoryKiB; tests lower it).
	PasswordMemoryKiB uint32
}

// Service is the admin console's logic.
type Service struct {
	st        store.Store
	core      Core
	now       func() time.Time
	idle, abs time.Duration
	maxFail   int64
	lockout   time.Duration
	memKiB    uint32
	dummyHash string

	countsMu sync.Mutex
	counts   counts
}

// New returns a console service.
func New(o Options) (*Service, error) {
	s := &Service{st: o.Store, core: o.Core, now: o.Now, idle: o.IdleTimeout, abs: o.AbsoluteTimeout,
		maxFail: o.MaxFailures, lockout: o.Lockout, memKiB: o.PasswordMemoryKiB}
	if s.now == nil {
		s.now = time.Now
	}
	if s.idle <= 0 {
		s.idle = DefaultIdleTimeout
	}
	if s.abs <= 0 {
		s.abs = DefaultAbsoluteTimeout
	}
	if s.maxFail <= 0 {
		s.maxFail = DefaultMaxFailures
	}
	if s.lockout <= 0 {
		s.lockout = DefaultLockout
	}
	if s.memKiB == 0 {
		s.memKiB = DefaultPasswordMemoryKiB
	}
	// Unknown usernames are checked against a hash too, so a wrong
	// username costs the same time as a wrong password.
	h, err := HashPassword("no user has this password", s.memKiB)
	if err != nil {
		return nil, err
	}
	s.dummyHash = h
	return s, nil
}

// Error is a refusal of the console with a stable code, a message safe to
// show and an HTTP status.
type Error struct {
	Code    string
	Message string
	Status  int
}

func (e *Error) Error() string { return e.Code + ": " + e.Message }

// ErrorCode implements the renderer's coded error.
func (e *Error) ErrorCode() string { return e.Code }

// SafeMessage implements the renderer's coded error.
func (e *Error) SafeMessage() string { return e.Message }

// StatusCode implements the renderer's status-coded error.
func (e *Error) StatusCode() int { return e.Status }

// The console's refusals.
var (
	// ErrSignIn is a wrong username or password.
	ErrSignIn = &Error{"CONSOLE_SIGN_IN_FAILED", "Wrong username or password.", http.StatusUnauthorized}
	// ErrLocked is a sign-in while the user is locked out.
	ErrLocked = &Error{"CONSOLE_USER_LOCKED", "Too many wrong passwords: try again later.", http.StatusTooManyRequests}
	// ErrNoSession is a request without a valid session.
	ErrNoSession = &Error{"CONSOLE_SESSION_INVALID", "Please sign in.", http.StatusUnauthorized}
	// ErrForbidden is an action the user's role does not allow.
	ErrForbidden = &Error{"CONSOLE_FORBIDDEN", "Your role does not allow this action.", http.StatusForbidden}
	// ErrCSRF is a state-changing request without the session's token.
	ErrCSRF = &Error{"CONSOLE_CSRF", "The form has expired or did not come from this console: reload the page.", http.StatusForbidden}
)

// invalid returns a 400 refusal with msg.
func invalid(msg string) *Error {
	return &Error{"CONSOLE_INVALID_INPUT", msg, http.StatusBadRequest}
}

// Principal is the signed-in user of a request.
type Principal struct {
	// User is the console user.
	User domain.ConsoleUser
	// sessionHash identifies the session (for sign-out).
	sessionHash string
	// csrf is the session's CSRF token.
	csrf string
}

// CSRFToken is the token every state-changing form of the session carries.
func (p Principal) CSRFToken() string { return p.csrf }

// Actor is the audit actor of the user.
func (p Principal) Actor() string { return ActorOf(p.User.Username) }

// ActorOf is the audit actor of a console user.
func ActorOf(username string) string { return "console:" + username }

// Can reports whether the user's role allows a permission.
func (p Principal) Can(perm Permission) bool {
	switch p.User.Role {
	case domain.ConsoleRoleAdmin:
		return true
	case domain.ConsoleRoleOperator:
		return perm != ManageUsers
	case domain.ConsoleRoleReadOnly:
		return perm == Read
	}
	return false
}

// Permission is what a request needs.
type Permission int

// The permissions.
const (
	// Read is viewing any page.
	Read Permission = iota
	// Change is changing the core's data.
	Change
	// ManageUsers is creating and removing console users.
	ManageUsers
)

// Context returns ctx carrying the principal as the actor of the core's
// audit entries and activation history.
func (p Principal) Context(ctx context.Context, ip, userAgent string) context.Context {
	return domain.WithRequestInfo(ctx, domain.RequestInfo{IP: ip, UserAgent: userAgent, Actor: p.Actor()})
}

// hashID is the stored form of a session id.
func hashID(id string) string {
	sum := sha256.Sum256([]byte(id))
	return hex.EncodeToString(sum[:])
}

// csrfToken derives the CSRF token of a session from its (secret) id.
func csrfToken(id string) string {
	m := hmac.New(sha256.New, []byte(id))
	m.Write([]byte("mauth console csrf"))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// SignIn checks a username and password and opens a session. It returns
// the session id for the cookie.
func (s *Service) SignIn(ctx context.Context, username, password string) (string, Principal, error) {
	now := s.now()
	u, err := s.st.GetConsoleUserByName(ctx, username)
	if errors.Is(err, store.ErrNotFound) {
		VerifyPassword(s.dummyHash, password)
		s.auditNow(ctx, ActorOf(username), "CONSOLE_SIGN_IN_FAILED", nil)
		return "", Principal{}, ErrSignIn
	}
	if err != nil {
		return "", Principal{}, fmt.Errorf("sign in: %w", err)
	}
	if now.Before(u.LockedUntil) {
		s.auditNow(ctx, ActorOf(username), "CONSOLE_SIGN_IN_LOCKED", nil)
		return "", Principal{}, ErrLocked
	}
	if len(password) > maxPasswordLength || !VerifyPassword(u.PasswordHash, password) {
		err := s.st.InTx(ctx, func(tx store.Tx) error {
			cur, err := tx.GetConsoleUser(ctx, u.ID)
			if err != nil {
				return err
			}
			cur.FailedAttempts++
			if cur.FailedAttempts >= s.maxFail {
				cur.LockedUntil = now.Add(s.lockFor(cur.FailedAttempts))
			}
			if err := tx.UpdateConsoleUser(ctx, &cur); err != nil {
				return err
			}
			return audit.Write(ctx, tx, now, consoleEntry(ActorOf(username), "CONSOLE_SIGN_IN_FAILED",
				map[string]string{"failedAttempts": fmt.Sprint(cur.FailedAttempts)}))
		})
		if err != nil {
			return "", Principal{}, fmt.Errorf("sign in: %w", err)
		}
		return "", Principal{}, ErrSignIn
	}
	raw := make([]byte, 32)
	if _, err := rand.Read(raw); err != nil {
		return "", Principal{}, fmt.Errorf("session id: %w", err)
	}
	id := base64.RawURLEncoding.EncodeToString(raw)
	sess := domain.ConsoleSession{IDHash: hashID(id), UserID: u.ID, Created: now, LastSeen: now}
	err = s.st.InTx(ctx, func(tx store.Tx) error {
		cur, err := tx.GetConsoleUser(ctx, u.ID)
		if err != nil {
			return err
		}
		cur.FailedAttempts, cur.LockedUntil, cur.LastSignIn = 0, time.Time{}, now
		if err := tx.UpdateConsoleUser(ctx, &cur); err != nil {
			return err
		}
		u = cur
		if err := tx.CreateConsoleSession(ctx, &sess); err != nil {
			return err
		}
		return audit.Write(ctx, tx, now, consoleEntry(ActorOf(username), "CONSOLE_SIGNED_IN", nil))
	})
	if err != nil {
		return "", Principal{}, fmt.Errorf("sign in: %w", err)
	}
	return id, Principal{User: u, sessionHash: sess.IDHash, csrf: csrfToken(id)}, nil
}

// lockFor is the lock-out after n wrong passwords in a row (n ≥ MaxFailures).
func (s *Service) lockFor(n int64) time.Duration {
	d := s.lockout
	for i := s.maxFail; i < n && d < MaxLockout; i++ {
		d *= 2
	}
	return min(d, MaxLockout)
}

// Authenticate returns the principal of a session id, refusing unknown,
// signed-out, idle and too old sessions.
func (s *Service) Authenticate(ctx context.Context, id string) (Principal, error) {
	if id == "" || len(id) > 128 {
		return Principal{}, ErrNoSession
	}
	now := s.now()
	h := hashID(id)
	sess, err := s.st.GetConsoleSession(ctx, h)
	if errors.Is(err, store.ErrNotFound) {
		return Principal{}, ErrNoSession
	}
	if err != nil {
		return Principal{}, fmt.Errorf("session: %w", err)
	}
	if now.Sub(sess.Created) >= s.abs || now.Sub(sess.LastSeen) >= s.idle {
		_ = s.st.InTx(ctx, func(tx store.Tx) error { return tx.DeleteConsoleSession(ctx, h) })
		return Principal{}, ErrNoSession
	}
	u, err := s.st.GetConsoleUser(ctx, sess.UserID)
	if errors.Is(err, store.ErrNotFound) {
		return Principal{}, ErrNoSession
	}
	if err != nil {
		return Principal{}, fmt.Errorf("session user: %w", err)
	}
	if now.Sub(sess.LastSeen) >= touchEvery {
		err := s.st.InTx(ctx, func(tx store.Tx) error { return tx.TouchConsoleSession(ctx, h, now) })
		if errors.Is(err, store.ErrNotFound) {
			return Principal{}, ErrNoSession
		}
		if err != nil {
			return Principal{}, fmt.Errorf("session: %w", err)
		}
	}
	return Principal{User: u, sessionHash: h, csrf: csrfToken(id)}, nil
}

// CheckCSRF compares a submitted token with the session's in constant time.
func (p Principal) CheckCSRF(token string) error {
	if p.csrf == "" || !hmac.Equal([]byte(token), []byte(p.csrf)) {
		return ErrCSRF
	}
	return nil
}

// SignOut revokes the session server-side.
func (s *Service) SignOut(ctx context.Context, p Principal) error {
	now := s.now()
	err := s.st.InTx(ctx, func(tx store.Tx) error {
		if err := tx.DeleteConsoleSession(ctx, p.sessionHash); err != nil && !errors.Is(err, store.ErrNotFound) {
			return err
		}
		return audit.Write(ctx, tx, now, consoleEntry(p.Actor(), "CONSOLE_SIGNED_OUT", nil))
	})
	if err != nil {
		return fmt.Errorf("sign out: %w", err)
	}
	return nil
}

// PurgeSessions deletes expired sessions and returns how many.
func (s *Service) PurgeSessions(ctx context.Context) (int64, error) {
	now := s.now()
	var n int64
	err := s.st.InTx(ctx, func(tx store.Tx) error {
		var err error
		n, err = tx.DeleteConsoleSessionsBefore(ctx, now.Add(-s.abs), now.Add(-s.idle))
		return err
	})
	return n, err
}

// consoleEntry is the audit entry of a console action.
func consoleEntry(actor, action string, details map[string]string) domain.AuditEntry {
	e := audit.Admin(action, "", details)
	e.Actor = actor
	return e
}

// auditNow writes an entry in a transaction of its own (for events that
// change nothing else); a failure is ignored, as the refusal stands.
func (s *Service) auditNow(ctx context.Context, actor, action string, details map[string]string) {
	_ = s.st.InTx(ctx, func(tx store.Tx) error {
		return audit.Write(ctx, tx, s.now(), consoleEntry(actor, action, details))
	})
}

// Record writes the console's audit entry of an action the user did
// through the core (which writes its own entries with the same actor).
func (s *Service) Record(ctx context.Context, p Principal, action string, details map[string]string) error {
	// The operator sees the effect of their own change on the dashboard.
	s.countsMu.Lock()
	s.counts = counts{}
	s.countsMu.Unlock()
	err := s.st.InTx(ctx, func(tx store.Tx) error {
		return audit.Write(ctx, tx, s.now(), consoleEntry(p.Actor(), action, details))
	})
	if err != nil {
		return fmt.Errorf("audit %s: %w", action, err)
	}
	return nil
}

// CreateUser creates a console user. actor is the audit actor (a console
// user's, or "cli" for the first user created offline).
func (s *Service) CreateUser(ctx context.Context, actor, username, password string, role domain.ConsoleRole) (domain.ConsoleUser, error) {
	username = strings.TrimSpace(username)
	if username == "" || len(username) > 64 || strings.ContainsAny(username, " \t\r\n\x00") {
		return domain.ConsoleUser{}, invalid("username: 1 to 64 characters without spaces")
	}
	if !role.Valid() {
		return domain.ConsoleUser{}, invalid("role: one of admin, operator, read-only")
	}
	if err := CheckPassword(password); err != nil {
		return domain.ConsoleUser{}, invalid(err.Error())
	}
	h, err := HashPassword(password, s.memKiB)
	if err != nil {
		return domain.ConsoleUser{}, err
	}
	now := s.now()
	u := domain.ConsoleUser{Username: username, PasswordHash: h, Role: role, Created: now}
	err = s.st.InTx(ctx, func(tx store.Tx) error {
		if err := tx.CreateConsoleUser(ctx, &u); err != nil {
			return err
		}
		return audit.Write(ctx, tx, now, consoleEntry(actor, "CONSOLE_USER_CREATED",
			map[string]string{"username": username, "role": string(role)}))
	})
	if errors.Is(err, store.ErrAlreadyExists) {
		return domain.ConsoleUser{}, &Error{"CONSOLE_USER_EXISTS", "A console user with this username exists.", http.StatusConflict}
	}
	if err != nil {
		return domain.ConsoleUser{}, fmt.Errorf("create console user: %w", err)
	}
	return u, nil
}

// RemoveUser deletes a console user and its sessions.
func (s *Service) RemoveUser(ctx context.Context, p Principal, id int64) error {
	if id == p.User.ID {
		return invalid("You cannot remove yourself.")
	}
	err := s.st.InTx(ctx, func(tx store.Tx) error {
		u, err := tx.GetConsoleUser(ctx, id)
		if err != nil {
			return err
		}
		if err := tx.DeleteConsoleUser(ctx, id); err != nil {
			return err
		}
		return audit.Write(ctx, tx, s.now(), consoleEntry(p.Actor(), "CONSOLE_USER_REMOVED", map[string]string{"username": u.Username}))
	})
	if errors.Is(err, store.ErrNotFound) {
		return &Error{"CONSOLE_NOT_FOUND", "No such console user.", http.StatusNotFound}
	}
	return err
}

// Store is the database the views read.
func (s *Service) Store() store.Store { return s.st }

// Core is the port to the core.
func (s *Service) Core() Core { return s.core }

// Now is the console's clock.
func (s *Service) Now() time.Time { return s.now() }
