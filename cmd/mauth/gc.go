package main

import (
	"os"
	"runtime/debug"
)

// defaultGCPercent is the garbage collector target mauth serve (and mauth
// bench, which runs the same server) uses unless GOGC is set. A server's
// live heap is small (tens of MiB), so Go's default of 100 collects very
// often; 400 trades some more memory (the heap may grow to about five
// times the live data) for roughly a tenth less CPU per verification.
const defaultGCPercent = 400

// tuneGC applies defaultGCPercent when the operator has not chosen a GOGC.
func tuneGC() {
	if _, set := os.LookupEnv("GOGC"); !set {
		debug.SetGCPercent(defaultGCPercent)
	}
}
