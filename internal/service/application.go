package service

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"

	"github.com/google/uuid"

	"github.com/mauth/mauth/internal/domain"
	"github.com/mauth/mauth/internal/store"
	"github.com/mauth/mauth/protocol"
)

// DefaultVersionName is the name of the version every new application gets.
const DefaultVersionName = "default"

// maxNameLength bounds application and version names.
const maxNameLength = 255

// ApplicationDetail is an application with its master public key and versions.
type ApplicationDetail struct {
	Application     domain.Application
	MasterPublicKey []byte // uncompressed SEC1 point
	Versions        []domain.ApplicationVersion
}

// SDKConfig returns the mobile SDK configuration string of a version.
func (d ApplicationDetail) SDKConfig(v domain.ApplicationVersion) string {
	key, _ := base64.StdEncoding.DecodeString(v.ApplicationKey)
	secret, _ := base64.StdEncoding.DecodeString(v.ApplicationSecret)
	return protocol.SDKConfig{ApplicationKey: key, ApplicationSecret: secret, MasterPublicKey: d.MasterPublicKey}.String()
}

func validName(field, name string) error {
	if strings.TrimSpace(name) == "" {
		return Errorf(CodeInvalidRequest, "%s - must not be blank", field)
	}
	if len(name) > maxNameLength {
		return Errorf(CodeInvalidRequest, "%s - must be at most %d characters", field, maxNameLength)
	}
	return nil
}

// CreateApplication creates an application with a new master key pair and
// a first version named "default" with its own application key and secret.
// The audit record is written in the same transaction.
func (s *Service) CreateApplication(ctx context.Context, name string, roles []string) (domain.Application, error) {
	if err := validName("applicationId", name); err != nil {
		return domain.Application{}, err
	}
	master, err := protocol.GenerateKeyPair()
	if err != nil {
		return domain.Application{}, Wrap(CodeGenericCryptography, "Key generation failed.", err)
	}
	app := domain.Application{Name: name, Roles: dedupe(roles)}
	defer s.applicationsChanged()
	err = s.store.InTx(ctx, func(tx store.Tx) error {
		app.ID = 0
		if err := tx.CreateApplication(ctx, &app); err != nil {
			if errors.Is(err, store.ErrAlreadyExists) {
				return Errorf(CodeDuplicateApplication, "Application with this ID already exists.")
			}
			return fmt.Errorf("create application: %w", err)
		}
		kpName := uuid.NewString()
		kp := domain.MasterKeyPair{
			ApplicationID:       app.ID,
			Name:                kpName,
			PrivateKeyEncrypted: s.sealPrivateKey(master, masterKeyContext(app.Name, kpName)),
			PublicKey:           master.Public().Uncompressed(),
			Created:             s.Now(),
		}
		if err := tx.CreateMasterKeyPair(ctx, &kp); err != nil {
			return fmt.Errorf("create master key pair: %w", err)
		}
		if _, err := s.createVersion(ctx, tx, app, DefaultVersionName); err != nil {
			return err
		}
		return s.writeAdminAudit(ctx, tx, "APPLICATION_CREATED", app.Name, map[string]string{"applicationId": app.Name})
	})
	if err != nil {
		return domain.Application{}, err
	}
	return app, nil
}

// createVersion adds a version with a fresh application key and secret.
func (s *Service) createVersion(ctx context.Context, tx store.Tx, app domain.Application, name string) (domain.ApplicationVersion, error) {
	v := domain.ApplicationVersion{
		ApplicationID:     app.ID,
		Name:              name,
		ApplicationKey:    base64.StdEncoding.EncodeToString(protocol.RandomBytes(16)),
		ApplicationSecret: base64.StdEncoding.EncodeToString(protocol.RandomBytes(16)),
		Supported:         true,
	}
	if err := tx.CreateApplicationVersion(ctx, &v); err != nil {
		if errors.Is(err, store.ErrAlreadyExists) {
			return v, Errorf(CodeDuplicateApplication, "Application version with this ID already exists.")
		}
		return v, fmt.Errorf("create application version: %w", err)
	}
	return v, nil
}

