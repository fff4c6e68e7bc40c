package private

import "slices"

// Methods returns the names of every method the server serves, the part
// of the path after Prefix (e.g. "activation/init"), sorted. The OpenAPI
// document of the private API lists exactly these.
func (s *Server) Methods() []string {
	out := slices.Clone(s.methods)
	slices.Sort(out)
	return out
}
