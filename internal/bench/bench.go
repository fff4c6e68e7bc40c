// Package bench measures a mauth server: signature verifications, token
// validations, activations and operations (created by the bank, approved
// by the device) per second through the real HTTP APIs, with latency
// percentiles and error counts, and in the same run the bounds they are
// compared with: the database's single-row read-modify-write transaction
// rate through the server's own store (same file or DSN, same durability
// settings) and the crypto-only verification rate.
//
// Each workload first runs saturated (a closed loop of Workers callers:
// its capacity) and then open-loop at Load × that capacity, where latency
// is measured from each request's scheduled start, so queueing counts.
// Every loop is bounded in request count and in time, except that each
// saturation worker completes at least one call and calls in flight finish
// (a slow machine stretches a phase rather than leaving it empty); only
// loopback or the URLs given are contacted.
package bench

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"runtime"
	"runtime/pprof"
	"strings"
	"time"

	"github.com/mauth/mauth/internal/app"
)

// Options configure a bench run.
type Options struct {
	// DatabaseURL is empty or sqlite:PATH for SQLite (in-process, temp
	// folder), or a postgres:// URL. With PublicURL it is only used to
	// measure the database bound.
	DatabaseURL string
	// SQLiteSynchronous and SQLiteSingleCommits set the embedded
	// database's durability and group commit (see app.Config); the
	// database bound always runs one transaction per call with the same
	// synchronous level.
	SQLiteSynchronous   string
	SQLiteSingleCommits bool
	// PublicURL and PrivateURL target a running server instead of
	// starting one; ClientToken/ClientSecret are its private API credentials.
	PublicURL, PrivateURL     string
	ClientToken, ClientSecret string
	// Devices is how many activated devices sign requests (default 64).
	Devices int
	// Workers is the concurrency of the saturation phases (default 16).
	Workers int
	// Duration is the length of each saturation and open-loop phase
	// (default 10s; Quick: 3s). A saturation phase lasts at least until
	// every worker completed one call, however long that takes.
	Duration time.Duration
	// Load is the open-loop rate as a fraction of the measured capacity
	// (default 0.7).
	Load float64
	// MaxRequests bounds every phase's request count (default 200000).
	MaxRequests int64
	// Quick shortens the run (under two minutes with PostgreSQL too).
	Quick bool
	// ProfileWorkload names the workload CPUProfile profiles (default
	// "verify"; also "token", "activation", "operation").
	ProfileWorkload string
	// CPUProfile, when set, receives a CPU profile of the verification
	// saturation phase (in-process: server and generator together).
	CPUProfile string
	// SeedActivations, when positive, bulk-loads that many activations
	// (with their history and audit rows) into the database before the
	// phases; see SeedResult.
	SeedActivations int
	// SkipCloud leaves out the cloud workload (in process it otherwise
	// enables the Test Server and allows callbacks to 127.0.0.1).
	SkipCloud bool
	// CloudUser and CloudPassword are a Cloud ROLE_ADMIN user of a running
	// target (in process the bench creates one); without them the cloud
	// workload is skipped on a running target.
	CloudUser, CloudPassword string
	// CloudCPUProfile, when set, receives a CPU profile of the cloud
	// saturation phase (in-process: server, test server and generator).
	CloudCPUProfile string
	// MaxInFlight is the in-process server's concurrency limit
	// (app.Config.MaxInFlight; 0: its default).
	MaxInFlight int
	// CallbackAllowedDestinations is the in-process server's callback
	// allow-list (app.Config.CallbackAllowedDestinations).
	CallbackAllowedDestinations []string
	// Logger receives the in-process server's logs (nil: discarded).
	Logger *slog.Logger
	// Progress receives the progress lines and the table (nil: silent).
	Progress io.Writer
}

func (o *Options) defaults() {
	if o.Devices <= 0 {
		o.Devices = 64
		if o.Quick {
			o.Devices = 32
		}
	}
	if o.Workers <= 0 {
		o.Workers = 16
	}
	if o.Duration <= 0 {
		o.Duration = 10 * time.Second
		if o.Quick {
			o.Duration = 3 * time.Second
		}
	}
	if o.Load <= 0 || o.Load > 1.5 {
		o.Load = 0.7
	}
	if o.MaxRequests <= 0 {
		o.MaxRequests = 200000
	}
	o.Workers = min(o.Workers, o.Devices)
}

