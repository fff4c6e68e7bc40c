package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"go.yaml.in/yaml/v3"
)

// KeyError is a problem with one configuration key.
type KeyError struct {
	// Key is the dotted key (or the environment variable) at fault.
	Key string
	// Reason says what is wrong, never repeating a secret value.
	Reason string
}

func (e *KeyError) Error() string { return e.Key + ": " + e.Reason }

// LookupEnv is os.LookupEnv's signature.
type LookupEnv func(string) (string, bool)

// legacyEnv maps older environment variables to their keys; the canonical
// MAUTH_<SECTION>_<KEY> name wins when both are set.
var legacyEnv = map[string]string{
	"MAUTH_DATABASE": "database.url",
}

// Load builds the configuration: defaults, then the YAML file at path
// (skipped when path is empty), then environment overrides from env (nil:
// os.LookupEnv), then secrets from the *_file keys. It does not validate;
// call Validate.
func Load(path string, env LookupEnv) (Config, error) {
	if env == nil {
		env = os.LookupEnv
	}
	c := Default()
	if path != "" {
		raw, err := os.ReadFile(path)
		if err != nil {
			return c, fmt.Errorf("read configuration file: %w", err)
		}
		if err := c.decodeYAML(raw); err != nil {
			return c, fmt.Errorf("configuration file %s: %w", path, err)
		}
	}
	if err := c.applyEnv(env); err != nil {
		return c, err
	}
	if err := c.resolveFiles(); err != nil {
		return c, err
	}
	return c, nil
}

// LoadFile is Load(path, os.LookupEnv).
func LoadFile(path string) (Config, error) { return Load(path, nil) }

// decodeYAML applies a YAML document over c. Unknown sections and keys are
// errors naming them; so are values of the wrong type.
func (c *Config) decodeYAML(raw []byte) error {
	dec := yaml.NewDecoder(bytes.NewReader(raw))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return nil
		}
		return fmt.Errorf("not valid YAML: %w", err)
	}
	if len(doc.Content) == 0 {
		return nil
	}
	root := doc.Content[0]
	if root.Kind == yaml.ScalarNode && root.Tag == "!!null" {
		return nil
	}
	if root.Kind != yaml.MappingNode {
		return errors.New("the document must be a mapping of sections")
	}
	byKey := map[string]Field{}
	sections := map[string]bool{}
	for _, f := range fields(c) {
		byKey[f.Key] = f
		sec, _, _ := strings.Cut(f.Key, ".")
		sections[sec] = true
	}
	for i := 0; i+1 < len(root.Content); i += 2 {
		sec, body := root.Content[i].Value, root.Content[i+1]
		if !sections[sec] {
			return &KeyError{Key: sec, Reason: fmt.Sprintf("unknown section (line %d)", root.Content[i].Line)}
		}
		if body.Kind == yaml.ScalarNode && body.Tag == "!!null" {
			continue
		}
		if body.Kind != yaml.MappingNode {
			return &KeyError{Key: sec, Reason: fmt.Sprintf("must be a mapping (line %d)", body.Line)}
		}
		for j := 0; j+1 < len(body.Content); j += 2 {
			key := sec + "." + body.Content[j].Value
			val := body.Content[j+1]
			f, ok := byKey[key]
			if !ok {
				return &KeyError{Key: key, Reason: fmt.Sprintf("unknown key (line %d)", body.Content[j].Line)}
			}
			if val.Kind != yaml.ScalarNode {
				return &KeyError{Key: key, Reason: fmt.Sprintf("must be a single value (line %d)", val.Line)}
			}
			if val.Tag == "!!null" {
				continue
			}
			if err := f.set(val.Value); err != nil {
				if f.Secret {
					err = errors.New("invalid value")
				}
				return &KeyError{Key: key, Reason: fmt.Sprintf("%v (line %d)", err, val.Line)}
			}
		}
	}
	return nil
}

// applyEnv applies MAUTH_<SECTION>_<KEY> variables (and the legacy names).
func (c *Config) applyEnv(env LookupEnv) error {
	fs := fields(c)
	byKey := map[string]Field{}
	for _, f := range fs {
		byKey[f.Key] = f
	}
	for name, key := range legacyEnv {
		if _, canonical := env(byKey[key].Env); canonical {
			continue
		}
		if v, ok := env(name); ok && v != "" {
			if err := byKey[key].set(v); err != nil {
				return &KeyError{Key: name, Reason: err.Error()}
			}
		}
	}
	for _, f := range fs {
		v, ok := env(f.Env)
		if !ok {
			continue
		}
		if err := f.set(v); err != nil {
			if f.Secret {
				err = errors.New("invalid value")
			}
			return &KeyError{Key: f.Env + " (" + f.Key + ")", Reason: err.Error()}
		}
	}
	return nil
}

// resolveFiles reads the *_file keys into their secret keys.
func (c *Config) resolveFiles() error {
	fs := fields(c)
	byKey := map[string]Field{}
	for _, f := range fs {
		byKey[f.Key] = f
	}
	for _, f := range fs {
		if f.FileFor == "" {
			continue
		}
		path := f.String()
		if path == "" {
			continue
		}
		sec, _, _ := strings.Cut(f.Key, ".")
		target := byKey[sec+"."+f.FileFor]
		if target.String() != "" {
			return &KeyError{Key: f.Key, Reason: "set either " + target.Key + " or " + f.Key + ", not both"}
		}
		raw, err := os.ReadFile(path)
		if err != nil {
			return &KeyError{Key: f.Key, Reason: fmt.Sprintf("cannot read the file: %v", err)}
		}
		if err := target.set(strings.TrimRight(string(raw), "\r\n")); err != nil {
			return &KeyError{Key: f.Key, Reason: "invalid value"}
		}
	}
	return nil
}
