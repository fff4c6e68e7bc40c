package admin

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	qrcode "github.com/skip2/go-qrcode"

	"github.com/mauth/mauth/internal/console"
	"github.com/mauth/mauth/internal/domain"
)

func badInput(msg string) error {
	return &console.Error{Code: "CONSOLE_INVALID_INPUT", Message: msg, Status: http.StatusBadRequest}
}

// form returns a trimmed form value.
func form(r *http.Request, key string) string { return strings.TrimSpace(r.PostForm.Get(key)) }

func (s *Server) signInPage(w http.ResponseWriter, r *http.Request) {
	if _, err := s.principal(r); err == nil {
		http.Redirect(w, r, "/admin/dashboard", http.StatusSeeOther)
		return
	}
	s.render(w, r, http.StatusOK, "signin", console.Principal{}, map[string]any{})
}

func (s *Server) signIn(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 16<<10)
	if err := r.ParseForm(); err != nil {
		s.fail(w, r, console.Principal{}, badInput("The form could not be read."))
		return
	}
	ctx := withActor(r, console.Principal{}).Context()
	id, _, err := s.c.SignIn(ctx, r.PostForm.Get("username"), r.PostForm.Get("password"))
	if err != nil {
		status := http.StatusInternalServerError
		msg := "Sign-in failed."
		if ce, ok := err.(*console.Error); ok {
			status, msg = ce.Status, ce.Message
		} else {
			s.log.Error("console: sign in", "err", err)
		}
		s.render(w, r, status, "signin", console.Principal{}, map[string]any{"Error": msg, "Username": r.PostForm.Get("username")})
		return
	}
	http.SetCookie(w, &http.Cookie{Name: CookieName, Value: id, Path: Prefix, HttpOnly: true,
		SameSite: http.SameSiteStrictMode, Secure: r.TLS != nil})
	http.Redirect(w, r, "/admin/dashboard", http.StatusSeeOther)
}

func (s *Server) signOut(w http.ResponseWriter, r *http.Request, p console.Principal) {
	if err := s.c.SignOut(r.Context(), p); err != nil {
		s.fail(w, r, p, err)
		return
	}
	http.SetCookie(w, &http.Cookie{Name: CookieName, Value: "", Path: Prefix, MaxAge: -1, HttpOnly: true,
		SameSite: http.SameSiteStrictMode, Secure: r.TLS != nil})
	http.Redirect(w, r, "/admin/signin", http.StatusSeeOther)
}

func (s *Server) dashboard(w http.ResponseWriter, r *http.Request, p console.Principal) {
	d, err := s.c.Dashboard(r.Context())
	if err != nil {
		s.fail(w, r, p, err)
		return
	}
	s.render(w, r, http.StatusOK, "dashboard", p, d)
}

// --- applications ---

func (s *Server) applications(w http.ResponseWriter, r *http.Request, p console.Principal) {
	apps, err := s.c.Applications(r.Context())
	if err != nil {
		s.fail(w, r, p, err)
		return
	}
	s.render(w, r, http.StatusOK, "applications", p, apps)
}

func (s *Server) createApplication(w http.ResponseWriter, r *http.Request, p console.Principal) {
	name := form(r, "name")
	if _, err := s.c.Core().CreateApplication(r.Context(), name); err != nil {
		s.fail(w, r, p, err)
		return
	}
	s.record(r, p, "APPLICATION_CREATED", map[string]string{"applicationId": name})
	done(w, r, "/admin/applications/"+url.PathEscape(name))
}

func (s *Server) application(w http.ResponseWriter, r *http.Request, p console.Principal) {
	name := r.PathValue("name")
	app, err := s.c.Core().Application(r.Context(), name)
	if err != nil {
		s.fail(w, r, p, err)
		return
	}
	cbs, err := s.c.Core().Callbacks(r.Context(), name)
	if err != nil {
		s.fail(w, r, p, err)
		return
	}
	rc, err := s.c.Core().RecoveryConfig(r.Context(), name)
	if err != nil {
		s.fail(w, r, p, err)
		return
	}
	integ, err := s.c.Core().ApplicationIntegrations(r.Context(), name)
	if err != nil {
		s.fail(w, r, p, err)
		return
	}
	s.render(w, r, http.StatusOK, "application", p, map[string]any{"App": app, "Callbacks": cbs, "Recovery": rc, "Integrations": integ,
		"Tested": r.URL.Query().Get("tested")})
}

