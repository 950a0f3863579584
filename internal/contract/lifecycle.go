package contract

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"

	"go.mongodb.org/mongo-driver/bson"

	"dossier/internal/audit"
	"dossier/internal/blob"
	"dossier/internal/errs"
	"dossier/internal/store"
	"dossier/internal/text"
)

// Create records a new contract as a draft. Anyone who may create
// contracts may create drafts; putting one in force is Activate.
func (s *Service) Create(ctx context.Context, domain string, f Fields) (Contract, error) {
	if err := checkDomain(domain); err != nil {
		return Contract{}, err
	}
	var chk checker
	f, v, err := s.clean(ctx, &chk, domain, f, Draft)
	if err != nil {
		return Contract{}, err
	}
	if err := chk.Err(); err != nil {
		return Contract{}, err
	}
	now := s.now()
	c := Contract{ID: newID(), Domain: domain, Status: Draft, CreatedBy: audit.ActorFrom(ctx).ID, CreatedAt: now, UpdatedAt: now, Version: 1}
	c.apply(f, v)
	if err := s.contracts.Insert(ctx, c); err != nil {
		return Contract{}, err
	}
	s.indexed(ctx, c)
	return c, s.record(ctx, "contract.create", domain, c.ID, map[string]string{
		"vendor": c.VendorID, "type": string(c.Type), "title": text.Shorten(c.Title, 200)})
}

// Get returns the contract with this id in the domain.
func (s *Service) Get(ctx context.Context, domain, id string) (Contract, error) {
	var c Contract
	if id == "" || len(id) > maxID {
		return Contract{}, errs.E(errs.NotFound, "No such contract.")
	}
	if err := s.contracts.Get(ctx, bson.M{"_id": id}, &c); err != nil || c.Domain != domain {
		if err == nil || errs.Is(err, errs.NotFound) {
			return Contract{}, errs.E(errs.NotFound, "No such contract.")
		}
		return Contract{}, err
	}
	return c, nil
}

