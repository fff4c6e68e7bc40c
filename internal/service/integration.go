package service

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"

	"github.com/google/uuid"

	"github.com/mauth/mauth/internal/domain"
	"github.com/mauth/mauth/internal/store"
)

// Integration is an API credential for callers of the private REST API,
// with its client secret in plain text (it is sealed at rest).
type Integration struct {
	// ID is the integration UUID.
	ID string
	// Name is a human-readable label.
	Name string
	// ClientToken is the HTTP Basic user name.
	ClientToken string
	// ClientSecret is the HTTP Basic password.
	ClientSecret string
}

// integrationSecretContext binds a sealed client secret to its integration.
func integrationSecretContext(id string) string { return "pa_integration.client_secret:" + id }

// dummyIntegrationID names the record a dummy secret is sealed for when an
// unknown client token is presented, so that both paths do the same work.
const dummyIntegrationID = "00000000-0000-0000-0000-000000000000"

// sealIntegrationSecret encrypts a client secret for the pa_integration row.
func (s *Service) sealIntegrationSecret(id, secret string) string {
	return base64.StdEncoding.EncodeToString(s.box.Seal([]byte(secret), integrationSecretContext(id)))
}

// openIntegration decrypts the client secret of a stored integration.
func (s *Service) openIntegration(i domain.Integration) (Integration, error) {
	sealed, err := base64.StdEncoding.DecodeString(i.ClientSecret)
	if err != nil {
		return Integration{}, fmt.Errorf("integration %s: client secret is not sealed: %w", i.ID, err)
	}
	secret, err := s.box.Open(sealed, integrationSecretContext(i.ID))
	if err != nil {
		return Integration{}, fmt.Errorf("integration %s: open client secret: %w", i.ID, err)
	}
	return Integration{ID: i.ID, Name: i.Name, ClientToken: i.ClientToken, ClientSecret: string(secret)}, nil
}

// createIntegrationUnaudited creates an integration with a generated client token
// and secret (random UUIDs).
func (s *Service) createIntegrationUnaudited(ctx context.Context, name string) (Integration, error) {
	if err := validName("name", name); err != nil {
		return Integration{}, err
	}
	var out Integration
	err := s.store.InTx(ctx, func(tx store.Tx) error {
		var err error
		out, err = s.createIntegration(ctx, tx, name)
		return err
	})
	return out, err
}

func (s *Service) createIntegration(ctx context.Context, tx store.Tx, name string) (Integration, error) {
	out := Integration{ID: uuid.NewString(), Name: name, ClientToken: uuid.NewString(), ClientSecret: uuid.NewString()}
	row := domain.Integration{ID: out.ID, Name: name, ClientToken: out.ClientToken, ClientSecret: s.sealIntegrationSecret(out.ID, out.ClientSecret)}
	if err := tx.CreateIntegration(ctx, &row); err != nil {
		return Integration{}, fmt.Errorf("create integration: %w", err)
	}
	return out, nil
}

// ListIntegrations returns every integration with its credentials, ordered
// by name.
func (s *Service) ListIntegrations(ctx context.Context) ([]Integration, error) {
	rows, err := s.store.ListIntegrations(ctx)
	if err != nil {
		return nil, fmt.Errorf("list integrations: %w", err)
	}
	out := make([]Integration, 0, len(rows))
	for _, r := range rows {
		i, err := s.openIntegration(r)
		if err != nil {
			return nil, err
		}
		out = append(out, i)
	}
	return out, nil
}

// removeIntegrationUnaudited deletes an integration; it reports false when no
// integration has the id.
func (s *Service) removeIntegrationUnaudited(ctx context.Context, id string) (bool, error) {
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
		return nil
	})
	return removed, err
}

// EnsureBootstrapIntegration creates an integration named name when no
// integration exists yet, so that a freshly installed server with
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
		integ, err = s.createIntegration(ctx, tx, name)
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

// authenticateIntegrationUnaudited reports whether clientToken/clientSecret are the
// credentials of an integration. An unknown token costs the same
// decryption and comparison as a known one, and secrets are compared as
// SHA-256 digests in constant time, so neither the existence of a token
// nor the length of its secret shows in the timing.
func (s *Service) authenticateIntegrationUnaudited(ctx context.Context, clientToken, clientSecret string) bool {
	if clientToken == "" {
		return false
	}
	row, err := s.store.GetIntegrationByClientToken(ctx, clientToken)
	known := err == nil
	if !known {
		if !errors.Is(err, store.ErrNotFound) {
			s.log.WarnContext(ctx, "integration lookup failed", "error", err)
		}
		row = domain.Integration{ID: dummyIntegrationID, ClientSecret: s.sealIntegrationSecret(dummyIntegrationID, uuid.NewString())}
	}
	integ, err := s.openIntegration(row)
	if err != nil {
		s.log.WarnContext(ctx, "integration secret cannot be opened", "integration", row.ID, "error", err)
		return false
	}
	want := sha256.Sum256([]byte(integ.ClientSecret))
	got := sha256.Sum256([]byte(clientSecret))
	match := subtle.ConstantTimeCompare(want[:], got[:]) == 1
	return match && known
}
