package service

import (
	"bytes"
	"context"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"

	"github.com/google/uuid"

	"github.com/mauth/mauth/internal/domain"
	"github.com/mauth/mauth/internal/store"
)

// Application configuration keys accepted by CreateApplicationConfig.
const (
	// ConfigKeyFido2AttestationFormats lists the allowed FIDO2 attestation
	// formats (unset: all are allowed).
	ConfigKeyFido2AttestationFormats = "fido2_attestation_fmt_allowed"
	// ConfigKeyFido2AAGUIDs lists the allowed FIDO2 authenticator AAGUIDs
	// (unset: all are allowed).
	ConfigKeyFido2AAGUIDs = "fido2_aaguids_allowed"
	// ConfigKeyFido2RootCACerts lists trusted root CA certificates (PEM)
	// for FIDO2 attestation.
	ConfigKeyFido2RootCACerts = "fido2_root_ca_certs"
	// ConfigKeyOAuth2Providers lists the OpenID Connect providers used for
	// OIDC activation; each value is an object (see OAuth2Provider fields).
	ConfigKeyOAuth2Providers = "oauth2_providers"
)

// maxConfigValues bounds the number of values of one configuration key.
const maxConfigValues = 1000

// oauth2 provider fields, as in the configuration JSON.
var (
	oauth2RequiredFields = []string{"providerId", "clientId", "clientSecret", "issuerUri", "redirectUri"}
	oauth2OptionalString = []string{"clientAuthenticationMethod", "authorizeUri", "tokenUri", "jwkSetUri", "scopes", "signatureAlgorithm"}
	oauth2HTTPURIFields  = []string{"issuerUri", "authorizeUri", "tokenUri", "jwkSetUri"}
	oauth2ClientAuth     = map[string]bool{
		"client_secret_basic": true, "client_secret_post": true, "client_secret_jwt": true,
		"private_key_jwt": true, "none": true, "tls_client_auth": true, "self_signed_tls_client_auth": true,
	}
)

// ApplicationConfigItem is one configuration key of an application with
// its values (JSON values, as given by the caller).
type ApplicationConfigItem struct {
	// Key is the configuration key.
	Key string
	// Values are the configuration values.
	Values []json.RawMessage
}

// appConfigContext binds sealed configuration values to their row.
func appConfigContext(applicationID int64, key string) string {
	return "pa_application_config.config_values:" + strconv.FormatInt(applicationID, 10) + ":" + key
}

// ValidateApplicationConfig checks that key is an accepted configuration
// key and that values are well formed for it. Failures are
// CodeInvalidRequest errors.
func ValidateApplicationConfig(key string, values []json.RawMessage) error {
	var check func(i int, v json.RawMessage) error
	switch key {
	case ConfigKeyFido2AttestationFormats:
		check = func(i int, v json.RawMessage) error {
			_, err := configString(i, v)
			return err
		}
	case ConfigKeyFido2AAGUIDs:
		check = func(i int, v json.RawMessage) error {
			s, err := configString(i, v)
			if err != nil {
				return err
			}
			if _, err := uuid.Parse(s); err != nil {
				return Errorf(CodeInvalidRequest, "values[%d] - must be an AAGUID (UUID)", i)
			}
			return nil
		}
	case ConfigKeyFido2RootCACerts:
		check = func(i int, v json.RawMessage) error {
			s, err := configString(i, v)
			if err != nil {
				return err
			}
			return checkPEMCertificates(i, s)
		}
	case ConfigKeyOAuth2Providers:
		seen := map[string]bool{}
		check = func(i int, v json.RawMessage) error {
			id, err := checkOAuth2Provider(i, v)
			if err != nil {
				return err
			}
			if seen[id] {
				return Errorf(CodeInvalidRequest, "values[%d].providerId - duplicate provider %q", i, id)
			}
			seen[id] = true
			return nil
		}
	default:
		return Errorf(CodeInvalidRequest, "key - unsupported configuration key")
	}
	if len(values) > maxConfigValues {
		return Errorf(CodeInvalidRequest, "values - at most %d values are allowed", maxConfigValues)
	}
	for i, v := range values {
		if err := check(i, v); err != nil {
			return err
		}
	}
	return nil
}

