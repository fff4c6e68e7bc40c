package domain

// Integration is an API credential for callers of the private REST API
// (pa_integration).
type Integration struct {
	// ID is the integration UUID.
	ID string
	// Name is a human-readable label.
	Name string
	// ClientToken is the HTTP Basic user name; unique.
	ClientToken string
	// ClientSecret is the HTTP Basic password.
	ClientSecret string
}
