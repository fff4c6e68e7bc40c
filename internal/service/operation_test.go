package service

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mauth/mauth/internal/domain"
	"github.com/mauth/mauth/internal/store"
	"github.com/mauth/mauth/internal/testutil/teststore"
	"github.com/mauth/mauth/protocol"
)

// opFixture is a service with an application and a payment template.
type opFixture struct {
	svc   *Service
	clock *testClock
	app   testApp
	tmpl  domain.OperationTemplate
}

func newOpFixture(t *testing.T, st store.Store, mod func(*OperationTemplateInput)) *opFixture {
	t.Helper()
	svc, clock := newTestService(t, st, Config{})
	f := &opFixture{svc: svc, clock: clock, app: createTestApp(t, svc)}
	in := OperationTemplateInput{
		Name: "payment-" + protocol.GenerateActivationCode(), OperationType: "authorize_payment",
		DataTemplate:    "A1*A${amount}${currency}*I${iban}*N${note}",
		SignatureTypes:  []protocol.SignatureType{protocol.SignaturePossessionKnowledge, protocol.SignaturePossessionBiometry},
		MaxFailureCount: 3, Expiration: 5 * time.Minute, RiskFlags: "X",
	}
	if mod != nil {
		mod(&in)
	}
	tmpl, err := svc.CreateOperationTemplate(context.Background(), in)
	if err != nil {
		t.Fatal(err)
	}
	f.tmpl = tmpl
	return f
}

