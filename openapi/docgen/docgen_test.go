package docgen

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
)

// TestCommittedReferencesAreCurrent fails when docs/api/*.md no longer
// match the OpenAPI documents they are generated from.
func TestCommittedReferencesAreCurrent(t *testing.T) {
	for _, d := range Documents() {
		t.Run(d.Output, func(t *testing.T) {
			want, err := d.Render()
			if err != nil {
				t.Fatalf("render %s: %v", d.Source, err)
			}
			got, err := os.ReadFile(filepath.Join("..", "..", filepath.FromSlash(d.Output)))
			if err != nil {
				t.Fatalf("%s is missing (%v): generate it with %s", d.Output, err, RegenerateCommand)
			}
			if !bytes.Equal(got, want) {
				t.Fatalf("%s is stale: it does not match %s; regenerate it with %s", d.Output, d.Source, RegenerateCommand)
			}
		})
	}
}

// TestDocumentsRender renders the real documents: every operation gets
// its anchored section, listed in the contents.
func TestDocumentsRender(t *testing.T) {
	for _, d := range Documents() {
		md, err := d.Render()
		if err != nil {
			t.Fatalf("render %s: %v", d.Source, err)
		}
		doc, err := openapi3.NewLoader().LoadFromData(d.Spec)
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for _, item := range doc.Paths.Map() {
			n += len(item.Operations())
		}
		if n == 0 {
			continue // a stub without operations
		}
		if got := bytes.Count(md, []byte(`<a id="op-`)); got != n {
			t.Errorf("%s: %d operation sections for %d operations", d.Source, got, n)
		}
		if got := bytes.Count(md, []byte(`](#op-`)); got != n {
			t.Errorf("%s: %d contents entries for %d operations", d.Source, got, n)
		}
	}
}

const testSpec = `
openapi: 3.0.3
info:
  title: test API
  version: "2.1"
  description: The test API.
tags:
  - name: Things
    description: Things and more.
security:
  - basicAuth: []
paths:
  /things/create:
    post:
      operationId: thingCreate
      tags: [Things]
      summary: Create a thing
      description: |
        Creates a thing.

        Errors: 400 ` + "`BAD`" + `.
      x-signature:
        uriId: /thing/create
        types: [possession_knowledge]
      x-encryption:
        scope: activation
        sharedInfo1: /pa/generic/activation
        header: optional
        decryptedBy: enrollment
        requestPlaintext: Plain
        responsePlaintext: Plain
      security:
        - sig: []
          enc: []
        - tok: []
      parameters:
        - name: Accept-Language
          in: header
          description: Language | preferred.
          schema: {type: string}
      requestBody:
        required: true
        content:
          application/json:
            schema:
              type: object
              required: [requestObject]
              properties:
                requestObject:
                  type: object
                  required: [name]
                  properties:
                    name: {type: string, description: "The name."}
                    size: {type: integer, format: int64, nullable: true}
                    when:
                      nullable: true
                      oneOf: [{type: string}, {type: integer}]
                    kind:
                      nullable: true
                      allOf: [{$ref: "#/components/schemas/Kind"}]
                    tags:
                      type: array
                      items: {type: string, enum: [a, b]}
      responses:
        "200":
          description: Created.
          content:
            application/json:
              schema: {$ref: "#/components/schemas/ThingEnvelope"}
        "400":
          description: Bad request.
          content:
            application/json:
              schema: {$ref: "#/components/schemas/Error"}
        "429":
          description: Slow down.
          headers:
            Retry-After:
              schema: {type: integer}
  /things/ping:
    get:
      operationId: thingPing
      summary: Ping
      security: []
      responses:
        "200": {description: Pong.}
  /things/any:
    post:
      operationId: thingAny
      tags: [Things]
      summary: Anything
      requestBody:
        content:
          "*/*": {}
      responses:
        "200": {description: Done.}
components:
  securitySchemes:
    basicAuth: {type: http, scheme: basic, description: Integration credentials.}
    sig: {type: apiKey, in: header, name: X-Sig}
    enc: {type: apiKey, in: header, name: X-Enc}
    tok: {type: apiKey, in: header, name: X-Tok}
  schemas:
    Kind:
      type: string
      enum: [BIG, SMALL]
    Plain:
      type: object
      properties:
        secret: {type: string, pattern: "^[a-z]+$"}
    Thing:
      type: object
      required: [id]
      properties:
        id: {type: string, format: uuid}
        parts:
          type: array
          items:
            type: object
            properties:
              label: {type: string}
              parent: {$ref: "#/components/schemas/Thing"}
        attrs:
          type: object
          additionalProperties: {type: string}
    ThingEnvelope:
      type: object
      required: [status, responseObject]
      properties:
        status: {type: string, enum: [OK]}
        responseObject: {$ref: "#/components/schemas/Thing"}
    Error:
      type: object
      properties:
        status: {type: string, enum: [ERROR]}
        responseObject:
          type: object
          properties:
            code: {type: string, enum: [BAD, WORSE]}
`

