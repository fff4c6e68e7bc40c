package service

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/google/uuid"

	"github.com/mauth/mauth/internal/domain"
	"github.com/mauth/mauth/internal/store"
)

// Integration is an API credential for callers of the private REST API.
type Integration struct {
	// ID is the integration UUID.
	ID string
	// Name is a human-readable label.
	Name string
	// ClientToken is the HTTP Basic user name.
	ClientToken string
	// ClientSecret is the HTTP Basic password. It is set only in the
	// answer to a creation: the server keeps a keyed hash, never the
	// secret itself.
	ClientSecret string
	// Role is what the integration may do.
	Role domain.IntegrationRole
	// Applications names the applications an APPLICATION integration is
	// granted, sorted; empty for an ADMIN.
	Applications []string
}

// IntegrationInput describes an integration to create.
type IntegrationInput struct {
	// Name is a human-readable label (required).
	Name string
	// Role is ADMIN or APPLICATION; empty means APPLICATION when
	// Applications are given and ADMIN otherwise (every integration of the
	// reference server is an administrator).
	Role domain.IntegrationRole
	// Applications are the names of the applications an APPLICATION
	// integration may act on.
	Applications []string
}

// integrationSecretContext binds a stored client secret (sealed by older
// servers, hashed now) to its integration.
func integrationSecretContext(id string) string { return "pa_integration.client_secret:" + id }

// hashedSecretPrefix starts every stored client secret hash; sealed
// secrets of older servers are plain Base64, which never contains ':'.
const hashedSecretPrefix = "mac1:"

// dummyIntegrationID names the record an unknown client token is checked
// against, so that both paths do the same work.
const dummyIntegrationID = "00000000-0000-0000-0000-000000000000"

// hashIntegrationSecret returns the stored form of a client secret:
// "mac1:<server key id>:<Base64 HMAC-SHA256 under a key derived from the
// server key, bound to the integration id>". Client secrets are random
// UUIDs (122 bits), so a fast keyed hash is enough: nothing can be
// guessed, and the database alone does not even let one test a guess.
func (s *Service) hashIntegrationSecret(id, secret string) string {
	return hashedSecretPrefix + s.box.KeyID() + ":" + base64.StdEncoding.EncodeToString(s.box.MAC([]byte(secret), integrationSecretContext(id)))
}

// checkIntegrationSecret compares secret with a stored client secret in
// constant time. legacy reports a secret still sealed by an older server
// (it matched only when ok).
func (s *Service) checkIntegrationSecret(row domain.Integration, secret string) (ok, legacy bool, err error) {
	if rest, hashed := strings.CutPrefix(row.ClientSecret, hashedSecretPrefix); hashed {
		keyID, stored, _ := strings.Cut(rest, ":")
		want, err := base64.StdEncoding.DecodeString(stored)
		if err != nil {
			return false, false, fmt.Errorf("integration %s: stored client secret is malformed", row.ID)
		}
		got := s.box.MAC([]byte(secret), integrationSecretContext(row.ID))
		match := hmac.Equal(want, got)
		if !match && keyID != s.box.KeyID() {
			return false, false, fmt.Errorf("integration %s: client secret hashed with another server key (%s, this server has %s)", row.ID, keyID, s.box.KeyID())
		}
		return match, false, nil
	}
	sealed, err := base64.StdEncoding.DecodeString(row.ClientSecret)
	if err != nil {
		return false, true, fmt.Errorf("integration %s: client secret is neither hashed nor sealed: %w", row.ID, err)
	}
	plain, err := s.box.Open(sealed, integrationSecretContext(row.ID))
	if err != nil {
		return false, true, fmt.Errorf("integration %s: open client secret: %w", row.ID, err)
	}
	want := sha256.Sum256(plain)
	got := sha256.Sum256([]byte(secret))
	return hmac.Equal(want[:], got[:]), true, nil
}

// resolveIntegrationInput validates in and returns the role and the
// applications it names.
func (s *Service) resolveIntegrationInput(ctx context.Context, r store.Reader, in IntegrationInput) (domain.IntegrationRole, []domain.Application, error) {
	if err := validName("name", in.Name); err != nil {
		return "", nil, err
	}
	role := in.Role
	if role == "" {
		role = domain.IntegrationAdmin
		if len(in.Applications) > 0 {
			role = domain.IntegrationApplication
		}
	}
	if !role.Valid() {
		return "", nil, Errorf(CodeInvalidRequest, "role - must be one of ADMIN, APPLICATION")
	}
	if role == domain.IntegrationAdmin && len(in.Applications) > 0 {
		return "", nil, Errorf(CodeInvalidRequest, "applicationIds - must be empty for role ADMIN (an administrator acts on every application)")
	}
	apps, err := s.grantedApplications(ctx, r, in.Applications)
	return role, apps, err
}