func (s *Server) updateCallback(w http.ResponseWriter, r *http.Request, p console.Principal) {
	name, id := r.PathValue("name"), r.PathValue("id")
	if err := s.c.Core().UpdateCallback(r.Context(), name, id, form(r, "name"), form(r, "url")); err != nil {
		s.fail(w, r, p, err)
		return
	}
	s.record(r, p, "CALLBACK_UPDATED", map[string]string{"applicationId": name, "callbackId": id, "callbackUrl": form(r, "url")})
	done(w, r, "/admin/applications/"+url.PathEscape(name))
}

func (s *Server) testCallback(w http.ResponseWriter, r *http.Request, p console.Principal) {
	name, id := r.PathValue("name"), r.PathValue("id")
	if err := s.c.Core().SendTestCallback(r.Context(), name, id); err != nil {
		s.fail(w, r, p, err)
		return
	}
	s.record(r, p, "CALLBACK_TEST_SENT", map[string]string{"applicationId": name, "callbackId": id})
	done(w, r, "/admin/applications/"+url.PathEscape(name)+"?tested="+url.QueryEscape(id))
}

func (s *Server) setRecovery(w http.ResponseWriter, r *http.Request, p console.Principal) {
	name := r.PathValue("name")
	in := console.RecoverySettings{ActivationRecovery: form(r, "activationRecovery") == "on", Postcard: form(r, "postcard") == "on",
		MultipleCodes: form(r, "multipleCodes") == "on"}
	if err := s.c.Core().SetRecoveryConfig(r.Context(), name, in); err != nil {
		s.fail(w, r, p, err)
		return
	}
	s.record(r, p, "RECOVERY_CONFIG_UPDATED", map[string]string{"applicationId": name, "activationRecovery": strconv.FormatBool(in.ActivationRecovery),
		"postcard": strconv.FormatBool(in.Postcard), "multipleCodes": strconv.FormatBool(in.MultipleCodes)})
	done(w, r, "/admin/applications/"+url.PathEscape(name))
}

func (s *Server) integrationAccess(w http.ResponseWriter, r *http.Request, p console.Principal) {
	name, id, action := r.PathValue("name"), r.PathValue("id"), r.PathValue("action")
	if action != "grant" && action != "revoke" {
		s.fail(w, r, p, console.NotFound)
		return
	}
	if err := s.c.Core().SetIntegrationAccess(r.Context(), id, name, action == "grant"); err != nil {
		s.fail(w, r, p, err)
		return
	}
	event := "INTEGRATION_APPLICATION_GRANTED"
	if action == "revoke" {
		event = "INTEGRATION_APPLICATION_REVOKED"
	}
	s.record(r, p, event, map[string]string{"applicationId": name, "integrationId": id})
	done(w, r, "/admin/applications/"+url.PathEscape(name))
}

func (s *Server) versionQR(w http.ResponseWriter, r *http.Request, p console.Principal) {
	app, err := s.c.Core().Application(r.Context(), r.PathValue("name"))
	if err != nil {
		s.fail(w, r, p, err)
		return
	}
	for _, v := range app.Versions {
		if v.Version.Name == r.PathValue("version") {
			s.png(w, r, p, v.SDKConfig)
			return
		}
	}
	s.fail(w, r, p, console.NotFound)
}

// png answers a QR code of content.
func (s *Server) png(w http.ResponseWriter, r *http.Request, p console.Principal, content string) {
	img, err := qrcode.Encode(content, qrcode.Medium, 320)
	if err != nil {
		s.fail(w, r, p, fmt.Errorf("qr code: %w", err))
		return
	}
	w.Header().Set("Content-Type", "image/png")
	_, _ = w.Write(img)
}

