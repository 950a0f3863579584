//go:build !noembed

package embedded_test

import (
	"context"
	"database/sql"
	"path/filepath"
	"strings"
	"testing"

	"go.mongodb.org/mongo-driver/bson"

	"dossier/internal/embedded"
	"dossier/internal/store"
	"dossier/internal/testkit"
)

// TestIndexIDs checks that lookups by _id use an index once IndexIDs ran,
// that FerretDB does not see it, and that a dropped collection takes it
// along.
func TestIndexIDs(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	m, err := embedded.StartMongoDB(ctx, dir, "127.0.0.1:0", testkit.Logger(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = m.Close() })
	db, err := store.Open(ctx, store.Options{URI: m.URI(), Database: "idx", Serialize: true})
	if err != nil {
		t.Fatal(err)
	}
	things := db.Collection("things")
	for _, id := range []string{"a", "b", "c"} {
		if err := things.Insert(ctx, bson.M{"_id": id, "n": 1}); err != nil {
			t.Fatal(err)
		}
	}
	if err := m.IndexIDs(ctx); err != nil {
		t.Fatal(err)
	}
	lite, err := sql.Open("sqlite", "file:"+filepath.Join(dir, "idx.sqlite"))
	if err != nil {
		t.Fatal(err)
	}
	var table string
	if err := lite.QueryRow(`SELECT tbl_name FROM sqlite_master WHERE type = 'index' AND name LIKE '%_dossier_id'`).Scan(&table); err != nil {
		t.Fatalf("no _id lookup index: %v", err)
	}
	var plan strings.Builder
	rows, err := lite.Query(`EXPLAIN QUERY PLAN SELECT _ferretdb_sjson FROM "`+table+`" WHERE _ferretdb_sjson->'$._id' = ?`, `"b"`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var id, parent, unused int
		var detail string
		_ = rows.Scan(&id, &parent, &unused, &detail)
		plan.WriteString(detail)
	}
	rows.Close()
	if !strings.Contains(plan.String(), "USING INDEX") {
		t.Fatalf("FerretDB's _id lookup does not use the index: %s", plan.String())
	}
	var got struct{ N int }
	if err := things.Get(ctx, bson.M{"_id": "b"}, &got); err != nil || got.N != 1 {
		t.Fatalf("lookup through FerretDB: %v %v", got, err)
	}
	var idx []bson.M
	if err := db.Collection("things").Aggregate(ctx, bson.A{bson.M{"$indexStats": bson.M{}}}, &idx); err == nil && len(idx) > 1 {
		t.Fatalf("FerretDB lists our index: %v", idx)
	}
	// A dropped database loses its file; a new one gets the index again.
	lite.Close()
	if err := db.Drop(ctx); err != nil {
		t.Fatal(err)
	}
	if err := things.Insert(ctx, bson.M{"_id": "d", "n": 2}); err != nil {
		t.Fatal(err)
	}
	if err := m.IndexIDs(ctx); err != nil {
		t.Fatal(err)
	}
	fresh, err := sql.Open("sqlite", "file:"+filepath.Join(dir, "idx.sqlite"))
	if err != nil {
		t.Fatal(err)
	}
	defer fresh.Close()
	var n int
	if err := fresh.QueryRow(`SELECT count(*) FROM sqlite_master WHERE type = 'index' AND name LIKE '%_dossier_id'`).Scan(&n); err != nil || n != 1 {
		t.Fatalf("%d _id lookup indexes on the re-created database, %v", n, err)
	}
}
