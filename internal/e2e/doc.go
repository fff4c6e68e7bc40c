// Package e2e holds mauth's end-to-end tests: real HTTP servers (the
// private REST API and the public Standard RESTful API over one core
// service, on SQLite and PostgreSQL) driven by the Go device client for
// every protocol version the client speaks. The tests live in _test.go
// files; see harness_test.go for how a deployment mode (all-in-one or
// split) is plugged in.
package e2e
