package service

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"

	"github.com/mauth/mauth/internal/domain"
	"github.com/mauth/mauth/internal/store"
)

// Limits of operation fields.
const (
	// MaxOperationStatusReason is the longest cancel status reason.
	MaxOperationStatusReason = 32
	// operationSeedSize is the size of a proximity-check TOTP seed.
	operationSeedSize = 16
	// operationIDAttempts bounds retries of a colliding operation id.
	operationIDAttempts = 10
)

// OperationDetail is an operation as the API shows it.
type OperationDetail struct {
	domain.Operation
	// Applications are the names of the operation's applications.
	Applications []string
	// ProximityOTP is the current proximity-check TOTP; empty without a
	// proximity check or once the operation is final.
	ProximityOTP string
}

// CreateOperationInput asks for a new operation.
type CreateOperationInput struct {
	// UserID is the user; empty for an operation claimed later (filled from
	// ActivationID when that is given).
	UserID string
	// Applications are the names of the applications that may approve it.
	Applications []string
	// TemplateName selects the template.
	TemplateName string
	// ActivationFlag limits the operation to activations with the flag.
	ActivationFlag string
	// Expires overrides the template's expiration when not zero.
	Expires time.Time
	// ExternalID is the bank's identifier.
	ExternalID string
	// Parameters fill the template's placeholders.
	Parameters map[string]string
	// AdditionalData is stored with the operation.
	AdditionalData map[string]any
	// ProximityCheckEnabled overrides the template's setting when set.
	ProximityCheckEnabled *bool
	// ActivationID binds the operation to one activation.
	ActivationID string
}

// CreateOperation creates a PENDING operation from a template.
func (s *Service) CreateOperation(ctx context.Context, in CreateOperationInput) (OperationDetail, error) {
	if len(in.Applications) == 0 || in.TemplateName == "" {
		return OperationDetail{}, Errorf(CodeInvalidRequest, "applications, templateName - must not be empty")
	}
	var (
		op   domain.Operation
		seed []byte
		apps []domain.Application
	)
	err := s.store.InTx(ctx, func(tx store.Tx) error {
		t, err := tx.GetOperationTemplateByName(ctx, in.TemplateName)
		if errors.Is(err, store.ErrNotFound) {
			return templateNotFound()
		}
		if err != nil {
			return fmt.Errorf("load operation template: %w", err)
		}
		if apps, err = s.applicationsByName(ctx, tx, in.Applications); err != nil {
			return err
		}
		userID := in.UserID
		if in.ActivationID != "" {
			a, err := tx.GetActivation(ctx, in.ActivationID)
			if errors.Is(err, store.ErrNotFound) {
				return Errorf(CodeInvalidRequest, "activationId - activation does not exist")
			}
			if err != nil {
				return fmt.Errorf("load activation: %w", err)
			}
			if userID == "" {
				userID = a.UserID
			} else if a.UserID != userID {
				return Errorf(CodeInvalidRequest, "activationId - activation does not belong to the user")
			}
		}
		data, err := fillTemplate(t.DataTemplate, in.Parameters)
		if err != nil {
			return err
		}
		now := s.Now()
		expires := now.Add(t.Expiration)
		if !in.Expires.IsZero() {
			expires = in.Expires.UTC().Truncate(time.Millisecond)
		}
		op = domain.Operation{
			UserID: userID, ExternalID: in.ExternalID, ActivationFlag: in.ActivationFlag, ActivationID: in.ActivationID,
			OperationType: t.OperationType, TemplateName: t.Name, Data: data,
			Parameters: in.Parameters, AdditionalData: in.AdditionalData, Status: domain.OperationPending,
			SignatureTypes: slices.Clone(t.SignatureTypes), MaxFailureCount: t.MaxFailureCount,
			Created: now, Expires: expires, RiskFlags: t.RiskFlags,
		}
		if len(op.Parameters) == 0 {
			op.Parameters = nil
		}
		if len(op.AdditionalData) == 0 {
			op.AdditionalData = nil
		}
		for _, a := range apps {
			op.ApplicationIDs = append(op.ApplicationIDs, a.ID)
		}
		slices.Sort(op.ApplicationIDs)
		op.ApplicationIDs = slices.Compact(op.ApplicationIDs)
		if t.NumberMatchingEnabled {
			if op.NumberMatching, err = randomTwoDigits(); err != nil {
				return err
			}
		}
		proximity := t.ProximityCheckEnabled
		if in.ProximityCheckEnabled != nil {
			proximity = *in.ProximityCheckEnabled
		}
		for range operationIDAttempts {
			op.ID = uuid.NewString()
			seed = nil
			op.TotpSeedEncrypted = nil
			if proximity {
				seed = make([]byte, operationSeedSize)
				if _, err := rand.Read(seed); err != nil {
					return fmt.Errorf("proximity seed: %w", err)
				}
				op.TotpSeedEncrypted = s.box.Seal(seed, operationSeedContext(op.ID))
			}
			err = tx.CreateOperation(ctx, &op)
			if !errors.Is(err, store.ErrAlreadyExists) {
				break
			}
		}
		if errors.Is(err, store.ErrAlreadyExists) {
			return Errorf(CodeOperationIDGeneration, "Unable to generate operation ID.")
		}
		if err != nil {
			return fmt.Errorf("create operation: %w", err)
		}
		return s.onOperationChanged(ctx, tx, op)
	})
	if err != nil {
		return OperationDetail{}, wrapStoreErr("create operation", err)
	}
	s.notifyOperationCreated(ctx, op)
	return s.operationDetail(op, apps, seed), nil
}