func (s *Server) createVersion(w http.ResponseWriter, r *http.Request, p console.Principal) {
	name, version := r.PathValue("name"), form(r, "version")
	if err := s.c.Core().CreateApplicationVersion(r.Context(), name, version); err != nil {
		s.fail(w, r, p, err)
		return
	}
	s.record(r, p, "APPLICATION_VERSION_CREATED", map[string]string{"applicationId": name, "version": version})
	done(w, r, "/admin/applications/"+url.PathEscape(name))
}

func (s *Server) versionAction(w http.ResponseWriter, r *http.Request, p console.Principal) {
	name, version, action := r.PathValue("name"), r.PathValue("version"), r.PathValue("action")
	if action != "support" && action != "unsupport" {
		s.fail(w, r, p, console.NotFound)
		return
	}
	if err := s.c.Core().SetApplicationVersionSupported(r.Context(), name, version, action == "support"); err != nil {
		s.fail(w, r, p, err)
		return
	}
	s.record(r, p, "APPLICATION_VERSION_"+strings.ToUpper(action)+"ED", map[string]string{"applicationId": name, "version": version})
	done(w, r, "/admin/applications/"+url.PathEscape(name))
}

func (s *Server) createCallback(w http.ResponseWriter, r *http.Request, p console.Principal) {
	name := r.PathValue("name")
	if err := s.c.Core().CreateCallback(r.Context(), name, form(r, "name"), form(r, "url")); err != nil {
		s.fail(w, r, p, err)
		return
	}
	s.record(r, p, "CALLBACK_CREATED", map[string]string{"applicationId": name, "callbackUrl": form(r, "url")})
	done(w, r, "/admin/applications/"+url.PathEscape(name))
}

func (s *Server) removeCallback(w http.ResponseWriter, r *http.Request, p console.Principal) {
	name, id := r.PathValue("name"), r.PathValue("id")
	if err := s.c.Core().RemoveCallback(r.Context(), id); err != nil {
		s.fail(w, r, p, err)
		return
	}
	s.record(r, p, "CALLBACK_REMOVED", map[string]string{"applicationId": name, "callbackId": id})
	done(w, r, "/admin/applications/"+url.PathEscape(name))
}

// --- activations ---

func (s *Server) activations(w http.ResponseWriter, r *http.Request, p console.Principal) {
	q := r.URL.Query()
	query := console.ActivationQuery{UserID: q.Get("userId"), ActivationID: q.Get("activationId"), Status: q.Get("status"), After: q.Get("after")}
	list, err := s.c.Activations(r.Context(), query)
	if err != nil {
		s.fail(w, r, p, err)
		return
	}
	next := ""
	if list.Next != "" {
		v := url.Values{}
		for k, val := range map[string]string{"userId": query.UserID, "activationId": query.ActivationID, "status": query.Status, "after": list.Next} {
			if val != "" {
				v.Set(k, val)
			}
		}
		next = "/admin/activations?" + v.Encode()
	}
	s.render(w, r, http.StatusOK, "activations", p, map[string]any{"Query": query, "List": list, "NextURL": next})
}

func (s *Server) newActivationPage(w http.ResponseWriter, r *http.Request, p console.Principal) {
	apps, err := s.c.Applications(r.Context())
	if err != nil {
		s.fail(w, r, p, err)
		return
	}
	s.render(w, r, http.StatusOK, "activation_new", p, map[string]any{"Apps": apps, "UserID": r.URL.Query().Get("userId")})
}

func (s *Server) createActivation(w http.ResponseWriter, r *http.Request, p console.Principal) {
	app, user := form(r, "application"), r.PostForm.Get("userId")
	na, err := s.c.Core().InitActivation(r.Context(), console.ActivationInput{Application: app, UserID: user,
		OTP: form(r, "otp"), OTPOnKeyExchange: form(r, "otpPhase") == "KEY_EXCHANGE"})
	if err != nil {
		s.fail(w, r, p, err)
		return
	}
	s.record(r, p, "ACTIVATION_INITIATED", map[string]string{"applicationId": app, "activationId": na.ActivationID})
	done(w, r, "/admin/activations/"+url.PathEscape(na.ActivationID))
}

