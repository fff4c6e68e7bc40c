package private

// registerApplicationRoutes registers the methods of this file's area.
func (s *Server) registerApplicationRoutes() {}
