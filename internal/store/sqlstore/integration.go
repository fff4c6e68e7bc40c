package sqlstore

import (
	"context"

	"github.com/mauth/mauth/internal/domain"
)

const integrationColumns = `id, name, client_token, client_secret`

func scanIntegration(s scanner) (domain.Integration, error) {
	var i domain.Integration
	err := s.Scan(&i.ID, &i.Name, &i.ClientToken, &i.ClientSecret)
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

// CreateIntegration implements store.Tx.
func (c *conn) CreateIntegration(ctx context.Context, i *domain.Integration) error {
	return c.insertOne(ctx, "create integration",
		`INSERT INTO pa_integration (id, name, client_token, client_secret) VALUES ($1, $2, $3, $4)
		 ON CONFLICT DO NOTHING`, i.ID, i.Name, i.ClientToken, i.ClientSecret)
}

// UpdateIntegration implements store.Tx.
func (c *conn) UpdateIntegration(ctx context.Context, i *domain.Integration) error {
	return c.execOne(ctx, "update integration",
		`UPDATE pa_integration SET name = $2, client_token = $3, client_secret = $4 WHERE id = $1`,
		i.ID, i.Name, i.ClientToken, i.ClientSecret)
}

// DeleteIntegration implements store.Tx.
func (c *conn) DeleteIntegration(ctx context.Context, id string) error {
	return c.execOne(ctx, "delete integration", `DELETE FROM pa_integration WHERE id = $1`, id)
}
