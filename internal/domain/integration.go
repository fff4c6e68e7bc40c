package domain

// IntegrationRole says what an integration may do on the private REST API.
// The wire name is also the value stored in pa_integration.role.
type IntegrationRole string

// Integration roles.
const (
	// IntegrationAdmin may call every method on every application,
	// including the management of integrations, applications and
	// callbacks. Integrations created before roles existed are admins.
	IntegrationAdmin IntegrationRole = "ADMIN"
	// IntegrationApplication may act only on the applications it is
	// granted (pa_integration_application) and on their activations,
	// operations, tokens and recovery codes; it cannot manage
	// integrations, create applications or change their configuration.
	IntegrationApplication IntegrationRole = "APPLICATION"
)

// String returns the wire name.
func (r IntegrationRole) String() string { return string(r) }

// Valid reports whether r is one of the defined roles.
func (r IntegrationRole) Valid() bool {
	return r == IntegrationAdmin || r == IntegrationApplication
}

// ParseIntegrationRole parses a wire name such as "ADMIN".
func ParseIntegrationRole(s string) (IntegrationRole, error) {
	r := IntegrationRole(s)
	if !r.Valid() {
		return "", errUnknown("integration role", s)
	}
	return r, nil
}

// Integration is an API credential for callers of the private REST API
// (pa_integration).
type Integration struct {
	// ID is the integration UUID.
	ID string
	// Name is a human-readable label.
	Name string
	// ClientToken is the HTTP Basic user name; unique.
	ClientToken string
	// ClientSecret is the stored form of the HTTP Basic password: a keyed
	// hash (or, for rows written before hashing, the sealed secret the
	// service upgrades); opaque to the store.
	ClientSecret string
	// Role is what the integration may do.
	Role IntegrationRole
}
