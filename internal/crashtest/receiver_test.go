package crashtest

import (
	"encoding/json"
	"io"
	"net/http"
	"sync"
	"time"

	"github.com/mauth/mauth/internal/callbacks"
)

// delivery is one callback request as the receiver saw it.
type delivery struct {
	body      []byte
	key       string
	signature string
	// activationID and status are read from the body.
	activationID string
	status       string
}

// recordingReceiver records every callback request. The first holdFirst
// requests are held (no answer) until release is closed, the client goes
// away or holdMax passes, so deliveries are in flight when the server
// dies.
type recordingReceiver struct {
	holdFirst int
	holdMax   time.Duration
	release   chan struct{}

	mu     sync.Mutex
	seen   []delivery
	held   []string // idempotency keys of the held requests
	heldCh chan struct{}
}

func newRecordingReceiver(holdFirst int, holdMax time.Duration) *recordingReceiver {
	return &recordingReceiver{holdFirst: holdFirst, holdMax: holdMax, release: make(chan struct{}), heldCh: make(chan struct{}, holdFirst)}
}

func (r *recordingReceiver) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	// Reading the whole body lets the server notice the client going
	// away (and cancel the request context).
	body, err := io.ReadAll(io.LimitReader(req.Body, 1<<20))
	if err != nil {
		w.WriteHeader(http.StatusBadRequest)
		return
	}
	var p struct {
		ActivationID string `json:"activationId"`
		Status       string `json:"activationStatus"`
	}
	_ = json.Unmarshal(body, &p)
	d := delivery{body: body, key: req.Header.Get("Idempotency-Key"), signature: req.Header.Get(callbacks.SignatureHeader),
		activationID: p.ActivationID, status: p.Status}
	r.mu.Lock()
	r.seen = append(r.seen, d)
	hold := len(r.seen) <= r.holdFirst
	if hold {
		r.held = append(r.held, d.key)
	}
	r.mu.Unlock()
	if hold {
		r.heldCh <- struct{}{}
		t := time.NewTimer(r.holdMax)
		defer t.Stop()
		select {
		case <-r.release:
		case <-req.Context().Done():
		case <-t.C:
		}
	}
	w.WriteHeader(http.StatusOK)
}

// snapshot returns the deliveries seen so far and the held keys.
func (r *recordingReceiver) snapshot() ([]delivery, []string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]delivery(nil), r.seen...), append([]string(nil), r.held...)
}
