package bench

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/mauth/mauth/client"
)

// op is one unit of work of a phase; seq numbers the calls from 0.
type op func(ctx context.Context, seq uint64) error

// PhaseResult is the outcome of one measured phase.
type PhaseResult struct {
	// Name is the workload ("verify", "token", "activation", "operation",
	// "db-rmw", "crypto-verify").
	Name string `json:"name"`
	// Mode is "saturation" (closed loop, Workers concurrent callers) or
	// "open-loop" (requests started at OfferedRate regardless of answers).
	Mode    string `json:"mode"`
	Workers int    `json:"workers,omitempty"`
	// OfferedRate is the open-loop arrival rate (requests/s).
	OfferedRate float64 `json:"offeredRate,omitempty"`
	// Requests counts started calls; OK the successful ones.
	Requests int64 `json:"requests"`
	OK       int64 `json:"ok"`
	Errors   int64 `json:"errors"`
	// ErrorKinds counts errors by kind (e.g. "HTTP 503").
	ErrorKinds map[string]int64 `json:"errorKinds,omitempty"`
	// Seconds is the measured wall time.
	Seconds float64 `json:"seconds"`
	// Throughput is OK / Seconds.
	Throughput float64 `json:"throughput"`
	// Latency percentiles in milliseconds (open loop: from the scheduled
	// start, so queueing in the generator counts).
	P50  float64 `json:"p50Ms"`
	P99  float64 `json:"p99Ms"`
	P999 float64 `json:"p999Ms"`
	Max  float64 `json:"maxMs"`
	// CPUCores is the CPU time this process used during the phase divided
	// by its wall time: how many cores were busy (in process: server and
	// generator together; a PostgreSQL server's own CPU is not included).
	// Zero where the process CPU time cannot be read.
	CPUCores float64 `json:"cpuCores,omitempty"`
	// CPUPerOpUs is that CPU time per successful call, in microseconds.
	CPUPerOpUs float64 `json:"cpuPerOpUs,omitempty"`
}

// setCPU fills the CPU fields from the CPU time used during the phase.
func (p *PhaseResult) setCPU(cpu time.Duration) {
	if cpu <= 0 || p.Seconds <= 0 {
		return
	}
	p.CPUCores = cpu.Seconds() / p.Seconds
	if p.OK > 0 {
		p.CPUPerOpUs = float64(cpu.Microseconds()) / float64(p.OK)
	}
}

// recorder collects latencies and errors of one phase.
type recorder struct {
	mu        sync.Mutex
	latencies []time.Duration
	kinds     map[string]int64
	requests  atomic.Int64
	ok        atomic.Int64
	errs      atomic.Int64
}

func newRecorder() *recorder { return &recorder{kinds: map[string]int64{}} }

func (r *recorder) record(d time.Duration, err error) {
	if err == nil {
		r.ok.Add(1)
		r.mu.Lock()
		r.latencies = append(r.latencies, d)
		r.mu.Unlock()
		return
	}
	r.errs.Add(1)
	k := errorKind(err)
	r.mu.Lock()
	r.kinds[k]++
	r.mu.Unlock()
}

func (r *recorder) result(name, mode string, elapsed time.Duration) PhaseResult {
	r.mu.Lock()
	defer r.mu.Unlock()
	res := PhaseResult{Name: name, Mode: mode, Requests: r.requests.Load(), OK: r.ok.Load(), Errors: r.errs.Load(), Seconds: elapsed.Seconds()}
	if len(r.kinds) > 0 {
		res.ErrorKinds = make(map[string]int64, len(r.kinds))
		for k, v := range r.kinds {
			res.ErrorKinds[k] = v
		}
	}
	if elapsed > 0 {
		res.Throughput = float64(res.OK) / elapsed.Seconds()
	}
	if n := len(r.latencies); n > 0 {
		slices.Sort(r.latencies)
		pct := func(p float64) float64 {
			i := min(int(p*float64(n)), n-1)
			return float64(r.latencies[i].Microseconds()) / 1000
		}
		res.P50, res.P99, res.P999 = pct(0.50), pct(0.99), pct(0.999)
		res.Max = float64(r.latencies[n-1].Microseconds()) / 1000
	}
	return res
}

// errorKind classifies an error for the report.
func errorKind(err error) string {
	var apiErr *client.APIError
	var httpErr *httpError
	var netErr net.Error
	switch {
	case errors.As(err, &apiErr):
		return fmt.Sprintf("HTTP %d", apiErr.HTTPStatus)
	case errors.As(err, &httpErr):
		return fmt.Sprintf("HTTP %d", httpErr.status)
	case errors.Is(err, errGeneratorFull):
		return kindGeneratorFull
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, context.Canceled):
		return "timeout"
	case errors.As(err, &netErr):
		return "transport"
	}
	return "other"
}

