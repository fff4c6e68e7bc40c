package sqlstore

import (
	"context"

	"github.com/mauth/mauth/internal/domain"
)

const integrationColumns = `id, name, client_token, client_secret, role`

func scanIntegration(s scanner) (domain.Integration, error) {
	var i domain.Integration
	var role string
	err := s.Scan(&i.ID, &i.Name, &i.ClientToken, &i.ClientSecret, &role)
	i.Role = domain.IntegrationRole(role)
	return i, err
}

// GetIntegration implements store.Reader.
func (c *conn) GetIntegration(ctx context.Context, id string) (domain.Integration, error) {
	return getOne(ctx, c, "get integration",
		`SELECT `+integrationColumns+` FROM pa_integration WHERE id = $1`, scanIntegration, id)
}

// GetIntegrationByClientToken implements store.Reader.
func (c *conn) GetIntegrationByClientToken(ctx context.Context, clientToken string) (domain.Integration, error) {
	return getOne(ctx, c, "get integration by client token",
		`SELECT `+integrationColumns+` FROM pa_integration WHERE client_token = $1`, scanIntegration, clientToken)
}

// ListIntegrations implements store.Reader.
func (c *conn) ListIntegrations(ctx context.Context) ([]domain.Integration, error) {
	return list(ctx, c, "list integrations",
		`SELECT `+integrationColumns+` FROM pa_integration ORDER BY name, id`, scanIntegration)
}

// ListIntegrationApplications implements store.Reader.
func (c *conn) ListIntegrationApplications(ctx context.Context, integrationID string) ([]int64, error) {
	return list(ctx, c, "list integration applications",
		`SELECT application_id FROM pa_integration_application WHERE integration_id = $1 ORDER BY application_id`,
		func(s scanner) (int64, error) {
			var id int64
			err := s.Scan(&id)
			return id, err
		}, integrationID)
}

// CreateIntegration implements store.Tx.
func (c *conn) CreateIntegration(ctx context.Context, i *domain.Integration) error {
	return c.insertOne(ctx, "create integration",
		`INSERT INTO pa_integration (id, name, client_token, client_secret, role) VALUES ($1, $2, $3, $4, $5)
		 ON CONFLICT DO NOTHING`, i.ID, i.Name, i.ClientToken, i.ClientSecret, string(i.Role))
}

// UpdateIntegration implements store.Tx.
func (c *conn) UpdateIntegration(ctx context.Context, i *domain.Integration) error {
	return c.execOne(ctx, "update integration",
		`UPDATE pa_integration SET name = $2, client_token = $3, client_secret = $4, role = $5 WHERE id = $1`,
		i.ID, i.Name, i.ClientToken, i.ClientSecret, string(i.Role))
}

// ReplaceIntegrationSecret implements store.Tx.
func (c *conn) ReplaceIntegrationSecret(ctx context.Context, id, from, to string) error {
	return c.execOne(ctx, "replace integration secret",
		`UPDATE pa_integration SET client_secret = $3 WHERE id = $1 AND client_secret = $2`, id, from, to)
}

// DeleteIntegration implements store.Tx.
func (c *conn) DeleteIntegration(ctx context.Context, id string) error {
	return c.execOne(ctx, "delete integration", `DELETE FROM pa_integration WHERE id = $1`, id)
}

// GrantIntegrationApplication implements store.Tx.
func (c *conn) GrantIntegrationApplication(ctx context.Context, integrationID string, applicationID int64) error {
	_, err := c.execN(ctx, "grant integration application",
		`INSERT INTO pa_integration_application (integration_id, application_id) VALUES ($1, $2) ON CONFLICT DO NOTHING`,
		integrationID, applicationID)
	return err
}

// RevokeIntegrationApplication implements store.Tx.
func (c *conn) RevokeIntegrationApplication(ctx context.Context, integrationID string, applicationID int64) error {
	return c.execOne(ctx, "revoke integration application",
		`DELETE FROM pa_integration_application WHERE integration_id = $1 AND application_id = $2`,
		integrationID, applicationID)
}
