// Package docgen renders mauth's OpenAPI documents as Markdown API
// references (docs/api/*.md): per operation its method and path, summary,
// description, authentication, parameters, request and response fields,
// the plaintexts of encrypted bodies and every status code with its error
// codes. The YAML files stay the contract; the Markdown is generated from
// them (`go generate ./openapi`) and a test fails when it is stale.
package docgen

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
	"go.yaml.in/yaml/v3"

	"github.com/mauth/mauth/openapi"
)

// Document is one OpenAPI file and the reference rendered from it.
type Document struct {
	// Source is the file's path in the repository, e.g. "openapi/public.yaml".
	Source string
	// Spec is the file's content.
	Spec []byte
	// Output is the Markdown file's path in the repository, e.g. "docs/api/public.md".
	Output string
}

// Documents are mauth's OpenAPI documents and their references.
func Documents() []Document {
	return []Document{
		{Source: "openapi/private.yaml", Spec: openapi.Private, Output: "docs/api/private.md"},
		{Source: "openapi/public.yaml", Spec: openapi.Public, Output: "docs/api/public.md"},
		{Source: "openapi/inbox.yaml", Spec: openapi.Inbox, Output: "docs/api/inbox.md"},
		{Source: "openapi/pushserver.yaml", Spec: openapi.PushServer, Output: "docs/api/pushserver.md"},
		{Source: "openapi/cloud.yaml", Spec: openapi.Cloud, Output: "docs/api/cloud.md"},
		{Source: "openapi/mobileutil-admin.yaml", Spec: openapi.MobileUtilAdmin, Output: "docs/api/mobileutil-admin.md"},
		{Source: "openapi/testserver.yaml", Spec: openapi.TestServer, Output: "docs/api/testserver.md"},
	}
}

// RegenerateCommand is how the references are regenerated.
const RegenerateCommand = "go generate ./openapi (or: go run ./openapi/cmd/docgen)"

// Render returns the Markdown reference of the document.
func (d Document) Render() ([]byte, error) {
	return Render(d.Spec, d.Source)
}

// Render returns the Markdown reference of the OpenAPI 3 document spec;
// source names the file in the reference's header.
func Render(spec []byte, source string) ([]byte, error) {
	loader := openapi3.NewLoader()
	doc, err := loader.LoadFromData(spec)
	if err != nil {
		return nil, fmt.Errorf("docgen: load %s: %w", source, err)
	}
	if err := doc.Validate(context.Background()); err != nil {
		return nil, fmt.Errorf("docgen: validate %s: %w", source, err)
	}
	order, err := pathOrder(spec)
	if err != nil {
		return nil, fmt.Errorf("docgen: %s: %w", source, err)
	}
	r := &renderer{doc: doc, source: source}
	if err := r.collect(order); err != nil {
		return nil, fmt.Errorf("docgen: %s: %w", source, err)
	}
	r.render()
	return r.out.Bytes(), nil
}

// pathOrder returns the paths of the document in the order they are written.
func pathOrder(spec []byte) ([]string, error) {
	var root yaml.Node
	if err := yaml.Unmarshal(spec, &root); err != nil {
		return nil, fmt.Errorf("parse: %w", err)
	}
	if len(root.Content) == 0 || root.Content[0].Kind != yaml.MappingNode {
		return nil, fmt.Errorf("not a YAML mapping")
	}
	top := root.Content[0].Content
	for i := 0; i+1 < len(top); i += 2 {
		if top[i].Value != "paths" || top[i+1].Kind != yaml.MappingNode {
			continue
		}
		var out []string
		for j := 0; j < len(top[i+1].Content); j += 2 {
			out = append(out, top[i+1].Content[j].Value)
		}
		return out, nil
	}
	return nil, nil
}

// methodOrder sorts the operations of a path.
var methodOrder = []string{"GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS", "TRACE"}

// operation is one operation with its place in the document.
type operation struct {
	method string
	path   string
	op     *openapi3.Operation
}

// anchor is the link target of the operation.
func (o operation) anchor() string { return "op-" + o.op.OperationID }

// renderer writes one reference.
type renderer struct {
	doc    *openapi3.T
	source string
	tags   []string               // in document order, then the undeclared ones
	byTag  map[string][]operation // first tag → operations
	out    bytes.Buffer
}

