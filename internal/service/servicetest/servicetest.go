// Package servicetest builds the PowerAuth core for tests: a
// *service.Service over a test database, a fresh secret box and a
// testclock.Clock, the setup every package that tests against the core
// needs. (The tests inside internal/service cannot import it and keep their
// own fixtures.)
package servicetest

import (
	"testing"

	"github.com/mauth/mauth/internal/secretbox"
	"github.com/mauth/mauth/internal/service"
	"github.com/mauth/mauth/internal/store"
	"github.com/mauth/mauth/internal/testutil/testclock"
	"github.com/mauth/mauth/internal/testutil/teststore"
)

// FastPUKHashKiB is the Argon2 memory cost (KiB) of recovery PUK hashes
// the harness sets when the configuration leaves it zero: small, so tests
// that create recovery codes stay fast.
const FastPUKHashKiB = 64

// Options configure New. The zero value is a core with the default
// configuration on a fresh SQLite database.
type Options struct {
	// Store is the database; nil means a fresh SQLite one (teststore.SQLite).
	Store store.Store
	// Box seals the private keys; nil means a fresh one. Cores that share
	// a database share its box.
	Box *secretbox.Box
	// Clock is the core's clock; nil means a fresh testclock.Clock.
	Clock *testclock.Clock
	// Config is the core's configuration; a zero RecoveryPUKHashMemoryKiB
	// becomes FastPUKHashKiB.
	Config service.Config
	// Options are passed to service.New after service.WithClock.
	Options []service.Option
}

// Harness is a core built for a test.
type Harness struct {
	// Service is the core.
	Service *service.Service
	// Store is the database under it.
	Store store.Store
	// Box is the secret box it seals private keys with.
	Box *secretbox.Box
	// Clock is its clock (the wall clock until the test moves it).
	Clock *testclock.Clock
}

// New builds a core as o says; it fails the test on any error.
func New(t testing.TB, o Options) *Harness {
	t.Helper()
	h := &Harness{Store: o.Store, Box: o.Box, Clock: o.Clock}
	if h.Store == nil {
		h.Store = teststore.SQLite(t)
	}
	if h.Clock == nil {
		h.Clock = &testclock.Clock{}
	}
	var err error
	if h.Box == nil {
		if h.Box, err = secretbox.New(secretbox.GenerateKey()); err != nil {
			t.Fatalf("servicetest: secret box: %v", err)
		}
	}
	cfg := o.Config
	if cfg.RecoveryPUKHashMemoryKiB == 0 {
		cfg.RecoveryPUKHashMemoryKiB = FastPUKHashKiB
	}
	opts := append([]service.Option{service.WithClock(h.Clock.Now)}, o.Options...)
	if h.Service, err = service.New(h.Store, h.Box, cfg, opts...); err != nil {
		t.Fatalf("servicetest: service: %v", err)
	}
	return h
}
