package cloud

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"

	"golang.org/x/crypto/argon2"

	"github.com/mauth/mauth/internal/audit"
	"github.com/mauth/mauth/internal/domain"
	"github.com/mauth/mauth/internal/store"
)

// Argon2id parameters of password hashes, stored in the PHC string
// $argon2id$v=19$m=<KiB>,t=<n>,p=<n>$<salt>$<hash> (unpadded Base64).
const (
	argon2Iterations  = 2
	argon2Parallelism = 1
	argon2KeyLength   = 32
	argon2SaltLength  = 16
	// argon2MaxMemoryKiB and argon2MaxIterations bound the costs read from a stored hash.
	argon2MaxMemoryKiB  = 1 << 20
	argon2MaxIterations = 64
)

var b64 = base64.RawStdEncoding

// hashPassword hashes a password with Argon2id and a random salt.
func (s *Service) hashPassword(password string) (string, error) {
	salt := make([]byte, argon2SaltLength)
	if _, err := rand.Read(salt); err != nil {
		return "", fmt.Errorf("password salt: %w", err)
	}
	m := s.opts.PasswordHashMemoryKiB
	sum := argon2.IDKey([]byte(password), salt, argon2Iterations, m, argon2Parallelism, argon2KeyLength)
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, m, argon2Iterations, argon2Parallelism,
		b64.EncodeToString(salt), b64.EncodeToString(sum)), nil
}

// checkPassword reports whether password matches a stored hash (constant
// time); a malformed hash matches nothing.
func checkPassword(hash, password string) bool {
	parts := strings.Split(hash, "$")
	if len(parts) != 6 || parts[1] != "argon2id" || parts[2] != fmt.Sprintf("v=%d", argon2.Version) {
		return false
	}
	var m, t uint32
	var p uint8
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &m, &t, &p); err != nil || m == 0 || m > argon2MaxMemoryKiB || t == 0 || t > argon2MaxIterations || p == 0 {
		return false
	}
	salt, err1 := b64.DecodeString(parts[4])
	want, err2 := b64.DecodeString(parts[5])
	if err1 != nil || err2 != nil || len(want) == 0 || len(want) > 64 {
		return false
	}
	got := argon2.IDKey([]byte(password), salt, t, m, p, uint32(len(want)))
	return subtle.ConstantTimeCompare(got, want) == 1
}

// dummyHash is compared against when the user does not exist, so that an
// unknown name costs as much as a wrong password.
func (s *Service) dummyHash() string {
	s.dummyOnce.Do(func() {
		s.dummy, _ = s.hashPassword("not a password")
	})
	return s.dummy
}

// Principal is an authenticated Cloud API user.
type Principal struct {
	// Username is the user's name.
	Username string
	// Role is the user's role.
	Role domain.CloudRole
	// Applications are the names of the applications granted to the user.
	Applications []string
}

// Admin reports the ROLE_ADMIN role.
func (p Principal) Admin() bool { return p.Role == domain.CloudRoleAdmin }

// MayUse reports whether the user acts on application: an admin on every
// application, a ROLE_USER on the ones granted to it.
func (p Principal) MayUse(application string) bool {
	return p.Admin() || slices.Contains(p.Applications, application)
}

// mayUseAny reports whether the user may act on one of applications.
func (p Principal) mayUseAny(applications []string) bool {
	return slices.ContainsFunc(applications, p.MayUse)
}

// principal loads the principal of an enabled user.
func (s *Service) principal(ctx context.Context, u domain.CloudUser) (Principal, error) {
	ids, err := s.st.ListCloudUserApplications(ctx, u.Username)
	if err != nil {
		return Principal{}, wrap("list grants", err)
	}
	p := Principal{Username: u.Username, Role: u.Role}
	for _, id := range ids {
		app, err := s.st.GetApplication(ctx, id)
		if err != nil {
			return Principal{}, wrap("read granted application", err)
		}
		p.Applications = append(p.Applications, app.Name)
	}
	return p, nil
}

