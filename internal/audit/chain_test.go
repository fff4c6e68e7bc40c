package audit_test

import (
	"bytes"
	"context"
	"database/sql"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // raw SQL on PostgreSQL
	"github.com/stretchr/testify/require"

	"github.com/mauth/mauth/internal/audit"
	"github.com/mauth/mauth/internal/domain"
	"github.com/mauth/mauth/internal/secretbox"
	"github.com/mauth/mauth/internal/store"
	"github.com/mauth/mauth/internal/store/postgres"
	"github.com/mauth/mauth/internal/store/sqlite/sqlitetest"
	"github.com/mauth/mauth/internal/testutil/pgtest"
)

var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// backend opens a fresh migrated store and a raw SQL handle on the same
// database, for tampering behind the store's back.
type backend struct {
	name string
	open func(t testing.TB) (store.Store, *sql.DB)
}

var backends = []backend{
	{"sqlite", func(t testing.TB) (store.Store, *sql.DB) {
		s := sqlitetest.New(t)
		db, err := sql.Open("sqlite", "file:"+s.Path()+"?_pragma=busy_timeout(600000)")
		require.NoError(t, err)
		db.SetMaxOpenConns(1)
		t.Cleanup(func() { _ = db.Close() })
		return s, db
	}},
	{"postgres", func(t testing.TB) (store.Store, *sql.DB) {
		dsn := pgtest.NewDatabase(t)
		s, err := postgres.Open(context.Background(), dsn, postgres.Options{Migrate: true})
		require.NoError(t, err)
		db, err := sql.Open("pgx", dsn)
		require.NoError(t, err)
		t.Cleanup(func() {
			_ = db.Close()
			_ = s.Close()
		})
		return s, db
	}},
}

var appSeq atomic.Int64

// fixture is an application with one activation.
type fixture struct {
	app domain.Application
	act domain.Activation
}

func newFixture(t testing.TB, s store.Store) *fixture {
	t.Helper()
	ctx := context.Background()
	f := &fixture{app: domain.Application{Name: fmt.Sprintf("app-%d", appSeq.Add(1))}}
	require.NoError(t, s.InTx(ctx, func(tx store.Tx) error { return tx.CreateApplication(ctx, &f.app) }))
	f.act = domain.Activation{
		ActivationID: fmt.Sprintf("act-%d", time.Now().UnixNano()), ApplicationID: f.app.ID, UserID: "alice",
		Status: domain.ActivationActive, CtrData: make([]byte, 16), DevicePublicKey: []byte{2, 1},
		Protocol: domain.ProtocolPowerAuth, MaxFailedAttempts: 5, ServerPrivateKeyEncrypted: []byte("enc"),
		ServerPublicKey: []byte{4, 1}, Created: t0, Version: 3,
	}
	require.NoError(t, s.InTx(ctx, func(tx store.Tx) error { return tx.CreateActivation(ctx, &f.act) }))
	return f
}

func (f *fixture) sigAudit(i int) (domain.SignatureAudit, domain.AuditEntry) {
	r := domain.SignatureAudit{
		ActivationID: f.act.ActivationID, UserID: "alice", ApplicationID: f.app.ID, ActivationCounter: int64(i),
		ActivationCtrData: []byte{byte(i), 1}, ActivationStatus: domain.ActivationActive,
		AdditionalInfo: map[string]string{"k": fmt.Sprint(i)}, Data: []byte("data"), SignatureType: "possession_knowledge",
		Signature: fmt.Sprintf("sig-%d", i), SignatureVersion: "3.2", Note: "ok", Valid: i%2 == 0, Version: 3,
		Created: t0.Add(time.Duration(i) * time.Millisecond),
	}
	e := domain.AuditEntry{Type: domain.AuditAdminChange, Created: r.Created, Actor: "device", ActivationID: f.act.ActivationID,
		UserID: "alice", Details: map[string]string{"i": fmt.Sprint(i)}}
	return r, e
}