func TestRender(t *testing.T) {
	md, err := Render([]byte(testSpec), "api/test.yaml")
	if err != nil {
		t.Fatal(err)
	}
	out := string(md)
	for _, want := range []string{
		"# test API reference\n",
		"Generated from api/test.yaml by " + RegenerateCommand,
		"Version 2.1. Generated from [`api/test.yaml`](../../api/test.yaml)",
		"- Things\n  - [`POST /things/create`](#op-thingCreate): Create a thing\n  - [`POST /things/any`](#op-thingAny): Anything\n- Other\n  - [`GET /things/ping`](#op-thingPing): Ping\n",
		"| `basicAuth` | HTTP Basic | Integration credentials. |",
		"| `sig` | `X-Sig` header |  |",
		"## Things\n\nThings and more.\n",
		"<a id=\"op-thingCreate\"></a>\n\n### `POST /things/create`\n\n**Create a thing** (operation `thingCreate`)\n\nCreates a thing.\n\nErrors: 400 `BAD`.\n",
		"**Authentication:** `X-Enc` header and `X-Sig` header, or `X-Tok` header\n",
		"- Signature: resource id `/thing/create`, factors `possession_knowledge`.\n",
		"- Encryption: ECIES activation scope, SharedInfo1 `/pa/generic/activation`, parameters from the signature header (`X-PowerAuth-Encryption` optional); the enrollment server decrypts the request.\n",
		"| `Accept-Language` | header |  | Language \\| preferred. |",
		"**Request body** (`application/json`, required)\n",
		// Required fields first, nested with dotted names, types described.
		"| `requestObject` | object | yes |  |\n| `requestObject.name` | string | yes | The name. |\n| `requestObject.kind` | string, nullable |  | One of `BIG`, `SMALL`. |",
		"| `requestObject.size` | integer (int64), nullable |  |  |",
		"| `requestObject.when` | string or integer, nullable |  |  |",
		"| `requestObject.tags` | array of string |  | Items: one of `a`, `b`. |",
		"**Decrypted request** (schema `Plain`)\n\n| Field | Type | Required | Description |\n|---|---|---|---|\n| `secret` | string |  | Pattern `^[a-z]+$`. |",
		"**Response 200** (`application/json`): Created.",
		"| `responseObject` | object `Thing` | yes |  |",
		"| `responseObject.parts[].label` | string |  |  |",
		"| `responseObject.attrs` | map of string |  |  |",
		"| `status` | string | yes | One of `OK`. |",
		"| 400 | Bad request. | `BAD`, `WORSE` |  |",
		"| 429 | Slow down. |  | `Retry-After` |",
		"**Authentication:** none\n\n**Request body:** none.\n",
		"**Authentication:** HTTP Basic\n",
		"**Request body** (`*/*`, optional)\n\nAny content; it is not interpreted as fields.\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("reference lacks %q", want)
		}
	}
	// The recursive schema (Thing.parts[].parent) is followed once only.
	if strings.Contains(out, "parent.parts") {
		t.Error("recursive schema expanded")
	}
	// Deterministic.
	again, err := Render([]byte(testSpec), "api/test.yaml")
	if err != nil || !bytes.Equal(md, again) {
		t.Fatalf("second rendering differs (%v)", err)
	}
}

func TestRenderRejects(t *testing.T) {
	tests := []struct {
		name, spec, want string
	}{
		{"not YAML", "openapi: [", "load"},
		{"invalid document", "openapi: 3.0.3\ninfo: {title: x}\npaths: {}\n", "validate"},
		{"no operationId", "openapi: 3.0.3\ninfo: {title: x, version: '1'}\npaths:\n  /a:\n    get:\n      responses: {'200': {description: ok}}\n", "no operationId"},
		{"unknown plaintext schema", "openapi: 3.0.3\ninfo: {title: x, version: '1'}\npaths:\n  /a:\n    get:\n      operationId: a\n      x-encryption: {requestPlaintext: Nope}\n      responses: {'200': {description: ok}}\n", "Nope"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Render([]byte(tc.spec), "x.yaml")
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want one mentioning %q", err, tc.want)
			}
		})
	}
}
