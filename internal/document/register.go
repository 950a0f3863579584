package document

import (
	"context"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"time"

	"go.mongodb.org/mongo-driver/bson"

	"dossier/internal/audit"
	"dossier/internal/errs"
	"dossier/internal/store"
	"dossier/internal/text"
)

// Uniqueness of document numbers without transactions: each number is
// claimed as a document of its own in document_numbers, _id =
// domain|NUMBER, inserted before the document is written (an insert of an
// existing _id fails on every engine), so of two creates racing for one
// number exactly one wins. A failed write gives the claim back; a crash in
// between leaves a claim whose document does not hold the number, taken
// over by the next claimant once it is claimStale old.

const (
	claimStale = time.Minute
	claimWait  = 50 * time.Millisecond
	claimLooks = 20
)

type claimDoc struct {
	ID      string    `bson:"_id"`
	Doc     string    `bson:"doc"`
	Domain  string    `bson:"domain"`
	Created time.Time `bson:"created"`
}

func numberKey(domain, number string) string { return domain + "|" + number }

// DuplicateError says another document in the domain has the number. It
// is a conflict on the field "number"; Existing is that document.
type DuplicateError struct{ Existing Document }

func (e *DuplicateError) Error() string { return e.Unwrap().Error() }

// Unwrap gives the errs.Error the HTTP layer maps and shows.
func (e *DuplicateError) Unwrap() error {
	return &errs.Error{Code: errs.Conflict, Field: "number",
		Message: fmt.Sprintf("Document number %s is already used by %q.", e.Existing.Number, e.Existing.Title)}
}

// claim makes doc the holder of number.
func (s *Service) claim(ctx context.Context, domain, number, doc string) error {
	id := numberKey(domain, number)
	for range claimLooks {
		err := s.numbers.Insert(ctx, claimDoc{ID: id, Doc: doc, Domain: domain, Created: s.now()})
		if !errs.Is(err, errs.Conflict) {
			return err
		}
		var c claimDoc
		err = s.numbers.Get(ctx, bson.M{"_id": id}, &c)
		switch {
		case errs.Is(err, errs.NotFound):
			continue
		case err != nil:
			return err
		case c.Doc == doc:
			return nil
		}
		holder, err := s.Get(ctx, domain, c.Doc)
		switch {
		case err == nil && holder.Number == number:
			return &DuplicateError{Existing: holder}
		case err != nil && !errs.Is(err, errs.NotFound):
			return err
		}
		if s.now().Sub(c.Created) >= claimStale {
			ok, err := s.numbers.Update(ctx, bson.M{"_id": id, "doc": c.Doc}, bson.M{"$set": bson.M{"doc": doc, "created": s.now()}})
			if err != nil || ok {
				return err
			}
			continue
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(claimWait):
		}
	}
	return &errs.Error{Code: errs.Conflict, Field: "number",
		Message: "Another document with this number is being saved right now. Check the register, or try again in a minute."}
}

// release gives back a claim held by doc, even after the request ended.
func (s *Service) release(ctx context.Context, domain, number, doc string) {
	_ = s.numbers.Delete(context.WithoutCancel(ctx), bson.M{"_id": numberKey(domain, number), "doc": doc})
}

// Create adds a document to the register, with no revision yet. Every
// problem with the fields is reported at once; a number already in use is
// a conflict naming the document that has it.
func (s *Service) Create(ctx context.Context, domain string, f Fields) (Document, error) {
	if err := checkDomain(domain); err != nil {
		return Document{}, err
	}
	var chk checker
	f = clean(&chk, f)
	if err := chk.err(); err != nil {
		return Document{}, err
	}
	now := s.now()
	d := Document{ID: newID(), Domain: domain, Revisions: []Revision{}, CreatedBy: audit.ActorFrom(ctx).ID, CreatedAt: now, UpdatedAt: now, Version: 1}
	d.apply(f)
	if err := s.claim(ctx, domain, d.Number, d.ID); err != nil {
		return Document{}, err
	}
	if err := s.docs.Insert(ctx, d); err != nil {
		s.release(ctx, domain, d.Number, d.ID)
		return Document{}, err
	}
	return d, s.record(ctx, "document.create", domain, d.ID, map[string]string{
		"number": d.Number, "type": string(d.Type), "title": text.Shorten(d.Title, 200), "owner": d.Owner})
}

