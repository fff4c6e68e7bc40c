package private

// registerTokenRoutes registers the methods of this file's area.
func (s *Server) registerTokenRoutes() {}