func (s *Server) activation(w http.ResponseWriter, r *http.Request, p console.Principal) {
	d, err := s.c.Activation(r.Context(), r.PathValue("id"))
	if err != nil {
		s.fail(w, r, p, err)
		return
	}
	if d.RecoveryCodes, err = s.c.Core().RecoveryCodes(r.Context(), d.Activation.ActivationID); err != nil {
		s.fail(w, r, p, err)
		return
	}
	s.render(w, r, http.StatusOK, "activation", p, d)
}

func (s *Server) revokeRecoveryCode(w http.ResponseWriter, r *http.Request, p console.Principal) {
	id := r.PathValue("id")
	code, err := strconv.ParseInt(r.PathValue("code"), 10, 64)
	if err != nil || code <= 0 {
		s.fail(w, r, p, console.NotFound)
		return
	}
	if err := s.c.Core().RevokeRecoveryCode(r.Context(), id, code); err != nil {
		s.fail(w, r, p, err)
		return
	}
	s.record(r, p, "RECOVERY_CODE_REVOKED", map[string]string{"activationId": id, "recoveryCodeId": strconv.FormatInt(code, 10)})
	done(w, r, "/admin/activations/"+url.PathEscape(id))
}

func (s *Server) activationStatus(w http.ResponseWriter, r *http.Request, p console.Principal) {
	st, err := s.c.ActivationStatus(r.Context(), r.PathValue("id"))
	if err != nil {
		s.fail(w, r, p, err)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(map[string]string{"status": st.String()})
}

func (s *Server) activationQR(w http.ResponseWriter, r *http.Request, p console.Principal) {
	d, err := s.c.Activation(r.Context(), r.PathValue("id"))
	if err != nil {
		s.fail(w, r, p, err)
		return
	}
	if d.QR == "" {
		s.fail(w, r, p, console.NotFound)
		return
	}
	s.png(w, r, p, d.QR)
}

func (s *Server) activationAction(w http.ResponseWriter, r *http.Request, p console.Principal) {
	id, action := r.PathValue("id"), r.PathValue("action")
	core := s.c.Core()
	var err error
	details := map[string]string{"activationId": id}
	switch action {
	case "commit":
		err = core.CommitActivation(r.Context(), id, form(r, "otp"))
	case "block":
		reason := form(r, "reason")
		if reason == "" {
			reason = "BLOCKED_BY_OPERATOR"
		}
		details["reason"] = reason
		err = core.BlockActivation(r.Context(), id, reason)
	case "unblock":
		err = core.UnblockActivation(r.Context(), id)
	case "remove":
		err = core.RemoveActivation(r.Context(), id)
	default:
		err = console.NotFound
	}
	if err != nil {
		s.fail(w, r, p, err)
		return
	}
	s.record(r, p, "ACTIVATION_"+strings.ToUpper(action), details)
	done(w, r, "/admin/activations/"+url.PathEscape(id))
}

// --- operations ---

func (s *Server) operations(w http.ResponseWriter, r *http.Request, p console.Principal) {
	q := r.URL.Query()
	query := console.OperationQuery{UserID: q.Get("userId"), Status: q.Get("status"), Template: q.Get("template"),
		From: q.Get("from"), To: q.Get("to"), After: q.Get("after")}
	list, err := s.c.Operations(r.Context(), query)
	if err != nil {
		s.fail(w, r, p, err)
		return
	}
	apps, err := s.c.Applications(r.Context())
	if err != nil {
		s.fail(w, r, p, err)
		return
	}
	tpls, err := s.c.Templates(r.Context())
	if err != nil {
		s.fail(w, r, p, err)
		return
	}
	next := ""
	if list.Next != "" {
		v := r.URL.Query()
		v.Set("after", list.Next)
		next = "/admin/operations?" + v.Encode()
	}
	s.render(w, r, http.StatusOK, "operations", p, map[string]any{"Query": query, "Operations": list.Operations,
		"NextURL": next, "Apps": apps, "Templates": tpls})
}

func (s *Server) createOperation(w http.ResponseWriter, r *http.Request, p console.Principal) {
	params := map[string]string{}
	for _, line := range strings.Split(r.PostForm.Get("parameters"), "\n") {
		k, v, ok := strings.Cut(strings.TrimSpace(line), "=")
		if ok && strings.TrimSpace(k) != "" {
			params[strings.TrimSpace(k)] = strings.TrimSpace(v)
		}
	}
	op, err := s.c.Core().CreateOperation(r.Context(), console.NewOperation{UserID: form(r, "userId"),
		Application: form(r, "application"), Template: form(r, "template"), Parameters: params})
	if err != nil {
		s.fail(w, r, p, err)
		return
	}
	s.record(r, p, "OPERATION_CREATED", map[string]string{"operationId": op.ID})
	done(w, r, "/admin/operations/"+url.PathEscape(op.ID))
}

func (s *Server) operation(w http.ResponseWriter, r *http.Request, p console.Principal) {
	op, err := s.c.Operation(r.Context(), r.PathValue("id"))
	if err != nil {
		s.fail(w, r, p, err)
		return
	}
	// The approval context: the audit entries of the operation carry the
	// IP address and user agent of each request that changed it.
	ctxEntries, err := s.c.Audit(r.Context(), console.AuditQuery{OperationID: op.ID, Limit: 50})
	if err != nil {
		s.fail(w, r, p, err)
		return
	}
	s.render(w, r, http.StatusOK, "operation", p, operationPage{Op: op, Context: ctxEntries.Entries})
}

func (s *Server) cancelOperation(w http.ResponseWriter, r *http.Request, p console.Principal) {
	id := r.PathValue("id")
	if err := s.c.Core().CancelOperation(r.Context(), id); err != nil {
		s.fail(w, r, p, err)
		return
	}
	s.record(r, p, "OPERATION_CANCELED", map[string]string{"operationId": id})
	done(w, r, "/admin/operations/"+url.PathEscape(id))
}

// --- templates ---

func (s *Server) templates(w http.ResponseWriter, r *http.Request, p console.Principal) {
	tpls, err := s.c.Templates(r.Context())
	if err != nil {
		s.fail(w, r, p, err)
		return
	}
	s.render(w, r, http.StatusOK, "templates", p, tpls)
}

// templateForm reads the template form.
func templateForm(r *http.Request) (console.TemplateInput, error) {
	maxFail, err := strconv.ParseInt(form(r, "maxFailureCount"), 10, 64)
	if err != nil {
		return console.TemplateInput{}, badInput("Max failures: a whole number.")
	}
	exp, err := strconv.ParseInt(form(r, "expiration"), 10, 64)
	if err != nil || exp <= 0 || exp > 365*24*3600 {
		return console.TemplateInput{}, badInput("Expiration: seconds, a positive whole number.")
	}
	return console.TemplateInput{Name: form(r, "name"), OperationType: form(r, "operationType"),
		DataTemplate: r.PostForm.Get("dataTemplate"), SignatureTypes: r.PostForm["signatureType"],
		MaxFailureCount: maxFail, Expiration: time.Duration(exp) * time.Second}, nil
}

func (s *Server) template(w http.ResponseWriter, r *http.Request, p console.Principal) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		s.fail(w, r, p, console.NotFound)
		return
	}
	t, err := s.c.Template(r.Context(), id)
	if err != nil {
		s.fail(w, r, p, err)
		return
	}
	s.render(w, r, http.StatusOK, "template", p, t)
}

