package config

import (
	"errors"
	"testing"
	"time"

	"github.com/mauth/mauth/internal/service"
)

func TestSignatureCacheKeys(t *testing.T) {
	tests := []struct {
		name     string
		env      map[string]string
		wantSize int
		wantTTL  time.Duration
		wantKey  string // a validation error naming this key
	}{
		{name: "defaults are on", wantSize: service.DefaultKeyCacheSize, wantTTL: service.DefaultApplicationCacheTTL},
		{name: "environment overrides", env: map[string]string{
			"MAUTH_SERVICE_KEY_CACHE_SIZE": "50", "MAUTH_SERVICE_APPLICATION_CACHE_TTL": "250ms",
		}, wantSize: 50, wantTTL: 250 * time.Millisecond},
		{name: "zero disables", env: map[string]string{
			"MAUTH_SERVICE_KEY_CACHE_SIZE": "0", "MAUTH_SERVICE_APPLICATION_CACHE_TTL": "0s",
		}, wantSize: -1, wantTTL: -1},
		{name: "negative size", env: map[string]string{"MAUTH_SERVICE_KEY_CACHE_SIZE": "-1"}, wantKey: "service.key_cache_size"},
		{name: "negative TTL", env: map[string]string{"MAUTH_SERVICE_APPLICATION_CACHE_TTL": "-1s"}, wantKey: "service.application_cache_ttl"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := Load("", env(tt.env))
			if err != nil {
				t.Fatal(err)
			}
			err = c.Validate()
			if tt.wantKey != "" {
				var ke *KeyError
				if !errors.As(err, &ke) || ke.Key != tt.wantKey {
					t.Fatalf("Validate: %v, want an error naming %s", err, tt.wantKey)
				}
				return
			}
			if err != nil {
				t.Fatalf("Validate: %v", err)
			}
			ac, err := c.App()
			if err != nil {
				t.Fatal(err)
			}
			if ac.Service.KeyCacheSize != tt.wantSize || ac.Service.ApplicationCacheTTL != tt.wantTTL {
				t.Fatalf("service caches: size %d, TTL %v; want %d, %v",
					ac.Service.KeyCacheSize, ac.Service.ApplicationCacheTTL, tt.wantSize, tt.wantTTL)
			}
		})
	}
}
