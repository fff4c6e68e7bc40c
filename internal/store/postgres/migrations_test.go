package postgres

import (
	"context"
	"io/fs"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/pressly/goose/v3"
	"github.com/stretchr/testify/require"

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