// operationSeedContext binds a sealed TOTP seed to its operation.
func operationSeedContext(id string) string { return "pa_operation.totp_seed:" + id }

// randomTwoDigits returns a uniformly random number 10–99.
func randomTwoDigits() (string, error) {
	n, err := rand.Int(rand.Reader, big.NewInt(90))
	if err != nil {
		return "", fmt.Errorf("number matching: %w", err)
	}
	return fmt.Sprintf("%d", n.Int64()+10), nil
}

// fillTemplate replaces every ${name} with the JSON-escaped parameter;
// a placeholder without a parameter is CodeInvalidRequest.
func fillTemplate(tmpl string, params map[string]string) (string, error) {
	var b strings.Builder
	rest := tmpl
	for {
		i := strings.Index(rest, "${")
		if i < 0 {
			b.WriteString(rest)
			return b.String(), nil
		}
		j := strings.IndexByte(rest[i+2:], '}')
		if j < 0 {
			b.WriteString(rest)
			return b.String(), nil
		}
		name := rest[i+2 : i+2+j]
		v, ok := params[name]
		if !ok {
			return "", Errorf(CodeInvalidRequest, "parameters - missing value for placeholder %q", name)
		}
		b.WriteString(rest[:i])
		b.WriteString(jsonEscape(v))
		rest = rest[i+3+j:]
	}
}

// jsonEscape escapes s as inside a JSON string literal (without quotes
// and without HTML escaping).
func jsonEscape(s string) string {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(s) // a string always encodes
	out := strings.TrimSuffix(buf.String(), "\n")
	return out[1 : len(out)-1]
}

// applicationsByName resolves application names; any unknown name is
// CodeInvalidApplication.
func (s *Service) applicationsByName(ctx context.Context, r store.Reader, names []string) ([]domain.Application, error) {
	apps := make([]domain.Application, 0, len(names))
	for _, n := range names {
		a, err := s.applicationByName(ctx, r, n)
		if err != nil {
			return nil, err
		}
		apps = append(apps, a)
	}
	return apps, nil
}

// applicationNames returns the names of the operation's applications.
func applicationNames(ctx context.Context, r store.Reader, ids []int64) ([]string, []domain.Application, error) {
	names := make([]string, 0, len(ids))
	apps := make([]domain.Application, 0, len(ids))
	for _, id := range ids {
		a, err := r.GetApplication(ctx, id)
		if err != nil {
			return nil, nil, fmt.Errorf("load application: %w", err)
		}
		names, apps = append(names, a.Name), append(apps, a)
	}
	return names, apps, nil
}

