package service

import "context"

// AuthenticateIntegration reports whether clientToken/clientSecret are the
// credentials of an integration (placeholder until integrations exist: no
// credentials are valid).
func (s *Service) AuthenticateIntegration(ctx context.Context, clientToken, clientSecret string) bool {
	return false
}
