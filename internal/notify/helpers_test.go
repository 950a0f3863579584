package notify_test

import (
	"context"
	"os"
	"testing"
	"time"

	"dossier/internal/access"
	"dossier/internal/notify"
	"dossier/internal/store"
	"dossier/internal/testkit"
)

const domain = "general"

type env struct {
	db    *store.Store
	clock *testkit.Clock
	users *access.Service
	ctx   context.Context
	t     testing.TB
}

// newEnv gives a test its own database, the access service for users, and
// a fake clock at 09:00 UTC on a Monday.
func newEnv(t testing.TB) *env {
	t.Helper()
	return newEnvOn(t, testkit.MustOpenDB(t))
}

func newEnvOn(t testing.TB, db *store.Store) *env {
	t.Helper()
	ctx := context.Background()
	for range 2 { // Migrate is idempotent
		if err := notify.Migrate(ctx, db); err != nil {
			t.Fatal(err)
		}
	}
	if err := access.Migrate(ctx, db); err != nil {
		t.Fatal(err)
	}
	e := &env{db: db, clock: testkit.NewClock(time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)), ctx: ctx, t: t}
	e.users = access.New(db, access.Options{Now: e.clock.Now})
	return e
}

// service is one Dossier instance's notify service on the test's database.
func (e *env) service(o notify.Options) *notify.Service {
	if o.Users == nil {
		o.Users = e.users
	}
	if o.Now == nil {
		o.Now = e.clock.Now
	}
	if o.Log == nil {
		o.Log = testkit.Logger(e.t)
	}
	return notify.New(e.db, o)
}

func (e *env) user(email, name string) access.User {
	e.t.Helper()
	u, err := e.users.CreateUser(e.ctx, email, name)
	if err != nil {
		e.t.Fatal(err)
	}
	return u
}

// twoProcesses returns two stores on one database, each with its own write
// serialization: two Dossier processes sharing one database. On the
// embedded engine the store's in-process serialization then covers neither
// the other's writes; only what the database itself guarantees holds.
func twoProcesses(t testing.TB) (*store.Store, *store.Store) {
	t.Helper()
	uri, external := os.Getenv("DOSSIER_TEST_MONGO_URI"), true
	if uri == "" {
		uri, external = testkit.StartMongo(t, t.TempDir(), "127.0.0.1:0").URI, false
	}
	name := testkit.RandomName("t")
	open := func() *store.Store {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		s, err := store.Open(ctx, store.Options{URI: uri, Database: name, Serialize: !external})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			_ = s.Drop(ctx)
			_ = s.Close(ctx)
		})
		return s
	}
	return open(), open()
}
