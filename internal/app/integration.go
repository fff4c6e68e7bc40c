package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"

	"github.com/mauth/mauth/internal/domain"
	"github.com/mauth/mauth/internal/secretbox"
	"github.com/mauth/mauth/internal/service"
)

// upgradeIntegrationSecrets replaces the client secrets older servers
// sealed by their keyed hashes (see service.UpgradeIntegrationSecrets).
// A secret it cannot open is only reported: its integration keeps failing
// to authenticate as before, and the others work.
func upgradeIntegrationSecrets(ctx context.Context, svc *service.Service, log *slog.Logger) {
	n, err := svc.UpgradeIntegrationSecrets(ctx)
	if n > 0 {
		log.InfoContext(ctx, "integration client secrets are now stored as hashes", "count", n)
	}
	if err != nil {
		log.WarnContext(ctx, "some integration client secrets cannot be upgraded to hashes (wrong server key?)", "error", err)
	}
}

// RecoveryActor names who created an integration with RecoverAdmin in the
// audit log.
const RecoveryActor = "cli:integration recover"

// RecoverAdmin creates an ADMIN integration named name directly in the
// database described by c, with the server key of c, and returns it with
// its secret. It is the way back in when every administrator credential is
// lost: it needs what the server itself needs (database access and the
// server key), not a credential. It never creates a server key, refuses a
// database with pending migrations, and refuses a key that does not match
// the integrations already stored.
func RecoverAdmin(ctx context.Context, c Config, name string) (service.Integration, error) {
	svc, _, closeStore, err := openOffline(ctx, c)
	if err != nil {
		return service.Integration{}, err
	}
	defer closeStore()
	ctx = domain.WithRequestInfo(ctx, domain.RequestInfo{Actor: RecoveryActor})
	integ, err := svc.CreateIntegrationWith(ctx, service.IntegrationInput{Name: name, Role: domain.IntegrationAdmin})
	if err != nil {
		var se *service.Error
		if errors.As(err, &se) {
			return service.Integration{}, fmt.Errorf("%s", se.Message)
		}
		return service.Integration{}, err
	}
	return integ, nil
}

// openOffline opens the database and the core service of c for a command
// that works without the server (the server may run meanwhile). It never
// creates a server key or a database, refuses a database with pending
// migrations, and refuses a key that does not match the secrets stored.
func openOffline(ctx context.Context, c Config) (*service.Service, *secretbox.Box, func(), error) {
	if c.ServerKey == "" {
		path := c.ServerKeyFile
		if path == "" {
			path = filepath.Join(c.DataDir, "server.key")
		}
		if _, err := os.Stat(path); err != nil {
			return nil, nil, nil, fmt.Errorf("no server key: the key file %s cannot be read (%w); give the key the server uses (--server-key-file or MAUTH_SERVER_KEY)", path, err)
		}
	}
	if c.embedded() {
		// Do not create an empty database next to a wrong --data-dir.
		path := strings.TrimPrefix(c.DatabaseURL, "sqlite:")
		if path == "" {
			path = filepath.Join(c.DataDir, "mauth.db")
		}
		if _, err := os.Stat(path); err != nil {
			return nil, nil, nil, fmt.Errorf("no database: %w", err)
		}
	}
	box, _, err := loadServerKey(c)
	if err != nil {
		return nil, nil, nil, err
	}
	st, err := OpenStore(ctx, c, false)
	if err != nil {
		return nil, nil, nil, err
	}
	closeStore := func() { _ = st.Close() }
	n, err := st.PendingMigrations(ctx)
	if err != nil {
		closeStore()
		return nil, nil, nil, fmt.Errorf("check migrations: %w", err)
	}
	if n > 0 {
		closeStore()
		return nil, nil, nil, fmt.Errorf("%d database migrations are pending: run `mauth migrate` first", n)
	}
	svc, err := service.New(st, box, c.Service)
	if err != nil {
		closeStore()
		return nil, nil, nil, err
	}
	if err := svc.CheckServerKey(ctx); err != nil {
		closeStore()
		return nil, nil, nil, err
	}
	return svc, box, closeStore, nil
}
