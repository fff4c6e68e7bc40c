package domain

import "fmt"

// enumName returns the wire name of v from names, or "Kind(v)" for a value
// outside the table.
func enumName[T ~int](kind string, names map[T]string, v T) string {
	if n, ok := names[v]; ok {
		return n
	}
	return fmt.Sprintf("%s(%d)", kind, int(v)) // int(v): %v would call String again
}

// parseEnum finds the value whose wire name is s. Matching is exact, as the
// REST API uses upper-case names.
func parseEnum[T ~int](kind string, names map[T]string, s string) (T, error) {
	for v, n := range names {
		if n == s {
			return v, nil
		}
	}
	var zero T
	return zero, errUnknown(kind, s)
}

// marshalEnum renders v as its wire name, failing for a value outside the
// table so that invalid states never reach the wire.
func marshalEnum[T ~int](kind string, names map[T]string, v T) ([]byte, error) {
	n, ok := names[v]
	if !ok {
		return nil, fmt.Errorf("domain: invalid %s %d", kind, int(v))
	}
	return []byte(n), nil
}

// errUnknown reports a wire name outside an enumeration.
func errUnknown(kind, s string) error { return fmt.Errorf("domain: unknown %s %q", kind, s) }
