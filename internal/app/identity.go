package app

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/mauth/mauth/internal/idp"
)

// IdentityProviderConfig selects the identity provider of custom-credential
// activations: an HTTP call-out to the bank's backend (URL) or a static user
// file (StaticFile). Without either, such activations are refused.
type IdentityProviderConfig struct {
	// URL receives the identity attributes as a JSON POST.
	URL string
	// Timeout bounds one call to URL (0: the provider's default).
	Timeout time.Duration
	// Auth authenticates the calls to URL: "basic:USER:PASSWORD" or
	// "bearer:TOKEN"; empty for none.
	Auth string
	// StaticFile is a YAML or JSON user table (demos).
	StaticFile string
}

// configured reports whether any identity provider setting is present.
func (c IdentityProviderConfig) configured() bool {
	return c.URL != "" || c.StaticFile != "" || c.Auth != "" || c.Timeout != 0
}

// validate checks the settings without reading files or the network.
func (c IdentityProviderConfig) validate() error {
	if c.URL != "" && c.StaticFile != "" {
		return errors.New("choose one identity provider: an HTTP URL or a static user file, not both")
	}
	if c.URL == "" && (c.Auth != "" || c.Timeout != 0) {
		return errors.New("the identity provider timeout and authentication need the identity provider URL")
	}
	if c.Timeout < 0 {
		return errors.New("the identity provider timeout must not be negative")
	}
	if _, err := parseIdPAuth(c.Auth); err != nil {
		return err
	}
	return nil
}

// parseIdPAuth splits "basic:USER:PASSWORD" or "bearer:TOKEN" into the
// HTTP provider's settings. Errors never repeat the value (it is a secret).
func parseIdPAuth(auth string) (idp.HTTPConfig, error) {
	var out idp.HTTPConfig
	if auth == "" {
		return out, nil
	}
	kind, rest, _ := strings.Cut(auth, ":")
	switch strings.ToLower(kind) {
	case "basic":
		user, pass, ok := strings.Cut(rest, ":")
		if !ok || user == "" {
			return out, errors.New(`identity provider authentication must look like "basic:USER:PASSWORD"`)
		}
		out.BasicUsername, out.BasicPassword = user, pass
	case "bearer":
		if rest == "" {
			return out, errors.New(`identity provider authentication must look like "bearer:TOKEN"`)
		}
		out.BearerToken = rest
	default:
		return out, errors.New(`identity provider authentication must be "basic:USER:PASSWORD" or "bearer:TOKEN"`)
	}
	return out, nil
}

// provider builds the configured identity provider; nil when none is.
func (c IdentityProviderConfig) provider() (idp.Provider, error) {
	switch {
	case c.URL != "":
		hc, err := parseIdPAuth(c.Auth)
		if err != nil {
			return nil, err
		}
		hc.URL, hc.Timeout = c.URL, c.Timeout
		p, err := idp.NewHTTP(hc)
		if err != nil {
			return nil, err
		}
		return p, nil
	case c.StaticFile != "":
		p, err := idp.LoadStatic(c.StaticFile)
		if err != nil {
			return nil, err
		}
		return p, nil
	}
	return nil, nil
}

// describe names the provider for the operator, without credentials.
func (c IdentityProviderConfig) describe() string {
	switch {
	case c.URL != "":
		return fmt.Sprintf("HTTP call-out to %s", c.URL)
	case c.StaticFile != "":
		return fmt.Sprintf("static user file %s", c.StaticFile)
	}
	return ""
}
