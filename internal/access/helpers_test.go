package access_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"sync"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/bson"

	"dossier/internal/access"
	"dossier/internal/errs"
	"dossier/internal/store"
	"dossier/internal/testkit"
)

// password passes the policy for every user these tests make.
const password = "correct horse battery staple"

type env struct {
	db    *store.Store
	svc   *access.Service
	clock *testkit.Clock
	audit *testkit.AuditLog
	ctx   context.Context

	mu      sync.Mutex
	secrets []string // must never appear in the audit trail
}

// newEnv gives a test its own database, a service on a fake clock and an
// audit recorder. When the test ends it checks that no secret the test
// handled reached an audit entry.
func newEnv(t testing.TB) *env {
	t.Helper()
	db := testkit.MustOpenDB(t)
	ctx := context.Background()
	if err := access.Migrate(ctx, db); err != nil {
		t.Fatal(err)
	}
	if err := access.Migrate(ctx, db); err != nil {
		t.Fatalf("Migrate is not idempotent: %v", err)
	}
	e := &env{db: db, clock: testkit.NewClock(time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)), audit: &testkit.AuditLog{}, ctx: ctx}
	e.svc = access.New(db, access.Options{Issuer: "St Example Hospital", Audit: e.audit, Now: e.clock.Now})
	e.secret(password)
	t.Cleanup(func() {
		e.mu.Lock()
		defer e.mu.Unlock()
		for _, en := range e.audit.Entries() {
			fields := map[string]string{"actor name": en.Actor.Name, "object id": en.ObjectID}
			for k, v := range en.Details {
				fields["detail "+k] = v
			}
			for k, v := range fields {
				for _, s := range e.secrets {
					if s != "" && strings.Contains(v, s) {
						t.Errorf("audit %s %s holds a secret: %q", en.Action, k, v)
					}
				}
			}
		}
	})
	return e
}

// secret registers strings that must not appear in the audit trail.
func (e *env) secret(s ...string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.secrets = append(e.secrets, s...)
}

// user creates an active user with the test password.
func (e *env) user(t testing.TB, email, name string) access.User {
	t.Helper()
	u, err := e.svc.CreateUser(e.ctx, email, name)
	if err != nil {
		t.Fatal(err)
	}
	if err := e.svc.SetPassword(e.ctx, u.ID, password); err != nil {
		t.Fatal(err)
	}
	return u
}

// signIn signs in with the test password and fails the test otherwise.
func (e *env) signIn(t testing.TB, email string, c access.Client) access.SignIn {
	t.Helper()
	res, err := e.svc.SignIn(e.ctx, email, password, c)
	if err != nil {
		t.Fatalf("sign in %s: %v", email, err)
	}
	e.secret(res.Token)
	return res
}

// raw returns every document of a collection as extended JSON, for
// looking for what must not be stored.
func (e *env) raw(t testing.TB, coll string) string {
	t.Helper()
	var docs []bson.M
	if err := e.db.Collection(coll).Find(e.ctx, bson.M{}, &docs); err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	for _, d := range docs {
		j, err := bson.MarshalExtJSON(d, false, false)
		if err != nil {
			t.Fatal(err)
		}
		b.Write(j)
		b.WriteByte('\n')
	}
	return b.String()
}

func sha(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:])
}

// wantCode fails unless err carries code.
func wantCode(t testing.TB, err error, code string) {
	t.Helper()
	if !errs.Is(err, code) {
		t.Fatalf("got error %v, want code %s", err, code)
	}
}

var office = access.Client{IP: "198.51.100.7", UserAgent: "Firefox/140"}
