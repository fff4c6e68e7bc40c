package service

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/mauth/mauth/internal/domain"
	"github.com/mauth/mauth/internal/secretbox"
	"github.com/mauth/mauth/internal/store"
	"github.com/mauth/mauth/internal/testutil/teststore"
	"github.com/mauth/mauth/protocol"
)

// newNodes returns two services ("nodes") on one database with the same
// server key, each with its own caches. Their application row cache keeps
// rows for an hour, far longer than the test: only cache coherence can make
// a change through one node show on the other.
func newNodes(t *testing.T, st store.Store) (a, b *Service) {
	t.Helper()
	box, err := secretbox.New(secretbox.GenerateKey())
	if err != nil {
		t.Fatal(err)
	}
	cfg := Config{RecoveryPUKHashMemoryKiB: 64, ApplicationCacheTTL: time.Hour}
	nodes := make([]*Service, 2)
	for i := range nodes {
		if nodes[i], err = New(st, box, cfg); err != nil {
			t.Fatal(err)
		}
	}
	return nodes[0], nodes[1]
}

// verifyOn signs new request data with the device at protocol version
// and verifies it on node svc.
func verifyOn(t *testing.T, svc *Service, d *testDevice, version string) VerifySignatureResult {
	t.Helper()
	typ := protocol.SignaturePossessionKnowledge
	data := testRequestData(`{"node":true}`)
	res, err := svc.VerifySignature(context.Background(), d.verifyInput(typ, version, data, d.sign(t, typ, version, data)))
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// TestApplicationChangeOnOneNodeAppliesOnAnother changes an application
// through node A after node B cached its rows (a verification on B) and
// checks that B's very next verification decides on the changed rows: no
// waiting for the cache's TTL. Both backends.
func TestApplicationChangeOnOneNodeAppliesOnAnother(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name    string
		version string // the protocol version the device signs with
		change  func(t *testing.T, svc *Service, app testApp)
		check   func(t *testing.T, res VerifySignatureResult)
	}{
		{
			name:    "version unsupported",
			version: protocol.Version33,
			change: func(t *testing.T, svc *Service, app testApp) {
				if _, err := svc.SetApplicationVersionSupported(ctx, app.App.Name, app.Version.Name, false); err != nil {
					t.Fatal(err)
				}
			},
			check: func(t *testing.T, res VerifySignatureResult) {
				if res.SignatureValid {
					t.Fatalf("a signature with a version unsupported on another node was accepted: %+v", res)
				}
			},
		},
		{
			name:    "role removed",
			version: protocol.Version33,
			change: func(t *testing.T, svc *Service, app testApp) {
				if _, err := svc.RemoveApplicationRoles(ctx, app.App.Name, []string{"ROLE_PAY"}); err != nil {
					t.Fatal(err)
				}
			},
			check: func(t *testing.T, res VerifySignatureResult) {
				if !res.SignatureValid || !slices.Equal(res.ApplicationRoles, []string{"ROLE_READ"}) {
					t.Fatalf("roles after a removal on another node: %+v", res)
				}
			},
		},
		{
			name:    "protocol minimum raised",
			version: protocol.Version32,
			change: func(t *testing.T, svc *Service, app testApp) {
				minimum := protocol.Version33
				if _, err := svc.UpdateApplicationProtocolSettings(ctx, app.App.Name, ApplicationProtocolUpdate{MinProtocolVersion: &minimum}); err != nil {
					t.Fatal(err)
				}
			},
			check: func(t *testing.T, res VerifySignatureResult) {
				if res.SignatureValid {
					t.Fatalf("a 3.2 signature was accepted after the minimum was raised to 3.3 on another node: %+v", res)
				}
			},
		},
	}
	teststore.Each(t, func(t *testing.T, st store.Store) {
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				nodeA, nodeB := newNodes(t, st)
				app := createTestApp(t, nodeA)
				if _, err := nodeA.UpdateApplicationRoles(ctx, app.App.Name, []string{"ROLE_PAY", "ROLE_READ"}); err != nil {
					t.Fatal(err)
				}
				d := newActiveTestActivation(t, nodeA, app)
				// Both nodes cache the keys and the application rows.
				for i, node := range []*Service{nodeA, nodeB, nodeB} {
					if res := verifyOn(t, node, d, tc.version); !res.SignatureValid ||
						!slices.Equal(res.ApplicationRoles, []string{"ROLE_PAY", "ROLE_READ"}) {
						t.Fatalf("verification %d before the change: %+v", i, res)
					}
				}
				tc.change(t, nodeA, app)
				tc.check(t, verifyOn(t, nodeB, d, tc.version))
				tc.check(t, verifyOn(t, nodeB, d, tc.version)) // and from B's refreshed cache
				if res := verifyOn(t, nodeB, d, tc.version); res.ActivationStatus != domain.ActivationActive {
					t.Fatalf("activation status: %+v", res)
				}
			})
		}
	})
}
