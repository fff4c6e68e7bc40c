package cloud

import (
	"context"
	"errors"
	"regexp"
	"strings"
	"time"

	"github.com/mauth/mauth/internal/store"
)

// Limits of operation requests.
const (
	// MaxParameters is the most template parameters an operation takes.
	MaxParameters = 32
	// MaxParameterKey and MaxParameterValue bound a parameter's name and value.
	MaxParameterKey   = 64
	MaxParameterValue = 1024
	// DefaultLanguage is the language of texts when a request names none.
	DefaultLanguage = "en"
	maxStatusReason = 32
)

// languagePattern is an ISO 639-1 code, lower case.
var languagePattern = regexp.MustCompile(`^[a-z]{2}$`)

// CheckLanguage validates a language code (empty is DefaultLanguage).
func CheckLanguage(lang string) (string, error) {
	if lang == "" {
		return DefaultLanguage, nil
	}
	if !languagePattern.MatchString(lang) {
		return "", BadRequest("language - must be a two-letter lower-case ISO 639-1 code")
	}
	return lang, nil
}

// CreateOperationRequest is the body of POST /v2/operations.
type CreateOperationRequest struct {
	UserID                string
	Template              string
	Language              string
	ExternalID            string
	Flag                  string
	Expires               time.Time
	Parameters            map[string]string
	ProximityCheckEnabled *bool
	// Silent true suppresses the push message (mtoken.operationInit)
	// that announces a new personal operation to the user's devices.
	Silent bool
	// AppID selects one of the caller's applications (a mauth extension;
	// empty: every application the caller may use).
	AppID string
}

// LocalizedOperation is an operation with its texts in a language.
type LocalizedOperation struct {
	Operation
	Language, Title, Summary string
}

// CreateOperation creates an operation from a template for the caller's
// applications.
func (s *Service) CreateOperation(ctx context.Context, p Principal, req CreateOperationRequest) (LocalizedOperation, error) {
	lang, err := CheckLanguage(req.Language)
	if err != nil {
		return LocalizedOperation{}, err
	}
	if strings.TrimSpace(req.Template) == "" || len(req.Template) > maxText {
		return LocalizedOperation{}, BadRequest("template - must have 1 to %d characters", maxText)
	}
	if req.UserID != "" {
		if err := checkUserID(req.UserID); err != nil {
			return LocalizedOperation{}, err
		}
	}
	if len(req.ExternalID) > maxText || len(req.Flag) > maxFlag {
		return LocalizedOperation{}, BadRequest("externalId, flag - too long")
	}
	if len(req.Parameters) > MaxParameters {
		return LocalizedOperation{}, BadRequest("parameters - at most %d", MaxParameters)
	}
	for k, v := range req.Parameters {
		if k == "" || len(k) > MaxParameterKey || len(v) > MaxParameterValue || strings.ContainsRune(k+v, 0) {
			return LocalizedOperation{}, BadRequest("parameters - names must have 1 to %d characters, values at most %d", MaxParameterKey, MaxParameterValue)
		}
	}
	apps, err := s.scope(ctx, p, req.AppID)
	if err != nil {
		return LocalizedOperation{}, err
	}
	if len(apps) == 0 {
		return LocalizedOperation{}, Forbidden("no application is granted to %s", p.Username)
	}
	op, err := s.core.CreateOperation(ctx, OperationInput{UserID: req.UserID, Applications: apps, Template: req.Template,
		ExternalID: req.ExternalID, ActivationFlag: req.Flag, Expires: req.Expires, Parameters: req.Parameters,
		ProximityCheckEnabled: req.ProximityCheckEnabled, Silent: req.Silent})
	if err != nil {
		return LocalizedOperation{}, operationError(err)
	}
	return s.localize(ctx, op, lang)
}

// localize adds the template's texts in lang (falling back to
// DefaultLanguage, then to none) with the parameters filled in.
func (s *Service) localize(ctx context.Context, op Operation, lang string) (LocalizedOperation, error) {
	out := LocalizedOperation{Operation: op, Language: lang}
	l, err := s.st.GetCloudLocalization(ctx, op.TemplateName, lang)
	if errors.Is(err, store.ErrNotFound) && lang != DefaultLanguage {
		l, err = s.st.GetCloudLocalization(ctx, op.TemplateName, DefaultLanguage)
	}
	if errors.Is(err, store.ErrNotFound) {
		return out, nil
	}
	if err != nil {
		return out, wrap("read localization", err)
	}
	out.Title, out.Summary = fill(l.Title, op.Parameters), fill(l.Summary, op.Parameters)
	return out, nil
}

// placeholder is a ${name} in a text.
var placeholder = regexp.MustCompile(`\$\{([A-Za-z0-9_.-]+)\}`)

