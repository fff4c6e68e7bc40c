package audit

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/binary"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"time"

	"github.com/mauth/mauth/internal/secretbox"
	"github.com/mauth/mauth/internal/store"
)

// keyContext binds the sealed audit key to its use (secretbox associated
// data).
const keyContext = "audit-key"

// checkpointVersion starts every checkpoint payload; a new encoding gets a
// new version.
const checkpointVersion = "mauth-audit-checkpoint/1"

// ChainStore is the part of the store the audit chains need.
type ChainStore interface {
	store.AuditChainReader
	InTx(ctx context.Context, fn func(tx store.Tx) error) error
}

// Checkpoint is a parsed checkpoint payload: the chain heads and the
// unchained (legacy) row counts at a time.
type Checkpoint struct {
	// ID is the stored checkpoint's id (0 before it is stored).
	ID      int64
	Created time.Time
	KeyID   string
	Heads   []store.ChainHead
	Legacy  []store.ChainLegacy
}

// head returns the checkpoint's head of a chain.
func (c *Checkpoint) head(chain string, shard int) (store.ChainHead, bool) {
	for _, h := range c.Heads {
		if h.Chain == chain && h.Shard == shard {
			return h, true
		}
	}
	return store.ChainHead{}, false
}

// EncodeCheckpoint returns the canonical payload of c (what is signed):
// length-prefixed fields, heads and legacy counts in the order given.
func EncodeCheckpoint(c Checkpoint) []byte {
	var b []byte
	str := func(s string) {
		b = binary.BigEndian.AppendUint32(b, uint32(len(s))) //nolint:gosec // short fields
		b = append(b, s...)
	}
	num := func(v int64) { b = binary.BigEndian.AppendUint64(b, uint64(v)) } //nolint:gosec // two's complement
	str(checkpointVersion)
	num(c.Created.UnixMilli())
	str(c.KeyID)
	num(int64(len(c.Heads)))
	for _, h := range c.Heads {
		str(h.Chain)
		num(int64(h.Shard))
		num(h.Seq)
		str(string(h.Hash))
	}
	num(int64(len(c.Legacy)))
	for _, l := range c.Legacy {
		str(l.Chain)
		num(l.Count)
		num(l.MaxID)
	}
	return b
}

// errPayload is a malformed checkpoint payload.
var errPayload = errors.New("malformed audit checkpoint payload")

// maxCheckpointEntries bounds the heads and legacy entries a payload may
// announce, so a corrupt count cannot make the parser allocate much.
const maxCheckpointEntries = 1 << 16

// ParseCheckpoint parses a payload of EncodeCheckpoint.
func ParseCheckpoint(p []byte) (Checkpoint, error) {
	var c Checkpoint
	r := bytes.NewReader(p)
	num := func() (int64, error) {
		var v uint64
		err := binary.Read(r, binary.BigEndian, &v)
		return int64(v), err //nolint:gosec // two's complement
	}
	str := func() (string, error) {
		var n uint32
		if err := binary.Read(r, binary.BigEndian, &n); err != nil {
			return "", err
		}
		if int64(n) > int64(r.Len()) {
			return "", errPayload
		}
		b := make([]byte, n)
		_, err := r.Read(b)
		return string(b), err
	}
	count := func() (int, error) {
		n, err := num()
		if err == nil && (n < 0 || n > maxCheckpointEntries) {
			err = errPayload
		}
		return int(n), err
	}
	fail := func(err error) (Checkpoint, error) { return Checkpoint{}, fmt.Errorf("%w: %w", errPayload, err) }
	v, err := str()
	if err != nil {
		return fail(err)
	}
	if v != checkpointVersion {
		return fail(fmt.Errorf("unknown version %q", v))
	}
	ms, err := num()
	if err != nil {
		return fail(err)
	}
	c.Created = time.UnixMilli(ms).UTC()
	if c.KeyID, err = str(); err != nil {
		return fail(err)
	}
	n, err := count()
	if err != nil {
		return fail(err)
	}
	for range n {
		var h store.ChainHead
		var shard int64
		var hash string
		if h.Chain, err = str(); err == nil {
			if shard, err = num(); err == nil {
				if h.Seq, err = num(); err == nil {
					hash, err = str()
				}
			}
		}
		if err != nil {
			return fail(err)
		}
		h.Shard, h.Hash = int(shard), []byte(hash)
		c.Heads = append(c.Heads, h)
	}
	if n, err = count(); err != nil {
		return fail(err)
	}
	for range n {
		var l store.ChainLegacy
		if l.Chain, err = str(); err == nil {
			if l.Count, err = num(); err == nil {
				l.MaxID, err = num()
			}
		}
		if err != nil {
			return fail(err)
		}
		c.Legacy = append(c.Legacy, l)
	}
	if r.Len() != 0 {
		return fail(errors.New("trailing bytes"))
	}
	return c, nil
}

// KeyID names an audit public key: the first 8 bytes of SHA-256 of its PKIX
// encoding, in hex.
func KeyID(pub *ecdsa.PublicKey) (string, []byte, error) {
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		return "", nil, fmt.Errorf("encode audit public key: %w", err)
	}
	sum := sha256.Sum256(der)
	return hex.EncodeToString(sum[:8]), der, nil
}

// ParsePublicKey parses an audit public key in PKIX DER.
func ParsePublicKey(der []byte) (*ecdsa.PublicKey, error) {
	k, err := x509.ParsePKIXPublicKey(der)
	if err != nil {
		return nil, fmt.Errorf("parse audit public key: %w", err)
	}
	pub, ok := k.(*ecdsa.PublicKey)
	if !ok || pub.Curve != elliptic.P256() {
		return nil, errors.New("parse audit public key: not an ECDSA P-256 key")
	}
	return pub, nil
}

