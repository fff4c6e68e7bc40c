package service

import (
	"context"
	"testing"
	"time"

	"github.com/mauth/mauth/internal/store"
	"github.com/mauth/mauth/protocol"
)

func TestListSignatureAudits(t *testing.T) {
	svc, clock := newSQLiteService(t)
	ctx := context.Background()
	app1 := createTestApp(t, svc)
	app2 := createTestApp(t, svc)
	d1 := newActiveTestActivation(t, svc, app1)
	d2 := newActiveTestActivation(t, svc, app2)
	// Both activations belong to the same user.
	d2.UserID = d1.UserID
	if err := svc.store.InTx(ctx, func(tx store.Tx) error {
		a, err := tx.GetActivationForUpdate(ctx, d2.ActivationID)
		if err != nil {
			return err
		}
		a.UserID = d1.UserID
		return tx.UpdateActivation(ctx, &a)
	}); err != nil {
		t.Fatal(err)
	}
	typ := protocol.SignaturePossessionKnowledge
	data := testRequestData("audit")
	start := svc.Now()
	mustVerify(t, svc, d1.verifyInput(typ, protocol.Version33, data, d1.sign(t, typ, protocol.Version33, data)))
	clock.Advance(time.Second)
	mustVerify(t, svc, d1.verifyInput(typ, protocol.Version30, data, wrongSignature(typ, protocol.Version30)))
	clock.Advance(time.Second)
	mustVerify(t, svc, d2.verifyInput(typ, protocol.Version32, data, d2.sign(t, typ, protocol.Version32, data)))
	end := svc.Now()

	items, err := svc.ListSignatureAudits(ctx, SignatureAuditQuery{UserID: d1.UserID})
	if err != nil || len(items) != 3 {
		t.Fatalf("all: %d %v", len(items), err)
	}
	// Newest first, with application names.
	if items[0].ActivationID != d2.ActivationID || items[0].ApplicationName != app2.App.Name || !items[0].Valid ||
		items[1].ActivationID != d1.ActivationID || items[1].Valid || items[1].SignatureVersion != "3.0" ||
		items[2].ApplicationName != app1.App.Name || !items[2].Valid || items[2].Note != auditNoteSignatureOK {
		t.Fatalf("items: %+v", items)
	}
	if items, err = svc.ListSignatureAudits(ctx, SignatureAuditQuery{UserID: d1.UserID, ApplicationID: app1.App.Name}); err != nil || len(items) != 2 {
		t.Fatalf("app1: %d %v", len(items), err)
	}
	if items, err = svc.ListSignatureAudits(ctx, SignatureAuditQuery{UserID: d1.UserID, ApplicationID: "nope"}); err != nil || len(items) != 0 {
		t.Fatalf("unknown app: %d %v", len(items), err)
	}
	if items, err = svc.ListSignatureAudits(ctx, SignatureAuditQuery{UserID: d1.UserID, From: start, To: end}); err != nil || len(items) != 3 {
		t.Fatalf("whole range: %d %v", len(items), err)
	}
	if items, err = svc.ListSignatureAudits(ctx, SignatureAuditQuery{UserID: d1.UserID, From: start.Add(500 * time.Millisecond), To: end.Add(-500 * time.Millisecond)}); err != nil || len(items) != 1 || items[0].Valid {
		t.Fatalf("middle: %+v %v", items, err)
	}
	if items, err = svc.ListSignatureAudits(ctx, SignatureAuditQuery{UserID: d1.UserID, From: end.Add(time.Hour)}); err != nil || len(items) != 0 {
		t.Fatalf("future: %d %v", len(items), err)
	}
	if items, err = svc.ListSignatureAudits(ctx, SignatureAuditQuery{UserID: "someone else"}); err != nil || len(items) != 0 {
		t.Fatalf("other user: %d %v", len(items), err)
	}
	if _, err := svc.ListSignatureAudits(ctx, SignatureAuditQuery{}); CodeOf(err) != CodeInvalidRequest {
		t.Fatalf("no user: %v", err)
	}
	if _, err := svc.ListSignatureAudits(ctx, SignatureAuditQuery{UserID: "u", From: end, To: start}); CodeOf(err) != CodeInvalidRequest {
		t.Fatalf("inverted range: %v", err)
	}
}
