package private

// registerEncryptionRoutes registers the methods of this file's area.
func (s *Server) registerEncryptionRoutes() {}