func (s *Server) updateTemplate(w http.ResponseWriter, r *http.Request, p console.Principal) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		s.fail(w, r, p, console.NotFound)
		return
	}
	in, err := templateForm(r)
	if err != nil {
		s.fail(w, r, p, err)
		return
	}
	if err := s.c.Core().UpdateTemplate(r.Context(), id, in); err != nil {
		s.fail(w, r, p, err)
		return
	}
	s.record(r, p, "TEMPLATE_UPDATED", map[string]string{"templateId": r.PathValue("id")})
	done(w, r, "/admin/templates")
}

func (s *Server) createTemplate(w http.ResponseWriter, r *http.Request, p console.Principal) {
	in, err := templateForm(r)
	if err != nil {
		s.fail(w, r, p, err)
		return
	}
	if err := s.c.Core().CreateTemplate(r.Context(), in); err != nil {
		s.fail(w, r, p, err)
		return
	}
	s.record(r, p, "TEMPLATE_CREATED", map[string]string{"templateName": in.Name})
	done(w, r, "/admin/templates")
}

func (s *Server) removeTemplate(w http.ResponseWriter, r *http.Request, p console.Principal) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		s.fail(w, r, p, console.NotFound)
		return
	}
	if err := s.c.Core().RemoveTemplate(r.Context(), id); err != nil {
		s.fail(w, r, p, err)
		return
	}
	s.record(r, p, "TEMPLATE_REMOVED", map[string]string{"templateId": r.PathValue("id")})
	done(w, r, "/admin/templates")
}

