package private

import (
	"net/http"
	"strings"
	"testing"
	"time"
)

func createTemplate(t *testing.T, ts *testServer, name string, extra map[string]any) map[string]any {
	t.Helper()
	req := map[string]any{
		"templateName": name, "operationType": "authorize_payment", "dataTemplate": "A1*A${amount}EUR",
		"signatureType": []string{"POSSESSION_KNOWLEDGE", "POSSESSION_BIOMETRY"}, "maxFailureCount": 2, "expiration": 300,
		"riskFlags": "X",
	}
	for k, v := range extra {
		req[k] = v
	}
	return ts.ok(t, "operation/template/create", req)
}

func TestOperationTemplateMethods(t *testing.T) {
	ts := newTestServer(t)
	tp := createTemplate(t, ts, "payment", map[string]any{"proximityCheckEnabled": true, "numberMatchingEnabled": true})
	id := tp["id"].(float64)
	if tp["templateName"] != "payment" || tp["expiration"] != 300.0 || tp["maxFailureCount"] != 2.0 || tp["riskFlags"] != "X" ||
		tp["proximityCheckEnabled"] != true || tp["numberMatchingEnabled"] != true ||
		strings.Join(toStrings(tp["signatureType"]), ",") != "POSSESSION_KNOWLEDGE,POSSESSION_BIOMETRY" {
		t.Fatalf("created %v", tp)
	}
	ts.fail(t, "operation/template/create", map[string]any{"templateName": "payment", "operationType": "x", "dataTemplate": "x",
		"signatureType": []string{"POSSESSION"}, "maxFailureCount": 1, "expiration": 1}, http.StatusBadRequest, "ERR0039")
	for _, bad := range []map[string]any{
		{},
		{"templateName": "b", "operationType": "x", "dataTemplate": "x", "signatureType": []string{"possession"}, "maxFailureCount": 1, "expiration": 1},
		{"templateName": "b", "operationType": "x", "dataTemplate": "x", "signatureType": []string{"POSSESSION"}, "maxFailureCount": 0, "expiration": 1},
		{"templateName": "b", "operationType": "x", "dataTemplate": "x", "signatureType": []string{"POSSESSION"}, "maxFailureCount": 1},
	} {
		ts.fail(t, "operation/template/create", bad, http.StatusBadRequest, "ERR0024")
	}
	ts.fail(t, "operation/template/create", rawBody(`{"requestObject":{"maxFailureCount":"many"}}`), http.StatusBadRequest, "ERR0024")

	d := ts.ok(t, "operation/template/detail", map[string]any{"id": id})
	if d["templateName"] != "payment" {
		t.Fatalf("detail %v", d)
	}
	ts.ok(t, "operation/template/detail", map[string]any{"id": "1"}) // Long as a string
	ts.fail(t, "operation/template/detail", map[string]any{"id": 999}, http.StatusBadRequest, "ERR0033")
	ts.fail(t, "operation/template/detail", map[string]any{}, http.StatusBadRequest, "ERR0024")
	ts.fail(t, "operation/template/detail", map[string]any{"id": "abc"}, http.StatusBadRequest, "ERR0024")

	u := ts.ok(t, "operation/template/update", map[string]any{"id": id, "templateName": "renamed", "operationType": "login",
		"dataTemplate": "A2", "signatureType": []string{"POSSESSION"}, "maxFailureCount": 5, "expiration": 60})
	if u["templateName"] != "payment" || u["operationType"] != "login" || u["riskFlags"] != nil || u["numberMatchingEnabled"] != false {
		t.Fatalf("updated %v", u)
	}
	ts.fail(t, "operation/template/update", map[string]any{"id": 999, "operationType": "login", "dataTemplate": "A2",
		"signatureType": []string{"POSSESSION"}, "maxFailureCount": 5, "expiration": 60}, http.StatusBadRequest, "ERR0033")

	createTemplate(t, ts, "second", nil)
	_, out := ts.post(t, "operation/template/list", nil)
	list := out["responseObject"].([]any)
	if len(list) != 2 || list[0].(map[string]any)["operationType"] != "login" {
		t.Fatalf("list %v", list)
	}
	status, out := ts.post(t, "operation/template/remove", map[string]any{"id": id})
	if status != http.StatusOK || out["status"] != "OK" || out["responseObject"] != nil {
		t.Fatalf("remove: %d %v", status, out)
	}
	ts.fail(t, "operation/template/remove", map[string]any{"id": id}, http.StatusBadRequest, "ERR0033")
	ts.fail(t, "operation/template/detail", map[string]any{"id": id}, http.StatusBadRequest, "ERR0033")
}