// AuthenticatePassword checks HTTP Basic credentials from the client at
// ip. Too many recent wrong passwords for the user or from the IP refuse
// the attempt with 429 before the password is checked; a wrong password,
// an unknown or a disabled user is 401.
func (s *Service) AuthenticatePassword(ctx context.Context, username, password, ip string) (Principal, error) {
	now := s.opts.Now()
	if wait, limited := s.limiter.limited(username, ip, now); limited {
		e := newError(429, CodeTooManyRequests, "Too many failed logins; try again later.")
		e.RetryAfter = int(wait.Seconds()) + 1
		return Principal{}, e
	}
	u, err := s.st.GetCloudUser(ctx, username)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return Principal{}, wrap("read user", err)
	}
	hash := u.PasswordHash
	if err != nil {
		hash = s.dummyHash()
	}
	cached := err == nil && s.auth.hit(username, password, hash, now)
	if !cached && (!checkPassword(hash, password) || err != nil) {
		s.limiter.fail(username, ip, now)
		s.log.InfoContext(ctx, "cloud login refused", "user", username, "ip", ip)
		return Principal{}, Unauthorized()
	}
	if !u.Enabled {
		s.log.InfoContext(ctx, "cloud login of a disabled user refused", "user", username, "ip", ip)
		return Principal{}, Unauthorized()
	}
	s.limiter.succeed(username)
	if !cached {
		s.auth.remember(username, password, hash, now)
	}
	return s.principal(ctx, u)
}

// usernamePattern limits user names to a safe alphabet.
var usernamePattern = regexp.MustCompile(`^[A-Za-z0-9._@-]{1,64}$`)

// ParseRole reads a role name; empty is ROLE_USER.
func ParseRole(s string) (domain.CloudRole, error) {
	switch domain.CloudRole(s) {
	case "", domain.CloudRoleUser:
		return domain.CloudRoleUser, nil
	case domain.CloudRoleAdmin:
		return domain.CloudRoleAdmin, nil
	}
	return "", BadRequest("role must be ROLE_ADMIN or ROLE_USER")
}

// User is a Cloud API user as the admin API shows it.
type User struct {
	Username     string
	Role         domain.CloudRole
	Enabled      bool
	Applications []string
	// Password is the generated password, only in the answer of CreateUser.
	Password string
}

// generatePassword returns a random password of 32 URL-safe characters.
func generatePassword() string {
	b := make([]byte, 24)
	_, _ = rand.Read(b) // crypto/rand.Read never fails
	return base64.RawURLEncoding.EncodeToString(b)
}

// CreateUser creates an enabled user with a generated password, returned
// once.
func (s *Service) CreateUser(ctx context.Context, username string, role domain.CloudRole) (User, error) {
	if !usernamePattern.MatchString(username) {
		return User{}, BadRequest("username must have 1 to 64 letters, digits or . _ @ -")
	}
	if role != domain.CloudRoleAdmin && role != domain.CloudRoleUser {
		return User{}, BadRequest("role must be ROLE_ADMIN or ROLE_USER")
	}
	password := generatePassword()
	hash, err := s.hashPassword(password)
	if err != nil {
		return User{}, wrap("hash password", err)
	}
	u := domain.CloudUser{Username: username, PasswordHash: hash, Role: role, Enabled: true, Created: s.now()}
	err = s.st.InTx(ctx, func(tx store.Tx) error {
		if err := tx.CreateCloudUser(ctx, &u); err != nil {
			return err
		}
		return audit.Write(ctx, tx, s.now(), audit.Admin("CLOUD_USER_CREATED", "", map[string]string{"username": username, "role": string(role)}))
	})
	if errors.Is(err, store.ErrAlreadyExists) {
		return User{}, BadRequest("user %s already exists", username)
	}
	if err != nil {
		return User{}, wrap("create user", err)
	}
	return User{Username: username, Role: role, Enabled: true, Password: password}, nil
}

// userNotFound is the answer for an unknown user name.
func userNotFound(username string) *Error {
	return newError(404, CodeNotFound, "user %s not found", username)
}

