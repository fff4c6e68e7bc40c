package main

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/mauth/mauth/client"
	"github.com/mauth/mauth/protocol"
)

// deviceState is the state file of the device simulator: the device
// (keys, counter, PIN-wrapped knowledge key) plus what the client needs to
// continue (server URL, mobile SDK configuration, protocol version) and
// the MAC tokens it holds. It is written with owner-only permissions.
type deviceState struct {
	// URL is the server's public API root, e.g. http://127.0.0.1:8080.
	URL string `json:"url"`
	// SDKConfig is the mobile SDK configuration string of the application.
	SDKConfig string `json:"sdkConfig"`
	// Version is the protocol version the device speaks (3.1, 3.2 or 3.3).
	Version string `json:"version"`
	// Device is the activated device.
	Device *client.Device `json:"device"`
	// Tokens are the MAC tokens the device created, newest last.
	Tokens []client.Token `json:"tokens,omitempty"`
}

// loadDeviceState reads a state file.
func loadDeviceState(path string) (*deviceState, error) {
	if path == "" {
		return nil, errors.New("--state is required")
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read device state: %w", err)
	}
	var st deviceState
	if err := json.Unmarshal(b, &st); err != nil {
		return nil, fmt.Errorf("device state %s: %w", path, err)
	}
	if st.Device == nil || st.Device.ActivationID == "" || len(st.Device.CtrData) != protocol.CtrDataSize || st.URL == "" || st.SDKConfig == "" {
		return nil, fmt.Errorf("device state %s is incomplete", path)
	}
	return &st, nil
}

// save writes the state atomically with owner-only permissions.
func (st *deviceState) save(path string) error {
	b, err := json.MarshalIndent(st, "", "  ")
	if err != nil {
		return fmt.Errorf("encode device state: %w", err)
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".mauth-device-*")
	if err != nil {
		return fmt.Errorf("save device state: %w", err)
	}
	defer os.Remove(tmp.Name())
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return fmt.Errorf("save device state: %w", err)
	}
	if _, err := tmp.Write(append(b, '\n')); err != nil {
		tmp.Close()
		return fmt.Errorf("save device state: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("save device state: %w", err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("save device state: %w", err)
	}
	return nil
}

// newDeviceClient builds the protocol client for a server URL, SDK
// configuration and protocol version.
func newDeviceClient(url, sdkConfig, version string) (*client.Client, error) {
	cfg := client.Config{BaseURL: url, Version: version, HTTPClient: &http.Client{Timeout: 30 * time.Second}}
	if err := cfg.FromSDKConfig(strings.TrimSpace(sdkConfig)); err != nil {
		return nil, fmt.Errorf("--sdk-config: %w", err)
	}
	return client.New(cfg)
}

// client builds the protocol client of a loaded state.
func (st *deviceState) client() (*client.Client, error) {
	return newDeviceClient(st.URL, st.SDKConfig, st.Version)
}

// token returns the token with the ID, or the newest one for "".
func (st *deviceState) token(id string) (*client.Token, error) {
	if len(st.Tokens) == 0 {
		return nil, errors.New("the device has no token: create one with `mauth device token create`")
	}
	if id == "" {
		return &st.Tokens[len(st.Tokens)-1], nil
	}
	for i := range st.Tokens {
		if st.Tokens[i].ID == id {
			return &st.Tokens[i], nil
		}
	}
	return nil, fmt.Errorf("the device has no token %s", id)
}

// dropToken forgets a token.
func (st *deviceState) dropToken(id string) {
	out := st.Tokens[:0]
	for _, t := range st.Tokens {
		if t.ID != id {
			out = append(out, t)
		}
	}
	st.Tokens = out
}

// b64Text encodes bytes for output.
func b64Text(b []byte) string { return base64.StdEncoding.EncodeToString(b) }
