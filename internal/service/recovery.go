package service

import (
	"context"
	"errors"
	"fmt"
	"strconv"

	"github.com/mauth/mauth/internal/domain"
	"github.com/mauth/mauth/internal/store"
	"github.com/mauth/mauth/protocol"
)

// recoveryCodeAttempts is how many fresh recovery codes are tried before
// giving up on collisions within an application (the reference's default).
const recoveryCodeAttempts = 10

// maxRecoveryPUKs is the largest PUK count of a postcard recovery code.
const maxRecoveryPUKs = 100

// ActivationRecovery is the recovery code and PUK handed to a device with
// its activation when the application's recovery configuration enables it.
type ActivationRecovery struct {
	RecoveryCode string
	PUK          string
}

// recoveryPUKContext binds a sealed PUK hash to its record: application,
// user, recovery code and PUK index (the values the reference binds its
// at-rest encryption to).
func recoveryPUKContext(applicationID int64, userID, code string, index int64) string {
	return "pa_recovery_puk.puk:" + strconv.FormatInt(applicationID, 10) + "&" + userID + "&" + code + "&" + strconv.FormatInt(index, 10)
}

// maskRecoveryCode hides all but the last group of a recovery code, as the
// reference does ("XXXXX-XXXXX-XXXXX-ABCDE"); malformed codes mask to "".
func maskRecoveryCode(code string) string {
	if len(code) != 23 {
		return ""
	}
	return "XXXXX-XXXXX-XXXXX-" + code[18:]
}

// recoveryConfigOf returns the recovery settings of an application, or the
// defaults (everything off) when none are stored.
func recoveryConfigOf(ctx context.Context, r store.Reader, applicationID int64) (domain.RecoveryConfig, bool, error) {
	c, err := r.GetRecoveryConfig(ctx, applicationID)
	if errors.Is(err, store.ErrNotFound) {
		return domain.RecoveryConfig{ApplicationID: applicationID}, false, nil
	}
	if err != nil {
		return c, false, fmt.Errorf("load recovery config: %w", err)
	}
	return c, true, nil
}

// recoveryEnabled reports whether activation recovery is enabled for the
// application.
func recoveryEnabled(ctx context.Context, r store.Reader, app domain.Application) (bool, error) {
	c, _, err := recoveryConfigOf(ctx, r, app.ID)
	if err != nil {
		return false, err
	}
	return c.ActivationRecoveryEnabled, nil
}

// recoveryCodeTaken reports whether the application already has a recovery
// code with this value, in any state.
func recoveryCodeTaken(ctx context.Context, r store.Reader, applicationID int64, code string) (bool, error) {
	codes, err := r.ListRecoveryCodes(ctx, store.RecoveryCodeFilter{ApplicationID: applicationID, Code: code})
	if err != nil {
		return false, fmt.Errorf("check recovery code: %w", err)
	}
	return len(codes) > 0, nil
}

// storeRecoveryCode writes a recovery code and its PUKs (each as a sealed
// Argon2 hash, VALID) inside tx and sets c.ID.
func (s *Service) storeRecoveryCode(ctx context.Context, tx store.Tx, c *domain.RecoveryCode, puks []protocol.RecoveryPUK) error {
	if err := tx.CreateRecoveryCode(ctx, c); err != nil {
		if errors.Is(err, store.ErrAlreadyExists) {
			return Errorf(CodeRecoveryCodeAlreadyExists, "Recovery code already exists.")
		}
		return fmt.Errorf("create recovery code: %w", err)
	}
	for _, p := range puks {
		hash, err := s.hashSecret(p.PUK)
		if err != nil {
			return err
		}
		idx := int64(p.Index)
		rp := domain.RecoveryPUK{
			RecoveryCodeID: c.ID,
			PUK:            s.box.Seal([]byte(hash), recoveryPUKContext(c.ApplicationID, c.UserID, c.Code, idx)),
			Index:          idx,
			Status:         domain.RecoveryPukValid,
		}
		if err := tx.CreateRecoveryPUK(ctx, &rp); err != nil {
			return fmt.Errorf("create recovery PUK: %w", err)
		}
	}
	return nil
}