func (f *opFixture) create(t *testing.T, user string, mod func(*CreateOperationInput)) OperationDetail {
	t.Helper()
	in := CreateOperationInput{
		UserID: user, Applications: []string{f.app.App.Name}, TemplateName: f.tmpl.Name,
		Parameters: map[string]string{"amount": "100.00", "currency": "EUR", "iban": "CZ12", "note": `say "hi"\`},
	}
	if mod != nil {
		mod(&in)
	}
	d, err := f.svc.CreateOperation(context.Background(), in)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func (f *opFixture) approve(op OperationDetail, user string, mod func(*ApproveOperationInput)) (OperationActionResult, error) {
	in := ApproveOperationInput{
		OperationID: op.ID, UserID: user, ApplicationName: f.app.App.Name, Data: op.Data,
		SignatureType: protocol.SignaturePossessionKnowledge,
	}
	if mod != nil {
		mod(&in)
	}
	return f.svc.ApproveOperation(context.Background(), in)
}

func wantResult(t *testing.T, r OperationActionResult, err error, result UserActionResult, status domain.OperationStatus, failures int64) {
	t.Helper()
	if err != nil {
		t.Fatalf("unexpected error %v", err)
	}
	if r.Result != result || r.Operation.Status != status || r.Operation.FailureCount != failures {
		t.Fatalf("got %s %s failures %d, want %s %s %d", r.Result, r.Operation.Status, r.Operation.FailureCount, result, status, failures)
	}
}

func wantCode(t *testing.T, err error, code string) {
	t.Helper()
	if CodeOf(err) != code {
		t.Fatalf("got error %v, want code %s", err, code)
	}
}

func TestOperationTemplates(t *testing.T) {
	teststore.Each(t, func(t *testing.T, st store.Store) {
		ctx := context.Background()
		f := newOpFixture(t, st, nil)
		got, err := f.svc.GetOperationTemplate(ctx, f.tmpl.ID)
		if err != nil || got.Name != f.tmpl.Name || strings.Join(got.SignatureTypes, ",") != "possession_knowledge,possession_biometry" {
			t.Fatalf("detail %+v %v", got, err)
		}
		_, err = f.svc.CreateOperationTemplate(ctx, OperationTemplateInput{Name: f.tmpl.Name, OperationType: "x", DataTemplate: "x",
			SignatureTypes: []protocol.SignatureType{protocol.SignaturePossession}, MaxFailureCount: 1, Expiration: time.Second})
		wantCode(t, err, CodeTemplateAlreadyExists)
		_, err = f.svc.CreateOperationTemplate(ctx, OperationTemplateInput{Name: "bad"})
		wantCode(t, err, CodeInvalidRequest)
		upd, err := f.svc.UpdateOperationTemplate(ctx, f.tmpl.ID, OperationTemplateInput{Name: "ignored", OperationType: "login",
			DataTemplate: "A2", SignatureTypes: []protocol.SignatureType{protocol.SignaturePossession}, MaxFailureCount: 2,
			Expiration: time.Minute, NumberMatchingEnabled: true})
		if err != nil || upd.Name != f.tmpl.Name || upd.OperationType != "login" || !upd.NumberMatchingEnabled {
			t.Fatalf("update %+v %v", upd, err)
		}
		list, err := f.svc.ListOperationTemplates(ctx)
		if err != nil || len(list) != 1 {
			t.Fatalf("list %v %v", list, err)
		}
		if err := f.svc.RemoveOperationTemplate(ctx, f.tmpl.ID); err != nil {
			t.Fatal(err)
		}
		wantCode(t, f.svc.RemoveOperationTemplate(ctx, f.tmpl.ID), CodeTemplateNotFound)
		_, err = f.svc.GetOperationTemplate(ctx, f.tmpl.ID)
		wantCode(t, err, CodeTemplateNotFound)
		_, err = f.svc.UpdateOperationTemplate(ctx, f.tmpl.ID, OperationTemplateInput{OperationType: "x", DataTemplate: "x",
			SignatureTypes: []protocol.SignatureType{protocol.SignaturePossession}, MaxFailureCount: 1, Expiration: time.Second})
		wantCode(t, err, CodeTemplateNotFound)
	})
}

func TestOperationCreate(t *testing.T) {
	teststore.Each(t, func(t *testing.T, st store.Store) {
		ctx := context.Background()
		f := newOpFixture(t, st, nil)
		op := f.create(t, "alice", nil)
		if op.Data != `A1*A100.00EUR*ICZ12*Nsay \"hi\"\\` {
			t.Fatalf("data %q", op.Data)
		}
		if op.Status != domain.OperationPending || op.UserID != "alice" || op.OperationType != "authorize_payment" ||
			op.MaxFailureCount != 3 || op.RiskFlags != "X" || len(op.Applications) != 1 || op.Applications[0] != f.app.App.Name ||
			!op.Expires.Equal(op.Created.Add(5*time.Minute)) || op.ProximityOTP != "" || op.NumberMatching != "" {
			t.Fatalf("created %+v", op)
		}
		_, err := f.svc.CreateOperation(ctx, CreateOperationInput{Applications: []string{f.app.App.Name}, TemplateName: f.tmpl.Name,
			Parameters: map[string]string{"amount": "1"}})
		wantCode(t, err, CodeInvalidRequest) // ${currency} missing
		_, err = f.svc.CreateOperation(ctx, CreateOperationInput{Applications: []string{f.app.App.Name}, TemplateName: "nope"})
		wantCode(t, err, CodeTemplateNotFound)
		_, err = f.svc.CreateOperation(ctx, CreateOperationInput{Applications: []string{"nope"}, TemplateName: f.tmpl.Name})
		wantCode(t, err, CodeInvalidApplication)
		exp := f.svc.Now().Add(time.Hour)
		op2 := f.create(t, "", func(in *CreateOperationInput) { in.Expires = exp; in.ExternalID = "ext" })
		if !op2.Expires.Equal(exp) || op2.UserID != "" {
			t.Fatalf("explicit expiry %+v", op2)
		}
	})
}

