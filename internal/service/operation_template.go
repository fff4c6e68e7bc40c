package service

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/mauth/mauth/internal/domain"
	"github.com/mauth/mauth/internal/store"
	"github.com/mauth/mauth/protocol"
)

// OperationTemplateInput is the content of a template (create and update).
type OperationTemplateInput struct {
	// Name is the unique template name (ignored on update: names are immutable).
	Name string
	// OperationType is copied to the operations.
	OperationType string
	// DataTemplate is the operation data with ${param} placeholders.
	DataTemplate string
	// SignatureTypes are the allowed factor combinations (at least one).
	SignatureTypes []protocol.SignatureType
	// MaxFailureCount is the failure limit of the operations (≥ 1).
	MaxFailureCount int64
	// Expiration is the operation lifetime (≥ 1 s, whole seconds).
	Expiration time.Duration
	// RiskFlags are optional risk flags, e.g. "XFC".
	RiskFlags string
	// ProximityCheckEnabled gives operations a proximity TOTP.
	ProximityCheckEnabled bool
	// NumberMatchingEnabled gives operations a 2-digit number to match.
	NumberMatchingEnabled bool
}

// CheckFields checks every field of in (update: without the name, which
// cannot change) and records each failure in v. It is the one validation of
// a template: the private API runs it on the request, over its own
// checks of the JSON (render.Validator is a FieldChecker), and
// CreateOperationTemplate and UpdateOperationTemplate run it for every
// caller.
func (in OperationTemplateInput) CheckFields(v FieldChecker, update bool) {
	if !update {
		v.Check(strings.TrimSpace(in.Name) != "", "templateName", "must not be blank")
	}
	v.Check(strings.TrimSpace(in.OperationType) != "", "operationType", "must not be blank")
	v.Check(strings.TrimSpace(in.DataTemplate) != "", "dataTemplate", "must not be blank")
	v.Check(len(in.SignatureTypes) > 0, "signatureType", "must not be empty")
	for _, t := range in.SignatureTypes {
		_, err := protocol.ParseSignatureType(string(t))
		v.Check(err == nil, "signatureType", "must be a list of signature types")
	}
	v.Check(in.MaxFailureCount >= 1, "maxFailureCount", "must be greater than or equal to 1")
	v.Check(in.Expiration >= time.Second && in.Expiration%time.Second == 0, "expiration", "must be a positive number of seconds")
}

// validate runs CheckFields: ERR0024 naming every invalid field.
func (in OperationTemplateInput) validate(update bool) error {
	var f fieldErrors
	in.CheckFields(&f, update)
	return f.err()
}

func (in OperationTemplateInput) apply(t *domain.OperationTemplate) {
	t.OperationType, t.DataTemplate = in.OperationType, in.DataTemplate
	t.SignatureTypes = make([]string, len(in.SignatureTypes))
	for i, st := range in.SignatureTypes {
		t.SignatureTypes[i] = string(st)
	}
	t.MaxFailureCount, t.Expiration, t.RiskFlags = in.MaxFailureCount, in.Expiration, in.RiskFlags
	t.ProximityCheckEnabled, t.NumberMatchingEnabled = in.ProximityCheckEnabled, in.NumberMatchingEnabled
}

// CreateOperationTemplate stores a new template; a taken name is
// CodeTemplateAlreadyExists.
func (s *Service) CreateOperationTemplate(ctx context.Context, in OperationTemplateInput) (domain.OperationTemplate, error) {
	if err := in.validate(false); err != nil {
		return domain.OperationTemplate{}, err
	}
	t := domain.OperationTemplate{Name: in.Name}
	in.apply(&t)
	err := s.store.InTx(ctx, func(tx store.Tx) error {
		return tx.CreateOperationTemplate(ctx, &t)
	})
	if errors.Is(err, store.ErrAlreadyExists) {
		return t, Errorf(CodeTemplateAlreadyExists, "Operation template with given name already exists.")
	}
	if err != nil {
		return t, fmt.Errorf("create operation template: %w", err)
	}
	return t, nil
}

// UpdateOperationTemplate changes every field of a template but its name.
func (s *Service) UpdateOperationTemplate(ctx context.Context, id int64, in OperationTemplateInput) (domain.OperationTemplate, error) {
	if err := in.validate(true); err != nil {
		return domain.OperationTemplate{}, err
	}
	var t domain.OperationTemplate
	err := s.store.InTx(ctx, func(tx store.Tx) error {
		var err error
		if t, err = templateByID(ctx, tx, id); err != nil {
			return err
		}
		in.apply(&t)
		return tx.UpdateOperationTemplate(ctx, &t)
	})
	if err != nil {
		return t, wrapStoreErr("update operation template", err)
	}
	return t, nil
}

// GetOperationTemplate returns one template; unknown is CodeTemplateNotFound.
func (s *Service) GetOperationTemplate(ctx context.Context, id int64) (domain.OperationTemplate, error) {
	t, err := templateByID(ctx, s.store, id)
	return t, wrapStoreErr("get operation template", err)
}

// ListOperationTemplates returns every template ordered by id.
func (s *Service) ListOperationTemplates(ctx context.Context) ([]domain.OperationTemplate, error) {
	list, err := s.store.ListOperationTemplates(ctx)
	if err != nil {
		return nil, fmt.Errorf("list operation templates: %w", err)
	}
	return list, nil
}

// RemoveOperationTemplate deletes a template; existing operations keep
// their data.
func (s *Service) RemoveOperationTemplate(ctx context.Context, id int64) error {
	err := s.store.InTx(ctx, func(tx store.Tx) error {
		err := tx.DeleteOperationTemplate(ctx, id)
		if errors.Is(err, store.ErrNotFound) {
			return templateNotFound()
		}
		return err
	})
	return wrapStoreErr("remove operation template", err)
}

func templateNotFound() error {
	return Errorf(CodeTemplateNotFound, "Operation template was not found.")
}

func templateByID(ctx context.Context, r store.Reader, id int64) (domain.OperationTemplate, error) {
	t, err := r.GetOperationTemplate(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return t, templateNotFound()
	}
	if err != nil {
		return t, fmt.Errorf("load operation template: %w", err)
	}
	return t, nil
}

// wrapStoreErr passes *Error values through and wraps anything else.
func wrapStoreErr(op string, err error) error {
	if err == nil {
		return nil
	}
	var se *Error
	if errors.As(err, &se) {
		return err
	}
	return fmt.Errorf("%s: %w", op, err)
}
