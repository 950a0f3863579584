package document

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"go.mongodb.org/mongo-driver/bson"

	"dossier/internal/audit"
	"dossier/internal/blob"
	"dossier/internal/errs"
	"dossier/internal/store"
	"dossier/internal/text"
)

// Publish makes an approved revision effective on date (zero: today; not
// in the past). On or before today it takes effect at once, and the
// revision in effect until then is superseded in the same conditional
// update (its file's retention extended first). A later date schedules it:
// the revision is "approved, effective from date" — EffectiveOn gives the
// right revision for any day, and Sweep records the switch when the day
// comes. Without the approvals the rule needs the answer is a conflict
// listing what is missing.
func (s *Service) Publish(ctx context.Context, domain, id string, version int64, n int, date time.Time) (Document, error) {
	d, err := s.editable(ctx, domain, id, version)
	if err != nil {
		return Document{}, err
	}
	today := s.today()
	if date = Day(date); date.IsZero() {
		date = today
	}
	if date.Before(today) {
		return Document{}, errs.Field("date", "The effective date (%s) is in the past; publish from today or a later day.", date.Format(time.DateOnly))
	}
	if last := today.AddDate(1, 0, 0); date.After(last) {
		return Document{}, errs.Field("date", "The effective date (%s) is more than a year away; publish from a day up to %s.", date.Format(time.DateOnly), last.Format(time.DateOnly))
	}
	if err := s.publishable(d, n); err != nil {
		return Document{}, err
	}
	return s.publish(ctx, d, n, date)
}

// publishable checks revision n of d may be published now.
func (s *Service) publishable(d Document, n int) error {
	r, ok := d.Revision(n)
	if !ok {
		return noRevision(n)
	}
	missing := s.missing(d.Domain, r)
	switch {
	case r.Scheduled():
		return errs.E(errs.Conflict, "Revision %s is already published, effective from %s.", r.Label(), r.EffectiveFrom.Format(time.DateOnly))
	case r.State == Draft && r.Round == 0:
		return errs.E(errs.Conflict, "Revision %s is a draft: submit it for review and approval first.", r.Label())
	case (r.State == Draft || r.State == InReview || r.State == Approved) && len(missing) > 0:
		return &MissingError{Revision: r.Label(), Missing: missing}
	case r.State != Approved:
		return errs.E(errs.Conflict, "Revision %s is %s; only an approved revision is published.", r.Label(), label(r.State))
	}
	for _, o := range d.Revisions {
		if o.Scheduled() {
			return errs.E(errs.Conflict, "Revision %s is already published, effective from %s; retire it before publishing another.", o.Label(), o.EffectiveFrom.Format(time.DateOnly))
		}
	}
	for _, o := range d.Revisions {
		if o.State == Effective && (o.Major > r.Major || o.Major == r.Major && o.Minor > r.Minor) {
			return errs.E(errs.Conflict, "Revision %s is in effect, which is newer than %s.", o.Label(), r.Label())
		}
	}
	return nil
}

// publish sets revision n effective from date and records the switch when
// it is due. The demo uses it with past dates.
func (s *Service) publish(ctx context.Context, d Document, n int, date time.Time) (Document, error) {
	version := d.Version
	d.Revisions = slices.Clone(d.Revisions)
	r := d.rev(n)
	r.EffectiveFrom, r.PublishedBy, r.UpdatedAt = date, audit.ActorFrom(ctx).ID, s.now()
	d.UpdatedAt = r.UpdatedAt
	superseded, err := s.materialise(ctx, &d, s.today())
	if err != nil {
		return Document{}, err
	}
	if err := s.save(ctx, &d, version); err != nil {
		return Document{}, err
	}
	action := "document.publish"
	if date.After(s.today()) {
		action = "document.schedule"
	}
	details := map[string]string{"revision": r.Label(), "effective_from": date.Format(time.DateOnly), "sha256": r.File.SHA256}
	if len(superseded) > 0 {
		details["superseded"] = strings.Join(superseded, ",")
	}
	return d, s.record(ctx, action, d.Domain, d.ID, details)
}