func TestOperationApprove(t *testing.T) {
	teststore.Each(t, func(t *testing.T, st store.Store) {
		ctx := context.Background()
		f := newOpFixture(t, st, nil)

		t.Run("right data and type", func(t *testing.T) {
			op := f.create(t, "alice", nil)
			r, err := f.approve(op, "alice", func(in *ApproveOperationInput) { in.AdditionalData = map[string]any{"ipAddress": "1.2.3.4"} })
			wantResult(t, r, err, ResultApproved, domain.OperationApproved, 0)
			if r.Operation.Finalized.IsZero() || r.Operation.AdditionalData["ipAddress"] != "1.2.3.4" {
				t.Fatalf("approved %+v", r.Operation)
			}
			_, err = f.approve(op, "alice", nil)
			wantCode(t, err, CodeOperationApproveFailure) // no longer PENDING
		})
		t.Run("data differs by one byte", func(t *testing.T) {
			op := f.create(t, "alice", nil)
			data := []byte(op.Data)
			data[len(data)-1] ^= 1
			r, err := f.approve(op, "alice", func(in *ApproveOperationInput) { in.Data = string(data) })
			wantResult(t, r, err, ResultApprovalFailed, domain.OperationPending, 1)
			r, err = f.approve(op, "alice", func(in *ApproveOperationInput) { in.Data = op.Data + " " })
			wantResult(t, r, err, ResultApprovalFailed, domain.OperationPending, 2)
		})
		t.Run("wrong type", func(t *testing.T) {
			op := f.create(t, "alice", nil)
			r, err := f.approve(op, "alice", func(in *ApproveOperationInput) { in.SignatureType = protocol.SignaturePossession })
			wantResult(t, r, err, ResultApprovalFailed, domain.OperationPending, 1)
			r, err = f.approve(op, "alice", func(in *ApproveOperationInput) { in.SignatureType = protocol.SignaturePossessionBiometry })
			wantResult(t, r, err, ResultApproved, domain.OperationApproved, 1)
		})
		t.Run("wrong user", func(t *testing.T) {
			op := f.create(t, "alice", nil)
			r, err := f.approve(op, "mallory", nil)
			wantResult(t, r, err, ResultApprovalFailed, domain.OperationPending, 1)
			if r.Operation.UserID != "alice" {
				t.Fatalf("user changed to %q", r.Operation.UserID)
			}
		})
		t.Run("wrong application", func(t *testing.T) {
			other := createTestApp(t, f.svc)
			op := f.create(t, "alice", nil)
			r, err := f.approve(op, "alice", func(in *ApproveOperationInput) { in.ApplicationName = other.App.Name })
			wantResult(t, r, err, ResultApprovalFailed, domain.OperationPending, 1)
			_, err = f.approve(op, "alice", func(in *ApproveOperationInput) { in.ApplicationName = "nope" })
			wantCode(t, err, CodeInvalidApplication)
		})
		t.Run("failure limit", func(t *testing.T) {
			op := f.create(t, "alice", nil)
			r, err := f.approve(op, "alice", func(in *ApproveOperationInput) { in.Data = "x" })
			wantResult(t, r, err, ResultApprovalFailed, domain.OperationPending, 1)
			r, err = f.svc.FailOperationApproval(ctx, op.ID, map[string]any{"authFactor": "POSSESSION_KNOWLEDGE"})
			wantResult(t, r, err, ResultApprovalFailed, domain.OperationPending, 2)
			r, err = f.approve(op, "alice", func(in *ApproveOperationInput) { in.Data = "x" })
			wantResult(t, r, err, ResultOperationFailed, domain.OperationFailed, 3)
			if r.Operation.Finalized.IsZero() {
				t.Fatal("not finalized")
			}
			_, err = f.svc.FailOperationApproval(ctx, op.ID, nil)
			wantCode(t, err, CodeOperationInvalidState)
			_, err = f.approve(op, "alice", nil)
			wantCode(t, err, CodeOperationApproveFailure)
		})
		t.Run("unknown", func(t *testing.T) {
			_, err := f.approve(OperationDetail{Operation: domain.Operation{ID: "00000000-0000-4000-8000-000000000000", Data: "x"}}, "alice", nil)
			wantCode(t, err, CodeOperationApproveFailure)
			_, err = f.svc.FailOperationApproval(ctx, "00000000-0000-4000-8000-000000000000", nil)
			wantCode(t, err, CodeOperationNotFound)
		})
		t.Run("expired", func(t *testing.T) {
			op := f.create(t, "alice", func(in *CreateOperationInput) { in.Expires = f.svc.Now().Add(time.Second) })
			f.clock.Advance(2 * time.Second)
			_, err := f.approve(op, "alice", nil)
			wantCode(t, err, CodeOperationApproveFailure)
			got, err := st.GetOperation(ctx, op.ID)
			if err != nil || got.Status != domain.OperationExpired || got.Finalized.IsZero() {
				t.Fatalf("lazy expiry not persisted: %+v %v", got, err)
			}
		})
		t.Run("activation binding", func(t *testing.T) {
			d := newActiveTestActivation(t, f.svc, f.app)
			op := f.create(t, "", func(in *CreateOperationInput) { in.ActivationID = d.ActivationID })
			if op.UserID != d.UserID {
				t.Fatalf("user not filled from the activation: %q", op.UserID)
			}
			r, err := f.approve(op, d.UserID, func(in *ApproveOperationInput) { in.AdditionalData = map[string]any{"activationId": "other"} })
			wantResult(t, r, err, ResultApprovalFailed, domain.OperationPending, 1)
			r, err = f.approve(op, d.UserID, func(in *ApproveOperationInput) { in.AdditionalData = map[string]any{"activationId": d.ActivationID} })
			wantResult(t, r, err, ResultApproved, domain.OperationApproved, 1)
			_, err = f.svc.CreateOperation(ctx, CreateOperationInput{UserID: "someone-else", Applications: []string{f.app.App.Name},
				TemplateName: f.tmpl.Name, ActivationID: d.ActivationID, Parameters: op.Parameters})
			wantCode(t, err, CodeInvalidRequest)
		})
	})
}

