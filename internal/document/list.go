package document

import (
	"cmp"
	"context"
	"slices"
	"strings"
	"time"
	"unicode/utf8"
)

// ReviewDue filters by periodic review.
const (
	DueSoonFilter = "due_soon" // next review within Query.DueWithin days (default 30), today included
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

// Query filters, sorts and pages the register.
type Query struct {
	Search    string // in the number and title, any letter case
	Type      Type   // "": any
	Owner     string // user id; "": any
	State     State  // a document matches when one of its revisions is in this state today; Retired also matches retired documents
	ReviewDue string // "", DueSoonFilter or OverdueFilter
	DueWithin int    // days, for DueSoonFilter; 0: 30
	// Sort is "number" (the default), "title", "type", "owner", "state"
	// (of the latest revision, in lifecycle order), "effective" (the date
	// the revision in effect took effect; none last) or "next_review"
	// (none last); a "-" prefix reverses it. Ties go by number.
	Sort    string
	Page    int                   // from 1; 0: 1
	PerPage int                   // 0: DefaultPerPage; at most MaxPerPage
	Sight   func(id string) Sight // nil: Whole for every document
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

// Counts are how many visible documents match every filter but State and
// ReviewDue, per tab of the register (tabs overlap: a document with an
// effective revision and a draft is in both).
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
	Rows    []Row  `json:"rows"`
	Counts  Counts `json:"counts"`
	Total   int    `json:"total"` // rows matching, on every page
	Page    int    `json:"page"`
	PerPage int    `json:"per_page"`
}

// maxSearch bounds a search, in characters.
const maxSearch = 200

// List returns one page of the domain's register with the counts per tab.
// It reads the register index in one pass (see index.go), applies each
// document's Sight first — hidden documents are neither listed nor
// counted — and filters, counts, sorts and pages here. BenchmarkRegister
// measures it at 1,000 documents × 10 revisions.
func (s *Service) List(ctx context.Context, domain string, q Query) (Page, error) {
	q, err := checkQuery(q)
	if err != nil {
		return Page{}, err
	}
	items, counts, err := s.items(ctx, domain, q)
	if err != nil {
		return Page{}, err
	}
	sortItems(items, q.Sort)
	p := Page{Rows: []Row{}, Counts: counts, Total: len(items), Page: q.Page, PerPage: q.PerPage}
	if from := (q.Page - 1) * q.PerPage; from < len(items) {
		for _, it := range items[from:min(from+q.PerPage, len(items))] {
			p.Rows = append(p.Rows, it.row)
		}
	}
	return p, nil
}

var sortNames = []string{"number", "title", "type", "owner", "state", "effective", "next_review"}

func checkQuery(q Query) (Query, error) {
	var c checker
	q.Type = Type(strings.ToLower(strings.TrimSpace(string(q.Type))))
	if q.Type != "" && !slices.Contains(Types(), q.Type) {
		c.add("type", "The type is one of policy, procedure, standard, guideline, form, record or external.")
	}
	q.State = State(strings.ToLower(strings.TrimSpace(string(q.State))))
	if q.State != "" && !slices.Contains(States(), q.State) {
		c.add("state", "The state is one of draft, in_review, approved, effective, superseded or retired.")
	}
	q.Owner = strings.TrimSpace(q.Owner)
	if len(q.Owner) > maxID {
		c.add("owner", "There is no such owner.")
	}
	if q.ReviewDue != "" && q.ReviewDue != DueSoonFilter && q.ReviewDue != OverdueFilter {
		c.add("review_due", "The review filter is %s or %s.", DueSoonFilter, OverdueFilter)
	}
	switch {
	case q.DueWithin < 0 || q.DueWithin > 366*MaxReviewMonths/12:
		c.add("due_within", "Review due within 1 to %d days.", 366*MaxReviewMonths/12)
	case q.DueWithin == 0:
		q.DueWithin = 30
	}
	q.Search = strings.ToLower(strings.Join(strings.Fields(q.Search), " "))
	if !utf8.ValidString(q.Search) || utf8.RuneCountInString(q.Search) > maxSearch {
		c.add("q", "Search for at most %d characters of a number or title.", maxSearch)
	}
	if q.Sort == "" {
		q.Sort = "number"
	}
	if !slices.Contains(sortNames, strings.TrimPrefix(q.Sort, "-")) {
		c.add("sort", "Sort by number, title, type, owner, state, effective or next_review, with - before it for descending order.")
	}
	switch {
	case q.Page < 0:
		c.add("page", "The page number is not valid.")
	case q.Page == 0:
		q.Page = 1
	}
	switch {
	case q.PerPage < 0:
		c.add("per_page", "The page size is not valid.")
	case q.PerPage == 0:
		q.PerPage = DefaultPerPage
	case q.PerPage > MaxPerPage:
		q.PerPage = MaxPerPage
	}
	return q, c.err()
}

// item is a document matching a query, with what sorting compares.
type item struct {
	row   Row
	title string // lower case
}

// items reads the index and returns the documents q lets through, in no
// order, with the counts per tab.
func (s *Service) items(ctx context.Context, domain string, q Query) ([]*item, Counts, error) {
	today := s.today()
	soon := today.AddDate(0, 0, q.DueWithin)
	var counts Counts
	var out []*item
	err := s.entries(ctx, domain, func(d Document) error {
		sight := Whole
		if q.Sight != nil {
			sight = q.Sight(d.ID)
		}
		eff, inEffect := d.EffectiveOn(today)
		switch {
		case sight == Hidden:
			return nil
		case sight == EffectiveOnly && (!inEffect || d.Retired != nil):
			return nil
		case q.Type != "" && d.Type != q.Type, q.Owner != "" && d.Owner != q.Owner:
			return nil
		}
		title := strings.ToLower(d.Title)
		if q.Search != "" && !strings.Contains(strings.ToLower(d.Number), q.Search) && !strings.Contains(title, q.Search) {
			return nil
		}
		row := Row{ID: d.ID, Number: d.Number, Title: d.Title, Type: d.Type, Owner: d.Owner, Classification: d.Classification,
			NextReview: d.nextReview(today), Retired: d.Retired != nil, UpdatedAt: d.UpdatedAt, Version: d.Version}
		if inEffect {
			row.Effective, row.EffectiveFrom = eff.Label(), eff.EffectiveFrom
		}
		// The states the document is in today, as the State filter and
		// the tabs see them.
		var in [6]bool // by position in States()
		mark := func(st State) {
			if i := slices.Index(States(), st); i >= 0 {
				in[i] = true
			}
		}
		if sight == EffectiveOnly {
			row.Latest, row.LatestState = eff.Label(), Effective
			mark(Effective)
		} else {
			if l, ok := d.Latest(); ok {
				row.Latest, row.LatestState = l.Label(), stateOn(l, eff, inEffect)
			}
			for _, r := range d.Revisions {
				st := stateOn(r, eff, inEffect)
				mark(st)
				if st == InReview {
					row.InReview++
				}
			}
			if d.Retired != nil {
				mark(Retired)
			}
		}
		has := func(st State) bool { return in[slices.Index(States(), st)] }
		dueSoon := !row.NextReview.IsZero() && !row.NextReview.Before(today) && !row.NextReview.After(soon)
		overdue := !row.NextReview.IsZero() && row.NextReview.Before(today)
		counts.All++
		for _, c := range []struct {
			on bool
			n  *int
		}{
			{has(Draft), &counts.Draft}, {has(InReview), &counts.InReview}, {has(Approved), &counts.Approved},
			{has(Effective), &counts.Effective}, {dueSoon, &counts.DueSoon}, {overdue, &counts.Overdue}, {has(Retired), &counts.Retired},
		} {
			if c.on {
				*c.n++
			}
		}
		switch {
		case q.State != "" && !has(q.State):
			return nil
		case q.ReviewDue == DueSoonFilter && !dueSoon, q.ReviewDue == OverdueFilter && !overdue:
			return nil
		}
		out = append(out, &item{row: row, title: title})
		return nil
	})
	return out, counts, err
}

// stateOn is r's state on the day eff is in effect (ok: one is): the one
// in effect is effective and one recorded effective before it superseded,
// whether or not Sweep has yet recorded the switch.
func stateOn(r, eff Revision, ok bool) State {
	switch {
	case ok && r.N == eff.N:
		return Effective
	case r.State == Effective:
		return Superseded
	}
	return r.State
}

// farFuture sorts missing dates last.
var farFuture = time.Date(9999, 12, 31, 0, 0, 0, 0, time.UTC)

func orFar(t time.Time) time.Time {
	if t.IsZero() {
		return farFuture
	}
	return t
}

var sorts = map[string]func(a, b *item) int{
	"number": func(a, b *item) int { return cmp.Compare(a.row.Number, b.row.Number) },
	"title":  func(a, b *item) int { return cmp.Compare(a.title, b.title) },
	"type":   func(a, b *item) int { return cmp.Compare(a.row.Type, b.row.Type) },
	"owner":  func(a, b *item) int { return cmp.Compare(a.row.Owner, b.row.Owner) },
	"state": func(a, b *item) int {
		return cmp.Compare(slices.Index(States(), a.row.LatestState), slices.Index(States(), b.row.LatestState))
	},
	"effective":   func(a, b *item) int { return orFar(a.row.EffectiveFrom).Compare(orFar(b.row.EffectiveFrom)) },
	"next_review": func(a, b *item) int { return orFar(a.row.NextReview).Compare(orFar(b.row.NextReview)) },
}

// sortItems orders items by a checked sort; ties go by number.
func sortItems(items []*item, sort string) {
	desc := strings.HasPrefix(sort, "-")
	by := sorts[strings.TrimPrefix(sort, "-")]
	slices.SortFunc(items, func(a, b *item) int {
		n := by(a, b)
		if desc {
			n = -n
		}
		return cmp.Or(n, cmp.Compare(a.row.Number, b.row.Number), cmp.Compare(a.row.ID, b.row.ID))
	})
}
