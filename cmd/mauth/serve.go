package main

import (
	"log/slog"
	"os"

	"github.com/spf13/cobra"

	"github.com/mauth/mauth/internal/app"
)

// serverFlags binds the flags shared by serve and migrate to a config.
func serverFlags(cmd *cobra.Command, cfg *app.Config) {
	f := cmd.Flags()
	f.StringVar(&cfg.DataDir, "data-dir", cfg.DataDir, "folder of the embedded database and the generated server key")
	f.StringVar(&cfg.DatabaseURL, "database", cfg.DatabaseURL, "database: empty for the embedded SQLite file in --data-dir, sqlite:PATH, or postgres://… (env MAUTH_DATABASE)")
	f.StringVar(&cfg.ServerKeyFile, "server-key-file", cfg.ServerKeyFile, "file holding the Base64 server key that encrypts private keys at rest (default DATA-DIR/server.key; env MAUTH_SERVER_KEY holds the key itself)")
}

// Environment variables of `mauth serve`.
const (
	envPublicAddr       = "MAUTH_PUBLIC_ADDR"
	envPrivateAddr      = "MAUTH_PRIVATE_ADDR"
	envCoreURL          = "MAUTH_CORE_URL"
	envCoreClientToken  = "MAUTH_CORE_CLIENT_TOKEN"
	envCoreClientSecret = "MAUTH_CORE_CLIENT_SECRET"
	envIdPAuth          = "MAUTH_IDP_AUTH"
)

func newServeCommand() *cobra.Command {
	cfg := app.DefaultConfig()
	var noAuth bool
	var configPath string
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Run the mauth server (public and private APIs)",
		Long: `Run the mauth server. With no flags it uses the embedded SQLite database in
./data (created on first start, together with the server key that encrypts
private keys at rest), serves the public API on :8080 and the private API on
127.0.0.1:8081, and prints the private API credentials it creates on first start.

Roles (--role):
  all         the core server and the enrollment server in one process (default)
  core        only the core server: the private API on the database
  enrollment  only the public API for mobile devices, calling a core server's
              private API (--core-url) with integration credentials
              (--core-client-token/--core-client-secret); needs no database

Custom-credential activations need an identity provider: --idp-url (an HTTP
call-out to the bank's backend, with --idp-timeout and --idp-auth) or
--idp-static-file (a YAML or JSON user table, for demos).

Both listeners are bound before anything is created: on a busy port serve
exits without creating the data folder, the key or credentials. TLS (HTTP/2),
mutual TLS on the private listener and trusted reverse proxies are set in the
configuration file or environment (public.tls_*, private.tls_*,
public.trusted_proxies).

Every setting can come from a YAML file (--config, env MAUTH_CONFIG) and
from MAUTH_<SECTION>_<KEY> environment variables (see docs/configuration.md
and ` + "`mauth config check`" + `); flags override both.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			tuneGC()
			logger, err := loadServeConfig(cmd, &cfg, configPath, &noAuth)
			if err != nil {
				return err
			}
			cfg.Out = cmd.OutOrStdout()
			cfg.Logger = logger
			a, err := app.New(cmd.Context(), cfg)
			if err != nil {
				return err
			}
			defer a.Close()
			return a.Run(cmd.Context())
		},
	}
	serverFlags(cmd, &cfg)
	f := cmd.Flags()
	configFlag(cmd, &configPath)
	f.StringVar(&cfg.Role, "role", cfg.Role, "what this process serves: all, core or enrollment")
	f.StringVar(&cfg.PublicAddr, "public-addr", cfg.PublicAddr, "listen address of the public (mobile) API (env "+envPublicAddr+")")
	f.StringVar(&cfg.PrivateAddr, "private-addr", cfg.PrivateAddr, "listen address of the private (back-office) API; keep it off public networks (env "+envPrivateAddr+")")
	f.BoolVar(&cfg.AutoMigrate, "migrate", cfg.AutoMigrate, "apply pending database migrations at start-up")
	f.BoolVar(&noAuth, "insecure-no-private-auth", false, "serve the private API without integration credentials (tests and local demos only; the private address must be loopback)")
	f.StringVar(&cfg.CoreURL, "core-url", cfg.CoreURL, "enrollment role: the core server's private API URL, e.g. http://core:8081 (env "+envCoreURL+")")
	f.StringVar(&cfg.CoreClientToken, "core-client-token", "", "enrollment role: integration client token for the core (env "+envCoreClientToken+")")
	f.StringVar(&cfg.CoreClientSecret, "core-client-secret", "", "enrollment role: integration client secret for the core (env "+envCoreClientSecret+"; prefer the environment)")
	f.DurationVar(&cfg.CoreTimeout, "core-timeout", 0, "enrollment role: timeout of each call to the core (default 10s)")
	f.StringVar(&cfg.IdentityProvider.URL, "idp-url", "", "identity provider for custom-credential activations: URL of the bank's backend that maps credentials to a user")
	f.DurationVar(&cfg.IdentityProvider.Timeout, "idp-timeout", 0, "timeout of each identity provider call (default 10s)")
	f.StringVar(&cfg.IdentityProvider.Auth, "idp-auth", "", `identity provider authentication: "basic:USER:PASSWORD" or "bearer:TOKEN" (env `+envIdPAuth+`; prefer the environment)`)
	f.StringVar(&cfg.IdentityProvider.StaticFile, "idp-static-file", "", "identity provider from a static YAML or JSON user file (demos)")
	return cmd
}

func newMigrateCommand() *cobra.Command {
	cfg := app.DefaultConfig()
	var configPath string
	cmd := &cobra.Command{
		Use:   "migrate",
		Short: "Apply pending database migrations",
		Long: `Apply pending database migrations and print how many were applied.

The database comes from the same settings as ` + "`mauth serve`" + `: the YAML file
(--config, env MAUTH_CONFIG), the MAUTH_<SECTION>_<KEY> environment variables
(database.url, database.password or database.password_file, server.data_dir)
and the flags, which override both. The server key is not needed.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if _, _, err := loadCommandConfig(cmd, &cfg, configPath); err != nil {
				return err
			}
			st, err := app.OpenStore(cmd.Context(), cfg, false)
			if err != nil {
				return err
			}
			defer st.Close()
			n, err := st.PendingMigrations(cmd.Context())
			if err != nil {
				return err
			}
			if err := st.Migrate(cmd.Context()); err != nil {
				return err
			}
			cmd.Printf("applied %d migration(s)\n", n)
			return nil
		},
	}
	serverFlags(cmd, &cfg)
	configFlag(cmd, &configPath)
	return cmd
}

// newLogger logs JSON when stderr is not a terminal, text otherwise.
func newLogger() *slog.Logger {
	if fi, err := os.Stderr.Stat(); err == nil && fi.Mode()&os.ModeCharDevice != 0 {
		return slog.New(slog.NewTextHandler(os.Stderr, nil))
	}
	return slog.New(slog.NewJSONHandler(os.Stderr, nil))
}
