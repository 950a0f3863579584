package notify_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"dossier/internal/notify"
	"dossier/internal/store"
	"dossier/internal/testkit"
)

// sender counts the sends of each key.
type sender struct {
	mu    sync.Mutex
	sends map[string]int
}

func newSender() *sender { return &sender{sends: map[string]int{}} }

func (s *sender) send(key string) func(context.Context) error {
	return func(context.Context) error {
		s.mu.Lock()
		defer s.mu.Unlock()
		s.sends[key]++
		return nil
	}
}

func (s *sender) count(key string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.sends[key]
}

func TestOnce(t *testing.T) {
	e := newEnv(t)
	a, b := e.service(notify.Options{}), e.service(notify.Options{})
	ctx := e.ctx
	s := newSender()

	t.Run("OKSendsOnce", func(t *testing.T) {
		sent, err := a.Once(ctx, "contract:1:expiry:90d", s.send("contract:1:expiry:90d"))
		if err != nil || !sent {
			t.Fatalf("sent=%v %v", sent, err)
		}
		for _, svc := range []*notify.Service{a, b} {
			sent, err := svc.Once(ctx, "contract:1:expiry:90d", s.send("contract:1:expiry:90d"))
			if err != nil || sent {
				t.Fatalf("again: sent=%v %v", sent, err)
			}
		}
		if n := s.count("contract:1:expiry:90d"); n != 1 {
			t.Fatalf("sent %d times", n)
		}
	})
	t.Run("ErrSendFailsReleasesTheKey", func(t *testing.T) {
		boom := errors.New("mail server down")
		sent, err := a.Once(ctx, "k2", func(context.Context) error { return boom })
		if !errors.Is(err, boom) || sent {
			t.Fatalf("sent=%v err=%v, want the send's error", sent, err)
		}
		sent, err = b.Once(ctx, "k2", s.send("k2"))
		if err != nil || !sent {
			t.Fatalf("retry: sent=%v %v", sent, err)
		}
		if sent, _ := a.Once(ctx, "k2", s.send("k2")); sent || s.count("k2") != 1 {
			t.Fatalf("sent again after the retry succeeded")
		}
	})
	t.Run("ErrCancelledDuringSendReleasesTheKey", func(t *testing.T) {
		cctx, cancel := context.WithCancel(ctx)
		sent, err := a.Once(cctx, "k3", func(ctx context.Context) error {
			cancel()
			<-ctx.Done()
			return ctx.Err()
		})
		if !errors.Is(err, context.Canceled) || sent {
			t.Fatalf("sent=%v err=%v", sent, err)
		}
		if sent, err := b.Once(ctx, "k3", s.send("k3")); err != nil || !sent {
			t.Fatalf("retry: sent=%v %v", sent, err)
		}
	})
	t.Run("OKSendHasADeadlineWithinTheClaim", func(t *testing.T) {
		_, err := a.Once(ctx, "k4", func(ctx context.Context) error {
			dl, ok := ctx.Deadline()
			if !ok || time.Until(dl) > notify.DefaultClaimStale/2 {
				return fmt.Errorf("deadline %v (set %v), want within %v", dl, ok, notify.DefaultClaimStale/2)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	})
	t.Run("OKCrashedSenderTakenOverWhenStale", func(t *testing.T) {
		// A sender that dies mid-send (runtime.Goexit: nothing after the
		// send runs) leaves its claim "sending", as a crash does.
		done := make(chan struct{})
		go func() {
			defer close(done)
			_, _ = a.Once(ctx, "k5", func(context.Context) error { runtime.Goexit(); return nil })
		}()
		<-done
		if sent, err := b.Once(ctx, "k5", s.send("k5")); err != nil || sent {
			t.Fatalf("a fresh claim was taken over: sent=%v %v", sent, err)
		}
		e.clock.Advance(notify.DefaultClaimStale - time.Second)
		if sent, err := b.Once(ctx, "k5", s.send("k5")); err != nil || sent {
			t.Fatalf("a claim younger than ClaimStale was taken over: sent=%v %v", sent, err)
		}
		e.clock.Advance(2 * time.Second)
		if sent, err := b.Once(ctx, "k5", s.send("k5")); err != nil || !sent {
			t.Fatalf("a stale claim was not taken over: sent=%v %v", sent, err)
		}
		if sent, _ := a.Once(ctx, "k5", s.send("k5")); sent || s.count("k5") != 1 {
			t.Fatal("sent again after the takeover")
		}
	})
	t.Run("ErrBadKey", func(t *testing.T) {
		for _, k := range []string{"", strings.Repeat("k", 513), "\xff"} {
			if _, err := a.Once(ctx, k, s.send(k)); err == nil {
				t.Errorf("key %q accepted", k)
			}
		}
	})
}

// raceOnce has 10 goroutines on each of services send the same keys, and
// checks each key went out once.
func raceOnce(t *testing.T, services []*notify.Service, keys int) {
	t.Helper()
	s := newSender()
	var sentTrue atomic.Int32
	var wg sync.WaitGroup
	for i := range 10 * len(services) {
		svc := services[i%len(services)]
		wg.Go(func() {
			for k := range keys {
				key := fmt.Sprintf("vendor:%d:reassessment:30d", (k+i)%keys) // each goroutine from another start
				sent, err := svc.Once(context.Background(), key, s.send(key))
				if err != nil {
					t.Error(err)
				}
				if sent {
					sentTrue.Add(1)
				}
			}
		})
	}
	wg.Wait()
	for k := range keys {
		key := fmt.Sprintf("vendor:%d:reassessment:30d", k)
		if n := s.count(key); n != 1 {
			t.Errorf("%s sent %d times", key, n)
		}
	}
	if int(sentTrue.Load()) != keys {
		t.Errorf("%d calls reported sending, want %d", sentTrue.Load(), keys)
	}
}

func TestOnceRace(t *testing.T) {
	e := newEnv(t)
	raceOnce(t, []*notify.Service{e.service(notify.Options{}), e.service(notify.Options{})}, 30)
}

// TestOnceAcrossProcesses: each key is claimed by an insert, which the
// unique _id makes atomic across processes on any engine.
func TestOnceAcrossProcesses(t *testing.T) {
	db1, db2 := twoProcesses(t)
	raceOnce(t, []*notify.Service{notify.New(db1, notify.Options{}), notify.New(db2, notify.Options{})}, 30)
}

// TestOnceAcrossRestart: after a restart (the engine stopped and started
// again on its folder, a new connection, a new Service) nothing sent is
// sent again and nothing that failed is forgotten.
func TestOnceAcrossRestart(t *testing.T) {
	s := newSender()
	clock := testkit.NewClock(time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC))
	dir, name := t.TempDir(), testkit.RandomName("t")
	open := func() (*store.Store, func()) {
		uri, serialize := os.Getenv("DOSSIER_TEST_MONGO_URI"), false
		var eng *testkit.MongoEngine
		if uri == "" {
			eng = testkit.StartMongo(t, dir, "127.0.0.1:0")
			uri, serialize = eng.URI, true
		}
		db, err := store.Open(context.Background(), store.Options{URI: uri, Database: name, Serialize: serialize})
		if err != nil {
			t.Fatal(err)
		}
		return db, func() {
			_ = db.Close(context.Background())
			if eng != nil {
				_ = eng.Stop()
			}
		}
	}

	db, stop := open()
	before := notify.New(db, notify.Options{Now: clock.Now})
	for _, k := range []string{"a", "b"} {
		if sent, err := before.Once(context.Background(), k, s.send(k)); err != nil || !sent {
			t.Fatalf("%s: sent=%v %v", k, sent, err)
		}
	}
	if _, err := before.Once(context.Background(), "c", func(context.Context) error { return errors.New("down") }); err == nil {
		t.Fatal("no error from a failing send")
	}
	stop()

	db, stop = open()
	defer func() {
		_ = db.Drop(context.Background())
		stop()
	}()
	after := notify.New(db, notify.Options{Now: clock.Now})
	for _, k := range []string{"a", "b", "c"} {
		if _, err := after.Once(context.Background(), k, s.send(k)); err != nil {
			t.Fatal(err)
		}
	}
	for _, k := range []string{"a", "b", "c"} {
		if n := s.count(k); n != 1 {
			t.Errorf("%s sent %d times, want once", k, n)
		}
	}
}
