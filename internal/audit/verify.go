package audit

import (
	"context"
	"fmt"
	"time"

	"go.mongodb.org/mongo-driver/bson"
	"go.mongodb.org/mongo-driver/mongo/options"

	"dossier/internal/store"
)

// Report is what Verify found.
type Report struct {
	Events   int64  // events read
	HeadSeq  int64  // the last event's sequence number; 0 for an empty log
	HeadHash string // the last event's hash; 64 zeros for an empty log
	Seals    int    // seal objects checked
	OK       bool   // the chain is intact and every seal matches it
	// FirstBad is the first event found modified, missing, out of place or
	// contradicted by a seal; 0 when OK, and 0 when the only problem is a
	// seal object itself (then BadSeal names it).
	FirstBad int64
	BadSeal  string // key of the seal object the problem concerns, if any
	Problem  string // the first problem in plain words; "" when OK
}

// Verify walks the whole chain in order and checks every seal against it.
// A problem is reported, not returned: the error is for when the walk
// itself could not be done.
func (l *Log) Verify(ctx context.Context) (Report, error) {
	// Seals first: one written while the walk runs names an event the walk
	// will still reach.
	seals, sealProblems, err := l.readSeals(ctx)
	if err != nil {
		return Report{}, err
	}
	bySeq := map[int64][]Seal{}
	for _, s := range seals {
		bySeq[s.Seq] = append(bySeq[s.Seq], s)
	}

	var r Report
	r.Seals = len(seals) + len(sealProblems)
	r.HeadHash = genesis
	note := func(seq int64, seal, problem string) {
		if r.FirstBad == 0 || seq < r.FirstBad {
			r.FirstBad, r.BadSeal, r.Problem = seq, seal, problem
		}
	}
	c := chain{next: 1, prev: genesis}
	err = l.walk(ctx, 0, nil, func(e Event) error {
		if bad, problem := c.check(e); bad != 0 {
			note(bad, "", problem)
		}
		for _, s := range bySeq[e.Seq] {
			if s.Hash != e.Hash {
				note(e.Seq, s.Key, fmt.Sprintf("%s names event %d with hash %s but the log has %s", s.name(), e.Seq, short(s.Hash), short(e.Hash)))
			}
		}
		r.Events++
		r.HeadSeq, r.HeadHash = e.Seq, e.Hash
		return nil
	})
	if err != nil {
		return Report{}, err
	}
	for _, s := range seals {
		if s.Seq > r.HeadSeq {
			note(r.HeadSeq+1, s.Key, fmt.Sprintf("%s names event %d but the log ends at %d (events were deleted from the end)", s.name(), s.Seq, r.HeadSeq))
		}
	}
	if r.FirstBad == 0 && len(sealProblems) > 0 {
		r.BadSeal, r.Problem = sealProblems[0].key, sealProblems[0].problem
	}
	r.OK = r.Problem == ""
	return r, nil
}

// chain checks events handed to it in ascending order: each must be the
// next number, link to the one before, and hash to its own Hash.
type chain struct {
	next int64  // the sequence number expected
	prev string // the hash the expected event must link to
}

// check returns the first bad sequence number e shows, and why; 0 when e is
// fine. It then moves on from e as stored, so later events are judged on
// their own and a single edit is not reported again at every event after.
func (c *chain) check(e Event) (int64, string) {
	var bad int64
	var problem string
	switch {
	case e.Seq != c.next && e.Seq == c.next+1:
		bad, problem = c.next, fmt.Sprintf("event %d is missing", c.next)
	case e.Seq != c.next:
		bad, problem = c.next, fmt.Sprintf("events %d to %d are missing", c.next, e.Seq-1)
	case e.Prev != c.prev && e.Seq == 1:
		bad, problem = 1, "event 1 does not start the chain (chain broken or reordered)"
	case e.Prev != c.prev:
		bad, problem = e.Seq, fmt.Sprintf("event %d does not follow event %d (chain broken or reordered)", e.Seq, e.Seq-1)
	case e.ComputeHash() != e.Hash:
		bad, problem = e.Seq, fmt.Sprintf("event %d was modified (its hash does not match its contents)", e.Seq)
	}
	c.next, c.prev = e.Seq+1, e.Hash
	return bad, problem
}

// walk hands fn every event after seq `after` that also matches filter, in
// order, through one cursor: memory stays flat however long the log is,
// and the embedded engine, which cannot seek by _id, scans only once.
func (l *Log) walk(ctx context.Context, after int64, filter bson.M, fn func(Event) error) error {
	f := bson.M{"_id": bson.M{"$gt": after}}
	for k, v := range filter {
		f[k] = v
	}
	opts := options.Find().SetSort(bson.D{{Key: "_id", Value: 1}}).SetBatchSize(batchSize)
	return store.Each(ctx, l.events, f, fn, opts)
}

// short abbreviates a hash for a message; the full one is in the report or
// the seal.
func short(h string) string {
	if len(h) > 12 {
		return h[:12] + "…"
	}
	return h
}

// name is how messages call a seal: by when it was made.
func (s Seal) name() string {
	return "seal " + s.Time.UTC().Format(time.DateOnly+" 15:04 UTC")
}