// grantedApplications loads the applications named in a grant.
func (s *Service) grantedApplications(ctx context.Context, r store.Reader, names []string) ([]domain.Application, error) {
	for _, n := range names {
		if strings.TrimSpace(n) == "" {
			return nil, Errorf(CodeInvalidRequest, "applicationIds - must not contain blank values")
		}
	}
	names = dedupe(names)
	if len(names) > maxRoles {
		return nil, Errorf(CodeInvalidRequest, "applicationIds - at most %d applications are allowed", maxRoles)
	}
	return s.applicationsByName(ctx, r, names)
}

// CreateIntegration creates an ADMIN integration with a generated client
// token and secret (random UUIDs), as the reference server does.
func (s *Service) CreateIntegration(ctx context.Context, name string) (Integration, error) {
	return s.CreateIntegrationWith(ctx, IntegrationInput{Name: name, Role: domain.IntegrationAdmin})
}

// CreateIntegrationWith creates an integration with a role (and, for an
// APPLICATION integration, its applications) and a generated client token
// and secret (random UUIDs). The secret is in the result only: the server
// keeps a keyed hash. The audit record is written in the same transaction.
func (s *Service) CreateIntegrationWith(ctx context.Context, in IntegrationInput) (Integration, error) {
	var out Integration
	err := s.store.InTx(ctx, func(tx store.Tx) error {
		role, apps, err := s.resolveIntegrationInput(ctx, tx, in)
		if err != nil {
			return err
		}
		out, err = s.createIntegration(ctx, tx, in.Name, role, apps)
		if err != nil {
			return err
		}
		return s.writeAdminAudit(ctx, tx, "INTEGRATION_CREATED", "", map[string]string{"integrationId": out.ID, "name": out.Name,
			"role": string(out.Role), "applications": strings.Join(out.Applications, ",")})
	})
	return out, err
}

func (s *Service) createIntegration(ctx context.Context, tx store.Tx, name string, role domain.IntegrationRole, apps []domain.Application) (Integration, error) {
	out := Integration{ID: uuid.NewString(), Name: name, ClientToken: uuid.NewString(), ClientSecret: uuid.NewString(), Role: role, Applications: []string{}}
	row := domain.Integration{ID: out.ID, Name: name, ClientToken: out.ClientToken, ClientSecret: s.hashIntegrationSecret(out.ID, out.ClientSecret), Role: role}
	if err := tx.CreateIntegration(ctx, &row); err != nil {
		return Integration{}, fmt.Errorf("create integration: %w", err)
	}
	for _, a := range apps {
		if err := tx.GrantIntegrationApplication(ctx, out.ID, a.ID); err != nil {
			return Integration{}, fmt.Errorf("grant application: %w", err)
		}
		out.Applications = append(out.Applications, a.Name)
	}
	slices.Sort(out.Applications)
	return out, nil
}

// ListIntegrations returns every integration with its role and granted
// applications (never a secret), ordered by name.
func (s *Service) ListIntegrations(ctx context.Context) ([]Integration, error) {
	var out []Integration
	err := s.store.View(ctx, func(r store.Reader) error {
		rows, err := r.ListIntegrations(ctx)
		if err != nil {
			return fmt.Errorf("list integrations: %w", err)
		}
		names := map[int64]string{}
		if slices.ContainsFunc(rows, func(i domain.Integration) bool { return i.Role != domain.IntegrationAdmin }) {
			apps, err := r.ListApplications(ctx)
			if err != nil {
				return fmt.Errorf("list applications: %w", err)
			}
			for _, a := range apps {
				names[a.ID] = a.Name
			}
		}
		out = make([]Integration, 0, len(rows))
		for _, row := range rows {
			i, err := integrationOf(ctx, r, row, names)
			if err != nil {
				return err
			}
			out = append(out, i)
		}
		return nil
	})
	return out, err
}

