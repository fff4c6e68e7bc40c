package service

import (
	"bytes"
	"context"
	"errors"
	"testing"

	"github.com/mauth/mauth/internal/domain"
	"github.com/mauth/mauth/internal/store"
	"github.com/mauth/mauth/protocol"
)

// The signature audit log keeps the request data but never the
// application secret that the signed data ends with.
func TestSignatureAuditOmitsApplicationSecret(t *testing.T) {
	svc, _ := newSQLiteService(t)
	app := createTestApp(t, svc)
	d := newActiveTestActivation(t, svc, app)
	reqData := protocol.RequestData("POST", "/pa/signature/validate", protocol.RandomBytes(16), []byte(`{"a":1}`))
	for _, sig := range []string{d.sign(t, protocol.SignaturePossessionKnowledge, "3.3", reqData), "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="} {
		mustVerify(t, svc, VerifySignatureInput{ActivationID: d.ActivationID, ApplicationKey: app.Version.ApplicationKey,
			Data: reqData, Signature: sig, SignatureType: protocol.SignaturePossessionKnowledge, SignatureVersion: "3.3"})
	}
	recs := audits(t, svc, d.ActivationID)
	if len(recs) != 2 || !recs[0].Valid || recs[1].Valid {
		t.Fatalf("audit records: %+v", recs)
	}
	for _, r := range recs {
		if bytes.Contains(r.Data, []byte(app.Version.ApplicationSecret)) {
			t.Fatal("application secret stored in the signature audit log")
		}
		if string(r.Data) != reqData {
			t.Fatalf("audit data %q, want the request data %q", r.Data, reqData)
		}
	}
}

// Removing an activation deletes its MAC tokens.
func TestRemoveActivationDeletesTokens(t *testing.T) {
	svc, _ := newSQLiteService(t)
	app := createTestApp(t, svc)
	ta := newEncTestActivation(t, svc, app, domain.ActivationActive, 3)
	tokenID, _ := createTestToken(t, svc, ta, protocol.Version32, protocol.SignaturePossessionKnowledge)
	ctx := context.Background()
	if _, err := svc.store.GetToken(ctx, tokenID); err != nil {
		t.Fatalf("token not stored: %v", err)
	}
	if _, err := svc.RemoveActivation(ctx, ta.ID, "admin", false); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.store.GetToken(ctx, tokenID); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("token of a removed activation still stored: %v", err)
	}
}