func TestOperationProximityCheck(t *testing.T) {
	teststore.Each(t, func(t *testing.T, st store.Store) {
		ctx := context.Background()
		f := newOpFixture(t, st, func(in *OperationTemplateInput) { in.ProximityCheckEnabled = true })
		op := f.create(t, "alice", nil)
		if len(op.ProximityOTP) != ProximityOTPLength {
			t.Fatalf("proximity otp %q", op.ProximityOTP)
		}
		d, err := f.svc.GetOperation(ctx, op.ID, "")
		if err != nil || d.ProximityOTP == "" {
			t.Fatalf("detail otp %q %v", d.ProximityOTP, err)
		}
		wrong := "00000000"
		if wrong == d.ProximityOTP {
			wrong = "11111111"
		}
		r, err := f.approve(op, "alice", func(in *ApproveOperationInput) { in.AdditionalData = map[string]any{"proximity_otp": wrong} })
		wantResult(t, r, err, ResultApprovalFailed, domain.OperationPending, 1)
		r, err = f.approve(op, "alice", nil) // missing
		wantResult(t, r, err, ResultApprovalFailed, domain.OperationPending, 2)
		// One step old is still accepted (window 1); the code shown now is used.
		d, _ = f.svc.GetOperation(ctx, op.ID, "")
		f.clock.Advance(30 * time.Second)
		r, err = f.approve(op, "alice", func(in *ApproveOperationInput) { in.AdditionalData = map[string]any{"proximity_otp": d.ProximityOTP} })
		wantResult(t, r, err, ResultApproved, domain.OperationApproved, 2)

		// Two steps old is rejected.
		op2 := f.create(t, "alice", nil)
		f.clock.Advance(61 * time.Second)
		r, err = f.approve(op2, "alice", func(in *ApproveOperationInput) { in.AdditionalData = map[string]any{"proximity_otp": op2.ProximityOTP} })
		wantResult(t, r, err, ResultApprovalFailed, domain.OperationPending, 1)

		// The request may switch the check off for one operation.
		off := false
		op3 := f.create(t, "alice", func(in *CreateOperationInput) { in.ProximityCheckEnabled = &off })
		r, err = f.approve(op3, "alice", nil)
		wantResult(t, r, err, ResultApproved, domain.OperationApproved, 0)
	})
}

