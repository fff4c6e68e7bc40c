package mobileutil

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"fmt"
	"net"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/mauth/mauth/internal/audit"
	"github.com/mauth/mauth/internal/domain"
	"github.com/mauth/mauth/internal/secretbox"
	"github.com/mauth/mauth/internal/store"
)

// Errors of the service; test them with errors.Is. The HTTP surface maps
// them to its codes.
var (
	// ErrAppNotFound: no application has the name.
	ErrAppNotFound = errors.New("application not found")
	// ErrNotFound: the domain, certificate, version rule or text does not exist.
	ErrNotFound = errors.New("not found")
	// ErrAlreadyExists: the application, certificate or version rule exists already.
	ErrAlreadyExists = errors.New("already exists")
	// ErrInvalid: an input is not valid.
	ErrInvalid = errors.New("invalid input")
	// ErrFetch: the certificate of a live TLS endpoint could not be fetched.
	ErrFetch = errors.New("certificate fetch failed")
)

func invalid(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrInvalid, fmt.Sprintf(format, args...))
}

// Update results of the version check.
const (
	UpdateNotRequired = "NOT_REQUIRED"
	UpdateSuggested   = "SUGGESTED"
	UpdateForced      = "FORCED"
)

// secretContext binds a sealed signing key to its application's row (the
// name is unique and never changes).
func secretContext(appName string) string { return "pa_mu_app.sign_private_key:" + appName }

// DefaultFetchTimeout bounds fetching a certificate from a live endpoint.
const DefaultFetchTimeout = 30 * time.Second

// Options configure the service.
type Options struct {
	// Now is the clock (default time.Now).
	Now func() time.Time
	// DisableVersionCheck leaves verifyVersionResult out of every answer.
	DisableVersionCheck bool
	// FetchTimeout bounds a certificate fetch (default DefaultFetchTimeout).
	FetchTimeout time.Duration
}

// Service is the mobile utility services over a store.
type Service struct {
	st   store.Store
	box  *secretbox.Box
	opts Options
}

// New builds the service; box seals the applications' private keys.
func New(st store.Store, box *secretbox.Box, opts Options) *Service {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.FetchTimeout <= 0 {
		opts.FetchTimeout = DefaultFetchTimeout
	}
	return &Service{st: st, box: box, opts: opts}
}

func (s *Service) now() time.Time { return s.opts.Now().UTC() }

var appNamePattern = regexp.MustCompile(`^[a-zA-Z0-9][a-zA-Z0-9_-]{1,254}$`)

// ValidAppName reports whether name is a valid application name.
func ValidAppName(name string) bool { return appNamePattern.MatchString(name) }

// Certificate is a pinned certificate.
type Certificate struct {
	PEM         string
	Fingerprint string
	Expires     time.Time
}

// Domain is a pinned domain with its certificates.
type Domain struct {
	Name         string
	Certificates []Certificate
}

// App is an application with its public key and pinned domains.
type App struct {
	Name        string
	DisplayName string
	// PublicKey is the uncompressed P-256 point of the signing key.
	PublicKey []byte
	Domains   []Domain
}

// CreateApp creates an application with a new signing key pair.
func (s *Service) CreateApp(ctx context.Context, name, displayName string) (App, error) {
	if !ValidAppName(name) {
		return App{}, invalid("name must match %s", appNamePattern)
	}
	if len(displayName) > 255 {
		return App{}, invalid("displayName is longer than 255 characters")
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return App{}, fmt.Errorf("generate signing key: %w", err)
	}
	raw, err := key.Bytes()
	if err != nil {
		return App{}, fmt.Errorf("encode signing key: %w", err)
	}
	pub, err := key.PublicKey.Bytes()
	if err != nil {
		return App{}, fmt.Errorf("encode public key: %w", err)
	}
	a := domain.MobileApp{Name: name, DisplayName: displayName, SignPrivateKeyEncrypted: s.box.Seal(raw, secretContext(name)), SignPublicKey: pub, Created: s.now()}
	err = s.st.InTx(ctx, func(tx store.Tx) error {
		if err := tx.CreateMobileApp(ctx, &a); err != nil {
			return err
		}
		return audit.Write(ctx, tx, s.now(), audit.Admin("MOBILE_APP_CREATED", "", map[string]string{"mobileApp": name}))
	})
	if errors.Is(err, store.ErrAlreadyExists) {
		return App{}, fmt.Errorf("%w: application %s", ErrAlreadyExists, name)
	}
	if err != nil {
		return App{}, fmt.Errorf("create application: %w", err)
	}
	return App{Name: name, DisplayName: displayName, PublicKey: pub}, nil
}

// app loads an application by name.
func (s *Service) app(ctx context.Context, r store.Reader, name string) (domain.MobileApp, error) {
	a, err := r.GetMobileApp(ctx, name)
	if errors.Is(err, store.ErrNotFound) {
		return a, fmt.Errorf("%w: %s", ErrAppNotFound, name)
	}
	if err != nil {
		return a, fmt.Errorf("load application: %w", err)
	}
	return a, nil
}

