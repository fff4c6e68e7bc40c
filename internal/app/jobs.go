package app

import (
	"context"
	"encoding/base64"
	"time"
)

// jobInterval is how often the maintenance jobs run.
const jobInterval = 5 * time.Second

// expireBatch bounds the activations one run of the expiry job handles.
const expireBatch = 100

// runJobs runs the periodic maintenance jobs until ctx ends.
func (a *App) runJobs(ctx context.Context) {
	t := time.NewTicker(jobInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			a.runJobsOnce(ctx)
		}
	}
}

// runJobsOnce runs each maintenance job once: the expiry of unfinished
// activations and of pending operations, and the purge of expired temporary keys and replay-cache
// entries, and of expired console sessions. Failures are logged (errors carry no secrets) and retried on the
// next tick; a run cut short by shutdown is not an error.
func (a *App) runJobsOnce(ctx context.Context) {
	if a.Service == nil {
		return
	}
	n, err := a.Service.ExpireActivations(ctx, expireBatch)
	switch {
	case err != nil && ctx.Err() == nil:
		a.log.ErrorContext(ctx, "job failed: expire activations", "error", err)
	case n > 0:
		a.log.InfoContext(ctx, "expired unfinished activations", "count", n)
	}
	ops, err := a.Service.ExpireOperations(ctx, expireBatch)
	switch {
	case err != nil && ctx.Err() == nil:
		a.log.ErrorContext(ctx, "job failed: expire operations", "error", err)
	case ops > 0:
		a.log.InfoContext(ctx, "expired pending operations", "count", ops)
	}
	res, err := a.Service.PurgeExpired(ctx)
	switch {
	case err != nil && ctx.Err() == nil:
		a.log.ErrorContext(ctx, "job failed: purge expired records", "error", err)
	case res.TemporaryKeys+res.UniqueValues > 0:
		a.log.DebugContext(ctx, "purged expired records", "temporaryKeys", res.TemporaryKeys, "replayCacheEntries", res.UniqueValues)
	}
	if a.Console != nil {
		sessions, err := a.Console.PurgeSessions(ctx)
		switch {
		case err != nil && ctx.Err() == nil:
			a.log.ErrorContext(ctx, "job failed: purge console sessions", "error", err)
		case sessions > 0:
			a.log.DebugContext(ctx, "purged expired console sessions", "count", sessions)
		}
	}
}

func encodeKey(k []byte) string { return base64.StdEncoding.EncodeToString(k) }
