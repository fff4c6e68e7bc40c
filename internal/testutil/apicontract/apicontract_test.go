package apicontract

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

const testSpec = `
openapi: 3.0.3
info: {title: test, version: "1"}
paths:
  /echo:
    post:
      operationId: echo
      requestBody:
        required: true
        content:
          application/json:
            schema:
              type: object
              required: [name]
              properties:
                name: {type: string}
      responses:
        "200":
          description: ok
          content:
            application/json:
              schema:
                type: object
                additionalProperties: false
                required: [status]
                properties:
                  status: {type: string, enum: [OK]}
        "400":
          description: bad
          content:
            application/json:
              schema: {type: object, required: [status], properties: {status: {type: string}}}
`

func TestChecker(t *testing.T) {
	tests := []struct {
		name      string
		path      string
		body      string
		status    int
		answer    string
		violation string // substring; "" = none
	}{
		{"valid", "/echo", `{"name":"a"}`, 200, `{"status":"OK"}`, ""},
		{"extra response field", "/echo", `{"name":"a"}`, 200, `{"status":"OK","x":1}`, "response 200 breaks"},
		{"wrong enum", "/echo", `{"name":"a"}`, 200, `{"status":"NOPE"}`, "response 200 breaks"},
		{"undeclared status", "/echo", `{"name":"a"}`, 409, `{"status":"ERROR"}`, "response 409 breaks"},
		{"invalid request rejected", "/echo", `{"name":1}`, 400, `{"status":"ERROR"}`, ""},
		{"invalid request accepted", "/echo", `{"name":1}`, 200, `{"status":"OK"}`, "the document rejects the request"},
		{"unknown path 404", "/nope", `{}`, 404, `{}`, ""},
		{"unknown path served", "/nope", `{}`, 200, `{}`, "not in the document"},
		{"trailing slash 404", "/echo/", `{"name":"a"}`, 404, `{}`, ""},
		{"trailing slash served", "/echo/", `{"name":"a"}`, 200, `{"status":"OK"}`, "not in the document"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c, err := Load("test", []byte(testSpec))
			if err != nil {
				t.Fatal(err)
			}
			h := c.Wrap(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "application/json")
				w.WriteHeader(tc.status)
				_, _ = w.Write([]byte(tc.answer))
			}))
			req := httptest.NewRequest(http.MethodPost, tc.path, strings.NewReader(tc.body))
			req.Header.Set("Content-Type", "application/json")
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			if rec.Code != tc.status || rec.Body.String() != tc.answer {
				t.Fatalf("the wrapper changed the answer: %d %s", rec.Code, rec.Body)
			}
			v := c.Violations()
			switch {
			case tc.violation == "" && len(v) != 0:
				t.Fatalf("unexpected violations: %v", v)
			case tc.violation != "" && (len(v) != 1 || !strings.Contains(v[0], tc.violation)):
				t.Fatalf("violations %v, want one containing %q", v, tc.violation)
			}
			if tc.name == "valid" && c.Exercised()["echo"] != 1 {
				t.Fatalf("exercised %v", c.Exercised())
			}
		})
	}
}

func TestLoadRejectsBadDocument(t *testing.T) {
	if _, err := Load("bad", []byte("openapi: 3.0.3\npaths: {/x: {get: {responses: {}}}}\n")); err == nil {
		t.Fatal("a document without info loaded")
	}
}
