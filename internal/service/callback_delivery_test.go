package service

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/mauth/mauth/internal/domain"
	"github.com/mauth/mauth/internal/store"
	"github.com/mauth/mauth/internal/testutil/teststore"
	"github.com/mauth/mauth/protocol"
)

// callbackPayloads returns the decoded payloads of a callback's events in order.
func callbackPayloads(t *testing.T, svc *Service, callbackID string) []map[string]any {
	t.Helper()
	evs, err := svc.store.ListCallbackEvents(context.Background(), store.CallbackEventFilter{CallbackID: callbackID})
	require.NoError(t, err)
	out := make([]map[string]any, len(evs))
	for i, e := range evs {
		require.Equal(t, domain.CallbackEventPending, e.Status)
		require.NotEmpty(t, e.IdempotencyKey)
		require.NoError(t, json.Unmarshal(e.Payload, &out[i]))
	}
	return out
}

func statusesOf(ps []map[string]any) []any {
	out := make([]any, len(ps))
	for i, p := range ps {
		out[i] = p["activationStatus"]
	}
	return out
}

func TestActivationCallbackEvents(t *testing.T) {
	teststore.Each(t, func(t *testing.T, st store.Store) {
		ctx := context.Background()
		svc, clock := newTestService(t, st, Config{})
		ta := createTestApp(t, svc)
		full, err := svc.CreateCallback(ctx, CallbackInput{ApplicationName: ta.App.Name, Name: "full",
			Type: domain.CallbackActivationStatusChange, URL: "https://bank.test/full", Attributes: CallbackAttributes(domain.CallbackActivationStatusChange)})
		require.NoError(t, err)
		bare, err := svc.CreateCallback(ctx, CallbackInput{ApplicationName: ta.App.Name, Name: "bare",
			Type: domain.CallbackActivationStatusChange, URL: "https://bank.test/bare"})
		require.NoError(t, err)
		ops, err := svc.CreateCallback(ctx, CallbackInput{ApplicationName: ta.App.Name, Name: "ops",
			Type: domain.CallbackOperationStatusChange, URL: "https://bank.test/ops"})
		require.NoError(t, err)

		p := actActive(t, svc, ta)
		id := p.result.Activation.ActivationID
		_, err = svc.UpdateActivationName(ctx, id, "renamed", "admin")
		require.NoError(t, err)
		_, err = svc.BlockActivation(ctx, id, "LOST", "admin")
		require.NoError(t, err)
		_, err = svc.UnblockActivation(ctx, id, "admin")
		require.NoError(t, err)
		_, err = svc.RemoveActivation(ctx, id, "admin", false)
		require.NoError(t, err)

		got := callbackPayloads(t, svc, full.ID)
		require.Equal(t, []any{"CREATED", "PENDING_COMMIT", "ACTIVE", "BLOCKED", "ACTIVE", "REMOVED"}, statusesOf(got),
			"one event per status change, none for the rename")
		a := actGet(t, svc, id)
		blocked := got[3]
		require.Equal(t, map[string]any{
			"type": "ACTIVATION", "activationId": id, "userId": a.UserID, "activationName": "renamed",
			"deviceInfo": optAny(a.DeviceInfo), "platform": a.Platform, "protocol": "powerauth",
			"activationFlags": []any{}, "activationStatus": "BLOCKED", "blockedReason": "LOST",
			"applicationId": ta.App.Name,
		}, blocked)
		require.Equal(t, []map[string]any{
			{"type": "ACTIVATION", "activationId": id}, {"type": "ACTIVATION", "activationId": id},
			{"type": "ACTIVATION", "activationId": id}, {"type": "ACTIVATION", "activationId": id},
			{"type": "ACTIVATION", "activationId": id}, {"type": "ACTIVATION", "activationId": id},
		}, callbackPayloads(t, svc, bare.ID), "no optional attributes unless asked for")
		require.Empty(t, callbackPayloads(t, svc, ops.ID), "operation callbacks get no activation events")

		// Expiry of an unfinished activation is a status change too; a
		// removed callback gets nothing more.
		removed, err := svc.RemoveCallback(ctx, bare.ID)
		require.NoError(t, err)
		require.True(t, removed)
		pending, err := svc.InitActivation(ctx, InitActivationInput{UserID: "bob", ApplicationID: ta.App.Name})
		require.NoError(t, err)
		clock.Advance(svc.Config().ActivationValidity + time.Minute)
		n, err := svc.ExpireActivations(ctx, 10)
		require.NoError(t, err)
		require.Equal(t, 1, n)
		var forPending []any
		for _, pl := range callbackPayloads(t, svc, full.ID) {
			if pl["activationId"] == pending.ActivationID {
				forPending = append(forPending, pl["activationStatus"])
			}
		}
		require.Equal(t, []any{"CREATED", "REMOVED"}, forPending)
		require.Len(t, callbackPayloads(t, svc, bare.ID), 6)

		// The audit log has the same changes, with the acting administrator.
		entries, err := svc.ListAuditLog(ctx, AuditQuery{ActivationID: id, Type: domain.AuditActivationStatusChanged})
		require.NoError(t, err)
		require.Len(t, entries, 6)
		require.Equal(t, "REMOVED", entries[0].Details["status"])
		require.Equal(t, "ACTIVE", entries[0].Details["previousStatus"])
		require.Equal(t, "admin", entries[0].Actor)
		require.Equal(t, a.UserID, entries[0].UserID)
		require.Equal(t, ta.App.Name, entries[0].Application)
		require.Equal(t, "CREATED", entries[5].Details["status"])
		require.NotContains(t, entries[5].Details, "previousStatus")
	})
}

