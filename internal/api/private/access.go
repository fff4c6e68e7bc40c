package private

import (
	"context"
	"fmt"
	"reflect"
	"strconv"
	"strings"

	"github.com/mauth/mauth/internal/service"
	"github.com/mauth/mauth/protocol"
)

// Authorisation of integrations, in one place.
//
// Every method has an entry in accessRules; method() and
// appBodylessMethod() look it up when they register a method, and every
// call passes authorize() after its body is decoded and before the handler
// runs. A method without an entry answers access denied to everybody (and
// TestEveryMethodHasAnAccessRule fails), so a new method cannot forget it.
//
//   - ADMIN integrations (and every caller when access is not restricted)
//     may call everything.
//   - accessAdmin methods manage integrations, create applications or
//     change their configuration, callbacks or the global operation
//     templates, or read the whole audit log: ADMIN only.
//   - accessAny methods read nothing that belongs to an application
//     (status, error codes, operation templates); accessListed ones answer
//     only what the caller may act on (application/list).
//   - every other method acts on applications, named directly
//     (applicationId, applicationKey) or through the objects the request
//     names (activation, operation, token, temporary key, recovery code).
//     An APPLICATION integration must name at least one, and each must be
//     an existing object of an application it is granted (for an operation
//     shared by several applications: one of them). Anything else, an
//     unknown id included, is access denied, so that a scoped integration
//     cannot even learn whether another application's object exists.

// accessKind says who may call a method.
type accessKind int

const (
	// accessScoped: admins, and APPLICATION integrations on the
	// applications the request names (refs).
	accessScoped accessKind = iota
	// accessAdmin: admins only.
	accessAdmin
	// accessAny: every authenticated integration.
	accessAny
	// accessListed: every authenticated integration; the handler answers
	// only with what the caller may act on (see visibleTo).
	accessListed
)

// accessRef is a request field that names an application or an object
// of one.
type accessRef struct {
	// field is the JSON name of the request field (a string, a pointer to
	// one, a list of them, or integers for recovery code ids).
	field string
	// kind is what the field names; jwt marks a temporary key request
	// whose claims name an application key and an activation.
	kind service.ObjectKind
	jwt  bool
}

// access is the rule of one method.
type access struct {
	kind accessKind
	refs []accessRef
}

func adminOnly() access             { return access{kind: accessAdmin} }
func anyIntegration() access        { return access{kind: accessAny} }
func listedForCaller() access       { return access{kind: accessListed} }
func acts(refs ...accessRef) access { return access{kind: accessScoped, refs: refs} }

func refApplication(field string) accessRef {
	return accessRef{field: field, kind: service.ObjectApplication}
}
func refApplicationKey(field string) accessRef {
	return accessRef{field: field, kind: service.ObjectApplicationKey}
}
func refActivation(field string) accessRef {
	return accessRef{field: field, kind: service.ObjectActivation}
}
func refOperation(field string) accessRef {
	return accessRef{field: field, kind: service.ObjectOperation}
}
func refToken(field string) accessRef { return accessRef{field: field, kind: service.ObjectToken} }
func refTemporaryKey(field string) accessRef {
	return accessRef{field: field, kind: service.ObjectTemporaryKey}
}
func refRecoveryCode(field string) accessRef {
	return accessRef{field: field, kind: service.ObjectRecoveryCode}
}
func refTemporaryKeyRequest(field string) accessRef {
	return accessRef{field: field, jwt: true}
}