// createActivationRecovery creates a recovery code with one PUK for the
// activation inside tx, when the application has activation recovery
// enabled; it returns nil otherwise. Call it for an activation that has
// just finished its key exchange: as in the reference, the code is ACTIVE
// right away when the activation already is, and CREATED otherwise (the
// activation's commit turns it ACTIVE). The code is linked to the
// activation and its user. The PUK is stored only as a sealed Argon2 hash;
// the clear values returned here go to the device inside the encrypted
// response and nowhere else.
//
// As in the reference, allowMultipleRecoveryCodes does not apply here (it
// governs postcard codes only); an activation that already holds a CREATED
// or ACTIVE code gets CodeRecoveryCodeAlreadyExists.
func (s *Service) createActivationRecovery(ctx context.Context, tx store.Tx, app domain.Application, a domain.Activation) (*ActivationRecovery, error) {
	enabled, err := recoveryEnabled(ctx, tx, app)
	if err != nil || !enabled {
		return nil, err
	}
	if a.Protocol != "" && a.Protocol != domain.ProtocolPowerAuth {
		return nil, Errorf(CodeActivationIncorrectState, "Activation does not use the PowerAuth protocol.")
	}
	existing, err := tx.ListRecoveryCodes(ctx, store.RecoveryCodeFilter{
		ApplicationID: app.ID,
		ActivationID:  a.ActivationID,
		Statuses:      []domain.RecoveryCodeStatus{domain.RecoveryCodeCreated, domain.RecoveryCodeActive},
	})
	if err != nil {
		return nil, fmt.Errorf("list recovery codes: %w", err)
	}
	if len(existing) > 0 {
		return nil, Errorf(CodeRecoveryCodeAlreadyExists, "The activation already has a recovery code.")
	}
	var code string
	var puks []protocol.RecoveryPUK
	for range recoveryCodeAttempts {
		c, p, err := protocol.NewRecoveryCode(1)
		if err != nil {
			return nil, Wrap(CodeGenericCryptography, "Recovery code generation failed.", err)
		}
		taken, err := recoveryCodeTaken(ctx, tx, app.ID, c)
		if err != nil {
			return nil, err
		}
		if !taken {
			code, puks = c, p
			break
		}
	}
	if code == "" {
		return nil, Errorf(CodeRecoveryCodeGeneration, "Too many failed attempts to generate recovery code.")
	}
	status := domain.RecoveryCodeCreated
	if a.Status == domain.ActivationActive {
		status = domain.RecoveryCodeActive
	}
	rc := domain.RecoveryCode{
		Code:              code,
		ApplicationID:     app.ID,
		UserID:            a.UserID,
		ActivationID:      a.ActivationID,
		Status:            status,
		MaxFailedAttempts: s.cfg.RecoveryMaxFailedAttempts,
		Created:           s.Now(),
	}
	if err := s.storeRecoveryCode(ctx, tx, &rc, puks); err != nil {
		return nil, err
	}
	return &ActivationRecovery{RecoveryCode: code, PUK: puks[0].PUK}, nil
}

