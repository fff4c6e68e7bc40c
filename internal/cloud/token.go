package cloud

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"strings"
	"sync"
	"time"

	"github.com/mauth/mauth/internal/domain"
	"github.com/mauth/mauth/internal/store"
)

// The bearer tokens are compact JWS (RFC 7515) JWTs (RFC 7519) signed with
// ES256 only: the header must be exactly {"alg":"ES256","typ":"JWT","kid":…}
// with a kid of ours, so neither "none" nor an HMAC key confusion can pass.

// signingKey is a loaded signing key.
type signingKey struct {
	id   string
	priv *ecdsa.PrivateKey
}

// keyCache holds the signing keys by id (they never change once created).
type keyCache struct {
	mu     sync.Mutex
	keys   map[string]*signingKey
	newest *signingKey
}

// sealContext binds a sealed signing key to its row.
func sealContext(id string) string { return "pa_cloud_signing_key:" + id }

// load opens a stored signing key.
func (s *Service) openKey(k domain.CloudSigningKey) (*signingKey, error) {
	der, err := s.box.Open(k.PrivateKeyEncrypted, sealContext(k.ID))
	if err != nil {
		return nil, fmt.Errorf("open signing key %s: %w", k.ID, err)
	}
	priv, err := x509.ParseECPrivateKey(der)
	if err != nil {
		return nil, fmt.Errorf("parse signing key %s: %w", k.ID, err)
	}
	return &signingKey{id: k.ID, priv: priv}, nil
}

// currentKey returns the newest signing key, generating and storing the
// first one when there is none.
func (s *Service) currentKey(ctx context.Context) (*signingKey, error) {
	s.keys.mu.Lock()
	defer s.keys.mu.Unlock()
	if s.keys.newest != nil {
		return s.keys.newest, nil
	}
	var row domain.CloudSigningKey
	err := s.st.InTx(ctx, func(tx store.Tx) error {
		var err error
		row, err = tx.GetNewestCloudSigningKey(ctx)
		if !errors.Is(err, store.ErrNotFound) {
			return err
		}
		priv, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			return fmt.Errorf("generate signing key: %w", err)
		}
		der, err := x509.MarshalECPrivateKey(priv)
		if err != nil {
			return fmt.Errorf("encode signing key: %w", err)
		}
		id := make([]byte, 8)
		_, _ = rand.Read(id)
		row = domain.CloudSigningKey{ID: hex.EncodeToString(id), Created: s.now()}
		row.PrivateKeyEncrypted = s.box.Seal(der, sealContext(row.ID))
		return tx.CreateCloudSigningKey(ctx, &row)
	})
	if err != nil {
		return nil, wrap("signing key", err)
	}
	k, err := s.openKey(row)
	if err != nil {
		return nil, wrap("signing key", err)
	}
	s.keys.keys[k.id], s.keys.newest = k, k
	return k, nil
}

// keyByID returns a signing key by its kid; nil when there is none.
func (s *Service) keyByID(ctx context.Context, id string) (*signingKey, error) {
	s.keys.mu.Lock()
	k, ok := s.keys.keys[id]
	s.keys.mu.Unlock()
	if ok {
		return k, nil
	}
	// Unknown kids (forged tokens) read the database without holding the
	// lock, so they cannot hold up the checks of valid tokens.
	row, err := s.st.GetCloudSigningKey(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, wrap("read signing key", err)
	}
	k, err = s.openKey(row)
	if err != nil {
		return nil, wrap("signing key", err)
	}
	s.keys.mu.Lock()
	s.keys.keys[k.id] = k
	s.keys.mu.Unlock()
	return k, nil
}

// jwtHeader is the only header the tokens have.
type jwtHeader struct {
	Alg string `json:"alg"`
	Typ string `json:"typ"`
	Kid string `json:"kid"`
}

// Claims are the claims of a bearer token.
type Claims struct {
	Issuer   string `json:"iss"`
	Subject  string `json:"sub"`
	Audience string `json:"aud"`
	IssuedAt int64  `json:"iat"`
	Expires  int64  `json:"exp"`
	ID       string `json:"jti"`
}

var jwtB64 = base64.RawURLEncoding

// IssuedToken is an access token answer.
type IssuedToken struct {
	// AccessToken is the JWT.
	AccessToken string
	// ExpiresIn is its lifetime in seconds.
	ExpiresIn int64
}

// IssueToken authenticates a client-credentials grant (a Cloud user's
// name and password, rate-limited as every login) and issues a bearer
// token for the configured audience.
func (s *Service) IssueToken(ctx context.Context, username, password, ip string) (IssuedToken, error) {
	p, err := s.AuthenticatePassword(ctx, username, password, ip)
	if err != nil {
		return IssuedToken{}, err
	}
	now := s.opts.Now()
	tok, err := s.sign(ctx, p.Username, s.opts.TokenAudience, now, now.Add(s.opts.TokenLifetime))
	if err != nil {
		return IssuedToken{}, err
	}
	return IssuedToken{AccessToken: tok, ExpiresIn: int64(s.opts.TokenLifetime / time.Second)}, nil
}