// accessRules is the authorisation table: every method of the private API
// and who may call it (see the comment at the top of this file).
var accessRules = map[string]access{
	// System.
	"status":     anyIntegration(),
	"error/list": anyIntegration(),

	// Applications: reading one's own applications is allowed, creating
	// them and changing their versions, roles and configuration is
	// administration.
	"application/list":              listedForCaller(),
	"application/detail":            acts(refApplication("applicationId")),
	"application/detail/version":    acts(refApplicationKey("applicationKey")),
	"application/create":            adminOnly(),
	"application/version/create":    adminOnly(),
	"application/version/support":   adminOnly(),
	"application/version/unsupport": adminOnly(),
	"application/roles/list":        acts(refApplication("applicationId")),
	"application/roles/create":      adminOnly(),
	"application/roles/update":      adminOnly(),
	"application/roles/remove":      adminOnly(),
	"application/config/detail":     acts(refApplication("applicationId")),
	"application/config/create":     adminOnly(),
	"application/config/remove":     adminOnly(),
	"application/protocol/detail":   acts(refApplication("applicationId")),
	"application/protocol/update":   adminOnly(),

	// Integrations and callbacks are administration; a scoped integration
	// may see its applications' callbacks.
	"integration/create":              adminOnly(),
	"integration/list":                adminOnly(),
	"integration/remove":              adminOnly(),
	"integration/applications/create": adminOnly(),
	"integration/applications/remove": adminOnly(),
	"application/callback/create":     adminOnly(),
	"application/callback/update":     adminOnly(),
	"application/callback/remove":     adminOnly(),
	"application/callback/list":       acts(refApplication("applicationId")),

	// Activations.
	"activation/init":            acts(refApplication("applicationId")),
	"activation/prepare":         acts(refApplicationKey("applicationKey")),
	"activation/create":          acts(refApplicationKey("applicationKey")),
	"activation/recovery/create": acts(refApplicationKey("applicationKey")),
	"activation/commit":          acts(refActivation("activationId")),
	"activation/otp/update":      acts(refActivation("activationId")),
	"activation/status":          acts(refActivation("activationId")),
	"activation/remove":          acts(refActivation("activationId")),
	"activation/block":           acts(refActivation("activationId")),
	"activation/unblock":         acts(refActivation("activationId")),
	"activation/list":            acts(refApplication("applicationId")),
	"activation/lookup":          acts(refApplication("applicationIds")),
	"activation/status/update":   acts(refActivation("activationIds")),
	"activation/name/update":     acts(refActivation("activationId")),
	"activation/history":         acts(refActivation("activationId")),
	"activation/flags/list":      acts(refActivation("activationId")),
	"activation/flags/create":    acts(refActivation("activationId")),
	"activation/flags/update":    acts(refActivation("activationId")),
	"activation/flags/remove":    acts(refActivation("activationId")),

	// Recovery; the recovery settings are administration.
	"recovery/create":        acts(refApplication("applicationId")),
	"recovery/confirm":       acts(refActivation("activationId"), refApplicationKey("applicationKey")),
	"recovery/lookup":        acts(refApplication("applicationId"), refActivation("activationId")),
	"recovery/revoke":        acts(refRecoveryCode("recoveryCodeIds")),
	"recovery/config/detail": acts(refApplication("applicationId")),
	"recovery/config/update": adminOnly(),

	// Signatures.
	"signature/verify":                          acts(refActivation("activationId"), refApplicationKey("applicationKey")),
	"signature/ecdsa/verify":                    acts(refActivation("activationId")),
	"signature/offline/personalized/create":     acts(refActivation("activationId")),
	"signature/offline/non-personalized/create": acts(refApplication("applicationId")),
	"signature/offline/verify":                  acts(refActivation("activationId")),
	"signature/list":                            acts(refApplication("applicationId")),

	// Tokens.
	"token/create":   acts(refActivation("activationId"), refApplicationKey("applicationKey")),
	"token/validate": acts(refToken("tokenId")),
	"token/remove":   acts(refToken("tokenId"), refActivation("activationId")),

	// Encryption, temporary keys, upgrade.
	"vault/unlock":    acts(refActivation("activationId"), refApplicationKey("applicationKey")),
	"ecies/decryptor": acts(refApplicationKey("applicationKey"), refActivation("activationId")),
	"keystore/create": acts(refTemporaryKeyRequest("jwt")),
	"keystore/remove": acts(refTemporaryKey("id")),
	"upgrade/start":   acts(refActivation("activationId"), refApplicationKey("applicationKey")),
	"upgrade/commit":  acts(refActivation("activationId"), refApplicationKey("applicationKey")),

	// The audit log spans every application and the administration.
	"audit/list": adminOnly(),

	// Operation templates are shared by every application: reading them
	// is allowed, changing them is administration.
	"operation/template/create": adminOnly(),
	"operation/template/update": adminOnly(),
	"operation/template/remove": adminOnly(),
	"operation/template/list":   anyIntegration(),
	"operation/template/detail": anyIntegration(),

	// Operations.
	"operation/create":          acts(refApplication("applications"), refActivation("activationId")),
	"operation/detail":          acts(refOperation("operationId")),
	"operation/claim":           acts(refOperation("operationId")),
	"operation/list":            acts(refApplication("applications"), refActivation("activationId")),
	"operation/list/pending":    acts(refApplication("applications"), refActivation("activationId")),
	"operation/list/external":   acts(refApplication("applications"), refActivation("activationId")),
	"operation/cancel":          acts(refOperation("operationId")),
	"operation/approve":         acts(refOperation("operationId"), refApplication("applicationId")),
	"operation/approve/fail":    acts(refOperation("operationId")),
	"operation/reject":          acts(refOperation("operationId"), refApplication("applicationId")),
	"operation/offline/qr":      acts(refOperation("operationId"), refActivation("activationId")),
	"operation/offline/approve": acts(refOperation("operationId"), refActivation("activationId")),
}

// maxScopedRefs bounds the objects one request of an APPLICATION
// integration may name (each costs a lookup).
const maxScopedRefs = 1000

// compiledRule is a method's rule with its fields located in the request
// type.
type compiledRule struct {
	access
	fields [][]int // reflect field index of each ref, parallel to refs
}

// compileRule looks up the rule of method name for request type req (nil
// for methods that read no body). ok is false when the table has no rule.
// It panics when a rule names a field the request type lacks: a
// programming error every test that builds a Server catches.
func compileRule(name string, req reflect.Type) (compiledRule, bool) {
	a, ok := accessRules[name]
	if !ok {
		return compiledRule{}, false
	}
	c := compiledRule{access: a}
	for _, ref := range a.refs {
		idx, ok := jsonField(req, ref.field)
		if !ok {
			panic(fmt.Sprintf("private: access rule of %s names field %q, which %v lacks", name, ref.field, req))
		}
		c.fields = append(c.fields, idx)
	}
	return c, true
}

