// Package index keeps a derived index of records: one line of text per
// record, kept per domain in bucket documents whose lines are
// DEFLATE-compressed into a single value, so a list reads a few hundred
// small documents instead of every record.
//
// Why: the embedded engine decodes every document a query touches, in Go,
// whatever the filter or projection — measured about 55 µs a document plus
// 8 µs a stored value — and only a lookup by _id is fast. A line holds what
// a list needs of a record; the lines of many records share one bucket
// document, and the engine's cost then follows the bytes it decodes.
//
// The record stays the record; the index is derived from it. After each
// save the owning package puts the record's line, under the bucket's
// version, and a line is only ever replaced by one of the same or a newer
// record version, so racing writers never put an older state back. A
// crash between the save and the index write leaves a stale or missing
// line, so owners rebuild their index daily from the records (put every
// line again: lines written since by newer saves are kept). What a line
// says is the owning package's concern; decisions that matter read the
// record itself by _id.
package index

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
	"go.mongodb.org/mongo-driver/mongo"
	"go.mongodb.org/mongo-driver/mongo/options"

	"dossier/internal/errs"
	"dossier/internal/store"
)

// Separators inside a bucket: a stored line is id, version and text
// joined by fieldSep; lines are joined by lineSep.
const (
	fieldSep = "\x1f"
	lineSep  = "\x1e"
)

// maxAttempts bounds how often a bucket write merges again after losing
// a race to another writer.
const maxAttempts = 100

// Line is what the index keeps of one record.
type Line struct {
	ID      string // the record's id: no \x1e or \x1f
	Version int64  // the record's version the text describes
	Text    string // the owner's line: no \x1e
	Drop    bool   // the record is gone: remove its line (unless a newer version wrote it)
}

// Index is one collection of bucket documents.
type Index struct {
	c       *store.Collection
	format  int
	buckets int
}

// bucket is one index document.
type bucket struct {
	ID      string `bson:"_id"` // "<domain>|<n>"
	Domain  string `bson:"domain"`
	Format  int    `bson:"format"`
	Packed  []byte `bson:"packed"` // lines, lineSep between them, compressed with DEFLATE
	Version int64  `bson:"version"`
}

// New returns the index kept in c. format names the owner's line format:
// a bucket written in another format reads as empty and loses its lines
// at its next write, so changing what a line holds (or how many buckets
// there are) means a new format and a rebuild. buckets is how many bucket
// documents a domain's lines are spread over: fewer make a full read
// cheaper, more make rewriting one bucket after a save cheaper. It does
// no I/O.
func New(c *store.Collection, format, buckets int) *Index {
	if buckets < 1 {
		buckets = 1
	}
	return &Index{c: c, format: format, buckets: buckets}
}

// Migrate creates the index on domain that production MongoDB uses for
// Each and Domains. Running it again is harmless.
func (x *Index) Migrate(ctx context.Context) error {
	return x.c.EnsureIndexes(ctx, mongo.IndexModel{Keys: bson.D{{Key: "domain", Value: 1}}, Options: options.Index().SetName("by_domain")})
}

// Bucket names the bucket document a record's line lives in.
func (x *Index) Bucket(domain, id string) string {
	h := fnv.New32a()
	h.Write([]byte(id))
	return domain + "|" + strconv.Itoa(int(h.Sum32()%uint32(x.buckets)))
}

// Put writes lines into a domain's buckets, each bucket in one conditional
// update (read, merge, write; merged again when another writer got there
// first). A line already there from a newer record version is kept; a Drop
// line removes the record's line; lines of other records are kept as they
// are. Of two lines with one id in lines, the later wins unless older.
func (x *Index) Put(ctx context.Context, domain string, lines ...Line) error {
	if domain == "" || strings.Contains(domain, "|") {
		return errs.E(errs.Internal, "index: domain %q cannot be indexed", domain)
	}
	byBucket := map[string][]Line{}
	var order []string
	for _, l := range lines {
		if l.ID == "" || strings.ContainsAny(l.ID, fieldSep+lineSep) || strings.Contains(l.Text, lineSep) {
			return errs.E(errs.Internal, "index: the line of %q has a separator in it", l.ID)
		}
		id := x.Bucket(domain, l.ID)
		if _, ok := byBucket[id]; !ok {
			order = append(order, id)
		}
		byBucket[id] = append(byBucket[id], l)
	}
	for _, id := range order {
		if err := x.write(ctx, id, domain, byBucket[id]); err != nil {
			return err
		}
	}
	return nil
}

