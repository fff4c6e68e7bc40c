package postgres

import (
	"context"
	"io/fs"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/pressly/goose/v3"
	"github.com/stretchr/testify/require"

	"github.com/mauth/mauth/internal/domain"
	"github.com/mauth/mauth/internal/testutil/pgtest"
)

// TestMigrationsDownUp applies every migration, rolls all of them back and
// applies them again, so the Down sections are known to work.
func TestMigrationsDownUp(t *testing.T) {
	ctx := context.Background()
	cfg, err := pgx.ParseConfig(pgtest.NewDatabase(t))
	require.NoError(t, err)
	db := stdlib.OpenDB(*cfg)
	defer db.Close()
	sub, err := fs.Sub(migrationFiles, "migrations")
	require.NoError(t, err)
	p, err := goose.NewProvider(goose.DialectPostgres, db, sub, goose.WithTableName(SchemaVersionTable), goose.WithDisableGlobalRegistry(true))
	require.NoError(t, err)

	up, err := p.Up(ctx)
	require.NoError(t, err)
	require.NotEmpty(t, up)
	_, err = p.DownTo(ctx, 0)
	require.NoError(t, err)
	var n int
	require.NoError(t, db.QueryRowContext(ctx, `SELECT count(*) FROM pg_tables WHERE schemaname = current_schema() AND tablename LIKE 'pa\_%'`).Scan(&n))
	require.Zero(t, n, "down removes every table")
	again, err := p.Up(ctx)
	require.NoError(t, err)
	require.Len(t, again, len(up))
}

// TestMigrationIntegrationRoles applies the migrations up to the one
// before 00006, stores an integration the way older servers did (no role,
// sealed secret), and then opens the store, which applies the rest: the
// integration becomes an ADMIN with its secret untouched and no grants, so
// its caller is not locked out.
func TestMigrationIntegrationRoles(t *testing.T) {
	ctx := context.Background()
	dsn := pgtest.NewDatabase(t)
	cfg, err := pgx.ParseConfig(dsn)
	require.NoError(t, err)
	db := stdlib.OpenDB(*cfg)
	sub, err := fs.Sub(migrationFiles, "migrations")
	require.NoError(t, err)
	p, err := goose.NewProvider(goose.DialectPostgres, db, sub, goose.WithTableName(SchemaVersionTable), goose.WithDisableGlobalRegistry(true))
	require.NoError(t, err)
	var before int64
	for _, src := range p.ListSources() {
		if src.Version < 6 {
			before = max(before, src.Version)
		}
	}
	_, err = p.UpTo(ctx, before)
	require.NoError(t, err)
	_, err = db.ExecContext(ctx, `INSERT INTO pa_integration (id, name, client_token, client_secret) VALUES ('i-1', 'old', 'token-1', 'c2VhbGVk')`)
	require.NoError(t, err)
	require.NoError(t, db.Close())

	st, err := Open(ctx, dsn, Options{Migrate: true})
	require.NoError(t, err)
	defer st.Close()
	got, err := st.GetIntegrationByClientToken(ctx, "token-1")
	require.NoError(t, err)
	require.Equal(t, domain.Integration{ID: "i-1", Name: "old", ClientToken: "token-1", ClientSecret: "c2VhbGVk", Role: domain.IntegrationAdmin}, got)
	apps, err := st.ListIntegrationApplications(ctx, "i-1")
	require.NoError(t, err)
	require.Empty(t, apps)
}
