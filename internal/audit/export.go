package audit

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"io"
	"regexp"
	"strconv"
	"strings"
	"time"

	"go.mongodb.org/mongo-driver/bson"
	"go.mongodb.org/mongo-driver/mongo/options"

	"dossier/internal/errs"
)

// Export writes every event at or after since (zero: all), in sequence
// order, as "jsonl" (one Event as JSON per line) or "csv" (a header row,
// then one row per event, details as compact JSON). Values are written exactly as stored,
// so each row's hash can be recomputed (see canonical). It reads in batches
// and never holds the whole log.
//
// In CSV, a cell that a spreadsheet would run as a formula (starting with
// = + - @, tab or carriage return) gets a leading apostrophe; recompute
// hashes from the jsonl export, which is exact. domains, when given, keeps
// only events of those domains ("" for deployment-wide ones).
func (l *Log) Export(ctx context.Context, w io.Writer, since time.Time, format string, domains ...string) error {
	var write func(Event) error
	var flush func() error
	switch format {
	case "jsonl":
		enc := json.NewEncoder(w)
		enc.SetEscapeHTML(false)
		write = func(e Event) error { return enc.Encode(e) }
		flush = func() error { return nil }
	case "csv":
		cw := csv.NewWriter(w)
		header := []string{"seq", "time", "actor", "actor_name", "actor_ip", "action", "object_type", "object_id", "domain", "details", "prev", "hash"}
		if err := cw.Write(header); err != nil {
			return err
		}
		write = func(e Event) error {
			row := []string{
				strconv.FormatInt(e.Seq, 10), e.Time.UTC().Format(time.RFC3339Nano),
				e.ActorID, e.ActorName, e.ActorIP, e.Action, e.ObjectType, e.ObjectID, e.Domain,
				compactJSON(e.Details), e.Prev, e.Hash,
			}
			for i, v := range row {
				row[i] = inert(v)
			}
			return cw.Write(row)
		}
		flush = func() error { cw.Flush(); return cw.Error() }
	default:
		return errs.E(errs.Invalid, "Unknown export format %q: use jsonl or csv.", format)
	}
	filter := bson.M{}
	if !since.IsZero() {
		filter["time"] = bson.M{"$gte": since.UTC()}
	}
	if len(domains) > 0 {
		filter["domain"] = bson.M{"$in": domains}
	}
	n := 0
	err := l.walk(ctx, 0, filter, func(e Event) error {
		if err := write(e); err != nil {
			return err
		}
		// Flush a batch at a time, so a long export streams.
		if n++; n%batchSize == 0 {
			return flush()
		}
		return nil
	})
	if err != nil {
		return err
	}
	return flush()
}

// compactJSON writes details as {"k":"v",…} with keys sorted; none is {}.
func compactJSON(d map[string]string) string {
	if len(d) == 0 {
		return "{}"
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(d) // a map[string]string cannot fail to encode
	return strings.TrimSuffix(buf.String(), "\n")
}

// Query selects events for a history page. Zero fields select everything.
type Query struct {
	ObjectType string
	ObjectID   string
	ActorID    string
	// Action is one action ("user.create") or, ending in ".", every action
	// that starts with it ("user.").
	Action  string
	Domain  string
	Domains []string  // any of these ("" for deployment-wide events), when Domain is ""
	Since   time.Time // at or after
	Until   time.Time // before
	Before  int64     // only events numbered below this: the last Seq of the previous page
	Limit   int       // 50 when zero; at most MaxListLimit
}

// MaxListLimit is the most events List returns at once.
const MaxListLimit = 1000

// List returns the events q selects, newest first.
func (l *Log) List(ctx context.Context, q Query) ([]Event, error) {
	if q.Limit < 0 || q.Limit > MaxListLimit {
		return nil, errs.E(errs.Invalid, "A page of audit events holds 1 to %d events.", MaxListLimit)
	}
	if q.Limit == 0 {
		q.Limit = 50
	}
	f := bson.M{}
	for field, v := range map[string]string{"object_type": q.ObjectType, "object_id": q.ObjectID, "actor": q.ActorID, "domain": q.Domain} {
		if v != "" {
			f[field] = v
		}
	}
	if len(q.Domains) > 0 && q.Domain == "" {
		f["domain"] = bson.M{"$in": q.Domains}
	}
	switch {
	case strings.HasSuffix(q.Action, "."):
		f["action"] = bson.M{"$regex": "^" + regexp.QuoteMeta(q.Action)}
	case q.Action != "":
		f["action"] = q.Action
	}
	t := bson.M{}
	if !q.Since.IsZero() {
		t["$gte"] = q.Since.UTC()
	}
	if !q.Until.IsZero() {
		t["$lt"] = q.Until.UTC()
	}
	if len(t) > 0 {
		f["time"] = t
	}
	if q.Before > 0 {
		f["_id"] = bson.M{"$lt": q.Before}
	} else {
		f["_id"] = bson.M{"$gt": 0}
	}
	events := []Event{}
	err := l.events.Find(ctx, f, &events, options.Find().SetSort(bson.D{{Key: "_id", Value: -1}}).SetLimit(int64(q.Limit)))
	if err != nil {
		return nil, err
	}
	return events, nil
}

// inert keeps a spreadsheet from running a cell as a formula.
func inert(v string) string {
	if v != "" && strings.ContainsRune("=+-@\t\r", rune(v[0])) {
		return "'" + v
	}
	return v
}
