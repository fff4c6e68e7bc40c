package store

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"math/rand/v2"
	"slices"
	"time"

	"github.com/mauth/mauth/internal/domain"
)

// The audit chains. Every row of the audit log, the activation history and
// the signature audit is a link of a hash chain: a chain is one of these
// tables and one of AuditChainShards shards. A row carries its shard, its
// position in the chain (seq, counted from 1), its content hash
// chain_content = SHA-256(content) and
//
//	chain_hash = SHA-256(chain_hash of the previous link || chain_content)
//
// where content is the row's canonical, versioned encoding
// (AuditEntryContent, ActivationHistoryContent, SignatureAuditContent) and
// the first link's predecessor is ChainGenesis. The store computes the link
// in the statement or transaction that inserts the row; audit_chain_head
// holds each chain's last link, and writers of one shard serialise on its
// row only.
const (
	ChainAuditLog          = "audit_log"
	ChainActivationHistory = "pa_activation_history"
	ChainSignatureAudit    = "pa_signature_audit"
)

// AuditChains lists the chained tables, in the order verification walks them.
var AuditChains = []string{ChainAuditLog, ChainActivationHistory, ChainSignatureAudit}

// AuditChainShards is the number of chains per table (00017_audit_chain
// creates their heads).
const AuditChainShards = 64

// ChainHashSize is the size of a chain hash (SHA-256).
const ChainHashSize = sha256.Size

// ChainGenesis is the predecessor hash of every chain's first link.
var ChainGenesis = make([]byte, ChainHashSize)

// chainContentVersion prefixes every content encoding; a new encoding gets
// a new version.
const chainContentVersion = "mauth-audit-chain/1"

// PickAuditShard returns the shard a new row joins. Writers spread over the
// shards so that they do not queue on one chain head.
func PickAuditShard() int { return rand.IntN(AuditChainShards) } //nolint:gosec // load spreading, not a secret

// ChainLink returns SHA-256(prev || contentHash), the link of a row whose
// predecessor has chain hash prev.
func ChainLink(prev []byte, contentHash [ChainHashSize]byte) []byte {
	h := sha256.New()
	h.Write(prev)
	h.Write(contentHash[:])
	return h.Sum(nil)
}

// ChainHead is the last link of a chain (Seq 0 and ChainGenesis for an
// empty chain).
type ChainHead struct {
	Chain string
	Shard int
	Seq   int64
	Hash  []byte
}

// ChainLegacy counts the unchained rows of a table.
type ChainLegacy struct {
	Chain string
	Count int64
	MaxID int64
}

// ChainRecord is one stored row of a chain as verification sees it.
type ChainRecord struct {
	// ID is the row's primary key.
	ID int64
	// Shard is the chain of the table the row belongs to.
	Shard int
	// Seq, StoredContent and Hash are the row's stored position, content
	// hash and chain hash.
	Seq           int64
	StoredContent []byte
	Hash          []byte
	// ContentHash is SHA-256 of the canonical encoding of the row's
	// content columns as they are now.
	ContentHash [ChainHashSize]byte
	// Created is the row's timestamp, for reports.
	Created time.Time
}

// AuditKey is the audit signing key: ECDSA P-256, the private key (PKCS #8)
// sealed with the server key.
type AuditKey struct {
	ID         string
	PublicKey  []byte // PKIX DER
	PrivateKey []byte // sealed PKCS #8 DER
	Created    time.Time
}

// AuditCheckpoint is a signed statement of every chain head at a time.
type AuditCheckpoint struct {
	ID        int64
	Created   time.Time
	KeyID     string
	Payload   []byte // canonical encoding of the heads
	Signature []byte // ASN.1 ECDSA signature of SHA-256(Payload)
}

// AuditChainReader holds the lookups of the audit chains.
type AuditChainReader interface {
	// ListAuditChainHeads returns the head of every chain, ordered by
	// chain (as in AuditChains) and shard.
	ListAuditChainHeads(ctx context.Context) ([]ChainHead, error)
	// WalkAuditChain calls fn for every chained row of a table (a shard in
	// range and a seq), in id order, streaming (rows are not collected).
	// Within a chain ids grow with seq, so each chain's rows come in
	// order. An fn error stops the walk and is returned.
	WalkAuditChain(ctx context.Context, chain string, fn func(ChainRecord) error) error
	// CountUnchainedAudit counts the rows of a chained table that are not
	// links of a chain (no shard or seq, or a shard out of range) and
	// returns their largest id: the rows written before the chains started
	// (see ListAuditChainLegacy), and any row inserted behind the store's
	// back.
	CountUnchainedAudit(ctx context.Context, chain string) (ChainLegacy, error)
	// ListAuditChainLegacy returns, per chained table, how many rows it
	// held when the chains started (they stay unchained) and their largest
	// id, ordered by chain.
	ListAuditChainLegacy(ctx context.Context) ([]ChainLegacy, error)
	// GetAuditKey returns the audit signing key id, or the newest one
	// when id is empty.
	GetAuditKey(ctx context.Context, id string) (AuditKey, error)
	// LatestAuditCheckpoint returns the newest checkpoint.
	LatestAuditCheckpoint(ctx context.Context) (AuditCheckpoint, error)
}

