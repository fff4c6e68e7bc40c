package store

import "errors"

// Sentinel errors returned (possibly wrapped) by every backend. Test with
// errors.Is.
var (
	// ErrNotFound means the requested row does not exist.
	ErrNotFound = errors.New("store: not found")
	// ErrAlreadyExists means a create or update would violate a uniqueness
	// rule (primary key, unique column, or a replayed unique value).
	ErrAlreadyExists = errors.New("store: already exists")
	// ErrConflict means the write conflicts with the stored state: a
	// compare-and-set precondition no longer holds, a referenced row is
	// missing, or a row is still referenced by others.
	ErrConflict = errors.New("store: conflict")
)