// operationDetail builds the API view; seed is the opened TOTP seed (nil
// for none).
func (s *Service) operationDetail(op domain.Operation, apps []domain.Application, seed []byte) OperationDetail {
	d := OperationDetail{Operation: op}
	byID := map[int64]string{}
	for _, a := range apps {
		byID[a.ID] = a.Name
	}
	for _, id := range op.ApplicationIDs {
		d.Applications = append(d.Applications, byID[id])
	}
	if seed != nil && op.Status == domain.OperationPending {
		otp, err := totpSHA256(seed, s.Now(), s.operationSettings().ProximityStep, ProximityOTPLength)
		if err == nil {
			d.ProximityOTP = otp
		}
	}
	return d
}

// openSeed decrypts the operation's TOTP seed (nil without one).
func (s *Service) openSeed(op domain.Operation) ([]byte, error) {
	if len(op.TotpSeedEncrypted) == 0 {
		return nil, nil
	}
	seed, err := s.box.Open(op.TotpSeedEncrypted, operationSeedContext(op.ID))
	if err != nil {
		return nil, Wrap(CodeGenericCryptography, "Stored proximity seed cannot be decrypted.", err)
	}
	return seed, nil
}

// detailOf loads the names and seed and builds the API view.
func (s *Service) detailOf(ctx context.Context, r store.Reader, op domain.Operation) (OperationDetail, error) {
	_, apps, err := applicationNames(ctx, r, op.ApplicationIDs)
	if err != nil {
		return OperationDetail{}, err
	}
	seed, err := s.openSeed(op)
	if err != nil {
		return OperationDetail{}, err
	}
	return s.operationDetail(op, apps, seed), nil
}

func operationNotFound() error {
	return Errorf(CodeOperationNotFound, "Operation was not found.")
}

// lockOperation loads and locks an operation; unknown ids get notFound.
func lockOperation(ctx context.Context, tx store.Tx, id string, notFound func() error) (domain.Operation, error) {
	op, err := tx.GetOperationForUpdate(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return op, notFound()
	}
	if err != nil {
		return op, fmt.Errorf("lock operation: %w", err)
	}
	return op, nil
}

// expireIfDue moves a locked PENDING operation past its expiry to EXPIRED
// and reports whether it did.
func (s *Service) expireIfDue(ctx context.Context, tx store.Tx, op *domain.Operation, now time.Time) (bool, error) {
	if op.Status != domain.OperationPending || !op.Expires.Before(now) {
		return false, nil
	}
	op.Status, op.Finalized = domain.OperationExpired, now
	if err := tx.UpdateOperation(ctx, op); err != nil {
		return false, fmt.Errorf("expire operation: %w", err)
	}
	return true, s.onOperationChanged(ctx, tx, *op)
}

// inTxOutcome runs fn in a transaction. fn returns an outcome error that
// must not roll back what it wrote (e.g. "not PENDING" after a lazy
// expiry) separately from a failure that must; the outcome is returned
// after the commit.
func (s *Service) inTxOutcome(ctx context.Context, fn func(tx store.Tx) (outcome, err error)) error {
	var outcome error
	err := s.store.InTx(ctx, func(tx store.Tx) error {
		var err error
		outcome, err = fn(tx)
		return err
	})
	if err == nil {
		err = outcome
	}
	return err
}

// expirePending expires a locked operation when due and returns the
// current time; an operation that is (then) not PENDING gets notPending()
// as the outcome, so the lazy expiry still commits.
func (s *Service) expirePending(ctx context.Context, tx store.Tx, op *domain.Operation, notPending func() error) (now time.Time, outcome, err error) {
	now = s.Now()
	if _, err := s.expireIfDue(ctx, tx, op, now); err != nil {
		return now, nil, err
	}
	if op.Status != domain.OperationPending {
		return now, notPending(), nil
	}
	return now, nil, nil
}

// saveOperation writes a changed operation (a failure is wrapped with
// what) and records the transition.
func (s *Service) saveOperation(ctx context.Context, tx store.Tx, op *domain.Operation, what string) error {
	if err := tx.UpdateOperation(ctx, op); err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	return s.onOperationChanged(ctx, tx, *op)
}