// consumeRecoveryPUK checks a recovery code and PUK for an activation via
// recovery code (inside tx). Like the reference:
//   - recovery must be enabled for the application, and the code must exist
//     for it and be ACTIVE; otherwise CodeInvalidRequest;
//   - the PUK is compared with the first VALID PUK (lowest index) only;
//   - a wrong PUK increments the code's failure counter; at the limit the
//     code becomes BLOCKED and that PUK INVALID. The error is CodeRecovery
//     with CurrentRecoveryPukIndex while a VALID PUK remains, else
//     CodeInvalidRecoveryCode;
//   - the right PUK becomes USED and the failure counter is reset. The code
//     keeps its state: when it is linked to an activation, removing that
//     activation with its recovery codes revokes it.
//
// The failure count is written to tx before the error is returned, so the
// caller must commit tx on these errors (see committedError) for it to
// count. The code row is locked for the rest of the transaction, so
// concurrent attempts never exceed the limit. On success the recovery code
// is returned; its ActivationID names the activation to remove (empty for
// a postcard code).
func (s *Service) consumeRecoveryPUK(ctx context.Context, tx store.Tx, app domain.Application, recoveryCode, puk string) (domain.RecoveryCode, error) {
	invalid := Errorf(CodeInvalidRequest, "Recovery code is unknown or not active.")
	enabled, err := recoveryEnabled(ctx, tx, app)
	if err != nil {
		return domain.RecoveryCode{}, err
	}
	if !enabled {
		return domain.RecoveryCode{}, Errorf(CodeInvalidRequest, "Activation recovery is disabled.")
	}
	found, err := tx.ListRecoveryCodes(ctx, store.RecoveryCodeFilter{ApplicationID: app.ID, Code: recoveryCode})
	if err != nil {
		return domain.RecoveryCode{}, fmt.Errorf("find recovery code: %w", err)
	}
	if len(found) == 0 {
		return domain.RecoveryCode{}, invalid
	}
	rc, err := tx.GetRecoveryCodeForUpdate(ctx, found[0].ID)
	if errors.Is(err, store.ErrNotFound) {
		return domain.RecoveryCode{}, invalid
	}
	if err != nil {
		return domain.RecoveryCode{}, fmt.Errorf("lock recovery code: %w", err)
	}
	if rc.Status != domain.RecoveryCodeActive {
		return domain.RecoveryCode{}, invalid
	}
	puks, err := tx.ListRecoveryPUKs(ctx, rc.ID)
	if err != nil {
		return domain.RecoveryCode{}, fmt.Errorf("list recovery PUKs: %w", err)
	}
	var current *domain.RecoveryPUK
	for i := range puks {
		if puks[i].Status == domain.RecoveryPukValid {
			current = &puks[i]
			break
		}
	}
	now := s.Now()
	if current != nil {
		ok, err := s.checkRecoveryPUK(rc, *current, puk)
		if err != nil {
			return domain.RecoveryCode{}, err
		}
		if ok {
			rc.FailedAttempts = 0
			rc.LastUsed = now
			if err := tx.UpdateRecoveryCode(ctx, &rc); err != nil {
				return domain.RecoveryCode{}, fmt.Errorf("update recovery code: %w", err)
			}
			current.Status = domain.RecoveryPukUsed
			current.LastChange = now
			if err := tx.UpdateRecoveryPUK(ctx, current); err != nil {
				return domain.RecoveryCode{}, fmt.Errorf("update recovery PUK: %w", err)
			}
			return rc, nil
		}
	}
	// Wrong PUK (or no PUK left to try).
	rc.FailedAttempts++
	rc.LastChange = now
	blocked := current != nil && rc.FailedAttempts >= rc.MaxFailedAttempts
	if blocked {
		rc.Status = domain.RecoveryCodeBlocked
		current.Status = domain.RecoveryPukInvalid
		current.LastChange = now
		if err := tx.UpdateRecoveryPUK(ctx, current); err != nil {
			return domain.RecoveryCode{}, fmt.Errorf("update recovery PUK: %w", err)
		}
	}
	if err := tx.UpdateRecoveryCode(ctx, &rc); err != nil {
		return domain.RecoveryCode{}, fmt.Errorf("update recovery code: %w", err)
	}
	if current == nil || blocked {
		return domain.RecoveryCode{}, Errorf(CodeInvalidRecoveryCode, "Invalid recovery code or PUK.")
	}
	idx := int(current.Index)
	return domain.RecoveryCode{}, &Error{Code: CodeRecovery, Message: "Invalid recovery PUK.", CurrentRecoveryPukIndex: &idx}
}

// checkRecoveryPUK compares a PUK given by a user with a stored one in
// constant time. The displayed form "12345-67890" is accepted.
func (s *Service) checkRecoveryPUK(rc domain.RecoveryCode, p domain.RecoveryPUK, puk string) (bool, error) {
	raw, err := s.box.Open(p.PUK, recoveryPUKContext(rc.ApplicationID, rc.UserID, rc.Code, p.Index))
	if err != nil {
		return false, Wrap(CodeGenericCryptography, "Stored recovery PUK cannot be decrypted.", err)
	}
	if n, err := protocol.NormalizePUK(puk); err == nil {
		puk = n
	}
	return s.verifySecret(string(raw), puk), nil
}
