package domain

import "time"

// UniqueValueType tells which replay cache a UniqueValue belongs to; the
// integer is the ordinal stored in pa_unique_value.type.
type UniqueValueType int

// Replay cache kinds.
const (
	// UniqueValueMACToken holds MAC token nonces.
	UniqueValueMACToken UniqueValueType = 0
	// UniqueValueECIESApplicationScope holds application-scope ECIES nonces.
	UniqueValueECIESApplicationScope UniqueValueType = 1
	// UniqueValueECIESActivationScope holds activation-scope ECIES nonces.
	UniqueValueECIESActivationScope UniqueValueType = 2
)

var uniqueValueTypeNames = map[UniqueValueType]string{
	UniqueValueMACToken:              "MAC_TOKEN",
	UniqueValueECIESApplicationScope: "ECIES_APPLICATION_SCOPE",
	UniqueValueECIESActivationScope:  "ECIES_ACTIVATION_SCOPE",
}

// String returns the name, e.g. "MAC_TOKEN".
func (t UniqueValueType) String() string {
	return enumName("UniqueValueType", uniqueValueTypeNames, t)
}

// Valid reports whether t is one of the defined kinds.
func (t UniqueValueType) Valid() bool { _, ok := uniqueValueTypeNames[t]; return ok }

// MarshalText implements encoding.TextMarshaler with the name.
func (t UniqueValueType) MarshalText() ([]byte, error) {
	return marshalEnum("UniqueValueType", uniqueValueTypeNames, t)
}

// UnmarshalText implements encoding.TextUnmarshaler from the name.
func (t *UniqueValueType) UnmarshalText(b []byte) error {
	v, err := ParseUniqueValueType(string(b))
	if err != nil {
		return err
	}
	*t = v
	return nil
}

// ParseUniqueValueType parses a name such as "ECIES_ACTIVATION_SCOPE".
func ParseUniqueValueType(s string) (UniqueValueType, error) {
	return parseEnum("unique value type", uniqueValueTypeNames, s)
}

// UniqueValue is one entry of the replay cache (pa_unique_value): a value
// that must not be accepted twice before it expires. (Type, Value) is unique.
type UniqueValue struct {
	// Type is the replay cache kind.
	Type UniqueValueType
	// Value is the unique value (e.g. a Base64 nonce with its scope).
	Value string
	// Expires is when the entry may be purged.
	Expires time.Time
}