func TestOperationProximitySettings(t *testing.T) {
	st := teststore.SQLite(t)
	base, clock := newTestService(t, st, Config{})
	svc, err := New(st, base.box, base.cfg, WithClock(clock.Now), WithOperationSettings(OperationSettings{ProximityStep: 60 * time.Second, ProximityWindow: 0}))
	if err != nil {
		t.Fatal(err)
	}
	if set := svc.operationSettings(); set.ProximityStep != time.Minute || set.ProximityWindow != 0 || set.ExpireBatch != 100 {
		t.Fatalf("settings %+v", set)
	}
	if base.operationSettings() != DefaultOperationSettings() {
		t.Fatal("settings leaked to another service")
	}
	seed := []byte("0123456789abcdef")
	now := time.Unix(1_700_000_040, 0) // 40 s into a minute step
	cur, _ := totpSHA256(seed, now, time.Minute, ProximityOTPLength)
	prev, _ := totpSHA256(seed, now.Add(-time.Minute), time.Minute, ProximityOTPLength)
	for _, tc := range []struct {
		otp  string
		want bool
	}{{cur, true}, {prev, false}, {"", false}} {
		if ok, err := svc.proximityOTPValid(seed, tc.otp, now); err != nil || ok != tc.want {
			t.Errorf("otp %q: %v %v, want %v", tc.otp, ok, err, tc.want)
		}
	}
}

func TestOperationNumberMatching(t *testing.T) {
	teststore.Each(t, func(t *testing.T, st store.Store) {
		f := newOpFixture(t, st, func(in *OperationTemplateInput) { in.NumberMatchingEnabled = true })
		op := f.create(t, "alice", nil)
		if len(op.NumberMatching) != 2 || op.NumberMatching < "10" || op.NumberMatching > "99" {
			t.Fatalf("number %q", op.NumberMatching)
		}
		wrong := "10"
		if op.NumberMatching == wrong {
			wrong = "11"
		}
		r, err := f.approve(op, "alice", func(in *ApproveOperationInput) { in.AdditionalData = map[string]any{"numberMatching": wrong} })
		wantResult(t, r, err, ResultApprovalFailed, domain.OperationPending, 1)
		r, err = f.approve(op, "alice", nil)
		wantResult(t, r, err, ResultApprovalFailed, domain.OperationPending, 2)
		var n int
		fmt.Sscan(op.NumberMatching, &n)
		// A JSON number is accepted as well as a string.
		r, err = f.approve(op, "alice", func(in *ApproveOperationInput) { in.AdditionalData = map[string]any{"numberMatching": float64(n)} })
		wantResult(t, r, err, ResultApproved, domain.OperationApproved, 2)
	})
}

