package testserver

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/mauth/mauth/client"
	"github.com/mauth/mauth/internal/domain"
	"github.com/mauth/mauth/internal/secretbox"
	"github.com/mauth/mauth/internal/store"
	"github.com/mauth/mauth/protocol"
	"github.com/mauth/mauth/wire"
)

// DeviceInfo is the device model the simulated devices report.
const DeviceInfo = "backend-tests"

// maxSwapAttempts bounds the retries of a device update that lost a
// compare-and-set to another process.
const maxSwapAttempts = 64

// Options configure a Server.
type Options struct {
	// Store keeps the applications and devices.
	Store store.Store
	// Box seals the device state.
	Box *secretbox.Box
	// PublicURL is the public (mobile) API the devices talk to, e.g.
	// http://127.0.0.1:8080.
	PublicURL string
	// HTTPClient makes the devices' calls (default: a client with a
	// one-minute timeout).
	HTTPClient *http.Client
	// Version is the protocol version the devices speak (default 3.3).
	Version string
	// Now is the clock (default time.Now).
	Now func() time.Time
	// PINKeyCacheSize is the number of devices whose PIN-derived key is
	// kept in memory between signatures (default DefaultPINKeyCacheSize;
	// negative: none, every knowledge-factor signature derives it).
	PINKeyCacheSize int
	// DerivePINKey derives a PIN key (default client.DerivePINKey); tests
	// inject a counting one.
	DerivePINKey func(pin string, salt []byte) ([]byte, error)
}

// Server simulates devices.
type Server struct {
	opts    Options
	locks   keyedMutex
	pinKeys *pinKeyCache
}

