package private

// registerActivationRoutes registers the methods of this file's area.
func (s *Server) registerActivationRoutes() {}