// GetUser returns a user with its grants.
func (s *Service) GetUser(ctx context.Context, username string) (User, error) {
	u, err := s.st.GetCloudUser(ctx, username)
	if errors.Is(err, store.ErrNotFound) {
		return User{}, userNotFound(username)
	}
	if err != nil {
		return User{}, wrap("read user", err)
	}
	p, err := s.principal(ctx, u)
	if err != nil {
		return User{}, err
	}
	return User{Username: u.Username, Role: u.Role, Enabled: u.Enabled, Applications: p.Applications}, nil
}

// ListUsers returns every user with its grants, ordered by name.
func (s *Service) ListUsers(ctx context.Context) ([]User, error) {
	us, err := s.st.ListCloudUsers(ctx)
	if err != nil {
		return nil, wrap("list users", err)
	}
	out := make([]User, 0, len(us))
	for _, u := range us {
		p, err := s.principal(ctx, u)
		if err != nil {
			return nil, err
		}
		out = append(out, User{Username: u.Username, Role: u.Role, Enabled: u.Enabled, Applications: p.Applications})
	}
	return out, nil
}

// SetUserEnabled enables or disables a user; a disabled user's passwords
// and bearer tokens stop working at once.
func (s *Service) SetUserEnabled(ctx context.Context, username string, enabled bool) (User, error) {
	err := s.st.InTx(ctx, func(tx store.Tx) error {
		u, err := tx.GetCloudUser(ctx, username)
		if err != nil {
			return err
		}
		u.Enabled = enabled
		if err := tx.UpdateCloudUser(ctx, &u); err != nil {
			return err
		}
		return audit.Write(ctx, tx, s.now(), audit.Admin("CLOUD_USER_UPDATED", "", map[string]string{"username": username, "enabled": fmt.Sprint(enabled)}))
	})
	if errors.Is(err, store.ErrNotFound) {
		return User{}, userNotFound(username)
	}
	if err != nil {
		return User{}, wrap("update user", err)
	}
	return s.GetUser(ctx, username)
}

// DeleteUser deletes a user and its grants.
func (s *Service) DeleteUser(ctx context.Context, username string) error {
	err := s.st.InTx(ctx, func(tx store.Tx) error {
		if err := tx.DeleteCloudUser(ctx, username); err != nil {
			return err
		}
		return audit.Write(ctx, tx, s.now(), audit.Admin("CLOUD_USER_DELETED", "", map[string]string{"username": username}))
	})
	if errors.Is(err, store.ErrNotFound) {
		return userNotFound(username)
	}
	return wrap("delete user", err)
}

// Grant grants (grant true) or revokes an application to a user.
func (s *Service) Grant(ctx context.Context, username, application string, grant bool) (User, error) {
	err := s.st.InTx(ctx, func(tx store.Tx) error {
		if _, err := tx.GetCloudUser(ctx, username); err != nil {
			return err
		}
		app, err := tx.GetApplicationByName(ctx, application)
		if errors.Is(err, store.ErrNotFound) {
			return newError(404, CodeNotFound, "application %s not found", application)
		}
		if err != nil {
			return err
		}
		action := "CLOUD_USER_APPLICATION_GRANTED"
		if grant {
			err = tx.GrantCloudUserApplication(ctx, username, app.ID)
		} else {
			action = "CLOUD_USER_APPLICATION_REVOKED"
			err = tx.RevokeCloudUserApplication(ctx, username, app.ID)
			if errors.Is(err, store.ErrNotFound) {
				return newError(404, CodeNotFound, "application %s is not granted to %s", application, username)
			}
		}
		if err != nil {
			return err
		}
		return audit.Write(ctx, tx, s.now(), audit.Admin(action, application, map[string]string{"username": username}))
	})
	var ce *Error
	if errors.As(err, &ce) {
		return User{}, ce
	}
	if errors.Is(err, store.ErrNotFound) {
		return User{}, userNotFound(username)
	}
	if err != nil {
		return User{}, wrap("grant application", err)
	}
	return s.GetUser(ctx, username)
}