// New returns a Server.
func New(opts Options) (*Server, error) {
	if opts.Store == nil || opts.Box == nil {
		return nil, errors.New("testserver: store and box are required")
	}
	if opts.PublicURL == "" {
		return nil, errors.New("testserver: the public API URL is required")
	}
	if opts.HTTPClient == nil {
		opts.HTTPClient = &http.Client{Timeout: time.Minute}
	}
	if opts.Version == "" {
		opts.Version = protocol.Version33
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.PINKeyCacheSize == 0 {
		opts.PINKeyCacheSize = DefaultPINKeyCacheSize
	}
	if opts.DerivePINKey == nil {
		opts.DerivePINKey = client.DerivePINKey
	}
	return &Server{opts: opts, pinKeys: newPINKeyCache(opts.PINKeyCacheSize, opts.DerivePINKey)}, nil
}

// PINKeyStats returns how many PIN keys the simulated devices derived and
// how many lookups memory answered.
func (s *Server) PINKeyStats() PINKeyStats { return s.pinKeys.snapshot() }

// PublicURL is the public API the devices talk to.
func (s *Server) PublicURL() string { return s.opts.PublicURL }

// sealContext names the sealed state of a device (binds it to the row).
func sealContext(activationID string) string { return "pa_test_device.sealed_state:" + activationID }

// ConfigureApplication stores (or replaces) the credentials of an application.
func (s *Server) ConfigureApplication(ctx context.Context, r ConfigureApplicationRequest) error {
	a := domain.TestApplication{ApplicationID: r.ApplicationID, Name: r.ApplicationName}
	if r.MobileSdkConfig != "" {
		sc, err := protocol.ParseSDKConfig(r.MobileSdkConfig)
		if err != nil {
			return errAppConfigInvalid(err)
		}
		a.ApplicationKey = base64.StdEncoding.EncodeToString(sc.ApplicationKey)
		a.ApplicationSecret = base64.StdEncoding.EncodeToString(sc.ApplicationSecret)
		a.MasterPublicKey = base64.StdEncoding.EncodeToString(sc.MasterPublicKey)
	} else {
		a.ApplicationKey, a.ApplicationSecret, a.MasterPublicKey = r.ApplicationKey, r.ApplicationSecret, r.MasterPublicKey
	}
	if _, err := s.newClient(a, nil); err != nil {
		return errAppConfigInvalid(err)
	}
	now := s.opts.Now()
	a.Created, a.Updated = now, now
	if err := s.opts.Store.InTx(ctx, func(tx store.Tx) error { return tx.PutTestApplication(ctx, &a) }); err != nil {
		return fmt.Errorf("testserver: store application: %w", err)
	}
	return nil
}

// newClient builds a device client for an application; hook (may be nil)
// stores a device before each signed request.
func (s *Server) newClient(a domain.TestApplication, hook func(context.Context, *client.Device) error) (*client.Client, error) {
	for _, f := range []struct{ name, value string }{{"applicationKey", a.ApplicationKey}, {"applicationSecret", a.ApplicationSecret}} {
		if b, err := base64.StdEncoding.DecodeString(f.value); err != nil || len(b) != 16 {
			return nil, fmt.Errorf("testserver: %s is not 16 Base64 bytes", f.name)
		}
	}
	master, err := base64.StdEncoding.DecodeString(a.MasterPublicKey)
	if err != nil {
		return nil, fmt.Errorf("testserver: masterPublicKey is not Base64")
	}
	return client.New(client.Config{
		BaseURL: s.opts.PublicURL, ApplicationKey: a.ApplicationKey, ApplicationSecret: a.ApplicationSecret,
		MasterPublicKey: master, Version: s.opts.Version, HTTPClient: s.opts.HTTPClient, Now: s.opts.Now,
		BeforeSignedRequest: hook, PINKey: s.pinKeys.key,
	})
}

// application loads the configuration of an application id.
func (s *Server) application(ctx context.Context, id string) (domain.TestApplication, error) {
	a, err := s.opts.Store.GetTestApplication(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return a, errAppConfigNotFound(fmt.Errorf("application %q is not configured", id))
	}
	if err != nil {
		return a, fmt.Errorf("testserver: load application: %w", err)
	}
	return a, nil
}

// CreateActivation activates a new simulated device with an activation
// code and stores it. The activation is left for the bank to commit
// (unless the server commits on key exchange).
func (s *Server) CreateActivation(ctx context.Context, r CreateActivationRequest) (*CreateActivationResponse, error) {
	a, err := s.application(ctx, r.ApplicationID)
	if err != nil {
		return nil, err
	}
	c, err := s.newClient(a, nil)
	if err != nil {
		return nil, errAppConfigInvalid(err)
	}
	res, err := c.ActivateWithCode(ctx, r.ActivationCode, r.Password, client.ActivationOptions{
		Name: r.ActivationName, OTP: r.ActivationOtp, DeviceInfo: DeviceInfo, Platform: "unknown",
	})
	if err != nil {
		// A transport failure is REMOTE_EXECUTION_ERROR; a refused or
		// malformed code (or OTP) fails the activation.
		var urlErr *url.Error
		if errors.As(err, &urlErr) {
			return nil, errRemote(err)
		}
		return nil, errActivationFailed(err)
	}
	sealed, err := s.seal(res.Device)
	if err != nil {
		return nil, err
	}
	now := s.opts.Now()
	d := domain.TestDevice{ActivationID: res.Device.ActivationID, ApplicationID: a.ApplicationID, SealedState: sealed, Created: now, Updated: now}
	if err := s.opts.Store.InTx(ctx, func(tx store.Tx) error { return tx.CreateTestDevice(ctx, &d) }); err != nil {
		return nil, fmt.Errorf("testserver: store device: %w", err)
	}
	return &CreateActivationResponse{ActivationID: d.ActivationID}, nil
}

func (s *Server) seal(d *client.Device) ([]byte, error) {
	b, err := json.Marshal(d)
	if err != nil {
		return nil, fmt.Errorf("testserver: encode device: %w", err)
	}
	return s.opts.Box.Seal(b, sealContext(d.ActivationID)), nil
}

// session is one use of a stored device: its application, a client whose
// signed requests store the device first, and the device state.
type session struct {
	app    domain.TestApplication
	client *client.Client
	device *client.Device
	// save stores the device state (compare-and-set on the revision);
	// call it after a signature and before its value leaves the server.
	save func(ctx context.Context) error
}

// errStale marks a lost compare-and-set: nothing was sent, so the whole
// use of the device is retried on the fresh state.
var errStale = errors.New("testserver: device state changed concurrently")

// withDevice runs fn on the stored device of an activation, holding the
// device's lock in this process; when another process changed the device
// before fn stored it, fn runs again on the new state. applicationID, when
// set, must be the device's application.
func (s *Server) withDevice(ctx context.Context, activationID, applicationID string, fn func(ctx context.Context, ss *session) error) error {
	unlock := s.locks.lock(activationID)
	defer unlock()
	for range maxSwapAttempts {
		err := s.useDevice(ctx, activationID, applicationID, fn)
		if !errors.Is(err, errStale) {
			return err
		}
	}
	return fmt.Errorf("testserver: device %s: %w", activationID, errStale)
}

func (s *Server) useDevice(ctx context.Context, activationID, applicationID string, fn func(ctx context.Context, ss *session) error) error {
	row, err := s.opts.Store.GetTestDevice(ctx, activationID)
	if errors.Is(err, store.ErrNotFound) {
		s.pinKeys.forget(activationID)
	}
	if errors.Is(err, store.ErrNotFound) || (err == nil && applicationID != "" && row.ApplicationID != applicationID) {
		return errActivationFailed(fmt.Errorf("no simulated device holds activation %q of application %q", activationID, applicationID))
	}
	if err != nil {
		return fmt.Errorf("testserver: load device: %w", err)
	}
	a, err := s.application(ctx, row.ApplicationID)
	if err != nil {
		return err
	}
	plain, err := s.opts.Box.Open(row.SealedState, sealContext(activationID))
	if err != nil {
		return errCryptography(fmt.Errorf("open device state: %w", err))
	}
	var dev client.Device
	if err := json.Unmarshal(plain, &dev); err != nil {
		return errCryptography(fmt.Errorf("decode device state: %w", err))
	}
	ss := &session{app: a, device: &dev}
	ss.save = func(ctx context.Context) error {
		sealed, err := s.seal(&dev)
		if err != nil {
			return &storeFailure{err}
		}
		next := row
		next.SealedState, next.Updated = sealed, s.opts.Now()
		err = s.opts.Store.InTx(ctx, func(tx store.Tx) error { return tx.SwapTestDevice(ctx, &next) })
		if errors.Is(err, store.ErrConflict) {
			return errStale
		}
		if err != nil {
			return &storeFailure{err}
		}
		row = next
		return nil
	}
	if ss.client, err = s.newClient(a, func(ctx context.Context, _ *client.Device) error { return ss.save(ctx) }); err != nil {
		return errAppConfigInvalid(err)
	}
	return fn(ctx, ss)
}

// remoteOrStale keeps errStale (from the client's hook) for the retry
// loop and classifies any other failure of a call to the public API.
func remoteOrStale(err error) error {
	if errors.Is(err, errStale) {
		return errStale
	}
	var te *Error
	if errors.As(err, &te) {
		return err
	}
	var sf *storeFailure
	if errors.As(err, &sf) {
		return err
	}
	return errRemote(err)
}

// storeFailure is a failure to store a device before a signed request:
// nothing was sent, and the caller gets an internal error.
type storeFailure struct{ err error }

func (e *storeFailure) Error() string { return "testserver: store device: " + e.err.Error() }
func (e *storeFailure) Unwrap() error { return e.err }

// factors builds the signature factors of a signature type and password.
func factors(signatureType string, def protocol.SignatureType, password string) client.Factors {
	t, ok := parseSignatureType(signatureType)
	if !ok {
		t = def
	}
	return client.Factors{Type: t, PIN: password}
}

// ComputeOnlineSignature computes an X-PowerAuth-Authorization value for
// a request the caller sends itself; the device counter advances.
func (s *Server) ComputeOnlineSignature(ctx context.Context, r ComputeOnlineSignatureRequest) (*ComputeOnlineSignatureResponse, error) {
	body, err := base64.StdEncoding.DecodeString(r.RequestBody)
	if err != nil {
		return nil, errCryptography(fmt.Errorf("requestBody is not Base64: %w", err))
	}
	var out ComputeOnlineSignatureResponse
	err = s.withDevice(ctx, r.ActivationID, r.ApplicationID, func(ctx context.Context, ss *session) error {
		h, err := ss.client.SignatureHeader(ss.device, factors(r.SignatureType, protocol.SignaturePossessionKnowledge, r.Password), strings.ToUpper(r.HTTPMethod), r.ResourceID, body)
		if err != nil {
			return errCryptography(err)
		}
		if err := ss.save(ctx); err != nil {
			return err
		}
		out.AuthHeader = h
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &out, nil
}

// ComputeOfflineSignature verifies an offline QR payload (with the
// activation's server key or the master key) and computes the
// possession_knowledge offline signature with the password.
func (s *Server) ComputeOfflineSignature(ctx context.Context, r ComputeOfflineSignatureRequest) (*ComputeOfflineSignatureResponse, error) {
	var out ComputeOfflineSignatureResponse
	err := s.withDevice(ctx, r.ActivationID, "", func(ctx context.Context, ss *session) error {
		master, err := base64.StdEncoding.DecodeString(ss.app.MasterPublicKey)
		if err != nil {
			return errAppConfigInvalid(err)
		}
		q, err := client.ParseOfflineQR(r.QRCodeData, ss.device.ServerPublicKey, master)
		if err != nil {
			return errCryptography(err)
		}
		otp, err := ss.client.OfflineSignature(ss.device, client.PossessionKnowledge(r.Password), q)
		if err != nil {
			return errCryptography(err)
		}
		if err := ss.save(ctx); err != nil {
			return err
		}
		out.OTP = otp
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &out, nil
}

// CreateToken creates a MAC token through the public API (signed with
// the factors, default POSSESSION_KNOWLEDGE).
func (s *Server) CreateToken(ctx context.Context, r CreateTokenRequest) (*CreateTokenResponse, error) {
	var out CreateTokenResponse
	err := s.withDevice(ctx, r.ActivationID, r.ApplicationID, func(ctx context.Context, ss *session) error {
		t, err := ss.client.CreateToken(ctx, ss.device, factors(r.SignatureType, protocol.SignaturePossessionKnowledge, r.Password))
		if err != nil {
			return remoteOrStale(err)
		}
		out = CreateTokenResponse{TokenID: t.ID, TokenSecret: base64.StdEncoding.EncodeToString(t.Secret)}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &out, nil
}

// token reads a token of the request.
func token(r TokenRequest) (*client.Token, error) {
	secret, err := base64.StdEncoding.DecodeString(r.TokenSecret)
	if err != nil || len(secret) != protocol.TokenSecretSize {
		return nil, errCryptography(fmt.Errorf("tokenSecret is not %d Base64 bytes", protocol.TokenSecretSize))
	}
	return &client.Token{ID: r.TokenID, Secret: secret}, nil
}

// ComputeTokenDigest computes an X-PowerAuth-Token value (fresh nonce and
// timestamp) for a token of the device.
func (s *Server) ComputeTokenDigest(ctx context.Context, r TokenRequest) (*ComputeTokenDigestResponse, error) {
	t, err := token(r)
	if err != nil {
		return nil, err
	}
	var out ComputeTokenDigestResponse
	err = s.withDevice(ctx, r.ActivationID, "", func(_ context.Context, ss *session) error {
		out.AuthHeader = ss.client.TokenHeader(t)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &out, nil
}

// PendingOperations lists the device user's pending operations through
// the Mobile Token API (token authentication), with texts in lang.
func (s *Server) PendingOperations(ctx context.Context, r TokenRequest, lang string) ([]wire.Operation, error) {
	t, err := token(r)
	if err != nil {
		return nil, err
	}
	var out []wire.Operation
	err = s.withDevice(ctx, r.ActivationID, "", func(ctx context.Context, ss *session) error {
		ops, err := ss.client.ListOperations(ctx, t, lang)
		if err != nil {
			return remoteOrStale(err)
		}
		out = ops
		return nil
	})
	if err != nil {
		return nil, err
	}
	if out == nil {
		out = []wire.Operation{}
	}
	return out, nil
}

// ApproveOperation approves an operation through the Mobile Token API.
func (s *Server) ApproveOperation(ctx context.Context, r ApproveOperationRequest) error {
	return s.withDevice(ctx, r.ActivationID, r.ApplicationID, func(ctx context.Context, ss *session) error {
		err := ss.client.AuthorizeOperation(ctx, ss.device, factors(r.SignatureType, protocol.SignaturePossessionKnowledge, r.Password),
			client.Approval{ID: r.OperationID, Data: r.OperationData, MobileTokenData: r.MobileTokenData})
		if err != nil {
			return remoteOrStale(err)
		}
		return nil
	})
}

// RejectOperation rejects an operation through the Mobile Token API
// (possession signature).
func (s *Server) RejectOperation(ctx context.Context, r RejectOperationRequest) error {
	return s.withDevice(ctx, r.ActivationID, r.ApplicationID, func(ctx context.Context, ss *session) error {
		if err := ss.client.RejectOperation(ctx, ss.device, client.Possession, r.OperationID, r.Reason); err != nil {
			return remoteOrStale(err)
		}
		return nil
	})
}

// keyedMutex is a mutex per key; entries live while someone holds or
// waits for them.
type keyedMutex struct {
	mu sync.Mutex
	m  map[string]*keyedEntry
}

type keyedEntry struct {
	mu   sync.Mutex
	refs int
}

// lock locks key and returns its unlock.
func (k *keyedMutex) lock(key string) func() {
	k.mu.Lock()
	if k.m == nil {
		k.m = map[string]*keyedEntry{}
	}
	e := k.m[key]
	if e == nil {
		e = &keyedEntry{}
		k.m[key] = e
	}
	e.refs++
	k.mu.Unlock()
	e.mu.Lock()
	return func() {
		e.mu.Unlock()
		k.mu.Lock()
		e.refs--
		if e.refs == 0 {
			delete(k.m, key)
		}
		k.mu.Unlock()
	}
}
