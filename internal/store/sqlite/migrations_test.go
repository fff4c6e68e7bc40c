package sqlite

import (
	"context"
	"database/sql"
	"io/fs"
	"path/filepath"
	"testing"
	"time"

	"github.com/pressly/goose/v3"
	"github.com/stretchr/testify/require"
)

// TestMigrationsDownUp applies every migration, rolls all of them back and
// applies them again, so the Down sections are known to work.
func TestMigrationsDownUp(t *testing.T) {
	ctx := context.Background()
	db, err := sql.Open("sqlite", dsn(filepath.Join(t.TempDir(), "m.db"), Options{BusyTimeout: time.Second, Synchronous: "NORMAL"}, false))
	require.NoError(t, err)
	defer db.Close()
	sub, err := fs.Sub(migrationFiles, "migrations")
	require.NoError(t, err)
	p, err := goose.NewProvider(goose.DialectSQLite3, db, sub, goose.WithTableName(SchemaVersionTable), goose.WithDisableGlobalRegistry(true))
	require.NoError(t, err)

	up, err := p.Up(ctx)
	require.NoError(t, err)
	require.NotEmpty(t, up)
	_, err = p.DownTo(ctx, 0)
	require.NoError(t, err)
	var n int
	require.NoError(t, db.QueryRowContext(ctx, `SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name LIKE 'pa\_%' ESCAPE '\'`).Scan(&n))
	require.Zero(t, n, "down removes every table")
	again, err := p.Up(ctx)
	require.NoError(t, err)
	require.Len(t, again, len(up))
}