// collect groups the operations by their first tag and checks what the
// reference relies on: an operationId on every operation and the schemas
// x-encryption names.
func (r *renderer) collect(order []string) error {
	r.byTag = map[string][]operation{}
	for _, t := range r.doc.Tags {
		r.tags = append(r.tags, t.Name)
	}
	var extra []string
	for _, p := range order {
		item := r.doc.Paths.Value(p)
		if item == nil {
			continue
		}
		ops := item.Operations()
		for _, m := range methodOrder {
			op := ops[m]
			if op == nil {
				continue
			}
			if op.OperationID == "" {
				return fmt.Errorf("%s %s has no operationId", m, p)
			}
			var enc encryptionExt
			if extension(op, "x-encryption", &enc) {
				for _, name := range []string{enc.RequestPlaintext, enc.ResponsePlaintext, enc.InnerRequestPlaintext, enc.InnerResponsePlaintext} {
					if name != "" && r.schema(name) == nil {
						return fmt.Errorf("%s: x-encryption names the schema %s, which is not in components/schemas", op.OperationID, name)
					}
				}
			}
			tag := "Other"
			if len(op.Tags) > 0 {
				tag = op.Tags[0]
			}
			if !slices.Contains(r.tags, tag) && !slices.Contains(extra, tag) {
				extra = append(extra, tag)
			}
			r.byTag[tag] = append(r.byTag[tag], operation{method: m, path: p, op: op})
		}
	}
	sort.Strings(extra)
	r.tags = append(r.tags, extra...)
	return nil
}

func (r *renderer) printf(format string, args ...any) { fmt.Fprintf(&r.out, format, args...) }

func (r *renderer) line(s string) {
	r.out.WriteString(s)
	r.out.WriteByte('\n')
}

// render writes the whole reference.
func (r *renderer) render() {
	info := r.doc.Info
	r.printf("# %s reference\n\n", info.Title)
	r.printf("<!-- Generated from %s by %s. Do not edit: edit the YAML and regenerate. -->\n\n", r.source, RegenerateCommand)
	r.printf("Version %s. Generated from [`%s`](../../%s), the contract the tests hold the server to.\n\n", info.Version, r.source, r.source)
	if d := strings.TrimSpace(info.Description); d != "" {
		r.line(d)
		r.line("")
	}
	r.line("## Contents")
	r.line("")
	if r.doc.Components != nil && len(r.doc.Components.SecuritySchemes) > 0 {
		r.line("- [Authentication](#authentication)")
	}
	for _, tag := range r.tags {
		ops := r.byTag[tag]
		if len(ops) == 0 {
			continue
		}
		r.printf("- %s\n", tag)
		for _, o := range ops {
			r.printf("  - [`%s %s`](#%s): %s\n", o.method, o.path, o.anchor(), oneLine(o.op.Summary))
		}
	}
	r.line("")
	r.renderSecuritySchemes()
	for _, tag := range r.tags {
		ops := r.byTag[tag]
		if len(ops) == 0 {
			continue
		}
		r.printf("## %s\n\n", tag)
		if t := r.doc.Tags.Get(tag); t != nil && strings.TrimSpace(t.Description) != "" {
			r.line(strings.TrimSpace(t.Description))
			r.line("")
		}
		for _, o := range ops {
			r.renderOperation(o)
		}
	}
}

// renderSecuritySchemes lists the authentication schemes.
func (r *renderer) renderSecuritySchemes() {
	if r.doc.Components == nil || len(r.doc.Components.SecuritySchemes) == 0 {
		return
	}
	schemes := r.doc.Components.SecuritySchemes
	if len(schemes) == 0 {
		return
	}
	r.line("## Authentication")
	r.line("")
	r.line("| Scheme | Kind | Description |")
	r.line("|---|---|---|")
	for _, name := range sortedKeys(schemes) {
		s := schemes[name].Value
		r.printf("| `%s` | %s | %s |\n", name, schemeKind(s), cell(s.Description))
	}
	r.line("")
}

// schemeKind describes a security scheme in a few words.
func schemeKind(s *openapi3.SecurityScheme) string {
	switch {
	case s.Type == "apiKey":
		return fmt.Sprintf("`%s` %s", s.Name, s.In)
	case s.Type == "http" && strings.EqualFold(s.Scheme, "basic"):
		return "HTTP Basic"
	case s.Type == "http":
		return "HTTP " + s.Scheme
	}
	return s.Type
}