// sign builds a token for subject and audience, valid from iat to exp.
func (s *Service) sign(ctx context.Context, subject, audience string, iat, exp time.Time) (string, error) {
	k, err := s.currentKey(ctx)
	if err != nil {
		return "", err
	}
	jti := make([]byte, 16)
	_, _ = rand.Read(jti)
	h, _ := json.Marshal(jwtHeader{Alg: "ES256", Typ: "JWT", Kid: k.id})
	c, _ := json.Marshal(Claims{Issuer: s.opts.TokenIssuer, Subject: subject, Audience: audience,
		IssuedAt: iat.Unix(), Expires: exp.Unix(), ID: hex.EncodeToString(jti)})
	input := jwtB64.EncodeToString(h) + "." + jwtB64.EncodeToString(c)
	sum := sha256.Sum256([]byte(input))
	r, sig, err := ecdsa.Sign(rand.Reader, k.priv, sum[:])
	if err != nil {
		return "", wrap("sign token", err)
	}
	raw := make([]byte, 64)
	r.FillBytes(raw[:32])
	sig.FillBytes(raw[32:])
	return input + "." + jwtB64.EncodeToString(raw), nil
}

// maxTokenLength bounds the bearer tokens read.
const maxTokenLength = 4096

// errBadToken is any refused token (the answer does not say why).
var errBadToken = errors.New("invalid bearer token")

// parseToken splits a compact JWS and decodes its header and claims
// without checking the signature. It is the parser of untrusted tokens.
func parseToken(token string) (h jwtHeader, c Claims, input string, sig []byte, err error) {
	if len(token) > maxTokenLength {
		return h, c, "", nil, errBadToken
	}
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		return h, c, "", nil, errBadToken
	}
	hb, err1 := jwtB64.DecodeString(parts[0])
	cb, err2 := jwtB64.DecodeString(parts[1])
	sig, err3 := jwtB64.DecodeString(parts[2])
	if err1 != nil || err2 != nil || err3 != nil {
		return h, c, "", nil, errBadToken
	}
	if err := strictUnmarshal(hb, &h); err != nil {
		return h, c, "", nil, errBadToken
	}
	if err := strictUnmarshal(cb, &c); err != nil {
		return h, c, "", nil, errBadToken
	}
	return h, c, parts[0] + "." + parts[1], sig, nil
}

// strictUnmarshal decodes one JSON object with no unknown fields and
// nothing after it.
func strictUnmarshal(b []byte, v any) error {
	d := json.NewDecoder(bytes.NewReader(b))
	d.DisallowUnknownFields()
	if err := d.Decode(v); err != nil {
		return err
	}
	if d.More() {
		return errors.New("trailing data")
	}
	return nil
}

// verify checks a token's header, signature and claims and returns its
// subject.
func (s *Service) verify(ctx context.Context, token string) (string, error) {
	h, c, input, sig, err := parseToken(token)
	if err != nil {
		return "", err
	}
	if h.Alg != "ES256" || h.Typ != "JWT" || h.Kid == "" || len(h.Kid) > 64 || len(sig) != 64 {
		return "", errBadToken
	}
	k, err := s.keyByID(ctx, h.Kid)
	if err != nil {
		return "", err
	}
	if k == nil {
		return "", errBadToken
	}
	sum := sha256.Sum256([]byte(input))
	r, ss := new(big.Int).SetBytes(sig[:32]), new(big.Int).SetBytes(sig[32:])
	if !ecdsa.Verify(&k.priv.PublicKey, sum[:], r, ss) {
		return "", errBadToken
	}
	now := s.opts.Now().Unix()
	if c.Issuer != s.opts.TokenIssuer || c.Audience != s.opts.TokenAudience || c.Subject == "" || c.ID == "" ||
		c.Expires <= now || c.IssuedAt > now+60 {
		return "", errBadToken
	}
	return c.Subject, nil
}

// AuthenticateBearer checks a bearer token and loads its user, who must
// still exist and be enabled.
func (s *Service) AuthenticateBearer(ctx context.Context, token string) (Principal, error) {
	sub, err := s.verify(ctx, token)
	if errors.Is(err, errBadToken) {
		s.log.InfoContext(ctx, "cloud bearer token refused")
		return Principal{}, Unauthorized()
	}
	if err != nil {
		return Principal{}, err
	}
	u, err := s.st.GetCloudUser(ctx, sub)
	if errors.Is(err, store.ErrNotFound) || (err == nil && !u.Enabled) {
		return Principal{}, Unauthorized()
	}
	if err != nil {
		return Principal{}, wrap("read user", err)
	}
	return s.principal(ctx, u)
}
