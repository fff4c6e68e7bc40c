package testserver

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/mauth/mauth/client"
	"github.com/mauth/mauth/internal/domain"
	"github.com/mauth/mauth/internal/secretbox"
	"github.com/mauth/mauth/internal/store"
	"github.com/mauth/mauth/internal/store/postgres/postgrestest"
	"github.com/mauth/mauth/internal/store/sqlite/sqlitetest"
	"github.com/mauth/mauth/protocol"
)

func backends(t *testing.T, fn func(t *testing.T, s store.Store)) {
	t.Run("sqlite", func(t *testing.T) { fn(t, sqlitetest.New(t)) })
	t.Run("postgres", func(t *testing.T) { fn(t, postgrestest.New(t)) })
}

// seedDevice stores an application and a device with made-up keys (no
// server is needed to compute signatures).
func seedDevice(t *testing.T, s store.Store, box *secretbox.Box) string {
	return seedDeviceTB(t, s, box)
}

func seedDeviceTB(t testing.TB, s store.Store, box *secretbox.Box) string {
	t.Helper()
	ctx := context.Background()
	master, err := protocol.GenerateKeyPair()
	require.NoError(t, err)
	serverKey, err := protocol.GenerateKeyPair()
	require.NoError(t, err)
	app := domain.TestApplication{
		ApplicationID: "app", Name: "App",
		ApplicationKey:    base64.StdEncoding.EncodeToString(protocol.RandomBytes(16)),
		ApplicationSecret: base64.StdEncoding.EncodeToString(protocol.RandomBytes(16)),
		MasterPublicKey:   base64.StdEncoding.EncodeToString(master.Public().Uncompressed()),
		Created:           time.Now(), Updated: time.Now(),
	}
	dev := client.Device{
		ActivationID: "11111111-2222-4333-8444-555555555555", ServerPublicKey: serverKey.Public().Uncompressed(),
		PossessionKey: protocol.RandomBytes(16), BiometryKey: protocol.RandomBytes(16), TransportKey: protocol.RandomBytes(16),
		WrappedKnowledgeKey: protocol.RandomBytes(16), PINSalt: protocol.RandomBytes(16), CtrData: protocol.RandomBytes(16),
	}
	plain, err := json.Marshal(dev)
	require.NoError(t, err)
	row := domain.TestDevice{ActivationID: dev.ActivationID, ApplicationID: app.ApplicationID, SealedState: box.Seal(plain, sealContext(dev.ActivationID)), Created: time.Now(), Updated: time.Now()}
	require.NoError(t, s.InTx(ctx, func(tx store.Tx) error {
		if err := tx.PutTestApplication(ctx, &app); err != nil {
			return err
		}
		return tx.CreateTestDevice(ctx, &row)
	}))
	return dev.ActivationID
}

// TestTwoNodesShareADevice runs two test servers (two processes) over one
// database and has both sign for the same device at once: the
// compare-and-set on the stored revision gives every signature its own
// counter, and none is lost.
func TestTwoNodesShareADevice(t *testing.T) {
	backends(t, func(t *testing.T, s store.Store) {
		ctx := context.Background()
		box, err := secretbox.New(secretbox.GenerateKey())
		require.NoError(t, err)
		id := seedDevice(t, s, box)
		var nodes []*Server
		for range 2 {
			n, err := New(Options{Store: s, Box: box, PublicURL: "http://127.0.0.1:1"})
			require.NoError(t, err)
			nodes = append(nodes, n)
		}
		const perNode = 10
		var (
			wg      sync.WaitGroup
			mu      sync.Mutex
			headers = map[string]bool{}
			errs    []error
		)
		for _, n := range nodes {
			for range perNode {
				wg.Add(1)
				go func() {
					defer wg.Done()
					res, err := n.ComputeOnlineSignature(ctx, ComputeOnlineSignatureRequest{
						ActivationID: id, ApplicationID: "app", HTTPMethod: "POST", ResourceID: "/x", SignatureType: "POSSESSION",
					})
					mu.Lock()
					defer mu.Unlock()
					if err != nil {
						errs = append(errs, err)
						return
					}
					headers[res.AuthHeader] = true
				}()
			}
		}
		wg.Wait()
		require.Empty(t, errs)
		require.Len(t, headers, 2*perNode, "every signature is distinct")
		row, err := s.GetTestDevice(ctx, id)
		require.NoError(t, err)
		plain, err := box.Open(row.SealedState, sealContext(id))
		require.NoError(t, err)
		var dev client.Device
		require.NoError(t, json.Unmarshal(plain, &dev))
		require.Equal(t, uint64(2*perNode), dev.Counter, "no counter advance is lost")
		require.Equal(t, int64(1+2*perNode), row.Revision)
	})
}

