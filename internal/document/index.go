package document

import (
	"context"
	"encoding/json"
	"time"

	"go.mongodb.org/mongo-driver/bson"

	"dossier/internal/errs"
	"dossier/internal/index"
	"dossier/internal/store"
)

// The register index: the register, review lists, acknowledgement tasks
// and reminders read one line per document from an internal/index kept in
// document_index, not the documents, which carry every revision inline
// (about 21 KB at 10 revisions; a list over 1,000 of them took 7–13 s on
// the embedded engine, BenchmarkRegister). A line holds the register
// fields and, per revision, only its number, label, state and dates:
// enough to rebuild a slim Document on which EffectiveOn, Latest, the
// states of a day and the next review date are the same as on the record.
//
// The document stays the record. Every save puts its line, and only a
// line of the same or a newer document version replaces it; a failed
// index write is logged and left to the daily Sweep, which rebuilds the
// index from the documents (Reindex does it on demand). Decisions that
// matter read the document by _id.

// collIndex holds the index's bucket documents.
const collIndex = "document_index"

// indexFormat is the line format below; change it with the line.
const indexFormat = 1

// indexBuckets spreads a domain's lines: at 1,000 documents of 10
// revisions about 16 lines (some 3 KB compressed) a bucket, so a full read
// decodes 64 small documents and a save rewrites one of them. At 5,000
// documents a bucket holds 80 lines, as the contract index's do at 20,000.
const indexBuckets = 64

func newIndex(db *store.Store) *index.Index {
	return index.New(db.Collection(collIndex), indexFormat, indexBuckets)
}

// entry is a document's line, as JSON with short keys (every line repeats
// them; DEFLATE makes that cheap, the decoder does not). Dates are days.
type entry struct {
	Number         string         `json:"no"`
	Title          string         `json:"ti"`
	Type           Type           `json:"ty"`
	Owner          string         `json:"ow"`
	Classification Classification `json:"cl"`
	Retired        string         `json:"rt,omitempty"` // the day the document was retired
	ReviewMonths   int            `json:"rm"`
	LastReviewed   string         `json:"lr,omitempty"`
	Roles          []string       `json:"ar,omitempty"` // audiences
	Users          []string       `json:"au,omitempty"`
	UpdatedAt      int64          `json:"up"` // Unix milliseconds
	Revisions      []revEntry     `json:"rv"`
}

type revEntry struct {
	N             int    `json:"n"`
	Major         int    `json:"ma"`
	Minor         int    `json:"mi"`
	State         State  `json:"st"`
	EffectiveFrom string `json:"ef,omitempty"`
	LastInEffect  string `json:"le,omitempty"`
	RetiredOn     string `json:"ro,omitempty"`
}

// lineOf is d's index line.
func lineOf(d Document) (index.Line, error) {
	e := entry{Number: d.Number, Title: d.Title, Type: d.Type, Owner: d.Owner, Classification: d.Classification,
		ReviewMonths: d.ReviewMonths, LastReviewed: dateOr(d.LastReviewed, ""), Roles: d.Audiences.Roles, Users: d.Audiences.Users,
		UpdatedAt: d.UpdatedAt.UnixMilli(), Revisions: make([]revEntry, 0, len(d.Revisions))}
	if d.Retired != nil {
		e.Retired = dateOr(d.Retired.On, "")
	}
	for _, r := range d.Revisions {
		e.Revisions = append(e.Revisions, revEntry{N: r.N, Major: r.Major, Minor: r.Minor, State: r.State,
			EffectiveFrom: dateOr(r.EffectiveFrom, ""), LastInEffect: dateOr(r.LastInEffect, ""), RetiredOn: dateOr(r.RetiredOn, "")})
	}
	b, err := json.Marshal(e)
	if err != nil {
		return index.Line{}, errs.Wrap(errs.Internal, err, "encode the register index")
	}
	return index.Line{ID: d.ID, Version: d.Version, Text: string(b)}, nil
}