// AuditChainWriter holds the writes of audit keys and checkpoints (the
// chain links themselves are written by the audit inserts).
type AuditChainWriter interface {
	// CreateAuditKey stores a new audit signing key.
	CreateAuditKey(ctx context.Context, k *AuditKey) error
	// CreateAuditCheckpoint stores a checkpoint and sets c.ID.
	CreateAuditCheckpoint(ctx context.Context, c *AuditCheckpoint) error
}

// chainEncoder builds a canonical encoding: every field is a 4-byte
// big-endian length followed by its bytes, so no two field sequences
// encode alike.
type chainEncoder struct{ b []byte }

func newChainEncoder(chain string, shard int) *chainEncoder {
	e := &chainEncoder{b: make([]byte, 0, 256)}
	e.str(chainContentVersion)
	e.str(chain)
	e.int(int64(shard))
	return e
}

func (e *chainEncoder) bytes(p []byte) {
	e.b = binary.BigEndian.AppendUint32(e.b, uint32(len(p))) //nolint:gosec // fields are far below 4 GiB
	e.b = append(e.b, p...)
}

func (e *chainEncoder) str(s string) {
	e.b = binary.BigEndian.AppendUint32(e.b, uint32(len(s))) //nolint:gosec // fields are far below 4 GiB
	e.b = append(e.b, s...)
}

func (e *chainEncoder) int(v int64) {
	e.b = binary.BigEndian.AppendUint32(e.b, 8)
	e.b = binary.BigEndian.AppendUint64(e.b, uint64(v)) //nolint:gosec // two's complement on purpose
}

func (e *chainEncoder) bool(v bool) {
	if v {
		e.int(1)
	} else {
		e.int(0)
	}
}

// strMap encodes a map as its size and its sorted key/value pairs; empty
// values are kept (a nil and an empty map encode alike).
func (e *chainEncoder) strMap(m map[string]string) {
	e.int(int64(len(m)))
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		e.str(k)
		e.str(m[k])
	}
}

func (e *chainEncoder) sum() [ChainHashSize]byte { return sha256.Sum256(e.b) }

// AuditEntryContent returns the content hash of an audit-log row in a
// shard: every column but the id and the chain columns.
func AuditEntryContent(e *domain.AuditEntry, shard int) [ChainHashSize]byte {
	c := newChainEncoder(ChainAuditLog, shard)
	c.int(e.Created.UnixMilli())
	c.str(string(e.Type))
	c.str(e.Actor)
	c.str(e.ActivationID)
	c.str(e.UserID)
	c.str(e.Application)
	c.str(e.IP)
	c.str(e.UserAgent)
	c.strMap(e.Details)
	return c.sum()
}

// ActivationHistoryContent returns the content hash of an activation
// history row in a shard.
func ActivationHistoryContent(h *domain.ActivationHistory, shard int) [ChainHashSize]byte {
	c := newChainEncoder(ChainActivationHistory, shard)
	c.str(h.ActivationID)
	c.int(int64(h.Status))
	c.str(h.EventReason)
	c.str(h.ExternalUserID)
	c.str(h.ActivationName)
	c.int(int64(h.ActivationVersion))
	c.int(h.Created.UnixMilli())
	return c.sum()
}

// SignatureAuditContent returns the content hash of a signature audit row
// in a shard.
func SignatureAuditContent(r *domain.SignatureAudit, shard int) [ChainHashSize]byte {
	c := newChainEncoder(ChainSignatureAudit, shard)
	c.str(r.ActivationID)
	c.str(r.UserID)
	c.int(r.ApplicationID)
	c.int(r.ActivationCounter)
	c.bytes(r.ActivationCtrData)
	c.int(int64(r.ActivationStatus))
	c.strMap(r.AdditionalInfo)
	c.bytes(r.Data)
	c.str(r.SignatureType)
	c.str(r.Signature)
	c.str(r.SignatureVersion)
	c.bytes(r.SignatureMetadata)
	c.str(r.Note)
	c.bool(r.Valid)
	c.int(int64(r.Version))
	c.int(r.Created.UnixMilli())
	return c.sum()
}
