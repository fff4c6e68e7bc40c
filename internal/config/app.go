package config

import (
	"net/url"
	"strings"
	"time"

	"github.com/mauth/mauth/internal/app"
	"github.com/mauth/mauth/internal/coreclient"
	"github.com/mauth/mauth/internal/netguard"
	"github.com/mauth/mauth/internal/service"
)

// App converts the configuration to the app's settings (Logger and Out are
// left for the caller). It does not validate: call Validate before and
// app.Config.Validate after any further overrides.
func (c Config) App() (app.Config, error) {
	dbURL := c.Database.URL
	if c.Database.Password != "" && (strings.HasPrefix(dbURL, "postgres://") || strings.HasPrefix(dbURL, "postgresql://")) {
		u, err := url.Parse(dbURL)
		if err != nil {
			return app.Config{}, &KeyError{Key: "database.url", Reason: "not a valid URL"}
		}
		user := "postgres"
		if u.User != nil && u.User.Username() != "" {
			user = u.User.Username()
		}
		u.User = url.UserPassword(user, c.Database.Password)
		dbURL = u.String()
	}
	trusted, err := app.ParseTrustedProxies(c.Public.TrustedProxies)
	if err != nil {
		return app.Config{}, &KeyError{Key: "public.trusted_proxies", Reason: err.Error()}
	}
	s := c.Service
	out := app.Config{
		Role:                c.Server.Role,
		DataDir:             c.Server.DataDir,
		DatabaseURL:         dbURL,
		SQLiteSynchronous:   c.Database.SQLiteSynchronous,
		SQLiteSingleCommits: !c.Database.SQLiteGroupCommit,
		PublicAddr:          c.Public.Addr,
		PrivateAddr:         c.Private.Addr,
		PublicTLS:           app.TLSConfig{CertFile: c.Public.TLSCertFile, KeyFile: c.Public.TLSKeyFile},
		PrivateTLS:          app.TLSConfig{CertFile: c.Private.TLSCertFile, KeyFile: c.Private.TLSKeyFile, ClientCAFile: c.Private.TLSClientCAFile},
		Proxies:             app.ProxyConfig{Trusted: trusted, Header: c.Public.ClientIPHeader},
		ServerKey:           c.Server.Key,
		ServerKeyFile:       c.Server.KeyFile,
		RestrictAccess:      c.Private.RestrictAccess,
		Console:             app.ConsoleOptions{IdleTimeout: c.Private.ConsoleIdleTimeout, AbsoluteTimeout: c.Private.ConsoleAbsoluteTimeout},
		AutoMigrate:         c.Database.Migrate,
		Service: service.Config{
			ActivationValidity:              s.ActivationValidity,
			SignatureMaxFailedAttempts:      s.SignatureMaxFailedAttempts,
			SignatureLookAhead:              s.SignatureLookAhead,
			OfflineSignatureComponentLength: s.OfflineSignatureComponentLength,
			TokenTimestampValidity:          s.TokenTimestampValidity,
			TokenTimestampForwardValidity:   s.TokenTimestampForwardValidity,
			EciesMaxAge:                     s.EciesMaxAge,
			EciesMaxFuture:                  s.EciesMaxFuture,
			TemporaryKeyValidity:            s.TemporaryKeyValidity,
			RecoveryMaxFailedAttempts:       s.RecoveryMaxFailedAttempts,
			VaultUnlockAllowBiometry:        s.VaultUnlockAllowBiometry,
			RecoveryPUKHashMemoryKiB:        s.RecoveryPUKHashMemoryKiB,
			KeyCacheSize:                    offWhenZero(s.KeyCacheSize),
			ApplicationCacheTTL:             offWhenZeroDuration(s.ApplicationCacheTTL),
			LegacyProtocolVersionInference:  s.LegacyProtocolVersionInference,
		},
		CoreURL:          c.Core.URL,
		CoreClientToken:  c.Core.ClientToken,
		CoreClientSecret: c.Core.ClientSecret,
		CoreTimeout:      c.Core.Timeout,
		CoreTLS:          coreclient.TLSFiles{CAFile: c.Core.TLSCAFile, CertFile: c.Core.TLSCertFile, KeyFile: c.Core.TLSKeyFile},
		RateLimit: app.RateLimitConfig{
			PerIP:              offWhenZero(c.Public.RateLimitPerIP),
			PerIPBurst:         c.Public.RateLimitPerIPBurst,
			PerActivation:      offWhenZero(c.Public.RateLimitPerActivation),
			PerActivationBurst: c.Public.RateLimitPerActivationBurst,
		},
		Environment:                 c.Server.Environment,
		TestServer:                  app.TestServerConfig{Enabled: c.TestServer.Enabled, PublicURL: c.TestServer.PublicURL},
		CallbackAllowedDestinations: netguard.ParseList(c.Callbacks.AllowedDestinations),
		Cloud: app.CloudConfig{
			Disabled:       !c.Cloud.Enabled,
			ServiceBaseURL: c.Cloud.ServiceBaseURL,
			TokenAudience:  c.Cloud.TokenAudience,
			TokenLifetime:  c.Cloud.TokenLifetime,
		},
		MobileUtilityVersionCheckDisabled: c.MobileUtility.VersionCheckDisabled,
		Devices:                           app.DevicesConfig{NotifyNewDeviceDisabled: !c.Devices.NotifyNewDevice, ActivityPeriod: c.Devices.ActivityPeriod},
		Push: app.PushConfig{
			APNsEnvironment: c.Push.APNsEnvironment, APNsDevelopmentURL: c.Push.APNsDevelopmentURL,
			APNsProductionURL: c.Push.APNsProductionURL, FCMURL: c.Push.FCMURL, FCMTokenURL: c.Push.FCMTokenURL,
			FCMDataOnly: c.Push.FCMDataOnly, HMSURL: c.Push.HMSURL, HMSTokenURL: c.Push.HMSTokenURL, CAFile: c.Push.CAFile,
			Workers: c.Push.Workers, BatchSize: c.Push.BatchSize,
		},
		Audit: app.AuditConfig{
			CheckpointInterval: c.Audit.CheckpointInterval,
			VerifyInterval:     c.Audit.VerifyInterval,
			CheckpointURL:      c.Audit.CheckpointURL,
			PublicKeyFile:      c.Audit.PublicKeyFile,
		},
		IdentityProvider: app.IdentityProviderConfig{
			URL:        c.IdP.URL,
			Timeout:    c.IdP.Timeout,
			Auth:       c.IdP.Auth,
			StaticFile: c.IdP.StaticFile,
		},
	}
	return out, nil
}

// offWhenZero maps a configuration rate or size (0: off) to the app's or
// service's (negative: off).
func offWhenZero(n int) int {
	if n == 0 {
		return -1
	}
	return n
}

// offWhenZeroDuration is offWhenZero for durations.
func offWhenZeroDuration(d time.Duration) time.Duration {
	if d == 0 {
		return -1
	}
	return d
}
