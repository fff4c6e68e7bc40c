package service

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/mauth/mauth/internal/domain"
	"github.com/mauth/mauth/internal/store"
)

// Callback events are written to the outbox (pa_application_callback_event)
// in the transaction that changed the state they report, and delivered by
// the dispatcher of package internal/callbacks after commit.

// Payload type names of callback events.
const (
	callbackPayloadActivation = "ACTIVATION"
	callbackPayloadOperation  = "OPERATION"
)

// enqueueCallbackEvents writes one PENDING event with payload for every
// enabled callback of type typ of the application, due now.
func (s *Service) enqueueCallbackEvents(ctx context.Context, tx store.Tx, applicationID int64, typ domain.CallbackType, orderingKey string, payload func(cb domain.CallbackURL) (map[string]any, error)) error {
	cbs, err := tx.ListCallbackURLs(ctx, applicationID)
	if err != nil {
		return fmt.Errorf("list callbacks: %w", err)
	}
	now := s.Now()
	for _, cb := range cbs {
		if !cb.Enabled || cb.Type != typ {
			continue
		}
		body, err := payload(cb)
		if err != nil {
			return err
		}
		raw, err := json.Marshal(body)
		if err != nil {
			return fmt.Errorf("encode callback payload: %w", err)
		}
		e := domain.CallbackEvent{
			CallbackID: cb.ID, OrderingKey: orderingKey, Payload: raw, Status: domain.CallbackEventPending,
			IdempotencyKey: uuid.NewString(), Created: now, NextCall: now,
		}
		if err := tx.CreateCallbackEvent(ctx, &e); err != nil {
			return fmt.Errorf("enqueue callback event: %w", err)
		}
	}
	return nil
}

// onActivationStatusChanged runs inside the transaction of every
// activation status change (recordHistory): it enqueues the
// ACTIVATION_STATUS_CHANGE callbacks and writes the audit entry. prev is
// the status before (hadPrev false for a new activation).
func (s *Service) onActivationStatusChanged(ctx context.Context, tx store.Tx, a domain.Activation, prev domain.ActivationStatus, hadPrev bool, reason, externalUserID string) error {
	app, err := tx.GetApplication(ctx, a.ApplicationID)
	if err != nil {
		return fmt.Errorf("load application: %w", err)
	}
	err = s.enqueueCallbackEvents(ctx, tx, a.ApplicationID, domain.CallbackActivationStatusChange, a.ActivationID,
		func(cb domain.CallbackURL) (map[string]any, error) {
			return activationPayload(a, app, cb.Attributes), nil
		})
	if err != nil {
		return err
	}
	d := map[string]string{"status": a.Status.String(), "reason": reason, "blockedReason": a.BlockedReason}
	if hadPrev {
		d["previousStatus"] = prev.String()
	}
	return s.writeAudit(ctx, tx, domain.AuditEntry{
		Type: domain.AuditActivationStatusChanged, Actor: externalUserID, ActivationID: a.ActivationID,
		UserID: a.UserID, Application: app.Name, Details: d,
	})
}

// activationPayload is the body of an activation callback: type and
// activationId always, the other attributes when the callback asked for
// them.
func activationPayload(a domain.Activation, app domain.Application, attrs []string) map[string]any {
	p := map[string]any{"type": callbackPayloadActivation, "activationId": a.ActivationID}
	for _, attr := range attrs {
		switch attr {
		case "userId":
			p[attr] = a.UserID
		case "activationName":
			p[attr] = optString(a.Name)
		case "deviceInfo":
			p[attr] = optString(a.DeviceInfo)
		case "platform":
			p[attr] = optString(a.Platform)
		case "protocol":
			proto := a.Protocol
			if proto == "" {
				proto = domain.ProtocolPowerAuth
			}
			p[attr] = string(proto)
		case "activationFlags":
			p[attr] = nonNil(a.Flags)
		case "activationStatus":
			p[attr] = a.Status.String()
		case "blockedReason":
			p[attr] = optString(a.BlockedReason)
		case "applicationId":
			p[attr] = app.Name
		}
	}
	return p
}

// enqueueOperationEvents enqueues the OPERATION_STATUS_CHANGE callbacks of
// every application of op.
func (s *Service) enqueueOperationEvents(ctx context.Context, tx store.Tx, op domain.Operation) error {
	names := make([]string, 0, len(op.ApplicationIDs))
	for _, id := range op.ApplicationIDs {
		app, err := tx.GetApplication(ctx, id)
		if err != nil {
			return fmt.Errorf("load application: %w", err)
		}
		names = append(names, app.Name)
	}
	for _, id := range dedupeIDs(op.ApplicationIDs) {
		err := s.enqueueCallbackEvents(ctx, tx, id, domain.CallbackOperationStatusChange, op.ID,
			func(cb domain.CallbackURL) (map[string]any, error) {
				return operationPayload(op, names, cb.Attributes), nil
			})
		if err != nil {
			return err
		}
	}
	return nil
}

func dedupeIDs(ids []int64) []int64 {
	out := slices.Clone(ids)
	slices.Sort(out)
	return slices.Compact(out)
}