func TestOperationClaimRejectCancel(t *testing.T) {
	teststore.Each(t, func(t *testing.T, st store.Store) {
		ctx := context.Background()
		f := newOpFixture(t, st, nil)

		// Claim of a user-less operation via detail, then by claim.
		op := f.create(t, "", nil)
		d, err := f.svc.GetOperation(ctx, op.ID, "")
		if err != nil || d.UserID != "" {
			t.Fatalf("plain detail claimed: %+v %v", d, err)
		}
		d, err = f.svc.GetOperation(ctx, op.ID, "bob")
		if err != nil || d.UserID != "bob" {
			t.Fatalf("detail claim %+v %v", d, err)
		}
		_, err = f.svc.GetOperation(ctx, op.ID, "carol")
		wantCode(t, err, CodeOperationNotFound)
		_, err = f.svc.ClaimOperation(ctx, op.ID, "carol")
		wantCode(t, err, CodeOperationNotFound)
		op2 := f.create(t, "", nil)
		d, err = f.svc.ClaimOperation(ctx, op2.ID, "carol")
		if err != nil || d.UserID != "carol" {
			t.Fatalf("claim %+v %v", d, err)
		}
		_, err = f.svc.GetOperation(ctx, "00000000-0000-4000-8000-000000000000", "")
		wantCode(t, err, CodeOperationNotFound)

		// Reject: wrong user fails without a change; right user rejects once.
		r, err := f.svc.RejectOperation(ctx, RejectOperationInput{OperationID: op.ID, UserID: "mallory", ApplicationName: f.app.App.Name})
		wantResult(t, r, err, ResultRejectFailed, domain.OperationPending, 0)
		r, err = f.svc.RejectOperation(ctx, RejectOperationInput{OperationID: op.ID, UserID: "bob", ApplicationName: f.app.App.Name,
			AdditionalData: map[string]any{"rejectReason": "UNEXPECTED_OPERATION"}})
		wantResult(t, r, err, ResultRejected, domain.OperationRejected, 0)
		if r.Operation.AdditionalData["rejectReason"] != "UNEXPECTED_OPERATION" || r.Operation.Finalized.IsZero() {
			t.Fatalf("rejected %+v", r.Operation)
		}
		_, err = f.svc.RejectOperation(ctx, RejectOperationInput{OperationID: op.ID, UserID: "bob", ApplicationName: f.app.App.Name})
		wantCode(t, err, CodeOperationRejectFailure)
		_, err = f.svc.RejectOperation(ctx, RejectOperationInput{OperationID: "00000000-0000-4000-8000-000000000000", UserID: "bob", ApplicationName: f.app.App.Name})
		wantCode(t, err, CodeOperationRejectFailure)

		// Cancel.
		_, err = f.svc.CancelOperation(ctx, op2.ID, nil, strings.Repeat("X", 33))
		wantCode(t, err, CodeInvalidRequest)
		c, err := f.svc.CancelOperation(ctx, op2.ID, map[string]any{"by": "bank"}, "FRAUD_SUSPECTED")
		if err != nil || c.Status != domain.OperationCanceled || c.StatusReason != "FRAUD_SUSPECTED" || c.AdditionalData["by"] != "bank" {
			t.Fatalf("cancel %+v %v", c, err)
		}
		_, err = f.svc.CancelOperation(ctx, op2.ID, nil, "")
		wantCode(t, err, CodeOperationInvalidState)
		_, err = f.svc.CancelOperation(ctx, "00000000-0000-4000-8000-000000000000", nil, "")
		wantCode(t, err, CodeOperationNotFound)
	})
}

func TestOperationLists(t *testing.T) {
	teststore.Each(t, func(t *testing.T, st store.Store) {
		ctx := context.Background()
		f := newOpFixture(t, st, nil)
		d := newActiveTestActivation(t, f.svc, f.app) // flags FLAG_A
		user := d.UserID
		pending := f.create(t, user, nil)
		f.clock.Advance(time.Millisecond)
		flagged := f.create(t, user, func(in *CreateOperationInput) { in.ActivationFlag = "FLAG_B"; in.ExternalID = "ext-1" })
		f.clock.Advance(time.Millisecond)
		expiring := f.create(t, user, func(in *CreateOperationInput) { in.Expires = f.svc.Now().Add(time.Second) })
		f.clock.Advance(time.Millisecond)
		done := f.create(t, user, nil)
		if _, err := f.svc.CancelOperation(ctx, done.ID, nil, ""); err != nil {
			t.Fatal(err)
		}
		f.clock.Advance(2 * time.Second)

		ids := func(list []OperationDetail) string {
			var out []string
			for _, o := range list {
				out = append(out, o.ID[:8]+":"+o.Status.String())
			}
			return strings.Join(out, ",")
		}
		all, err := f.svc.ListOperations(ctx, OperationListInput{UserID: user, Applications: []string{f.app.App.Name}})
		want := []OperationDetail{done, expiring, flagged, pending}
		want[0].Status, want[1].Status = domain.OperationCanceled, domain.OperationExpired
		if err != nil || ids(all) != ids(want) {
			t.Fatalf("all: %s %v, want %s", ids(all), err, ids(want))
		}
		pend, err := f.svc.ListOperations(ctx, OperationListInput{UserID: user, Applications: []string{f.app.App.Name}, PendingOnly: true})
		if err != nil || ids(pend) != ids([]OperationDetail{flagged, pending}) {
			t.Fatalf("pending: %s %v", ids(pend), err)
		}
		byAct, err := f.svc.ListOperations(ctx, OperationListInput{UserID: user, Applications: []string{f.app.App.Name}, PendingOnly: true, ActivationID: d.ActivationID})
		if err != nil || ids(byAct) != ids([]OperationDetail{pending}) {
			t.Fatalf("pending for activation: %s %v", ids(byAct), err)
		}
		page, err := f.svc.ListOperations(ctx, OperationListInput{UserID: user, Applications: []string{f.app.App.Name}, PageNumber: 1, PageSize: 2})
		if err != nil || ids(page) != ids(want[2:]) {
			t.Fatalf("page: %s %v", ids(page), err)
		}
		ext, err := f.svc.ListOperations(ctx, OperationListInput{ExternalID: "ext-1", Applications: []string{f.app.App.Name}})
		if err != nil || ids(ext) != ids([]OperationDetail{flagged}) {
			t.Fatalf("external: %s %v", ids(ext), err)
		}
		_, err = f.svc.ListOperations(ctx, OperationListInput{UserID: user, Applications: []string{"nope"}})
		wantCode(t, err, CodeInvalidApplication)
		_, err = f.svc.ListOperations(ctx, OperationListInput{Applications: []string{f.app.App.Name}})
		wantCode(t, err, CodeInvalidRequest)
	})
}

