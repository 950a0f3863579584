package contract

import (
	"bytes"
	"compress/flate"
	"context"
	"fmt"
	"hash/fnv"
	"io"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"time"

	"go.mongodb.org/mongo-driver/bson"

	"dossier/internal/errs"
	"dossier/internal/store"
)

// The contract index: lists, reminders and the BAA gap read digests of
// the contracts, not the contracts.
//
// Why: the embedded engine decodes every document a query touches, in Go,
// whatever the filter or projection — measured about 55 µs a document plus
// 8 µs a stored value, so one pass over 20,000 contracts of some 60 values
// took 10 s a page (BenchmarkExpiryList, first version). A digest is one
// line of text; the lines of about 80 contracts share one bucket document,
// DEFLATE-compressed into a single value (the engine's cost then follows
// the bytes: 0.3 s a page uncompressed, 0.15 s compressed).
//
// The contract document stays the record. After each save the contract's
// line in its bucket is replaced, under the bucket's version, and only by
// a line of the same or a newer contract version, so racing writers never
// put an older state back. A crash between the save and the index write
// leaves a stale or missing line; Sweep, the daily job, rebuilds the index
// from the contracts (Reindex does it on demand). Decisions that matter
// read the contracts themselves: the onboarding check finds a vendor's
// BAAs through the index and then reads each by _id.

// collIndex holds the index's bucket documents.
const collIndex = "contract_index"

// indexBuckets is how many buckets a domain's digests are spread over: at
// 20,000 contracts about 80 lines (16 KB) each, so rewriting one bucket
// stays cheap.
const indexBuckets = 256

// indexFormat is the digest line format; a bucket in another format is
// ignored until Reindex rewrites it.
const indexFormat = 1

const (
	fieldSep = "\x1f"
	lineSep  = "\x1e"
)