// integrationOf describes a stored integration (names maps application
// ids to names; it may be nil for an ADMIN).
func integrationOf(ctx context.Context, r store.Reader, row domain.Integration, names map[int64]string) (Integration, error) {
	i := Integration{ID: row.ID, Name: row.Name, ClientToken: row.ClientToken, Role: row.Role, Applications: []string{}}
	if row.Role == domain.IntegrationAdmin {
		return i, nil
	}
	ids, err := r.ListIntegrationApplications(ctx, row.ID)
	if err != nil {
		return Integration{}, fmt.Errorf("list integration applications: %w", err)
	}
	for _, id := range ids {
		n, ok := names[id]
		if !ok {
			a, err := r.GetApplication(ctx, id)
			if err != nil {
				return Integration{}, fmt.Errorf("load application: %w", err)
			}
			n = a.Name
		}
		i.Applications = append(i.Applications, n)
	}
	slices.Sort(i.Applications)
	return i, nil
}

// GrantIntegrationApplications lets the APPLICATION integration id act on
// the named applications too, and returns the integration.
func (s *Service) GrantIntegrationApplications(ctx context.Context, id string, applications []string) (Integration, error) {
	return s.changeIntegrationApplications(ctx, id, applications, true)
}

// RevokeIntegrationApplications withdraws the named applications from the
// APPLICATION integration id (applications it was not granted are
// ignored), and returns the integration.
func (s *Service) RevokeIntegrationApplications(ctx context.Context, id string, applications []string) (Integration, error) {
	return s.changeIntegrationApplications(ctx, id, applications, false)
}

// changeIntegrationApplications grants (grant) or revokes the named
// applications of the APPLICATION integration id and returns the
// integration as it is afterwards; the audit record is written in the
// same transaction.
func (s *Service) changeIntegrationApplications(ctx context.Context, id string, applications []string, grant bool) (Integration, error) {
	if strings.TrimSpace(id) == "" {
		return Integration{}, Errorf(CodeInvalidRequest, "id - must not be blank")
	}
	if len(applications) == 0 {
		return Integration{}, Errorf(CodeInvalidRequest, "applicationIds - must not be empty")
	}
	var out Integration
	err := s.store.InTx(ctx, func(tx store.Tx) error {
		row, err := tx.GetIntegration(ctx, id)
		if errors.Is(err, store.ErrNotFound) {
			return Errorf(CodeInvalidRequest, "Integration does not exist.")
		}
		if err != nil {
			return fmt.Errorf("load integration: %w", err)
		}
		if row.Role != domain.IntegrationApplication {
			return Errorf(CodeInvalidRequest, "Only integrations with role APPLICATION are granted applications; an ADMIN acts on every application.")
		}
		apps, err := s.grantedApplications(ctx, tx, applications)
		if err != nil {
			return err
		}
		for _, a := range apps {
			if grant {
				err = tx.GrantIntegrationApplication(ctx, id, a.ID)
			} else if err = tx.RevokeIntegrationApplication(ctx, id, a.ID); errors.Is(err, store.ErrNotFound) {
				err = nil // not granted: nothing to revoke
			}
			if err != nil {
				return fmt.Errorf("change integration applications: %w", err)
			}
		}
		if out, err = integrationOf(ctx, tx, row, nil); err != nil {
			return err
		}
		action := "INTEGRATION_APPLICATIONS_REVOKED"
		if grant {
			action = "INTEGRATION_APPLICATIONS_GRANTED"
		}
		return s.writeAdminAudit(ctx, tx, action, "", map[string]string{"integrationId": id,
			"applications": strings.Join(dedupe(applications), ",")})
	})
	return out, err
}

// RemoveIntegration deletes an integration; it reports false when no
// integration has the id. The audit record is written in the same
// transaction.
func (s *Service) RemoveIntegration(ctx context.Context, id string) (bool, error) {
	removed := false
	err := s.store.InTx(ctx, func(tx store.Tx) error {
		removed = false
		err := tx.DeleteIntegration(ctx, id)
		if errors.Is(err, store.ErrNotFound) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("delete integration: %w", err)
		}
		removed = true
		return s.writeAdminAudit(ctx, tx, "INTEGRATION_REMOVED", "", map[string]string{"integrationId": id})
	})
	if err != nil {
		removed = false
	}
	return removed, err
}

