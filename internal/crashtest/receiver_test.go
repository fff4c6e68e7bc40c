package crashtest

import (
	"encoding/json"
	"io"
	"net/http"
	"sync"

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

// recordingReceiver records every callback request. Until release is
// closed it holds every request (no answer) until the client goes away, so
// deliveries are in flight whenever the server is killed, however long the
// test took to get there; after release it answers 200 at once.
type recordingReceiver struct {
	release     chan struct{}
	releaseOnce sync.Once

	mu      sync.Mutex
	seen    []delivery
	held    []string // idempotency keys of the held requests
	holding int      // requests held right now
}

func newRecordingReceiver() *recordingReceiver {
	return &recordingReceiver{release: make(chan struct{})}
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
	hold := !r.released()
	if hold {
		r.held = append(r.held, d.key)
		r.holding++
	}
	r.mu.Unlock()
	if hold {
		select {
		case <-r.release:
		case <-req.Context().Done():
		}
		r.mu.Lock()
		r.holding--
		r.mu.Unlock()
	}
	w.WriteHeader(http.StatusOK)
}

// released reports whether release was closed.
func (r *recordingReceiver) released() bool {
	select {
	case <-r.release:
		return true
	default:
		return false
	}
}

// answer stops holding: held requests and every later one are answered.
func (r *recordingReceiver) answer() { r.releaseOnce.Do(func() { close(r.release) }) }

// inFlight returns the number of requests held right now.
func (r *recordingReceiver) inFlight() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.holding
}

// snapshot returns the deliveries seen so far and the held keys.
func (r *recordingReceiver) snapshot() ([]delivery, []string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]delivery(nil), r.seen...), append([]string(nil), r.held...)
}