// write appends records to every chained table through each write path:
// a transaction (audit.Write, two history entries, the paired signature
// audit and entry) and the single-statement signature fast path: 3 audit
// entries, 2 history entries, 2 signature audit records.
func (f *fixture) write(t testing.TB, s store.Store, i int) {
	t.Helper()
	ctx := context.Background()
	err := s.InTx(ctx, func(tx store.Tx) error {
		if err := audit.Write(ctx, tx, t0, audit.Admin("TEST", "app", map[string]string{"n": fmt.Sprint(i)})); err != nil {
			return err
		}
		for range 2 {
			h := domain.ActivationHistory{ActivationID: f.act.ActivationID, Status: domain.ActivationActive,
				EventReason: "R", ExternalUserID: "admin", ActivationName: "phone", ActivationVersion: 3, Created: t0}
			if err := tx.CreateActivationHistory(ctx, &h); err != nil {
				return err
			}
		}
		r, e := f.sigAudit(i)
		return tx.CreateSignatureAuditWithEntry(ctx, &r, &e)
	})
	require.NoError(t, err)
	for {
		a, err := s.GetActivation(ctx, f.act.ActivationID)
		require.NoError(t, err)
		a.Counter++
		r, e := f.sigAudit(i + 1000000)
		ok, err := s.SwapActivationWithSignatureAudit(ctx, &a, &r, &e)
		require.NoError(t, err)
		if ok {
			return
		}
	}
}

// pad writes n rows to every chained table in one transaction, so that
// some chain of each table is long (n > 3*AuditChainShards guarantees one
// of at least 4 rows).
func (f *fixture) pad(t testing.TB, s store.Store, n int) {
	t.Helper()
	ctx := context.Background()
	require.NoError(t, s.InTx(ctx, func(tx store.Tx) error {
		for i := range n {
			r, e := f.sigAudit(i)
			if err := tx.CreateSignatureAudit(ctx, &r); err != nil {
				return err
			}
			if err := tx.CreateAuditEntry(ctx, &e); err != nil {
				return err
			}
			h := domain.ActivationHistory{ActivationID: f.act.ActivationID, Status: domain.ActivationBlocked, Created: e.Created, ActivationVersion: 3}
			if err := tx.CreateActivationHistory(ctx, &h); err != nil {
				return err
			}
		}
		return nil
	}))
}

const padRows = 3*store.AuditChainShards + 1

// target is a row in the middle of the longest chain of a table.
type target struct {
	table      string
	shard      int
	id, seq    int64
	next, last int64 // ids of the row after it and of the chain's last row
	lastSeq    int64
}

func pickTarget(t *testing.T, db *sql.DB, table string) target {
	t.Helper()
	tg := target{table: table}
	require.NoError(t, db.QueryRow(`SELECT chain_shard FROM `+table+` WHERE chain_seq IS NOT NULL
		GROUP BY chain_shard ORDER BY COUNT(*) DESC, chain_shard LIMIT 1`).Scan(&tg.shard))
	require.NoError(t, db.QueryRow(`SELECT id, chain_seq FROM `+table+` WHERE chain_shard = $1 AND chain_seq = 2`, tg.shard).Scan(&tg.id, &tg.seq))
	require.NoError(t, db.QueryRow(`SELECT id FROM `+table+` WHERE chain_shard = $1 AND chain_seq = 3`, tg.shard).Scan(&tg.next))
	require.NoError(t, db.QueryRow(`SELECT id, chain_seq FROM `+table+` WHERE chain_shard = $1 ORDER BY chain_seq DESC LIMIT 1`, tg.shard).Scan(&tg.last, &tg.lastSeq))
	require.Greater(t, tg.lastSeq, int64(3), "the longest chain has more than 3 rows")
	return tg
}

// contentColumn is a column of each table that an attacker edits.
var contentColumn = map[string]string{
	store.ChainAuditLog:          "actor",
	store.ChainActivationHistory: "event_reason",
	store.ChainSignatureAudit:    "note",
}

// copyColumns are the columns of a row copied by an insertion.
var copyColumns = map[string]string{
	store.ChainAuditLog:          "timestamp_created, type, actor, activation_id, user_id, application, ip_address, user_agent, details",
	store.ChainActivationHistory: "activation_id, activation_status, event_reason, external_user_id, activation_name, activation_version, timestamp_created",
	store.ChainSignatureAudit:    "activation_id, user_id, application_id, activation_counter, activation_ctr_data, activation_status, additional_info, data, signature_type, signature, signature_version, signature_metadata, note, valid, version, timestamp_created",
}

