package service

import (
	"maps"
	"slices"
	"strings"
)

// FieldChecker records the failed checks of an input's fields. The HTTP
// surfaces pass their request validator (render.Validator implements it),
// so a field is checked once and its failure is reported with the other
// failures of the request; the core uses fieldErrors.
type FieldChecker interface {
	// Check records reason for field when ok is false (the first reason
	// of a field counts).
	Check(ok bool, field, reason string)
}

// fieldErrors is the core's FieldChecker: field → first reason.
type fieldErrors map[string]string

// Check implements FieldChecker.
func (f *fieldErrors) Check(ok bool, field, reason string) {
	if ok {
		return
	}
	if *f == nil {
		*f = fieldErrors{}
	}
	if _, dup := (*f)[field]; !dup {
		(*f)[field] = reason
	}
}

// err is nil without failures, else ERR0024 with "field - reason" of each
// failed field, sorted by field and joined by ", " (as the private API
// words a validation error).
func (f fieldErrors) err() error {
	if len(f) == 0 {
		return nil
	}
	parts := make([]string, 0, len(f))
	for _, k := range slices.Sorted(maps.Keys(f)) {
		parts = append(parts, k+" - "+f[k])
	}
	return Errorf(CodeInvalidRequest, "%s", strings.Join(parts, ", "))
}
