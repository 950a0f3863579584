package supplier

import (
	"context"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"

	"go.mongodb.org/mongo-driver/bson"
	"go.mongodb.org/mongo-driver/mongo/options"

	"dossier/internal/store"
	"dossier/internal/text"
)

// Query filters, sorts and pages the register.
type Query struct {
	Search    string // in legal name, trading name and registration id, any letter case
	Tier      int    // 1-3; 0: any
	Status    string // Prospect…; "": any
	System    string // SystemPACS…; "": any
	Owner     string // user id; "none": vendors without an owner; "": any
	PHI       string // "yes", "no"; "": any
	DueWithin int    // reassessment due within this many days, overdue included; 0: no filter
	Overdue   bool   // reassessment date passed
	// Sort is "name" (the default), "tier", "due", "status" (lifecycle
	// order) or "updated"; a "-" prefix sorts descending. Ties go by name.
	Sort    string
	Page    int // from 1; 0: 1
	PerPage int // 0: DefaultPerPage; at most MaxPerPage
}

// Page is one page of the register.
type Page struct {
	Vendors []Vendor
	Total   int64 // vendors matching, on every page
	Page    int
	PerPage int
	Pages   int // 0 when nothing matches
}

// Paging defaults.
const (
	DefaultPerPage = 25
	MaxPerPage     = 100
	maxSearch      = 200
	maxDueDays     = 3650
)

// neverDue is where terminated vendors sort by due date: after everyone.
var neverDue = time.Date(9999, 12, 31, 0, 0, 0, 0, time.UTC)

var sortFields = map[string]string{
	"name": "sort_name", "tier": "risk.tier", "due": "next_due", "status": "status_rank", "updated": "updated_at",
}

// List returns one page of the register: one find with skip and limit,
// and one count unless the page shows it is the last.
func (s *Service) List(ctx context.Context, domain string, q Query) (Page, error) {
	filter, sort, q, err := s.listQuery(domain, q)
	if err != nil {
		return Page{}, err
	}
	p := Page{Vendors: []Vendor{}, Page: q.Page, PerPage: q.PerPage}
	skip := int64(q.Page-1) * int64(q.PerPage)
	opts := options.Find().SetSort(sort).SetSkip(skip).SetLimit(int64(q.PerPage))
	if err := s.vendors.Find(ctx, filter, &p.Vendors, opts); err != nil {
		return Page{}, err
	}
	// A page that is not full is the last one, so it tells the total
	// without a count: on the embedded engine a count costs a scan.
	if n := int64(len(p.Vendors)); n > 0 && n < int64(q.PerPage) || n == 0 && skip == 0 {
		p.Total = skip + n
	} else {
		total, err := s.vendors.Count(ctx, filter)
		if err != nil {
			return Page{}, err
		}
		p.Total = total
	}
	p.Pages = int((p.Total + int64(q.PerPage) - 1) / int64(q.PerPage))
	for i := range p.Vendors {
		s.fill(&p.Vendors[i])
	}
	return p, nil
}

// All hands every vendor matching q (paging ignored) to fn, in q's order,
// one at a time: exports stream through it.
func (s *Service) All(ctx context.Context, domain string, q Query, fn func(Vendor) error) error {
	q.Page, q.PerPage = 0, 0
	filter, sort, _, err := s.listQuery(domain, q)
	if err != nil {
		return err
	}
	return store.Each(ctx, s.vendors, filter, func(v Vendor) error {
		s.fill(&v)
		return fn(v)
	}, options.Find().SetSort(sort))
}

