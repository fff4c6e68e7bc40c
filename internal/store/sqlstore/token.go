package sqlstore

import (
	"context"

	"github.com/mauth/mauth/internal/domain"
)

const tokenColumns = `token_id, token_secret, activation_id, signature_type, timestamp_created`

func scanToken(s scanner) (domain.Token, error) {
	var t domain.Token
	var secret []byte
	var created int64
	if err := s.Scan(&t.ID, &secret, &t.ActivationID, &t.SignatureType, &created); err != nil {
		return t, err
	}
	t.Secret, t.Created = fromBlob(secret), fromMillis(created)
	return t, nil
}

// GetToken implements store.Reader.
func (c *conn) GetToken(ctx context.Context, tokenID string) (domain.Token, error) {
	return getOne(ctx, c, "get token", `SELECT `+tokenColumns+` FROM pa_token WHERE token_id = $1`, scanToken, tokenID)
}

// ListTokens implements store.Reader.
func (c *conn) ListTokens(ctx context.Context, activationID string) ([]domain.Token, error) {
	return list(ctx, c, "list tokens",
		`SELECT `+tokenColumns+` FROM pa_token WHERE activation_id = $1 ORDER BY timestamp_created, token_id`,
		scanToken, activationID)
}

// CreateToken implements store.Tx.
func (c *conn) CreateToken(ctx context.Context, t *domain.Token) error {
	return c.insertOne(ctx, "create token",
		`INSERT INTO pa_token (token_id, token_secret, activation_id, signature_type, timestamp_created)
		 VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING`,
		t.ID, blob(t.Secret), t.ActivationID, t.SignatureType, millis(t.Created))
}

// DeleteToken implements store.Tx.
func (c *conn) DeleteToken(ctx context.Context, tokenID string) error {
	return c.execOne(ctx, "delete token", `DELETE FROM pa_token WHERE token_id = $1`, tokenID)
}

// DeleteTokensByActivation implements store.Tx.
func (c *conn) DeleteTokensByActivation(ctx context.Context, activationID string) (int64, error) {
	return c.execN(ctx, "delete tokens by activation", `DELETE FROM pa_token WHERE activation_id = $1`, activationID)
}