// --- integrations and users ---

func (s *Server) integrations(w http.ResponseWriter, r *http.Request, p console.Principal) {
	list, err := s.c.Integrations(r.Context())
	if err != nil {
		s.fail(w, r, p, err)
		return
	}
	s.render(w, r, http.StatusOK, "integrations", p, map[string]any{"List": list})
}

func (s *Server) createIntegration(w http.ResponseWriter, r *http.Request, p console.Principal) {
	created, err := s.c.Core().CreateIntegration(r.Context(), form(r, "name"))
	if err != nil {
		s.fail(w, r, p, err)
		return
	}
	s.record(r, p, "INTEGRATION_CREATED", map[string]string{"integrationId": created.ID})
	list, err := s.c.Integrations(r.Context())
	if err != nil {
		s.fail(w, r, p, err)
		return
	}
	// The secret is shown in this answer only (no redirect, no-store).
	s.render(w, r, http.StatusOK, "integrations", p, map[string]any{"List": list, "Created": created})
}

func (s *Server) removeIntegration(w http.ResponseWriter, r *http.Request, p console.Principal) {
	id := r.PathValue("id")
	if err := s.c.Core().RemoveIntegration(r.Context(), id); err != nil {
		s.fail(w, r, p, err)
		return
	}
	s.record(r, p, "INTEGRATION_REMOVED", map[string]string{"integrationId": id})
	done(w, r, "/admin/integrations")
}

func (s *Server) users(w http.ResponseWriter, r *http.Request, p console.Principal) {
	list, err := s.c.Users(r.Context())
	if err != nil {
		s.fail(w, r, p, err)
		return
	}
	s.render(w, r, http.StatusOK, "users", p, list)
}

func (s *Server) createUser(w http.ResponseWriter, r *http.Request, p console.Principal) {
	if _, err := s.c.CreateUser(r.Context(), p.Actor(), form(r, "username"), r.PostForm.Get("password"), domain.ConsoleRole(form(r, "role"))); err != nil {
		s.fail(w, r, p, err)
		return
	}
	done(w, r, "/admin/users")
}

func (s *Server) removeUser(w http.ResponseWriter, r *http.Request, p console.Principal) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		s.fail(w, r, p, console.NotFound)
		return
	}
	if err := s.c.RemoveUser(r.Context(), p, id); err != nil {
		s.fail(w, r, p, err)
		return
	}
	done(w, r, "/admin/users")
}

// --- audit and push ---

func auditQuery(r *http.Request) console.AuditQuery {
	q := r.URL.Query()
	return console.AuditQuery{Actor: q.Get("actor"), ActivationID: q.Get("activationId"), OperationID: q.Get("operationId"),
		From: q.Get("from"), To: q.Get("to"), Before: q.Get("before")}
}

