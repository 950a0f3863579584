package ratelimit_test

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"dossier/internal/ratelimit"
	"dossier/internal/testkit"
)

// start is 10:00:00 UTC, a multiple of a minute and an hour.
var start = time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)

func TestAllow(t *testing.T) {
	db := testkit.MustOpenDB(t)
	clock := testkit.NewClock(start.Add(15 * time.Second))
	l := ratelimit.New(db, clock.Now)
	ctx := context.Background()

	t.Run("OK", func(t *testing.T) {
		for i := range 3 {
			ok, retry, err := l.Allow(ctx, "link:abc", 3, time.Minute)
			if err != nil || !ok || retry != 0 {
				t.Fatalf("request %d: ok=%v retry=%v err=%v", i+1, ok, retry, err)
			}
		}
	})
	t.Run("ErrOverLimit", func(t *testing.T) {
		ok, retry, err := l.Allow(ctx, "link:abc", 3, time.Minute)
		if err != nil || ok || retry != 45*time.Second {
			t.Fatalf("4th request: ok=%v retry=%v err=%v, want refused, retry after 45s", ok, retry, err)
		}
	})
	t.Run("OKOtherKey", func(t *testing.T) {
		if ok, _, err := l.Allow(ctx, "link:other", 3, time.Minute); err != nil || !ok {
			t.Fatalf("ok=%v err=%v", ok, err)
		}
	})
	t.Run("OKNextWindow", func(t *testing.T) {
		clock.Advance(45 * time.Second) // 10:01:00, a new window
		if ok, _, err := l.Allow(ctx, "link:abc", 3, time.Minute); err != nil || !ok {
			t.Fatalf("ok=%v err=%v", ok, err)
		}
	})
	t.Run("ErrBadArguments", func(t *testing.T) {
		for _, c := range []struct {
			key   string
			limit int
			every time.Duration
		}{{"", 1, time.Minute}, {"k", 0, time.Minute}, {"k", 1, 0}} {
			if _, _, err := l.Allow(ctx, c.key, c.limit, c.every); err == nil {
				t.Errorf("Allow(%q, %d, %v): no error", c.key, c.limit, c.every)
			}
		}
	})
}

// Many requests at once, from what could be several instances, are
// counted exactly: the embedded engine's writes are serialized by the
// store, MongoDB's findAndModify is atomic.
func TestAllowConcurrent(t *testing.T) {
	db := testkit.MustOpenDB(t)
	clock := testkit.NewClock(start)
	// Two limiters on one database stand for two instances.
	limiters := []*ratelimit.Limiter{ratelimit.New(db, clock.Now), ratelimit.New(db, clock.Now)}
	var allowed, refused atomic.Int32
	var wg sync.WaitGroup
	for i := range 50 {
		wg.Go(func() {
			ok, _, err := limiters[i%2].Allow(context.Background(), "login:ann@hospital.example", 20, time.Hour)
			if err != nil {
				t.Error(err)
				return
			}
			if ok {
				allowed.Add(1)
			} else {
				refused.Add(1)
			}
		})
	}
	wg.Wait()
	if allowed.Load() != 20 || refused.Load() != 30 {
		t.Fatalf("allowed %d, refused %d; want 20 and 30", allowed.Load(), refused.Load())
	}
}

func TestSweep(t *testing.T) {
	db := testkit.MustOpenDB(t)
	clock := testkit.NewClock(start)
	l := ratelimit.New(db, clock.Now)
	ctx := context.Background()
	for _, k := range []string{"a", "b", "c"} {
		if _, _, err := l.Allow(ctx, k, 5, time.Minute); err != nil {
			t.Fatal(err)
		}
	}
	if _, _, err := l.Allow(ctx, "long", 5, time.Hour); err != nil {
		t.Fatal(err)
	}
	if n, err := l.Sweep(ctx); err != nil || n != 0 {
		t.Fatalf("before any window ended: swept %d, %v", n, err)
	}
	clock.Advance(time.Minute) // the minute windows end; the hour's runs on
	if n, err := l.Sweep(ctx); err != nil || n != 3 {
		t.Fatalf("swept %d, %v; want 3", n, err)
	}
	if n, err := db.Collection(ratelimit.Collection).Count(ctx, map[string]any{}); err != nil || n != 1 {
		t.Fatalf("%d windows left, %v; want the hour's", n, err)
	}
	// the hour's window still counts
	for range 4 {
		l.Allow(ctx, "long", 5, time.Hour)
	}
	if ok, _, _ := l.Allow(ctx, "long", 5, time.Hour); ok {
		t.Fatal("6th request in the hour allowed after a sweep")
	}
}