// renderOperation writes one operation.
func (r *renderer) renderOperation(o operation) {
	op := o.op
	r.printf("<a id=\"%s\"></a>\n\n", o.anchor())
	r.printf("### `%s %s`\n\n", o.method, o.path)
	r.printf("**%s** (operation `%s`)\n\n", oneLine(op.Summary), op.OperationID)
	if d := strings.TrimSpace(op.Description); d != "" {
		r.line(d)
		r.line("")
	}
	r.renderSecurity(op)
	r.renderParameters(op)
	r.renderRequest(op)
	r.renderResponses(op)
}

// signatureExt, tokenExt and encryptionExt are the x- extensions of an operation.
type signatureExt struct {
	URIID string   `json:"uriId"`
	Types []string `json:"types"`
}

type tokenExt struct {
	Types []string `json:"types"`
}

type encryptionExt struct {
	Scope             string `json:"scope"`
	SharedInfo1       string `json:"sharedInfo1"`
	Header            string `json:"header"`
	DecryptedBy       string `json:"decryptedBy"`
	RequestPlaintext  string `json:"requestPlaintext"`
	ResponsePlaintext string `json:"responsePlaintext"`
	// InnerRequestPlaintext and InnerResponsePlaintext describe a second
	// cryptogram inside the plaintexts (layer 2 of activation/create).
	InnerRequestPlaintext  string `json:"innerRequestPlaintext"`
	InnerResponsePlaintext string `json:"innerResponsePlaintext"`
}

// extension decodes the x- extension name of op into dst; false when absent.
func extension(op *openapi3.Operation, name string, dst any) bool {
	v, ok := op.Extensions[name]
	if !ok {
		return false
	}
	b, err := json.Marshal(v)
	if err != nil {
		return false
	}
	return json.Unmarshal(b, dst) == nil
}

// renderSecurity writes how the operation is authenticated and encrypted.
func (r *renderer) renderSecurity(op *openapi3.Operation) {
	reqs := r.doc.Security
	if op.Security != nil {
		reqs = *op.Security
	}
	var alts []string
	for _, req := range reqs {
		var parts []string
		for _, name := range sortedKeys(req) {
			parts = append(parts, r.schemeLabel(name))
		}
		if len(parts) > 0 {
			alts = append(alts, strings.Join(parts, " and "))
		}
	}
	auth := "none"
	if len(alts) > 0 {
		auth = strings.Join(alts, ", or ")
	}
	r.printf("**Authentication:** %s\n\n", auth)
	var notes []string
	var sig signatureExt
	if extension(op, "x-signature", &sig) {
		notes = append(notes, fmt.Sprintf("Signature: resource id `%s`, factors %s.", sig.URIID, factorList(sig.Types)))
	}
	var tok tokenExt
	if extension(op, "x-token", &tok) {
		notes = append(notes, fmt.Sprintf("MAC token: created with %s.", factorList(tok.Types)))
	}
	var enc encryptionExt
	if extension(op, "x-encryption", &enc) {
		n := fmt.Sprintf("Encryption: ECIES %s scope, SharedInfo1 `%s`", enc.Scope, enc.SharedInfo1)
		switch enc.Header {
		case "required":
			n += ", `X-PowerAuth-Encryption` header required"
		case "optional":
			n += ", parameters from the signature header (`X-PowerAuth-Encryption` optional)"
		case "none":
			n += ", parameters from the signature header"
		}
		switch enc.DecryptedBy {
		case "core":
			n += "; the core server decrypts the request"
		case "enrollment":
			n += "; the enrollment server decrypts the request"
		}
		notes = append(notes, n+".")
	}
	for _, n := range notes {
		r.printf("- %s\n", n)
	}
	if len(notes) > 0 {
		r.line("")
	}
}

// schema returns a component schema by name (nil when absent).
func (r *renderer) schema(name string) *openapi3.SchemaRef {
	if r.doc.Components == nil {
		return nil
	}
	return r.doc.Components.Schemas[name]
}

// schemeLabel names a security scheme for an operation.
func (r *renderer) schemeLabel(name string) string {
	if r.doc.Components == nil {
		return "`" + name + "`"
	}
	if ref := r.doc.Components.SecuritySchemes[name]; ref != nil && ref.Value != nil {
		s := ref.Value
		if s.Type == "apiKey" {
			return fmt.Sprintf("`%s` header", s.Name)
		}
		return schemeKind(s)
	}
	return "`" + name + "`"
}