// document is the line as a slim Document: register fields, audiences,
// and revisions with their numbers, states and dates only.
func (e entry) document(domain, id string, version int64) (Document, error) {
	var err error
	day := func(s string) time.Time {
		if s == "" || err != nil {
			return time.Time{}
		}
		var t time.Time
		t, err = time.Parse(time.DateOnly, s)
		return t
	}
	d := Document{ID: id, Domain: domain, Number: e.Number, Title: e.Title, Type: e.Type, Owner: e.Owner, Classification: e.Classification,
		ReviewMonths: e.ReviewMonths, LastReviewed: day(e.LastReviewed), Audiences: Audiences{Roles: e.Roles, Users: e.Users},
		UpdatedAt: time.UnixMilli(e.UpdatedAt).UTC(), Version: version, Revisions: make([]Revision, 0, len(e.Revisions))}
	if e.Retired != "" {
		d.Retired = &Retirement{On: day(e.Retired)}
	}
	for _, r := range e.Revisions {
		d.Revisions = append(d.Revisions, Revision{N: r.N, Major: r.Major, Minor: r.Minor, State: r.State,
			EffectiveFrom: day(r.EffectiveFrom), LastInEffect: day(r.LastInEffect), RetiredOn: day(r.RetiredOn)})
	}
	return d, err
}

// indexed brings the index in line with documents just saved. A failure
// leaves the saved change in place (the document is the record) and the
// index to the daily sweep; it is logged, not returned.
func (s *Service) indexed(ctx context.Context, ds ...Document) {
	if err := s.index(ctx, ds); err != nil {
		s.o.Log.Warn("document index not updated; the daily sweep rebuilds it", "err", err)
	}
}

// index puts the lines of ds, of one domain or several.
func (s *Service) index(ctx context.Context, ds []Document) error {
	var r rebuild
	for _, d := range ds {
		if err := r.add(d); err != nil {
			return err
		}
	}
	return r.put(ctx, s)
}

// rebuild collects documents' lines as a pass over them reads them, to
// put them all afterwards.
type rebuild struct {
	lines   map[string][]index.Line
	domains []string
}

func (r *rebuild) add(d Document) error {
	l, err := lineOf(d)
	if err != nil {
		return err
	}
	if r.lines == nil {
		r.lines = map[string][]index.Line{}
	}
	if _, ok := r.lines[d.Domain]; !ok {
		r.domains = append(r.domains, d.Domain)
	}
	r.lines[d.Domain] = append(r.lines[d.Domain], l)
	return nil
}

func (r *rebuild) put(ctx context.Context, s *Service) error {
	for _, domain := range r.domains {
		if err := s.idx.Put(ctx, domain, r.lines[domain]...); err != nil {
			return err
		}
	}
	return nil
}

// entries hands every document of a domain to fn as the index has it (see
// entry.document).
func (s *Service) entries(ctx context.Context, domain string, fn func(Document) error) error {
	return s.idx.Each(ctx, domain, func(id string, version int64, text string) error {
		var e entry
		if err := json.Unmarshal([]byte(text), &e); err != nil {
			return errs.Wrap(errs.Internal, err, "read the register index")
		}
		d, err := e.document(domain, id, version)
		if err != nil {
			return errs.Wrap(errs.Internal, err, "read the register index")
		}
		return fn(d)
	})
}

// Reindex rebuilds a domain's register index from its documents: one pass
// over them, then one conditional update per bucket; lines written since
// by newer saves are kept. Sweep does it daily; run it after restoring a
// database from a backup taken without the document_index collection, or
// after writing documents in bulk.
func (s *Service) Reindex(ctx context.Context, domain string) error {
	var r rebuild
	if err := store.Each(ctx, s.docs, bson.M{"domain": domain}, func(d Document) error { return r.add(d) }); err != nil {
		return err
	}
	return r.put(ctx, s)
}

// Domains lists, sorted, the domains whose documents are indexed: the
// domains the daily jobs work on.
func (s *Service) Domains(ctx context.Context) ([]string, error) { return s.idx.Domains(ctx) }