// ForVendor lists a vendor's contracts, newest first; disposed ones are
// left out. The index finds them; each is read by _id.
func (s *Service) ForVendor(ctx context.Context, domain, vendorID string) ([]Contract, error) {
	var ids []string
	err := s.digests(ctx, domain, func(d digest) error {
		if d.VendorID == vendorID {
			ids = append(ids, d.ID)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	out := []Contract{}
	for _, id := range ids {
		c, err := s.Get(ctx, domain, id)
		if errs.Is(err, errs.NotFound) {
			continue
		}
		if err != nil {
			return nil, err
		}
		if c.VendorID == vendorID && c.Disposed == nil {
			out = append(out, c)
		}
	}
	slices.SortFunc(out, func(a, b Contract) int {
		return cmp.Or(b.CreatedAt.Compare(a.CreatedAt), strings.Compare(b.ID, a.ID))
	})
	return out, nil
}

// editable reads a contract a person is about to change, at the version
// they saw.
func (s *Service) editable(ctx context.Context, domain, id string, version int64) (Contract, error) {
	c, err := s.Get(ctx, domain, id)
	if err != nil {
		return Contract{}, err
	}
	if c.Disposed != nil {
		return Contract{}, errs.E(errs.Conflict, "This contract's files were disposed of on %s; the record is kept as it was.", c.Disposed.At.Format(time.DateOnly))
	}
	if c.Version != version {
		return Contract{}, conflict()
	}
	return c, nil
}

// Update saves new editable fields over the version the editor opened.
// Without the manage right (canManage false) only drafts may be edited. An
// ended contract is a record and is not edited. When an in-force
// contract's expiry moves later, its files' retention is extended first.
func (s *Service) Update(ctx context.Context, domain, id string, version int64, f Fields, canManage bool) (Contract, error) {
	old, err := s.editable(ctx, domain, id, version)
	if err != nil {
		return Contract{}, err
	}
	if err := old.Editable(canManage); err != nil {
		return Contract{}, err
	}
	var chk checker
	f, v, err := s.clean(ctx, &chk, domain, f, old.Status)
	if err != nil {
		return Contract{}, err
	}
	if err := chk.Err(); err != nil {
		return Contract{}, err
	}
	c := old
	c.apply(f, v)
	details := changes(old, c)
	if details == nil {
		return old, nil
	}
	c.UpdatedAt = s.now()
	if c.Status == InForce {
		if c.Files, err = s.extend(ctx, c, s.requiredRetention(c)); err != nil {
			return Contract{}, err
		}
	}
	if err := s.save(ctx, &c, version); err != nil {
		return Contract{}, err
	}
	return c, s.record(ctx, "contract.update", domain, id, details)
}

// Activate puts a draft in force. It needs a signed PDF among the files,
// an owner, an effective date, and an expiry date or evergreen; every
// problem is reported at once. A contract whose expiry already passed may
// be recorded this way (an old agreement filed late): the daily job then
// marks it expired.
func (s *Service) Activate(ctx context.Context, domain, id string, version int64) (Contract, error) {
	c, err := s.editable(ctx, domain, id, version)
	if err != nil {
		return Contract{}, err
	}
	if c.Status != Draft {
		return Contract{}, errs.E(errs.Conflict, "This contract is %s, not a draft; only drafts are put in force.", strings.ToLower(c.Status.Label()))
	}
	var chk checker
	f, v, err := s.clean(ctx, &chk, domain, c.Fields(), c.Status)
	if err != nil {
		return Contract{}, err
	}
	c.apply(f, v)
	for _, p := range c.ActivationNeeds() {
		chk.Add(p.Field, "%s", p.Message)
	}
	if err := chk.Err(); err != nil {
		return Contract{}, err
	}
	c.Status, c.UpdatedAt = InForce, s.now()
	if c.Files, err = s.extend(ctx, c, s.requiredRetention(c)); err != nil {
		return Contract{}, err
	}
	if err := s.save(ctx, &c, version); err != nil {
		return Contract{}, err
	}
	return c, s.record(ctx, "contract.activate", domain, id, dateDetails(c))
}

// Terminate ends an in-force contract early. date is its last day in
// force: not after today (to end a contract later, set its expiry date and
// stop its renewal) and not before it took effect — unless it has not yet
// (a signed agreement cancelled before its start). The contract's files
// are then kept until six years after that date.
func (s *Service) Terminate(ctx context.Context, domain, id string, version int64, date time.Time, reason string) (Contract, error) {
	c, err := s.editable(ctx, domain, id, version)
	if err != nil {
		return Contract{}, err
	}
	if c.Status != InForce {
		return Contract{}, errs.E(errs.Conflict, "This contract is %s; only a contract in force can be terminated.", strings.ToLower(c.Status.Label()))
	}
	var chk checker
	reason = chk.Text("reason", "The reason", reason, MaxReason)
	if reason == "" {
		chk.Add("reason", "Say why the contract is terminated.")
	}
	date = Day(date)
	switch today := s.today(); {
	case date.IsZero():
		chk.Add("date", "Give the contract's last day in force.")
	case date.After(today):
		chk.Add("date", "The termination date is in the future. Record the termination once it takes effect; until then set the expiry date to that day and the renewal term to 0.")
	case date.Before(c.Effective) && !c.Effective.After(today):
		chk.Add("date", "The termination date is before the contract took effect (%s).", c.Effective.Format(time.DateOnly))
	}
	if err := chk.Err(); err != nil {
		return Contract{}, err
	}
	actor := audit.ActorFrom(ctx)
	c.Termination = &Termination{Date: date, Reason: reason, By: actor.ID, At: s.now()}
	if err := s.end(ctx, &c, version, Terminated, date); err != nil {
		return Contract{}, err
	}
	d := dateDetails(c)
	d["reason"] = text.Shorten(reason, 500)
	return c, s.record(ctx, "contract.terminate", domain, id, d)
}

// end moves c to an ended status with its last day in force: its files'
// retention is extended to six years after that day, then the record is
// saved.
func (s *Service) end(ctx context.Context, c *Contract, version int64, status Status, lastDay time.Time) error {
	c.Status, c.UpdatedAt = status, s.now()
	c.LastInEffect = Day(lastDay)
	c.RetainUntil = addYears(c.LastInEffect, RetentionYears)
	files, err := s.extend(ctx, *c, c.RetainUntil)
	if err != nil {
		return err
	}
	c.Files = files
	return s.save(ctx, c, version)
}

// Expire marks an in-force contract expired once its expiry date has
// passed with no auto-renewal: the daily job's step (see Sweep). Its last
// day in effect is the expiry date.
func (s *Service) Expire(ctx context.Context, domain, id string) (Contract, error) {
	return s.systemStep(ctx, domain, id, func(c *Contract) (string, map[string]string, error) {
		if !c.lapsed(s.today()) {
			return "", nil, errs.E(errs.Conflict, "This contract has not expired: it is %s with expiry %s.", strings.ToLower(c.Status.Label()), dateOr(c.Expiry, "none"))
		}
		if err := s.end(ctx, c, c.Version, Expired, c.Expiry); err != nil {
			return "", nil, err
		}
		return "contract.expire", dateDetails(*c), nil
	})
}

// Renew moves an auto-renewing contract's expiry on by its renewal term,
// as often as needed to reach today, once its expiry date has passed: the
// daily job's step (see Sweep). The files' retention follows the new
// expiry.
func (s *Service) Renew(ctx context.Context, domain, id string) (Contract, error) {
	return s.systemStep(ctx, domain, id, func(c *Contract) (string, map[string]string, error) {
		today := s.today()
		if c.Status != InForce || c.AutoRenewMonths <= 0 || c.Expiry.IsZero() || !today.After(c.Expiry) {
			return "", nil, errs.E(errs.Conflict, "This contract is not due for renewal.")
		}
		from := c.Expiry
		c.Expiry, c.UpdatedAt = c.ExpiryOn(today), s.now()
		version := c.Version
		files, err := s.extend(ctx, *c, s.requiredRetention(*c))
		if err != nil {
			return "", nil, err
		}
		c.Files = files
		if err := s.save(ctx, c, version); err != nil {
			return "", nil, err
		}
		return "contract.renew", map[string]string{"from": from.Format(time.DateOnly), "to": c.Expiry.Format(time.DateOnly),
			"term_months": strconv.Itoa(c.AutoRenewMonths)}, nil
	})
}

// systemStep applies a step the daily job takes to the contract as it is
// now, reading it again when a person's change raced it.
func (s *Service) systemStep(ctx context.Context, domain, id string, step func(c *Contract) (string, map[string]string, error)) (Contract, error) {
	for range 5 {
		c, err := s.Get(ctx, domain, id)
		if err != nil {
			return Contract{}, err
		}
		if c.Disposed != nil {
			return Contract{}, errs.E(errs.Conflict, "This contract was disposed of.")
		}
		action, details, err := step(&c)
		if isVersionConflict(err) {
			continue
		}
		if err != nil {
			return Contract{}, err
		}
		return c, s.record(ctx, action, domain, id, details)
	}
	return Contract{}, conflict()
}

// versionConflict marks the conflict save returns, so a system step can
// tell a lost race (read again) from a refusal (stop).
type versionConflict struct{ error }

func (v versionConflict) Unwrap() error { return v.error }

func isVersionConflict(err error) bool {
	var v versionConflict
	return errors.As(err, &v)
}

// SweepResult counts what a sweep did.
type SweepResult struct {
	Expired   int
	Renewed   int
	Retention int // contracts whose files' retention was topped up
	Failed    int // contracts a step failed on (the error names the first)
}

// Sweep is the daily job's work on a domain's contracts: it expires
// in-force contracts whose expiry passed with no auto-renewal, renews
// auto-renewing ones, tops up the retention of running contracts' files a
// year before it would fall short of six years past today (an evergreen
// contract may stay in force longer than any retention set at upload), and
// rebuilds the contract index from the contracts it read. Run the
// reminders (DueFrom) before it on the same day, so the "expires today"
// reminder of a renewing contract is computed on its expiry day.
func (s *Service) Sweep(ctx context.Context, domain string) (SweepResult, error) {
	var res SweepResult
	today := s.today()
	type todo struct {
		id     string
		expire bool
		renew  bool
	}
	var work []todo
	var all []Contract
	err := store.Each(ctx, s.contracts, bson.M{"domain": domain}, func(c Contract) error {
		if c.Disposed == nil {
			t := todo{id: c.ID, expire: c.lapsed(today),
				renew: c.Status == InForce && c.AutoRenewMonths > 0 && !c.Expiry.IsZero() && today.After(c.Expiry)}
			if t.expire || t.renew || s.shortRetention(c) {
				work = append(work, t)
			}
		}
		c.Files = nil
		all = append(all, c)
		return nil
	})
	if err != nil {
		return res, err
	}
	// The index is rebuilt from what was read; lines written since by
	// newer saves (the steps below included) are kept.
	if err := s.index(ctx, all); err != nil {
		return res, err
	}
	var first error
	for _, t := range work {
		switch {
		case t.expire:
			_, err = s.Expire(ctx, domain, t.id)
			if err == nil {
				res.Expired++
			}
		case t.renew:
			_, err = s.Renew(ctx, domain, t.id)
			if err == nil {
				res.Renewed++
			}
		default:
			var changed bool
			changed, err = s.topUp(ctx, domain, t.id)
			if changed {
				res.Retention++
			}
		}
		switch {
		case err == nil:
		case errs.Is(err, errs.Conflict):
			// Changed by a person meanwhile (or no longer due): tomorrow's
			// sweep sees it as it is.
		case ctx.Err() != nil:
			return res, err
		default:
			// One contract's failure (file storage down, say) does not
			// hold up the others; the job reports it.
			res.Failed++
			if first == nil {
				first = fmt.Errorf("contract %s: %w", t.id, err)
			}
		}
	}
	if first != nil {
		return res, fmt.Errorf("sweep of %s: %d contracts failed, the first: %w", domain, res.Failed, first)
	}
	return res, nil
}

// shortRetention reports whether a running contract's files need their
// retention topped up.
func (s *Service) shortRetention(c Contract) bool {
	if c.Status.Ended() {
		return false
	}
	soon := s.requiredRetention(c).AddDate(0, 0, -retentionSlack)
	for _, f := range c.Files {
		if f.RetainUntil.Before(soon) {
			return true
		}
	}
	return false
}

func (s *Service) topUp(ctx context.Context, domain, id string) (bool, error) {
	changed := false
	_, err := s.systemStep(ctx, domain, id, func(c *Contract) (string, map[string]string, error) {
		if !s.shortRetention(*c) {
			return "", nil, errs.E(errs.Conflict, "Retention is not short.")
		}
		until := s.requiredRetention(*c)
		version := c.Version
		files, err := s.extend(ctx, *c, until)
		if err != nil {
			return "", nil, err
		}
		c.Files, c.UpdatedAt = files, s.now()
		if err := s.save(ctx, c, version); err != nil {
			return "", nil, err
		}
		changed = true
		return "contract.retention", map[string]string{"retain_until": until.Format(time.DateOnly), "mode": string(s.mode())}, nil
	})
	return changed, err
}

// requiredRetention is how long the files of c must be kept, as far as is
// known today. The rule keeps every file at least six years after the
// contract was last in effect (45 CFR 164.316(b)(2)(i)):
//   - an ended contract: RetainUntil, six years after its last day in force;
//   - a draft or a contract in force: it may stay in force until its expiry
//     date, or beyond today if that is later or it has none (evergreen, or
//     a draft with its dates open), so six years after the later of its
//     expiry and today.
//
// Each event that moves the end later (activation, a later expiry,
// renewal, termination, expiry) extends the retention to the new
// requirement, and the daily sweep tops up running contracts, so a file's
// retention never falls short of six years past the day its contract was
// last in effect. Retention is only ever extended: object lock cannot
// shorten it, and a file kept longer than needed is the safe mistake.
func (s *Service) requiredRetention(c Contract) time.Time {
	switch {
	case c.Status == Draft:
		return time.Time{} // locked when put in force (Activate): a file uploaded by mistake can go
	case c.Status.Ended():
		return c.RetainUntil
	}
	base := s.today()
	if e := c.ExpiryOn(base); e.After(base) {
		base = e
	}
	return addYears(base, RetentionYears)
}

// extend sets the object-lock retention of every file version of c kept
// for less than until, in S3 first; it returns the file records with their
// new retention, for the caller to save. Dates already past need no lock.
func (s *Service) extend(ctx context.Context, c Contract, until time.Time) ([]FileVersion, error) {
	files := slices.Clone(c.Files)
	if len(files) == 0 || !until.After(s.now()) {
		return files, nil
	}
	if s.o.Files == nil {
		return nil, noFiles()
	}
	for i, f := range files {
		want, mode := until, s.mode()
		if f.RetentionMode == string(blob.Compliance) {
			mode = blob.Compliance // compliance retention cannot turn into governance
		}
		if !f.RetainUntil.Before(want) && f.RetentionMode == string(mode) {
			continue
		}
		if f.RetainUntil.After(want) {
			want = f.RetainUntil // a mode change keeps the later date
		}
		if err := s.o.Files.SetRetention(ctx, f.Key, f.VersionID, blob.Retention{Mode: mode, Until: want}); err != nil {
			return nil, err
		}
		files[i].RetainUntil, files[i].RetentionMode = want, string(mode)
	}
	return files, nil
}

// optionalKeys are the contract's fields stored only when not empty.
var optionalKeys = func() []string {
	var keys []string
	t := reflect.TypeFor[Contract]()
	for i := range t.NumField() {
		name, opts, _ := strings.Cut(t.Field(i).Tag.Get("bson"), ",")
		if strings.Contains(opts, "omitempty") {
			keys = append(keys, name)
		}
	}
	return keys
}()

// save writes every field of c under the version the change was based on
// and moves c to the next version.
func (s *Service) save(ctx context.Context, c *Contract, version int64) error {
	raw, err := bson.Marshal(c)
	if err != nil {
		return errs.Wrap(errs.Internal, err, "encode contract")
	}
	var set bson.D
	if err := bson.Unmarshal(raw, &set); err != nil {
		return errs.Wrap(errs.Internal, err, "encode contract")
	}
	set = slices.DeleteFunc(set, func(e bson.E) bool { return e.Key == "_id" || e.Key == "version" })
	update := bson.M{"$set": set}
	unset := bson.M{}
	for _, k := range optionalKeys {
		if !slices.ContainsFunc(set, func(e bson.E) bool { return e.Key == k }) {
			unset[k] = ""
		}
	}
	if len(unset) > 0 {
		update["$unset"] = unset
	}
	if err := s.contracts.UpdateVersion(ctx, c.ID, version, update); err != nil {
		if errs.Is(err, errs.Conflict) {
			return versionConflict{conflict()}
		}
		return err
	}
	c.Version = version + 1
	s.indexed(ctx, *c)
	return nil
}

// changes describes an update for the audit trail: the changed fields'
// names, and old → new for short ones. nil when nothing changed.
func changes(old, c Contract) map[string]string {
	type field struct {
		name     string
		old, new any
		long     bool
	}
	var oldTerms, newTerms []string
	for _, t := range BAATermList() {
		if old.BAA != nil && old.BAA.Has(t.Key) {
			oldTerms = append(oldTerms, t.Key)
		}
		if c.BAA != nil && c.BAA.Has(t.Key) {
			newTerms = append(newTerms, t.Key)
		}
	}
	window := func(b *BAATerms) int {
		if b == nil {
			return 0
		}
		return b.NoticeWindowDays
	}
	fs := []field{
		{"vendor_id", old.VendorID, c.VendorID, false},
		{"type", string(old.Type), string(c.Type), false},
		{"title", old.Title, c.Title, false},
		{"counterparty_signatory", old.CounterpartySignatory, c.CounterpartySignatory, false},
		{"effective", dateOr(old.Effective, ""), dateOr(c.Effective, ""), false},
		{"expiry", dateOr(old.Expiry, ""), dateOr(c.Expiry, ""), false},
		{"evergreen", old.Evergreen, c.Evergreen, false},
		{"auto_renew_months", old.AutoRenewMonths, c.AutoRenewMonths, false},
		{"notice_days", old.NoticeDays, c.NoticeDays, false},
		{"owner", old.Owner, c.Owner, false},
		{"related_services", old.RelatedServices, c.RelatedServices, true},
		{"notes", old.Notes, c.Notes, true},
		{"baa_terms", strings.Join(oldTerms, ","), strings.Join(newTerms, ","), false},
		{"baa_notice_window_days", window(old.BAA), window(c.BAA), false},
	}
	d := map[string]string{}
	var names []string
	for _, f := range fs {
		if reflect.DeepEqual(f.old, f.new) {
			continue
		}
		names = append(names, f.name)
		if !f.long {
			d[f.name] = text.Shorten(fmt.Sprintf("%v → %v", show(f.old), show(f.new)), 500)
		}
	}
	if len(names) == 0 {
		return nil
	}
	d["changed"] = strings.Join(names, ",")
	return d
}

func show(x any) string {
	if s, ok := x.(string); ok && s == "" {
		return `""`
	}
	return fmt.Sprint(x)
}

func dateOr(t time.Time, none string) string {
	if t.IsZero() {
		return none
	}
	return t.Format(time.DateOnly)
}

// dateDetails are a contract's dates for the audit trail.
func dateDetails(c Contract) map[string]string {
	d := map[string]string{"status": string(c.Status), "effective": dateOr(c.Effective, ""), "expiry": dateOr(c.Expiry, "evergreen")}
	if !c.LastInEffect.IsZero() {
		d["last_in_effect"] = c.LastInEffect.Format(time.DateOnly)
		d["retain_until"] = c.RetainUntil.Format(time.DateOnly)
	}
	return d
}