// configString decodes a non-blank JSON string value.
func configString(i int, v json.RawMessage) (string, error) {
	var s string
	if err := json.Unmarshal(v, &s); err != nil {
		return "", Errorf(CodeInvalidRequest, "values[%d] - must be a string", i)
	}
	if strings.TrimSpace(s) == "" {
		return "", Errorf(CodeInvalidRequest, "values[%d] - must not be blank", i)
	}
	return s, nil
}

// checkPEMCertificates requires s to hold one or more PEM certificates and
// nothing else.
func checkPEMCertificates(i int, s string) error {
	rest := []byte(s)
	n := 0
	for {
		var block *pem.Block
		block, rest = pem.Decode(rest)
		if block == nil {
			break
		}
		if block.Type != "CERTIFICATE" {
			return Errorf(CodeInvalidRequest, "values[%d] - PEM block %q is not a certificate", i, block.Type)
		}
		if _, err := x509.ParseCertificate(block.Bytes); err != nil {
			return Errorf(CodeInvalidRequest, "values[%d] - certificate cannot be parsed", i)
		}
		n++
	}
	if n == 0 || len(bytes.TrimSpace(rest)) != 0 {
		return Errorf(CodeInvalidRequest, "values[%d] - must be PEM encoded certificates", i)
	}
	return nil
}

// checkOAuth2Provider validates one oauth2_providers entry and returns its
// providerId.
func checkOAuth2Provider(i int, v json.RawMessage) (string, error) {
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(v, &obj); err != nil || obj == nil {
		return "", Errorf(CodeInvalidRequest, "values[%d] - must be an object", i)
	}
	str := map[string]string{}
	for _, f := range oauth2RequiredFields {
		raw, ok := obj[f]
		var s string
		if !ok || json.Unmarshal(raw, &s) != nil || strings.TrimSpace(s) == "" {
			return "", Errorf(CodeInvalidRequest, "values[%d].%s - must not be blank", i, f)
		}
		str[f] = s
	}
	for _, f := range oauth2OptionalString {
		raw, ok := obj[f]
		if !ok || string(raw) == "null" {
			continue
		}
		var s string
		if json.Unmarshal(raw, &s) != nil {
			return "", Errorf(CodeInvalidRequest, "values[%d].%s - must be a string", i, f)
		}
		str[f] = s
	}
	if raw, ok := obj["pkceEnabled"]; ok && string(raw) != "null" {
		var b bool
		if json.Unmarshal(raw, &b) != nil {
			return "", Errorf(CodeInvalidRequest, "values[%d].pkceEnabled - must be a boolean", i)
		}
	}
	for _, f := range oauth2HTTPURIFields {
		if s := str[f]; s != "" && !isHTTPURL(s) {
			return "", Errorf(CodeInvalidRequest, "values[%d].%s - must be an absolute http(s) URL", i, f)
		}
	}
	if u, err := url.Parse(str["redirectUri"]); err != nil || u.Scheme == "" {
		return "", Errorf(CodeInvalidRequest, "values[%d].redirectUri - must be an absolute URI", i)
	}
	if m := str["clientAuthenticationMethod"]; m != "" && !oauth2ClientAuth[m] {
		return "", Errorf(CodeInvalidRequest, "values[%d].clientAuthenticationMethod - unsupported method", i)
	}
	return str["providerId"], nil
}

// isHTTPURL reports whether s is an absolute http or https URL with a host.
func isHTTPURL(s string) bool {
	u, err := url.Parse(s)
	if err != nil || u.Host == "" || u.Opaque != "" {
		return false
	}
	return u.Scheme == "http" || u.Scheme == "https"
}

// sealConfigValues encodes and encrypts the values of a configuration row.
func (s *Service) sealConfigValues(applicationID int64, key string, values []json.RawMessage) ([]byte, error) {
	if values == nil {
		values = []json.RawMessage{}
	}
	plain, err := json.Marshal(values)
	if err != nil {
		return nil, Wrap(CodeInvalidRequest, "values - must be valid JSON", err)
	}
	return s.box.Seal(plain, appConfigContext(applicationID, key)), nil
}

