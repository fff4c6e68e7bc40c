package public

import "github.com/mauth/mauth/protocol"

// typeAllowed reports whether t is one of allowed (an empty list allows every type).
func typeAllowed(t protocol.SignatureType, allowed []protocol.SignatureType) bool {
	if len(allowed) == 0 {
		return true
	}
	for _, a := range allowed {
		if a == t {
			return true
		}
	}
	return false
}
