// Package domain holds the entities and enumerations of the mauth core
// server: applications and their versions and keys, activations with their
// history and signature audit, tokens, integrations, callbacks, activation
// recovery, temporary encryption keys and the replay cache.
//
// The package does no I/O. Enumerations carry the database integers of the
// PowerAuth protocol server schema and the upper-case wire names of the REST
// API; each has String, a Parse function, and text (un)marshalling so it can
// be used directly in JSON.
//
// Times are UTC with millisecond precision: the stores keep them as Unix
// milliseconds, so finer precision is dropped on the way in. A zero
// time.Time means "not set".
package domain
