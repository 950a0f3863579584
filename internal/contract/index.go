package contract

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"go.mongodb.org/mongo-driver/bson"

	"dossier/internal/errs"
	"dossier/internal/index"
	"dossier/internal/store"
)

// The contract index: lists, reminders and the BAA gap read digests of
// the contracts, not the contracts, from an internal/index kept in
// contract_index (see that package for why and how).
//
// Measured: one pass over 20,000 contracts of some 60 values took 10 s a
// page (BenchmarkExpiryList, first version); with a digest line per
// contract, about 80 lines to a bucket document compressed into one value,
// 0.15 s.
//
// The contract document stays the record. After each save its line is
// put, and only a line of the same or a newer contract version replaces
// it. A crash between the save and the index write leaves a stale or
// missing line; Sweep, the daily job, rebuilds the index from the
// contracts (Reindex does it on demand). Decisions that matter read the
// contracts themselves: the onboarding check finds a vendor's BAAs
// through the index and then reads each by _id.

// collIndex holds the index's bucket documents.
const collIndex = "contract_index"

// indexBuckets is how many buckets a domain's digests are spread over: at
// 20,000 contracts about 80 lines (16 KB) each, so rewriting one bucket
// stays cheap.
const indexBuckets = 256

// indexFormat is the digest line format; a bucket in another format is
// ignored until Reindex rewrites it. (Format 1 was written before the
// index was its own package, with the same bytes.)
const indexFormat = 1

const (
	fieldSep = "\x1f"
	lineSep  = "\x1e"
)

func newIndex(db *store.Store) *index.Index {
	return index.New(db.Collection(collIndex), indexFormat, indexBuckets)
}

// digest is what the index keeps of a contract.
type digest struct {
	ID              string
	Version         int64
	VendorID        string
	VendorName      string
	Type            Type
	Title           string
	Signatory       string
	Status          Status
	Effective       time.Time
	Expiry          time.Time
	Evergreen       bool
	AutoRenewMonths int
	NoticeDays      int
	Owner           string
	Missing         []string // a BAA's missing 164.504(e) term keys
	Held            bool
	UpdatedAt       time.Time
}

func digestOf(c Contract) digest {
	d := digest{ID: c.ID, Version: c.Version, VendorID: c.VendorID, VendorName: c.VendorName, Type: c.Type, Title: c.Title,
		Signatory: c.CounterpartySignatory, Status: c.Status, Effective: c.Effective, Expiry: c.Expiry, Evergreen: c.Evergreen,
		AutoRenewMonths: c.AutoRenewMonths, NoticeDays: c.NoticeDays, Owner: c.Owner, Held: c.Hold.On, UpdatedAt: c.UpdatedAt}
	for _, t := range c.MissingTerms() {
		d.Missing = append(d.Missing, t.Key)
	}
	return d
}

// contract is the digest as a Contract with no files, checklist, notes or
// history: enough for windows, reminders and rows. Domain is the caller's.
func (d digest) contract(domain string) Contract {
	return Contract{ID: d.ID, Domain: domain, Version: d.Version, VendorID: d.VendorID, VendorName: d.VendorName, Type: d.Type,
		Title: d.Title, CounterpartySignatory: d.Signatory, Status: d.Status, Effective: d.Effective, Expiry: d.Expiry,
		Evergreen: d.Evergreen, AutoRenewMonths: d.AutoRenewMonths, NoticeDays: d.NoticeDays, Owner: d.Owner,
		Hold: LegalHold{On: d.Held}, UpdatedAt: d.UpdatedAt}
}

// clean keeps separators out of a field; validation already refuses
// control characters in what people type.
func clean(s string) string {
	if !strings.ContainsAny(s, fieldSep+lineSep) {
		return s
	}
	return strings.NewReplacer(fieldSep, " ", lineSep, " ").Replace(s)
}

func flag(b bool) string {
	if b {
		return "1"
	}
	return "0"
}

