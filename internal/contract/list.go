package contract

import (
	"cmp"
	"context"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"dossier/internal/errs"
	"dossier/internal/text"
)

// Query filters, sorts and pages the contracts of a domain.
type Query struct {
	Type     Type   // "": any
	Owner    string // user id; "": any
	VendorID string // "": any
	// Window is one of Windows(): in_force, 30, 60, 90, past_notice,
	// expired, draft, terminated; "": every contract.
	Window string
	Search string // in the title, vendor name and signatory, any letter case
	// Sort is "expiry" (the default: soonest first, evergreen last),
	// "notice" (notice deadline), "title", "vendor", "type", "status" or
	// "updated"; a "-" prefix reverses it. Ties go by title.
	Sort    string
	Page    int // from 1; 0: 1
	PerPage int // 0: DefaultPerPage; at most MaxPerPage
}

// Row is one contract in a list: what the expiry page and the exports
// show, without the files.
type Row struct {
	ID              string    `json:"id"`
	VendorID        string    `json:"vendor_id"`
	VendorName      string    `json:"vendor_name"`
	Type            Type      `json:"type"`
	Title           string    `json:"title"`
	Signatory       string    `json:"counterparty_signatory,omitempty"`
	Status          Status    `json:"status"`
	Effective       time.Time `json:"effective"`
	Expiry          time.Time `json:"expiry"` // as it stands today (see Contract.ExpiryOn)
	Evergreen       bool      `json:"evergreen"`
	AutoRenewMonths int       `json:"auto_renew_months"`
	NoticeDays      int       `json:"notice_days"`
	NoticeDeadline  time.Time `json:"notice_deadline"`
	DaysToExpiry    *int      `json:"days_to_expiry"` // nil when there is no expiry
	Window          string    `json:"window"`         // the most urgent window it is in
	Owner           string    `json:"owner"`
	OwnerName       string    `json:"owner_name"`    // when a user directory is configured
	MissingTerms    []string  `json:"missing_terms"` // a BAA's missing 164.504(e) terms, by key
	Flagged         bool      `json:"flagged"`       // a BAA missing a required term
	Held            bool      `json:"legal_hold"`
	UpdatedAt       time.Time `json:"updated_at"`
	Version         int64     `json:"version"`
}

// Counts are how many contracts matching the filters (all but the window)
// fall in each window, for the tabs of the expiry page. Windows overlap
// (see Contract.In).
type Counts struct {
	All        int `json:"all"`
	InForce    int `json:"in_force"`
	Within30   int `json:"within_30"`
	Within60   int `json:"within_60"`
	Within90   int `json:"within_90"`
	PastNotice int `json:"past_notice"`
	Expired    int `json:"expired"`
	Draft      int `json:"draft"`
	Terminated int `json:"terminated"`
	Flagged    int `json:"flagged"` // BAAs missing a required term
}

// Page is one page of a list.
type Page struct {
	Rows    []Row  `json:"rows"`
	Counts  Counts `json:"counts"`
	Total   int    `json:"total"` // rows matching, on every page
	Page    int    `json:"page"`
	PerPage int    `json:"per_page"`
	Pages   int    `json:"pages"`
}

// List returns one page of a domain's contracts with the counts per
// window. It reads the domain's contract index in one pass (see index.go)
// and filters, counts, sorts and pages here. BenchmarkExpiryList measures
// it at 20,000 contracts.
func (s *Service) List(ctx context.Context, domain string, q Query) (Page, error) {
	q, err := checkQuery(q)
	if err != nil {
		return Page{}, err
	}
	from := (q.Page - 1) * q.PerPage
	rows, total, counts, err := s.rows(ctx, domain, q, from, from+q.PerPage)
	if err != nil {
		return Page{}, err
	}
	p := Page{Rows: rows, Counts: counts, Total: total, Page: q.Page, PerPage: q.PerPage}
	p.Pages = (p.Total + q.PerPage - 1) / q.PerPage
	if err := s.ownerNames(ctx, p.Rows); err != nil {
		return Page{}, err
	}
	return p, nil
}

