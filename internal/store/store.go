// Package store defines the persistence interface of the mauth core server.
//
// One Store interface, implemented by every backend (internal/store/sqlite,
// internal/store/postgres) and checked by one conformance suite
// (internal/store/storetest). Backends return the sentinel errors of this
// package, wrapped with context; test them with errors.Is.
//
// Reads come in three flavours:
//   - the Reader methods of Store itself run each query on its own, outside
//     any transaction (on SQLite: on a separate read-only connection pool),
//     which is the cheapest way to read one thing;
//   - View runs several reads on one consistent snapshot;
//   - the Reader methods of Tx read inside a write transaction.
//
// Writes happen only in InTx. A read-modify-write either locks the row first
// (GetActivationForUpdate: SELECT … FOR UPDATE on PostgreSQL; SQLite's
// immediate transactions already serialise writers) or reads anywhere and
// writes with CompareAndSwapActivation, which fails with ErrConflict when the
// row changed in between. No design here depends on advisory locks.
package store

import (
	"context"
	"time"

	"github.com/mauth/mauth/internal/domain"
)

// Store is a mauth database. It is safe for concurrent use.
type Store interface {
	// Reader methods on the Store run outside any transaction.
	Reader

	// InTx runs fn in a read-write transaction and commits it when fn
	// returns nil; any error (or panic) rolls it back. When the database
	// reports a transient conflict (deadlock, serialization failure, busy
	// database), the whole transaction is retried a few times, so fn may
	// run more than once and must not have side effects outside tx. After
	// a Tx method fails with an error other than ErrNotFound, or
	// ErrAlreadyExists from a Create or Insert method, fn must return an
	// error: on some backends the transaction is unusable. Do not call
	// InTx from inside fn.
	InTx(ctx context.Context, fn func(tx Tx) error) error
	// View runs fn in a read-only transaction that sees one consistent
	// snapshot. It is retried like InTx.
	View(ctx context.Context, fn func(r Reader) error) error
	// SwapActivationWithSignatureAudit is the write of a signature
	// verification that was decided on an activation read without a lock:
	// atomically, when the stored revision is still a.Revision, it writes
	// the fields a valid signature changes — Counter, CtrData,
	// FailedAttempts, LastUsed, MaxProtocolVersion and SignatureDigests —
	// bumping the revision (a.Revision is
	// set to the new one), and appends the attempt's signature audit
	// record and audit entry (setting their ids). Other fields of a are
	// not written. When the activation changed or is gone it writes
	// nothing and returns false. One autocommit statement where the
	// database allows it.
	SwapActivationWithSignatureAudit(ctx context.Context, a *domain.Activation, r *domain.SignatureAudit, e *domain.AuditEntry) (bool, error)
	// Ping checks that the database answers.
	Ping(ctx context.Context) error
	// Migrate applies all pending schema migrations.
	Migrate(ctx context.Context) error
	// PendingMigrations counts the schema migrations not yet applied.
	PendingMigrations(ctx context.Context) (int, error)
	// Close releases the connections.
	Close() error
}

