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
	return a.eachDomain(ctx, "document", a.Documents.Domains, a.documentsIn)
}

// eachDomain runs work in every domain listed (and the configured one),
// adding up what it did; a domain that fails does not stop the others,
// and the run fails to be tried again at the next tick.
func (a *App) eachDomain(ctx context.Context, what string, list func(context.Context) ([]string, error),
	work func(ctx context.Context, domain string, counts map[string]int) error) (notify.Result, error) {
	counts := map[string]int{}
	domains, err := list(ctx)
	if err != nil {
		return notify.Result{Counts: counts}, fmt.Errorf("%s domains: %w", what, err)
	}
	if !slices.Contains(domains, a.cfg.Domain) {
		domains = append(domains, a.cfg.Domain)
	}
	var failed []error
	for _, d := range domains {
		if err := work(ctx, d, counts); err != nil {
			failed = append(failed, fmt.Errorf("%s: %w", d, err))
		}
	}
	return notify.Result{Counts: counts}, errors.Join(failed...)
}

// remind delivers one reminder to a person who may still view its object,
// in the app and by e-mail when configured, once however often it is
// due; sentKey counts what went out. The first failure is kept in failed;
// the reminder is tried again at the next run.
func (a *App) remind(ctx context.Context, object string, d notify.Delivery, sentKey string, counts map[string]int, failed *[]error) {
	if !a.Authz.Can(d.UserID, d.Domain, object, authz.View) {
		counts["recipient may not view"]++
		return
	}
	sent, err := a.Notify.Deliver(ctx, d)
	switch {
	case err != nil:
		counts["failed"]++
		if len(*failed) == 0 {
			*failed = append(*failed, fmt.Errorf("reminders not sent (tried again at the next run); the first, %s: %w", d.Key, err))
		}
	case sent:
		counts[sentKey]++
	default:
		counts["skipped"]++ // sent before, or the recipient is disabled
	}
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
		a.remind(ctx, authz.Object(authz.ClassDocument, r.DocID), notify.Delivery{
			Key: r.Key, UserID: r.To, Domain: r.Domain, Subject: r.Subject, Body: r.Body, Link: r.Link,
		}, r.Kind+" reminders sent", counts, &failed)
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
	return a.eachDomain(ctx, "contract", a.Contracts.Domains, a.expiryIn)
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
		a.remind(ctx, authz.Object(authz.ClassContract, r.ContractID), notify.Delivery{
			Key: r.Key, UserID: r.To, Domain: r.Domain, Subject: r.Subject, Body: r.Body, Link: r.Link,
		}, "sent", counts, &failed)
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
