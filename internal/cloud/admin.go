package cloud

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/mauth/mauth/internal/audit"
	"github.com/mauth/mauth/internal/domain"
	"github.com/mauth/mauth/internal/store"
)

// CreateApplication creates an application (ROLE_ADMIN) and returns what
// a mobile app needs.
func (s *Service) CreateApplication(ctx context.Context, name string, roles []string) (Application, error) {
	if strings.TrimSpace(name) == "" || len(name) > maxText {
		return Application{}, BadRequest("id - must have 1 to %d characters", maxText)
	}
	app, err := s.core.CreateApplication(ctx, name, roles)
	return app, requestError(err)
}

// GetApplication returns an application the caller may use.
func (s *Service) GetApplication(ctx context.Context, p Principal, name string) (Application, error) {
	if !p.MayUse(name) {
		return Application{}, newError(404, CodeNotFound, "application %s not found", name)
	}
	app, err := s.core.GetApplication(ctx, name)
	return app, requestError(err)
}

// ListApplications returns every application (ROLE_ADMIN).
func (s *Service) ListApplications(ctx context.Context) ([]Application, error) {
	apps, err := s.core.ListApplications(ctx)
	return apps, requestError(err)
}

// CreateTemplate creates an operation template.
func (s *Service) CreateTemplate(ctx context.Context, in TemplateInput) (domain.OperationTemplate, error) {
	t, err := s.core.CreateTemplate(ctx, in)
	return t, requestError(err)
}

// ListTemplates lists the operation templates.
func (s *Service) ListTemplates(ctx context.Context) ([]domain.OperationTemplate, error) {
	ts, err := s.core.ListTemplates(ctx)
	return ts, requestError(err)
}

// RemoveTemplate removes an operation template by name.
func (s *Service) RemoveTemplate(ctx context.Context, name string) error {
	return requestError(s.core.RemoveTemplate(ctx, name))
}

// templateExists reports whether the core has a template of that name.
func (s *Service) templateExists(ctx context.Context, name string) error {
	ts, err := s.core.ListTemplates(ctx)
	if err != nil {
		return requestError(err)
	}
	for _, t := range ts {
		if t.Name == name {
			return nil
		}
	}
	return newError(404, CodeNotFound, "operation template %s not found", name)
}

// Limits of localised texts.
const (
	maxTitle   = 255
	maxSummary = 1024
)

// PutLocalization sets the title and summary of a template in a language.
func (s *Service) PutLocalization(ctx context.Context, l domain.CloudLocalization) (domain.CloudLocalization, error) {
	if _, err := CheckLanguage(l.Language); err != nil || l.Language == "" {
		return l, BadRequest("language - must be a two-letter lower-case ISO 639-1 code")
	}
	if strings.TrimSpace(l.Title) == "" || len(l.Title) > maxTitle || len(l.Summary) > maxSummary ||
		strings.ContainsRune(l.Title+l.Summary, 0) {
		return l, BadRequest("title - 1 to %d characters, summary - at most %d", maxTitle, maxSummary)
	}
	if err := s.templateExists(ctx, l.TemplateName); err != nil {
		return l, err
	}
	err := s.st.InTx(ctx, func(tx store.Tx) error {
		if err := tx.PutCloudLocalization(ctx, &l); err != nil {
			return err
		}
		return audit.Write(ctx, tx, s.now(), audit.Admin("CLOUD_LOCALIZATION_SET", "", map[string]string{"template": l.TemplateName, "language": l.Language}))
	})
	return l, wrap("put localization", err)
}

// ListLocalizations lists the texts of a template.
func (s *Service) ListLocalizations(ctx context.Context, template string) ([]domain.CloudLocalization, error) {
	if err := s.templateExists(ctx, template); err != nil {
		return nil, err
	}
	ls, err := s.st.ListCloudLocalizations(ctx, template)
	return ls, wrap("list localizations", err)
}

// DeleteLocalization deletes the texts of a template in a language.
func (s *Service) DeleteLocalization(ctx context.Context, template, language string) error {
	err := s.st.InTx(ctx, func(tx store.Tx) error {
		if err := tx.DeleteCloudLocalization(ctx, template, language); err != nil {
			return err
		}
		return audit.Write(ctx, tx, s.now(), audit.Admin("CLOUD_LOCALIZATION_DELETED", "", map[string]string{"template": template, "language": language}))
	})
	if errors.Is(err, store.ErrNotFound) {
		return newError(404, CodeNotFound, "no %s texts of template %s", language, template)
	}
	return wrap("delete localization", err)
}

// Cloud callback types.
const (
	CallbackRegistrationStatusChange = "REGISTRATION_STATUS_CHANGE"
	CallbackOperationStatusChange    = "OPERATION_STATUS_CHANGE"
)

// CallbackType maps a Cloud callback type to the core's.
func CallbackType(t string) (domain.CallbackType, error) {
	switch t {
	case CallbackRegistrationStatusChange:
		return domain.CallbackActivationStatusChange, nil
	case CallbackOperationStatusChange:
		return domain.CallbackOperationStatusChange, nil
	}
	return "", BadRequest("type - must be REGISTRATION_STATUS_CHANGE or OPERATION_STATUS_CHANGE")
}

// CloudCallbackType maps a core callback type to the Cloud's name.
func CloudCallbackType(t domain.CallbackType) string {
	if t == domain.CallbackActivationStatusChange {
		return CallbackRegistrationStatusChange
	}
	return string(t)
}

// CreateCallback registers a callback of an application the caller may use.
func (s *Service) CreateCallback(ctx context.Context, p Principal, application, name, typ, url string) (Callback, error) {
	if !p.MayUse(application) {
		return Callback{}, newError(404, CodeNotFound, "application %s not found", application)
	}
	t, err := CallbackType(typ)
	if err != nil {
		return Callback{}, err
	}
	if strings.TrimSpace(name) == "" || len(name) > maxText {
		return Callback{}, BadRequest("name - must have 1 to %d characters", maxText)
	}
	cb, err := s.core.CreateCallback(ctx, application, name, t, url)
	return cb, requestError(err)
}

// ListCallbacks lists the callbacks of an application the caller may use.
func (s *Service) ListCallbacks(ctx context.Context, p Principal, application string) ([]Callback, error) {
	if !p.MayUse(application) {
		return nil, newError(404, CodeNotFound, "application %s not found", application)
	}
	cbs, err := s.core.ListCallbacks(ctx, application)
	return cbs, requestError(err)
}

// RemoveCallback removes a callback of an application the caller may use.
func (s *Service) RemoveCallback(ctx context.Context, p Principal, application, id string) error {
	if !p.MayUse(application) {
		return newError(404, CodeNotFound, "application %s not found", application)
	}
	return requestError(s.core.RemoveCallback(ctx, application, id))
}

// Timestamp reads an optional request timestamp: epoch milliseconds
// (zero or absent: unset).
func Timestamp(ms int64) time.Time {
	if ms <= 0 {
		return time.Time{}
	}
	return time.UnixMilli(ms).UTC()
}
