package callbacks

import (
	"context"
	"encoding/json"
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
// the Dispatcher after commit.

// Payload type names of callback events.
const (
	callbackPayloadActivation = "ACTIVATION"
	callbackPayloadOperation  = "OPERATION"
)

// Enqueue writes, inside tx, one PENDING event due at now for every
// enabled callback of type typ of the application; payload builds the
// body of each (from the attributes the callback asked for).
func Enqueue(ctx context.Context, tx store.Tx, now time.Time, applicationID int64, typ domain.CallbackType, orderingKey string, payload func(cb domain.CallbackURL) (map[string]any, error)) error {
	cbs, err := tx.ListCallbackURLs(ctx, applicationID)
	if err != nil {
		return fmt.Errorf("list callbacks: %w", err)
	}
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

// EnqueueActivation enqueues, inside tx, the ACTIVATION_STATUS_CHANGE
// events of activation a of app (its status just changed).
func EnqueueActivation(ctx context.Context, tx store.Tx, now time.Time, a domain.Activation, app domain.Application) error {
	return Enqueue(ctx, tx, now, a.ApplicationID, domain.CallbackActivationStatusChange, a.ActivationID,
		func(cb domain.CallbackURL) (map[string]any, error) {
			return activationPayload(a, app, cb.Attributes), nil
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

// EnqueueOperation enqueues, inside tx, the OPERATION_STATUS_CHANGE
// events of every application of op (its status just changed).
func EnqueueOperation(ctx context.Context, tx store.Tx, now time.Time, op domain.Operation) error {
	names := make([]string, 0, len(op.ApplicationIDs))
	for _, id := range op.ApplicationIDs {
		app, err := tx.GetApplication(ctx, id)
		if err != nil {
			return fmt.Errorf("load application: %w", err)
		}
		names = append(names, app.Name)
	}
	for _, id := range dedupeIDs(op.ApplicationIDs) {
		err := Enqueue(ctx, tx, now, id, domain.CallbackOperationStatusChange, op.ID,
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
