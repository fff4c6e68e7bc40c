package client

import (
	"context"
	"encoding/base64"
	"fmt"

	"github.com/mauth/mauth/protocol"
)

// ActivationState is an activation status as the device sees it.
type ActivationState string

// Activation states, from the status blob.
const (
	StateCreated       ActivationState = "CREATED"
	StatePendingCommit ActivationState = "PENDING_COMMIT"
	StateActive        ActivationState = "ACTIVE"
	StateBlocked       ActivationState = "BLOCKED"
	StateRemoved       ActivationState = "REMOVED"
)

var stateByCode = map[byte]ActivationState{
	protocol.StatusCreated: StateCreated, protocol.StatusPendingCommit: StatePendingCommit,
	protocol.StatusActive: StateActive, protocol.StatusBlocked: StateBlocked, protocol.StatusRemoved: StateRemoved,
}

// Status is the decrypted activation status.
type Status struct {
	State             ActivationState
	CurrentVersion    int
	UpgradeVersion    int
	FailedAttempts    int
	MaxFailedAttempts int
	// RemainingAttempts is MaxFailedAttempts − FailedAttempts.
	RemainingAttempts int
	// CounterSynced is true when the device counter matched the server's,
	// possibly after adopting the server's (the device was behind).
	CounterSynced bool
	// CounterAhead is how far the device counter is ahead of the server's
	// (signatures the server never saw); 0 when in sync.
	CounterAhead int
	CustomObject map[string]any
}

// ErrCounterDeadlock means the device counter cannot be matched to the
// server's: the activation must be replaced.
var ErrCounterDeadlock = fmt.Errorf("client: signature counter cannot be synchronised with the server")

// Status fetches the encrypted status blob, decrypts it and synchronises
// the signature counter (save the device afterwards).
func (c *Client) Status(ctx context.Context, d *Device) (*Status, error) {
	if d == nil || d.ActivationID == "" {
		return nil, ErrNotActivated
	}
	challenge := protocol.RandomBytes(protocol.StatusChallengeSize)
	var out struct {
		ActivationID        string         `json:"activationId"`
		EncryptedStatusBlob string         `json:"encryptedStatusBlob"`
		Nonce               string         `json:"nonce"`
		CustomObject        map[string]any `json:"customObject"`
	}
	req := map[string]string{"activationId": d.ActivationID, "challenge": b64(challenge)}
	if err := c.postObject(ctx, "/pa/v3/activation/status", nil, req, &out); err != nil {
		return nil, err
	}
	blobRaw, err := base64.StdEncoding.DecodeString(out.EncryptedStatusBlob)
	if err != nil {
		return nil, fmt.Errorf("client: status blob is not Base64")
	}
	nonce, err := base64.StdEncoding.DecodeString(out.Nonce)
	if err != nil {
		return nil, fmt.Errorf("client: status nonce is not Base64")
	}
	blob, err := protocol.DecryptStatusBlob(d.TransportKey, challenge, nonce, blobRaw)
	if err != nil {
		return nil, fmt.Errorf("client: %w", err)
	}
	st := &Status{
		State:             stateByCode[blob.Status],
		CurrentVersion:    int(blob.CurrentVersion),
		UpgradeVersion:    int(blob.UpgradeVersion),
		FailedAttempts:    int(blob.FailedAttempts),
		MaxFailedAttempts: int(blob.MaxFailedAttempts),
		RemainingAttempts: int(blob.MaxFailedAttempts) - int(blob.FailedAttempts),
		CustomObject:      out.CustomObject,
	}
	if st.State == "" {
		return nil, fmt.Errorf("client: unknown activation status %d", blob.Status)
	}
	if st.State != StateActive && st.State != StateBlocked {
		return st, nil
	}
	if blob.CtrLookAhead == 0 || blob.CtrLookAhead > protocol.MaxStatusLookAhead {
		return nil, fmt.Errorf("client: invalid counter look-ahead %d", blob.CtrLookAhead)
	}
	if err := syncCounter(d, blob, st); err != nil {
		return nil, err
	}
	return st, nil
}

// syncCounter interprets the hash distance and the counter byte distance.
func syncCounter(d *Device, blob *protocol.StatusBlob, st *Status) error {
	la := int(blob.CtrLookAhead)
	hashDist, err := protocol.CounterHashDistance(d.TransportKey, d.CtrData, blob.CtrDataHash, la)
	if err != nil {
		return err
	}
	byteDist := protocol.CounterByteDistance(byte(d.Counter), blob.CtrByte)
	switch {
	case hashDist == 0 && byteDist == 0:
		st.CounterSynced = true
	case hashDist > 0 && hashDist == -byteDist:
		// The server is ahead: adopt its counter.
		for i := 0; i < hashDist; i++ {
			d.CtrData = protocol.NextCtrData(d.CtrData)
		}
		d.Counter += uint64(hashDist)
		st.CounterSynced = true
	case hashDist == -1 && byteDist > 0 && byteDist <= la:
		st.CounterAhead = byteDist
	default:
		return ErrCounterDeadlock
	}
	return nil
}

func b64(b []byte) string { return base64.StdEncoding.EncodeToString(b) }
