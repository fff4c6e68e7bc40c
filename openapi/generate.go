package openapi

// The API references docs/api/private.md and docs/api/public.md are
// generated from the documents of this package (see openapi/docgen).
//go:generate go run ./cmd/docgen -root ..
