package app

import (
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
)

func TestLimitInFlight(t *testing.T) {
	release := make(chan struct{})
	entered := make(chan struct{}, 4)
	h := limitInFlight(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		entered <- struct{}{}
		<-release
		w.WriteHeader(http.StatusOK)
	}), 2)

	var wg sync.WaitGroup
	codes := make(chan int, 2)
	for range 2 {
		wg.Go(func() {
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/pa/v3/status", nil))
			codes <- rec.Code
		})
	}
	<-entered
	<-entered

	// A third request while two are in flight is refused, retryably.
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/pa/v3/status", nil))
	if rec.Code != http.StatusServiceUnavailable || rec.Header().Get("Retry-After") != "1" {
		t.Fatalf("over the limit: %d, Retry-After %q; want 503 and 1", rec.Code, rec.Header().Get("Retry-After"))
	}
	close(release)
	wg.Wait()
	close(codes)
	for c := range codes {
		if c != http.StatusOK {
			t.Fatalf("admitted request answered %d", c)
		}
	}
	// The slots are free again.
	rec = httptest.NewRecorder()
	h2 := limitInFlight(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusNoContent) }), 1)
	for range 3 {
		h2.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/", nil))
		if rec.Code != http.StatusNoContent {
			t.Fatalf("sequential requests under the limit: %d", rec.Code)
		}
	}
}

func TestMaxInFlightConfig(t *testing.T) {
	tests := []struct {
		in      int
		wantPos bool
		want    int
	}{{-1, false, 0}, {0, true, 0}, {5, true, 5}}
	for _, tc := range tests {
		got := Config{MaxInFlight: tc.in}.maxInFlight()
		if (got > 0) != tc.wantPos || (tc.want > 0 && got != tc.want) {
			t.Fatalf("MaxInFlight %d: limit %d", tc.in, got)
		}
	}
	if h := limitInFlight(nil, 3); h != nil {
		t.Fatal("a nil surface must stay nil")
	}
}