// TestSealedState checks that the stored state is sealed: no key of the
// device appears in the row, and a row moved to another activation id
// does not open.
func TestSealedState(t *testing.T) {
	s := sqlitetest.New(t)
	box, err := secretbox.New(secretbox.GenerateKey())
	require.NoError(t, err)
	id := seedDevice(t, s, box)
	row, err := s.GetTestDevice(context.Background(), id)
	require.NoError(t, err)
	plain, err := box.Open(row.SealedState, sealContext(id))
	require.NoError(t, err)
	var dev client.Device
	require.NoError(t, json.Unmarshal(plain, &dev))
	require.NotContains(t, string(row.SealedState), string(dev.PossessionKey))
	_, err = box.Open(row.SealedState, sealContext("another"))
	require.Error(t, err)
}

func TestParseSignatureType(t *testing.T) {
	for in, want := range map[string]protocol.SignatureType{
		"possession": protocol.SignaturePossession, "POSSESSION_KNOWLEDGE": protocol.SignaturePossessionKnowledge,
		"Possession_Biometry": protocol.SignaturePossessionBiometry,
	} {
		got, ok := parseSignatureType(in)
		require.True(t, ok, in)
		require.Equal(t, want, got)
	}
	for _, in := range []string{"", "face", "possession knowledge"} {
		_, ok := parseSignatureType(in)
		require.False(t, ok, in)
	}
}

// TestUnreachablePublicAPI: a public API that cannot be reached is
// REMOTE_EXECUTION_ERROR, and a signed call that never left keeps the
// stored state consistent (the counter advance stored before the call).
func TestUnreachablePublicAPI(t *testing.T) {
	ctx := context.Background()
	s := sqlitetest.New(t)
	box, err := secretbox.New(secretbox.GenerateKey())
	require.NoError(t, err)
	id := seedDevice(t, s, box)
	n, err := New(Options{Store: s, Box: box, PublicURL: "http://127.0.0.1:1", Version: protocol.Version32})
	require.NoError(t, err)
	var te *Error
	_, err = n.CreateActivation(ctx, CreateActivationRequest{ApplicationID: "app", ActivationCode: "AAAAA-AAAAA-AAAAA-AAAAA"})
	require.ErrorAs(t, err, &te)
	require.Equal(t, CodeRemoteExecution, te.Code)
	err = n.RejectOperation(ctx, RejectOperationRequest{ActivationID: id, ApplicationID: "app", OperationID: "op"})
	require.ErrorAs(t, err, &te)
	require.Equal(t, CodeRemoteExecution, te.Code)
	row, err := s.GetTestDevice(ctx, id)
	require.NoError(t, err)
	require.Equal(t, int64(2), row.Revision, "the signature's counter was stored before the call")
	_, err = n.CreateActivation(ctx, CreateActivationRequest{ApplicationID: "missing", ActivationCode: "x"})
	require.ErrorAs(t, err, &te)
	require.Equal(t, CodeAppConfigNotFound, te.Code)
}

// BenchmarkComputeOnlineSignature measures one compute-online of one
// device on the embedded database: open the sealed state, sign, seal and
// compare-and-set the state. With the knowledge factor the client derives
// the PIN key (PBKDF2, 10,000 iterations) on every signature.
func BenchmarkComputeOnlineSignature(b *testing.B) {
	ctx := context.Background()
	s := sqlitetest.New(b)
	box, err := secretbox.New(secretbox.GenerateKey())
	require.NoError(b, err)
	id := seedDeviceTB(b, s, box)
	n, err := New(Options{Store: s, Box: box, PublicURL: "http://127.0.0.1:1"})
	require.NoError(b, err)
	for _, typ := range []string{"POSSESSION", "POSSESSION_KNOWLEDGE"} {
		b.Run(typ, func(b *testing.B) {
			req := ComputeOnlineSignatureRequest{ActivationID: id, ApplicationID: "app", HTTPMethod: "POST", ResourceID: "/x", SignatureType: typ, Password: "1234"}
			b.ReportAllocs()
			for b.Loop() {
				if _, err := n.ComputeOnlineSignature(ctx, req); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
