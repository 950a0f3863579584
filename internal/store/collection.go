package store

import (
	"context"
	"sync"

	"go.mongodb.org/mongo-driver/bson"
	"go.mongodb.org/mongo-driver/mongo"
	"go.mongodb.org/mongo-driver/mongo/options"

	"dossier/internal/errs"
)

// Collection is a MongoDB collection whose errors are errs codes and whose
// writes are serialized when the store asks for it.
//
// One rule for every $set of a nested document: the embedded engine
// (FerretDB v1) skips a $set whose new document has the same values in
// the same order as the stored one, comparing values only, not keys, so
// {"sent": 3} over {"skipped": 3} is silently not written. Nested
// documents that are $set whole need fixed keys in a fixed order: a struct
// with no omitempty inside (as contract.BAATerms), never a Go map or
// bson.M, whose keys come out in random order ({a: false, b: true} can
// encode as {b: true, a: false} and match a stored {a: true, b: false});
// maps are stored as lists (as notify's job counts). TestSetSubdocument
// pins the engine's behaviour.
type Collection struct {
	c      *mongo.Collection
	s      *Store
	writes *sync.Mutex // nil unless the store serializes writes
}

func (c *Collection) lock() func() {
	if c.writes == nil {
		return func() {}
	}
	c.writes.Lock()
	return c.writes.Unlock
}

// Name is the collection's name.
func (c *Collection) Name() string { return c.c.Name() }

// Insert adds one document. A duplicate key is a conflict.
func (c *Collection) Insert(ctx context.Context, doc any) error {
	defer c.lock()()
	_, err := c.c.InsertOne(ctx, doc)
	return c.s.mapErr("insert", err)
}

// InsertMany adds documents in order.
func (c *Collection) InsertMany(ctx context.Context, docs []any) error {
	defer c.lock()()
	_, err := c.c.InsertMany(ctx, docs)
	return c.s.mapErr("insert", err)
}

// Get decodes the one document matching filter into out; none is NotFound.
func (c *Collection) Get(ctx context.Context, filter any, out any, opts ...*options.FindOneOptions) error {
	return c.s.mapErr("find", c.c.FindOne(ctx, filter, opts...).Decode(out))
}

// Find decodes every document matching filter into out, a pointer to a slice.
func (c *Collection) Find(ctx context.Context, filter any, out any, opts ...*options.FindOptions) error {
	cur, err := c.c.Find(ctx, filter, opts...)
	if err != nil {
		return c.s.mapErr("find", err)
	}
	return c.s.mapErr("find", cur.All(ctx, out))
}

// Count counts the documents matching filter.
func (c *Collection) Count(ctx context.Context, filter any) (int64, error) {
	n, err := c.c.CountDocuments(ctx, filter)
	return n, c.s.mapErr("count", err)
}

// Aggregate runs a pipeline and decodes the results into out.
func (c *Collection) Aggregate(ctx context.Context, pipeline any, out any) error {
	cur, err := c.c.Aggregate(ctx, pipeline)
	if err != nil {
		return c.s.mapErr("aggregate", err)
	}
	return c.s.mapErr("aggregate", cur.All(ctx, out))
}

// Update applies update to the one document matching filter and reports
// whether one matched. It is the building block of optimistic concurrency:
// put the expected version in the filter and $inc it in the update.
func (c *Collection) Update(ctx context.Context, filter, update any) (matched bool, err error) {
	defer c.lock()()
	r, err := c.c.UpdateOne(ctx, filter, update)
	if err != nil {
		return false, c.s.mapErr("update", err)
	}
	return r.MatchedCount == 1, nil
}

