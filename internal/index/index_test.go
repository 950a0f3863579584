package index_test

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"sync"
	"testing"

	"go.mongodb.org/mongo-driver/bson"

	"dossier/internal/index"
	"dossier/internal/store"
	"dossier/internal/testkit"
)

const domain = "general"

func newIndex(t *testing.T, format int) (*index.Index, *store.Store) {
	t.Helper()
	db := testkit.MustOpenDB(t)
	return index.New(db.Collection("test_index"), format, 8), db
}

type entry struct {
	version int64
	text    string
}

func read(t *testing.T, x *index.Index, domain string) map[string]entry {
	t.Helper()
	out := map[string]entry{}
	err := x.Each(context.Background(), domain, func(id string, version int64, text string) error {
		if _, dup := out[id]; dup {
			t.Errorf("%s listed twice", id)
		}
		out[id] = entry{version, text}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestPut(t *testing.T) {
	x, _ := newIndex(t, 1)
	ctx := context.Background()
	t.Run("OK", func(t *testing.T) {
		err := x.Put(ctx, domain, index.Line{ID: "a", Version: 1, Text: "alpha\x1fwith fields"}, index.Line{ID: "b", Version: 3, Text: ""},
			index.Line{ID: "c", Version: 1, Text: `{"json":"line"}`})
		if err != nil {
			t.Fatal(err)
		}
		want := map[string]entry{"a": {1, "alpha\x1fwith fields"}, "b": {3, ""}, "c": {1, `{"json":"line"}`}}
		if got := read(t, x, domain); !maps.Equal(got, want) {
			t.Fatalf("got %v, want %v", got, want)
		}
	})
	t.Run("OKNewerKept", func(t *testing.T) {
		// b at version 3 stays; an older line does not put it back.
		if err := x.Put(ctx, domain, index.Line{ID: "b", Version: 2, Text: "older"}, index.Line{ID: "a", Version: 2, Text: "alpha 2"}); err != nil {
			t.Fatal(err)
		}
		got := read(t, x, domain)
		if got["b"] != (entry{3, ""}) || got["a"] != (entry{2, "alpha 2"}) {
			t.Fatalf("got %v", got)
		}
	})
	t.Run("OKDrop", func(t *testing.T) {
		if err := x.Put(ctx, domain, index.Line{ID: "c", Version: 1, Drop: true}); err != nil {
			t.Fatal(err)
		}
		if _, ok := read(t, x, domain)["c"]; ok {
			t.Fatal("a drop at the stored version left c listed")
		}
		if err := x.Put(ctx, domain, index.Line{ID: "b", Version: 2, Drop: true}); err != nil {
			t.Fatal(err)
		}
		if _, ok := read(t, x, domain)["b"]; !ok {
			t.Fatal("a drop older than the stored line removed it")
		}
	})
	t.Run("OKDomains", func(t *testing.T) {
		if err := x.Put(ctx, "clinic", index.Line{ID: "a", Version: 1, Text: "clinic's a"}); err != nil {
			t.Fatal(err)
		}
		if got := read(t, x, "clinic"); len(got) != 1 || got["a"].text != "clinic's a" {
			t.Fatalf("clinic %v", got)
		}
		if got := read(t, x, domain)["a"]; got.text != "alpha 2" {
			t.Fatalf("general's a %v", got)
		}
		if d, err := x.Domains(ctx); err != nil || !slices.Equal(d, []string{"clinic", domain}) {
			t.Fatalf("domains %v, %v", d, err)
		}
	})
	t.Run("ErrSeparator", func(t *testing.T) {
		for _, l := range []index.Line{{ID: "x\x1fy"}, {ID: "x\x1ey"}, {ID: ""}, {ID: "x", Text: "a\x1eb"}} {
			if err := x.Put(ctx, domain, l); err == nil {
				t.Errorf("%q put", l.ID+l.Text)
			}
		}
		if err := x.Put(ctx, "a|b", index.Line{ID: "x"}); err == nil {
			t.Error("a domain with | put")
		}
	})
}

// TestFormat: lines of another format read as none and are gone at the
// bucket's next write.
func TestFormat(t *testing.T) {
	x1, db := newIndex(t, 1)
	ctx := context.Background()
	if err := x1.Put(ctx, domain, index.Line{ID: "a", Version: 1, Text: "v1"}); err != nil {
		t.Fatal(err)
	}
	x2 := index.New(db.Collection("test_index"), 2, 8)
	if got := read(t, x2, domain); len(got) != 0 {
		t.Fatalf("format 2 reads %v", got)
	}
	if err := x2.Put(ctx, domain, index.Line{ID: "b", Version: 1, Text: "v2"}); err != nil {
		t.Fatal(err)
	}
	var b struct {
		Format int `bson:"format"`
	}
	if err := db.Collection("test_index").Get(ctx, bson.M{"_id": x2.Bucket(domain, "b")}, &b); err != nil || b.Format != 2 {
		t.Fatalf("bucket format %d, %v", b.Format, err)
	}
	if got := read(t, x2, domain); len(got) != 1 || got["b"].text != "v2" {
		t.Fatalf("format 2 reads %v", got)
	}
}

// TestRacingWriters: forty records of one bucket written at once, and one
// record written at versions 1..20 at once: every record ends up in the
// bucket, and the record raced over keeps its newest line.
func TestRacingWriters(t *testing.T) {
	x, _ := newIndex(t, 1)
	ctx := context.Background()
	var ids []string
	for i := 0; len(ids) < 40; i++ {
		if id := fmt.Sprintf("r%d", i); x.Bucket(domain, id) == x.Bucket(domain, "r0") {
			ids = append(ids, id)
		}
	}
	var wg sync.WaitGroup
	for _, id := range ids {
		wg.Go(func() {
			if err := x.Put(ctx, domain, index.Line{ID: id, Version: 1, Text: id}); err != nil {
				t.Error(err)
			}
		})
	}
	for v := range 20 {
		wg.Go(func() {
			if err := x.Put(ctx, domain, index.Line{ID: ids[0], Version: int64(v + 1), Text: fmt.Sprint("v", v+1)}); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	got := read(t, x, domain)
	if len(got) != len(ids) {
		t.Fatalf("%d lines, want %d", len(got), len(ids))
	}
	if got[ids[0]] != (entry{20, "v20"}) {
		t.Fatalf("raced record %v, want version 20", got[ids[0]])
	}
}