// Reader holds the lookups. Get methods return ErrNotFound when nothing
// matches; List methods return an empty (nil) slice instead.
type Reader interface {
	// OperationReader holds the lookups of approval operations (operations.go).
	OperationReader
	// EventReader holds the lookups of the callback outbox and audit log (events.go).
	EventReader
	// PushReader holds the lookups of push registrations (push.go).
	PushReader
	// InboxReader holds the lookups of inbox messages (inbox.go).
	InboxReader
	// CloudReader holds the lookups of the Cloud API (cloud.go).
	CloudReader
	// MobileUtilReader holds the lookups of the mobile utility services (mobileutil.go).
	MobileUtilReader
	// TestServerReader holds the lookups of the test server (testserver.go).
	TestServerReader
	// PushOutboxReader holds the lookups of push credentials and messages (push_outbox.go).
	PushOutboxReader
	PushCampaignReader
	// ConsoleReader holds the lookups of the admin console (console.go).
	ConsoleReader
	// AuditChainReader holds the lookups of the audit chains (auditchain.go).
	AuditChainReader

	// GetApplication returns the application with the internal id.
	GetApplication(ctx context.Context, id int64) (domain.Application, error)
	// GetApplicationByName returns the application by its unique name (the
	// REST API's applicationId).
	GetApplicationByName(ctx context.Context, name string) (domain.Application, error)
	// ListApplications returns all applications ordered by id.
	ListApplications(ctx context.Context) ([]domain.Application, error)

	// GetApplicationVersion returns the version with the internal id.
	GetApplicationVersion(ctx context.Context, id int64) (domain.ApplicationVersion, error)
	// GetApplicationVersionByKey returns the version holding the (unique)
	// application key.
	GetApplicationVersionByKey(ctx context.Context, applicationKey string) (domain.ApplicationVersion, error)
	// ListApplicationVersions returns the versions of an application
	// ordered by id.
	ListApplicationVersions(ctx context.Context, applicationID int64) ([]domain.ApplicationVersion, error)

	// GetMasterKeyPair returns the key pair with the internal id.
	GetMasterKeyPair(ctx context.Context, id int64) (domain.MasterKeyPair, error)
	// GetNewestMasterKeyPair returns the application's key pair in use: the
	// one created last (ties broken by the higher id).
	GetNewestMasterKeyPair(ctx context.Context, applicationID int64) (domain.MasterKeyPair, error)
	// ListMasterKeyPairs returns the application's key pairs, newest first.
	ListMasterKeyPairs(ctx context.Context, applicationID int64) ([]domain.MasterKeyPair, error)

	// GetApplicationConfig returns one configuration key of an application.
	GetApplicationConfig(ctx context.Context, applicationID int64, key string) (domain.ApplicationConfig, error)
	// ListApplicationConfigs returns all configuration keys of an
	// application ordered by key.
	ListApplicationConfigs(ctx context.Context, applicationID int64) ([]domain.ApplicationConfig, error)

	// GetActivation returns the activation with the id.
	GetActivation(ctx context.Context, activationID string) (domain.Activation, error)
	// GetActivationSigningState returns the activation with only the fields
	// a signature verification reads: ActivationID, ApplicationID, UserID,
	// Status, BlockedReason, Counter, CtrData, DevicePublicKey, Flags,
	// FailedAttempts, MaxFailedAttempts, ServerPrivateKeyEncrypted, Version,
	// MaxProtocolVersion, SignatureDigests, PossessionFailedAttempts,
	// PossessionLastFailure and Revision; the other fields are zero. It is cheaper than
	// GetActivation; never write its result back with UpdateActivation.
	GetActivationSigningState(ctx context.Context, activationID string) (domain.Activation, error)
	// GetActivationByCode returns the CREATED or PENDING_COMMIT activation
	// holding the activation code (unique among those states).
	GetActivationByCode(ctx context.Context, activationCode string) (domain.Activation, error)
	// ListActivations returns a user's activations, newest first, paged.
	ListActivations(ctx context.Context, f ActivationListFilter) ([]domain.Activation, error)
	// LookupActivations searches activations across users, newest first.
	LookupActivations(ctx context.Context, f ActivationLookup) ([]domain.Activation, error)

	// ListActivationHistory returns the history of an activation created
	// within [from, to] (a zero bound is open), in the order it was written.
	ListActivationHistory(ctx context.Context, activationID string, from, to time.Time) ([]domain.ActivationHistory, error)
	// ListSignatureAudits returns signature audit records, newest first.
	ListSignatureAudits(ctx context.Context, f SignatureAuditFilter) ([]domain.SignatureAudit, error)

	// GetToken returns the token with the id.
	GetToken(ctx context.Context, tokenID string) (domain.Token, error)
	// ListTokens returns the tokens of an activation ordered by creation.
	ListTokens(ctx context.Context, activationID string) ([]domain.Token, error)

	// GetIntegration returns the integration with the id.
	GetIntegration(ctx context.Context, id string) (domain.Integration, error)
	// GetIntegrationByClientToken returns the integration with the (unique)
	// client token.
	GetIntegrationByClientToken(ctx context.Context, clientToken string) (domain.Integration, error)
	// ListIntegrations returns all integrations ordered by name, then id.
	ListIntegrations(ctx context.Context) ([]domain.Integration, error)
	// ListIntegrationApplications returns the internal ids of the
	// applications an integration is granted, ascending.
	ListIntegrationApplications(ctx context.Context, integrationID string) ([]int64, error)

	// GetCallbackURL returns the callback with the id.
	GetCallbackURL(ctx context.Context, id string) (domain.CallbackURL, error)
	// ListCallbackURLs returns the callbacks of an application ordered by
	// creation.
	ListCallbackURLs(ctx context.Context, applicationID int64) ([]domain.CallbackURL, error)

	// GetRecoveryCode returns the recovery code with the internal id.
	GetRecoveryCode(ctx context.Context, id int64) (domain.RecoveryCode, error)
	// ListRecoveryCodes returns the recovery codes matching f, ordered by id.
	ListRecoveryCodes(ctx context.Context, f RecoveryCodeFilter) ([]domain.RecoveryCode, error)
	// GetRecoveryPUK returns the PUK of a recovery code by index.
	GetRecoveryPUK(ctx context.Context, recoveryCodeID, index int64) (domain.RecoveryPUK, error)
	// ListRecoveryPUKs returns the PUKs of a recovery code ordered by index.
	ListRecoveryPUKs(ctx context.Context, recoveryCodeID int64) ([]domain.RecoveryPUK, error)
	// GetRecoveryConfig returns the recovery settings of an application.
	GetRecoveryConfig(ctx context.Context, applicationID int64) (domain.RecoveryConfig, error)

	// GetTemporaryKey returns the temporary key with the id, expired or not.
	GetTemporaryKey(ctx context.Context, id string) (domain.TemporaryKey, error)
}