// UpdateVersion applies update to the document with this id only while its
// version is still version, and increments the version. A document changed
// meanwhile, or gone, is a conflict.
func (c *Collection) UpdateVersion(ctx context.Context, id any, version int64, update bson.M) error {
	u := bson.M{}
	for k, v := range update {
		u[k] = v
	}
	inc, _ := u["$inc"].(bson.M)
	if inc == nil {
		inc = bson.M{}
	}
	inc["version"] = 1
	u["$inc"] = inc
	conflict := errs.E(errs.Conflict, "Someone else changed this record after you opened it. Reload it and apply your change again.")
	if c.writes == nil {
		ok, err := c.Update(ctx, bson.M{"_id": id, "version": version}, u)
		if err == nil && !ok {
			return conflict
		}
		return err
	}
	// The embedded engine pushes down only a bare {_id: v} filter; with the
	// version in it, it scans the whole collection (375 ms at 2,000 vendors).
	// Under the write lock, which makes this process the only writer,
	// checking the version first and then updating by _id is the same
	// single conditional update, at the cost of two lookups by _id.
	defer c.lock()()
	var cur struct {
		Version int64 `bson:"version"`
	}
	err := c.c.FindOne(ctx, bson.M{"_id": id}, options.FindOne().SetProjection(bson.M{"version": 1})).Decode(&cur)
	if errs.Is(c.s.mapErr("find", err), errs.NotFound) || err == nil && cur.Version != version {
		return conflict
	}
	if err != nil {
		return c.s.mapErr("find", err)
	}
	_, err = c.c.UpdateOne(ctx, bson.M{"_id": id}, u)
	return c.s.mapErr("update", err)
}

// Upsert updates the document matching filter or inserts one made from it.
func (c *Collection) Upsert(ctx context.Context, filter, update any) error {
	defer c.lock()()
	_, err := c.c.UpdateOne(ctx, filter, update, options.Update().SetUpsert(true))
	return c.s.mapErr("upsert", err)
}

// UpdateMany applies update to every document matching filter.
func (c *Collection) UpdateMany(ctx context.Context, filter, update any) (int64, error) {
	defer c.lock()()
	r, err := c.c.UpdateMany(ctx, filter, update)
	if err != nil {
		return 0, c.s.mapErr("update", err)
	}
	return r.ModifiedCount, nil
}

// FindAndUpdate applies update to the one document matching filter and
// decodes the document as it is after the update; none matching is NotFound.
func (c *Collection) FindAndUpdate(ctx context.Context, filter, update, out any) error {
	defer c.lock()()
	r := c.c.FindOneAndUpdate(ctx, filter, update, options.FindOneAndUpdate().SetReturnDocument(options.After))
	return c.s.mapErr("update", r.Decode(out))
}

// Delete removes the one document matching filter; none is NotFound.
func (c *Collection) Delete(ctx context.Context, filter any) error {
	defer c.lock()()
	r, err := c.c.DeleteOne(ctx, filter)
	if err != nil {
		return c.s.mapErr("delete", err)
	}
	if r.DeletedCount == 0 {
		return errs.E(errs.NotFound, "Not found.")
	}
	return nil
}

// EnsureIndexes creates indexes; creating an existing one again is a no-op.
// One request per index: the embedded engine drops the connection when one
// createIndexes request names two or more indexes that already exist.
func (c *Collection) EnsureIndexes(ctx context.Context, models ...mongo.IndexModel) error {
	for _, m := range models {
		if _, err := c.c.Indexes().CreateOne(ctx, m); err != nil {
			return c.s.mapErr("create index", err)
		}
	}
	return nil
}

// Each decodes the documents matching filter one at a time, in the order
// opts ask, and hands each to fn; memory stays flat however many match.
// fn's error stops the walk and is returned as is.
func Each[T any](ctx context.Context, c *Collection, filter any, fn func(T) error, opts ...*options.FindOptions) error {
	cur, err := c.c.Find(ctx, filter, opts...)
	if err != nil {
		return c.s.mapErr("find", err)
	}
	defer cur.Close(ctx)
	for cur.Next(ctx) {
		var v T
		if err := cur.Decode(&v); err != nil {
			return c.s.mapErr("find", err)
		}
		if err := fn(v); err != nil {
			return err
		}
	}
	return c.s.mapErr("find", cur.Err())
}