// listQuery checks q and turns it into a filter and a sort; it returns q
// with its paging defaults filled in.
func (s *Service) listQuery(domain string, q Query) (bson.D, bson.D, Query, error) {
	var c checker
	filter := bson.D{{Key: "domain", Value: domain}}
	if q.Search = strings.Join(strings.Fields(q.Search), " "); q.Search != "" {
		if !utf8.ValidString(q.Search) || utf8.RuneCountInString(q.Search) > maxSearch {
			c.Add("q", "Search for at most %d characters of a name or registration id.", maxSearch)
		}
		filter = append(filter, bson.E{Key: "search", Value: bson.M{"$regex": regexp.QuoteMeta(strings.ToLower(q.Search))}})
	}
	switch {
	case q.Tier == 0:
	case q.Tier >= 1 && q.Tier <= 3:
		filter = append(filter, bson.E{Key: "risk.tier", Value: q.Tier})
	default:
		c.Add("tier", "The tier is 1, 2 or 3.")
	}
	if q.Status != "" {
		if code, ok := parseValue(q.Status, statuses()); ok {
			filter = append(filter, bson.E{Key: "status", Value: code})
		} else {
			c.Add("status", "There is no status %q; the statuses are %s.", text.Shorten(q.Status, 40), labelList(statuses()))
		}
	}
	if q.System != "" {
		if code, ok := parseValue(q.System, systems()); ok {
			filter = append(filter, bson.E{Key: "systems", Value: code})
		} else {
			c.Add("system", "There is no system %q; the systems are %s.", text.Shorten(q.System, 40), labelList(systems()))
		}
	}
	switch q.Owner = strings.TrimSpace(q.Owner); {
	case q.Owner == "":
	case q.Owner == "none":
		filter = append(filter, bson.E{Key: "owner", Value: ""})
	case len(q.Owner) > 64:
		c.Add("owner", "There is no such owner.")
	default:
		filter = append(filter, bson.E{Key: "owner", Value: q.Owner})
	}
	switch strings.ToLower(q.PHI) {
	case "":
	case "yes":
		filter = append(filter, bson.E{Key: "phi", Value: true})
	case "no":
		filter = append(filter, bson.E{Key: "phi", Value: false})
	default:
		c.Add("phi", "PHI is yes or no.")
	}
	now := s.now()
	switch {
	case q.Overdue:
		filter = append(filter, bson.E{Key: "next_due", Value: bson.M{"$lt": now}})
	case q.DueWithin > 0 && q.DueWithin <= maxDueDays:
		filter = append(filter, bson.E{Key: "next_due", Value: bson.M{"$lte": now.AddDate(0, 0, q.DueWithin)}})
	case q.DueWithin != 0:
		c.Add("due", "Due within is a number of days from 1 to %d.", maxDueDays)
	}
	if q.Sort == "" {
		q.Sort = "name"
	}
	dir := 1
	name := q.Sort
	if rest, ok := strings.CutPrefix(name, "-"); ok {
		dir, name = -1, rest
	}
	field, ok := sortFields[name]
	if !ok {
		c.Add("sort", "Sort by name, tier, due, status or updated, with - before it for descending order.")
	}
	sort := bson.D{{Key: field, Value: dir}}
	if field != "sort_name" {
		sort = append(sort, bson.E{Key: "sort_name", Value: 1})
	}
	sort = append(sort, bson.E{Key: "_id", Value: dir})
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
	if err := c.Err(); err != nil {
		return nil, nil, q, err
	}
	return filter, sort, q, nil
}

// Counts summarize the register for the home page. Terminated vendors are
// counted by status only.
type Counts struct {
	Total    int64
	ByStatus map[string]int64
	ByTier   [4]int64 // ByTier[1..3]; ByTier[0]: not yet tiered
	PHI      int64    // handling PHI
	Overdue  int64    // reassessment date passed
	DueSoon  int64    // due within 30 days, not yet overdue
}

// Summary counts the register of a domain.
func (s *Service) Summary(ctx context.Context, domain string) (Counts, error) {
	c := Counts{ByStatus: map[string]int64{}}
	now := s.now()
	soon := now.AddDate(0, 0, 30)
	type row struct {
		Status string    `bson:"status"`
		PHI    bool      `bson:"phi"`
		Due    time.Time `bson:"next_due"` // neverDue once terminated
		Risk   struct {
			Tier int `bson:"tier"`
		} `bson:"risk"`
	}
	err := store.Each(ctx, s.vendors, bson.M{"domain": domain}, func(r row) error {
		c.Total++
		c.ByStatus[r.Status]++
		if r.Status == Terminated {
			return nil
		}
		if r.Risk.Tier >= 0 && r.Risk.Tier <= 3 {
			c.ByTier[r.Risk.Tier]++
		}
		if r.PHI {
			c.PHI++
		}
		switch {
		case r.Due.Before(now):
			c.Overdue++
		case !r.Due.After(soon):
			c.DueSoon++
		}
		return nil
	}, options.Find().SetProjection(bson.M{"status": 1, "phi": 1, "next_due": 1, "risk.tier": 1}))
	if err != nil {
		return Counts{}, err
	}
	return c, nil
}
