package app

import (
	"context"
	"fmt"
	"time"

	"dossier/internal/contract"
	"dossier/internal/notify"
)

// ExpiryJob is the daily contract job: the day's reminders to contract
// owners, then expiry, renewal and retention upkeep (`dossier jobs run
// expiry` runs it at once).
const ExpiryJob = "expiry"

// expiryHour is the local hour the daily contract job runs at, before
// legal's working day starts.
const expiryHour = 6

// registerJobs adds the scheduled jobs to the runner.
func (a *App) registerJobs() error {
	return a.Jobs.Register(ExpiryJob, notify.Daily(expiryHour, time.Local), a.expiry)
}

// expiry sends each reminder due today to its contract's owner, in the app
// and by e-mail, once per threshold however often it runs, then sweeps the
// contracts (expires, renews, tops up retention, rebuilds the index).
// Reminders go first so a renewing contract's "expires today" reminder is
// computed on its expiry day. A reminder that fails is counted and tried
// again at the next run; the others still go out. Changes are audited as
// the context's actor: Dossier itself when scheduled, the operator for
// `dossier jobs run`.
func (a *App) expiry(ctx context.Context) (notify.Result, error) {
	counts := map[string]int{}
	res := notify.Result{Counts: counts}
	var first error
	err := a.Contracts.DueFrom(ctx, a.cfg.Domain, a.now(), func(_ contract.Contract, r contract.Reminder) error {
		sent, err := a.Notify.Deliver(ctx, notify.Delivery{
			Key: r.Key, UserID: r.To, Domain: r.Domain, Subject: r.Subject, Body: r.Body, Link: r.Link,
		})
		switch {
		case err != nil:
			counts["failed"]++
			if first == nil {
				first = fmt.Errorf("reminder %s: %w", r.Key, err)
			}
		case sent:
			counts["sent"]++
		default:
			counts["skipped"]++ // sent before, or the owner is disabled
		}
		return ctx.Err()
	})
	if err != nil {
		return res, fmt.Errorf("contract reminders: %w", err)
	}
	sw, err := a.Contracts.Sweep(ctx, a.cfg.Domain)
	counts["expired"], counts["renewed"], counts["retention extended"] = sw.Expired, sw.Renewed, sw.Retention
	if sw.Failed > 0 {
		counts["sweep failed"] = sw.Failed
	}
	if err != nil {
		return res, fmt.Errorf("contract sweep: %w", err)
	}
	if first != nil {
		return res, fmt.Errorf("%d reminders not sent (tried again at the next run); the first: %w", counts["failed"], first)
	}
	return res, nil
}
