package audit_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/mauth/mauth/internal/audit"
	"github.com/mauth/mauth/internal/domain"
)

type recorder struct {
	got []domain.AuditEntry
	err error
}

func (r *recorder) CreateAuditEntry(_ context.Context, e *domain.AuditEntry) error {
	if r.err != nil {
		return r.err
	}
	r.got = append(r.got, *e)
	return nil
}

// TestWriteCompletesTheEntry: Write fills the time, the request's actor,
// IP and user agent, drops empty details and leaves the caller's map alone.
func TestWriteCompletesTheEntry(t *testing.T) {
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	ctx := domain.WithRequestInfo(context.Background(), domain.RequestInfo{IP: "192.0.2.1", UserAgent: "ua", Actor: "private-api:t"})
	details := map[string]string{"callbackId": "c", "empty": ""}
	var r recorder
	if err := audit.Write(ctx, &r, now, audit.Admin("CALLBACK_CREATED", "app", details)); err != nil {
		t.Fatal(err)
	}
	e := r.got[0]
	if e.Type != domain.AuditAdminChange || e.Application != "app" || !e.Created.Equal(now) || e.Actor != "private-api:t" ||
		e.IP != "192.0.2.1" || e.UserAgent != "ua" || len(e.Details) != 2 || e.Details["action"] != "CALLBACK_CREATED" || e.Details["callbackId"] != "c" {
		t.Fatalf("entry %+v", e)
	}
	if _, ok := details["empty"]; !ok || len(details) != 2 {
		t.Fatalf("caller's details changed: %v", details)
	}
	// Without a request the actor is the system; a set time is kept.
	set := now.Add(-time.Hour)
	if err := audit.Write(context.Background(), &r, now, domain.AuditEntry{Type: domain.AuditAdminChange, Created: set}); err != nil {
		t.Fatal(err)
	}
	if e := r.got[1]; e.Actor != audit.ActorSystem || !e.Created.Equal(set) {
		t.Fatalf("entry %+v", e)
	}
}

// TestWriteReturnsTheStoreError: a failing insert is an error the caller's
// transaction fails with.
func TestWriteReturnsTheStoreError(t *testing.T) {
	boom := errors.New("boom")
	r := recorder{err: boom}
	if err := audit.Write(context.Background(), &r, time.Now(), domain.AuditEntry{Type: domain.AuditAdminChange}); !errors.Is(err, boom) {
		t.Fatalf("err %v, want the store's", err)
	}
}