// materialise records in d's states what EffectiveOn(today) says: the
// revision in effect today becomes effective, and one recorded effective
// before it becomes superseded, in effect until the day before, with its
// file kept six years after that (set in S3 first). It returns the
// revisions superseded.
func (s *Service) materialise(ctx context.Context, d *Document, today time.Time) ([]string, error) {
	eff, ok := d.EffectiveOn(today)
	if !ok {
		return nil, nil
	}
	var superseded []string
	for i := range d.Revisions {
		r := &d.Revisions[i]
		switch {
		case r.N == eff.N:
			r.State = Effective
		case r.State == Effective:
			// In effect until the day before its successor, and at least on
			// the day it took effect (published and superseded the same day).
			r.State, r.LastInEffect = Superseded, eff.EffectiveFrom.AddDate(0, 0, -1)
			if r.LastInEffect.Before(r.EffectiveFrom) {
				r.LastInEffect = r.EffectiveFrom
			}
			if err := s.retain(ctx, r, r.LastInEffect); err != nil {
				return nil, err
			}
			superseded = append(superseded, r.Label())
		}
	}
	return superseded, nil
}

// retain extends the retention of r's file to six years after lastDay in
// S3; the caller saves r. Retention is only ever extended, and compliance
// mode never turns into governance.
func (s *Service) retain(ctx context.Context, r *Revision, lastDay time.Time) error {
	if r.Disposed != nil {
		return nil
	}
	until := addMonths(Day(lastDay), 12*RetentionYears)
	for i := range r.PriorFiles {
		if err := s.lock(ctx, &r.PriorFiles[i], until); err != nil {
			return err
		}
	}
	return s.lock(ctx, &r.File, until)
}

// lock extends f's retention in S3 to until; the caller saves f.
func (s *Service) lock(ctx context.Context, f *File, until time.Time) error {
	mode := s.mode()
	if f.Mode == string(blob.Compliance) {
		mode = blob.Compliance
	}
	if !f.RetainUntil.Before(until) && f.Mode == string(mode) || f.Key == "" {
		return nil
	}
	if f.RetainUntil.After(until) {
		until = f.RetainUntil
	}
	if s.o.Files == nil {
		return noFiles()
	}
	if err := s.o.Files.SetRetention(ctx, f.Key, f.VersionID, blob.Retention{Mode: mode, Until: until}); err != nil {
		return err
	}
	f.RetainUntil, f.Mode = until, string(mode)
	return nil
}

// retentionSlack is how long before an effective revision's file
// retention would fall short of six years past today the sweep tops it up.
const retentionSlack = 365

// SweepResult counts what a sweep did.
type SweepResult struct {
	Switched  int // documents whose scheduled revision took effect
	Retention int // effective revisions whose retention was topped up
	Failed    int
}

// Sweep is the daily job's work on a domain's documents: a revision
// published for a day that has come becomes effective and the one before
// it superseded (with its retention); an effective revision's file
// retention is topped up a year before it would fall short of six years
// past today (a policy may stay in effect longer than any retention set
// when it was stored); the stored next-review date is brought up to
// date; and the register index is rebuilt from the documents read.
func (s *Service) Sweep(ctx context.Context, domain string) (SweepResult, error) {
	var res SweepResult
	today := s.today()
	var ids []string
	var index rebuild // the register index, rebuilt from what is read
	err := store.Each(ctx, s.docs, bson.M{"domain": domain}, func(d Document) error {
		if err := index.add(d); err != nil {
			return err
		}
		if s.sweepDue(d, today) {
			ids = append(ids, d.ID)
		}
		return nil
	})
	if err != nil {
		return res, err
	}
	if err := index.put(ctx, s); err != nil { // lines written since by newer saves are kept
		return res, err
	}
	var first error
	for _, id := range ids {
		var switched []string
		topped := false
		d, err := s.retry(ctx, domain, id, func(d *Document) error {
			if len(d.switched) == 0 && !s.sweepDue(*d, today) {
				return errNothing
			}
			switched, topped = d.switched, false
			for i := range d.Revisions {
				r := &d.Revisions[i]
				if r.State == Effective && r.File.RetainUntil.Before(addMonths(today, 12*RetentionYears).AddDate(0, 0, -retentionSlack)) {
					if err := s.retain(ctx, r, today); err != nil {
						return err
					}
					topped = true
				}
			}
			return nil
		})
		switch {
		case errors.Is(err, errNothing):
			continue
		case err != nil:
			if ctx.Err() != nil {
				return res, err
			}
			res.Failed++
			if first == nil {
				first = fmt.Errorf("document %s: %w", id, err)
			}
			continue
		}
		sctx := audit.WithActor(ctx, audit.System)
		if len(switched) > 0 {
			res.Switched++ // save audited it
		}
		if topped {
			res.Retention++
			if err := s.record(sctx, "document.retention", domain, d.ID, map[string]string{"mode": string(s.mode())}); err != nil {
				return res, err
			}
		}
	}
	if first != nil {
		return res, fmt.Errorf("sweep of %s: %d documents failed, the first: %w", domain, res.Failed, first)
	}
	return res, nil
}

