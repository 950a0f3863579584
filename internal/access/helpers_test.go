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
	"dossier/internal/audit"
	"dossier/internal/errs"
	"dossier/internal/store"
	"dossier/internal/testkit"
)

// password passes the policy for every user these tests make.
const password = "correct horse battery staple"

// clock is a fake clock the tests move by hand.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// auditLog is a test double for the audit sink: it keeps entries in memory,
// with the actor taken from the context as the real log does.
type auditLog struct {
	mu      sync.Mutex
	entries []audit.Entry
	fail    error // when set, Append fails with it
}

func (l *auditLog) Append(ctx context.Context, e audit.Entry) (audit.Event, error) {
	if e.Actor == nil {
		a := audit.ActorFrom(ctx)
		e.Actor = &a
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.fail != nil {
		return audit.Event{}, l.fail
	}
	l.entries = append(l.entries, e)
	return audit.Event{Seq: int64(len(l.entries)), Action: e.Action}, nil
}

// find returns the entries with this action, oldest first.
func (l *auditLog) find(action string) []audit.Entry {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []audit.Entry
	for _, e := range l.entries {
		if e.Action == action {
			out = append(out, e)
		}
	}
	return out
}

func (l *auditLog) failWith(err error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.fail = err
}

func (l *auditLog) last(t *testing.T, action string) audit.Entry {
	t.Helper()
	es := l.find(action)
	if len(es) == 0 {
		t.Fatalf("no %q audit entry", action)
	}
	return es[len(es)-1]
}

type env struct {
	db    *store.Store
	svc   *access.Service
	clock *clock
	audit *auditLog
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
	e := &env{db: db, clock: &clock{t: time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)}, audit: &auditLog{}, ctx: ctx}
	e.svc = access.New(db, access.Options{Issuer: "St Example Hospital", Audit: e.audit, Now: e.clock.Now})
	e.secret(password)
	t.Cleanup(func() {
		e.mu.Lock()
		defer e.mu.Unlock()
		for _, en := range e.audit.entries {
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