// Update saves new register fields over the version the editor opened. A
// new number is claimed first and the old one given back after.
func (s *Service) Update(ctx context.Context, domain, id string, version int64, f Fields) (Document, error) {
	old, err := s.Get(ctx, domain, id)
	if err != nil {
		return Document{}, err
	}
	if old.Version != version {
		return Document{}, conflict()
	}
	var chk checker
	f = clean(&chk, f)
	if err := chk.err(); err != nil {
		return Document{}, err
	}
	d := old
	d.apply(f)
	details := changes(old, d)
	if details == nil {
		return old, nil
	}
	renumbered := d.Number != old.Number
	if renumbered {
		if err := s.claim(ctx, domain, d.Number, d.ID); err != nil {
			return Document{}, err
		}
	}
	d.UpdatedAt = s.now()
	if err := s.save(ctx, &d, version); err != nil {
		if renumbered {
			s.release(ctx, domain, d.Number, d.ID)
		}
		return Document{}, err
	}
	if renumbered {
		s.release(ctx, domain, old.Number, d.ID)
	}
	return d, s.record(ctx, "document.update", domain, id, details)
}

// changes describes an update for the audit trail; nil when nothing changed.
func changes(old, d Document) map[string]string {
	a, b := old.Fields(), d.Fields()
	va, vb := reflect.ValueOf(a), reflect.ValueOf(b)
	out := map[string]string{}
	var names []string
	for i := range va.NumField() {
		x, y := va.Field(i).Interface(), vb.Field(i).Interface()
		if reflect.DeepEqual(x, y) {
			continue
		}
		name, _, _ := strings.Cut(va.Type().Field(i).Tag.Get("json"), ",")
		names = append(names, name)
		out[name] = text.Shorten(fmt.Sprintf("%v → %v", x, y), 500)
	}
	if len(names) == 0 {
		return nil
	}
	out["changed"] = strings.Join(names, ",")
	return out
}

// ReviewDue filters by periodic review.
const (
	DueSoonFilter = "due_soon" // next review within Query.DueWithin days (default 30)
	OverdueFilter = "overdue"  // next review date passed
)

// Sight is how much of one document a reader may see; the HTTP layer
// decides it with Casbin.
type Sight int

// Sights.
const (
	Hidden        Sight = iota // not listed
	EffectiveOnly              // staff: only the revision in effect today, of a document not retired
	Whole                      // every revision and state
)

// Query filters and pages the register.
type Query struct {
	Search    string                // in the number and title, any letter case
	Type      Type                  // "": any
	Owner     string                // user id; "": any
	State     State                 // a document matches when one of its revisions is in this state today; Retired also matches retired documents
	ReviewDue string                // "", DueSoonFilter or OverdueFilter
	DueWithin int                   // days, for DueSoonFilter; 0: 30
	Sort      string                // "number" (default), "title", "type", "owner", "state", "effective", "next_review"; "-" reverses
	Page      int                   // from 1
	PerPage   int                   // 0: DefaultPerPage; at most MaxPerPage
	Sight     func(id string) Sight // nil: Whole for every document
}

// Row is one document in the register.
type Row struct {
	ID             string         `json:"id"`
	Number         string         `json:"number"`
	Title          string         `json:"title"`
	Type           Type           `json:"type"`
	Owner          string         `json:"owner"`
	Classification Classification `json:"classification"`
	Effective      string         `json:"effective"`      // label ("2.0") of the revision in effect today; "" none
	EffectiveFrom  time.Time      `json:"effective_from"` // its effective date
	Latest         string         `json:"latest"`         // the newest revision's label; for EffectiveOnly rows, the effective one
	LatestState    State          `json:"latest_state"`   // its state today
	InReview       int            `json:"in_review"`      // revisions in review (0 for EffectiveOnly rows)
	NextReview     time.Time      `json:"next_review"`    // zero when nothing is in effect
	Retired        bool           `json:"retired"`
	UpdatedAt      time.Time      `json:"updated_at"`
	Version        int64          `json:"version"`
}

