package service

import (
	"context"
	"errors"
	"fmt"
	"strconv"

	"github.com/mauth/mauth/internal/store"
)

// ObjectKind names a kind of object a private API request refers to; see
// ApplicationsOf.
type ObjectKind int

// Object kinds.
const (
	// ObjectApplication is an application by name (the API's applicationId).
	ObjectApplication ObjectKind = iota + 1
	// ObjectApplicationKey is an application version's application key.
	ObjectApplicationKey
	// ObjectActivation is an activation id.
	ObjectActivation
	// ObjectOperation is an operation id.
	ObjectOperation
	// ObjectToken is a MAC token id.
	ObjectToken
	// ObjectTemporaryKey is a temporary encryption key id.
	ObjectTemporaryKey
	// ObjectRecoveryCode is a recovery code's internal id (decimal).
	ObjectRecoveryCode
)

// String names the kind for messages.
func (k ObjectKind) String() string {
	switch k {
	case ObjectApplication:
		return "application"
	case ObjectApplicationKey:
		return "application key"
	case ObjectActivation:
		return "activation"
	case ObjectOperation:
		return "operation"
	case ObjectToken:
		return "token"
	case ObjectTemporaryKey:
		return "temporary key"
	case ObjectRecoveryCode:
		return "recovery code"
	}
	return "ObjectKind(" + strconv.Itoa(int(k)) + ")"
}

// ApplicationsOf returns the internal ids of the applications the object
// ref of kind belongs to: one for most objects, every application of an
// operation. It returns none, without error, when no such object exists.
// The private API uses it to decide whether an APPLICATION integration
// may act on the object (Principal.MayActOn).
func (s *Service) ApplicationsOf(ctx context.Context, kind ObjectKind, ref string) ([]int64, error) {
	ids, err := s.applicationsOf(ctx, kind, ref)
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("owner of %s: %w", kind, err)
	}
	return ids, nil
}

func (s *Service) applicationsOf(ctx context.Context, kind ObjectKind, ref string) ([]int64, error) {
	r := s.store
	one := func(id int64, err error) ([]int64, error) {
		if err != nil {
			return nil, err
		}
		return []int64{id}, nil
	}
	activationApp := func(id string) (int64, error) {
		a, err := r.GetActivationSigningState(ctx, id)
		return a.ApplicationID, err
	}
	keyApp := func(key string) (int64, error) {
		v, err := r.GetApplicationVersionByKey(ctx, key)
		return v.ApplicationID, err
	}
	switch kind {
	case ObjectApplication:
		a, err := r.GetApplicationByName(ctx, ref)
		return one(a.ID, err)
	case ObjectApplicationKey:
		return one(keyApp(ref))
	case ObjectActivation:
		return one(activationApp(ref))
	case ObjectOperation:
		op, err := r.GetOperation(ctx, ref)
		return op.ApplicationIDs, err
	case ObjectToken:
		t, err := r.GetToken(ctx, ref)
		if err != nil {
			return nil, err
		}
		return one(activationApp(t.ActivationID))
	case ObjectTemporaryKey:
		k, err := r.GetTemporaryKey(ctx, ref)
		if err != nil {
			return nil, err
		}
		return one(keyApp(k.ApplicationKey))
	case ObjectRecoveryCode:
		id, err := strconv.ParseInt(ref, 10, 64)
		if err != nil {
			return nil, store.ErrNotFound
		}
		c, err := r.GetRecoveryCode(ctx, id)
		return one(c.ApplicationID, err)
	}
	return nil, fmt.Errorf("unknown object kind %d", int(kind))
}
