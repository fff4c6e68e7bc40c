package config

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/mauth/mauth/internal/app"
	"github.com/mauth/mauth/internal/netguard"
)

// Validate checks every key on its own and the combinations; the first
// problem is returned as a *KeyError naming the key.
func (c Config) Validate() error {
	bad := func(key, format string, args ...any) error {
		return &KeyError{Key: key, Reason: fmt.Sprintf(format, args...)}
	}
	switch c.Server.Role {
	case "all", "core", "enrollment":
	default:
		return bad("server.role", "unknown role %q (use all, core or enrollment)", c.Server.Role)
	}
	core := c.Server.Role != "enrollment"
	public := c.Server.Role != "core"
	if lt := c.Cloud.TokenLifetime; lt != 0 && (lt < time.Minute || lt > 24*time.Hour) {
		return bad("cloud.token_lifetime", "must be 1m to 24h (0: 1h)")
	}
	if p := c.Devices.ActivityPeriod; p < time.Hour || p > 3660*24*time.Hour {
		return bad("devices.activity_period", "must be 1h to 3660 days")
	}
	if u := c.Cloud.ServiceBaseURL; u != "" && !strings.HasPrefix(u, "https://") && !strings.HasPrefix(u, "http://") {
		return bad("cloud.service_base_url", "must be an http(s) URL")
	}
	if core && strings.TrimSpace(c.Server.DataDir) == "" && c.Database.URL == "" {
		return bad("server.data_dir", "the embedded database needs a data folder")
	}
	if public {
		if err := checkAddr(c.Public.Addr); err != nil {
			return bad("public.addr", "%v", err)
		}
	}
	for _, l := range []struct {
		key      string
		rate     int
		burstKey string
		burst    int
	}{
		{"public.rate_limit_per_ip", c.Public.RateLimitPerIP, "public.rate_limit_per_ip_burst", c.Public.RateLimitPerIPBurst},
		{"public.rate_limit_per_activation", c.Public.RateLimitPerActivation, "public.rate_limit_per_activation_burst", c.Public.RateLimitPerActivationBurst},
	} {
		switch {
		case l.rate < 0:
			return bad(l.key, "must not be negative (0 disables the limit)")
		case l.burst < 0:
			return bad(l.burstKey, "must not be negative")
		case l.rate > 0 && l.burst < 1:
			return bad(l.burstKey, "must be at least 1 while %s is on", l.key)
		}
	}
	if public {
		if _, err := app.ParseTrustedProxies(c.Public.TrustedProxies); err != nil {
			return bad("public.trusted_proxies", "%v", err)
		}
		if err := (app.ProxyConfig{Header: c.Public.ClientIPHeader}).Validate(); err != nil {
			return bad("public.client_ip_header", "%v", err)
		}
		if err := checkPair("public.tls_cert_file", c.Public.TLSCertFile, "public.tls_key_file", c.Public.TLSKeyFile); err != nil {
			return err
		}
	}
	if core {
		if err := checkAddr(c.Private.Addr); err != nil {
			return bad("private.addr", "%v", err)
		}
		if !c.Private.RestrictAccess && !app.IsLoopbackAddr(c.Private.Addr) {
			return bad("private.restrict_access", "false (no authentication) is allowed only while private.addr is a loopback address such as 127.0.0.1:8081, not %q", c.Private.Addr)
		}
		if err := checkPair("private.tls_cert_file", c.Private.TLSCertFile, "private.tls_key_file", c.Private.TLSKeyFile); err != nil {
			return err
		}
		if f := c.Private.TLSClientCAFile; f != "" {
			if c.Private.TLSCertFile == "" {
				return bad("private.tls_client_ca_file", "mutual TLS needs private.tls_cert_file and private.tls_key_file")
			}
			if err := checkReadable(f); err != nil {
				return bad("private.tls_client_ca_file", "%v", err)
			}
		}
	}
	switch c.Database.SQLiteSynchronous {
	case "", "FULL", "NORMAL", "EXTRA":
	default:
		return bad("database.sqlite_synchronous", "must be FULL, NORMAL or EXTRA")
	}
	if u := c.Database.URL; u != "" {
		switch {
		case strings.HasPrefix(u, "sqlite:"):
			if c.Database.Password != "" {
				return bad("database.password", "only a PostgreSQL database takes a password")
			}
		case strings.HasPrefix(u, "postgres://"), strings.HasPrefix(u, "postgresql://"):
			if _, err := url.Parse(u); err != nil {
				return bad("database.url", "not a valid URL")
			}
		default:
			return bad("database.url", "unsupported database (use sqlite:PATH or postgres://…)")
		}
	} else if c.Database.Password != "" {
		return bad("database.password", "only a PostgreSQL database takes a password")
	}
	if c.Server.Role == "enrollment" {
		if c.Core.URL == "" {
			return bad("core.url", "the enrollment role needs the core's private API URL")
		}
		if (c.Core.ClientToken == "") != (c.Core.ClientSecret == "") {
			return bad("core.client_secret", "set both core.client_token and core.client_secret, or neither")
		}
	} else if c.Core.URL != "" || c.Core.ClientToken != "" || c.Core.ClientSecret != "" {
		return bad("core.url", "the core settings belong to the enrollment role only (server.role is %q)", c.Server.Role)
	}
	if c.Core.TLSCAFile != "" || c.Core.TLSCertFile != "" || c.Core.TLSKeyFile != "" {
		if c.Server.Role != "enrollment" {
			return bad("core.tls_ca_file", "the core settings belong to the enrollment role only (server.role is %q)", c.Server.Role)
		}
		if f := c.Core.TLSCAFile; f != "" {
			if err := checkReadable(f); err != nil {
				return bad("core.tls_ca_file", "%v", err)
			}
		}
		if err := checkPair("core.tls_cert_file", c.Core.TLSCertFile, "core.tls_key_file", c.Core.TLSKeyFile); err != nil {
			return err
		}
	}
	if c.Core.Timeout < 0 {
		return bad("core.timeout", "must not be negative")
	}
	if c.IdP.Timeout < 0 {
		return bad("idp.timeout", "must not be negative")
	}
	if c.IdP.URL != "" && c.IdP.StaticFile != "" {
		return bad("idp.static_file", "choose one identity provider: idp.url or idp.static_file")
	}
	if _, err := netguard.New(netguard.ParseList(c.Callbacks.AllowedDestinations), nil); err != nil {
		return bad("callbacks.allowed_destinations", "%v", strings.TrimPrefix(err.Error(), "netguard: "))
	}
	if c.Push.CAFile != "" {
		if err := checkReadable(c.Push.CAFile); err != nil {
			return bad("push.ca_file", "%v", err)
		}
	}
	if c.Push.Workers < 0 || c.Push.Workers > 4096 {
		return bad("push.workers", "%d is not between 0 and 4096", c.Push.Workers)
	}
	if c.Push.BatchSize < 0 || c.Push.BatchSize > 10000 {
		return bad("push.batch_size", "%d is not between 0 and 10000", c.Push.BatchSize)
	}
	switch c.Push.APNsEnvironment {
	case "", "development", "production":
	default:
		return bad("push.apns_environment", "unknown environment %q (use development or production)", c.Push.APNsEnvironment)
	}
	if c.Audit.CheckpointInterval < 0 {
		return bad("audit.checkpoint_interval", "must not be negative")
	}
	if c.Audit.VerifyInterval < 0 {
		return bad("audit.verify_interval", "must not be negative")
	}
	if u := c.Audit.CheckpointURL; u != "" {
		p, err := url.Parse(u)
		if err != nil || (p.Scheme != "http" && p.Scheme != "https") || p.Host == "" {
			return bad("audit.checkpoint_url", "must be an absolute http or https URL")
		}
	}
	switch c.Log.Format {
	case "auto", "json", "text":
	default:
		return bad("log.format", "unknown format %q (use auto, json or text)", c.Log.Format)
	}
	switch c.Log.Level {
	case "debug", "info", "warn", "error":
	default:
		return bad("log.level", "unknown level %q (use debug, info, warn or error)", c.Log.Level)
	}
	s := c.Service
	switch {
	case s.ActivationValidity <= 0:
		return bad("service.activation_validity", "must be positive")
	case s.SignatureMaxFailedAttempts < 1 || s.SignatureMaxFailedAttempts > 255:
		return bad("service.signature_max_failed_attempts", "must be between 1 and 255")
	case s.SignatureLookAhead < 1 || s.SignatureLookAhead > 255:
		return bad("service.signature_look_ahead", "must be between 1 and 255")
	case s.OfflineSignatureComponentLength < 4 || s.OfflineSignatureComponentLength > 8:
		return bad("service.offline_signature_component_length", "must be between 4 and 8")
	case s.TokenTimestampValidity <= 0:
		return bad("service.token_timestamp_validity", "must be positive")
	case s.TokenTimestampForwardValidity <= 0:
		return bad("service.token_timestamp_forward_validity", "must be positive")
	case s.EciesMaxAge <= 0:
		return bad("service.ecies_max_age", "must be positive")
	case s.EciesMaxFuture <= 0:
		return bad("service.ecies_max_future", "must be positive")
	case s.TemporaryKeyValidity <= 0:
		return bad("service.temporary_key_validity", "must be positive")
	case s.RecoveryMaxFailedAttempts < 1:
		return bad("service.recovery_max_failed_attempts", "must be at least 1")
	case s.RecoveryPUKHashMemoryKiB < 8:
		return bad("service.recovery_puk_hash_memory_kib", "must be at least 8")
	case s.KeyCacheSize < 0:
		return bad("service.key_cache_size", "must not be negative (0 disables the cache)")
	case s.ApplicationCacheTTL < 0:
		return bad("service.application_cache_ttl", "must not be negative (0 disables the cache)")
	}
	return nil
}

// checkPair checks a certificate and key file pair: both or neither, both readable.
func checkPair(certKey, cert, keyKey, key string) error {
	if (cert == "") != (key == "") {
		if cert == "" {
			return &KeyError{Key: certKey, Reason: "set it together with " + keyKey + " (both or neither)"}
		}
		return &KeyError{Key: keyKey, Reason: "set it together with " + certKey + " (both or neither)"}
	}
	if cert == "" {
		return nil
	}
	if err := checkReadable(cert); err != nil {
		return &KeyError{Key: certKey, Reason: err.Error()}
	}
	if err := checkReadable(key); err != nil {
		return &KeyError{Key: keyKey, Reason: err.Error()}
	}
	return nil
}

// checkReadable reports a file that cannot be opened for reading.
func checkReadable(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("cannot read the file: %v", err)
	}
	return f.Close()
}

// checkAddr accepts host:port listen addresses.
func checkAddr(a string) error {
	if strings.TrimSpace(a) == "" {
		return errors.New("a listen address is required (host:port)")
	}
	if _, _, err := net.SplitHostPort(a); err != nil {
		return fmt.Errorf("not a host:port listen address: %q", a)
	}
	return nil
}