// openConfig decrypts the values of a configuration row.
func (s *Service) openConfig(c domain.ApplicationConfig) (ApplicationConfigItem, error) {
	plain, err := s.box.Open(c.Values, appConfigContext(c.ApplicationID, c.Key))
	if err != nil {
		return ApplicationConfigItem{}, fmt.Errorf("application config %d/%s: open values: %w", c.ApplicationID, c.Key, err)
	}
	var values []json.RawMessage
	if err := json.Unmarshal(plain, &values); err != nil {
		return ApplicationConfigItem{}, fmt.Errorf("application config %d/%s: decode values: %w", c.ApplicationID, c.Key, err)
	}
	if values == nil {
		values = []json.RawMessage{}
	}
	return ApplicationConfigItem{Key: c.Key, Values: values}, nil
}

// GetApplicationConfig returns all configuration keys of an application,
// ordered by key.
func (s *Service) GetApplicationConfig(ctx context.Context, applicationName string) ([]ApplicationConfigItem, error) {
	var out []ApplicationConfigItem
	err := s.store.View(ctx, func(r store.Reader) error {
		out = nil
		app, err := s.applicationByName(ctx, r, applicationName)
		if err != nil {
			return err
		}
		rows, err := r.ListApplicationConfigs(ctx, app.ID)
		if err != nil {
			return fmt.Errorf("list application configs: %w", err)
		}
		out = make([]ApplicationConfigItem, 0, len(rows))
		for _, row := range rows {
			item, err := s.openConfig(row)
			if err != nil {
				return err
			}
			out = append(out, item)
		}
		return nil
	})
	return out, err
}

// ApplicationConfigValues returns the values of one configuration key;
// found is false when the application does not have the key.
func (s *Service) ApplicationConfigValues(ctx context.Context, applicationName, key string) (values []json.RawMessage, found bool, err error) {
	err = s.store.View(ctx, func(r store.Reader) error {
		values, found = nil, false
		app, err := s.applicationByName(ctx, r, applicationName)
		if err != nil {
			return err
		}
		row, err := r.GetApplicationConfig(ctx, app.ID, key)
		if errors.Is(err, store.ErrNotFound) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("get application config: %w", err)
		}
		item, err := s.openConfig(row)
		if err != nil {
			return err
		}
		values, found = item.Values, true
		return nil
	})
	return values, found, err
}

// CreateApplicationConfig sets (creates or replaces) a configuration key of
// an application. Values are encrypted at rest.
func (s *Service) CreateApplicationConfig(ctx context.Context, applicationName, key string, values []json.RawMessage) (ApplicationConfigItem, error) {
	if err := ValidateApplicationConfig(key, values); err != nil {
		return ApplicationConfigItem{}, err
	}
	if values == nil {
		values = []json.RawMessage{}
	}
	err := s.store.InTx(ctx, func(tx store.Tx) error {
		app, err := s.applicationByName(ctx, tx, applicationName)
		if err != nil {
			return err
		}
		sealed, err := s.sealConfigValues(app.ID, key, values)
		if err != nil {
			return err
		}
		row := domain.ApplicationConfig{ApplicationID: app.ID, Key: key, Values: sealed}
		if err := tx.PutApplicationConfig(ctx, &row); err != nil {
			return fmt.Errorf("put application config: %w", err)
		}
		return nil
	})
	if err != nil {
		return ApplicationConfigItem{}, err
	}
	return ApplicationConfigItem{Key: key, Values: values}, nil
}

// RemoveApplicationConfig deletes a configuration key of an application;
// removing a key that is not set is not an error.
func (s *Service) RemoveApplicationConfig(ctx context.Context, applicationName, key string) error {
	if err := ValidateApplicationConfig(key, nil); err != nil {
		return err
	}
	return s.store.InTx(ctx, func(tx store.Tx) error {
		app, err := s.applicationByName(ctx, tx, applicationName)
		if err != nil {
			return err
		}
		err = tx.DeleteApplicationConfig(ctx, app.ID, key)
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			return fmt.Errorf("delete application config: %w", err)
		}
		return nil
	})
}