func (s *Server) audit(w http.ResponseWriter, r *http.Request, p console.Principal) {
	query := auditQuery(r)
	list, err := s.c.Audit(r.Context(), query)
	if err != nil {
		s.fail(w, r, p, err)
		return
	}
	v := r.URL.Query()
	v.Del("before")
	csvURL := "/admin/audit.csv?" + v.Encode()
	next := ""
	if list.Next != "" {
		v.Set("before", list.Next)
		next = "/admin/audit?" + v.Encode()
	}
	s.render(w, r, http.StatusOK, "audit", p, map[string]any{"Query": query, "List": list, "NextURL": next, "CSVURL": csvURL})
}

// csvSafe keeps a spreadsheet from reading a cell as a formula.
func csvSafe(v string) string {
	if v != "" && strings.ContainsRune("=+-@\t\r", rune(v[0])) {
		return "'" + v
	}
	return v
}

func (s *Server) auditCSV(w http.ResponseWriter, r *http.Request, p console.Principal) {
	query := auditQuery(r)
	query.Limit = 10000
	list, err := s.c.Audit(r.Context(), query)
	if err != nil {
		s.fail(w, r, p, err)
		return
	}
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="audit.csv"`)
	cw := csv.NewWriter(w)
	_ = cw.Write([]string{"id", "time", "type", "actor", "activationId", "userId", "application", "ip", "userAgent", "details"})
	for _, e := range list.Entries {
		row := []string{strconv.FormatInt(e.ID, 10), e.Created.UTC().Format(time.RFC3339Nano), string(e.Type), e.Actor,
			e.ActivationID, e.UserID, e.Application, e.IP, e.UserAgent, funcs["details"].(func(map[string]string) string)(e.Details)}
		for i := range row {
			row[i] = csvSafe(row[i])
		}
		_ = cw.Write(row)
	}
	cw.Flush()
}

// record writes the console's audit entry of a done action; a failure is
// logged (the change itself is already committed with the core's entry).
func (s *Server) record(r *http.Request, p console.Principal, action string, details map[string]string) {
	if err := s.c.Record(r.Context(), p, action, details); err != nil {
		s.log.Error("console: audit", "action", action, "err", err)
	}
}

// operationPage is the data of an operation's page.
type operationPage struct {
	Op      domain.Operation
	Context []domain.AuditEntry
}

// previewPage is the data of a template's Mobile Token preview.
type previewPage struct {
	TemplateID string
	Preview    console.Preview
}

// sampleParams parses "name=value" lines.
func sampleParams(text string) map[string]string {
	out := map[string]string{}
	for _, line := range strings.Split(text, "\n") {
		k, v, ok := strings.Cut(strings.TrimSpace(line), "=")
		if ok && strings.TrimSpace(k) != "" {
			out[strings.TrimSpace(k)] = strings.TrimSpace(v)
		}
	}
	return out
}

// previewTemplate renders a template's operation as the phone shows it:
// the whole page (no-JS "Preview" button) or, with fragment=1, only the
// preview (the edit page's script).
func (s *Server) previewTemplate(w http.ResponseWriter, r *http.Request, p console.Principal) {
	in := console.PreviewInput{OperationType: form(r, "operationType"), DataTemplate: form(r, "dataTemplate"),
		SignatureTypes: r.PostForm["signatureType"], Parameters: sampleParams(r.PostForm.Get("params")), Language: form(r, "lang")}
	pv, err := s.c.Core().PreviewOperation(r.Context(), in)
	if err != nil {
		s.fail(w, r, p, err)
		return
	}
	data := previewPage{TemplateID: form(r, "templateId"), Preview: pv}
	if r.URL.Query().Get("fragment") == "1" {
		var b strings.Builder
		if err := s.pages["template_preview"].ExecuteTemplate(&b, "preview", data); err != nil {
			s.fail(w, r, p, fmt.Errorf("render preview: %w", err))
			return
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_, _ = fmt.Fprint(w, b.String())
		return
	}
	s.render(w, r, http.StatusOK, "template_preview", p, data)
}
