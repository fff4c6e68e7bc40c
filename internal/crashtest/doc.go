// Package crashtest holds the crash-recovery tests of the real `mauth
// serve` binary: the server is killed with SIGKILL at random (seeded)
// moments while devices activate and sign, restarted on the same data,
// and every acknowledged activation and counter must have survived. The
// multi-node tests run two or three `mauth serve` processes on one
// PostgreSQL database with the same server key, one of them killed
// mid-load in TestThreeNodesOneDatabase (docs/scaling.md).
//
// The short form runs in the normal test suite. Longer runs:
//
//	go test ./internal/crashtest -run Crash -args -crash.kills=50 -crash.seed=7
//
// or MAUTH_CRASH_KILLS=50 in the environment.
package crashtest
