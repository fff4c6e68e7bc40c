package idp

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Default attribute names of the static provider.
const (
	DefaultUsernameAttribute = "username"
	DefaultPasswordAttribute = "password"
)

// StaticUser is one entry of the static user table.
type StaticUser struct {
	// UserID is the user the activation is created for (default: the username).
	UserID string `json:"userId" yaml:"userId"`
	// PasswordSHA256 is the hex SHA-256 of the password (preferred).
	PasswordSHA256 string `json:"passwordSha256" yaml:"passwordSha256"`
	// Password is the password in plain text (demos only).
	Password string `json:"password" yaml:"password"`
}

// StaticConfig is the content of a static user file:
//
//	usernameAttribute: username   # optional
//	passwordAttribute: password   # optional
//	users:
//	  alice: {userId: "1001", passwordSha256: "<hex sha-256 of the password>"}
//	  bob:   {password: "demo"}   # plain text, for demos only
type StaticConfig struct {
	UsernameAttribute string                `json:"usernameAttribute" yaml:"usernameAttribute"`
	PasswordAttribute string                `json:"passwordAttribute" yaml:"passwordAttribute"`
	Users             map[string]StaticUser `json:"users" yaml:"users"`
}

// Static resolves a username and password against a fixed user table. It
// is meant for demos and tests: passwords are kept as unsalted SHA-256
// digests (or plain text) and compared in constant time.
type Static struct {
	userAttr, passAttr string
	users              map[string]staticEntry
}

type staticEntry struct {
	userID string
	digest [sha256.Size]byte
}

// NewStatic validates cfg and returns the provider.
func NewStatic(cfg StaticConfig) (*Static, error) {
	s := &Static{userAttr: cfg.UsernameAttribute, passAttr: cfg.PasswordAttribute, users: make(map[string]staticEntry, len(cfg.Users))}
	if s.userAttr == "" {
		s.userAttr = DefaultUsernameAttribute
	}
	if s.passAttr == "" {
		s.passAttr = DefaultPasswordAttribute
	}
	if s.userAttr == s.passAttr {
		return nil, errors.New("idp: the username and password attributes must differ")
	}
	names := make([]string, 0, len(cfg.Users))
	for name := range cfg.Users {
		names = append(names, name)
	}
	sort.Strings(names) // deterministic error messages
	for _, name := range names {
		u := cfg.Users[name]
		if strings.TrimSpace(name) == "" {
			return nil, errors.New("idp: static user with an empty username")
		}
		e := staticEntry{userID: u.UserID}
		if e.userID == "" {
			e.userID = name
		}
		if err := checkUserID(e.userID); err != nil {
			return nil, fmt.Errorf("idp: static user %q: %w", name, err)
		}
		switch {
		case u.PasswordSHA256 != "" && u.Password != "":
			return nil, fmt.Errorf("idp: static user %q: set either password or passwordSha256", name)
		case u.PasswordSHA256 != "":
			d, err := hex.DecodeString(u.PasswordSHA256)
			if err != nil || len(d) != sha256.Size {
				return nil, fmt.Errorf("idp: static user %q: passwordSha256 must be 64 hex digits", name)
			}
			copy(e.digest[:], d)
		case u.Password != "":
			e.digest = sha256.Sum256([]byte(u.Password))
		default:
			return nil, fmt.Errorf("idp: static user %q has no password", name)
		}
		s.users[name] = e
	}
	return s, nil
}

// ParseStatic parses a static user file in YAML (format "yaml") or JSON
// (format "json"). Unknown fields are rejected so that typos do not
// silently disable a user.
func ParseStatic(data []byte, format string) (*Static, error) {
	var cfg StaticConfig
	switch format {
	case "json":
		dec := json.NewDecoder(strings.NewReader(string(data)))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&cfg); err != nil {
			return nil, fmt.Errorf("idp: static user file: %w", err)
		}
		if dec.More() {
			return nil, errors.New("idp: static user file: trailing data")
		}
	case "yaml":
		dec := yaml.NewDecoder(strings.NewReader(string(data)))
		dec.KnownFields(true)
		if err := dec.Decode(&cfg); err != nil {
			return nil, fmt.Errorf("idp: static user file: %w", err)
		}
	default:
		return nil, fmt.Errorf("idp: unknown static user file format %q (use json or yaml)", format)
	}
	return NewStatic(cfg)
}

// LoadStatic reads a static user file; the format follows the extension
// (.json is JSON, anything else YAML).
func LoadStatic(path string) (*Static, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("idp: read static user file: %w", err)
	}
	format := "yaml"
	if strings.EqualFold(filepath.Ext(path), ".json") {
		format = "json"
	}
	return ParseStatic(data, format)
}

// dummyDigest is compared against when the username is unknown, so that
// the answer time does not reveal which usernames exist.
var dummyDigest = sha256.Sum256([]byte("mauth static identity provider"))

// Resolve implements Provider: the username and password attributes must
// be strings matching an entry.
func (s *Static) Resolve(_ context.Context, attributes map[string]any) (string, error) {
	name, _ := attributes[s.userAttr].(string)
	pass, passOK := attributes[s.passAttr].(string)
	e, known := s.users[name]
	want := e.digest
	if !known {
		want = dummyDigest
	}
	got := sha256.Sum256([]byte(pass))
	match := subtle.ConstantTimeCompare(got[:], want[:]) == 1
	if !known || !passOK || !match {
		return "", fmt.Errorf("%w: unknown user or wrong password", ErrInvalidCredentials)
	}
	return e.userID, nil
}
