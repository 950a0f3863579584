package store

import (
	"context"
	"fmt"
	"sort"
	"time"

	"go.mongodb.org/mongo-driver/bson"

	"dossier/internal/errs"
)

// Migration brings the database from Version-1 to Version: indexes, data
// rewrites. Up must be idempotent: a crash between Up and the version record
// runs it again.
type Migration struct {
	Version int
	Name    string
	Up      func(ctx context.Context, s *Store) error
}

// SchemaVersion is the record of which migrations have run, kept as one
// document in the "schema" collection.
type SchemaVersion struct {
	ID      string          `bson:"_id"`
	Version int             `bson:"version"`
	History []AppliedSchema `bson:"history"`
}

// AppliedSchema records one migration run.
type AppliedSchema struct {
	Version int       `bson:"version"`
	Name    string    `bson:"name"`
	At      time.Time `bson:"at"`
}

const schemaID = "schema"

// Schema returns the schema record; a new database has version 0.
func (s *Store) Schema(ctx context.Context) (SchemaVersion, error) {
	var v SchemaVersion
	err := s.Collection("schema").Get(ctx, bson.M{"_id": schemaID}, &v)
	if errs.Is(err, errs.NotFound) {
		return SchemaVersion{ID: schemaID}, nil
	}
	return v, err
}

// Migrate runs, in order, every migration newer than the recorded version
// and records each. Several instances starting at once are safe: each step
// is recorded with a conditional update, and a step recorded by another
// instance is not recorded twice.
func (s *Store) Migrate(ctx context.Context, migrations []Migration, now func() time.Time) error {
	ms := append([]Migration(nil), migrations...)
	sort.Slice(ms, func(i, j int) bool { return ms[i].Version < ms[j].Version })
	for i, m := range ms {
		if m.Version != i+1 {
			return fmt.Errorf("migrations must be numbered 1, 2, 3…: found %d at position %d", m.Version, i+1)
		}
	}
	coll := s.Collection("schema")
	if err := coll.Upsert(ctx, bson.M{"_id": schemaID}, bson.M{"$setOnInsert": bson.M{"version": 0, "history": bson.A{}}}); err != nil {
		return fmt.Errorf("record schema version: %w", err)
	}
	for _, m := range ms {
		cur, err := s.Schema(ctx)
		if err != nil {
			return err
		}
		if m.Version <= cur.Version {
			continue
		}
		if err := m.Up(ctx, s); err != nil {
			return fmt.Errorf("migration %d (%s): %w", m.Version, m.Name, err)
		}
		_, err = coll.Update(ctx,
			bson.M{"_id": schemaID, "version": m.Version - 1},
			bson.M{
				"$set":  bson.M{"version": m.Version},
				"$push": bson.M{"history": AppliedSchema{Version: m.Version, Name: m.Name, At: now().UTC()}},
			})
		if err != nil {
			return fmt.Errorf("record migration %d: %w", m.Version, err)
		}
	}
	return nil
}
