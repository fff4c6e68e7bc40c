package private

// registerRecoveryRoutes registers the methods of this file's area.
func (s *Server) registerRecoveryRoutes() {}