// Rows returns every row matching q in q's order, paging ignored, with
// owner names: what the exports write.
func (s *Service) Rows(ctx context.Context, domain string, q Query) ([]Row, error) {
	q.Page, q.PerPage = 0, 0
	q, err := checkQuery(q)
	if err != nil {
		return nil, err
	}
	rows, _, _, err := s.rows(ctx, domain, q, 0, -1)
	if err != nil {
		return nil, err
	}
	return rows, s.ownerNames(ctx, rows)
}

func checkQuery(q Query) (Query, error) {
	var c checker
	q.Type = Type(strings.ToLower(strings.TrimSpace(string(q.Type))))
	if q.Type != "" && !q.Type.valid() {
		c.Add("type", "The type is one of MSA, BAA, DPA, NDA, SOW, SLA or other.")
	}
	if len(q.Owner) > maxID {
		c.Add("owner", "There is no such owner.")
	}
	if len(q.VendorID) > maxID {
		c.Add("vendor_id", "There is no such vendor.")
	}
	if q.Window != "" && !slices.Contains(Windows(), q.Window) {
		c.Add("window", "The window is one of in_force, 30, 60, 90, past_notice, expired, draft or terminated.")
	}
	q.Search = strings.ToLower(strings.Join(strings.Fields(q.Search), " "))
	if !utf8.ValidString(q.Search) || utf8.RuneCountInString(q.Search) > maxSearch {
		c.Add("q", "Search for at most %d characters of a title or vendor name.", maxSearch)
	}
	if q.Sort == "" {
		q.Sort = "expiry"
	}
	if _, ok := sorts[strings.TrimPrefix(q.Sort, "-")]; !ok {
		c.Add("sort", "Sort by expiry, notice, title, vendor, type, status or updated, with - before it for descending order.")
	}
	switch {
	case q.Page < 0:
		c.Add("page", "The page number is not valid.")
	case q.Page == 0:
		q.Page = 1
	}
	switch {
	case q.PerPage < 0:
		c.Add("per_page", "The page size is not valid.")
	case q.PerPage == 0:
		q.PerPage = DefaultPerPage
	case q.PerPage > MaxPerPage:
		q.PerPage = MaxPerPage
	}
	return q, c.Err()
}

// item is a contract matching a query, with what sorting compares.
type item struct {
	d        digest
	c        Contract
	ws       windowSet
	expiry   time.Time // as it stands today; farFuture when none
	deadline time.Time // farFuture when none
	title    string    // lower case
	vendor   string    // lower case
}

// rows reads, filters, counts and sorts; it returns the matching rows
// from..to (in sorted order; to < 0: all).
func (s *Service) rows(ctx context.Context, domain string, q Query, from, to int) ([]Row, int, Counts, error) {
	now := s.now()
	today := Day(now)
	var counts Counts
	var items []*item
	err := s.digests(ctx, domain, func(d digest) error {
		if q.Type != "" && d.Type != q.Type || q.Owner != "" && d.Owner != q.Owner || q.VendorID != "" && d.VendorID != q.VendorID {
			return nil
		}
		title := strings.ToLower(d.Title)
		vendor := strings.ToLower(d.VendorName)
		if q.Search != "" && !strings.Contains(title, q.Search) && !strings.Contains(vendor, q.Search) &&
			!strings.Contains(strings.ToLower(d.Signatory), q.Search) {
			return nil
		}
		c := d.contract(domain)
		ws := c.windows(today)
		counts.add(ws, len(d.Missing) > 0)
		if q.Window != "" && !ws.has(q.Window) {
			return nil
		}
		it := &item{d: d, c: c, ws: ws, expiry: orFar(c.ExpiryOn(today)), title: title, vendor: vendor}
		it.deadline = orFar(c.deadline(c.ExpiryOn(today)))
		items = append(items, it)
		return nil
	})
	if err != nil {
		return nil, 0, Counts{}, err
	}
	desc := strings.HasPrefix(q.Sort, "-")
	by := sorts[strings.TrimPrefix(q.Sort, "-")]
	slices.SortFunc(items, func(a, b *item) int {
		n := by(a, b)
		if desc {
			n = -n
		}
		if n == 0 {
			n = cmp.Or(cmp.Compare(a.title, b.title), cmp.Compare(a.c.ID, b.c.ID))
		}
		return n
	})
	if to < 0 || to > len(items) {
		to = len(items)
	}
	from = min(from, to)
	out := make([]Row, 0, to-from)
	for _, it := range items[from:to] {
		out = append(out, toRow(it.c, it.ws, it.d.Missing, now))
	}
	return out, len(items), counts, nil
}