func exec(t *testing.T, db *sql.DB, q string, args ...any) {
	t.Helper()
	_, err := db.Exec(q, args...)
	require.NoError(t, err, q)
}

func lastID(t *testing.T, db *sql.DB, table string) int64 {
	t.Helper()
	var id int64
	require.NoError(t, db.QueryRow(`SELECT MAX(id) FROM `+table).Scan(&id))
	return id
}

// TestTamperingIsDetectedAndLocated: editing, deleting, inserting and
// reordering rows of every chained table with SQL, on both backends, is
// reported as the first break of the chain, at the row concerned.
func TestTamperingIsDetectedAndLocated(t *testing.T) {
	type want struct {
		kind  audit.BreakKind
		shard int
		seq   int64
		row   int64
	}
	cases := []struct {
		name   string
		tamper func(t *testing.T, s store.Store, db *sql.DB, tg target) want
	}{
		{"edit", func(t *testing.T, s store.Store, db *sql.DB, tg target) want {
			exec(t, db, `UPDATE `+tg.table+` SET `+contentColumn[tg.table]+` = 'mallory' WHERE id = $1`, tg.id)
			return want{audit.BreakChanged, tg.shard, tg.seq, tg.id}
		}},
		{"edit the last row", func(t *testing.T, s store.Store, db *sql.DB, tg target) want {
			exec(t, db, `UPDATE `+tg.table+` SET timestamp_created = timestamp_created + 1 WHERE id = $1`, tg.last)
			return want{audit.BreakChanged, tg.shard, tg.lastSeq, tg.last}
		}},
		{"edit content and content hash", func(t *testing.T, s store.Store, db *sql.DB, tg target) want {
			exec(t, db, `UPDATE `+tg.table+` SET `+contentColumn[tg.table]+` = 'mallory', chain_content = $1 WHERE id = $2`, make([]byte, 32), tg.id)
			return want{audit.BreakChanged, tg.shard, tg.seq, tg.id}
		}},
		{"edit the link", func(t *testing.T, s store.Store, db *sql.DB, tg target) want {
			exec(t, db, `UPDATE `+tg.table+` SET chain_hash = $1 WHERE id = $2`, make([]byte, 32), tg.id)
			return want{audit.BreakLink, tg.shard, tg.seq, tg.id}
		}},
		{"delete", func(t *testing.T, s store.Store, db *sql.DB, tg target) want {
			exec(t, db, `DELETE FROM `+tg.table+` WHERE id = $1`, tg.id)
			return want{audit.BreakDeleted, tg.shard, tg.seq, 0}
		}},
		{"delete the last row", func(t *testing.T, s store.Store, db *sql.DB, tg target) want {
			exec(t, db, `DELETE FROM `+tg.table+` WHERE id = $1`, tg.last)
			return want{audit.BreakDeleted, tg.shard, tg.lastSeq, 0}
		}},
		{"delete and renumber", func(t *testing.T, s store.Store, db *sql.DB, tg target) want {
			exec(t, db, `DELETE FROM `+tg.table+` WHERE id = $1`, tg.id)
			exec(t, db, `UPDATE `+tg.table+` SET chain_seq = chain_seq - 1 WHERE chain_shard = $1 AND chain_seq > $2`, tg.shard, tg.seq)
			return want{audit.BreakLink, tg.shard, tg.seq, tg.next}
		}},
		{"insert a copy", func(t *testing.T, s store.Store, db *sql.DB, tg target) want {
			cols := copyColumns[tg.table] + ", chain_shard, chain_seq, chain_content, chain_hash"
			exec(t, db, `INSERT INTO `+tg.table+` (`+cols+`) SELECT `+cols+` FROM `+tg.table+` WHERE id = $1`, tg.id)
			return want{audit.BreakInserted, tg.shard, tg.seq, lastID(t, db, tg.table)}
		}},
		{"insert a forged row in place of a row", func(t *testing.T, s store.Store, db *sql.DB, tg target) want {
			cols := copyColumns[tg.table]
			exec(t, db, `INSERT INTO `+tg.table+` (`+cols+`, chain_shard, chain_seq, chain_content, chain_hash) SELECT `+cols+`, chain_shard, chain_seq, chain_content, chain_hash FROM `+tg.table+` WHERE id = $1`, tg.id)
			id := lastID(t, db, tg.table)
			// Sorted before the genuine row: the new row takes its id and
			// the genuine row moves to the new id.
			exec(t, db, `UPDATE `+tg.table+` SET `+contentColumn[tg.table]+` = 'forged' WHERE id = $1`, id)
			fixContentHash(t, s, db, tg.table, tg.shard, id)
			exec(t, db, `UPDATE `+tg.table+` SET id = -1 WHERE id = $1`, tg.id)
			exec(t, db, `UPDATE `+tg.table+` SET id = $1 WHERE id = $2`, tg.id, id)
			exec(t, db, `UPDATE `+tg.table+` SET id = $1 WHERE id = -1`, id)
			return want{audit.BreakLink, tg.shard, tg.seq, tg.id}
		}},
		{"insert without a link", func(t *testing.T, s store.Store, db *sql.DB, tg target) want {
			cols := copyColumns[tg.table]
			exec(t, db, `INSERT INTO `+tg.table+` (`+cols+`) SELECT `+cols+` FROM `+tg.table+` WHERE id = $1`, tg.id)
			return want{audit.BreakInserted, -1, 0, lastID(t, db, tg.table)}
		}},
		{"reorder positions", func(t *testing.T, s store.Store, db *sql.DB, tg target) want {
			exec(t, db, `UPDATE `+tg.table+` SET chain_seq = CASE WHEN id = $1 THEN CAST($3 AS BIGINT) ELSE CAST($4 AS BIGINT) END WHERE id IN ($1, $2)`,
				tg.id, tg.next, tg.seq+1, tg.seq)
			return want{audit.BreakReordered, tg.shard, tg.seq, tg.id}
		}},
		{"reorder ids", func(t *testing.T, s store.Store, db *sql.DB, tg target) want {
			exec(t, db, `UPDATE `+tg.table+` SET id = -1 WHERE id = $1`, tg.id)
			exec(t, db, `UPDATE `+tg.table+` SET id = $1 WHERE id = $2`, tg.id, tg.next)
			exec(t, db, `UPDATE `+tg.table+` SET id = $1 WHERE id = -1`, tg.next)
			return want{audit.BreakReordered, tg.shard, tg.seq, tg.id}
		}},
	}
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			for _, table := range store.AuditChains {
				for _, tc := range cases {
					t.Run(table+"/"+tc.name, func(t *testing.T) {
						ctx := context.Background()
						s, db := b.open(t)
						f := newFixture(t, s)
						for i := range 10 {
							f.write(t, s, i)
						}
						f.pad(t, s, padRows)
						rep, err := audit.Verify(ctx, s, nil, t0)
						require.NoError(t, err)
						require.True(t, rep.OK(), "intact before tampering: %v", rep.Breaks)
						require.Equal(t, int64(10*(3+2+2)+3*padRows), rep.Records, "every write is a verified link")

						w := tc.tamper(t, s, db, pickTarget(t, db, table))
						rep, err = audit.Verify(ctx, s, nil, t0)
						require.NoError(t, err)
						require.Len(t, rep.Breaks, 1, "one broken chain: %v", rep.Breaks)
						got := rep.Breaks[0]
						require.Equal(t, want{got.Kind, got.Shard, got.Seq, got.RowID}, w, "break %s", got)
						require.Equal(t, table, got.Chain)
					})
				}
			}
		})
	}
}