func TestOperationParallelApprovals(t *testing.T) {
	teststore.Each(t, func(t *testing.T, st store.Store) {
		const n = 32
		f := newOpFixture(t, st, nil)
		op := f.create(t, "alice", nil)
		var (
			mu       sync.Mutex
			approved int
			refused  int
			other    []error
			start    = make(chan struct{})
			wg       sync.WaitGroup
		)
		for range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				r, err := f.approve(op, "alice", nil)
				mu.Lock()
				defer mu.Unlock()
				switch {
				case err == nil && r.Result == ResultApproved:
					approved++
				case CodeOf(err) == CodeOperationApproveFailure:
					refused++
				default:
					other = append(other, fmt.Errorf("%v %v", r.Result, err))
				}
			}()
		}
		close(start)
		wg.Wait()
		t.Logf("%d parallel approvals: %d APPROVED, %d refused as no longer pending", n, approved, refused)
		if approved != 1 || refused != n-1 || len(other) > 0 {
			t.Fatalf("approved %d refused %d other %v", approved, refused, other)
		}
		got, err := st.GetOperation(context.Background(), op.ID)
		if err != nil || got.Status != domain.OperationApproved || got.FailureCount != 0 {
			t.Fatalf("final %+v %v", got, err)
		}
	})
}

func TestOperationExpiryJob(t *testing.T) {
	teststore.Each(t, func(t *testing.T, st store.Store) {
		const ops = 23
		ctx := context.Background()
		f := newOpFixture(t, st, nil)
		var created []OperationDetail
		for range ops {
			created = append(created, f.create(t, "alice", func(in *CreateOperationInput) { in.Expires = f.svc.Now().Add(time.Second) }))
		}
		live := f.create(t, "alice", nil)
		f.clock.Advance(2 * time.Second)
		counts := make([]int, 2)
		errs := make([]error, 2)
		var wg sync.WaitGroup
		for w := range 2 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for {
					n, err := f.svc.ExpireOperations(ctx, 4)
					if err != nil || n == 0 {
						errs[w] = err
						return
					}
					counts[w] += n
				}
			}()
		}
		wg.Wait()
		t.Logf("expiry job: worker counts %v (total %d of %d)", counts, counts[0]+counts[1], ops)
		for _, err := range errs {
			if err != nil {
				t.Fatal(err)
			}
		}
		if counts[0]+counts[1] != ops {
			t.Fatalf("processed %v, want %d in total", counts, ops)
		}
		for _, op := range created {
			got, _ := st.GetOperation(ctx, op.ID)
			if got.Status != domain.OperationExpired || got.Finalized.IsZero() {
				t.Fatalf("not expired: %+v", got)
			}
		}
		if got, _ := st.GetOperation(ctx, live.ID); got.Status != domain.OperationPending {
			t.Fatalf("live operation %s", got.Status)
		}
		if n, err := f.svc.ExpireOperations(ctx, 0); n != 0 || err != nil {
			t.Fatalf("second run %d %v", n, err)
		}
	})
}