// fill replaces the ${name} placeholders of text by the parameters (an
// unknown one is left as it is).
func fill(text string, params map[string]string) string {
	return placeholder.ReplaceAllStringFunc(text, func(m string) string {
		if v, ok := params[m[2:len(m)-1]]; ok {
			return v
		}
		return m
	})
}

// operation loads an operation the caller may act on; another
// application's operation looks unknown.
func (s *Service) operation(ctx context.Context, p Principal, id string) (Operation, error) {
	if id == "" || len(id) > maxText {
		return Operation{}, operationNotFound()
	}
	op, err := s.core.GetOperation(ctx, id)
	if err != nil {
		return Operation{}, operationError(err)
	}
	if !p.mayUseAny(op.Applications) {
		return Operation{}, operationNotFound()
	}
	return op, nil
}

// GetOperation returns an operation with its texts in lang.
func (s *Service) GetOperation(ctx context.Context, p Principal, id, lang string) (LocalizedOperation, error) {
	lang, err := CheckLanguage(lang)
	if err != nil {
		return LocalizedOperation{}, err
	}
	op, err := s.operation(ctx, p, id)
	if err != nil {
		return LocalizedOperation{}, err
	}
	return s.localize(ctx, op, lang)
}

// CancelOperation cancels a pending operation.
func (s *Service) CancelOperation(ctx context.Context, p Principal, id, reason string) (Operation, error) {
	if len(reason) > maxStatusReason {
		return Operation{}, BadRequest("statusReason - at most %d characters", maxStatusReason)
	}
	if _, err := s.operation(ctx, p, id); err != nil {
		return Operation{}, err
	}
	op, err := s.core.CancelOperation(ctx, id, reason)
	if err != nil {
		return Operation{}, operationError(err)
	}
	return op, nil
}

// ListOperations lists a user's operations (newest first) in the
// applications the caller may use, with texts in lang.
func (s *Service) ListOperations(ctx context.Context, p Principal, userID, appID, lang string, pendingOnly bool) ([]LocalizedOperation, error) {
	lang, err := CheckLanguage(lang)
	if err != nil {
		return nil, err
	}
	if err := checkUserID(userID); err != nil {
		return nil, err
	}
	apps, err := s.scope(ctx, p, appID)
	if err != nil || len(apps) == 0 {
		return nil, err
	}
	ops, err := s.core.ListOperations(ctx, userID, apps, pendingOnly)
	if err != nil {
		return nil, operationError(err)
	}
	out := make([]LocalizedOperation, 0, len(ops))
	for _, op := range ops {
		l, err := s.localize(ctx, op, lang)
		if err != nil {
			return nil, err
		}
		out = append(out, l)
	}
	return out, nil
}

// OperationOfflineQR returns the offline QR code of a pending operation
// for one of the user's registrations, titled in lang.
func (s *Service) OperationOfflineQR(ctx context.Context, p Principal, id, registrationID, lang string) (OfflineQR, error) {
	lang, err := CheckLanguage(lang)
	if err != nil {
		return OfflineQR{}, err
	}
	op, err := s.operation(ctx, p, id)
	if err != nil {
		return OfflineQR{}, err
	}
	if _, err := s.registration(ctx, p, registrationID); err != nil {
		return OfflineQR{}, err
	}
	l, err := s.localize(ctx, op, lang)
	if err != nil {
		return OfflineQR{}, err
	}
	flat := strings.NewReplacer("\n", " ", "\r", " ")
	qr, err := s.core.OperationOfflineQR(ctx, id, registrationID, flat.Replace(l.Title), flat.Replace(l.Summary))
	if err != nil {
		return OfflineQR{}, operationError(err)
	}
	return qr, nil
}

// offlineOTPPattern is a decimal offline signature: 1 to 3 groups of
// 8 digits joined with '-' (the one accepted form).
var offlineOTPPattern = regexp.MustCompile(`^[0-9]{8}(-[0-9]{8}){0,2}$`)

// VerifyOfflineOTP checks the code the user typed from an offline QR
// code and approves the operation when it is right.
func (s *Service) VerifyOfflineOTP(ctx context.Context, p Principal, id, registrationID, nonce, otp string) (OfflineResult, error) {
	if !offlineOTPPattern.MatchString(otp) {
		return OfflineResult{}, newError(400, CodeOTPInvalid, "otp - must be 8-digit groups joined with '-'")
	}
	if nonce == "" || len(nonce) > maxText {
		return OfflineResult{}, BadRequest("nonce - must not be blank")
	}
	if _, err := s.operation(ctx, p, id); err != nil {
		return OfflineResult{}, err
	}
	if _, err := s.registration(ctx, p, registrationID); err != nil {
		return OfflineResult{}, err
	}
	res, err := s.core.ApproveOperationOffline(ctx, id, registrationID, nonce, otp)
	if err != nil {
		return OfflineResult{}, operationError(err)
	}
	return res, nil
}
