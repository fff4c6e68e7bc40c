package e2e

import (
	"context"
	"net/http"
	"reflect"
	"testing"

	"github.com/google/uuid"

	"github.com/mauth/mauth/client"
	"github.com/mauth/mauth/internal/api/mtoken"
	"github.com/mauth/mauth/internal/store"
	"github.com/mauth/mauth/internal/testutil/teststore"
	"github.com/mauth/mauth/protocol"
)

// TestOperationFailuresOnlyFromTheUsersDevices: a rejected signature on
// Mobile Token operation/authorize counts a failed approval only when the
// header names an activation of the operation's user, in one of the
// operation's applications (and the bound activation, when the operation
// has one). A random activation id, another application's activation of
// the user and another user's activation leave the operation PENDING with
// no failure, and nothing of these requests (activation id, IP, user
// agent) lands in additionalData. Every such request is answered 401
// POWERAUTH_AUTH_FAIL, as the user's own wrong PIN is.
func TestOperationFailuresOnlyFromTheUsersDevices(t *testing.T) {
	teststore.Each(t, func(t *testing.T, st store.Store) {
		ctx := context.Background()
		e := newEnv(t, st, InProcess)
		mountMobile(t, e, st)
		app := e.newApp(t, "fail-app")
		other := e.newApp(t, "fail-other-app")
		e.private(t, "operation/template/create", map[string]any{
			"templateName": "payment-2fa", "operationType": "payment", "dataTemplate": "A1*A${amount}${currency}",
			"signatureType": []string{"POSSESSION_KNOWLEDGE", "POSSESSION_BIOMETRY"}, "maxFailureCount": 3, "expiration": 300,
		})
		o := &opsFixture{e: e, app: app}
		create := func(t *testing.T, user, activationID string) (id, data string) {
			t.Helper()
			req := map[string]any{
				"applications": []string{app.name}, "templateName": "payment-2fa",
				"parameters":     map[string]string{"amount": "100", "currency": "EUR"},
				"additionalData": map[string]any{"channel": "web", "note": "from the bank"},
			}
			if user != "" {
				req["userId"] = user
			}
			if activationID != "" {
				req["activationId"] = activationID
			}
			created := e.private(t, "operation/create", req)
			return created["id"].(string), created["data"].(string)
		}
		// attack sends three authorize requests with a wrong PIN from c/d
		// (one more than the operation needs to fail with the old code)
		// and checks that each is a plain 401.
		attack := func(t *testing.T, c *client.Client, d *client.Device, id, data string) {
			t.Helper()
			for i := 0; i < 3; i++ {
				err := c.AuthorizeOperation(ctx, d, client.PossessionKnowledge(wrongPIN), client.Approval{ID: id, Data: data})
				wantAPIError(t, err, http.StatusUnauthorized, mtoken.CodeAuthFail)
			}
		}
		untouched := func(t *testing.T, id string, before map[string]any) {
			t.Helper()
			after := o.wantBank(t, id, "PENDING", 0)
			if !reflect.DeepEqual(after["additionalData"], before["additionalData"]) {
				t.Fatalf("additionalData changed from %v to %v", before["additionalData"], after["additionalData"])
			}
		}

		user := o.user("victim")
		c, d, _ := o.device(t, user)
		id, data := create(t, user, "")
		before := o.bank(t, id)

		t.Run("random-activation-id", func(t *testing.T) {
			fake := *d
			fake.ActivationID = uuid.NewString()
			attack(t, c, &fake, id, data)
			untouched(t, id, before)
		})
		t.Run("activation-of-another-application", func(t *testing.T) {
			oc := e.device(t, other, protocol.Version33)
			od := activateWithCode(t, e, oc, other, user)
			attack(t, oc, od, id, data)
			untouched(t, id, before)
		})
		t.Run("activation-of-another-user", func(t *testing.T) {
			oc, od, _ := o.device(t, o.user("attacker"))
			attack(t, oc, od, id, data)
			untouched(t, id, before)
		})
		t.Run("operation-without-user", func(t *testing.T) {
			uid, udata := create(t, "", "")
			ubefore := o.bank(t, uid)
			c2, d2, _ := o.device(t, user)
			attack(t, c2, d2, uid, udata)
			untouched(t, uid, ubefore)
		})
		t.Run("other-device-of-a-bound-operation", func(t *testing.T) {
			bc, bound, _ := o.device(t, user)
			bid, bdata := create(t, user, bound.ActivationID)
			bbefore := o.bank(t, bid)
			c2, d2, _ := o.device(t, user)
			attack(t, c2, d2, bid, bdata)
			untouched(t, bid, bbefore)
			// The bound device's own wrong PIN counts.
			err := bc.AuthorizeOperation(ctx, bound, client.PossessionKnowledge(wrongPIN), client.Approval{ID: bid, Data: bdata})
			wantAPIError(t, err, http.StatusUnauthorized, mtoken.CodeAuthFail)
			o.wantBank(t, bid, "PENDING", 1)
		})
		t.Run("own-device-counts", func(t *testing.T) {
			for i := 1; i <= 2; i++ {
				err := c.AuthorizeOperation(ctx, d, client.PossessionKnowledge(wrongPIN), client.Approval{ID: id, Data: data})
				wantAPIError(t, err, http.StatusUnauthorized, mtoken.CodeAuthFail)
				after := o.wantBank(t, id, "PENDING", i)
				// Counted, but the unauthenticated request stored nothing.
				if !reflect.DeepEqual(after["additionalData"], before["additionalData"]) {
					t.Fatalf("additionalData changed from %v to %v", before["additionalData"], after["additionalData"])
				}
			}
			if err := c.AuthorizeOperation(ctx, d, client.PossessionKnowledge(pin), client.Approval{ID: id, Data: data}); err != nil {
				t.Fatalf("authorize with the right PIN: %v", err)
			}
			after := o.wantBank(t, id, "APPROVED", 2)
			if extra, _ := after["additionalData"].(map[string]any); extra["activationId"] != d.ActivationID || extra["channel"] != "web" {
				t.Fatalf("additionalData after the approval: %v", extra)
			}
		})
	})
}