// inFlightPerDevice × Devices bounds the open-loop generator's calls in
// flight; arrivals beyond it are dropped (a queue after a stall).
const inFlightPerDevice = 4

// Report is the JSON result of a run.
type Report struct {
	Started    time.Time `json:"started"`
	Backend    string    `json:"backend"`
	Target     string    `json:"target"`
	GoMaxProcs int       `json:"gomaxprocs"`
	NumCPU     int       `json:"numCpu"`
	Devices    int       `json:"devices"`
	Quick      bool      `json:"quick"`
	// Phases are every measured phase, workloads and bounds.
	Phases []PhaseResult `json:"phases"`
	// Capacity is the saturated throughput per workload (ok/s).
	Capacity map[string]float64 `json:"capacity"`
	// Bounds are the database RMW and crypto-only verification rates. The
	// database bound is measured before and again right after the verify
	// phases; DBBound is the mean of both, so that a change of the shared
	// machine's load between phases affects both sides of the ratio alike.
	DBBound     float64 `json:"dbRmwBound,omitempty"`
	CryptoBound float64 `json:"cryptoVerifyBound"`
	// ActivationCryptoBound is the rate of the crypto work of one
	// activation (init, temporary key, key exchange) without I/O.
	ActivationCryptoBound float64 `json:"activationCryptoBound"`
	// GeneratorActivationUs is the CPU time of the device's own crypto of
	// one activation (PBKDF2 of the PIN included), which the in-process
	// load generator spends on the server's CPUs.
	GeneratorActivationUs float64 `json:"generatorActivationCpuUs,omitempty"`
	// TokenCryptoBound is the rate of the token workload's crypto (digest
	// check, activation-scope ECIES) without I/O; TokenBound adds the
	// replay record's write (db-rmw) one after the other.
	TokenCryptoBound float64 `json:"tokenCryptoBound"`
	TokenBound       float64 `json:"tokenBound,omitempty"`
	// Ratios are each workload's capacity divided by each bound.
	Ratios map[string]float64 `json:"ratios"`
	// GeneratorSignUs is the load generator's own time per verification
	// request for computing the signature header (no I/O, so CPU time).
	GeneratorSignUs float64 `json:"generatorSignUsPerVerify,omitempty"`
	// PeakRSSKiB is VmHWM of this process (in-process target only: it
	// includes the load generator).
	PeakRSSKiB int64 `json:"peakRssKiB,omitempty"`
	// Seed describes the activations loaded before the phases, if any.
	Seed *SeedResult `json:"seed,omitempty"`
	// Cloud is the cloud workload's detail (nil when it was not run).
	Cloud *CloudReport `json:"cloud,omitempty"`
	// Notes explain what was measured how.
	Notes []string `json:"notes"`
}