func optAny(s string) any {
	if s == "" {
		return nil
	}
	return s
}

func TestCallbackSigningSecret(t *testing.T) {
	ctx := context.Background()
	svc, _ := newSQLiteService(t)
	ta := createTestApp(t, svc)
	cb, err := svc.CreateCallback(ctx, CallbackInput{ApplicationName: ta.App.Name, Name: "cb",
		Type: domain.CallbackActivationStatusChange, URL: "https://bank.test/cb"})
	require.NoError(t, err)
	s1, err := svc.CallbackSigningSecret(ctx, cb.ID)
	require.NoError(t, err)
	require.Len(t, s1, 43, "32 random bytes, Base64url")
	s2, err := svc.CallbackSigningSecret(ctx, cb.ID)
	require.NoError(t, err)
	require.Equal(t, s1, s2, "stable")
	sealed, err := svc.store.GetCallbackSecret(ctx, cb.ID)
	require.NoError(t, err)
	require.NotContains(t, string(sealed), s1, "sealed at rest")
	_, err = svc.CallbackSigningSecret(ctx, "00000000-0000-4000-8000-000000000000")
	require.Equal(t, CodeInvalidRequest, CodeOf(err))

	target, err := svc.CallbackTarget(ctx, cb.ID)
	require.NoError(t, err)
	require.Equal(t, s1, target.SigningSecret)
	require.EqualValues(t, DefaultCallbackMaxAttempts, target.MaxAttempts)
	require.Equal(t, DefaultCallbackInitialBackoff, target.InitialBackoff)
	require.Equal(t, DefaultCallbackRetentionPeriod, target.RetentionPeriod)
}

func TestAuditLogEntries(t *testing.T) {
	teststore.Each(t, func(t *testing.T, st store.Store) {
		svc, _ := newTestService(t, st, Config{})
		ctx := domain.WithRequestInfo(context.Background(), domain.RequestInfo{IP: "192.0.2.7", UserAgent: "bank/1", Actor: "private-api:tok"})
		ta := createTestApp(t, svc)
		p := actActive(t, svc, ta)
		id := p.result.Activation.ActivationID

		res, err := svc.VerifySignature(ctx, VerifySignatureInput{ActivationID: id, ApplicationKey: ta.Version.ApplicationKey,
			Data: "POST&L2FwaQ==&bm9uY2U=&Ym9keQ==", Signature: "12345678-12345678", SignatureType: protocol.SignatureType("possession_knowledge"),
			SignatureVersion: "3.1"})
		require.NoError(t, err)
		require.False(t, res.SignatureValid)
		cb, err := svc.CreateCallback(ctx, CallbackInput{ApplicationName: ta.App.Name, Name: "cb",
			Type: domain.CallbackActivationStatusChange, URL: "https://bank.test/cb"})
		require.NoError(t, err)
		_, err = svc.RemoveCallback(ctx, cb.ID)
		require.NoError(t, err)
		require.False(t, svc.AuthenticateIntegration(ctx, "unknown-token", "secret-value"))

		failed, err := svc.ListAuditLog(ctx, AuditQuery{Type: domain.AuditSignatureFailed})
		require.NoError(t, err)
		require.Len(t, failed, 1)
		f := failed[0]
		require.Equal(t, id, f.ActivationID)
		require.Equal(t, ta.App.Name, f.Application)
		require.Equal(t, "192.0.2.7", f.IP)
		require.Equal(t, "bank/1", f.UserAgent)
		require.Equal(t, "private-api:tok", f.Actor)
		require.Equal(t, "possession_knowledge", f.Details["signatureType"])
		for _, v := range f.Details {
			require.NotContains(t, v, "12345678", "the signature is never in the audit log")
		}

		admin, err := svc.ListAuditLog(ctx, AuditQuery{Type: domain.AuditAdminChange})
		require.NoError(t, err)
		var actions []string
		for _, e := range admin {
			actions = append(actions, e.Details["action"])
		}
		require.Equal(t, []string{"CALLBACK_REMOVED", "CALLBACK_CREATED", "APPLICATION_CREATED"}, actions)

		auth, err := svc.ListAuditLog(ctx, AuditQuery{Type: domain.AuditIntegrationAuth})
		require.NoError(t, err)
		require.Len(t, auth, 1)
		require.Equal(t, "unknown-token", auth[0].Details["clientToken"])
		for _, v := range auth[0].Details {
			require.NotContains(t, v, "secret-value")
		}

		all, err := svc.ListAuditLog(ctx, AuditQuery{UserID: p.result.Activation.UserID, Limit: 2})
		require.NoError(t, err)
		require.Len(t, all, 2)
		_, err = svc.ListAuditLog(ctx, AuditQuery{Type: "NOPE"})
		require.Equal(t, CodeInvalidRequest, CodeOf(err))
		now := svc.Now()
		_, err = svc.ListAuditLog(ctx, AuditQuery{From: now, To: now.Add(-time.Second)})
		require.Equal(t, CodeInvalidRequest, CodeOf(err))
	})
}
