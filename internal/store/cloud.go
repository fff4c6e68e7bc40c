package store

import (
	"context"

	"github.com/mauth/mauth/internal/domain"
)

// CloudReader holds the lookups of the PowerAuth Cloud API's data.
type CloudReader interface {
	// GetCloudUser returns a user by name.
	GetCloudUser(ctx context.Context, username string) (domain.CloudUser, error)
	// ListCloudUsers returns every user ordered by name.
	ListCloudUsers(ctx context.Context) ([]domain.CloudUser, error)
	// ListCloudUserApplications returns the ids of the applications granted
	// to a user, ascending.
	ListCloudUserApplications(ctx context.Context, username string) ([]int64, error)
	// GetCloudLocalization returns the texts of a template in a language.
	GetCloudLocalization(ctx context.Context, templateName, language string) (domain.CloudLocalization, error)
	// ListCloudLocalizations returns the texts of a template ordered by language.
	ListCloudLocalizations(ctx context.Context, templateName string) ([]domain.CloudLocalization, error)
	// GetCloudSigningKey returns a signing key by id.
	GetCloudSigningKey(ctx context.Context, id string) (domain.CloudSigningKey, error)
	// GetNewestCloudSigningKey returns the most recent signing key.
	GetNewestCloudSigningKey(ctx context.Context) (domain.CloudSigningKey, error)
}

// CloudWriter holds the writes of the PowerAuth Cloud API's data.
type CloudWriter interface {
	// CreateCloudUser stores a new user; ErrAlreadyExists for a taken name.
	CreateCloudUser(ctx context.Context, u *domain.CloudUser) error
	// UpdateCloudUser replaces the hash, role and enabled flag of a user.
	UpdateCloudUser(ctx context.Context, u *domain.CloudUser) error
	// DeleteCloudUser deletes a user and its grants.
	DeleteCloudUser(ctx context.Context, username string) error
	// GrantCloudUserApplication grants an application to a user (idempotent).
	GrantCloudUserApplication(ctx context.Context, username string, applicationID int64) error
	// RevokeCloudUserApplication revokes a grant; ErrNotFound without one.
	RevokeCloudUserApplication(ctx context.Context, username string, applicationID int64) error
	// PutCloudLocalization creates or replaces the texts of a template in a language.
	PutCloudLocalization(ctx context.Context, l *domain.CloudLocalization) error
	// DeleteCloudLocalization deletes the texts of a template in a language.
	DeleteCloudLocalization(ctx context.Context, templateName, language string) error
	// CreateCloudSigningKey stores a new signing key; ErrAlreadyExists for a taken id.
	CreateCloudSigningKey(ctx context.Context, k *domain.CloudSigningKey) error
}