// CreateApplicationVersion adds a version to an application.
func (s *Service) CreateApplicationVersion(ctx context.Context, applicationName, versionName string) (domain.ApplicationVersion, error) {
	if err := validName("applicationVersionId", versionName); err != nil {
		return domain.ApplicationVersion{}, err
	}
	var v domain.ApplicationVersion
	defer s.applicationsChanged()
	err := s.store.InTx(ctx, func(tx store.Tx) error {
		app, err := s.applicationByName(ctx, tx, applicationName)
		if err != nil {
			return err
		}
		v, err = s.createVersion(ctx, tx, app, versionName)
		return err
	})
	return v, err
}

// SetApplicationVersionSupported marks a version supported or not;
// signatures made with an unsupported version fail.
func (s *Service) SetApplicationVersionSupported(ctx context.Context, applicationName, versionName string, supported bool) (domain.ApplicationVersion, error) {
	var out domain.ApplicationVersion
	defer s.applicationsChanged() // verifications on this node see the change at once
	err := s.store.InTx(ctx, func(tx store.Tx) error {
		app, err := s.applicationByName(ctx, tx, applicationName)
		if err != nil {
			return err
		}
		v, err := findVersion(ctx, tx, app, versionName)
		if err != nil {
			return err
		}
		v.Supported = supported
		if err := tx.UpdateApplicationVersion(ctx, &v); err != nil {
			return fmt.Errorf("update application version: %w", err)
		}
		out = v
		return nil
	})
	return out, err
}

func findVersion(ctx context.Context, r store.Reader, app domain.Application, name string) (domain.ApplicationVersion, error) {
	vs, err := r.ListApplicationVersions(ctx, app.ID)
	if err != nil {
		return domain.ApplicationVersion{}, fmt.Errorf("list application versions: %w", err)
	}
	for _, v := range vs {
		if v.Name == name {
			return v, nil
		}
	}
	return domain.ApplicationVersion{}, Errorf(CodeInvalidApplication, "Application version does not exist.")
}

// GetApplicationDetail returns an application with its versions and master public key.
func (s *Service) GetApplicationDetail(ctx context.Context, applicationName string) (ApplicationDetail, error) {
	var d ApplicationDetail
	err := s.store.View(ctx, func(r store.Reader) error {
		app, err := s.applicationByName(ctx, r, applicationName)
		if err != nil {
			return err
		}
		d.Application = app
		kp, err := r.GetNewestMasterKeyPair(ctx, app.ID)
		if errors.Is(err, store.ErrNotFound) {
			return Errorf(CodeNoMasterKeyPair, "No master server key pair configured in database.")
		}
		if err != nil {
			return fmt.Errorf("load master key pair: %w", err)
		}
		d.MasterPublicKey = kp.PublicKey
		if d.Versions, err = r.ListApplicationVersions(ctx, app.ID); err != nil {
			return fmt.Errorf("list application versions: %w", err)
		}
		return nil
	})
	return d, err
}

// ListApplications returns every application.
func (s *Service) ListApplications(ctx context.Context) ([]domain.Application, error) {
	apps, err := s.store.ListApplications(ctx)
	if err != nil {
		return nil, fmt.Errorf("list applications: %w", err)
	}
	return apps, nil
}

// LookupApplicationByKey returns the application that owns an application key.
func (s *Service) LookupApplicationByKey(ctx context.Context, applicationKey string) (domain.Application, domain.ApplicationVersion, error) {
	v, app, err := s.applicationVersionByKey(ctx, s.store, applicationKey)
	return app, v, err
}

// dedupe removes duplicates and blanks, keeping the first occurrence order.
func dedupe(in []string) []string {
	out := make([]string, 0, len(in))
	seen := map[string]bool{}
	for _, v := range in {
		if v == "" || seen[v] {
			continue
		}
		seen[v] = true
		out = append(out, v)
	}
	return out
}