func (n *Counts) add(ws windowSet, flagged bool) {
	n.All++
	for _, w := range []struct {
		name string
		n    *int
	}{
		{WindowInForce, &n.InForce}, {Window30, &n.Within30}, {Window60, &n.Within60}, {Window90, &n.Within90},
		{WindowPastNotice, &n.PastNotice}, {WindowExpired, &n.Expired}, {WindowDraft, &n.Draft}, {WindowTerminated, &n.Terminated},
	} {
		if ws.has(w.name) {
			*w.n++
		}
	}
	if flagged {
		n.Flagged++
	}
}

func toRow(c Contract, ws windowSet, missing []string, now time.Time) Row {
	r := Row{ID: c.ID, VendorID: c.VendorID, VendorName: c.VendorName, Type: c.Type, Title: c.Title, Signatory: c.CounterpartySignatory,
		Status: c.Status, Effective: c.Effective, Expiry: c.ExpiryOn(now), Evergreen: c.Evergreen, AutoRenewMonths: c.AutoRenewMonths,
		NoticeDays: c.NoticeDays, Window: ws.first(), Owner: c.Owner, Held: c.Hold.On, UpdatedAt: c.UpdatedAt, Version: c.Version,
		MissingTerms: append([]string{}, missing...), Flagged: len(missing) > 0}
	r.NoticeDeadline = c.deadline(r.Expiry)
	if !r.Expiry.IsZero() {
		d := days(now, r.Expiry)
		r.DaysToExpiry = &d
	}
	return r
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
	"expiry": func(a, b *item) int { return a.expiry.Compare(b.expiry) },
	"notice": func(a, b *item) int { return a.deadline.Compare(b.deadline) },
	"title":  func(a, b *item) int { return cmp.Compare(a.title, b.title) },
	"vendor": func(a, b *item) int { return cmp.Compare(a.vendor, b.vendor) },
	"type":   func(a, b *item) int { return cmp.Compare(a.c.Type, b.c.Type) },
	"status": func(a, b *item) int {
		return cmp.Compare(slices.Index(Statuses(), a.c.Status), slices.Index(Statuses(), b.c.Status))
	},
	"updated": func(a, b *item) int { return a.c.UpdatedAt.Compare(b.c.UpdatedAt) },
}

// ownerNames fills OwnerName from the user directory, one lookup per
// owner.
func (s *Service) ownerNames(ctx context.Context, rows []Row) error {
	if s.o.Users == nil {
		return nil
	}
	names := map[string]string{}
	for i := range rows {
		id := rows[i].Owner
		if id == "" {
			continue
		}
		name, ok := names[id]
		if !ok {
			u, err := s.o.Users.User(ctx, id)
			if err != nil && !errs.Is(err, errs.NotFound) {
				return err
			}
			name = text.Clip(u.Name, 200)
			if name == "" {
				name = u.Email
			}
			names[id] = name
		}
		rows[i].OwnerName = name
	}
	return nil
}