// factorList formats signature factor combinations ("any" when none are listed).
func factorList(types []string) string {
	if len(types) == 0 {
		return "any combination"
	}
	q := make([]string, len(types))
	for i, t := range types {
		q[i] = "`" + t + "`"
	}
	return strings.Join(q, ", ")
}

// renderParameters writes the header, query and path parameters.
func (r *renderer) renderParameters(op *openapi3.Operation) {
	if len(op.Parameters) == 0 {
		return
	}
	r.line("**Parameters**")
	r.line("")
	r.line("| Name | In | Required | Description |")
	r.line("|---|---|---|---|")
	for _, ref := range op.Parameters {
		p := ref.Value
		if p == nil {
			continue
		}
		r.printf("| `%s` | %s | %s | %s |\n", p.Name, p.In, yes(p.Required), cell(p.Description))
	}
	r.line("")
}

// renderRequest writes the request body and the encrypted plaintext.
func (r *renderer) renderRequest(op *openapi3.Operation) {
	var enc encryptionExt
	hasEnc := extension(op, "x-encryption", &enc)
	if op.RequestBody == nil || op.RequestBody.Value == nil {
		if !hasEnc {
			r.line("**Request body:** none.")
			r.line("")
		}
		return
	}
	body := op.RequestBody.Value
	req := "optional"
	if body.Required {
		req = "required"
	}
	for _, mt := range sortedKeys(body.Content) {
		media := body.Content[mt]
		r.printf("**Request body** (`%s`, %s)", mt, req)
		if d := strings.TrimSpace(body.Description); d != "" {
			r.printf(": %s", oneLine(d))
		}
		r.line("")
		r.line("")
		if media.Schema == nil {
			r.line("Any content; it is not interpreted as fields.")
			r.line("")
			continue
		}
		r.fieldTable(media.Schema)
	}
	if hasEnc && enc.RequestPlaintext != "" {
		r.printf("**Decrypted request** (schema `%s`)\n\n", enc.RequestPlaintext)
		r.fieldTable(r.schema(enc.RequestPlaintext))
	}
	if hasEnc && enc.InnerRequestPlaintext != "" {
		r.printf("**Decrypted inner request** (schema `%s`)\n\n", enc.InnerRequestPlaintext)
		r.fieldTable(r.schema(enc.InnerRequestPlaintext))
	}
}

// renderResponses writes the successful responses' fields and the status table.
func (r *renderer) renderResponses(op *openapi3.Operation) {
	codes := statusCodes(op.Responses.Map())
	var enc encryptionExt
	hasEnc := extension(op, "x-encryption", &enc)
	for _, code := range codes {
		if !strings.HasPrefix(code, "2") {
			continue
		}
		resp := op.Responses.Value(code).Value
		for _, mt := range sortedKeys(resp.Content) {
			media := resp.Content[mt]
			r.printf("**Response %s** (`%s`): %s\n\n", code, mt, oneLine(deref(resp.Description)))
			if media.Schema != nil {
				r.fieldTable(media.Schema)
			}
		}
		if hasEnc && enc.ResponsePlaintext != "" {
			r.printf("**Decrypted response** (schema `%s`)\n\n", enc.ResponsePlaintext)
			r.fieldTable(r.schema(enc.ResponsePlaintext))
		}
		if hasEnc && enc.InnerResponsePlaintext != "" {
			r.printf("**Decrypted inner response** (schema `%s`)\n\n", enc.InnerResponsePlaintext)
			r.fieldTable(r.schema(enc.InnerResponsePlaintext))
		}
	}
	r.line("**Status codes**")
	r.line("")
	r.line("| Status | Meaning | Codes | Headers |")
	r.line("|---|---|---|---|")
	for _, code := range codes {
		resp := op.Responses.Value(code).Value
		var errCodes []string
		for _, mt := range sortedKeys(resp.Content) {
			for _, c := range errorCodes(resp.Content[mt].Schema) {
				if !slices.Contains(errCodes, c) {
					errCodes = append(errCodes, c)
				}
			}
		}
		r.printf("| %s | %s | %s | %s |\n", code, cell(deref(resp.Description)), codeList(errCodes), codeList(sortedKeys(resp.Headers)))
	}
	r.line("")
}

// statusCodes sorts response keys: numeric codes, then ranges and default.
func statusCodes(m map[string]*openapi3.ResponseRef) []string {
	keys := sortedKeys(m)
	sort.SliceStable(keys, func(i, j int) bool {
		a, ea := strconv.Atoi(keys[i])
		b, eb := strconv.Atoi(keys[j])
		switch {
		case ea == nil && eb == nil:
			return a < b
		case ea == nil:
			return true
		case eb == nil:
			return false
		}
		return keys[i] < keys[j]
	})
	return keys
}

