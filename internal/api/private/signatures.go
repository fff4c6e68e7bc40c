package private

// registerSignatureRoutes registers the methods of this file's area.
func (s *Server) registerSignatureRoutes() {}
