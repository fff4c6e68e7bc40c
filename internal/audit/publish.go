package audit

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/mauth/mauth/internal/store"
)

// CheckpointDocument is a checkpoint as it is published outside the
// database (JSON; byte fields in standard Base64). Anyone holding it and
// the public key can check it with OpenCheckpoint.
type CheckpointDocument struct {
	ID        int64     `json:"id"`
	Created   time.Time `json:"created"`
	KeyID     string    `json:"keyId"`
	PublicKey []byte    `json:"publicKey"` // PKIX DER
	Payload   []byte    `json:"payload"`
	Signature []byte    `json:"signature"`
}

// Document returns the published form of cp, with the public key pubDER.
func Document(cp store.AuditCheckpoint, pubDER []byte) CheckpointDocument {
	return CheckpointDocument{ID: cp.ID, Created: cp.Created, KeyID: cp.KeyID, PublicKey: pubDER, Payload: cp.Payload, Signature: cp.Signature}
}

// Publish POSTs doc as JSON to url; any status but 2xx is an error.
func Publish(ctx context.Context, c *http.Client, url string, doc CheckpointDocument) error {
	body, err := json.Marshal(doc)
	if err != nil {
		return fmt.Errorf("publish audit checkpoint: %w", err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("publish audit checkpoint: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := c.Do(req)
	if err != nil {
		return fmt.Errorf("publish audit checkpoint: %w", err)
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("publish audit checkpoint: %s answered %s", url, resp.Status)
	}
	return nil
}