// httpError is a non-2xx answer of a raw bench request.
type httpError struct {
	status int
	body   string
}

func (e *httpError) Error() string { return fmt.Sprintf("HTTP %d: %s", e.status, e.body) }

// kindGeneratorFull is the error kind of errGeneratorFull.
const kindGeneratorFull = "generator-full"

// errGeneratorFull is recorded when the open-loop generator already has
// its maximum of requests in flight and must drop an arrival.
var errGeneratorFull = errors.New("bench: too many requests in flight, arrival dropped")

// progress prints a one-line status every interval until stop is closed.
func progress(out io.Writer, label string, r *recorder, start time.Time, stop <-chan struct{}, done chan<- struct{}) {
	defer close(done)
	if out == nil {
		return
	}
	t := time.NewTicker(500 * time.Millisecond)
	defer t.Stop()
	for {
		select {
		case <-stop:
			fmt.Fprintf(out, "\r%-60s\r", "")
			return
		case <-t.C:
			el := time.Since(start).Seconds()
			fmt.Fprintf(out, "\r  %-34s %5.1fs %8d ok %6d err %9.0f/s", label, el, r.ok.Load(), r.errs.Load(), float64(r.ok.Load())/el)
		}
	}
}

// closedLoop runs fn from workers goroutines, each calling again as soon
// as its last call returned, until dur has elapsed or maxReq calls were
// started (0: no count limit). The phase is defined by work as well as by
// time: every worker completes at least one call however long it takes,
// so a slow or busy machine stretches the phase instead of leaving it
// empty, and calls in flight when dur ends are not cut off but complete
// and count (only ctx cancels them).
func closedLoop(ctx context.Context, out io.Writer, name string, workers int, dur time.Duration, maxReq int64, fn op) PhaseResult {
	r := newRecorder()
	cpu0 := processCPU()
	start := time.Now()
	end := start.Add(dur)
	stop, done := make(chan struct{}), make(chan struct{})
	go progress(out, name+" (saturation)", r, start, stop, done)
	var seq atomic.Uint64
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for first := true; ctx.Err() == nil && (first || time.Now().Before(end)); first = false {
				n := seq.Add(1) - 1
				if maxReq > 0 && int64(n) >= maxReq {
					return
				}
				r.requests.Add(1)
				t0 := time.Now()
				err := fn(ctx, n)
				if err != nil && ctx.Err() != nil {
					// The run was cancelled: not the server's error.
					r.requests.Add(-1)
					return
				}
				r.record(time.Since(t0), err)
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	cpu := processCPU() - cpu0
	close(stop)
	<-done
	res := r.result(name, "saturation", elapsed)
	res.Workers = workers
	res.setCPU(cpu)
	return res
}

// openLoop starts fn at rate calls per second (evenly spaced) for dur, at
// most maxInFlight at a time (further arrivals are dropped and counted as
// errors) and at most maxReq in total. The first arrival is at the start,
// so a phase always sends at least one call, however low the rate. Latency
// is measured from each call's scheduled start. In-flight calls get drain
// to finish afterwards: a safety net, not a measure (give minutes).
func openLoop(ctx context.Context, out io.Writer, name string, rate float64, dur time.Duration, maxInFlight int, maxReq int64, drain time.Duration, fn op) PhaseResult {
	r := newRecorder()
	callCtx, cancelCalls := context.WithTimeout(ctx, dur+drain)
	defer cancelCalls()
	start := time.Now()
	stop, done := make(chan struct{}), make(chan struct{})
	go progress(out, fmt.Sprintf("%s (open loop %.0f/s)", name, rate), r, start, stop, done)
	interval := time.Duration(float64(time.Second) / rate)
	sem := make(chan struct{}, maxInFlight)
	var wg sync.WaitGroup
	for i := int64(0); maxReq <= 0 || i < maxReq; i++ {
		at := start.Add(time.Duration(i) * interval)
		if at.Sub(start) >= dur || ctx.Err() != nil {
			break
		}
		if d := time.Until(at); d > 0 {
			select {
			case <-time.After(d):
			case <-ctx.Done():
			}
		}
		r.requests.Add(1)
		select {
		case sem <- struct{}{}:
		default:
			r.record(0, errGeneratorFull)
			continue
		}
		wg.Go(func() {
			defer func() { <-sem }()
			err := fn(callCtx, uint64(i))
			r.record(time.Since(at), err)
		})
	}
	sent := time.Since(start)
	wg.Wait()
	close(stop)
	<-done
	res := r.result(name, "open-loop", sent)
	res.OfferedRate = rate
	return res
}
