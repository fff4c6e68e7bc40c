package main

import (
	"encoding/json"
	"os"

	"github.com/spf13/cobra"

	"github.com/mauth/mauth/internal/bench"
)

// newBenchCommand builds `mauth bench`.
func newBenchCommand() *cobra.Command {
	var o bench.Options
	var out string
	cmd := &cobra.Command{
		Use:   "bench",
		Short: "Measure verifications, token validations, activations and operations per second against their bounds",
		Long: `Measure a mauth server through its HTTP APIs: signature verifications/s
(/pa/v3/signature/validate, 70% possession_knowledge, 20% possession_biometry,
10% possession), token validations/s (/pa/v3/activation/detail with a MAC
token), activations/s (init + key exchange + commit) and operations/s (the
bank creates a payment through the private API, the device approves it
through the Mobile Token API with a possession_knowledge signature) and the
cloud scenario (Cloud API registrations and operations, devices simulated by
the Test Server, pending lists polled by 10% of the users, signed callbacks
received on loopback; its capacity is compared with the operation
workload's), each saturated and then open-loop at --load × capacity with p50/p99/p99.9
latency and errors.
In the same run it measures the bounds: the database's single-row
read-modify-write transaction rate through the server's store, and the
crypto-only verification rate; every capacity is printed as a ratio to them.

By default it starts mauth in this process on 127.0.0.1 with a temporary
SQLite database; --database postgres://… uses PostgreSQL instead. To target
a running server give --public-url, --private-url and the private API
credentials (and --database to measure the database bound).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			tuneGC() // the in-process server runs as mauth serve would
			if o.DatabaseURL == "" {
				o.DatabaseURL = os.Getenv("MAUTH_DATABASE")
			}
			if o.ClientSecret == "" {
				o.ClientSecret = os.Getenv("MAUTH_BENCH_CLIENT_SECRET")
			}
			if o.CloudPassword == "" {
				o.CloudPassword = os.Getenv("MAUTH_BENCH_CLOUD_PASSWORD")
			}
			o.Progress = cmd.OutOrStdout()
			rep, err := bench.Run(cmd.Context(), o)
			if err != nil {
				return err
			}
			if out != "" {
				if err := rep.WriteJSON(out); err != nil {
					return err
				}
				cmd.Printf("report written to %s\n", out)
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.DatabaseURL, "database", "", "database: empty for a temporary SQLite file, sqlite:PATH or postgres://… (env MAUTH_DATABASE)")
	f.StringVar(&o.SQLiteSynchronous, "sqlite-synchronous", "", "embedded SQLite durability: FULL (default) or NORMAL")
	f.BoolVar(&o.SQLiteSingleCommits, "sqlite-single-commits", false, "embedded SQLite: commit every transaction alone (group commit off)")
	f.StringVar(&o.PublicURL, "public-url", "", "public API of a running server (default: start one in this process)")
	f.StringVar(&o.PrivateURL, "private-url", "", "private API of the running server")
	f.StringVar(&o.ClientToken, "client-token", "", "private API client token of the running server")
	f.StringVar(&o.ClientSecret, "client-secret", "", "private API client secret (env MAUTH_BENCH_CLIENT_SECRET; prefer the environment)")
	f.BoolVar(&o.SkipCloud, "skip-cloud", false, "leave out the cloud workload (Cloud API + Test Server scenario)")
	f.StringVar(&o.CloudUser, "cloud-user", "", "Cloud ROLE_ADMIN user of the running server (in process the bench creates one)")
	f.StringVar(&o.CloudPassword, "cloud-password", "", "its password (env MAUTH_BENCH_CLOUD_PASSWORD; prefer the environment)")
	f.IntVar(&o.Devices, "devices", 0, "activated devices (default 64, quick 32)")
	f.IntVar(&o.Workers, "workers", 0, "concurrent callers of the saturation phases (default 16)")
	f.DurationVar(&o.Duration, "duration", 0, "length of each phase (default 10s, quick 3s)")
	f.Float64Var(&o.Load, "load", 0, "open-loop rate as a fraction of the measured capacity (default 0.7)")
	f.Int64Var(&o.MaxRequests, "max-requests", 0, "request limit of each phase (default 200000)")
	f.IntVar(&o.SeedActivations, "seed-activations", 0, "bulk-load this many activations (with history and audit rows) into the database before the phases")
	f.BoolVar(&o.Quick, "quick", false, "short run (under two minutes)")
	f.StringVar(&o.CPUProfile, "cpuprofile", "", "write a CPU profile of a saturation phase (--profile-workload) to this file")
	f.StringVar(&o.ProfileWorkload, "profile-workload", "verify", "the workload --cpuprofile profiles: verify, token, activation or operation")
	f.StringVar(&o.CloudCPUProfile, "cloud-cpuprofile", "", "write a CPU profile of the cloud saturation phase to this file")
	f.StringVar(&out, "out", "", "write the JSON report to this file")
	cmd.AddCommand(newBenchPushCommand())
	return cmd
}

// newBenchPushCommand builds `mauth bench push`.
func newBenchPushCommand() *cobra.Command {
	var o bench.PushOptions
	var out string
	cmd := &cobra.Command{
		Use:   "push",
		Short: "Measure campaign delivery to a fake APNs (notifications/s, ratio to the fake's ceiling, RSS)",
		Long: `Start mauth in this process with a fake APNs (TLS + HTTP/2, verifying the
provider token, headers and payload like Apple), register --devices
activations with an APNs token each (bulk insert), create a campaign to
all their users and send it live: the dispatcher queues and delivers it
to the fake. Prints notifications/s from the live send to the last
recorded outcome, the fake's own ceiling measured in the same run
(pre-built requests, no database) with the ratio, and the memory (RSS
during delivery and the peak). It fails unless every device got its
message.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			tuneGC()
			if o.DatabaseURL == "" {
				o.DatabaseURL = os.Getenv("MAUTH_DATABASE")
			}
			o.Progress = cmd.OutOrStdout()
			rep, err := bench.RunPush(cmd.Context(), o)
			if rep != nil && out != "" {
				if werr := writeJSONFile(out, rep); werr != nil {
					return werr
				}
				cmd.Printf("report written to %s\n", out)
			}
			return err
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.DatabaseURL, "database", "", "database: empty for a temporary SQLite file, sqlite:PATH or postgres://… (env MAUTH_DATABASE)")
	f.StringVar(&o.SQLiteSynchronous, "sqlite-synchronous", "", "embedded SQLite durability: FULL (default) or NORMAL")
	f.IntVar(&o.Devices, "devices", 0, "registered devices the campaign reaches (default 100000)")
	f.IntVar(&o.CeilingRequests, "ceiling-requests", 0, "requests measuring the fake's ceiling (default min(devices, 50000))")
	f.IntVar(&o.Workers, "workers", 0, "dispatcher sends at once (default: push.workers)")
	f.IntVar(&o.BatchSize, "batch-size", 0, "dispatcher claim size (default: push.batch_size)")
	f.StringVar(&o.CPUProfile, "cpuprofile", "", "write a CPU profile of the delivery to this file")
	f.StringVar(&out, "out", "", "write the JSON report to this file")
	return cmd
}

// writeJSONFile writes v as indented JSON.
func writeJSONFile(path string, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, append(b, '\n'), 0o644)
}