// bucket is one index document.
type bucket struct {
	ID      string `bson:"_id"` // "<domain>|<n>"
	Domain  string `bson:"domain"`
	Format  int    `bson:"format"`
	Packed  []byte `bson:"packed"` // digest lines, lineSep between them, compressed with DEFLATE
	Version int64  `bson:"version"`
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

func (d digest) line() string {
	return strings.Join([]string{
		d.ID, strconv.FormatInt(d.Version, 10), clean(d.VendorID), clean(d.VendorName), clean(string(d.Type)), clean(d.Title),
		clean(d.Signatory), clean(string(d.Status)), dateOr(d.Effective, ""), dateOr(d.Expiry, ""), flag(d.Evergreen),
		strconv.Itoa(d.AutoRenewMonths), strconv.Itoa(d.NoticeDays), clean(d.Owner), strings.Join(d.Missing, ","), flag(d.Held),
		strconv.FormatInt(d.UpdatedAt.UnixMilli(), 10),
	}, fieldSep)
}

const digestFields = 17

func parseDigest(line string) (digest, error) {
	f := strings.Split(line, fieldSep)
	if len(f) != digestFields {
		return digest{}, fmt.Errorf("contract index: a line has %d fields, want %d", len(f), digestFields)
	}
	var d digest
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
	d.ID, d.Version, d.VendorID, d.VendorName = f[0], num(f[1]), f[2], f[3]
	d.Type, d.Title, d.Signatory, d.Status = Type(f[4]), f[5], f[6], Status(f[7])
	d.Effective, d.Expiry, d.Evergreen = date(f[8]), date(f[9]), f[10] == "1"
	d.AutoRenewMonths, d.NoticeDays, d.Owner = int(num(f[11])), int(num(f[12])), f[13]
	if f[14] != "" {
		d.Missing = strings.Split(f[14], ",")
	}
	d.Held, d.UpdatedAt = f[15] == "1", time.UnixMilli(num(f[16])).UTC()
	if err != nil {
		return digest{}, fmt.Errorf("contract index: %w", err)
	}
	return d, nil
}

// lineHead reads a line's contract id and version without parsing the rest.
func lineHead(line string) (string, int64) {
	id, rest, _ := strings.Cut(line, fieldSep)
	v, _, _ := strings.Cut(rest, fieldSep)
	n, _ := strconv.ParseInt(v, 10, 64)
	return id, n
}

func bucketID(domain, contractID string) string {
	h := fnv.New32a()
	h.Write([]byte(contractID))
	return domain + "|" + strconv.Itoa(int(h.Sum32()%indexBuckets))
}

// indexed brings the index in line with contracts just saved. A failure
// leaves the saved change in place (the contract is the record) and the
// index to the daily rebuild; it is logged, not returned.
func (s *Service) indexed(ctx context.Context, cs ...Contract) {
	if err := s.index(ctx, cs); err != nil {
		s.o.Log.Warn("contract index not updated; the daily sweep rebuilds it", "err", err)
	}
}

// index writes the digests of cs, each bucket in one conditional update
// (read, merge, write; merged again when another writer got there first).
// A line already there from a newer contract version is kept, disposed
// contracts lose their line, lines in another format are dropped, and
// lines of contracts not in cs are kept as they are.
func (s *Service) index(ctx context.Context, cs []Contract) error {
	byBucket := map[string][]Contract{}
	for _, c := range cs {
		id := bucketID(c.Domain, c.ID)
		byBucket[id] = append(byBucket[id], c)
	}
	for id, group := range byBucket {
		if err := s.writeBucket(ctx, id, group[0].Domain, group); err != nil {
			return err
		}
	}
	return nil
}

func (s *Service) writeBucket(ctx context.Context, id, domain string, cs []Contract) error {
	for attempt := 0; ; attempt++ {
		var b bucket
		err := s.buckets.Get(ctx, bson.M{"_id": id}, &b)
		exists := err == nil
		if err != nil && !errs.Is(err, errs.NotFound) {
			return err
		}
		lines := map[string]string{} // contract id → line
		var order []string
		text, err := unpack(b)
		if err != nil {
			return err
		}
		if exists && text != "" {
			for _, l := range strings.Split(text, lineSep) {
				cid, _ := lineHead(l)
				if _, dup := lines[cid]; !dup {
					order = append(order, cid)
				}
				lines[cid] = l
			}
		}
		changed := exists && b.Format != indexFormat
		for _, c := range cs {
			old, had := lines[c.ID]
			if had {
				if _, v := lineHead(old); v > c.Version {
					continue // a newer save already wrote its line
				}
			}
			if c.Disposed != nil {
				if had {
					delete(lines, c.ID)
					changed = true
				}
				continue
			}
			l := digestOf(c).line()
			if l == old {
				continue
			}
			if !had {
				order = append(order, c.ID)
			}
			lines[c.ID], changed = l, true
		}
		if !changed && (exists || len(lines) == 0) {
			return nil
		}
		out := make([]string, 0, len(lines))
		for _, cid := range order {
			if l, ok := lines[cid]; ok {
				out = append(out, l)
			}
		}
		packed := pack(strings.Join(out, lineSep))
		if exists {
			err = s.buckets.UpdateVersion(ctx, id, b.Version, bson.M{"$set": bson.M{"packed": packed, "format": indexFormat}})
		} else {
			err = s.buckets.Insert(ctx, bucket{ID: id, Domain: domain, Format: indexFormat, Packed: packed, Version: 1})
		}
		if errs.Is(err, errs.Conflict) && attempt < 100 {
			// Another writer updated the bucket: merge again, after a
			// jittered pause so a crowd of writers does not collide in step.
			time.Sleep(time.Duration(rand.IntN(min(attempt+1, 10)*1000)) * time.Microsecond)
			continue
		}
		return err
	}
}

// digests hands every digest of a domain to fn, bucket by bucket.
func (s *Service) digests(ctx context.Context, domain string, fn func(digest) error) error {
	return store.Each(ctx, s.buckets, bson.M{"domain": domain}, func(b bucket) error {
		text, err := unpack(b)
		if err != nil || text == "" {
			return err
		}
		for _, l := range strings.Split(text, lineSep) {
			d, err := parseDigest(l)
			if err != nil {
				return errs.Wrap(errs.Internal, err, "read the contract index")
			}
			if err := fn(d); err != nil {
				return err
			}
		}
		return nil
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

// pack compresses a bucket's lines: they repeat ids, dates and names, and
// the engine's cost grows with the bytes it decodes.
func pack(text string) []byte {
	var b bytes.Buffer
	w, _ := flate.NewWriter(&b, flate.BestSpeed)
	_, _ = w.Write([]byte(text))
	_ = w.Close()
	return b.Bytes()
}

// unpack returns a bucket's lines; a bucket in another format has none.
func unpack(b bucket) (string, error) {
	if b.Format != indexFormat || len(b.Packed) == 0 {
		return "", nil
	}
	out, err := io.ReadAll(flate.NewReader(bytes.NewReader(b.Packed)))
	if err != nil {
		return "", errs.Wrap(errs.Internal, err, "read the contract index")
	}
	return string(out), nil
}

// Domains lists, sorted, the domains whose contracts are indexed: the
// domains the daily job works on.
func (s *Service) Domains(ctx context.Context) ([]string, error) {
	var rows []struct {
		Domain string `bson:"_id"`
	}
	if err := s.buckets.Aggregate(ctx, bson.A{bson.M{"$group": bson.M{"_id": "$domain"}}}, &rows); err != nil {
		return nil, err
	}
	out := make([]string, 0, len(rows))
	for _, r := range rows {
		out = append(out, r.Domain)
	}
	slices.Sort(out)
	return out, nil
}