func (x *Index) write(ctx context.Context, id, domain string, in []Line) error {
	for attempt := 0; ; attempt++ {
		var b bucket
		err := x.c.Get(ctx, bson.M{"_id": id}, &b)
		exists := err == nil
		if err != nil && !errs.Is(err, errs.NotFound) {
			return err
		}
		text, err := x.unpack(b)
		if err != nil {
			return err
		}
		stored := map[string]string{} // record id → stored line
		var order []string
		if text != "" {
			for l := range strings.SplitSeq(text, lineSep) {
				rid, _, _ := head(l)
				if _, dup := stored[rid]; !dup {
					order = append(order, rid)
				}
				stored[rid] = l
			}
		}
		changed := exists && b.Format != x.format
		for _, l := range in {
			old, had := stored[l.ID]
			if had {
				if _, v, _ := head(old); v > l.Version {
					continue // a newer save already wrote its line
				}
			}
			if l.Drop {
				if had {
					delete(stored, l.ID)
					changed = true
				}
				continue
			}
			s := l.ID + fieldSep + strconv.FormatInt(l.Version, 10) + fieldSep + l.Text
			if s == old {
				continue
			}
			if !had {
				order = append(order, l.ID)
			}
			stored[l.ID], changed = s, true
		}
		if !changed && (exists || len(stored) == 0) {
			return nil
		}
		out := make([]string, 0, len(stored))
		for _, rid := range order {
			if s, ok := stored[rid]; ok {
				out = append(out, s)
			}
		}
		packed := pack(strings.Join(out, lineSep))
		if exists {
			err = x.c.UpdateVersion(ctx, id, b.Version, bson.M{"$set": bson.M{"packed": packed, "format": x.format}})
		} else {
			err = x.c.Insert(ctx, bucket{ID: id, Domain: domain, Format: x.format, Packed: packed, Version: 1})
		}
		if errs.Is(err, errs.Conflict) && attempt < maxAttempts {
			// Another writer changed or created the bucket: merge again,
			// after a jittered pause so a crowd of writers does not
			// collide in step.
			time.Sleep(time.Duration(rand.IntN(min(attempt+1, 10)*1000)) * time.Microsecond)
			continue
		}
		return err
	}
}

// Each hands every line of a domain to fn, bucket by bucket, in no
// particular order. text shares memory with the bucket it came from; fn's
// error stops the walk and is returned as is.
func (x *Index) Each(ctx context.Context, domain string, fn func(id string, version int64, text string) error) error {
	return store.Each(ctx, x.c, bson.M{"domain": domain}, func(b bucket) error {
		text, err := x.unpack(b)
		if err != nil || text == "" {
			return err
		}
		for l := range strings.SplitSeq(text, lineSep) {
			id, v, rest := head(l)
			if v < 0 {
				return errs.Wrap(errs.Internal, fmt.Errorf("index %s: bucket %s has a line without a version", x.c.Name(), b.ID), "read the index")
			}
			if err := fn(id, v, rest); err != nil {
				return err
			}
		}
		return nil
	})
}

// Domains lists, sorted, the domains with lines in the index: the domains
// a daily job works on.
func (x *Index) Domains(ctx context.Context) ([]string, error) {
	var rows []struct {
		Domain string `bson:"_id"`
	}
	if err := x.c.Aggregate(ctx, bson.A{bson.M{"$group": bson.M{"_id": "$domain"}}}, &rows); err != nil {
		return nil, err
	}
	out := make([]string, 0, len(rows))
	for _, r := range rows {
		out = append(out, r.Domain)
	}
	slices.Sort(out)
	return out, nil
}

// head splits a stored line into its record id, version (-1 when it has
// none) and text.
func head(l string) (id string, version int64, text string) {
	id, rest, ok := strings.Cut(l, fieldSep)
	if !ok {
		return id, -1, ""
	}
	v, text, _ := strings.Cut(rest, fieldSep)
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil {
		return id, -1, text
	}
	return id, n, text
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
func (x *Index) unpack(b bucket) (string, error) {
	if b.Format != x.format || len(b.Packed) == 0 {
		return "", nil
	}
	out, err := io.ReadAll(flate.NewReader(bytes.NewReader(b.Packed)))
	if err != nil {
		return "", errs.Wrap(errs.Internal, err, "read the index")
	}
	return string(out), nil
}
