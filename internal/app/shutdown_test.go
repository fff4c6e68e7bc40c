package app

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/mauth/mauth/internal/coreclient"
)

// TestGracefulShutdownUnderLoad cancels a serving app while activation
// inits are in flight (some held inside the handler, others arriving
// continuously): every held request still completes with 200, no request
// fails before the shutdown starts, and every acknowledged activation is
// in the database after the process is gone.
func TestGracefulShutdownUnderLoad(t *testing.T) {
	const held = 6    // requests held inside the handler when the shutdown starts
	const workers = 4 // goroutines sending requests back to back
	ctx := context.Background()
	c := testConfig(t, RoleAll)
	out := &syncBuffer{}
	c.Out = out
	a, err := New(ctx, c)
	if err != nil {
		t.Fatal(err)
	}
	// Hold the first `held` activation inits inside the private API until
	// the shutdown is under way.
	entered, release := make(chan struct{}, held), make(chan struct{})
	var gated atomic.Int64
	inner := a.Private
	a.Private = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.URL.Path, "/activation/init") && gated.Add(1) <= held {
			entered <- struct{}{}
			<-release
		}
		inner.ServeHTTP(w, r)
	})
	if err := a.Listen(ctx); err != nil {
		a.Close()
		t.Fatal(err)
	}
	serveCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	served := make(chan error, 1)
	go func() { served <- a.Serve(serveCtx) }()
	r := &running{App: a, out: out}
	admin := r.admin(t)
	if _, err := admin.CreateApplication(ctx, "shutdown"); err != nil {
		t.Fatal(err)
	}
	privAddr := a.PrivateAddr().String()

	var (
		mu           sync.Mutex
		acknowledged []string
		early        []error // failures before the shutdown started
		shutdownOn   atomic.Bool
	)
	initOne := func(user string) error {
		res, err := admin.InitActivation(ctx, coreclient.InitActivationRequest{UserID: user, ApplicationID: "shutdown"})
		mu.Lock()
		defer mu.Unlock()
		if err != nil {
			if !shutdownOn.Load() {
				early = append(early, err)
			}
			return err
		}
		acknowledged = append(acknowledged, res.ActivationID)
		return nil
	}

	var heldWG, loadWG sync.WaitGroup
	heldErrs := make(chan error, held)
	for i := range held {
		heldWG.Go(func() { heldErrs <- initOne(fmt.Sprintf("held-%d", i)) })
	}
	for range held {
		<-entered // every held request is inside the handler
	}
	started := make(chan struct{}, workers)
	for w := range workers {
		loadWG.Go(func() {
			for i := 0; ; i++ {
				err := initOne(fmt.Sprintf("load-%d-%d", w, i))
				if i == 0 {
					started <- struct{}{}
				}
				if err != nil {
					return // the server stopped accepting
				}
			}
		})
	}
	for range workers {
		<-started // each worker completed at least one request before the shutdown
	}

	shutdownOn.Store(true)
	cancel()
	// Wait until the listener is closed (the shutdown is under way), then
	// let the held requests finish.
	for {
		conn, err := net.Dial("tcp", privAddr)
		if err != nil {
			break
		}
		conn.Close()
	}
	close(release)
	heldWG.Wait()
	close(heldErrs)
	for err := range heldErrs {
		if err != nil {
			t.Errorf("a request in flight when the shutdown started failed: %v", err)
		}
	}
	loadWG.Wait()
	if err := <-served; err != nil {
		t.Fatalf("Serve: %v", err)
	}
	if err := a.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if len(early) > 0 {
		t.Fatalf("%d requests failed before the shutdown started, first: %v", len(early), early[0])
	}
	if len(acknowledged) < held+workers {
		t.Fatalf("%d acknowledged requests, want at least %d", len(acknowledged), held+workers)
	}

	// Nothing acknowledged is lost: reopen the database as a restarted
	// process would and find every acknowledged activation.
	st, err := OpenStore(ctx, c, false)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	for _, id := range acknowledged {
		if _, err := st.GetActivation(ctx, id); err != nil {
			t.Errorf("acknowledged activation %s lost: %v", id, err)
		}
	}
}
