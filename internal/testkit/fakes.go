package testkit

import (
	"context"
	"sync"
	"testing"
	"time"

	"dossier/internal/audit"
)

// Clock is a fake clock tests move by hand; pass its Now where a service
// takes a clock.
type Clock struct {
	mu sync.Mutex
	t  time.Time
}

// NewClock returns a clock showing t.
func NewClock(t time.Time) *Clock { return &Clock{t: t} }

// Now is the clock's time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

// Advance moves the clock on by d.
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// AuditLog records audit entries in memory, the actor taken from the
// context as the real log does: for tests of a service's own rules, where
// the hash chain is beside the point (internal/audit tests that).
type AuditLog struct {
	mu      sync.Mutex
	entries []audit.Entry
	fail    error
}

// Append records e, or fails with the error given to FailWith.
func (l *AuditLog) Append(ctx context.Context, e audit.Entry) (audit.Event, error) {
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

// FailWith makes every later Append fail with err (nil: succeed again).
func (l *AuditLog) FailWith(err error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.fail = err
}

// Entries returns every entry, oldest first.
func (l *AuditLog) Entries() []audit.Entry {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]audit.Entry(nil), l.entries...)
}

// Find returns the entries with this action, oldest first.
func (l *AuditLog) Find(action string) []audit.Entry {
	var out []audit.Entry
	for _, e := range l.Entries() {
		if e.Action == action {
			out = append(out, e)
		}
	}
	return out
}

// Last returns the newest entry with this action, failing the test when
// there is none.
func (l *AuditLog) Last(tb testing.TB, action string) audit.Entry {
	tb.Helper()
	es := l.Find(action)
	if len(es) == 0 {
		tb.Fatalf("no %q audit entry", action)
	}
	return es[len(es)-1]
}