// rewrite recomputes every link of a chain from its rows' current content
// and updates the head: what someone with database access but without the
// audit key can do after editing a row.
func rewrite(t *testing.T, s store.Store, db *sql.DB, table string, shard int) {
	t.Helper()
	type link struct {
		id            int64
		content, hash []byte
	}
	var links []link
	prev := store.ChainGenesis
	var seq int64
	require.NoError(t, s.WalkAuditChain(context.Background(), table, func(r store.ChainRecord) error {
		if r.Shard != shard {
			return nil
		}
		prev = store.ChainLink(prev, r.ContentHash)
		links = append(links, link{r.ID, bytes.Clone(r.ContentHash[:]), prev})
		seq = r.Seq
		return nil
	}))
	for _, l := range links {
		exec(t, db, `UPDATE `+table+` SET chain_content = $1, chain_hash = $2 WHERE id = $3`, l.content, l.hash, l.id)
	}
	exec(t, db, `UPDATE audit_chain_head SET seq = $1, hash = $2 WHERE chain = $3 AND shard = $4`, seq, prev, table, shard)
}

// fixContentHash sets the stored content hash of row id to the hash of its
// current content, as a forger would.
func fixContentHash(t *testing.T, s store.Store, db *sql.DB, table string, shard int, id int64) {
	t.Helper()
	var h []byte
	require.NoError(t, s.WalkAuditChain(context.Background(), table, func(r store.ChainRecord) error {
		if r.ID == id {
			h = bytes.Clone(r.ContentHash[:])
		}
		return nil
	}))
	require.NotNil(t, h)
	exec(t, db, `UPDATE `+table+` SET chain_content = $1 WHERE id = $2`, h, id)
}