// text is the digest's line but for the id and version, which the index
// keeps.
func (d digest) text() string {
	return strings.Join([]string{
		clean(d.VendorID), clean(d.VendorName), clean(string(d.Type)), clean(d.Title),
		clean(d.Signatory), clean(string(d.Status)), dateOr(d.Effective, ""), dateOr(d.Expiry, ""), flag(d.Evergreen),
		strconv.Itoa(d.AutoRenewMonths), strconv.Itoa(d.NoticeDays), clean(d.Owner), strings.Join(d.Missing, ","), flag(d.Held),
		strconv.FormatInt(d.UpdatedAt.UnixMilli(), 10),
	}, fieldSep)
}

const digestFields = 15 // besides the id and version

func parseDigest(id string, version int64, text string) (digest, error) {
	f := strings.Split(text, fieldSep)
	if len(f) != digestFields {
		return digest{}, fmt.Errorf("contract index: a line has %d fields, want %d", len(f)+2, digestFields+2)
	}
	d := digest{ID: id, Version: version}
	var err error
	date := func(s string) time.Time {
		if s == "" || err != nil {
			return time.Time{}
		}
		var t time.Time
		t, err = time.Parse(time.DateOnly, s)
		return t
	}
	num := func(s string) int64 {
		if err != nil {
			return 0
		}
		var n int64
		n, err = strconv.ParseInt(s, 10, 64)
		return n
	}
	d.VendorID, d.VendorName, d.Type, d.Title = f[0], f[1], Type(f[2]), f[3]
	d.Signatory, d.Status, d.Effective, d.Expiry = f[4], Status(f[5]), date(f[6]), date(f[7])
	d.Evergreen, d.AutoRenewMonths, d.NoticeDays, d.Owner = f[8] == "1", int(num(f[9])), int(num(f[10])), f[11]
	if f[12] != "" {
		d.Missing = strings.Split(f[12], ",")
	}
	d.Held, d.UpdatedAt = f[13] == "1", time.UnixMilli(num(f[14])).UTC()
	if err != nil {
		return digest{}, fmt.Errorf("contract index: %w", err)
	}
	return d, nil
}

// indexed brings the index in line with contracts just saved. A failure
// leaves the saved change in place (the contract is the record) and the
// index to the daily rebuild; it is logged, not returned.
func (s *Service) indexed(ctx context.Context, cs ...Contract) {
	if err := s.index(ctx, cs); err != nil {
		s.o.Log.Warn("contract index not updated; the daily sweep rebuilds it", "err", err)
	}
}

// index puts the digests of cs (of one domain or several); disposed
// contracts lose their line. A line already there from a newer contract
// version is kept.
func (s *Service) index(ctx context.Context, cs []Contract) error {
	byDomain := map[string][]index.Line{}
	var domains []string
	for _, c := range cs {
		l := index.Line{ID: c.ID, Version: c.Version, Drop: c.Disposed != nil}
		if !l.Drop {
			l.Text = digestOf(c).text()
		}
		if _, ok := byDomain[c.Domain]; !ok {
			domains = append(domains, c.Domain)
		}
		byDomain[c.Domain] = append(byDomain[c.Domain], l)
	}
	for _, domain := range domains {
		if err := s.idx.Put(ctx, domain, byDomain[domain]...); err != nil {
			return err
		}
	}
	return nil
}

// digests hands every digest of a domain to fn.
func (s *Service) digests(ctx context.Context, domain string, fn func(digest) error) error {
	return s.idx.Each(ctx, domain, func(id string, version int64, text string) error {
		d, err := parseDigest(id, version, text)
		if err != nil {
			return errs.Wrap(errs.Internal, err, "read the contract index")
		}
		return fn(d)
	})
}

// Reindex rebuilds a domain's contract index from its contracts: one pass
// over them, then one conditional update per bucket. Sweep does it daily;
// run it after restoring a database from a backup taken without the
// contract_index collection.
func (s *Service) Reindex(ctx context.Context, domain string) error {
	var all []Contract
	err := store.Each(ctx, s.contracts, bson.M{"domain": domain}, func(c Contract) error {
		c.Files = nil // the index keeps none of them
		all = append(all, c)
		return nil
	})
	if err != nil {
		return err
	}
	return s.index(ctx, all)
}

// Domains lists, sorted, the domains whose contracts are indexed: the
// domains the daily job works on.
func (s *Service) Domains(ctx context.Context) ([]string, error) { return s.idx.Domains(ctx) }
