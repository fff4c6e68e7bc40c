package service

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/mauth/mauth/internal/domain"
	"github.com/mauth/mauth/internal/store"
	"github.com/mauth/mauth/protocol"
)

// CreateRecoveryCodeInput orders a postcard recovery code for a user.
type CreateRecoveryCodeInput struct {
	ApplicationName string
	UserID          string
	// PUKCount is the number of PUKs printed on the postcard (1–100).
	PUKCount int64
}

// CreatedRecoveryPUK describes one PUK of a new postcard code: what the
// printing center needs to derive it, never the PUK itself.
type CreatedRecoveryPUK struct {
	Index           int64
	DerivationIndex uint64
	Status          domain.RecoveryPukStatus
}

// CreatedRecoveryCode is a new postcard recovery code as reported to the
// ordering system: the nonce and derivation indexes let the printing
// center, which shares the ECDH secret, recompute the code and PUKs.
type CreatedRecoveryCode struct {
	ID         int64
	Nonce      []byte
	UserID     string
	CodeMasked string
	Status     domain.RecoveryCodeStatus
	PUKs       []CreatedRecoveryPUK
}

// CreateRecoveryCode creates a postcard recovery code (CREATED, not linked
// to an activation) whose secret is ECDH(server postcard private key,
// printing center public key), unreduced. Recovery and postcards must be
// enabled and both keys configured. Unless the configuration allows
// multiple codes, a user holding a CREATED or ACTIVE postcard code gets
// CodeRecoveryCodeAlreadyExists.
func (s *Service) CreateRecoveryCode(ctx context.Context, in CreateRecoveryCodeInput) (*CreatedRecoveryCode, error) {
	if strings.TrimSpace(in.UserID) == "" {
		return nil, Errorf(CodeInvalidRequest, "userId - must not be blank")
	}
	if in.PUKCount < 1 || in.PUKCount > maxRecoveryPUKs {
		return nil, Errorf(CodeInvalidRequest, "pukCount - must be between 1 and %d", maxRecoveryPUKs)
	}
	var out *CreatedRecoveryCode
	err := s.store.InTx(ctx, func(tx store.Tx) error {
		app, err := recoveryApplication(ctx, tx, in.ApplicationName)
		if err != nil {
			return err
		}
		// Serialise postcard orders of one application so the
		// one-code-per-user rule holds under concurrency.
		if _, err := tx.GetApplicationForUpdate(ctx, app.ID); err != nil {
			return fmt.Errorf("lock application: %w", err)
		}
		cfg, _, err := recoveryConfigOf(ctx, tx, app.ID)
		if err != nil {
			return err
		}
		if !cfg.ActivationRecoveryEnabled {
			return Errorf(CodeInvalidRequest, "Activation recovery is disabled.")
		}
		if !cfg.RecoveryPostcardEnabled {
			return Errorf(CodeInvalidRequest, "Activation recovery using recovery postcard is disabled.")
		}
		if len(cfg.PostcardPrivateKeyEncrypted) == 0 || len(cfg.RemotePostcardPublicKey) == 0 {
			return Errorf(CodeInvalidRecoveryConfig, "Recovery postcard keys are not configured.")
		}
		if !cfg.AllowMultipleRecoveryCodes {
			codes, err := tx.ListRecoveryCodes(ctx, store.RecoveryCodeFilter{
				ApplicationID: app.ID,
				UserID:        in.UserID,
				Statuses:      []domain.RecoveryCodeStatus{domain.RecoveryCodeCreated, domain.RecoveryCodeActive},
			})
			if err != nil {
				return fmt.Errorf("list recovery codes: %w", err)
			}
			for _, c := range codes {
				if c.ActivationID == "" {
					return Errorf(CodeRecoveryCodeAlreadyExists, "The user already has a recovery postcard code.")
				}
			}
		}
		priv, err := s.openPrivateKey(cfg.PostcardPrivateKeyEncrypted, recoveryPostcardKeyContext(app.ID))
		if err != nil {
			return err
		}
		remote, err := protocol.ParsePublicKey(cfg.RemotePostcardPublicKey)
		if err != nil {
			return Wrap(CodeInvalidKeyFormat, "Stored remote postcard public key is invalid.", err)
		}
		secret, err := priv.SharedSecret(remote)
		if err != nil {
			return Wrap(CodeGenericCryptography, "Key agreement failed.", err)
		}
		var seed *protocol.RecoverySeed
		var nonce []byte
		for range recoveryCodeAttempts {
			n := protocol.RandomBytes(protocol.RecoveryNonceSize)
			sd, err := protocol.DeriveRecoverySeed(secret, n)
			if err != nil {
				return Wrap(CodeGenericCryptography, "Recovery code derivation failed.", err)
			}
			taken, err := recoveryCodeTaken(ctx, tx, app.ID, sd.Code)
			if err != nil {
				return err
			}
			if !taken {
				seed, nonce = sd, n
				break
			}
		}
		if seed == nil {
			return Errorf(CodeRecoveryCodeGeneration, "Too many failed attempts to generate recovery code.")
		}
		puks, err := postcardPUKs(seed.PUKBaseKey, int(in.PUKCount))
		if err != nil {
			return err
		}
		rc := domain.RecoveryCode{
			Code:              seed.Code,
			ApplicationID:     app.ID,
			UserID:            in.UserID,
			Status:            domain.RecoveryCodeCreated,
			MaxFailedAttempts: s.cfg.RecoveryMaxFailedAttempts,
			Created:           s.Now(),
		}
		if err := s.storeRecoveryCode(ctx, tx, &rc, puks); err != nil {
			return err
		}
		out = &CreatedRecoveryCode{ID: rc.ID, Nonce: nonce, UserID: rc.UserID, CodeMasked: maskRecoveryCode(rc.Code), Status: rc.Status}
		for _, p := range puks {
			out.PUKs = append(out.PUKs, CreatedRecoveryPUK{Index: int64(p.Index), DerivationIndex: p.DerivationIndex, Status: domain.RecoveryPukValid})
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// postcardPUKs derives count PUKs with distinct random derivation indexes
// (non-negative as a signed 64-bit number, like the reference's).
func postcardPUKs(baseKey []byte, count int) ([]protocol.RecoveryPUK, error) {
	used := make(map[uint64]bool, count)
	puks := make([]protocol.RecoveryPUK, 0, count)
	for len(puks) < count {
		idx := binary.BigEndian.Uint64(protocol.RandomBytes(8)) & 0x7FFFFFFFFFFFFFFF
		if used[idx] {
			continue
		}
		used[idx] = true
		puk, err := protocol.DerivePUK(baseKey, idx)
		if err != nil {
			return nil, Wrap(CodeGenericCryptography, "PUK derivation failed.", err)
		}
		puks = append(puks, protocol.RecoveryPUK{Index: len(puks) + 1, DerivationIndex: idx, PUK: puk})
	}
	return puks, nil
}

// ConfirmRecoveryCodeInput confirms a postcard recovery code from an
// activated device: ECIES in activation scope, SH1 /pa/recovery/confirm,
// plaintext {"recoveryCode":"…"}.
type ConfirmRecoveryCodeInput struct {
	ActivationID   string
	ApplicationKey string
	Request        EciesRequest
}

// ConfirmRecoveryCodeResult is the confirmation answer; Response decrypts
// to {"alreadyConfirmed":bool}.
type ConfirmRecoveryCodeResult struct {
	ActivationID string
	UserID       string
	Response     *EciesResponse
}

type confirmRecoveryRequest struct {
	RecoveryCode string `json:"recoveryCode"`
}

type confirmRecoveryResponse struct {
	AlreadyConfirmed bool `json:"alreadyConfirmed"`
}

// ConfirmRecoveryCode turns a CREATED recovery code of the activation's
// user ACTIVE (an ACTIVE one is reported as already confirmed). As in the
// reference, the code is not linked to the confirming activation: a
// postcard code belongs to the user.
func (s *Service) ConfirmRecoveryCode(ctx context.Context, in ConfirmRecoveryCodeInput) (*ConfirmRecoveryCodeResult, error) {
	if strings.TrimSpace(in.ActivationID) == "" || strings.TrimSpace(in.ApplicationKey) == "" {
		return nil, Errorf(CodeInvalidRequest, "activationId and applicationKey are required.")
	}
	var env *protocol.EciesEnvelope
	var out ConfirmRecoveryCodeResult
	var already bool
	err := s.store.InTx(ctx, func(tx store.Tx) error {
		a, version, app, err := s.activeActivationWithKey(ctx, tx, in.ActivationID, in.ApplicationKey)
		if err != nil {
			return err
		}
		enabled, err := recoveryEnabled(ctx, tx, app)
		if err != nil {
			return err
		}
		if !enabled {
			return Errorf(CodeInvalidRequest, "Activation recovery is disabled.")
		}
		var plain []byte
		plain, env, err = s.decryptRequest(ctx, tx, eciesScope{app: app, version: version, activation: &a, sh1: protocol.SharedInfo1RecoveryConfirm}, in.Request)
		if err != nil {
			return err
		}
		var req confirmRecoveryRequest
		if err := json.Unmarshal(plain, &req); err != nil {
			return Wrap(CodeDecryptionFailed, "Decrypted request is not valid JSON.", err)
		}
		if req.RecoveryCode == "" || protocol.ValidateActivationCode(req.RecoveryCode) != nil {
			return Errorf(CodeInvalidRequest, "Recovery code is missing or invalid.")
		}
		found, err := tx.ListRecoveryCodes(ctx, store.RecoveryCodeFilter{ApplicationID: app.ID, Code: req.RecoveryCode})
		if err != nil {
			return fmt.Errorf("find recovery code: %w", err)
		}
		if len(found) == 0 {
			return Errorf(CodeRecoveryCodeNotFound, "Recovery code was not found.")
		}
		rc, err := tx.GetRecoveryCodeForUpdate(ctx, found[0].ID)
		if errors.Is(err, store.ErrNotFound) {
			return Errorf(CodeRecoveryCodeNotFound, "Recovery code was not found.")
		}
		if err != nil {
			return fmt.Errorf("lock recovery code: %w", err)
		}
		if rc.UserID != a.UserID {
			return Errorf(CodeInvalidRequest, "Recovery code belongs to another user.")
		}
		switch rc.Status {
		case domain.RecoveryCodeActive:
			already = true
		case domain.RecoveryCodeCreated:
			already = false
			rc.Status = domain.RecoveryCodeActive
			rc.LastChange = s.Now()
			if err := tx.UpdateRecoveryCode(ctx, &rc); err != nil {
				return fmt.Errorf("confirm recovery code: %w", err)
			}
		default:
			return Errorf(CodeInvalidRequest, "Recovery code is not in CREATED or ACTIVE state.")
		}
		out = ConfirmRecoveryCodeResult{ActivationID: a.ActivationID, UserID: rc.UserID}
		return nil
	})
	if err != nil {
		return nil, err
	}
	plain, err := json.Marshal(confirmRecoveryResponse{AlreadyConfirmed: already})
	if err != nil {
		return nil, fmt.Errorf("encode confirm response: %w", err)
	}
	if out.Response, err = s.encryptResponse(env, plain); err != nil {
		return nil, err
	}
	return &out, nil
}

// RecoveryCodeLookup selects recovery codes. At least a user or an
// activation is required (an application alone is refused, as in the
// reference); every given field must match.
type RecoveryCodeLookup struct {
	UserID          string
	ActivationID    string
	ApplicationName string
	// CodeStatus keeps only codes in this state.
	CodeStatus *domain.RecoveryCodeStatus
	// PUKStatus keeps only PUKs in this state, and only codes with such PUKs.
	PUKStatus *domain.RecoveryPukStatus
}

// RecoveryPUKInfo is one PUK of a recovery code (never the PUK itself).
type RecoveryPUKInfo struct {
	Index  int64
	Status domain.RecoveryPukStatus
}

// RecoveryCodeInfo is a recovery code as listed by LookupRecoveryCodes; the
// code is masked.
type RecoveryCodeInfo struct {
	ID              int64
	CodeMasked      string
	UserID          string
	ApplicationName string
	ActivationID    string
	Status          domain.RecoveryCodeStatus
	PUKs            []RecoveryPUKInfo
}

// LookupRecoveryCodes lists recovery codes matching f, ordered by id.
func (s *Service) LookupRecoveryCodes(ctx context.Context, f RecoveryCodeLookup) ([]RecoveryCodeInfo, error) {
	if f.UserID == "" && f.ActivationID == "" {
		return nil, Errorf(CodeInvalidRequest, "userId or activationId is required.")
	}
	var out []RecoveryCodeInfo
	err := s.store.View(ctx, func(r store.Reader) error {
		out = nil
		filter := store.RecoveryCodeFilter{UserID: f.UserID, ActivationID: f.ActivationID}
		names := map[int64]string{}
		if f.ApplicationName != "" {
			app, err := recoveryApplication(ctx, r, f.ApplicationName)
			if err != nil {
				return err
			}
			filter.ApplicationID = app.ID
			names[app.ID] = app.Name
		}
		if f.CodeStatus != nil {
			filter.Statuses = []domain.RecoveryCodeStatus{*f.CodeStatus}
		}
		codes, err := r.ListRecoveryCodes(ctx, filter)
		if err != nil {
			return fmt.Errorf("list recovery codes: %w", err)
		}
		for _, c := range codes {
			puks, err := r.ListRecoveryPUKs(ctx, c.ID)
			if err != nil {
				return fmt.Errorf("list recovery PUKs: %w", err)
			}
			info := RecoveryCodeInfo{ID: c.ID, CodeMasked: maskRecoveryCode(c.Code), UserID: c.UserID, ActivationID: c.ActivationID, Status: c.Status, PUKs: []RecoveryPUKInfo{}}
			for _, p := range puks {
				if f.PUKStatus == nil || p.Status == *f.PUKStatus {
					info.PUKs = append(info.PUKs, RecoveryPUKInfo{Index: p.Index, Status: p.Status})
				}
			}
			if f.PUKStatus != nil && len(info.PUKs) == 0 {
				continue
			}
			name, ok := names[c.ApplicationID]
			if !ok {
				app, err := r.GetApplication(ctx, c.ApplicationID)
				if err != nil {
					return fmt.Errorf("load application: %w", err)
				}
				name = app.Name
				names[c.ApplicationID] = name
			}
			info.ApplicationName = name
			out = append(out, info)
		}
		return nil
	})
	return out, err
}

// RevokeRecoveryCodes revokes the recovery codes with the ids (their VALID
// PUKs become INVALID). Unknown ids are ignored, as in the reference; the
// result reports whether at least one code was revoked. Negative ids are
// CodeInvalidRequest.
func (s *Service) RevokeRecoveryCodes(ctx context.Context, ids []int64) (bool, error) {
	if len(ids) == 0 {
		return false, Errorf(CodeInvalidRequest, "recoveryCodeIds - must not be empty")
	}
	for _, id := range ids {
		if id < 0 {
			return false, Errorf(CodeInvalidRequest, "recoveryCodeIds - must not be negative")
		}
	}
	var revoked int
	err := s.store.InTx(ctx, func(tx store.Tx) error {
		revoked = 0
		now := s.Now()
		for _, id := range ids {
			rc, err := tx.GetRecoveryCodeForUpdate(ctx, id)
			if errors.Is(err, store.ErrNotFound) {
				continue
			}
			if err != nil {
				return fmt.Errorf("lock recovery code: %w", err)
			}
			if rc.Status == domain.RecoveryCodeRevoked {
				continue
			}
			rc.Status = domain.RecoveryCodeRevoked
			rc.LastChange = now
			if err := tx.UpdateRecoveryCode(ctx, &rc); err != nil {
				return fmt.Errorf("revoke recovery code: %w", err)
			}
			puks, err := tx.ListRecoveryPUKs(ctx, rc.ID)
			if err != nil {
				return fmt.Errorf("list recovery PUKs: %w", err)
			}
			for _, p := range puks {
				if p.Status != domain.RecoveryPukValid {
					continue
				}
				p.Status = domain.RecoveryPukInvalid
				p.LastChange = now
				if err := tx.UpdateRecoveryPUK(ctx, &p); err != nil {
					return fmt.Errorf("invalidate recovery PUK: %w", err)
				}
			}
			revoked++
		}
		return nil
	})
	return revoked > 0, err
}