// EnsureBootstrapIntegration creates an ADMIN integration named name when
// no integration exists yet, so that a freshly installed server with
// restricted access can be called at all. created reports whether it did;
// integ holds the new credentials only then.
func (s *Service) EnsureBootstrapIntegration(ctx context.Context, name string) (created bool, integ Integration, err error) {
	if err := validName("name", name); err != nil {
		return false, Integration{}, err
	}
	err = s.store.InTx(ctx, func(tx store.Tx) error {
		created, integ = false, Integration{}
		existing, err := tx.ListIntegrations(ctx)
		if err != nil {
			return fmt.Errorf("list integrations: %w", err)
		}
		if len(existing) > 0 {
			return nil
		}
		integ, err = s.createIntegration(ctx, tx, name, domain.IntegrationAdmin, nil)
		if err != nil {
			return err
		}
		created = true
		return nil
	})
	if err != nil {
		return false, Integration{}, err
	}
	return created, integ, nil
}

// Principal is an authenticated caller of the private API: an integration
// with its role and, for an APPLICATION integration, the internal ids of
// the applications it is granted.
type Principal struct {
	// IntegrationID, Name and ClientToken identify the integration.
	IntegrationID, Name, ClientToken string
	// Role is what it may do.
	Role domain.IntegrationRole
	// Applications are the granted applications (sorted internal ids).
	Applications []int64
}

// Admin reports whether p may do everything.
func (p Principal) Admin() bool { return p.Role == domain.IntegrationAdmin }

// MayActOn reports whether p may act on an object that belongs to the
// applications owners (one for most objects, several for an operation
// shared by applications): always for an admin, otherwise when at least
// one of them is granted. An object of no application (owners empty)
// belongs to nobody p is granted.
func (p Principal) MayActOn(owners []int64) bool {
	if p.Admin() {
		return true
	}
	for _, o := range owners {
		if _, ok := slices.BinarySearch(p.Applications, o); ok {
			return true
		}
	}
	return false
}

// AuthenticateIntegration reports whether clientToken/clientSecret are the
// credentials of an integration (see Authenticate).
func (s *Service) AuthenticateIntegration(ctx context.Context, clientToken, clientSecret string) bool {
	_, ok := s.Authenticate(ctx, clientToken, clientSecret)
	return ok
}

// Authenticate returns the integration whose credentials
// clientToken/clientSecret are, with its role and grants. An unknown token
// costs the same keyed hash and constant-time comparison as a known one,
// so neither the existence of a token nor the length of its secret shows
// in the timing. Refused attempts are written to the audit log (with the
// client token, never the secret).
func (s *Service) Authenticate(ctx context.Context, clientToken, clientSecret string) (Principal, bool) {
	p, ok := s.authenticateIntegrationUnaudited(ctx, clientToken, clientSecret)
	if !ok {
		s.auditNow(ctx, domain.AuditEntry{Type: domain.AuditIntegrationAuth,
			Details: map[string]string{"result": "REFUSED", "clientToken": truncate(clientToken, 64)}})
	}
	return p, ok
}

// authenticateIntegrationUnaudited returns the integration whose
// credentials clientToken/clientSecret are. An unknown token costs the
// same keyed hash and constant-time comparison as a known one, so neither
// the existence of a token nor the length of its secret shows in the
// timing. A secret still sealed by an older server is checked by opening
// it and then replaced by its hash (verify-then-upgrade).
func (s *Service) authenticateIntegrationUnaudited(ctx context.Context, clientToken, clientSecret string) (Principal, bool) {
	if clientToken == "" {
		return Principal{}, false
	}
	row, err := s.store.GetIntegrationByClientToken(ctx, clientToken)
	known := err == nil
	if !known {
		if !errors.Is(err, store.ErrNotFound) {
			s.log.WarnContext(ctx, "integration lookup failed", "error", err)
		}
		row = domain.Integration{ID: dummyIntegrationID, ClientSecret: s.dummySecret}
	}
	match, legacy, err := s.checkIntegrationSecret(row, clientSecret)
	if err != nil {
		s.log.WarnContext(ctx, "integration secret cannot be checked", "integration", row.ID, "error", err)
		return Principal{}, false
	}
	if !match || !known {
		return Principal{}, false
	}
	if legacy {
		s.upgradeIntegrationSecret(ctx, row, clientSecret)
	}
	p := Principal{IntegrationID: row.ID, Name: row.Name, ClientToken: row.ClientToken, Role: row.Role}
	if !p.Admin() {
		ids, err := s.store.ListIntegrationApplications(ctx, row.ID)
		if err != nil {
			s.log.WarnContext(ctx, "integration grants cannot be read", "integration", row.ID, "error", err)
			return Principal{}, false
		}
		slices.Sort(ids)
		p.Applications = ids
	}
	return p, true
}