// TestCheckpoints: a rewritten chain verifies on its own (what the chain
// alone cannot prove) but not against a signed checkpoint; a forged or
// re-signed checkpoint is reported, the latter when verification uses the
// public key kept outside the database.
func TestCheckpoints(t *testing.T) {
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			ctx := context.Background()
			s, db := b.open(t)
			f := newFixture(t, s)
			for i := range 10 {
				f.write(t, s, i)
			}
			f.pad(t, s, padRows)
			box, err := secretbox.New(secretbox.GenerateKey())
			require.NoError(t, err)
			signer := audit.NewSigner(s, box, func() time.Time { return t0 })
			keyID, pubDER, err := signer.PublicKey(ctx)
			require.NoError(t, err)
			pub, err := audit.ParsePublicKey(pubDER)
			require.NoError(t, err)

			tg := pickTarget(t, db, store.ChainSignatureAudit)
			exec(t, db, `UPDATE pa_signature_audit SET valid = NOT valid WHERE id = $1`, tg.id)
			rewrite(t, s, db, tg.table, tg.shard)
			rep, err := audit.Verify(ctx, s, pub, t0)
			require.NoError(t, err)
			require.True(t, rep.OK(), "without a checkpoint a full rewrite goes unnoticed: %v", rep.Breaks)

			heads, err := s.ListAuditChainHeads(ctx)
			require.NoError(t, err)
			cut := store.ChainHead{}
			for _, h := range heads {
				if h.Chain == store.ChainActivationHistory && h.Seq > cut.Seq {
					cut = h
				}
			}
			require.GreaterOrEqual(t, cut.Seq, int64(2))
			cp, err := signer.Checkpoint(ctx)
			require.NoError(t, err)
			require.Equal(t, keyID, cp.KeyID)
			for i := 10; i < 20; i++ {
				f.write(t, s, i) // the chains grow past the checkpoint
			}
			rep, err = audit.Verify(ctx, s, pub, t0)
			require.NoError(t, err)
			require.True(t, rep.OK(), "%v", rep.Breaks)
			require.Equal(t, cp.ID, rep.CheckpointID)

			// Edit the same row again and rewrite: the checkpoint holds.
			exec(t, db, `UPDATE pa_signature_audit SET valid = NOT valid WHERE id = $1`, tg.id)
			rewrite(t, s, db, tg.table, tg.shard)
			rep, err = audit.Verify(ctx, s, pub, t0)
			require.NoError(t, err)
			require.Len(t, rep.Breaks, 1, "%v", rep.Breaks)
			require.Equal(t, audit.BreakRewritten, rep.Breaks[0].Kind, "%s", rep.Breaks[0])
			require.Equal(t, tg.shard, rep.Breaks[0].Shard)

			// Truncating a chain below the checkpoint, head included.
			exec(t, db, `DELETE FROM pa_activation_history WHERE chain_shard = $1 AND chain_seq >= 2`, cut.Shard)
			rewrite(t, s, db, store.ChainActivationHistory, cut.Shard)
			rep, err = audit.Verify(ctx, s, pub, t0)
			require.NoError(t, err)
			require.Len(t, rep.Breaks, 2, "%v", rep.Breaks)
			got := rep.Breaks[0] // chains are walked in the order of store.AuditChains
			require.Equal(t, []any{audit.BreakDeleted, store.ChainActivationHistory, cut.Shard, int64(2)},
				[]any{got.Kind, got.Chain, got.Shard, got.Seq}, "%s", got)

			// A checkpoint payload edited, then one re-signed with a key
			// of the attacker's (stored as the audit key).
			exec(t, db, `UPDATE audit_checkpoint SET timestamp_created = timestamp_created + 1`)
			require.NoError(t, signCheckpointWithOwnKey(ctx, s, db, cp))
			rep, err = audit.Verify(ctx, s, pub, t0)
			require.NoError(t, err)
			require.Equal(t, audit.BreakCheckpoint, rep.Breaks[0].Kind, "%v", rep.Breaks)
			rep, err = audit.Verify(ctx, s, nil, t0)
			require.NoError(t, err)
			require.True(t, rep.OK(), "trusting the key in the database, a re-signed checkpoint passes: %v", rep.Breaks)
		})
	}
}