func operationInvalidState() error {
	return Errorf(CodeOperationInvalidState, "Operation is in invalid state.")
}

// GetOperation returns an operation, expiring it when due. With a userID
// an operation without a user is claimed for that user, and an operation
// of another user is CodeOperationNotFound.
func (s *Service) GetOperation(ctx context.Context, id, userID string) (OperationDetail, error) {
	if id == "" {
		return OperationDetail{}, Errorf(CodeInvalidRequest, "operationId - must not be blank")
	}
	op, err := s.store.GetOperation(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return OperationDetail{}, operationNotFound()
	}
	if err != nil {
		return OperationDetail{}, fmt.Errorf("load operation: %w", err)
	}
	if userID != "" && op.UserID != "" && op.UserID != userID {
		return OperationDetail{}, operationNotFound()
	}
	now := s.Now()
	due := op.Status == domain.OperationPending && op.Expires.Before(now)
	if !due && (userID == "" || op.UserID != "") {
		return s.detailOf(ctx, s.store, op)
	}
	return s.claimOrExpire(ctx, id, userID)
}

// ClaimOperation assigns an operation without a user to userID and
// returns it; an operation of another user is CodeOperationNotFound.
func (s *Service) ClaimOperation(ctx context.Context, id, userID string) (OperationDetail, error) {
	if id == "" || userID == "" {
		return OperationDetail{}, Errorf(CodeInvalidRequest, "operationId, userId - must not be blank")
	}
	return s.claimOrExpire(ctx, id, userID)
}

// claimOrExpire locks the operation, claims it for userID (when given and
// the operation has no user) and expires it when due.
func (s *Service) claimOrExpire(ctx context.Context, id, userID string) (OperationDetail, error) {
	var d OperationDetail
	err := s.store.InTx(ctx, func(tx store.Tx) error {
		op, err := lockOperation(ctx, tx, id, operationNotFound)
		if err != nil {
			return err
		}
		if userID != "" {
			switch op.UserID {
			case userID:
			case "":
				op.UserID = userID
				if err := tx.UpdateOperation(ctx, &op); err != nil {
					return fmt.Errorf("claim operation: %w", err)
				}
			default:
				return operationNotFound()
			}
		}
		if _, err := s.expireIfDue(ctx, tx, &op, s.Now()); err != nil {
			return err
		}
		d, err = s.detailOf(ctx, tx, op)
		return err
	})
	return d, wrapStoreErr("claim operation", err)
}

// OperationListInput selects operations of a user (or by external id).
type OperationListInput struct {
	// UserID is the user (required unless ExternalID is set).
	UserID string
	// ExternalID lists by external id instead of by user.
	ExternalID string
	// Applications are application names; operations of at least one of
	// them are listed (required).
	Applications []string
	// ActivationID, for pending lists, hides operations bound to another
	// activation or needing a flag the activation lacks.
	ActivationID string
	// PendingOnly lists PENDING (not yet expired) operations only.
	PendingOnly bool
	// PageNumber (from 0) and PageSize (0 = default) page the result.
	PageNumber, PageSize int
}