var errNothing = errors.New("nothing to do")

func (s *Service) sweepDue(d Document, today time.Time) bool {
	if !d.NextReview.Equal(d.nextReview(today)) {
		return true
	}
	eff, ok := d.EffectiveOn(today)
	for _, r := range d.Revisions {
		if ok && r.N == eff.N && r.State != Effective || r.State == Effective && (!ok || r.N != eff.N) {
			return true
		}
		if r.State == Effective && r.File.RetainUntil.Before(addMonths(today, 12*RetentionYears).AddDate(0, 0, -retentionSlack)) {
			return true
		}
	}
	return false
}

// RetireRevision withdraws one revision today: a draft, one in review, an
// approved or scheduled one, or the effective one (the document then has
// none in effect until another is published; its file is kept six years
// after today).
func (s *Service) RetireRevision(ctx context.Context, domain, id string, version int64, n int, reason string) (Document, error) {
	d, err := s.editable(ctx, domain, id, version)
	if err != nil {
		return Document{}, err
	}
	var chk checker
	reason = chk.text("reason", "The reason", reason, MaxReason, true)
	if err := chk.err(); err != nil {
		return Document{}, err
	}
	d.Revisions = slices.Clone(d.Revisions)
	r := d.rev(n)
	if r == nil {
		return Document{}, noRevision(n)
	}
	if r.State == Superseded || r.State == Retired {
		return Document{}, errs.E(errs.Conflict, "Revision %s is already %s.", r.Label(), label(r.State))
	}
	if err := s.retire(ctx, &d, r); err != nil {
		return Document{}, err
	}
	if err := s.save(ctx, &d, version); err != nil {
		return Document{}, err
	}
	return d, s.record(ctx, "document.revision_retire", domain, id, map[string]string{
		"revision": r.Label(), "reason": text.Shorten(reason, 500), "retain_until": dateOr(r.File.RetainUntil, "")})
}

// retire marks r retired today, extending its retention when it was in
// effect.
func (s *Service) retire(ctx context.Context, d *Document, r *Revision) error {
	today := s.today()
	eff, ok := d.EffectiveOn(today)
	if r.State == Effective || ok && eff.N == r.N {
		r.LastInEffect = today
		if err := s.retain(ctx, r, today); err != nil {
			return err
		}
	}
	r.State, r.RetiredOn, r.UpdatedAt = Retired, today, s.now()
	d.UpdatedAt = r.UpdatedAt
	return nil
}

