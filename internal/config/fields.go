package config

import (
	"fmt"
	"reflect"
	"strconv"
	"strings"
	"time"
)

// EnvPrefix starts every environment variable of the configuration.
const EnvPrefix = "MAUTH_"

// Field describes one configuration key.
type Field struct {
	// Key is the dotted YAML path, e.g. "database.url".
	Key string
	// Env is the environment variable overriding the key.
	Env string
	// Type is the value type shown in the reference (string, bool, integer, duration).
	Type string
	// Doc describes the key.
	Doc string
	// Secret marks values that are never shown.
	Secret bool
	// FileFor names the key (within the section) whose value this file holds.
	FileFor string

	v reflect.Value
}

// fields lists the keys of c in declaration order, bound to c's values.
func fields(c *Config) []Field {
	var out []Field
	root := reflect.ValueOf(c).Elem()
	rt := root.Type()
	for i := range rt.NumField() {
		sf := rt.Field(i)
		section := yamlName(sf)
		sv := root.Field(i)
		st := sf.Type
		for j := range st.NumField() {
			lf := st.Field(j)
			key := yamlName(lf)
			out = append(out, Field{
				Key:     section + "." + key,
				Env:     EnvPrefix + strings.ToUpper(section+"_"+key),
				Type:    typeName(lf.Type),
				Doc:     lf.Tag.Get("doc"),
				Secret:  lf.Tag.Get("secret") == "true",
				FileFor: lf.Tag.Get("file"),
				v:       sv.Field(j),
			})
		}
	}
	return out
}

// Fields lists every configuration key with its default value.
func Fields() []Field {
	d := Default()
	return fields(&d)
}

func yamlName(f reflect.StructField) string {
	name, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
	if name == "" {
		return strings.ToLower(f.Name)
	}
	return name
}

var durationType = reflect.TypeFor[time.Duration]()

func typeName(t reflect.Type) string {
	if t == durationType {
		return "duration"
	}
	switch t.Kind() {
	case reflect.Bool:
		return "bool"
	case reflect.Int, reflect.Int64, reflect.Uint32:
		return "integer"
	}
	return "string"
}

// set parses s into the field.
func (f Field) set(s string) error {
	v := f.v
	if v.Type() == durationType {
		d, err := time.ParseDuration(strings.TrimSpace(s))
		if err != nil {
			return fmt.Errorf("not a duration (e.g. 30s, 5m): %q", s)
		}
		v.SetInt(int64(d))
		return nil
	}
	switch v.Kind() {
	case reflect.String:
		v.SetString(s)
	case reflect.Bool:
		b, err := strconv.ParseBool(strings.TrimSpace(s))
		if err != nil {
			return fmt.Errorf("not a boolean (true or false): %q", s)
		}
		v.SetBool(b)
	case reflect.Int, reflect.Int64:
		n, err := strconv.ParseInt(strings.TrimSpace(s), 10, v.Type().Bits())
		if err != nil {
			return fmt.Errorf("not an integer: %q", s)
		}
		v.SetInt(n)
	case reflect.Uint32:
		n, err := strconv.ParseUint(strings.TrimSpace(s), 10, 32)
		if err != nil {
			return fmt.Errorf("not a non-negative integer: %q", s)
		}
		v.SetUint(n)
	default:
		return fmt.Errorf("unsupported type %s", v.Type())
	}
	return nil
}

// String renders the field's value as it would be written in YAML (secrets
// not masked; see Effective).
func (f Field) String() string {
	v := f.v
	if v.Type() == durationType {
		return time.Duration(v.Int()).String()
	}
	switch v.Kind() {
	case reflect.Bool:
		return strconv.FormatBool(v.Bool())
	case reflect.Int, reflect.Int64:
		return strconv.FormatInt(v.Int(), 10)
	case reflect.Uint32:
		return strconv.FormatUint(v.Uint(), 10)
	}
	return v.String()
}