func toStrings(v any) []string {
	var out []string
	for _, x := range v.([]any) {
		out = append(out, x.(string))
	}
	return out
}

func TestOperationLifecycleMethods(t *testing.T) {
	ts := newTestServer(t)
	app := ts.createApp(t)
	createTemplate(t, ts, "payment", nil)
	create := func(extra map[string]any) map[string]any {
		req := map[string]any{"userId": "alice", "applications": []string{app.Name}, "templateName": "payment",
			"parameters": map[string]string{"amount": "100"}, "externalId": "ext-1", "additionalData": map[string]any{"channel": "web"}}
		for k, v := range extra {
			req[k] = v
		}
		return ts.ok(t, "operation/create", req)
	}
	op := create(nil)
	id := op["id"].(string)
	if op["status"] != "PENDING" || op["data"] != "A1*A100EUR" || op["userId"] != "alice" || op["failureCount"] != 0.0 ||
		op["maxFailureCount"] != 2.0 || op["templateName"] != "payment" || op["timestampFinalized"] != nil ||
		op["proximityOtp"] != nil || op["numberMatching"] != nil || op["externalId"] != "ext-1" ||
		strings.Join(toStrings(op["applications"]), ",") != app.Name || op["additionalData"].(map[string]any)["channel"] != "web" {
		t.Fatalf("created %v", op)
	}
	created, _ := time.Parse(time.RFC3339, op["timestampCreated"].(string))
	expires, _ := time.Parse(time.RFC3339, op["timestampExpires"].(string))
	if expires.Sub(created) != 300*time.Second {
		t.Fatalf("expiry %v → %v", created, expires)
	}
	// Bad input.
	ts.fail(t, "operation/create", map[string]any{"applications": []string{app.Name}}, http.StatusBadRequest, "ERR0024")
	ts.fail(t, "operation/create", map[string]any{"templateName": "payment"}, http.StatusBadRequest, "ERR0024")
	ts.fail(t, "operation/create", map[string]any{"applications": []string{app.Name}, "templateName": "payment"}, http.StatusBadRequest, "ERR0024")
	ts.fail(t, "operation/create", map[string]any{"applications": []string{app.Name}, "templateName": "nope"}, http.StatusBadRequest, "ERR0033")
	ts.fail(t, "operation/create", map[string]any{"applications": []string{"nope"}, "templateName": "payment", "parameters": map[string]string{"amount": "1"}}, http.StatusBadRequest, "ERR0015")
	ts.fail(t, "operation/create", map[string]any{"applications": []string{app.Name}, "templateName": "payment", "timestampExpires": "tomorrow"}, http.StatusBadRequest, "ERR0024")

	// Detail, claim.
	d := ts.ok(t, "operation/detail", map[string]any{"operationId": id})
	if d["id"] != id || d["status"] != "PENDING" {
		t.Fatalf("detail %v", d)
	}
	ts.fail(t, "operation/detail", map[string]any{"operationId": id, "userId": "bob"}, http.StatusBadRequest, "ERR0034")
	ts.fail(t, "operation/detail", map[string]any{"operationId": "00000000-0000-4000-8000-000000000000"}, http.StatusBadRequest, "ERR0034")
	ts.fail(t, "operation/detail", map[string]any{}, http.StatusBadRequest, "ERR0024")
	anon := create(map[string]any{"userId": nil, "externalId": "ext-2"})
	if anon["userId"] != nil {
		t.Fatalf("anonymous %v", anon)
	}
	c := ts.ok(t, "operation/claim", map[string]any{"operationId": anon["id"], "userId": "alice"})
	if c["userId"] != "alice" {
		t.Fatalf("claim %v", c)
	}
	ts.fail(t, "operation/claim", map[string]any{"operationId": anon["id"], "userId": "bob"}, http.StatusBadRequest, "ERR0034")
	ts.fail(t, "operation/claim", map[string]any{"operationId": anon["id"]}, http.StatusBadRequest, "ERR0024")

	// Lists.
	listOf := func(method string, req map[string]any) []any {
		t.Helper()
		status, out := ts.post(t, method, req)
		if status != http.StatusOK {
			t.Fatalf("%s: %d %v", method, status, out)
		}
		return out["responseObject"].([]any)
	}
	if l := listOf("operation/list", map[string]any{"userId": "alice", "applications": []string{app.Name}}); len(l) != 2 {
		t.Fatalf("list %v", l)
	}
	if l := listOf("operation/list", map[string]any{"userId": "alice", "applications": []string{app.Name}, "pageNumber": 1, "pageSize": 1}); len(l) != 1 || l[0].(map[string]any)["id"] != id {
		t.Fatalf("page %v", l)
	}
	if l := listOf("operation/list/external", map[string]any{"externalId": "ext-2", "applications": []string{app.Name}}); len(l) != 1 || l[0].(map[string]any)["id"] != anon["id"] {
		t.Fatalf("external %v", l)
	}
	ts.fail(t, "operation/list", map[string]any{"applications": []string{app.Name}}, http.StatusBadRequest, "ERR0024")
	ts.fail(t, "operation/list/pending", map[string]any{"userId": "alice"}, http.StatusBadRequest, "ERR0024")
	ts.fail(t, "operation/list/external", map[string]any{"applications": []string{app.Name}}, http.StatusBadRequest, "ERR0024")
	ts.fail(t, "operation/list", map[string]any{"userId": "alice", "applications": []string{app.Name}, "pageSize": 0}, http.StatusBadRequest, "ERR0024")
	ts.fail(t, "operation/list", map[string]any{"userId": "alice", "applications": []string{"nope"}}, http.StatusBadRequest, "ERR0015")

	// Approve: data off by one byte counts, then the right data approves.
	approve := map[string]any{"operationId": id, "userId": "alice", "applicationId": app.Name, "data": "A1*A100EUS",
		"signatureType": "POSSESSION_KNOWLEDGE", "additionalData": map[string]any{"ipAddress": "10.0.0.1"}}
	r := ts.ok(t, "operation/approve", approve)
	if r["result"] != "APPROVAL_FAILED" || r["operation"].(map[string]any)["failureCount"] != 1.0 {
		t.Fatalf("approve with wrong data %v", r)
	}
	approve["data"] = "A1*A100EUR"
	r = ts.ok(t, "operation/approve", approve)
	ro := r["operation"].(map[string]any)
	if r["result"] != "APPROVED" || ro["status"] != "APPROVED" || ro["timestampFinalized"] == nil || ro["additionalData"].(map[string]any)["ipAddress"] != "10.0.0.1" {
		t.Fatalf("approve %v", r)
	}
	if l := listOf("operation/list/pending", map[string]any{"userId": "alice", "applications": []string{app.Name}}); len(l) != 1 || l[0].(map[string]any)["id"] != anon["id"] {
		t.Fatalf("pending %v", l)
	}
	ts.fail(t, "operation/approve", approve, http.StatusBadRequest, "ERR0037")
	approve["operationId"] = "00000000-0000-4000-8000-000000000000"
	ts.fail(t, "operation/approve", approve, http.StatusBadRequest, "ERR0037")
	approve["signatureType"] = "possession"
	ts.fail(t, "operation/approve", approve, http.StatusBadRequest, "ERR0024")
	ts.fail(t, "operation/approve", map[string]any{"operationId": id}, http.StatusBadRequest, "ERR0024")

	// approve/fail to FAILED (limit 2).
	op3 := create(nil)["id"]
	r = ts.ok(t, "operation/approve/fail", map[string]any{"operationId": op3})
	if r["result"] != "APPROVAL_FAILED" {
		t.Fatalf("fail 1 %v", r)
	}
	r = ts.ok(t, "operation/approve/fail", map[string]any{"operationId": op3, "additionalData": map[string]any{"authFactor": "POSSESSION_KNOWLEDGE"}})
	if r["result"] != "OPERATION_FAILED" || r["operation"].(map[string]any)["status"] != "FAILED" {
		t.Fatalf("fail 2 %v", r)
	}
	ts.fail(t, "operation/approve/fail", map[string]any{"operationId": op3}, http.StatusBadRequest, "ERR0036")
	ts.fail(t, "operation/approve/fail", map[string]any{"operationId": "00000000-0000-4000-8000-000000000000"}, http.StatusBadRequest, "ERR0034")
	ts.fail(t, "operation/approve/fail", map[string]any{}, http.StatusBadRequest, "ERR0024")

	// Reject.
	reject := map[string]any{"operationId": anon["id"], "userId": "bob", "applicationId": app.Name}
	if r := ts.ok(t, "operation/reject", reject); r["result"] != "REJECT_FAILED" || r["operation"].(map[string]any)["status"] != "PENDING" {
		t.Fatalf("reject by another user %v", r)
	}
	reject["userId"], reject["additionalData"] = "alice", map[string]any{"rejectReason": "INCORRECT_DATA"}
	if r := ts.ok(t, "operation/reject", reject); r["result"] != "REJECTED" || r["operation"].(map[string]any)["status"] != "REJECTED" {
		t.Fatalf("reject %v", r)
	}
	ts.fail(t, "operation/reject", reject, http.StatusBadRequest, "ERR0038")
	reject["operationId"] = "00000000-0000-4000-8000-000000000000"
	ts.fail(t, "operation/reject", reject, http.StatusBadRequest, "ERR0038")
	ts.fail(t, "operation/reject", map[string]any{"operationId": id}, http.StatusBadRequest, "ERR0024")

	// Cancel.
	op4 := create(nil)["id"]
	ts.fail(t, "operation/cancel", map[string]any{"operationId": op4, "statusReason": strings.Repeat("X", 33)}, http.StatusBadRequest, "ERR0024")
	// The limit counts characters, not bytes: 32 two-byte characters pass.
	opU := create(nil)["id"]
	umlauts := strings.Repeat("ü", 32)
	if cu := ts.ok(t, "operation/cancel", map[string]any{"operationId": opU, "statusReason": umlauts}); cu["statusReason"] != umlauts {
		t.Fatalf("cancel with 32 characters: %v", cu)
	}
	cc := ts.ok(t, "operation/cancel", map[string]any{"operationId": op4, "statusReason": "FRAUD"})
	if cc["status"] != "CANCELED" || cc["statusReason"] != "FRAUD" {
		t.Fatalf("cancel %v", cc)
	}
	ts.fail(t, "operation/cancel", map[string]any{"operationId": op4}, http.StatusBadRequest, "ERR0036")
	ts.fail(t, "operation/cancel", map[string]any{"operationId": "00000000-0000-4000-8000-000000000000"}, http.StatusBadRequest, "ERR0034")
	ts.fail(t, "operation/cancel", map[string]any{}, http.StatusBadRequest, "ERR0024")

	// Expiry is evaluated on read.
	op5 := create(nil)["id"]
	ts.clock.Advance(301 * time.Second)
	if d := ts.ok(t, "operation/detail", map[string]any{"operationId": op5}); d["status"] != "EXPIRED" || d["timestampFinalized"] == nil {
		t.Fatalf("expired detail %v", d)
	}
	ts.fail(t, "operation/cancel", map[string]any{"operationId": op5}, http.StatusBadRequest, "ERR0036")
}