// errorCodes returns the enum of responseObject.code in an error envelope.
func errorCodes(ref *openapi3.SchemaRef) []string {
	s := merged(ref)
	if s == nil {
		return nil
	}
	obj := merged(s.Properties["responseObject"])
	if obj == nil {
		return nil
	}
	code := merged(obj.Properties["code"])
	if code == nil {
		return nil
	}
	out := make([]string, 0, len(code.Enum))
	for _, v := range code.Enum {
		out = append(out, fmt.Sprint(v))
	}
	return out
}

// row is one line of a field table.
type row struct {
	name, typ, required, desc string
}

// maxDepth bounds the nesting a field table follows.
const maxDepth = 8

// fieldTable writes the fields of a schema.
func (r *renderer) fieldTable(ref *openapi3.SchemaRef) {
	s := merged(ref)
	if s == nil {
		r.line("Not described.")
		r.line("")
		return
	}
	var rows []row
	switch {
	case len(s.Properties) > 0 || hasAdditional(s):
		rows = fields(s, "", nil, 0)
	default:
		rows = []row{{name: "(body)", typ: typeName(ref), desc: describe(s)}}
		if items := merged(s.Items); items != nil && len(items.Properties) > 0 {
			rows = append(rows, fields(items, "[].", nil, 1)...)
		}
	}
	if len(rows) == 0 {
		if d := strings.TrimSpace(s.Description); d != "" {
			r.line(oneLine(d))
		} else {
			r.line("An object without fixed fields.")
		}
		r.line("")
		return
	}
	r.line("| Field | Type | Required | Description |")
	r.line("|---|---|---|---|")
	for _, rw := range rows {
		r.printf("| `%s` | %s | %s | %s |\n", rw.name, rw.typ, rw.required, rw.desc)
	}
	r.line("")
}

// fields flattens the properties of an object schema into rows named
// prefix+property; stack guards against recursive schemas.
func fields(s *openapi3.Schema, prefix string, stack []*openapi3.Schema, depth int) []row {
	if depth > maxDepth || slices.Contains(stack, s) {
		return nil
	}
	stack = append(stack, s)
	var rows []row
	for _, name := range sortedPropertyNames(s) {
		ref := s.Properties[name]
		p := merged(ref)
		if p == nil {
			continue
		}
		full := prefix + name
		rows = append(rows, row{name: full, typ: typeName(ref), required: yes(slices.Contains(s.Required, name)), desc: describe(p)})
		rows = append(rows, nested(p, full, stack, depth)...)
	}
	if ap := s.AdditionalProperties.Schema; ap != nil {
		if p := merged(ap); p != nil && (len(p.Properties) > 0 || p.Items != nil) {
			full := prefix + "*"
			rows = append(rows, row{name: full, typ: typeName(ap), desc: describe(p)})
			rows = append(rows, nested(p, full, stack, depth)...)
		}
	}
	return rows
}

// nested returns the rows inside a property: object fields and array items.
func nested(p *openapi3.Schema, full string, stack []*openapi3.Schema, depth int) []row {
	switch {
	case len(p.Properties) > 0:
		return fields(p, full+".", stack, depth+1)
	case p.Items != nil:
		if items := merged(p.Items); items != nil && len(items.Properties) > 0 {
			return fields(items, full+"[].", stack, depth+1)
		}
	}
	return nil
}

// sortedPropertyNames lists required properties first, each group sorted.
func sortedPropertyNames(s *openapi3.Schema) []string {
	names := sortedKeys(s.Properties)
	sort.SliceStable(names, func(i, j int) bool {
		return slices.Contains(s.Required, names[i]) && !slices.Contains(s.Required, names[j])
	})
	return names
}

// hasAdditional reports a schema that is a map of typed values.
func hasAdditional(s *openapi3.Schema) bool {
	return s.AdditionalProperties.Schema != nil && merged(s.AdditionalProperties.Schema) != nil
}