// signCheckpointWithOwnKey replaces the audit key and re-signs a checkpoint
// of the current heads with it.
func signCheckpointWithOwnKey(ctx context.Context, s store.Store, db *sql.DB, old store.AuditCheckpoint) error {
	box, err := secretbox.New(secretbox.GenerateKey())
	if err != nil {
		return err
	}
	if _, err := db.Exec(`DELETE FROM audit_key`); err != nil {
		return err
	}
	if _, err := db.Exec(`DELETE FROM audit_checkpoint`); err != nil {
		return err
	}
	_, err = audit.NewSigner(s, box, func() time.Time { return old.Created }).Checkpoint(ctx)
	return err
}

// TestParseCheckpointRoundTrip: the payload encoding round-trips and a
// truncated payload is an error.
func TestParseCheckpointRoundTrip(t *testing.T) {
	c := audit.Checkpoint{Created: t0, KeyID: "k1",
		Heads:  []store.ChainHead{{Chain: "a", Shard: 3, Seq: 9, Hash: []byte{1, 2}}},
		Legacy: []store.ChainLegacy{{Chain: "a", Count: 4, MaxID: 7}}}
	p := audit.EncodeCheckpoint(c)
	got, err := audit.ParseCheckpoint(p)
	require.NoError(t, err)
	require.Equal(t, c, got)
	for n := range len(p) {
		_, err := audit.ParseCheckpoint(p[:n])
		require.Error(t, err, "truncated at %d", n)
	}
	_, err = audit.ParseCheckpoint(append(p, 0))
	require.Error(t, err)
}

// FuzzParseCheckpoint: no payload makes the parser panic, and what parses
// re-encodes to itself.
func FuzzParseCheckpoint(f *testing.F) {
	f.Add(audit.EncodeCheckpoint(audit.Checkpoint{Created: t0, KeyID: "k",
		Heads: []store.ChainHead{{Chain: "audit_log", Shard: 1, Seq: 2, Hash: make([]byte, 32)}}}))
	f.Fuzz(func(t *testing.T, p []byte) {
		c, err := audit.ParseCheckpoint(p)
		if err != nil {
			return
		}
		if got := audit.EncodeCheckpoint(c); string(got) != string(p) {
			t.Fatalf("re-encoding differs")
		}
	})
}

// TestConcurrentWritersKeepTheChainsValid: writers on every path at once
// (and a verification running among them) leave every chain intact, with
// every write a link.
func TestConcurrentWritersKeepTheChainsValid(t *testing.T) {
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			ctx := context.Background()
			s, _ := b.open(t)
			const writers, each = 8, 15
			fs := make([]*fixture, writers)
			for i := range fs {
				fs[i] = newFixture(t, s)
			}
			var wg sync.WaitGroup
			errs := make(chan error, writers+1)
			for w := range writers {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for i := range each {
						fs[w].write(t, s, i)
					}
				}()
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				rep, err := audit.Verify(ctx, s, nil, t0)
				if err == nil && !rep.OK() {
					err = fmt.Errorf("breaks during writes: %v", rep.Breaks)
				}
				errs <- err
			}()
			wg.Wait()
			close(errs)
			for err := range errs {
				require.NoError(t, err)
			}
			rep, err := audit.Verify(ctx, s, nil, t0)
			require.NoError(t, err)
			require.True(t, rep.OK(), "%v", rep.Breaks)
			require.Equal(t, int64(writers*each*7), rep.Records)
		})
	}
}
