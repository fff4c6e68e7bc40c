package storetest

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/mauth/mauth/internal/domain"
	"github.com/mauth/mauth/internal/store"
)

// seedOf builds n activations of appID for users user-0 … user-(users-1),
// each with three history rows, one signature audit record and one audit
// log entry, as `mauth bench --seed-activations` loads them.
func seedOf(appID int64, n, users int, prefix string) store.Seed {
	var s store.Seed
	for i := range n {
		a := activation(appID, fmt.Sprintf("%s-user-%d", prefix, i%users))
		a.Created = at(time.Duration(i) * time.Second)
		a.ActivationExpire = a.Created.Add(5 * time.Minute)
		a.LastUsed = a.Created.Add(time.Hour)
		a.Counter = int64(i % 100)
		s.Activations = append(s.Activations, a)
		for j, st := range []domain.ActivationStatus{domain.ActivationCreated, domain.ActivationPendingCommit, domain.ActivationActive} {
			s.History = append(s.History, domain.ActivationHistory{ActivationID: a.ActivationID, Status: st,
				Created: a.Created.Add(time.Duration(j) * time.Second), ActivationVersion: 3})
		}
		s.Signatures = append(s.Signatures, domain.SignatureAudit{ActivationID: a.ActivationID, UserID: a.UserID, ApplicationID: appID,
			ActivationCounter: a.Counter, ActivationCtrData: make16(1), ActivationStatus: domain.ActivationActive,
			Data: []byte("POST&/pa/signature/validate"), SignatureType: "possession_knowledge", Signature: "12345678-12345678",
			SignatureVersion: "3.3", Valid: true, Version: 3, Created: a.LastUsed})
		s.Audit = append(s.Audit, domain.AuditEntry{Type: domain.AuditActivationStatusChanged, Actor: "seed",
			ActivationID: a.ActivationID, UserID: a.UserID, Application: "seed", Created: a.Created})
	}
	return s
}

// testBulkLoad: BulkLoad writes every row as given, history, signature
// audit and audit log included.
func testBulkLoad(t *testing.T, s store.Store) {
	bl, ok := s.(store.BulkLoader)
	if !ok {
		t.Fatalf("%T does not implement store.BulkLoader", s)
	}
	ctx := context.Background()
	app := newApp(t, s)
	prefix := "bulk-" + uid()
	seed := seedOf(app.ID, 30, 10, prefix)
	seed.Analyze = true
	require.NoError(t, bl.BulkLoad(ctx, seed))
	for _, want := range seed.Activations {
		got, err := s.GetActivation(ctx, want.ActivationID)
		require.NoError(t, err)
		want.Revision, want.ApplicationRevision = got.Revision, got.ApplicationRevision
		require.Equal(t, want, got)
		h, err := s.ListActivationHistory(ctx, want.ActivationID, time.Time{}, time.Time{})
		require.NoError(t, err)
		require.Len(t, h, 3)
		require.Equal(t, domain.ActivationActive, h[2].Status)
	}
	list, err := s.ListActivations(ctx, store.ActivationListFilter{UserID: prefix + "-user-3"})
	require.NoError(t, err)
	require.Len(t, list, 3)
	sigs, err := s.ListSignatureAudits(ctx, store.SignatureAuditFilter{UserID: prefix + "-user-3"})
	require.NoError(t, err)
	require.Len(t, sigs, 3)
	audit, err := s.ListAuditEntries(ctx, store.AuditFilter{UserID: prefix + "-user-3"})
	require.NoError(t, err)
	require.Len(t, audit, 3)
	// Rows written through the store afterwards get fresh ids.
	more := newActivation(t, s, app.ID, prefix+"-user-3")
	list, err = s.ListActivations(ctx, store.ActivationListFilter{UserID: prefix + "-user-3"})
	require.NoError(t, err)
	require.Len(t, list, 4)
	require.Contains(t, ids(list), more.ActivationID)
	// A second load of the same activations is refused.
	require.Error(t, bl.BulkLoad(ctx, store.Seed{Activations: seed.Activations[:1]}))
}

// testUserListPlans: on a seeded database the user-scoped lists run on
// their user index, never a scan of the table.
func testUserListPlans(t *testing.T, s store.Store) {
	bl, ok := s.(store.BulkLoader)
	if !ok {
		t.Fatalf("%T does not implement store.BulkLoader", s)
	}
	ex, ok := s.(store.PlanExplainer)
	if !ok {
		t.Fatalf("%T does not implement store.PlanExplainer", s)
	}
	ctx := context.Background()
	app := newApp(t, s)
	prefix := "plan-" + uid()
	const n = 5000
	for start := 0; start < n; start += 1000 {
		seed := seedOf(app.ID, 1000, 800, fmt.Sprintf("%s-%d", prefix, start))
		seed.Analyze = start+1000 >= n
		require.NoError(t, bl.BulkLoad(ctx, seed))
	}
	user := prefix + "-0-user-7"
	for _, tc := range []struct {
		name, table, index string
		list               func(r store.Reader) error
	}{
		{"activation list", "pa_activation", "pa_activation_user_created_idx", func(r store.Reader) error {
			_, err := r.ListActivations(ctx, store.ActivationListFilter{UserID: user, ApplicationID: app.ID, Limit: 50})
			return err
		}},
		{"activation list of a status", "pa_activation", "pa_activation_user_created_idx", func(r store.Reader) error {
			_, err := r.ListActivations(ctx, store.ActivationListFilter{UserID: user, Statuses: []domain.ActivationStatus{domain.ActivationActive}})
			return err
		}},
		{"signature audit of a user", "pa_signature_audit", "pa_signature_audit_user_idx", func(r store.Reader) error {
			_, err := r.ListSignatureAudits(ctx, store.SignatureAuditFilter{UserID: user, Limit: 100})
			return err
		}},
		{"audit log of a user", "audit_log", "audit_log_user_idx", func(r store.Reader) error {
			_, err := r.ListAuditEntries(ctx, store.AuditFilter{UserID: user, Limit: 100})
			return err
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			plan, err := ex.ExplainList(ctx, tc.list)
			require.NoError(t, err)
			text := strings.Join(plan, "\n")
			require.Contains(t, text, tc.index, "the plan does not use the user index:\n%s", text)
			for _, line := range plan {
				l := strings.TrimSpace(line)
				require.NotContains(t, l, "Seq Scan on "+tc.table, "a sequential scan:\n%s", text)
				if strings.HasPrefix(l, "SCAN "+tc.table) && !strings.Contains(l, "INDEX") {
					t.Fatalf("a table scan:\n%s", text)
				}
			}
			t.Logf("plan:\n%s", text)
		})
	}
	// The explainer refuses a call that runs no list query.
	_, err := ex.ExplainList(ctx, func(store.Reader) error { return nil })
	require.Error(t, err)
}