// ListOperations lists operations, newest first. Pending operations past
// their expiry are expired on the way (and left out of pending lists).
func (s *Service) ListOperations(ctx context.Context, in OperationListInput) ([]OperationDetail, error) {
	if (in.UserID == "" && in.ExternalID == "") || len(in.Applications) == 0 {
		return nil, Errorf(CodeInvalidRequest, "userId, applications - must not be empty")
	}
	if in.PageNumber < 0 || in.PageSize < 0 {
		return nil, Errorf(CodeInvalidRequest, "pageNumber, pageSize - must not be negative")
	}
	apps, err := s.applicationsByName(ctx, s.store, in.Applications)
	if err != nil {
		return nil, err
	}
	size := in.PageSize
	if size == 0 {
		size = s.operationSettings().DefaultPageSize
	}
	f := store.OperationListFilter{UserID: in.UserID, ExternalID: in.ExternalID, Limit: size, Offset: in.PageNumber * size}
	for _, a := range apps {
		f.ApplicationIDs = append(f.ApplicationIDs, a.ID)
	}
	var flags []string
	if in.PendingOnly {
		f.Statuses = []domain.OperationStatus{domain.OperationPending}
		if in.ActivationID != "" {
			act, err := s.store.GetActivation(ctx, in.ActivationID)
			if err != nil && !errors.Is(err, store.ErrNotFound) {
				return nil, fmt.Errorf("load activation: %w", err)
			}
			flags = act.Flags
		}
	}
	ops, err := s.store.ListOperations(ctx, f)
	if err != nil {
		return nil, fmt.Errorf("list operations: %w", err)
	}
	now := s.Now()
	out := make([]OperationDetail, 0, len(ops))
	for _, op := range ops {
		if op.Status == domain.OperationPending && op.Expires.Before(now) {
			d, err := s.claimOrExpire(ctx, op.ID, "")
			if err != nil {
				return nil, err
			}
			if in.PendingOnly && d.Status != domain.OperationPending {
				continue
			}
			out = append(out, d)
			continue
		}
		if in.PendingOnly && in.ActivationID != "" {
			if op.ActivationID != "" && op.ActivationID != in.ActivationID {
				continue
			}
			if op.ActivationFlag != "" && !slices.Contains(flags, op.ActivationFlag) {
				continue
			}
		}
		d, err := s.detailOf(ctx, s.store, op)
		if err != nil {
			return nil, err
		}
		out = append(out, d)
	}
	return out, nil
}

// CancelOperation cancels a PENDING operation (by the bank's backend).
func (s *Service) CancelOperation(ctx context.Context, id string, additionalData map[string]any, statusReason string) (OperationDetail, error) {
	if id == "" {
		return OperationDetail{}, Errorf(CodeInvalidRequest, "operationId - must not be blank")
	}
	if utf8.RuneCountInString(statusReason) > MaxOperationStatusReason {
		return OperationDetail{}, Errorf(CodeInvalidRequest, "statusReason - size must be between 0 and %d", MaxOperationStatusReason)
	}
	var d OperationDetail
	err := s.inTxOutcome(ctx, func(tx store.Tx) (error, error) {
		op, err := lockOperation(ctx, tx, id, operationNotFound)
		if err != nil {
			return nil, err
		}
		now, outcome, err := s.expirePending(ctx, tx, &op, operationInvalidState)
		if outcome != nil || err != nil {
			return outcome, err
		}
		op.Status, op.StatusReason, op.Finalized = domain.OperationCanceled, statusReason, now
		op.AdditionalData = mergeData(op.AdditionalData, additionalData)
		if err := s.saveOperation(ctx, tx, &op, "cancel operation"); err != nil {
			return nil, err
		}
		d, err = s.detailOf(ctx, tx, op)
		return nil, err
	})
	return d, wrapStoreErr("cancel operation", err)
}

// mergeData returns base with extra's keys added or replaced.
func mergeData(base, extra map[string]any) map[string]any {
	if len(extra) == 0 {
		return base
	}
	out := make(map[string]any, len(base)+len(extra))
	for k, v := range base {
		out[k] = v
	}
	for k, v := range extra {
		out[k] = v
	}
	return out
}

// ExpireOperations moves up to limit PENDING operations past their expiry
// to EXPIRED (limit ≤ 0: the configured batch) and returns how many. Rows
// other nodes are processing are skipped, so several nodes may run it at
// once without handling an operation twice.
func (s *Service) ExpireOperations(ctx context.Context, limit int) (int, error) {
	if limit <= 0 {
		limit = s.operationSettings().ExpireBatch
	}
	n := 0
	err := s.store.InTx(ctx, func(tx store.Tx) error {
		n = 0
		now := s.Now()
		ops, err := tx.ListExpiredOperationsForUpdate(ctx, now, limit)
		if err != nil {
			return fmt.Errorf("list expired operations: %w", err)
		}
		for i := range ops {
			done, err := s.expireIfDue(ctx, tx, &ops[i], now)
			if err != nil {
				return err
			}
			if done {
				n++
			}
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("expire operations: %w", err)
	}
	return n, nil
}