// Counts are the visible documents matching every filter but State and
// ReviewDue, for the register's tabs.
type Counts struct {
	All       int `json:"all"`
	Draft     int `json:"draft"`
	InReview  int `json:"in_review"`
	Approved  int `json:"approved"`
	Effective int `json:"effective"`
	DueSoon   int `json:"due_soon"`
	Overdue   int `json:"overdue"`
	Retired   int `json:"retired"`
}

// Page is one page of the register.
type Page struct {
	Rows      []Row      `json:"rows"`
	Counts    Counts     `json:"counts"`
	Documents []Document `json:"-"` // provisional, until the register index lands
	Total     int        `json:"total"`
	Page      int        `json:"page"`
	PerPage   int        `json:"per_page"`
}

// List returns one page of the domain's register, sorted by number.
func (s *Service) List(ctx context.Context, domain string, q Query) (Page, error) {
	if q.Page < 1 {
		q.Page = 1
	}
	if q.PerPage <= 0 {
		q.PerPage = DefaultPerPage
	}
	q.PerPage = min(q.PerPage, MaxPerPage)
	if q.DueWithin <= 0 {
		q.DueWithin = 30
	}
	search := strings.ToLower(strings.TrimSpace(q.Search))
	today := s.today()
	var all []Document
	var rows []Row
	err := store.Each(ctx, s.docs, bson.M{"domain": domain}, func(d Document) error {
		sight := Whole
		if q.Sight != nil {
			sight = q.Sight(d.ID)
		}
		eff, inEffect := d.EffectiveOn(today)
		if sight == Hidden || sight == EffectiveOnly && !inEffect {
			return nil
		}
		if q.Type != "" && d.Type != q.Type || q.Owner != "" && d.Owner != q.Owner {
			return nil
		}
		if search != "" && !strings.Contains(strings.ToLower(d.Number+" "+d.Title), search) {
			return nil
		}
		if q.State != "" && !d.inState(q.State, today) || sight == EffectiveOnly && q.State != "" && q.State != Effective {
			return nil
		}
		switch next := d.nextReview(today); q.ReviewDue {
		case DueSoonFilter:
			if next.IsZero() || next.Before(today) || next.After(today.AddDate(0, 0, q.DueWithin)) {
				return nil
			}
		case OverdueFilter:
			if next.IsZero() || !next.Before(today) {
				return nil
			}
		}
		row := Row{ID: d.ID, Number: d.Number, Title: d.Title, Type: d.Type, Owner: d.Owner, Classification: d.Classification,
			NextReview: d.nextReview(today), Retired: d.Retired != nil, UpdatedAt: d.UpdatedAt, Version: d.Version}
		if inEffect {
			row.Effective, row.EffectiveFrom, row.Latest, row.LatestState = eff.Label(), eff.EffectiveFrom, eff.Label(), Effective
		}
		if l, ok := d.Latest(); ok && sight == Whole {
			row.Latest, row.LatestState = l.Label(), l.State
			for _, r := range d.Revisions {
				if r.State == InReview {
					row.InReview++
				}
			}
		}
		all = append(all, d)
		rows = append(rows, row)
		return nil
	})
	if err != nil {
		return Page{}, err
	}
	slices.SortFunc(all, func(a, b Document) int { return strings.Compare(a.Number, b.Number) })
	slices.SortFunc(rows, func(a, b Row) int { return strings.Compare(a.Number, b.Number) })
	p := Page{Total: len(all), Page: q.Page, PerPage: q.PerPage, Documents: []Document{}, Rows: []Row{}, Counts: Counts{All: len(rows)}}
	if from := (q.Page - 1) * q.PerPage; from < len(all) {
		p.Documents = all[from:min(from+q.PerPage, len(all))]
		p.Rows = rows[from:min(from+q.PerPage, len(all))]
	}
	return p, nil
}

// inState reports whether one of d's revisions is in state on day (the
// effective one computed for the day), or, for Retired, d is retired.
func (d Document) inState(st State, day time.Time) bool {
	if st == Retired && d.Retired != nil {
		return true
	}
	eff, ok := d.EffectiveOn(day)
	for _, r := range d.Revisions {
		got := r.State
		switch {
		case ok && r.N == eff.N:
			got = Effective
		case r.State == Effective:
			got = Superseded // switched on a day Sweep has not yet recorded
		}
		if got == st {
			return true
		}
	}
	return false
}