// Signer signs checkpoints with the audit key, which it creates (sealed
// with the server key) on first use.
type Signer struct {
	st  ChainStore
	box *secretbox.Box
	now func() time.Time
}

// NewSigner returns a Signer over st; box seals the audit private key.
func NewSigner(st ChainStore, box *secretbox.Box, now func() time.Time) *Signer {
	if now == nil {
		now = time.Now
	}
	return &Signer{st: st, box: box, now: now}
}

// key returns the newest audit key, creating one when there is none.
func (s *Signer) key(ctx context.Context) (*ecdsa.PrivateKey, string, error) {
	k, err := s.st.GetAuditKey(ctx, "")
	if errors.Is(err, store.ErrNotFound) {
		priv, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			return nil, "", fmt.Errorf("generate audit key: %w", err)
		}
		id, pubDER, err := KeyID(&priv.PublicKey)
		if err != nil {
			return nil, "", err
		}
		der, err := x509.MarshalPKCS8PrivateKey(priv)
		if err != nil {
			return nil, "", fmt.Errorf("encode audit key: %w", err)
		}
		k = store.AuditKey{ID: id, PublicKey: pubDER, PrivateKey: s.box.Seal(der, keyContext), Created: s.now()}
		if err := s.st.InTx(ctx, func(tx store.Tx) error { return tx.CreateAuditKey(ctx, &k) }); err != nil {
			return nil, "", fmt.Errorf("store audit key: %w", err)
		}
		return priv, id, nil
	}
	if err != nil {
		return nil, "", fmt.Errorf("read audit key: %w", err)
	}
	der, err := s.box.Open(k.PrivateKey, keyContext)
	if err != nil {
		return nil, "", fmt.Errorf("open audit key %s: %w", k.ID, err)
	}
	pk, err := x509.ParsePKCS8PrivateKey(der)
	if err != nil {
		return nil, "", fmt.Errorf("parse audit key %s: %w", k.ID, err)
	}
	priv, ok := pk.(*ecdsa.PrivateKey)
	if !ok {
		return nil, "", fmt.Errorf("audit key %s is not ECDSA", k.ID)
	}
	return priv, k.ID, nil
}

// PublicKey returns the audit public key (PKIX DER) and its id, creating
// the key when there is none: publish it outside the database and pass it
// to verification.
func (s *Signer) PublicKey(ctx context.Context) (string, []byte, error) {
	priv, _, err := s.key(ctx)
	if err != nil {
		return "", nil, err
	}
	return KeyID(&priv.PublicKey)
}

// Checkpoint signs the current chain heads and unchained row counts and
// stores the checkpoint.
func (s *Signer) Checkpoint(ctx context.Context) (store.AuditCheckpoint, error) {
	priv, id, err := s.key(ctx)
	if err != nil {
		return store.AuditCheckpoint{}, err
	}
	heads, err := s.st.ListAuditChainHeads(ctx)
	if err != nil {
		return store.AuditCheckpoint{}, fmt.Errorf("audit checkpoint: %w", err)
	}
	legacy, err := s.st.ListAuditChainLegacy(ctx)
	if err != nil {
		return store.AuditCheckpoint{}, fmt.Errorf("audit checkpoint: %w", err)
	}
	now := time.UnixMilli(s.now().UnixMilli()).UTC() // the stored precision
	payload := EncodeCheckpoint(Checkpoint{Created: now, KeyID: id, Heads: heads, Legacy: legacy})
	sum := sha256.Sum256(payload)
	sig, err := ecdsa.SignASN1(rand.Reader, priv, sum[:])
	if err != nil {
		return store.AuditCheckpoint{}, fmt.Errorf("sign audit checkpoint: %w", err)
	}
	cp := store.AuditCheckpoint{Created: now, KeyID: id, Payload: payload, Signature: sig}
	if err := s.st.InTx(ctx, func(tx store.Tx) error { return tx.CreateAuditCheckpoint(ctx, &cp) }); err != nil {
		return store.AuditCheckpoint{}, fmt.Errorf("store audit checkpoint: %w", err)
	}
	return cp, nil
}

// OpenCheckpoint checks a stored checkpoint's signature with pub and parses
// its payload.
func OpenCheckpoint(cp store.AuditCheckpoint, pub *ecdsa.PublicKey) (Checkpoint, error) {
	sum := sha256.Sum256(cp.Payload)
	if !ecdsa.VerifyASN1(pub, sum[:], cp.Signature) {
		return Checkpoint{}, fmt.Errorf("audit checkpoint %d: signature does not verify", cp.ID)
	}
	c, err := ParseCheckpoint(cp.Payload)
	if err != nil {
		return Checkpoint{}, fmt.Errorf("audit checkpoint %d: %w", cp.ID, err)
	}
	if c.KeyID != cp.KeyID {
		return Checkpoint{}, fmt.Errorf("audit checkpoint %d: signed key id %s, stored %s", cp.ID, c.KeyID, cp.KeyID)
	}
	c.ID = cp.ID
	return c, nil
}

// ParsePublicKeyPEM parses an audit public key in a PEM "PUBLIC KEY" block.
func ParsePublicKeyPEM(b []byte) (*ecdsa.PublicKey, error) {
	blk, _ := pem.Decode(b)
	if blk == nil || blk.Type != "PUBLIC KEY" {
		return nil, errors.New("parse audit public key: no PEM PUBLIC KEY block")
	}
	return ParsePublicKey(blk.Bytes)
}

// EncodePublicKeyPEM returns an audit public key (PKIX DER) as PEM.
func EncodePublicKeyPEM(der []byte) []byte {
	return pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})
}

// PublicKey is an audit public key.
type PublicKey = ecdsa.PublicKey
