package storetest

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/mauth/mauth/internal/domain"
	"github.com/mauth/mauth/internal/store"
)

// testAuditChains: every audit insert is the next link of a chain of its
// table (the head advances with it, content and link hashes as the
// contract defines them), the walk streams the links in id order, and
// audit keys and checkpoints round-trip (00017_audit_chain).
func testAuditChains(t *testing.T, s store.Store) {
	ctx := context.Background()
	app := newApp(t, s)
	a := newActivation(t, s, app.ID, "u")
	heads, err := s.ListAuditChainHeads(ctx)
	require.NoError(t, err)
	require.Len(t, heads, len(store.AuditChains)*store.AuditChainShards)
	for _, h := range heads {
		require.Zero(t, h.Seq)
		require.Equal(t, store.ChainGenesis, h.Hash)
	}

	const n = 20
	inTx(t, s, func(ctx context.Context, tx store.Tx) error {
		for i := range n {
			e := domain.AuditEntry{Type: domain.AuditAdminChange, Created: at(0), Actor: "a", Details: map[string]string{"i": uid()}}
			if err := tx.CreateAuditEntry(ctx, &e); err != nil {
				return err
			}
			h := domain.ActivationHistory{ActivationID: a.ActivationID, Status: domain.ActivationActive, Created: at(0), ActivationVersion: 3}
			if err := tx.CreateActivationHistory(ctx, &h); err != nil {
				return err
			}
			r := domain.SignatureAudit{ActivationID: a.ActivationID, UserID: "u", ApplicationID: app.ID, ActivationCounter: int64(i),
				SignatureType: "possession", Signature: "s", Valid: true, Version: 3, Created: at(0)}
			e2 := domain.AuditEntry{Type: domain.AuditSignatureVerified, Created: at(0)}
			if err := tx.CreateSignatureAuditWithEntry(ctx, &r, &e2); err != nil {
				return err
			}
		}
		return nil
	})
	heads, err = s.ListAuditChainHeads(ctx)
	require.NoError(t, err)
	want := map[string]int64{store.ChainAuditLog: 2 * n, store.ChainActivationHistory: n, store.ChainSignatureAudit: n}
	for _, chain := range store.AuditChains {
		total, walked := int64(0), int64(0)
		last := map[int]store.ChainRecord{}
		prev := map[int][]byte{}
		require.NoError(t, s.WalkAuditChain(ctx, chain, func(r store.ChainRecord) error {
			p, ok := prev[r.Shard]
			if !ok {
				p = store.ChainGenesis
			}
			require.Equal(t, last[r.Shard].Seq+1, r.Seq, "positions follow each other")
			require.Greater(t, r.ID, last[r.Shard].ID, "ids grow with positions")
			require.Equal(t, r.ContentHash[:], r.StoredContent, "the stored content hash is the content's")
			require.Equal(t, store.ChainLink(p, r.ContentHash), r.Hash, "the link is SHA-256(previous || content)")
			prev[r.Shard], last[r.Shard] = r.Hash, r
			walked++
			return nil
		}))
		for _, h := range heads {
			if h.Chain != chain {
				continue
			}
			total += h.Seq
			require.Equal(t, last[h.Shard].Seq, h.Seq, "%s shard %d head", chain, h.Shard)
			if h.Seq > 0 {
				require.Equal(t, last[h.Shard].Hash, h.Hash)
			}
		}
		require.Equal(t, want[chain], total, chain)
		require.Equal(t, want[chain], walked, chain)
		u, err := s.CountUnchainedAudit(ctx, chain)
		require.NoError(t, err)
		require.Zero(t, u.Count, "no unchained rows in %s", chain)
	}
	legacy, err := s.ListAuditChainLegacy(ctx)
	require.NoError(t, err)
	require.Len(t, legacy, len(store.AuditChains))

	_, err = s.GetAuditKey(ctx, "")
	require.ErrorIs(t, err, store.ErrNotFound)
	_, err = s.LatestAuditCheckpoint(ctx)
	require.ErrorIs(t, err, store.ErrNotFound)
	k1 := store.AuditKey{ID: "k1", PublicKey: []byte("pub1"), PrivateKey: []byte("sealed1"), Created: at(0)}
	k2 := store.AuditKey{ID: "k2", PublicKey: []byte("pub2"), PrivateKey: []byte("sealed2"), Created: at(time.Minute)}
	cp1 := store.AuditCheckpoint{Created: at(0), KeyID: "k1", Payload: []byte("p1"), Signature: []byte("s1")}
	cp2 := store.AuditCheckpoint{Created: at(time.Minute), KeyID: "k2", Payload: []byte("p2"), Signature: []byte("s2")}
	inTx(t, s, func(ctx context.Context, tx store.Tx) error {
		for _, k := range []*store.AuditKey{&k1, &k2} {
			if err := tx.CreateAuditKey(ctx, k); err != nil {
				return err
			}
		}
		if err := tx.CreateAuditCheckpoint(ctx, &cp1); err != nil {
			return err
		}
		return tx.CreateAuditCheckpoint(ctx, &cp2)
	})
	got, err := s.GetAuditKey(ctx, "")
	require.NoError(t, err)
	require.Equal(t, k2, got, "the newest key")
	got, err = s.GetAuditKey(ctx, "k1")
	require.NoError(t, err)
	require.Equal(t, k1, got)
	_, err = s.GetAuditKey(ctx, "nope")
	require.ErrorIs(t, err, store.ErrNotFound)
	cp, err := s.LatestAuditCheckpoint(ctx)
	require.NoError(t, err)
	require.Greater(t, cp2.ID, cp1.ID)
	require.Equal(t, cp2, cp)
}
