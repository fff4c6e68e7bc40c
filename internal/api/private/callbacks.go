package private

// registerCallbackRoutes registers the methods of this file's area.
func (s *Server) registerCallbackRoutes() {}
