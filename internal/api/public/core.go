// Package public is the enrollment server's Standard RESTful API
// (/pa/v3/…): the surface mobile devices talk to. It verifies PowerAuth
// signatures, MAC tokens and ECIES encryption by calling the core server
// through the Core interface — in-process in the all-in-one deployment,
// over the private REST API when the enrollment role runs on its own.
package public

import (
	"context"

	"github.com/mauth/mauth/internal/domain"
	"github.com/mauth/mauth/internal/service"
	"github.com/mauth/mauth/protocol"
)

// Core is what the enrollment layer needs from the core server.
// *service.Service implements it directly (all-in-one mode); the remote
// implementation calls the core's /rest/v3 methods with Basic auth.
type Core interface {
	// LookupApplicationByKey resolves an application key (application/detail/version).
	LookupApplicationByKey(ctx context.Context, applicationKey string) (domain.Application, domain.ApplicationVersion, error)
	// PrepareActivation is the key exchange of a code-based activation (activation/prepare).
	PrepareActivation(ctx context.Context, in service.PrepareActivationInput) (service.KeyExchangeResult, error)
	// CreateActivation creates and key-exchanges an activation for a known user (activation/create).
	CreateActivation(ctx context.Context, in service.CreateActivationInput) (service.KeyExchangeResult, error)
	// CreateActivationWithRecoveryCode activates with a recovery code and PUK (activation/recovery/create).
	CreateActivationWithRecoveryCode(ctx context.Context, in service.RecoveryActivationInput) (service.KeyExchangeResult, error)
	// CommitActivation commits a PENDING_COMMIT activation (activation/commit).
	CommitActivation(ctx context.Context, activationID, externalUserID, otp string) (domain.Activation, error)
	// GetActivationStatus returns the status with the encrypted status blob (activation/status).
	GetActivationStatus(ctx context.Context, activationID string, challenge []byte) (service.ActivationStatusResult, error)
	// RemoveActivation removes an activation (activation/remove).
	RemoveActivation(ctx context.Context, activationID, externalUserID string, revokeRecoveryCodes bool) (domain.Activation, error)
	// UpdateActivationName renames an activation (activation/name/update).
	UpdateActivationName(ctx context.Context, activationID, name, externalUserID string) (domain.Activation, error)
	// VerifySignature verifies an online signature (signature/verify).
	VerifySignature(ctx context.Context, in service.VerifySignatureInput) (service.VerifySignatureResult, error)
	// CreateToken issues a MAC token (token/create).
	CreateToken(ctx context.Context, in service.CreateTokenInput) (*service.EciesResponse, error)
	// ValidateToken checks a MAC token digest (token/validate).
	ValidateToken(ctx context.Context, in service.ValidateTokenInput) (service.ValidateTokenResult, error)
	// RemoveToken removes a token of an activation (token/remove).
	RemoveToken(ctx context.Context, tokenID, activationID string) (bool, error)
	// UnlockVault releases the vault key after a signature (vault/unlock).
	UnlockVault(ctx context.Context, in service.VaultUnlockInput) (service.VaultUnlockResult, error)
	// EciesDecryptor returns the envelope secrets of an ECIES request (ecies/decryptor).
	EciesDecryptor(ctx context.Context, in service.EciesDecryptorInput) (protocol.EciesSecrets, error)
	// StartUpgrade and CommitUpgrade move a v2 activation to v3 (upgrade/start, upgrade/commit).
	StartUpgrade(ctx context.Context, in service.StartUpgradeInput) (*service.EciesResponse, error)
	CommitUpgrade(ctx context.Context, activationID, applicationKey string) (bool, error)
	// ConfirmRecoveryCode confirms a postcard recovery code (recovery/confirm).
	ConfirmRecoveryCode(ctx context.Context, in service.ConfirmRecoveryCodeInput) (*service.ConfirmRecoveryCodeResult, error)
	// CreateTemporaryKey issues a 3.3 temporary encryption key (keystore/create).
	CreateTemporaryKey(ctx context.Context, jwt string) (service.TemporaryKey, error)
}

// The core service implements Core in-process.
var _ Core = (*service.Service)(nil)
