package private

import (
	"flag"
	"fmt"
	"net/http"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/mauth/mauth/internal/api/render"
	"github.com/mauth/mauth/internal/testutil/apicontract"
	"github.com/mauth/mauth/openapi"
)

// contract checks every exchange of every test server (newTestServerWith)
// against openapi/private.yaml.
var contract *apicontract.Checker

// answeredOK counts the 200 answers of the test servers per method.
var answeredOK = struct {
	sync.Mutex
	n map[string]int
}{n: map[string]int{}}

// probeHeader marks requests that only probe a method (see
// TestOpenAPIDocumentListsEveryMethod); their answers do not count as a
// test of the method.
const probeHeader = "X-Test-Probe"

// recordOK counts next's 200 answers in answeredOK.
func recordOK(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec := &render.StatusRecorder{ResponseWriter: w}
		next.ServeHTTP(rec, r)
		if rec.StatusCode() == http.StatusOK && r.Header.Get(probeHeader) == "" {
			answeredOK.Lock()
			answeredOK.n[r.Method+" "+r.URL.Path]++
			answeredOK.Unlock()
		}
	})
}

// withoutSuccess lists the document's operations no test server answered
// with 200 OK.
func withoutSuccess() []string {
	answeredOK.Lock()
	defer answeredOK.Unlock()
	var out []string
	for path, item := range contract.Doc().Paths.Map() {
		for method, op := range item.Operations() {
			if answeredOK.n[method+" "+path] == 0 {
				out = append(out, op.OperationID)
			}
		}
	}
	slices.Sort(out)
	return out
}

// TestMain loads the OpenAPI document, runs the tests and then fails the
// package when an exchange broke the document or, on a full run, when an
// operation of the document was not answered 200 OK to some test: every
// documented method, its success answer included, is checked against the
// real server.
func TestMain(m *testing.M) {
	c, err := apicontract.Load("openapi/private.yaml", openapi.Private)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	contract = c
	code := m.Run()
	// The tests whose exchanges broke the document failed already
	// (newTestServerWith); this catches any that slipped through.
	if v := contract.Violations(); len(v) > 0 && code == 0 {
		fmt.Fprintf(os.Stderr, "FAIL: %d exchange(s) break openapi/private.yaml:\n%s\n", len(v), strings.Join(v, "\n"))
		code = 1
	}
	if code == 0 && fullRun() {
		if missing := contract.Unexercised(); len(missing) > 0 {
			fmt.Fprintf(os.Stderr, "FAIL: no test exercised these operations of openapi/private.yaml: %s\n", strings.Join(missing, ", "))
			code = 1
		}
		if missing := withoutSuccess(); len(missing) > 0 {
			fmt.Fprintf(os.Stderr, "FAIL: no test got a 200 answer from these operations of openapi/private.yaml: %s\n", strings.Join(missing, ", "))
			code = 1
		}
	}
	os.Exit(code)
}

// fullRun reports whether every test ran (no -run, -skip or -list filter).
func fullRun() bool {
	for _, name := range []string{"test.run", "test.skip", "test.list"} {
		if f := flag.Lookup(name); f != nil && f.Value.String() != "" {
			return false
		}
	}
	return true
}

// operationID derives the document's operationId of a method:
// "signature/offline/non-personalized/create" → "signatureOfflineNonPersonalizedCreate".
func operationID(method string) string {
	parts := strings.FieldsFunc(method, func(r rune) bool { return r == '/' || r == '-' })
	for i := 1; i < len(parts); i++ {
		parts[i] = strings.ToUpper(parts[i][:1]) + parts[i][1:]
	}
	return strings.Join(parts, "")
}

func TestOperationID(t *testing.T) {
	for in, want := range map[string]string{
		"status":                 "status",
		"activation/init":        "activationInit",
		"operation/list/pending": "operationListPending",
		"signature/offline/non-personalized/create": "signatureOfflineNonPersonalizedCreate",
	} {
		if got := operationID(in); got != want {
			t.Errorf("operationID(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestOpenAPIDocument checks the shape of every operation of the document:
// POST only, the operationId of its method, a summary, a description, a
// tag, and the answers every method can give.
func TestOpenAPIDocument(t *testing.T) {
	doc := contract.Doc()
	if doc.OpenAPI != "3.0.3" {
		t.Errorf("openapi: %q, want 3.0.3", doc.OpenAPI)
	}
	if len(doc.Security) != 1 || doc.Components.SecuritySchemes["integrationAuth"] == nil {
		t.Errorf("the document must require the integrationAuth (HTTP Basic) scheme globally")
	}
	tags := map[string]bool{}
	for _, tag := range doc.Tags {
		tags[tag.Name] = true
	}
	ids := map[string]string{}
	for path, item := range doc.Paths.Map() {
		name, ok := strings.CutPrefix(path, Prefix)
		if !ok {
			t.Errorf("%s: not under %s", path, Prefix)
			continue
		}
		if item.Post == nil || len(item.Operations()) != 1 {
			t.Errorf("%s: must have exactly one operation, POST", path)
			continue
		}
		op := item.Post
		if want := operationID(name); op.OperationID != want {
			t.Errorf("%s: operationId %q, want %q", path, op.OperationID, want)
		}
		if other, dup := ids[op.OperationID]; dup {
			t.Errorf("%s: operationId %q also used by %s", path, op.OperationID, other)
		}
		ids[op.OperationID] = path
		if op.Summary == "" || op.Description == "" {
			t.Errorf("%s: summary and description are required", path)
		}
		if len(op.Tags) != 1 || !tags[op.Tags[0]] {
			t.Errorf("%s: tags %v, want one of the document's tags", path, op.Tags)
		}
		for _, status := range []int{http.StatusOK, http.StatusBadRequest, http.StatusUnauthorized, http.StatusInternalServerError, http.StatusServiceUnavailable} {
			if op.Responses.Status(status) == nil {
				t.Errorf("%s: no %d response", path, status)
			}
		}
	}
}

// TestOpenAPIDocumentListsEveryMethod checks that the document describes
// exactly the methods the server serves: none missing, none extra, and
// that each documented path reaches a method of a live server.
func TestOpenAPIDocumentListsEveryMethod(t *testing.T) {
	ts := newTestServer(t)
	var documented []string
	for path := range contract.Doc().Paths.Map() {
		documented = append(documented, strings.TrimPrefix(path, Prefix))
	}
	slices.Sort(documented)
	served := ts.api.Methods()
	if len(served) < 80 {
		t.Fatalf("the server lists only %d methods", len(served))
	}
	for _, name := range served {
		if _, ok := slices.BinarySearch(documented, name); !ok {
			t.Errorf("%s%s is served but not in openapi/private.yaml", Prefix, name)
		}
	}
	for _, name := range documented {
		if _, ok := slices.BinarySearch(served, name); !ok {
			t.Errorf("%s%s is in openapi/private.yaml but not served", Prefix, name)
		}
		// An empty request: the method answers (200 or a 400 validation
		// error), never 404; the checker validates the answer.
		if status := probe(t, ts, name); status != http.StatusOK && status != http.StatusBadRequest {
			t.Errorf("%s: HTTP %d, want 200 or 400", name, status)
		}
	}
}

// probe posts {"requestObject":{}} to a method as a probe and returns the
// HTTP status.
func probe(t *testing.T, ts *testServer, name string) int {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, ts.URL+Prefix+name, strings.NewReader(`{"requestObject":{}}`))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(probeHeader, "1")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	_ = resp.Body.Close()
	return resp.StatusCode
}
