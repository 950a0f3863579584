// Package ratelimit counts requests per key in fixed time windows kept in
// MongoDB, so every instance behind the load balancer shares one count.
package ratelimit

import (
	"context"
	"errors"
	"strconv"
	"time"

	"go.mongodb.org/mongo-driver/bson"
	"go.mongodb.org/mongo-driver/mongo"
	"go.mongodb.org/mongo-driver/mongo/options"

	"dossier/internal/errs"
	"dossier/internal/store"
)

// Collection holds one document per key and window.
const Collection = "rate_limits"

// Limiter decides whether a request may go ahead.
type Limiter struct {
	c   *store.Collection
	now func() time.Time
}

// New makes a Limiter on db with the clock now.
func New(db *store.Store, now func() time.Time) *Limiter {
	return &Limiter{c: db.Collection(Collection), now: now}
}

// window is one key's count in one window. The window's number is in the
// _id, the one filter the embedded engine looks up without a scan.
type window struct {
	ID      string    `bson:"_id"`
	Count   int64     `bson:"count"`
	Expires time.Time `bson:"expires"`
}

// Allow counts one request against key and reports whether it is within
// limit requests per window. Windows are fixed, aligned to the Unix epoch:
// a burst may straddle two of them, so up to twice limit can pass in one
// window's length, which is the price of one counter per window. When the
// answer is no, retryAfter says when the current window ends.
//
// Each call is one atomic increment of the window's document (created by
// the first request of the window), so concurrent requests from any
// number of instances are counted exactly.
func (l *Limiter) Allow(ctx context.Context, key string, limit int, every time.Duration) (ok bool, retryAfter time.Duration, err error) {
	if key == "" || limit < 1 || every <= 0 {
		return false, 0, errors.New("ratelimit: want a key, a limit of at least 1 and a positive window")
	}
	now := l.now()
	n := now.UnixNano() / int64(every)
	end := time.Unix(0, (n+1)*int64(every))
	id := key + ":" + strconv.FormatInt(n, 10)
	count, err := l.count(ctx, id, end)
	if err != nil {
		return false, 0, err
	}
	if count > int64(limit) {
		return false, end.Sub(now), nil
	}
	return true, 0, nil
}

// count increments the window's count and returns it. The store's
// FindAndUpdate has no upsert, so the first request of a window inserts the
// document; two racing to insert it see a conflict, and the loser counts in
// the winner's document.
func (l *Limiter) count(ctx context.Context, id string, expires time.Time) (int64, error) {
	for range 3 {
		var w window
		err := l.c.FindAndUpdate(ctx, bson.M{"_id": id}, bson.M{"$inc": bson.M{"count": 1}}, &w)
		if err == nil {
			return w.Count, nil
		}
		if !errs.Is(err, errs.NotFound) {
			return 0, err
		}
		err = l.c.Insert(ctx, window{ID: id, Count: 1, Expires: expires})
		if err == nil {
			return 1, nil
		}
		if !errs.Is(err, errs.Conflict) {
			return 0, err
		}
	}
	return 0, errs.E(errs.Unavailable, "The rate limit could not be counted; try again.")
}

// sweepBatch bounds the ids one Sweep step holds in memory.
const sweepBatch = 1000

// Sweep deletes the windows that have ended and returns how many. The
// embedded engine has no TTL indexes; several instances sweeping at once
// only delete the same documents.
func (l *Limiter) Sweep(ctx context.Context) (int, error) {
	n := 0
	for {
		var ids []struct {
			ID string `bson:"_id"`
		}
		err := l.c.Find(ctx, bson.M{"expires": bson.M{"$lte": l.now()}}, &ids,
			options.Find().SetProjection(bson.M{"_id": 1}).SetLimit(sweepBatch))
		if err != nil {
			return n, err
		}
		for _, d := range ids {
			err := l.c.Delete(ctx, bson.M{"_id": d.ID})
			switch {
			case err == nil:
				n++
			case !errs.Is(err, errs.NotFound): // NotFound: another instance swept it
				return n, err
			}
		}
		if len(ids) < sweepBatch {
			return n, nil
		}
	}
}

// Migrate creates the collection with an index on expiry, which Sweep
// reads by on MongoDB.
func Migrate(ctx context.Context, db *store.Store) error {
	return db.Collection(Collection).EnsureIndexes(ctx,
		mongo.IndexModel{Keys: bson.D{{Key: "expires", Value: 1}}, Options: options.Index().SetName("expires")})
}