// Run executes the bench and returns its report.
func Run(ctx context.Context, o Options) (*Report, error) {
	o.defaults()
	out := o.Progress
	rep := &Report{Started: time.Now().UTC(), GoMaxProcs: runtime.GOMAXPROCS(0), NumCPU: runtime.NumCPU(), Devices: o.Devices, Quick: o.Quick, Capacity: map[string]float64{}, Ratios: map[string]float64{}}
	rep.Backend = "sqlite"
	if strings.HasPrefix(o.DatabaseURL, "postgres") {
		rep.Backend = "postgres"
	}
	t, err := startTarget(ctx, o)
	if err != nil {
		return nil, err
	}
	defer t.stop()
	rep.Target = "in-process"
	if !t.inProcess {
		rep.Target = t.publicURL
	}
	logf(out, "mauth bench: %s, %s, %d devices, %d workers, %s phases, open loop at %.0f%% of capacity\n", rep.Backend, rep.Target, o.Devices, o.Workers, o.Duration, o.Load*100)
	if err := t.setupApp(ctx); err != nil {
		return nil, err
	}
	if o.SeedActivations > 0 {
		if rep.Seed, err = t.seed(ctx, o.SeedActivations, out); err != nil {
			return nil, err
		}
	}
	devs, err := t.provision(ctx, o.Devices, out)
	if err != nil {
		return nil, err
	}
	p := newPool(devs)
	// Open-loop calls still in flight at the end of a phase get this long
	// to finish: a safety net against a hung target, not a measure.
	drain := 2 * time.Minute

	add := func(r PhaseResult) {
		rep.Phases = append(rep.Phases, r)
		cpu := ""
		if r.CPUCores > 0 {
			cpu = fmt.Sprintf("  cpu %.2f cores %.0f µs/op", r.CPUCores, r.CPUPerOpUs)
		}
		logf(out, "  %-14s %-10s %9.1f/s  p50 %7.2f ms  p99 %7.2f ms  p99.9 %7.2f ms  errors %d%s %s\n", r.Name, r.Mode, r.Throughput, r.P50, r.P99, r.P999, r.Errors, cpu, kinds(r.ErrorKinds))
	}
	workload := func(name string, workers int, fn op, profile string) error {
		stopProfile, err := startCPUProfile(profile)
		if err != nil {
			return err
		}
		sat := closedLoop(ctx, out, name, workers, o.Duration, o.MaxRequests, fn)
		stopProfile()
		add(sat)
		rep.Capacity[name] = sat.Throughput
		if sat.Throughput > 0 {
			add(openLoop(ctx, out, name, sat.Throughput*o.Load, o.Duration, inFlightPerDevice*o.Devices, o.MaxRequests, drain, fn))
		}
		return ctx.Err()
	}

	// prof returns the CPU profile file of the workload, if it is profiled.
	prof := func(name string) string {
		if o.CPUProfile == "" || name != cmp.Or(o.ProfileWorkload, "verify") {
			return ""
		}
		return o.CPUProfile
	}
	// Bounds first, on the same database and devices.
	if t.st != nil {
		r := closedLoop(ctx, out, "db-rmw", o.Workers, o.Duration, o.MaxRequests, dbRMWOp(t.st, p))
		add(r)
		rep.DBBound = r.Throughput
	} else {
		rep.Notes = append(rep.Notes, "database bound not measured: give --database with the server's database to measure it")
	}
	fx, err := newCryptoFixture()
	if err != nil {
		return nil, fmt.Errorf("bench: crypto fixture: %w", err)
	}
	cr := closedLoop(ctx, out, "crypto-verify", runtime.GOMAXPROCS(0), o.Duration, o.MaxRequests, cryptoOp(fx))
	add(cr)
	rep.CryptoBound = cr.Throughput
	afx, err := newActivationCryptoFixture()
	if err != nil {
		return nil, fmt.Errorf("bench: activation crypto fixture: %w", err)
	}
	ar := closedLoop(ctx, out, "crypto-activation", runtime.GOMAXPROCS(0), o.Duration, o.MaxRequests, activationCryptoOp(afx))
	add(ar)
	rep.ActivationCryptoBound = ar.Throughput
	gr := closedLoop(ctx, out, "generator-activation", runtime.GOMAXPROCS(0), o.Duration, o.MaxRequests, generatorActivationOp(afx))
	add(gr)
	rep.GeneratorActivationUs = gr.CPUPerOpUs
	tfx, err := newTokenCryptoFixture()
	if err != nil {
		return nil, fmt.Errorf("bench: token crypto fixture: %w", err)
	}
	tr := closedLoop(ctx, out, "crypto-token", runtime.GOMAXPROCS(0), o.Duration, o.MaxRequests, tokenCryptoOp(tfx))
	add(tr)
	rep.TokenCryptoBound = tr.Throughput

	t.signTime.Store(0)
	t.signCount.Store(0)
	if err := workload("verify", o.Workers, t.verifyOp(p), prof("verify")); err != nil {
		return nil, err
	}
	if n := t.signCount.Load(); n > 0 {
		rep.GeneratorSignUs = float64(t.signTime.Load()) / float64(n) / 1e3
	}
	if t.st != nil {
		r := closedLoop(ctx, out, "db-rmw", o.Workers, o.Duration, o.MaxRequests, dbRMWOp(t.st, p))
		r.Mode = "saturation-after-verify"
		add(r)
		rep.DBBound = (rep.DBBound + r.Throughput) / 2
	}
	if err := workload("token", o.Workers, t.tokenOp(p), prof("token")); err != nil {
		return nil, err
	}
	if err := workload("activation", max(2, o.Workers/2), t.activationOp(), prof("activation")); err != nil {
		return nil, err
	}
	if err := t.probeOperations(ctx, p); err != nil {
		if !errors.Is(err, errNoMobileTokenAPI) {
			return nil, err
		}
		rep.Notes = append(rep.Notes, "operation not measured: the target does not serve the Mobile Token API (it needs the core service in the same server)")
	} else if err := workload("operation", o.Workers, t.operationOp(p), prof("operation")); err != nil {
		return nil, err
	}
	if rep.ActivationCryptoBound > 0 {
		rep.Ratios["activation/crypto-activation"] = rep.Capacity["activation"] / rep.ActivationCryptoBound
	}
	if rep.TokenCryptoBound > 0 && rep.DBBound > 0 {
		// The token's crypto and its replay record (one write transaction,
		// as db-rmw) one after the other.
		rep.TokenBound = 1 / (1/rep.TokenCryptoBound + 1/rep.DBBound)
		rep.Ratios["token/token-bound"] = rep.Capacity["token"] / rep.TokenBound
	}
	if !o.SkipCloud {
		if err := t.runCloud(ctx, o, add, rep); err != nil {
			if !errors.Is(err, errNoCloud) {
				return nil, err
			}
			rep.Notes = append(rep.Notes, "cloud not measured: "+err.Error())
		} else {
			rep.Notes = append(rep.Notes, cloudNote)
		}
	}
	for name, c := range rep.Capacity {
		if rep.DBBound > 0 {
			rep.Ratios[name+"/db-rmw"] = c / rep.DBBound
		}
		if rep.CryptoBound > 0 {
			rep.Ratios[name+"/crypto-verify"] = c / rep.CryptoBound
		}
	}
	if t.inProcess {
		rep.PeakRSSKiB = peakRSS()
		rep.Notes = append(rep.Notes, "in-process: the server and the load generator share the CPUs and the peak RSS")
		if rep.Backend == "sqlite" {
			sync := o.SQLiteSynchronous
			if sync == "" {
				sync = app.DefaultSQLiteSynchronous
			}
			rep.Notes = append(rep.Notes, fmt.Sprintf("sqlite: synchronous=%s, group commit %s; the db-rmw bound commits every transaction alone at the same synchronous level",
				sync, map[bool]string{false: "on", true: "off"}[o.SQLiteSingleCommits]))
		}
	}
	rep.Notes = append(rep.Notes,
		"verify: POST /pa/v3/signature/validate, 70% possession_knowledge, 20% possession_biometry, 10% possession; the PIN key is unwrapped once per device",
		"token: POST /pa/v3/activation/detail with X-PowerAuth-Token (MAC token validation plus an activation-scope encrypted body)",
		"activation: activation/init (private API) + activation/create key exchange (public API, by the Go client) + activation/commit (private API)",
		"db-rmw: one transaction per call: GetActivationForUpdate + UpdateActivation of a bench activation through the server's store; measured before and after the verify phases, the bound is the mean",
		"crypto-verify: open sealed server key + ECDH key derivation + signature look-ahead, one goroutine per CPU, no I/O",
		"crypto-activation: the server's crypto of one activation (open the master key, sign the code; key exchange: open the temporary key, ECIES decrypt of both layers, server key pair, ECDH key derivation, seal, both ECIES responses), one goroutine per CPU, no I/O; generator-activation: the device's side of it (PBKDF2 of the PIN included), which the in-process generator spends on the same CPUs",
		"crypto-token: MAC token digest check + activation-scope ECIES decrypt and response of /pa/v3/activation/detail, one goroutine per CPU, no I/O; the token bound adds one write transaction (db-rmw) for the replay record",
		"operation: operation/create of a payment for the device's user (private API) + /api/auth/token/app/operation/authorize of exactly its data with a possession_knowledge signature (Mobile Token API)")
	printTable(out, rep)
	printCloud(out, rep.Cloud)
	return rep, nil
}