// jsonField finds the field whose JSON name is name in struct type t,
// including promoted fields of embedded structs; the shallowest wins, as
// in encoding/json.
func jsonField(t reflect.Type, name string) ([]int, bool) {
	if t == nil || t.Kind() != reflect.Struct {
		return nil, false
	}
	var best []int
	for _, f := range reflect.VisibleFields(t) {
		tag, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if tag != name || !f.IsExported() {
			continue
		}
		if best == nil || len(f.Index) < len(best) {
			best = f.Index
		}
	}
	return best, best != nil
}

// principalKey keys the authenticated integration in a request context.
type principalKey struct{}

// withPrincipal returns ctx carrying the authenticated integration.
func withPrincipal(ctx context.Context, p service.Principal) context.Context {
	return context.WithValue(ctx, principalKey{}, p)
}

// principalFrom returns the authenticated integration of ctx; ok is false
// when access is not restricted (then every caller is an administrator).
func principalFrom(ctx context.Context) (service.Principal, bool) {
	p, ok := ctx.Value(principalKey{}).(service.Principal)
	return p, ok
}

// visibleTo reports whether the caller of ctx may see the application
// with the internal id (for accessListed methods).
func visibleTo(ctx context.Context, applicationID int64) bool {
	p, ok := principalFrom(ctx)
	return !ok || p.MayActOn([]int64{applicationID})
}

// Messages of access denied answers. They never say whether an object
// exists.
const (
	msgAdminOnly    = "Access denied: the method needs an integration with role ADMIN."
	msgNotGranted   = "Access denied: the request names no application the integration is granted, or an object of another application."
	msgNoRule       = "Access denied: the method has no access rule."
	msgTooManyNamed = "Access denied: an integration with role APPLICATION may name at most 1000 objects in one request."
)

// authorize decides whether the caller of ctx may call method with the
// decoded request req (a pointer to the request struct, nil for methods
// without a body). It returns nil when allowed, a CodeAccessDenied error
// when not (and records the refusal in the audit log), and other errors
// when a lookup fails.
func (s *Server) authorize(ctx context.Context, method string, req any) error {
	rule, ok := s.rules[method]
	p, restricted := principalFrom(ctx)
	if !ok {
		return s.deny(ctx, p, method, msgNoRule)
	}
	if !restricted || p.Admin() {
		return nil
	}
	switch rule.kind {
	case accessAny, accessListed:
		return nil
	case accessAdmin:
		return s.deny(ctx, p, method, msgAdminOnly)
	}
	type named struct {
		kind service.ObjectKind
		ref  string
	}
	var refs []named
	seen := map[named]bool{}
	add := func(kind service.ObjectKind, ref string) {
		if n := (named{kind, ref}); strings.TrimSpace(ref) != "" && !seen[n] && len(refs) <= maxScopedRefs {
			seen[n] = true
			refs = append(refs, n)
		}
	}
	v := reflect.ValueOf(req)
	for v.Kind() == reflect.Pointer && !v.IsNil() {
		v = v.Elem()
	}
	for i, ref := range rule.refs {
		if v.Kind() != reflect.Struct {
			break
		}
		for _, val := range fieldValues(v.FieldByIndex(rule.fields[i])) {
			if !ref.jwt {
				add(ref.kind, val)
				continue
			}
			if r, err := protocol.ParseTemporaryKeyRequest(val); err == nil {
				add(service.ObjectApplicationKey, r.ApplicationKey)
				add(service.ObjectActivation, r.ActivationID)
			}
		}
	}
	if len(refs) == 0 {
		return s.deny(ctx, p, method, msgNotGranted)
	}
	if len(refs) > maxScopedRefs {
		return s.deny(ctx, p, method, msgTooManyNamed)
	}
	for _, r := range refs {
		owners, err := s.svc.ApplicationsOf(ctx, r.kind, r.ref)
		if err != nil {
			return err
		}
		if !p.MayActOn(owners) {
			return s.deny(ctx, p, method, msgNotGranted)
		}
	}
	return nil
}

// deny records a refused call and returns the access denied error.
func (s *Server) deny(ctx context.Context, p service.Principal, method, msg string) error {
	if p.IntegrationID != "" {
		s.svc.AuditAccessDenied(ctx, p, method)
	}
	return service.Errorf(service.CodeAccessDenied, "%s", msg)
}

// fieldValues returns the text values of a request field: a string, a
// pointer to one, integers, or lists of them (nil pointers and nil lists
// give none).
func fieldValues(f reflect.Value) []string {
	switch f.Kind() {
	case reflect.String:
		return []string{f.String()}
	case reflect.Int, reflect.Int64, reflect.Int32:
		return []string{strconv.FormatInt(f.Int(), 10)}
	case reflect.Pointer:
		if f.IsNil() {
			return nil
		}
		return fieldValues(f.Elem())
	case reflect.Slice:
		out := make([]string, 0, f.Len())
		for i := range f.Len() {
			out = append(out, fieldValues(f.Index(i))...)
		}
		return out
	}
	return nil
}
