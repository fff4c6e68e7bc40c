// Package apicontract checks live HTTP traffic against an OpenAPI 3
// document: tests wrap a server's handler with a Checker, and every
// request and response that passes through is validated. At the end of
// the test any violation fails it.
//
// The rules:
//   - every response of a documented operation must match the document
//     (status code, content type, body schema); responses must declare
//     every status code the server sends;
//   - a request that does not match its operation's schema must be
//     rejected by the server with a 4xx answer: a request the document
//     calls invalid but the server accepts means one of them is wrong;
//   - a request to a path or method the document does not describe must
//     be answered 404 or 405 (tests probe unknown paths on purpose).
//
// Authentication is not checked here (the servers check it); security
// schemes only document the headers.
package apicontract

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/legacy"
)

// maxViolations bounds the violations a Checker reports in full.
const maxViolations = 50

// Checker validates traffic against one OpenAPI document. Safe for
// concurrent use.
type Checker struct {
	name   string
	doc    *openapi3.T
	router routers.Router

	mu         sync.Mutex
	violations []string
	exercised  map[string]int // operationId → validated exchanges
}

// Load parses and validates an OpenAPI document. name labels violations.
func Load(name string, spec []byte) (*Checker, error) {
	loader := openapi3.NewLoader()
	doc, err := loader.LoadFromData(spec)
	if err != nil {
		return nil, fmt.Errorf("load %s: %w", name, err)
	}
	if err := doc.Validate(context.Background()); err != nil {
		return nil, fmt.Errorf("validate %s: %w", name, err)
	}
	// Match paths on any host: the test servers listen on random ports.
	doc.Servers = nil
	router, err := legacy.NewRouter(doc)
	if err != nil {
		return nil, fmt.Errorf("router of %s: %w", name, err)
	}
	return &Checker{name: name, doc: doc, router: router, exercised: map[string]int{}}, nil
}

// New loads a document for a test, failing it on error, and reports the
// violations collected while the test ran when it ends.
func New(t testing.TB, name string, spec []byte) *Checker {
	t.Helper()
	c, err := Load(name, spec)
	if err != nil {
		t.Fatalf("openapi: %v", err)
	}
	t.Cleanup(func() { c.Report(t) })
	return c
}

// Doc returns the parsed document.
func (c *Checker) Doc() *openapi3.T { return c.doc }

// Report fails t with every violation seen so far.
func (c *Checker) Report(t testing.TB) {
	t.Helper()
	v := c.Violations()
	if len(v) == 0 {
		return
	}
	shown := v
	if len(shown) > maxViolations {
		shown = shown[:maxViolations]
	}
	t.Errorf("%d exchange(s) break the OpenAPI document %s:\n%s", len(v), c.name, strings.Join(shown, "\n"))
}

// Violations returns the violations seen so far.
func (c *Checker) Violations() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]string(nil), c.violations...)
}

// Exercised returns how many exchanges of each operationId were validated.
func (c *Checker) Exercised() map[string]int {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make(map[string]int, len(c.exercised))
	for k, v := range c.exercised {
		out[k] = v
	}
	return out
}

// Unexercised lists the document's operationIds no exchange has reached.
func (c *Checker) Unexercised() []string {
	seen := c.Exercised()
	var out []string
	for _, item := range c.doc.Paths.Map() {
		for _, op := range item.Operations() {
			if seen[op.OperationID] == 0 {
				out = append(out, op.OperationID)
			}
		}
	}
	sort.Strings(out)
	return out
}

func (c *Checker) violate(format string, args ...any) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.violations = append(c.violations, fmt.Sprintf(format, args...))
}

// Wrap returns next with every exchange validated.
func (c *Checker) Wrap(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(r.Body)
		if err != nil {
			c.violate("%s %s: reading the request body: %v", r.Method, r.URL.Path, err)
			http.Error(w, "cannot read body", http.StatusBadRequest)
			return
		}
		_ = r.Body.Close()
		r.Body = io.NopCloser(bytes.NewReader(body))

		rec := httptest.NewRecorder()
		next.ServeHTTP(rec, r)
		c.check(r, body, rec)

		for k, v := range rec.Header() {
			w.Header()[k] = v
		}
		w.WriteHeader(rec.Code)
		_, _ = w.Write(rec.Body.Bytes())
	})
}

// check validates one exchange.
func (c *Checker) check(r *http.Request, body []byte, rec *httptest.ResponseRecorder) {
	where := r.Method + " " + r.URL.Path
	req := r.Clone(context.Background())
	req.Body = io.NopCloser(bytes.NewReader(body))
	route, params, err := c.router.FindRoute(req)
	if err == nil && strings.HasSuffix(r.URL.Path, "/") != strings.HasSuffix(route.Path, "/") {
		// The router ignores a trailing slash; the servers do not.
		err = errors.New("trailing slash differs from the documented path")
	}
	if err != nil {
		if rec.Code != http.StatusNotFound && rec.Code != http.StatusMethodNotAllowed {
			c.violate("%s: not in the document, but the server answered %d", where, rec.Code)
		}
		return
	}
	opts := &openapi3filter.Options{
		AuthenticationFunc:    openapi3filter.NoopAuthenticationFunc,
		IncludeResponseStatus: true,
		MultiError:            true,
	}
	in := &openapi3filter.RequestValidationInput{Request: req, PathParams: params, Route: route, Options: opts}
	if err := openapi3filter.ValidateRequest(context.Background(), in); err != nil {
		if rec.Code < 400 || rec.Code >= 500 {
			c.violate("%s: the document rejects the request, but the server answered %d: %s\nrequest: %s",
				where, rec.Code, describe(err), clip(body))
		}
	}
	out := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: in,
		Status:                 rec.Code,
		Header:                 rec.Header(),
		Body:                   io.NopCloser(bytes.NewReader(rec.Body.Bytes())),
		Options:                opts,
	}
	if err := openapi3filter.ValidateResponse(context.Background(), out); err != nil {
		c.violate("%s: response %d breaks the document: %s\nresponse: %s", where, rec.Code, describe(err), clip(rec.Body.Bytes()))
		return
	}
	c.mu.Lock()
	c.exercised[route.Operation.OperationID]++
	c.mu.Unlock()
}

// describe flattens a (multi) validation error to one readable string.
func describe(err error) string {
	var me openapi3.MultiError
	if errors.As(err, &me) {
		parts := make([]string, 0, len(me))
		for _, e := range me {
			parts = append(parts, describe(e))
		}
		return strings.Join(parts, "; ")
	}
	return strings.ReplaceAll(err.Error(), "\n", " ")
}

// clip shortens a body for a violation message.
func clip(b []byte) string {
	const max = 600
	if len(b) > max {
		return string(b[:max]) + "…"
	}
	return string(b)
}