// Retire retires a whole document today: every revision not already
// superseded or retired is retired, the effective one's file kept six
// years after today. A retired document is a record: hidden from staff
// (Visible shows them nothing), never changed, its files never deleted
// before their retention ends.
func (s *Service) Retire(ctx context.Context, domain, id string, version int64, reason string) (Document, error) {
	d, err := s.editable(ctx, domain, id, version)
	if err != nil {
		return Document{}, err
	}
	var chk checker
	reason = chk.text("reason", "The reason", reason, MaxReason, true)
	if err := chk.err(); err != nil {
		return Document{}, err
	}
	d.Revisions = slices.Clone(d.Revisions)
	for i := range d.Revisions {
		if r := &d.Revisions[i]; r.State != Superseded && r.State != Retired {
			if err := s.retire(ctx, &d, r); err != nil {
				return Document{}, err
			}
		}
	}
	d.Retired = &Retirement{By: audit.ActorFrom(ctx).ID, At: s.now(), On: s.today(), Reason: reason}
	if err := s.save(ctx, &d, version); err != nil {
		return Document{}, err
	}
	return d, s.record(ctx, "document.retire", domain, id, map[string]string{"reason": text.Shorten(reason, 500)})
}

// Dispose deletes the file of a superseded or retired revision once its
// retention has ended; the revision record stays, marked disposed, as the
// record of the disposition. The actor must be an eligible approver of
// the document. Before then it is refused with the date disposal becomes
// possible. The record is marked first and the file deleted second, so a
// failure leaves garbage for the reconciler, never a record of a file
// that is gone.
func (s *Service) Dispose(ctx context.Context, domain, id string, version int64, n int, reason string) (Document, error) {
	if s.o.Files == nil {
		return Document{}, noFiles()
	}
	d, err := s.current(ctx, domain, id)
	if err != nil {
		return Document{}, err
	}
	if d.Version != version {
		return Document{}, conflict()
	}
	r := d.rev(n)
	if r == nil {
		return Document{}, noRevision(n)
	}
	actor := audit.ActorFrom(ctx)
	if !s.eligible(actor.ID, d.Domain, d.Approval) {
		return Document{}, errs.E(errs.Forbidden, "Disposing of a revision's file needs an approver of %s: %s.", d.Number, describeRule(d.Approval))
	}
	today := s.today()
	switch {
	case r.Disposed != nil:
		return Document{}, errs.E(errs.Conflict, "The file of revision %s was disposed of on %s.", r.Label(), r.Disposed.At.Format(time.DateOnly))
	case r.State != Superseded && r.State != Retired:
		return Document{}, errs.E(errs.Conflict, "Revision %s is %s; its file is kept until six years after it was last in effect, so it cannot be disposed of before it is superseded or retired.", r.Label(), label(r.State))
	case today.Before(Day(r.File.RetainUntil)):
		return Document{}, errs.E(errs.Conflict, "The file of revision %s is kept under retention until %s (six years after it was last in effect, 45 CFR 164.316(b)(2)); disposal is possible from %s.",
			r.Label(), r.File.RetainUntil.Format(time.DateOnly), r.File.RetainUntil.Format(time.DateOnly))
	}
	var chk checker
	reason = chk.text("reason", "The reason", reason, MaxReason, true)
	if err := chk.err(); err != nil {
		return Document{}, err
	}
	file := r.File
	r.Disposed = &Disposal{By: actor.ID, ByName: actor.Name, At: s.now(), Reason: reason}
	r.UpdatedAt, d.UpdatedAt = s.now(), s.now()
	if err := s.save(ctx, &d, version); err != nil {
		return Document{}, err
	}
	delErr := s.o.Files.Delete(ctx, file.Key, file.VersionID)
	for _, f := range r.PriorFiles {
		if err := s.o.Files.Delete(ctx, f.Key, f.VersionID); err != nil && delErr == nil {
			delErr = err
		}
	}
	details := map[string]string{"revision": r.Label(), "sha256": file.SHA256, "reason": text.Shorten(reason, 500)}
	if delErr != nil {
		details["not_deleted"] = "true"
	}
	if err := s.record(ctx, "document.dispose", domain, id, details); err != nil {
		return d, err
	}
	if delErr != nil {
		return d, errs.Wrap(errs.Code(delErr), delErr, "The revision is recorded as disposed, but its stored file could not be deleted now; it is left for the storage reconciler.")
	}
	return d, nil
}