// App returns an application with its domains and certificates.
func (s *Service) App(ctx context.Context, name string) (App, error) {
	var out App
	err := s.st.View(ctx, func(r store.Reader) error {
		a, err := s.app(ctx, r, name)
		if err != nil {
			return err
		}
		out, err = s.detail(ctx, r, a)
		return err
	})
	return out, err
}

func (s *Service) detail(ctx context.Context, r store.Reader, a domain.MobileApp) (App, error) {
	out := App{Name: a.Name, DisplayName: a.DisplayName, PublicKey: a.SignPublicKey, Domains: []Domain{}}
	domains, err := r.ListMobileDomains(ctx, a.ID)
	if err != nil {
		return out, fmt.Errorf("list domains: %w", err)
	}
	certs, err := r.ListMobileCertificates(ctx, a.ID)
	if err != nil {
		return out, fmt.Errorf("list certificates: %w", err)
	}
	for _, d := range domains {
		dd := Domain{Name: d.Domain, Certificates: []Certificate{}}
		for _, c := range certs {
			if c.DomainID == d.ID {
				dd.Certificates = append(dd.Certificates, Certificate{PEM: c.PEM, Fingerprint: c.Fingerprint, Expires: c.Expires})
			}
		}
		out.Domains = append(out.Domains, dd)
	}
	return out, nil
}

// ListApps returns every application with its domains and certificates.
func (s *Service) ListApps(ctx context.Context) ([]App, error) {
	out := []App{}
	err := s.st.View(ctx, func(r store.Reader) error {
		apps, err := r.ListMobileApps(ctx)
		if err != nil {
			return fmt.Errorf("list applications: %w", err)
		}
		for _, a := range apps {
			d, err := s.detail(ctx, r, a)
			if err != nil {
				return err
			}
			out = append(out, d)
		}
		return nil
	})
	return out, err
}

// hostPattern is a DNS name or an IP address literal.
var hostPattern = regexp.MustCompile(`^[A-Za-z0-9]([A-Za-z0-9.:_-]{0,252}[A-Za-z0-9])?$`)

// validDomain checks a domain name (stored and matched in lower case).
func validDomain(d string) error {
	if !hostPattern.MatchString(d) {
		return invalid("domain %q is not a host name", d)
	}
	return nil
}

// ParseCertificatePEM reads the first certificate of a PEM text and
// returns it with its fingerprint (Base64 SHA-256 of the DER) and the PEM
// of that certificate alone.
func ParseCertificatePEM(text string) (*x509.Certificate, Certificate, error) {
	rest := []byte(text)
	var block *pem.Block
	for {
		block, rest = pem.Decode(rest)
		if block == nil {
			return nil, Certificate{}, invalid("pem holds no CERTIFICATE block")
		}
		if block.Type == "CERTIFICATE" {
			break
		}
	}
	c, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		return nil, Certificate{}, invalid("pem certificate: %v", err)
	}
	return c, certificateOf(c), nil
}

func certificateOf(c *x509.Certificate) Certificate {
	sum := sha256.Sum256(c.Raw)
	return Certificate{
		PEM:         string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.Raw})),
		Fingerprint: base64.StdEncoding.EncodeToString(sum[:]),
		Expires:     c.NotAfter.UTC(),
	}
}

// AddCertificatePEM pins a certificate given as PEM for an application's
// domain. The certificate must be valid for the domain and not expired.
func (s *Service) AddCertificatePEM(ctx context.Context, appName, domainName, pemText string) (Certificate, error) {
	domainName = strings.ToLower(domainName)
	if err := validDomain(domainName); err != nil {
		return Certificate{}, err
	}
	if len(pemText) > 64<<10 {
		return Certificate{}, invalid("pem is longer than 64 KiB")
	}
	c, cert, err := ParseCertificatePEM(pemText)
	if err != nil {
		return Certificate{}, err
	}
	return s.addCertificate(ctx, appName, domainName, c, cert)
}

func (s *Service) addCertificate(ctx context.Context, appName, domainName string, c *x509.Certificate, cert Certificate) (Certificate, error) {
	if err := c.VerifyHostname(domainName); err != nil {
		return Certificate{}, invalid("the certificate is not valid for %s: %v", domainName, err)
	}
	now := s.now()
	if !cert.Expires.After(now) {
		return Certificate{}, invalid("the certificate expired at %s", cert.Expires.Format(time.RFC3339))
	}
	err := s.st.InTx(ctx, func(tx store.Tx) error {
		a, err := s.app(ctx, tx, appName)
		if err != nil {
			return err
		}
		id, err := tx.EnsureMobileDomain(ctx, a.ID, domainName)
		if err != nil {
			return err
		}
		m := domain.MobileCertificate{DomainID: id, PEM: cert.PEM, Fingerprint: cert.Fingerprint, Expires: cert.Expires, Created: now}
		if err := tx.CreateMobileCertificate(ctx, &m); err != nil {
			return err
		}
		return audit.Write(ctx, tx, now, audit.Admin("MOBILE_CERTIFICATE_ADDED", "", map[string]string{
			"mobileApp": appName, "domain": domainName, "fingerprint": cert.Fingerprint, "expires": cert.Expires.Format(time.RFC3339)}))
	})
	if errors.Is(err, store.ErrAlreadyExists) {
		return Certificate{}, fmt.Errorf("%w: certificate %s of %s", ErrAlreadyExists, cert.Fingerprint, domainName)
	}
	if err != nil {
		return Certificate{}, fmt.Errorf("add certificate: %w", err)
	}
	return cert, nil
}