func TestOperationOffline(t *testing.T) {
	teststore.Each(t, func(t *testing.T, st store.Store) {
		ctx := context.Background()
		for _, proximity := range []bool{false, true} {
			t.Run(fmt.Sprintf("proximity=%v", proximity), func(t *testing.T) {
				f := newOpFixture(t, st, func(in *OperationTemplateInput) { in.ProximityCheckEnabled = proximity; in.RiskFlags = "XF" })
				d := newActiveTestActivation(t, f.svc, f.app)
				op := f.create(t, d.UserID, nil)
				qr, err := f.svc.CreateOperationOfflineQR(ctx, OperationOfflineQRInput{OperationID: op.ID, ActivationID: d.ActivationID, Title: "Pay", Message: "100 EUR"})
				if err != nil {
					t.Fatal(err)
				}
				lines := strings.Split(qr.OfflineData, "\n")
				wantLines := 7
				if proximity {
					wantLines = 8
				}
				if len(lines) != wantLines || lines[0] != op.ID || lines[1] != "Pay" || lines[3] != op.Data || lines[4] != "BXF" ||
					lines[len(lines)-2] != qr.Nonce || lines[len(lines)-1][0] != '1' {
					t.Fatalf("qr %q", qr.OfflineData)
				}
				// The server key of the activation signed it.
				serverPub, err := protocol.ParsePublicKey(loadActivation(t, f.svc, d.ActivationID).ServerPublicKey)
				if err != nil {
					t.Fatal(err)
				}
				checkOfflinePayload(t, qr, serverPub, "1")
				body := op.ID + "&" + op.Data
				if got := OfflineOperationSignatureData(op.ID, op.Data, qr.Nonce); got != offlineRequestData(qr.Nonce, body) {
					t.Fatalf("signature data %q", got)
				}
				if proximity {
					body += "&" + lines[5]
				}
				sign := func() string {
					return d.signOffline(t, protocol.SignaturePossessionKnowledge, offlineRequestData(qr.Nonce, body), 8)
				}
				r, err := f.svc.ApproveOperationOffline(ctx, ApproveOperationOfflineInput{OperationID: op.ID, ActivationID: d.ActivationID,
					Nonce: qr.Nonce, Signature: "12345678-12345678"})
				wantResult(t, r, err, ResultApprovalFailed, domain.OperationPending, 1)
				r, err = f.svc.ApproveOperationOffline(ctx, ApproveOperationOfflineInput{OperationID: op.ID, ActivationID: d.ActivationID,
					Nonce: qr.Nonce, Signature: sign()})
				wantResult(t, r, err, ResultApproved, domain.OperationApproved, 1)
				if r.Operation.AdditionalData["activationId"] != d.ActivationID {
					t.Fatalf("additional data %v", r.Operation.AdditionalData)
				}
				_, err = f.svc.CreateOperationOfflineQR(ctx, OperationOfflineQRInput{OperationID: op.ID, ActivationID: d.ActivationID})
				wantCode(t, err, CodeOperationInvalidState)
				// Another user's activation cannot get a QR code.
				op2 := f.create(t, "someone-else", nil)
				_, err = f.svc.CreateOperationOfflineQR(ctx, OperationOfflineQRInput{OperationID: op2.ID, ActivationID: d.ActivationID})
				wantCode(t, err, CodeInvalidRequest)
			})
		}
	})
}
