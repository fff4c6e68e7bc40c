// Package wire holds the JSON types of the device-facing APIs that both
// sides use: the server renders them (internal/api/mtoken, internal/api/push)
// and the Go device client (client/) decodes them, so the two cannot
// drift. It is public because the client is, and it imports nothing but
// the standard library: the architecture test allows the client only
// protocol/ and this package. The /rest/v3 types of the private API live
// in internal/restv3 (they use the core's enumerations and only the
// server and internal/coreclient speak that API).
package wire
