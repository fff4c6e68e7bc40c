// Package testserver is the Test Server: a farm of simulated mobile
// devices driven over HTTP, so that a bank's backend and its load tests
// can run without phones. Each device is a client.Device of the Go device
// client; its state (keys, counter) is kept in the database, sealed with
// the server key, and the devices talk to a mauth public API over HTTP
// (the local one by default, or a remote one), exactly as a phone would.
//
// A device's counter advances with every signature; two requests for the
// same device are serialised by a lock per device in the process and by a
// compare-and-set on the stored revision across processes, and the
// advanced state is stored before any signed request leaves, so a counter
// is never used twice.
//
// The package knows nothing of the core: it speaks the public API through
// the client package and stores through store.Store.
package testserver