// merged returns the schema of ref with allOf folded in: properties and
// required fields of every part, the outer description, type and
// nullability first.
func merged(ref *openapi3.SchemaRef) *openapi3.Schema {
	if ref == nil || ref.Value == nil {
		return nil
	}
	s := ref.Value
	if len(s.AllOf) == 0 {
		return s
	}
	out := *s
	out.AllOf = nil
	out.Properties = openapi3.Schemas{}
	for k, v := range s.Properties {
		out.Properties[k] = v
	}
	out.Required = append([]string(nil), s.Required...)
	for _, part := range s.AllOf {
		p := merged(part)
		if p == nil {
			continue
		}
		for k, v := range p.Properties {
			if _, ok := out.Properties[k]; !ok {
				out.Properties[k] = v
			}
		}
		for _, req := range p.Required {
			if !slices.Contains(out.Required, req) {
				out.Required = append(out.Required, req)
			}
		}
		if out.Type == nil || out.Type.IsEmpty() {
			out.Type = p.Type
		}
		if out.Format == "" {
			out.Format = p.Format
		}
		if out.Description == "" {
			out.Description = p.Description
		}
		if len(out.Enum) == 0 {
			out.Enum = p.Enum
		}
		if out.Items == nil {
			out.Items = p.Items
		}
		if out.AdditionalProperties.Schema == nil && out.AdditionalProperties.Has == nil {
			out.AdditionalProperties = p.AdditionalProperties
		}
		if out.Pattern == "" {
			out.Pattern = p.Pattern
		}
	}
	return &out
}

// typeName describes the type of a schema in a few words.
func typeName(ref *openapi3.SchemaRef) string {
	s := merged(ref)
	if s == nil {
		return "any"
	}
	var t string
	switch {
	case len(s.OneOf) > 0 || len(s.AnyOf) > 0:
		alts := s.OneOf
		if len(alts) == 0 {
			alts = s.AnyOf
		}
		names := make([]string, 0, len(alts))
		for _, a := range alts {
			names = append(names, typeName(a))
		}
		t = strings.Join(names, " or ")
	case s.Type == nil || s.Type.IsEmpty():
		t = "any"
	case s.Type.Is("array"):
		t = "array of " + typeName(s.Items)
	case s.Type.Is("object") && len(s.Properties) == 0 && s.AdditionalProperties.Schema != nil:
		t = "map of " + typeName(s.AdditionalProperties.Schema)
	default:
		t = strings.Join(s.Type.Slice(), " or ")
		if s.Format != "" {
			t += " (" + s.Format + ")"
		}
		if name := refName(ref); name != "" && s.Type.Is("object") {
			t += " `" + name + "`"
		}
	}
	if s.Nullable {
		t += ", nullable"
	}
	return t
}

// refName is the component schema a schema refers to ("" for an inline one).
func refName(ref *openapi3.SchemaRef) string {
	r := ref.Ref
	if r == "" && ref.Value != nil && len(ref.Value.AllOf) == 1 {
		r = ref.Value.AllOf[0].Ref
	}
	const prefix = "#/components/schemas/"
	if !strings.HasPrefix(r, prefix) {
		return ""
	}
	return strings.TrimPrefix(r, prefix)
}

// describe is the description cell of a field: its text, its allowed
// values and pattern.
func describe(s *openapi3.Schema) string {
	parts := []string{}
	if d := oneLine(s.Description); d != "" {
		parts = append(parts, d)
	}
	if len(s.Enum) > 0 {
		vals := make([]string, 0, len(s.Enum))
		for _, v := range s.Enum {
			vals = append(vals, fmt.Sprint(v))
		}
		parts = append(parts, "One of "+codeList(vals)+".")
	}
	if s.Items != nil {
		if items := merged(s.Items); items != nil && len(items.Enum) > 0 {
			vals := make([]string, 0, len(items.Enum))
			for _, v := range items.Enum {
				vals = append(vals, fmt.Sprint(v))
			}
			parts = append(parts, "Items: one of "+codeList(vals)+".")
		}
	}
	if s.Pattern != "" {
		parts = append(parts, "Pattern `"+s.Pattern+"`.")
	}
	return cell(strings.Join(parts, " "))
}

// codeList formats values as inline code, comma-separated.
func codeList(vals []string) string {
	q := make([]string, len(vals))
	for i, v := range vals {
		q[i] = "`" + v + "`"
	}
	return strings.Join(q, ", ")
}

// oneLine collapses whitespace (Markdown paragraphs into one line).
func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

// cell makes text safe inside a table cell.
func cell(s string) string { return strings.ReplaceAll(oneLine(s), "|", `\|`) }

func yes(b bool) string {
	if b {
		return "yes"
	}
	return ""
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// sortedKeys returns the keys of a map in order.
func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