// startCPUProfile starts a CPU profile into path (empty: none) and
// returns the function that stops it.
func startCPUProfile(path string) (func(), error) {
	if path == "" {
		return func() {}, nil
	}
	f, err := os.Create(path)
	if err != nil {
		return nil, fmt.Errorf("bench: CPU profile: %w", err)
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, fmt.Errorf("bench: CPU profile: %w", err)
	}
	return func() { pprof.StopCPUProfile(); f.Close() }, nil
}

// WriteJSON writes the report to path.
func (r *Report) WriteJSON(path string) error {
	b, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, append(b, '\n'), 0o644)
}

func logf(out io.Writer, format string, args ...any) {
	if out != nil {
		fmt.Fprintf(out, format, args...)
	}
}

func kinds(m map[string]int64) string {
	if len(m) == 0 {
		return ""
	}
	b, _ := json.Marshal(m)
	return string(b)
}

// printTable prints the summary: capacity, latency at the open-loop load
// and the ratio to each bound.
func printTable(out io.Writer, r *Report) {
	if out == nil {
		return
	}
	fmt.Fprintf(out, "\n%-18s %12s %12s %12s %12s %9s %9s %12s %12s\n", "workload", "capacity/s", "p50 ms", "p99 ms", "p99.9 ms", "errors", "dropped", "÷ db-rmw", "÷ crypto")
	for _, name := range []string{"verify", "token", "activation", "operation", "cloud-registration", "cloud", "cloud-pending"} {
		c, ok := r.Capacity[name]
		if !ok {
			continue
		}
		var ol, sat PhaseResult
		// errors are answers the server got wrong or refused; dropped are
		// open-loop arrivals the generator could not start because its
		// bound of requests in flight was reached (a queue after a stall).
		var errs, dropped int64
		for _, p := range r.Phases {
			if p.Name == name {
				d := p.ErrorKinds[kindGeneratorFull]
				errs += p.Errors - d
				dropped += d
				switch p.Mode {
				case "open-loop":
					ol = p
				case "saturation":
					sat = p
				}
			}
		}
		if ol.Mode == "" {
			// No open-loop phase (cloud registrations): the saturated latencies.
			ol = sat
		}
		ratio := func(k string) string {
			if v, ok := r.Ratios[k]; ok {
				return fmt.Sprintf("%.2f", v)
			}
			return "-"
		}
		fmt.Fprintf(out, "%-18s %12.1f %12.2f %12.2f %12.2f %9d %9d %12s %12s\n", name, c, ol.P50, ol.P99, ol.P999, errs, dropped, ratio(name+"/db-rmw"), ratio(name+"/crypto-verify"))
	}
	if r.DBBound > 0 {
		fmt.Fprintf(out, "%-14s %12.1f  (mean of before and after the verify phases)\n", "bound db-rmw", r.DBBound)
	}
	fmt.Fprintf(out, "%-14s %12.1f\n", "bound crypto", r.CryptoBound)
	if r.ActivationCryptoBound > 0 {
		fmt.Fprintf(out, "%-14s %12.1f  (ECDSA, ECDH, ECIES and sealing of one activation; activation ÷ bound %.2f)\n",
			"bound act-cpt", r.ActivationCryptoBound, r.Ratios["activation/crypto-activation"])
	}
	if r.GeneratorActivationUs > 0 {
		fmt.Fprintf(out, "generator device crypto %.0f µs CPU per activation (key pair, ECIES, ECDH, PBKDF2 of the PIN)\n", r.GeneratorActivationUs)
	}
	if r.TokenBound > 0 {
		fmt.Fprintf(out, "%-14s %12.1f  (digest + ECIES %.1f/s, then the replay write at db-rmw; token ÷ bound %.2f)\n",
			"bound token", r.TokenBound, r.TokenCryptoBound, r.Ratios["token/token-bound"])
	}
	for _, p := range r.Phases {
		if p.Mode == "saturation" && p.CPUCores > 0 {
			fmt.Fprintf(out, "cpu %-14s %5.2f cores busy, %6.0f µs CPU per op (this process)\n", p.Name, p.CPUCores, p.CPUPerOpUs)
		}
	}
	if r.GeneratorSignUs > 0 {
		fmt.Fprintf(out, "generator signing %.1f µs per verify request\n", r.GeneratorSignUs)
	}
	if r.PeakRSSKiB > 0 {
		fmt.Fprintf(out, "peak RSS %.1f MiB (server and generator)\n", float64(r.PeakRSSKiB)/1024)
	}
	fmt.Fprintln(out, "latencies are of the open-loop phase at the given fraction of capacity (cloud-registration: saturated)")
}
