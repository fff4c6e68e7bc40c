package private

// registerIntegrationRoutes registers the methods of this file's area.
func (s *Server) registerIntegrationRoutes() {}
