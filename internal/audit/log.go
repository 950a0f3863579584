package audit

import (
	"context"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"go.mongodb.org/mongo-driver/bson"
	"go.mongodb.org/mongo-driver/mongo"
	"go.mongodb.org/mongo-driver/mongo/options"

	"dossier/internal/blob"
	"dossier/internal/errs"
	"dossier/internal/store"
	"dossier/internal/text"
)

// EventsCollection holds the chain: one document per event, _id = Seq.
const EventsCollection = "audit_events"

// Limits on what an entry may carry. Details are the caller's choice and are
// refused over these; fields a request supplies (actor, object id) are cut
// instead, so a long or malformed e-mail typed at sign-in cannot keep the
// failed attempt out of the trail.
const (
	MaxDetails     = 32   // keys
	MaxDetailKey   = 64   // bytes
	MaxDetailValue = 1024 // bytes
	maxName        = 64   // action, object type
	maxDomain      = 128
	maxField       = 256 // actor id, name, IP and object id are cut to this
)

const (
	// appendAttempts bounds the retries when other instances keep taking
	// the next sequence number first.
	appendAttempts = 50
	// probeSteps is how far Append steps forward by _id after a conflict
	// before it looks the head up with one sorted query instead.
	probeSteps = 8
	// batchSize is how many events a cursor fetches per round trip.
	batchSize = 1000
)

// Log is the audit trail. It is safe for concurrent use, and several Logs
// (one per server instance) may append to one database: each insert claims
// the next _id, and a duplicate _id means another instance got there first.
type Log struct {
	events *store.Collection
	files  *blob.Store
	now    func() time.Time

	// SealRetention is how long a seal stays under compliance retention;
	// zero means six years, HIPAA's retention for documentation
	// (45 CFR 164.316(b)(2)). Set it before first use.
	SealRetention time.Duration

	// turn serializes this instance's appends and guards head and known.
	// A one-slot channel rather than a mutex, so a request waiting behind a
	// stalled database gives up when its context ends.
	turn  chan struct{}
	head  link
	known bool // head has been read from the database
}

// link is a point in the chain: an event's sequence number and hash.
type link struct {
	seq  int64
	hash string
}

// New returns the audit trail kept in db, sealed to files. It does no I/O.
func New(db *store.Store, files *blob.Store, now func() time.Time) *Log {
	return &Log{events: db.Collection(EventsCollection), files: files, now: now, turn: make(chan struct{}, 1)}
}