// newDummySecret returns the stored form an unknown client token is
// checked against: the hash of a random secret nobody knows.
func (s *Service) newDummySecret() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return s.hashIntegrationSecret(dummyIntegrationID, base64.StdEncoding.EncodeToString(b[:]))
}

// upgradeIntegrationSecret replaces the sealed secret of row by the hash
// of secret, unless another node (or request) changed the row first.
func (s *Service) upgradeIntegrationSecret(ctx context.Context, row domain.Integration, secret string) {
	hashed := s.hashIntegrationSecret(row.ID, secret)
	err := s.store.InTx(ctx, func(tx store.Tx) error {
		return tx.ReplaceIntegrationSecret(ctx, row.ID, row.ClientSecret, hashed)
	})
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		s.log.WarnContext(ctx, "integration secret cannot be upgraded to a hash", "integration", row.ID, "error", err)
	}
}

// UpgradeIntegrationSecrets replaces every client secret still sealed by
// an older server with its keyed hash, and returns how many it replaced.
// It runs at start-up; it is safe on several nodes at once (each row is
// replaced only while it still holds the sealed value, and every node
// computes the same hash). A secret that cannot be opened (another server
// key) is left as it is and reported in the error.
func (s *Service) UpgradeIntegrationSecrets(ctx context.Context) (int, error) {
	rows, err := s.store.ListIntegrations(ctx)
	if err != nil {
		return 0, fmt.Errorf("list integrations: %w", err)
	}
	n := 0
	var errs []error
	for _, row := range rows {
		if strings.HasPrefix(row.ClientSecret, hashedSecretPrefix) {
			continue
		}
		sealed, err := base64.StdEncoding.DecodeString(row.ClientSecret)
		if err != nil {
			errs = append(errs, fmt.Errorf("integration %s: client secret is neither hashed nor sealed", row.ID))
			continue
		}
		plain, err := s.box.Open(sealed, integrationSecretContext(row.ID))
		if err != nil {
			errs = append(errs, fmt.Errorf("integration %s: open client secret: %w", row.ID, err))
			continue
		}
		hashed := s.hashIntegrationSecret(row.ID, string(plain))
		err = s.store.InTx(ctx, func(tx store.Tx) error {
			return tx.ReplaceIntegrationSecret(ctx, row.ID, row.ClientSecret, hashed)
		})
		switch {
		case errors.Is(err, store.ErrNotFound): // removed or upgraded meanwhile
		case err != nil:
			errs = append(errs, fmt.Errorf("integration %s: %w", row.ID, err))
		default:
			n++
		}
	}
	return n, errors.Join(errs...)
}

// CheckServerKey reports an error when the server key is not the one the
// database's secrets were made with: it checks the stored integration
// secrets (hashed or sealed) and the master key pair of the first
// application. A database with neither passes. Offline tools that write
// credentials (mauth integration recover) call it first, so that they do
// not create a credential no server can check.
func (s *Service) CheckServerKey(ctx context.Context) error {
	wrong := func(what string) error {
		return fmt.Errorf("the server key (id %s) is not the key of this database: %s was made with another key", s.box.KeyID(), what)
	}
	rows, err := s.store.ListIntegrations(ctx)
	if err != nil {
		return fmt.Errorf("list integrations: %w", err)
	}
	for _, row := range rows {
		if rest, hashed := strings.CutPrefix(row.ClientSecret, hashedSecretPrefix); hashed {
			if keyID, _, _ := strings.Cut(rest, ":"); keyID != s.box.KeyID() {
				return wrong("the client secret of integration " + row.Name)
			}
			continue
		}
		sealed, err := base64.StdEncoding.DecodeString(row.ClientSecret)
		if err != nil {
			continue
		}
		if _, err := s.box.Open(sealed, integrationSecretContext(row.ID)); err != nil {
			return wrong("the client secret of integration " + row.Name)
		}
	}
	apps, err := s.store.ListApplications(ctx)
	if err != nil {
		return fmt.Errorf("list applications: %w", err)
	}
	if len(apps) > 0 {
		if _, _, err := s.masterKey(ctx, s.store, apps[0]); err != nil && CodeOf(err) != CodeNoMasterKeyPair {
			return wrong("the master key of application " + apps[0].Name)
		}
	}
	return nil
}
