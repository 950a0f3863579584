package notify_test

import (
	"context"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"dossier/internal/embedded"
	"dossier/internal/notify"
	"dossier/internal/store"
	"dossier/internal/testkit"
)

// benchClaims is the daily expiry job's scale: 20,000 contracts, nine
// once-only reminders each over their life, of which these are past.
const benchClaims = 20_000

// benchDB is a database on DOSSIER_TEST_MONGO_URI, or on an embedded engine
// of its own, after seed has filled it and the engine has indexed _id as
// the running server does.
func benchDB(b *testing.B, seed func(*store.Store)) *store.Store {
	ctx := context.Background()
	uri, external := os.LookupEnv("DOSSIER_TEST_MONGO_URI")
	var eng *embedded.MongoDB
	if !external {
		var err error
		eng, err = embedded.StartMongoDB(ctx, b.TempDir(), "127.0.0.1:0", testkit.Logger(b))
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { _ = eng.Close() })
		uri = eng.URI()
	}
	db, err := store.Open(ctx, store.Options{URI: uri, Database: testkit.RandomName("bench"), Serialize: !external})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() {
		_ = db.Drop(context.Background())
		_ = db.Close(context.Background())
	})
	if err := notify.Migrate(ctx, db); err != nil {
		b.Fatal(err)
	}
	seed(db)
	if eng != nil {
		if err := eng.IndexIDs(ctx); err != nil {
			b.Fatal(err)
		}
	}
	return db
}

// insertAll writes n documents made by doc in batches.
func insertAll(b *testing.B, c *store.Collection, n int, doc func(i int) any) {
	for start := 0; start < n; start += 1000 {
		batch := make([]any, 0, 1000)
		for i := start; i < min(start+1000, n); i++ {
			batch = append(batch, doc(i))
		}
		if err := c.InsertMany(context.Background(), batch); err != nil {
			b.Fatal(err)
		}
	}
}

var benchStart = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)

func seedClaims(b *testing.B) func(*store.Store) {
	return func(db *store.Store) {
		insertAll(b, db.Collection(notify.SentCollection), benchClaims, func(i int) any {
			return map[string]any{"_id": fmt.Sprintf("contract:%d:expiry:90d", i), "state": "sent", "holder": "seed",
				"claimed": benchStart, "done": benchStart, "attempts": 1, "version": 1}
		})
	}
}

// BenchmarkOnceSent is the daily job asking about a reminder sent on an
// earlier day: one failed insert and one lookup by _id.
func BenchmarkOnceSent(b *testing.B) {
	svc := notify.New(benchDB(b, seedClaims(b)), notify.Options{})
	ctx := context.Background()
	i := 0
	for b.Loop() {
		key := fmt.Sprintf("contract:%d:expiry:90d", i%benchClaims)
		if sent, err := svc.Once(ctx, key, func(context.Context) error { return nil }); err != nil || sent {
			b.Fatalf("sent=%v %v", sent, err)
		}
		i++
	}
}

// BenchmarkOnceNew is a reminder going out (the send itself free): the
// claim's insert, and marking it sent under its version.
func BenchmarkOnceNew(b *testing.B) {
	svc := notify.New(benchDB(b, seedClaims(b)), notify.Options{})
	ctx := context.Background()
	i := 0
	for b.Loop() {
		if sent, err := svc.Once(ctx, fmt.Sprintf("contract:%d:notice:30d", i), func(context.Context) error { return nil }); err != nil || !sent {
			b.Fatalf("sent=%v %v", sent, err)
		}
		i++
	}
}

// inboxDB has benchClaims notices for 200 users, and one user, ann, whose
// inbox is full of notices with bodies of a typical reminder's length.
func inboxDB(b *testing.B) (*store.Store, *notify.Service) {
	var svc *notify.Service
	db := benchDB(b, func(db *store.Store) {
		insertAll(b, db.Collection(notify.NoticesCollection), benchClaims, func(i int) any {
			return notify.Notice{ID: fmt.Sprintf("seed%06d", i), UserID: fmt.Sprintf("user%03d", i%200), Subject: "Reminder",
				Body: strings.Repeat("x", 300), Created: benchStart.Add(-time.Duration(i) * time.Minute)}
		})
		clock := testkit.NewClock(benchStart)
		svc = notify.New(db, notify.Options{Now: clock.Now})
		for i := range notify.InboxSize {
			_, err := svc.Notify(context.Background(), notify.Notice{UserID: "ann", Subject: fmt.Sprintf("BAA with vendor %d expires in 30 days", i),
				Body: strings.Repeat("The business associate agreement expires soon; renew it or give notice. ", 5), Link: fmt.Sprintf("/contracts/%d", i)})
			if err != nil {
				b.Fatal(err)
			}
			clock.Advance(time.Minute)
		}
	})
	return db, svc
}

// BenchmarkUnread is the navigation badge: the inbox's unread ids.
func BenchmarkUnread(b *testing.B) {
	_, svc := inboxDB(b)
	for b.Loop() {
		if n, err := svc.Unread(context.Background(), "ann"); err != nil || n != notify.InboxSize {
			b.Fatalf("%d %v", n, err)
		}
	}
}

// BenchmarkNotices is the notices page: the inbox, and each notice by _id.
func BenchmarkNotices(b *testing.B) {
	_, svc := inboxDB(b)
	for b.Loop() {
		if ns, err := svc.Notices(context.Background(), "ann", false); err != nil || len(ns) != notify.InboxSize {
			b.Fatalf("%d %v", len(ns), err)
		}
	}
}

// BenchmarkNotify adds a notice to a full inbox: the notice's insert and
// the inbox's rewrite under its version.
func BenchmarkNotify(b *testing.B) {
	_, svc := inboxDB(b)
	for b.Loop() {
		if _, err := svc.Notify(context.Background(), notify.Notice{UserID: "ann", Subject: "Another reminder", Body: "Body"}); err != nil {
			b.Fatal(err)
		}
	}
}