func TestOperationProximityAndNumberMatchingMethods(t *testing.T) {
	ts := newTestServer(t)
	// The proximity OTP is a TOTP of the clock: stopped, its step cannot
	// move on between operation/create and the approval on a slow machine.
	ts.clock.Stop()
	app := ts.createApp(t)
	createTemplate(t, ts, "secure", map[string]any{"proximityCheckEnabled": true, "numberMatchingEnabled": true})
	op := ts.ok(t, "operation/create", map[string]any{"userId": "alice", "applications": []string{app.Name}, "templateName": "secure",
		"parameters": map[string]string{"amount": "5"}})
	otp, _ := op["proximityOtp"].(string)
	num, _ := op["numberMatching"].(string)
	if len(otp) != 8 || len(num) != 2 {
		t.Fatalf("created %v", op)
	}
	approve := map[string]any{"operationId": op["id"], "userId": "alice", "applicationId": app.Name, "data": op["data"],
		"signatureType": "POSSESSION_BIOMETRY", "additionalData": map[string]any{"proximity_otp": otp}}
	if r := ts.ok(t, "operation/approve", approve); r["result"] != "APPROVAL_FAILED" {
		t.Fatalf("without the number %v", r)
	}
	approve["additionalData"] = map[string]any{"proximity_otp": otp, "numberMatching": num}
	if r := ts.ok(t, "operation/approve", approve); r["result"] != "APPROVED" {
		t.Fatalf("approve %v", r)
	}
}