// Tx is a read-write transaction. Create methods fill in store-assigned ids
// and return ErrAlreadyExists on a uniqueness violation and ErrConflict when
// a referenced row is missing. Update and Delete methods return ErrNotFound
// when the row does not exist; deleting a row that others still reference
// returns ErrConflict.
type Tx interface {
	Reader
	// OperationWriter holds the writes of approval operations (operations.go).
	OperationWriter
	// EventWriter holds the writes of the callback outbox and audit log (events.go).
	EventWriter
	// PushWriter holds the writes of push registrations (push.go).
	PushWriter
	// InboxWriter holds the writes of inbox messages (inbox.go).
	InboxWriter
	// CloudWriter holds the writes of the Cloud API (cloud.go).
	CloudWriter
	// MobileUtilWriter holds the writes of the mobile utility services (mobileutil.go).
	MobileUtilWriter
	// TestServerWriter holds the writes of the test server (testserver.go).
	TestServerWriter
	// PushOutboxWriter holds the writes of push credentials and messages (push_outbox.go).
	PushOutboxWriter
	PushCampaignWriter
	// ConsoleWriter holds the writes of the admin console (console.go).
	ConsoleWriter
	// AuditChainWriter holds the writes of audit keys and checkpoints (auditchain.go).
	AuditChainWriter

	// CreateApplication stores a new application and sets a.ID.
	CreateApplication(ctx context.Context, a *domain.Application) error
	// GetApplicationForUpdate returns the application and locks it until
	// the transaction ends.
	GetApplicationForUpdate(ctx context.Context, id int64) (domain.Application, error)
	// UpdateApplication replaces the name, roles and protocol settings
	// (MinProtocolVersion, AllowVersionDowngrade) of application a.ID.
	UpdateApplication(ctx context.Context, a *domain.Application) error
	// DeleteApplication deletes an application with its versions, key
	// pairs, configuration, callbacks and recovery settings; ErrConflict
	// while activations or recovery codes still reference it.
	DeleteApplication(ctx context.Context, id int64) error

	// CreateApplicationVersion stores a new version and sets v.ID.
	CreateApplicationVersion(ctx context.Context, v *domain.ApplicationVersion) error
	// UpdateApplicationVersion replaces the fields of version v.ID.
	UpdateApplicationVersion(ctx context.Context, v *domain.ApplicationVersion) error
	// DeleteApplicationVersion deletes a version.
	DeleteApplicationVersion(ctx context.Context, id int64) error

	// CreateMasterKeyPair stores a new key pair and sets k.ID.
	CreateMasterKeyPair(ctx context.Context, k *domain.MasterKeyPair) error
	// DeleteMasterKeyPair deletes a key pair; ErrConflict while activations
	// reference it.
	DeleteMasterKeyPair(ctx context.Context, id int64) error

	// PutApplicationConfig creates or replaces the configuration key
	// (c.ApplicationID, c.Key) and sets c.ID.
	PutApplicationConfig(ctx context.Context, c *domain.ApplicationConfig) error
	// DeleteApplicationConfig deletes one configuration key.
	DeleteApplicationConfig(ctx context.Context, applicationID int64, key string) error

	// CreateActivation stores a new activation and sets a.Revision to 0.
	// ErrAlreadyExists covers both the activation id and an activation code
	// already held by a CREATED or PENDING_COMMIT activation.
	CreateActivation(ctx context.Context, a *domain.Activation) error
	// GetActivationForUpdate returns the activation and locks it until the
	// transaction ends (SELECT … FOR UPDATE; SQLite write transactions are
	// serialised as a whole).
	GetActivationForUpdate(ctx context.Context, activationID string) (domain.Activation, error)
	// ListExpiredActivationsForUpdate returns up to limit CREATED or
	// PENDING_COMMIT activations whose ActivationExpire is before now,
	// oldest expiry first, locked for this transaction. Rows another
	// transaction holds locked are skipped (FOR UPDATE SKIP LOCKED), so
	// several nodes can run the expiry job at once.
	ListExpiredActivationsForUpdate(ctx context.Context, now time.Time, limit int) ([]domain.Activation, error)
	// UpdateActivation writes every field of a (found by a.ActivationID)
	// unconditionally and sets a.Revision to the new revision. Use it after
	// GetActivationForUpdate.
	UpdateActivation(ctx context.Context, a *domain.Activation) error
	// CompareAndSwapActivation writes a like UpdateActivation, but only if
	// the stored revision still equals a.Revision (the revision of the copy
	// the caller read); otherwise it returns ErrConflict and writes nothing.
	CompareAndSwapActivation(ctx context.Context, a *domain.Activation) error
	// DeleteActivation deletes an activation with its history and tokens
	// (the lifecycle normally ends in REMOVED instead). Recovery codes keep
	// existing without the activation.
	DeleteActivation(ctx context.Context, activationID string) error

	// CreateActivationHistory appends a history entry and sets h.ID.
	CreateActivationHistory(ctx context.Context, h *domain.ActivationHistory) error
	// CreateSignatureAudit appends a signature audit record and sets a.ID.
	CreateSignatureAudit(ctx context.Context, a *domain.SignatureAudit) error
	// CreateSignatureAuditWithEntry appends a signature audit record and
	// the general audit entry of the same attempt and sets both ids, in
	// one statement where the database allows it. An entry that already
	// exists is ErrAlreadyExists, as with CreateAuditEntry.
	CreateSignatureAuditWithEntry(ctx context.Context, a *domain.SignatureAudit, e *domain.AuditEntry) error

	// CreateToken stores a new token.
	CreateToken(ctx context.Context, t *domain.Token) error
	// DeleteToken deletes a token.
	DeleteToken(ctx context.Context, tokenID string) error
	// DeleteTokensByActivation deletes all tokens of an activation and
	// returns how many there were.
	DeleteTokensByActivation(ctx context.Context, activationID string) (int64, error)

	// CreateIntegration stores a new integration.
	CreateIntegration(ctx context.Context, i *domain.Integration) error
	// UpdateIntegration replaces the fields of integration i.ID.
	UpdateIntegration(ctx context.Context, i *domain.Integration) error
	// ReplaceIntegrationSecret sets the stored client secret of integration
	// id to `to` only while it still is `from` (a compare-and-set, so that
	// nodes upgrading the same row at once cannot overwrite a newer value);
	// ErrNotFound when the integration is gone or holds another value.
	ReplaceIntegrationSecret(ctx context.Context, id, from, to string) error
	// DeleteIntegration deletes an integration with its grants.
	DeleteIntegration(ctx context.Context, id string) error
	// GrantIntegrationApplication lets an integration act on an
	// application; granting twice is not an error. ErrConflict when the
	// integration or the application does not exist.
	GrantIntegrationApplication(ctx context.Context, integrationID string, applicationID int64) error
	// RevokeIntegrationApplication withdraws a grant; ErrNotFound when the
	// integration had none for the application.
	RevokeIntegrationApplication(ctx context.Context, integrationID string, applicationID int64) error

	// CreateCallbackURL stores a new callback.
	CreateCallbackURL(ctx context.Context, c *domain.CallbackURL) error
	// UpdateCallbackURL replaces the fields of callback c.ID.
	UpdateCallbackURL(ctx context.Context, c *domain.CallbackURL) error
	// DeleteCallbackURL deletes a callback.
	DeleteCallbackURL(ctx context.Context, id string) error

	// CreateRecoveryCode stores a new recovery code and sets c.ID.
	CreateRecoveryCode(ctx context.Context, c *domain.RecoveryCode) error
	// GetRecoveryCodeForUpdate returns the recovery code and locks it until
	// the transaction ends.
	GetRecoveryCodeForUpdate(ctx context.Context, id int64) (domain.RecoveryCode, error)
	// UpdateRecoveryCode replaces the fields of recovery code c.ID.
	UpdateRecoveryCode(ctx context.Context, c *domain.RecoveryCode) error
	// DeleteRecoveryCode deletes a recovery code with its PUKs.
	DeleteRecoveryCode(ctx context.Context, id int64) error
	// CreateRecoveryPUK stores a new PUK and sets p.ID; ErrAlreadyExists
	// when the recovery code already has a PUK with p.Index.
	CreateRecoveryPUK(ctx context.Context, p *domain.RecoveryPUK) error
	// UpdateRecoveryPUK replaces the PUK, status and last change of p.ID.
	UpdateRecoveryPUK(ctx context.Context, p *domain.RecoveryPUK) error

	// CreateRecoveryConfig stores the recovery settings of an application
	// and sets c.ID; ErrAlreadyExists when the application has them.
	CreateRecoveryConfig(ctx context.Context, c *domain.RecoveryConfig) error
	// UpdateRecoveryConfig replaces the settings of c.ID.
	UpdateRecoveryConfig(ctx context.Context, c *domain.RecoveryConfig) error
	// DeleteRecoveryConfig deletes the recovery settings of an application.
	DeleteRecoveryConfig(ctx context.Context, applicationID int64) error

	// CreateTemporaryKey stores a new temporary key.
	CreateTemporaryKey(ctx context.Context, k *domain.TemporaryKey) error
	// DeleteTemporaryKey deletes a temporary key.
	DeleteTemporaryKey(ctx context.Context, id string) error
	// DeleteExpiredTemporaryKeys deletes keys whose Expires is at or before
	// now and returns how many.
	DeleteExpiredTemporaryKeys(ctx context.Context, now time.Time) (int64, error)

	// InsertUniqueValue records a value in the replay cache; it returns
	// ErrAlreadyExists when (v.Type, v.Value) is already recorded (a
	// replay). It does not spoil the transaction on either backend.
	InsertUniqueValue(ctx context.Context, v domain.UniqueValue) error
	// DeleteExpiredUniqueValues deletes values whose Expires is at or
	// before now and returns how many.
	DeleteExpiredUniqueValues(ctx context.Context, now time.Time) (int64, error)
}