// FetchCertificate connects to a live TLS endpoint, host or host:port (port
// 443 by default), and pins its leaf certificate for the host. The chain is
// not verified (pinned certificates may come from a private CA), but the
// certificate must be valid for the host and not expired.
func (s *Service) FetchCertificate(ctx context.Context, appName, endpoint string) (Certificate, error) {
	host, port, err := net.SplitHostPort(endpoint)
	if err != nil {
		host, port = endpoint, "443"
	}
	host = strings.ToLower(host)
	if err := validDomain(host); err != nil {
		return Certificate{}, err
	}
	if p, err := strconv.Atoi(port); err != nil || p < 1 || p > 65535 {
		return Certificate{}, invalid("port %q is not valid", port)
	}
	// The application must exist before anything is dialled.
	if _, err := s.app(ctx, s.st, appName); err != nil {
		return Certificate{}, err
	}
	ctx, cancel := context.WithTimeout(ctx, s.opts.FetchTimeout)
	defer cancel()
	d := tls.Dialer{Config: &tls.Config{ServerName: host, InsecureSkipVerify: true, MinVersion: tls.VersionTLS12}} //nolint:gosec // the leaf is checked against the host below; the chain may be private
	conn, err := d.DialContext(ctx, "tcp", net.JoinHostPort(host, port))
	if err != nil {
		return Certificate{}, fmt.Errorf("%w: %s: %v", ErrFetch, endpoint, err)
	}
	defer conn.Close()
	peers := conn.(*tls.Conn).ConnectionState().PeerCertificates
	if len(peers) == 0 {
		return Certificate{}, fmt.Errorf("%w: %s sent no certificate", ErrFetch, endpoint)
	}
	return s.addCertificate(ctx, appName, host, peers[0], certificateOf(peers[0]))
}

// RemoveCertificate unpins a certificate of an application's domain.
func (s *Service) RemoveCertificate(ctx context.Context, appName, domainName, fingerprint string) error {
	domainName = strings.ToLower(domainName)
	return s.change(ctx, appName, "MOBILE_CERTIFICATE_REMOVED", map[string]string{"domain": domainName, "fingerprint": fingerprint},
		func(tx store.Tx, a domain.MobileApp) error {
			return tx.DeleteMobileCertificate(ctx, a.ID, domainName, fingerprint)
		})
}

// RemoveDomain unpins a domain of an application with its certificates.
func (s *Service) RemoveDomain(ctx context.Context, appName, domainName string) error {
	domainName = strings.ToLower(domainName)
	return s.change(ctx, appName, "MOBILE_DOMAIN_REMOVED", map[string]string{"domain": domainName},
		func(tx store.Tx, a domain.MobileApp) error { return tx.DeleteMobileDomain(ctx, a.ID, domainName) })
}

// change runs fn on an application in a transaction with its audit entry.
func (s *Service) change(ctx context.Context, appName, action string, details map[string]string, fn func(tx store.Tx, a domain.MobileApp) error) error {
	err := s.st.InTx(ctx, func(tx store.Tx) error {
		a, err := s.app(ctx, tx, appName)
		if err != nil {
			return err
		}
		if err := fn(tx, a); err != nil {
			return err
		}
		d := map[string]string{"mobileApp": appName}
		for k, v := range details {
			d[k] = v
		}
		return audit.Write(ctx, tx, s.now(), audit.Admin(action, "", d))
	})
	return mapStoreError(err)
}

func mapStoreError(err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, ErrAppNotFound):
		return err
	case errors.Is(err, store.ErrNotFound):
		return fmt.Errorf("%w: %v", ErrNotFound, err)
	case errors.Is(err, store.ErrAlreadyExists):
		return fmt.Errorf("%w: %v", ErrAlreadyExists, err)
	}
	return err
}

// PurgeExpired removes the pinned certificates that have expired and
// returns how many.
func (s *Service) PurgeExpired(ctx context.Context) (int64, error) {
	var n int64
	now := s.now()
	err := s.st.InTx(ctx, func(tx store.Tx) error {
		var err error
		if n, err = tx.DeleteExpiredMobileCertificates(ctx, now); err != nil || n == 0 {
			return err
		}
		return audit.Write(ctx, tx, now, audit.Admin("MOBILE_CERTIFICATES_PURGED", "", map[string]string{"count": strconv.FormatInt(n, 10)}))
	})
	if err != nil {
		return 0, fmt.Errorf("purge expired certificates: %w", err)
	}
	return n, nil
}
