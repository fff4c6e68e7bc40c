package config

import (
	"errors"
	"slices"
	"testing"
)

// TestCallbackAllowedDestinations: the allow-list is a comma- or
// space-separated list that reaches the app; a bad entry names the key.
func TestCallbackAllowedDestinations(t *testing.T) {
	c, err := Load("", env(nil))
	if err != nil {
		t.Fatal(err)
	}
	ac, err := c.App()
	if err != nil {
		t.Fatal(err)
	}
	if len(ac.CallbackAllowedDestinations) != 0 {
		t.Fatalf("default allow-list %q, want none", ac.CallbackAllowedDestinations)
	}
	c, err = Load("", env(map[string]string{"MAUTH_CALLBACKS_ALLOWED_DESTINATIONS": "10.0.0.0/8, hooks.bank.internal *.svc.cluster.local,fd00::1"}))
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	if ac, err = c.App(); err != nil {
		t.Fatal(err)
	}
	if want := []string{"10.0.0.0/8", "hooks.bank.internal", "*.svc.cluster.local", "fd00::1"}; !slices.Equal(ac.CallbackAllowedDestinations, want) {
		t.Fatalf("allow-list %q, want %q", ac.CallbackAllowedDestinations, want)
	}
	if err := ac.Validate(); err != nil {
		t.Fatalf("app validate: %v", err)
	}
	c, err = Load("", env(map[string]string{"MAUTH_CALLBACKS_ALLOWED_DESTINATIONS": "10.0.0.0/33"}))
	if err != nil {
		t.Fatal(err)
	}
	var ke *KeyError
	if err := c.Validate(); !errors.As(err, &ke) || ke.Key != "callbacks.allowed_destinations" {
		t.Fatalf("Validate: %v, want an error naming callbacks.allowed_destinations", err)
	}
}
