package main

import (
	"fmt"
	"log/slog"
	"os"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/mauth/mauth/internal/api/render"
	"github.com/mauth/mauth/internal/app"
	"github.com/mauth/mauth/internal/config"
)

// envConfig names the configuration file when --config is not given.
const envConfig = "MAUTH_CONFIG"

// configFlag binds --config.
func configFlag(cmd *cobra.Command, path *string) {
	cmd.Flags().StringVar(path, "config", "", "YAML configuration file (env "+envConfig+"); environment variables MAUTH_<SECTION>_<KEY> override it, flags override both")
}

// configPathOr returns path, or $MAUTH_CONFIG when path is empty.
func configPathOr(path string) string {
	if path == "" {
		return os.Getenv(envConfig)
	}
	return path
}

// loadConfig loads and validates the file at path (or $MAUTH_CONFIG) with
// the environment overrides.
func loadConfig(path string) (config.Config, error) {
	c, err := config.LoadFile(configPathOr(path))
	if err != nil {
		return c, err
	}
	if err := c.Validate(); err != nil {
		return c, fmt.Errorf("invalid configuration: %w", err)
	}
	return c, nil
}

// loadCommandConfig replaces *cfg by the configuration (defaults, the
// file at path or $MAUTH_CONFIG, environment) and re-applies the flags the
// user set, so that flags win. It returns the loaded configuration and the
// names of the flags set.
func loadCommandConfig(cmd *cobra.Command, cfg *app.Config, path string) (config.Config, map[string]bool, error) {
	changed := map[string]string{}
	cmd.Flags().Visit(func(f *pflag.Flag) { changed[f.Name] = f.Value.String() })
	c, err := loadConfig(path)
	if err != nil {
		return c, nil, err
	}
	ac, err := c.App()
	if err != nil {
		return c, nil, err
	}
	*cfg = ac // the flags are bound to cfg's fields: set them again below
	set := make(map[string]bool, len(changed))
	for name, v := range changed {
		if err := cmd.Flags().Set(name, v); err != nil {
			return c, nil, fmt.Errorf("flag --%s: %w", name, err)
		}
		set[name] = true
	}
	return c, set, nil
}

// loadServeConfig is loadCommandConfig for `mauth serve`; it returns the
// logger the configuration asks for.
func loadServeConfig(cmd *cobra.Command, cfg *app.Config, path string, noAuth *bool) (*slog.Logger, error) {
	c, set, err := loadCommandConfig(cmd, cfg, path)
	if err != nil {
		return nil, err
	}
	if set["insecure-no-private-auth"] {
		cfg.RestrictAccess = !*noAuth
	}
	return newConfigLogger(c.Log), nil
}

// newConfigLogger builds the process logger: JSON unless the format is
// text (or auto on a terminal), at the configured level, with the request
// id of the context on every line.
func newConfigLogger(l config.Log) *slog.Logger {
	var level slog.Level
	_ = level.UnmarshalText([]byte(l.Level))
	opts := &slog.HandlerOptions{Level: level}
	text := l.Format == "text"
	if l.Format == "auto" {
		if fi, err := os.Stderr.Stat(); err == nil && fi.Mode()&os.ModeCharDevice != 0 {
			text = true
		}
	}
	var h slog.Handler = slog.NewJSONHandler(os.Stderr, opts)
	if text {
		h = slog.NewTextHandler(os.Stderr, opts)
	}
	return slog.New(render.LogHandler(h))
}

func newConfigCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "config",
		Short: "Inspect the configuration",
	}
	var path string
	check := &cobra.Command{
		Use:   "check",
		Short: "Validate a configuration file and print the effective configuration (secrets masked)",
		Long: `Load the configuration file (--config or env MAUTH_CONFIG; none means the
defaults), apply the MAUTH_<SECTION>_<KEY> environment variables and the
*_file secrets, validate everything and print the effective configuration as
YAML with secrets masked. A bad file exits non-zero with a message naming the key.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := loadConfig(path)
			if err != nil {
				return err
			}
			ac, err := c.App()
			if err != nil {
				return err
			}
			if err := ac.Validate(); err != nil {
				return fmt.Errorf("invalid configuration: %w", err)
			}
			fmt.Fprint(cmd.OutOrStdout(), c.Effective())
			return nil
		},
	}
	configFlag(check, &path)
	cmd.AddCommand(check)
	return cmd
}
