package app

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"dossier/internal/authz"
	"dossier/internal/contract"
	"dossier/internal/notify"
)

// ExpiryJob is the daily contract job: the day's reminders to contract
// owners, then expiry, renewal and retention upkeep (`dossier jobs run
// expiry` runs it at once).
const ExpiryJob = "expiry"

// expiryHour is the hour (UTC, the calendar contract dates are kept in)
// the daily contract job runs at: before the working day in the Americas
// and Europe, and on the same date as theirs.
const expiryHour = 6

// DocumentsJob is the daily controlled-documents job: revisions published
// for the day take effect and retention is topped up, then the day's
// review and acknowledgement reminders go out (`dossier jobs run
// documents` runs it at once).
const DocumentsJob = "documents"

// documentsHour is the hour (UTC) the documents job runs at, before the
// contract job: a revision's effective date is a UTC day too.
const documentsHour = 5

// registerJobs adds the scheduled jobs to the runner.
func (a *App) registerJobs() error {
	return errors.Join(
		a.Jobs.Register(ExpiryJob, notify.Daily(expiryHour, time.UTC), a.expiry),
		a.Jobs.Register(DocumentsJob, notify.Daily(documentsHour, time.UTC), a.documents),
	)
}

// documents runs the day's document work in every domain that has
// documents (and the configured one). A domain that fails does not stop
// the others.
func (a *App) documents(ctx context.Context) (notify.Result, error) {
	counts := map[string]int{}
	domains, err := a.Documents.Domains(ctx)
	if err != nil {
		return notify.Result{Counts: counts}, fmt.Errorf("document domains: %w", err)
	}
	if !slices.Contains(domains, a.cfg.Domain) {
		domains = append(domains, a.cfg.Domain)
	}
	var failed []error
	for _, d := range domains {
		if err := a.documentsIn(ctx, d, counts); err != nil {
			failed = append(failed, fmt.Errorf("%s: %w", d, err))
		}
	}
	return notify.Result{Counts: counts}, errors.Join(failed...)
}

// documentsIn sweeps a domain's documents first — a revision published
// for today takes effect, the one it replaces is superseded and locked for
// six years, retention is topped up, the index rebuilt — so the reminders
// that follow are about what is in effect today: to owners before and
// after a review falls due, to readers who have not acknowledged the
// revision in effect a week and two weeks after it took effect. Each goes
// once (in the app, and by e-mail when configured), only to someone who
// may still view the document; one that fails is tried again at the next
// run.
func (a *App) documentsIn(ctx context.Context, domain string, counts map[string]int) error {
	var failed []error
	sw, err := a.Documents.Sweep(ctx, domain)
	counts["took effect"] += sw.Switched
	counts["retention extended"] += sw.Retention
	if sw.Failed > 0 {
		counts["sweep failed"] += sw.Failed
	}
	if err != nil {
		failed = append(failed, fmt.Errorf("document sweep: %w", err))
	}
	due, err := a.Documents.Reminders(ctx, domain, a.now())
	if err != nil {
		return errors.Join(append(failed, fmt.Errorf("document reminders: %w", err))...)
	}
	for _, r := range due {
		if !a.Authz.Can(r.To, r.Domain, authz.Object(authz.ClassDocument, r.DocID), authz.View) {
			counts["reader may not view"]++
			continue
		}
		sent, err := a.Notify.Deliver(ctx, notify.Delivery{
			Key: r.Key, UserID: r.To, Domain: r.Domain, Subject: r.Subject, Body: r.Body, Link: r.Link,
		})
		switch {
		case err != nil:
			counts["failed"]++
			if len(failed) == 0 {
				failed = append(failed, fmt.Errorf("reminders not sent (tried again at the next run); the first, %s: %w", r.Key, err))
			}
		case sent:
			counts[r.Kind+" reminders sent"]++
		default:
			counts["skipped"]++
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
	}
	return errors.Join(failed...)
}

// expiry runs the day's contract work in every domain that has contracts
// (and the configured one, whose index may need rebuilding). A domain that
// fails does not stop the others; the run fails and is tried again at the
// next tick.
func (a *App) expiry(ctx context.Context) (notify.Result, error) {
	counts := map[string]int{}
	domains, err := a.Contracts.Domains(ctx)
	if err != nil {
		return notify.Result{Counts: counts}, fmt.Errorf("contract domains: %w", err)
	}
	if !slices.Contains(domains, a.cfg.Domain) {
		domains = append(domains, a.cfg.Domain)
	}
	var failed []error
	for _, d := range domains {
		if err := a.expiryIn(ctx, d, counts); err != nil {
			failed = append(failed, fmt.Errorf("%s: %w", d, err))
		}
	}
	return notify.Result{Counts: counts}, errors.Join(failed...)
}

// expiryIn sends each reminder due today in a domain to its contract's
// owner, in the app and by e-mail, once per threshold however often it
// runs, then sweeps the domain's contracts (expires, renews, tops up
// retention, rebuilds the index). Reminders go first so a renewing
// contract's "expires today" reminder is computed on its expiry day; the
// sweep runs even when reminders failed, so nothing expires late. An owner
// who may no longer read the contract gets no reminder. A reminder that
// fails is counted and tried again at the next run; the others still go
// out. Changes are audited as the context's actor: Dossier itself when
// scheduled, the operator for `dossier jobs run`.
func (a *App) expiryIn(ctx context.Context, domain string, counts map[string]int) error {
	var failed []error
	err := a.Contracts.DueFrom(ctx, domain, a.now(), func(_ contract.Contract, r contract.Reminder) error {
		if !a.Authz.Can(r.To, r.Domain, authz.Object(authz.ClassContract, r.ContractID), authz.View) {
			counts["owner may not view"]++
			return nil
		}
		sent, err := a.Notify.Deliver(ctx, notify.Delivery{
			Key: r.Key, UserID: r.To, Domain: r.Domain, Subject: r.Subject, Body: r.Body, Link: r.Link,
		})
		switch {
		case err != nil:
			counts["failed"]++
			if len(failed) == 0 {
				failed = append(failed, fmt.Errorf("reminders not sent (tried again at the next run); the first, %s: %w", r.Key, err))
			}
		case sent:
			counts["sent"]++
		default:
			counts["skipped"]++ // sent before, or the owner is disabled
		}
		return ctx.Err()
	})
	if err != nil {
		failed = append(failed, fmt.Errorf("contract reminders: %w", err))
	}
	sw, err := a.Contracts.Sweep(ctx, domain)
	counts["expired"] += sw.Expired
	counts["renewed"] += sw.Renewed
	counts["retention extended"] += sw.Retention
	if sw.Failed > 0 {
		counts["sweep failed"] += sw.Failed
	}
	if err != nil {
		failed = append(failed, fmt.Errorf("contract sweep: %w", err))
	}
	return errors.Join(failed...)
}
