package service

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"

	"github.com/mauth/mauth/internal/domain"
	"github.com/mauth/mauth/internal/store"
	"github.com/mauth/mauth/protocol"
)

// StartUpgradeInput starts the upgrade of a version 2 activation to
// version 3: activation-scope ECIES with SH1 /pa/upgrade, plaintext {}.
type StartUpgradeInput struct {
	ActivationID   string
	ApplicationKey string
	Request        EciesRequest
}

// upgradePayload is the decrypted response of upgrade/start.
type upgradePayload struct {
	CtrData string `json:"ctrData"`
}

// StartUpgrade hands a version 2 ACTIVE activation its hash-based counter
// (CTR_DATA) in an encrypted {"ctrData"} response. The counter is generated
// on the first call and the same value is returned on retries, since a
// lost response must not break the upgrade.
func (s *Service) StartUpgrade(ctx context.Context, in StartUpgradeInput) (*EciesResponse, error) {
	var env *protocol.EciesEnvelope
	var plain []byte
	err := s.store.InTx(ctx, func(tx store.Tx) error {
		a, err := activationForUpdate(ctx, tx, in.ActivationID)
		if err != nil {
			return err
		}
		if err := checkUpgradable(a); err != nil {
			return err
		}
		version, app, err := s.supportedVersionForActivation(ctx, tx, a, in.ApplicationKey)
		if err != nil {
			return err
		}
		if _, env, err = s.decryptRequest(ctx, tx, eciesScope{app: app, version: version, activation: &a, sh1: protocol.SharedInfo1Upgrade}, in.Request); err != nil {
			return err
		}
		if len(a.CtrData) == 0 {
			a.CtrData = protocol.RandomBytes(protocol.CtrDataSize)
			if err := tx.UpdateActivation(ctx, &a); err != nil {
				return fmt.Errorf("store counter data: %w", err)
			}
		}
		plain, err = json.Marshal(upgradePayload{CtrData: base64.StdEncoding.EncodeToString(a.CtrData)})
		if err != nil {
			return fmt.Errorf("encode upgrade response: %w", err)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return s.encryptResponse(env, plain)
}

// CommitUpgrade finishes an upgrade started with StartUpgrade: the
// activation switches to version 3 and the change is recorded in its
// history (ACTIVATION_VERSION_CHANGED). The caller verifies the device's
// version 3 signature before calling it.
func (s *Service) CommitUpgrade(ctx context.Context, activationID, applicationKey string) (bool, error) {
	err := s.store.InTx(ctx, func(tx store.Tx) error {
		a, err := activationForUpdate(ctx, tx, activationID)
		if err != nil {
			return err
		}
		if err := checkUpgradable(a); err != nil {
			return err
		}
		if len(a.CtrData) == 0 {
			return Errorf(CodeActivationIncorrectState, "Activation upgrade was not started.")
		}
		if _, _, err := s.supportedVersionForActivation(ctx, tx, a, applicationKey); err != nil {
			return err
		}
		a.Version = 3
		a.LastChange = s.Now()
		if err := tx.UpdateActivation(ctx, &a); err != nil {
			return fmt.Errorf("update activation: %w", err)
		}
		return s.recordHistory(ctx, tx, a, domain.EventReasonActivationVersionChanged, "")
	})
	if err != nil {
		return false, err
	}
	return true, nil
}

// checkUpgradable requires an ACTIVE version 2 PowerAuth activation.
func checkUpgradable(a domain.Activation) error {
	if err := checkActivationProtocolState(a, domain.ActivationActive); err != nil {
		return err
	}
	if a.Version != 2 {
		return Errorf(CodeActivationIncorrectState, "Activation version is not 2.")
	}
	return nil
}