// lock takes this instance's turn, or gives up when ctx ends.
func (l *Log) lock(ctx context.Context) (unlock func(), err error) {
	select {
	case l.turn <- struct{}{}:
		return func() { <-l.turn }, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// Migrate creates the indexes the history pages read by. Running it again
// is harmless.
func Migrate(ctx context.Context, db *store.Store) error {
	return db.Collection(EventsCollection).EnsureIndexes(ctx,
		mongo.IndexModel{Keys: bson.D{{Key: "object_type", Value: 1}, {Key: "object_id", Value: 1}, {Key: "_id", Value: -1}}, Options: options.Index().SetName("object_history")},
		mongo.IndexModel{Keys: bson.D{{Key: "time", Value: 1}}, Options: options.Index().SetName("time")},
		mongo.IndexModel{Keys: bson.D{{Key: "actor", Value: 1}, {Key: "_id", Value: -1}}, Options: options.Index().SetName("actor_history")},
	)
}

// Append adds e to the end of the chain and returns the stored event. The
// actor is e.Actor, or the one ctx carries.
func (l *Log) Append(ctx context.Context, e Entry) (Event, error) {
	ev, err := newEvent(ctx, e)
	if err != nil {
		return Event{}, err
	}
	unlock, err := l.lock(ctx)
	if err != nil {
		return Event{}, err
	}
	defer unlock()
	if !l.known {
		if err := l.loadHead(ctx); err != nil {
			return Event{}, err
		}
	}
	// BSON dates hold milliseconds: truncate before hashing so the stored
	// event hashes the same when read back.
	ev.Time = l.now().UTC().Truncate(time.Millisecond)
	for range appendAttempts {
		ev.Seq, ev.Prev = l.head.seq+1, l.head.hash
		ev.Hash = ev.ComputeHash()
		err := l.events.Insert(ctx, ev)
		if err == nil {
			l.head = link{ev.Seq, ev.Hash}
			return ev, nil
		}
		if !errs.Is(err, errs.Conflict) {
			// The insert may still have happened; if so the next append
			// meets a conflict and moves past it.
			return Event{}, err
		}
		if err := l.advance(ctx); err != nil {
			return Event{}, err
		}
	}
	return Event{}, errs.E(errs.Unavailable, "The audit trail is too busy to record this change; try again.")
}

// loadHead sets the cached head from the database.
func (l *Log) loadHead(ctx context.Context) error {
	h, err := l.lastLink(ctx)
	if err != nil {
		return err
	}
	l.head, l.known = h, true
	return nil
}

// lastLink reads the last event with one sorted query. The filter keeps a
// stray non-numeric _id, which sorts after numbers, out of the way.
func (l *Log) lastLink(ctx context.Context) (link, error) {
	var last []struct {
		Seq  int64  `bson:"_id"`
		Hash string `bson:"hash"`
	}
	err := l.events.Find(ctx, bson.M{"_id": bson.M{"$gt": 0}}, &last,
		options.Find().SetSort(bson.D{{Key: "_id", Value: -1}}).SetLimit(1).SetProjection(bson.M{"hash": 1}))
	if err != nil || len(last) == 0 {
		return link{0, genesis}, err
	}
	return link{last[0].Seq, last[0].Hash}, nil
}

// advance moves the cached head to the database's, after other instances
// appended: a few lookups by _id (the embedded engine's one fast query),
// then the sorted query when this instance has fallen far behind.
func (l *Log) advance(ctx context.Context) error {
	for range probeSteps {
		var next struct {
			Hash string `bson:"hash"`
		}
		err := l.events.Get(ctx, bson.M{"_id": l.head.seq + 1}, &next)
		if errs.Is(err, errs.NotFound) {
			return nil
		}
		if err != nil {
			return err
		}
		l.head = link{l.head.seq + 1, next.Hash}
	}
	return l.loadHead(ctx)
}

// storedHead returns the last event as stored now, for sealing. The cached
// head is only a start: if its event was since deleted, the cache is left
// alone (appends continuing after it leave the deletion visible as a gap)
// and the head is looked up afresh.
func (l *Log) storedHead(ctx context.Context) (link, error) {
	unlock, err := l.lock(ctx)
	if err != nil {
		return link{}, err
	}
	if l.known {
		err = l.advance(ctx)
	} else {
		err = l.loadHead(ctx)
	}
	h := l.head
	unlock()
	if err != nil || h.seq == 0 {
		return h, err
	}
	var e struct {
		Hash string `bson:"hash"`
	}
	err = l.events.Get(ctx, bson.M{"_id": h.seq}, &e)
	if errs.Is(err, errs.NotFound) {
		return l.lastLink(ctx)
	}
	return link{h.seq, e.Hash}, err
}

// newEvent checks e and fills everything but the chain fields and time.
func newEvent(ctx context.Context, e Entry) (Event, error) {
	if err := checkName("action", e.Action); err != nil {
		return Event{}, err
	}
	if err := checkName("object type", e.ObjectType); err != nil {
		return Event{}, err
	}
	if len(e.Domain) > maxDomain || !printable(e.Domain) {
		return Event{}, errs.E(errs.Invalid, "An audit domain must be printable text of at most %d bytes.", maxDomain)
	}
	if len(e.Details) > MaxDetails {
		return Event{}, errs.E(errs.Invalid, "An audit event may carry at most %d details, not %d.", MaxDetails, len(e.Details))
	}
	var details map[string]string
	if len(e.Details) > 0 {
		details = make(map[string]string, len(e.Details)) // a copy: the caller may reuse its map
		for k, v := range e.Details {
			if k == "" || len(k) > MaxDetailKey || !printable(k) || strings.ContainsAny(k, ".$") {
				return Event{}, errs.E(errs.Invalid, "Audit detail %q needs a name of 1 to %d printable bytes without '.' or '$'.", text.Clip(k, MaxDetailKey), MaxDetailKey)
			}
			if len(v) > MaxDetailValue {
				return Event{}, errs.E(errs.Invalid, "Audit detail %q is %d bytes; at most %d are kept.", k, len(v), MaxDetailValue)
			}
			details[k] = strings.ToValidUTF8(v, "\uFFFD")
		}
	}
	a := ActorFrom(ctx)
	if e.Actor != nil {
		a = *e.Actor
	}
	if a.ID == "" {
		a.ID = "anonymous" // such as a failed sign-in with an unknown e-mail
	}
	return Event{
		ActorID: text.Clip(a.ID, maxField), ActorName: text.Clip(a.Name, maxField), ActorIP: text.Clip(a.IP, maxField),
		Action: e.Action, ObjectType: e.ObjectType, ObjectID: text.Clip(e.ObjectID, maxField), Domain: e.Domain,
		Details: details,
	}, nil
}

// checkName accepts the dotted words actions and object types are made of.
func checkName(what, v string) error {
	if v == "" {
		return errs.E(errs.Invalid, "An audit event needs an %s.", what)
	}
	ok := len(v) <= maxName
	for _, r := range v {
		ok = ok && (r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("._:-", r))
	}
	if !ok {
		return errs.E(errs.Invalid, "Audit %s %q must be at most %d letters, digits, '.', '_', ':' or '-'.", what, text.Clip(v, maxName), maxName)
	}
	return nil
}

func printable(s string) bool {
	if !utf8.ValidString(s) {
		return false
	}
	for _, r := range s {
		if unicode.IsControl(r) {
			return false
		}
	}
	return true
}