// operationPayload is the body of an operation callback: type and
// operationId always, the other attributes when the callback asked for
// them.
func operationPayload(op domain.Operation, applications []string, attrs []string) map[string]any {
	p := map[string]any{"type": callbackPayloadOperation, "operationId": op.ID}
	ts := func(t time.Time) any {
		if t.IsZero() {
			return nil
		}
		return t
	}
	for _, attr := range attrs {
		switch attr {
		case "userId":
			p[attr] = optString(op.UserID)
		case "applications":
			p[attr] = nonNil(applications)
		case "operationType":
			p[attr] = op.OperationType
		case "parameters":
			if op.Parameters == nil {
				p[attr] = map[string]string{}
			} else {
				p[attr] = op.Parameters
			}
		case "additionalData":
			if op.AdditionalData == nil {
				p[attr] = map[string]any{}
			} else {
				p[attr] = op.AdditionalData
			}
		case "activationFlag":
			p[attr] = optString(op.ActivationFlag)
		case "status":
			p[attr] = op.Status.String()
		case "data":
			p[attr] = op.Data
		case "failureCount":
			p[attr] = op.FailureCount
		case "maxFailureCount":
			p[attr] = op.MaxFailureCount
		case "signatureType":
			types := make([]string, len(op.SignatureTypes))
			for i, t := range op.SignatureTypes {
				types[i] = strings.ToUpper(t)
			}
			p[attr] = types
		case "externalId":
			p[attr] = optString(op.ExternalID)
		case "timestampCreated":
			p[attr] = ts(op.Created)
		case "timestampExpires":
			p[attr] = ts(op.Expires)
		case "timestampFinalized":
			p[attr] = ts(op.Finalized)
		}
	}
	return p
}

// CallbackTarget is what the dispatcher needs to deliver the events of one
// callback: its row, decrypted authentication, signing secret and the
// delivery settings with the server defaults applied.
type CallbackTarget struct {
	// Callback is the stored callback (Authentication still sealed).
	Callback domain.CallbackURL
	// Auth is the decrypted authentication; nil for none.
	Auth *CallbackAuthentication
	// SigningSecret is the HMAC key of the X-Mauth-Signature header.
	SigningSecret string
	// MaxAttempts is the delivery attempt limit.
	MaxAttempts int64
	// InitialBackoff is the delay before the first retry.
	InitialBackoff time.Duration
	// RetentionPeriod is how long final events are kept.
	RetentionPeriod time.Duration
}

// CallbackTarget loads the delivery target of a callback. A callback that
// no longer exists is store.ErrNotFound.
func (s *Service) CallbackTarget(ctx context.Context, callbackID string) (CallbackTarget, error) {
	cb, err := s.store.GetCallbackURL(ctx, callbackID)
	if err != nil {
		return CallbackTarget{}, fmt.Errorf("load callback: %w", err)
	}
	auth, err := s.OpenCallbackAuthentication(cb)
	if err != nil {
		return CallbackTarget{}, err
	}
	secret, err := s.CallbackSigningSecret(ctx, callbackID)
	if err != nil {
		return CallbackTarget{}, err
	}
	t := CallbackTarget{Callback: cb, Auth: auth, SigningSecret: secret,
		MaxAttempts: cb.MaxAttempts, InitialBackoff: cb.InitialBackoff, RetentionPeriod: cb.RetentionPeriod}
	if t.MaxAttempts <= 0 {
		t.MaxAttempts = DefaultCallbackMaxAttempts
	}
	if t.InitialBackoff <= 0 {
		t.InitialBackoff = DefaultCallbackInitialBackoff
	}
	if t.RetentionPeriod <= 0 {
		t.RetentionPeriod = DefaultCallbackRetentionPeriod
	}
	return t, nil
}

// callbackSecretContext binds a sealed callback signing secret to its row.
func callbackSecretContext(callbackID string) string {
	return "pa_application_callback_secret:" + callbackID
}

// CallbackSigningSecret returns the secret mauth signs the events of a
// callback with (the X-Mauth-Signature header; see
// callbacks.VerifySignature), creating it on first use. It is random (32
// bytes, Base64url), stored sealed, and stays the same for the lifetime of
// the callback. The bank reads it once after creating the callback.
func (s *Service) CallbackSigningSecret(ctx context.Context, callbackID string) (string, error) {
	if sealed, err := s.store.GetCallbackSecret(ctx, callbackID); err == nil {
		return s.openCallbackSecret(callbackID, sealed)
	} else if !errors.Is(err, store.ErrNotFound) {
		return "", fmt.Errorf("load callback secret: %w", err)
	}
	var out string
	err := s.store.InTx(ctx, func(tx store.Tx) error {
		if _, err := tx.GetCallbackURL(ctx, callbackID); err != nil {
			if errors.Is(err, store.ErrNotFound) {
				return Errorf(CodeInvalidRequest, "Callback URL does not exist.")
			}
			return fmt.Errorf("load callback: %w", err)
		}
		var raw [32]byte
		if _, err := rand.Read(raw[:]); err != nil {
			return fmt.Errorf("generate callback secret: %w", err)
		}
		secret := base64.RawURLEncoding.EncodeToString(raw[:])
		err := tx.CreateCallbackSecret(ctx, callbackID, s.box.Seal([]byte(secret), callbackSecretContext(callbackID)), s.Now())
		if errors.Is(err, store.ErrAlreadyExists) {
			sealed, err := tx.GetCallbackSecret(ctx, callbackID)
			if err != nil {
				return fmt.Errorf("load callback secret: %w", err)
			}
			out, err = s.openCallbackSecret(callbackID, sealed)
			return err
		}
		if err != nil {
			return fmt.Errorf("store callback secret: %w", err)
		}
		out = secret
		return nil
	})
	return out, err
}

func (s *Service) openCallbackSecret(callbackID string, sealed []byte) (string, error) {
	plain, err := s.box.Open(sealed, callbackSecretContext(callbackID))
	if err != nil {
		return "", fmt.Errorf("callback %s: open signing secret: %w", callbackID, err)
	}
	return string(plain), nil
}
