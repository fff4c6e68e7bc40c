package config

import (
	"errors"
	"testing"
	"time"
)

// TestCloudSettings: the Cloud API is on by default, its settings reach
// the app from the environment, and bad values name their key.
func TestCloudSettings(t *testing.T) {
	c, err := Load("", env(nil))
	if err != nil {
		t.Fatal(err)
	}
	ac, err := c.App()
	if err != nil {
		t.Fatal(err)
	}
	if ac.Cloud.Disabled || ac.Cloud.TokenAudience != "" || ac.Cloud.TokenLifetime != 0 {
		t.Fatalf("default cloud settings %+v", ac.Cloud)
	}
	c, err = Load("", env(map[string]string{"MAUTH_CLOUD_ENABLED": "false", "MAUTH_CLOUD_TOKEN_AUDIENCE": "bank-cloud",
		"MAUTH_CLOUD_TOKEN_LIFETIME": "15m", "MAUTH_CLOUD_SERVICE_BASE_URL": "https://api.bank.example"}))
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	if ac, err = c.App(); err != nil {
		t.Fatal(err)
	}
	if !ac.Cloud.Disabled || ac.Cloud.TokenAudience != "bank-cloud" || ac.Cloud.TokenLifetime != 15*time.Minute || ac.Cloud.ServiceBaseURL != "https://api.bank.example" {
		t.Fatalf("cloud settings %+v", ac.Cloud)
	}
	for _, tc := range []struct{ key, value, want string }{
		{"MAUTH_CLOUD_TOKEN_LIFETIME", "10s", "cloud.token_lifetime"},
		{"MAUTH_CLOUD_TOKEN_LIFETIME", "48h", "cloud.token_lifetime"},
		{"MAUTH_CLOUD_SERVICE_BASE_URL", "ftp://x", "cloud.service_base_url"},
	} {
		c, err := Load("", env(map[string]string{tc.key: tc.value}))
		if err != nil {
			t.Fatal(err)
		}
		var ke *KeyError
		if err := c.Validate(); !errors.As(err, &ke) || ke.Key != tc.want {
			t.Errorf("%s=%s: %v, want an error naming %s", tc.key, tc.value, err, tc.want)
		}
	}
}
