package config

import (
	"errors"
	"testing"

	"github.com/mauth/mauth/internal/app"
)

func TestRateLimitKeys(t *testing.T) {
	tests := []struct {
		name    string
		env     map[string]string
		want    app.RateLimitConfig
		wantKey string // a validation error naming this key
	}{
		{name: "defaults are on", want: app.RateLimitConfig{
			PerIP: app.DefaultRateLimitPerIP, PerIPBurst: app.DefaultRateLimitPerIPBurst,
			PerActivation: app.DefaultRateLimitPerActivation, PerActivationBurst: app.DefaultRateLimitPerActivationBurst,
		}},
		{name: "environment overrides", env: map[string]string{
			"MAUTH_PUBLIC_RATE_LIMIT_PER_IP": "7", "MAUTH_PUBLIC_RATE_LIMIT_PER_IP_BURST": "9",
			"MAUTH_PUBLIC_RATE_LIMIT_PER_ACTIVATION": "3", "MAUTH_PUBLIC_RATE_LIMIT_PER_ACTIVATION_BURST": "4",
		}, want: app.RateLimitConfig{PerIP: 7, PerIPBurst: 9, PerActivation: 3, PerActivationBurst: 4}},
		{name: "zero disables", env: map[string]string{
			"MAUTH_PUBLIC_RATE_LIMIT_PER_IP": "0", "MAUTH_PUBLIC_RATE_LIMIT_PER_ACTIVATION": "0",
		}, want: app.RateLimitConfig{PerIP: -1, PerIPBurst: app.DefaultRateLimitPerIPBurst, PerActivation: -1, PerActivationBurst: app.DefaultRateLimitPerActivationBurst}},
		{name: "negative rate", env: map[string]string{"MAUTH_PUBLIC_RATE_LIMIT_PER_IP": "-1"}, wantKey: "public.rate_limit_per_ip"},
		{name: "negative burst", env: map[string]string{"MAUTH_PUBLIC_RATE_LIMIT_PER_ACTIVATION_BURST": "-2"}, wantKey: "public.rate_limit_per_activation_burst"},
		{name: "zero burst with the limit on", env: map[string]string{"MAUTH_PUBLIC_RATE_LIMIT_PER_IP_BURST": "0"}, wantKey: "public.rate_limit_per_ip_burst"},
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
			if ac.RateLimit != tt.want {
				t.Fatalf("app rate limits %+v, want %+v", ac.RateLimit, tt.want)
			}
		})
	}
}
