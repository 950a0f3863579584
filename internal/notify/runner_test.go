package notify_test

import (
	"context"
	"errors"
	"maps"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"dossier/internal/errs"
	"dossier/internal/notify"
)

// counted is a job that counts its runs and fails while failWith is set.
type counted struct {
	runs atomic.Int32
	mu   sync.Mutex
	err  error
}

func (c *counted) failWith(err error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.err = err
}

func (c *counted) failing() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.err
}

func (c *counted) job(context.Context) (notify.Result, error) {
	n := c.runs.Add(1)
	if err := c.failing(); err != nil {
		return notify.Result{Counts: map[string]int{"sent": 1}}, err
	}
	return notify.Result{Counts: map[string]int{"sent": int(n) * 10, "skipped": 2}}, nil
}

func (e *env) runner(t *testing.T, svc *notify.Service, o notify.RunnerOptions, name string, sch notify.Schedule, job notify.Job) *notify.Runner {
	t.Helper()
	r := notify.NewRunner(svc, o)
	if err := r.Register(name, sch, job); err != nil {
		t.Fatal(err)
	}
	return r
}

func TestRunNow(t *testing.T) {
	e := newEnv(t)
	svc := e.service(notify.Options{Holder: "instance-a"})
	var c counted
	r := e.runner(t, svc, notify.RunnerOptions{}, "expiry", notify.Daily(6, nil), c.job)
	ctx := e.ctx

	t.Run("OKNeverRun", func(t *testing.T) {
		st, err := r.Status(ctx, "expiry")
		if err != nil || st.Name != "expiry" || st.Outcome != "" || st.Runs != 0 || st.Schedule != "daily at 06:00 UTC" {
			t.Fatalf("%+v %v", st, err)
		}
	})
	t.Run("OK", func(t *testing.T) {
		res, err := r.RunNow(ctx, "expiry")
		if err != nil || res.Counts["sent"] != 10 {
			t.Fatalf("%+v %v", res, err)
		}
		st, err := r.Status(ctx, "expiry")
		if err != nil {
			t.Fatal(err)
		}
		if st.Outcome != notify.Succeeded || !st.Manual || !strings.HasPrefix(st.Holder, "instance-a/") || st.Runs != 1 || st.Failures != 0 ||
			st.Counts["sent"] != 10 || st.Counts["skipped"] != 2 || !st.Started.Equal(e.clock.Now()) || !st.LastOK.Equal(st.Started) {
			t.Fatalf("status %+v", st)
		}
		if _, _, err := svc.LeaseHolder(ctx, "expiry"); !errs.Is(err, errs.NotFound) {
			t.Fatalf("the lease was kept after the run: %v", err)
		}
	})
	t.Run("ErrNotFound", func(t *testing.T) {
		if _, err := r.RunNow(ctx, "nonesuch"); !errs.Is(err, errs.NotFound) {
			t.Fatalf("got %v", err)
		}
		if _, err := r.Status(ctx, "nonesuch"); !errs.Is(err, errs.NotFound) {
			t.Fatalf("status: got %v", err)
		}
	})
	t.Run("ErrConflictRunningElsewhere", func(t *testing.T) {
		other := e.service(notify.Options{Holder: "instance-b"})
		if held, err := other.Lease(ctx, "expiry", other.Holder(), time.Minute); err != nil || !held {
			t.Fatalf("held=%v %v", held, err)
		}
		_, err := r.RunNow(ctx, "expiry")
		if !errs.Is(err, errs.Conflict) || !strings.Contains(errs.Message(err), "instance-b") {
			t.Fatalf("got %v, want a conflict naming instance-b", err)
		}
		if c.runs.Load() != 1 {
			t.Fatal("the job ran without the lease")
		}
		if err := other.Release(ctx, "expiry", other.Holder()); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("ErrFailedRunRecorded", func(t *testing.T) {
		c.failWith(errors.New("contracts unavailable"))
		defer c.failWith(nil)
		okAt := e.clock.Now()
		e.clock.Advance(time.Hour)
		if _, err := r.RunNow(ctx, "expiry"); err == nil || err.Error() != "contracts unavailable" {
			t.Fatalf("got %v", err)
		}
		st, _ := r.Status(ctx, "expiry")
		if st.Outcome != notify.Failed || st.Error != "contracts unavailable" || st.Runs != 2 || st.Failures != 1 || !st.LastOK.Equal(okAt) || st.Counts["sent"] != 1 {
			t.Fatalf("status %+v", st)
		}
	})
	t.Run("ErrPanicRecorded", func(t *testing.T) {
		p := e.runner(t, svc, notify.RunnerOptions{}, "broken", notify.Every(time.Hour), func(context.Context) (notify.Result, error) { panic("nil map") })
		if _, err := p.RunNow(ctx, "broken"); err == nil || !strings.Contains(err.Error(), "panic: nil map") {
			t.Fatalf("got %v", err)
		}
		if st, _ := p.Status(ctx, "broken"); st.Outcome != notify.Failed {
			t.Fatalf("status %+v", st)
		}
		if held, _ := svc.Lease(ctx, "broken", "someone-else", time.Minute); !held {
			t.Fatal("a panicking run kept its lease")
		}
	})
	t.Run("ErrRegister", func(t *testing.T) {
		for name, sch := range map[string]notify.Schedule{"expiry": notify.Daily(7, nil), "x": notify.Daily(24, nil), "y": notify.Every(0), "": notify.Every(time.Hour)} {
			if err := r.Register(name, sch, c.job); err == nil {
				t.Errorf("Register(%q, %s) accepted", name, sch)
			}
		}
	})
}

// TestRunDue drives the daily schedule with the fake clock, as Run's ticks
// would.
func TestRunDue(t *testing.T) {
	e := newEnv(t)
	e.clock.Advance(-4 * time.Hour) // 05:00
	svc := e.service(notify.Options{})
	var c counted
	r := e.runner(t, svc, notify.RunnerOptions{}, "expiry", notify.Daily(6, nil), c.job)
	tick := func(want int32) {
		t.Helper()
		if err := r.RunDue(e.ctx); err != nil && c.failing() == nil {
			t.Fatal(err)
		}
		if n := c.runs.Load(); n != want {
			t.Fatalf("at %s: %d runs, want %d", e.clock.Now().Format(time.DateTime), n, want)
		}
	}
	tick(1) // never run: yesterday's 06:00 is still owed
	e.clock.Advance(59 * time.Minute)
	tick(1) // 05:59
	e.clock.Advance(time.Minute)
	tick(2) // 06:00
	e.clock.Advance(5 * time.Minute)
	tick(2)

	// Tomorrow the run fails, and is tried again at each tick until it succeeds.
	e.clock.Advance(24 * time.Hour)
	c.failWith(errors.New("database unavailable"))
	tick(3)
	e.clock.Advance(5 * time.Minute)
	tick(4)
	c.failWith(nil)
	e.clock.Advance(5 * time.Minute)
	tick(5)
	e.clock.Advance(5 * time.Minute)
	tick(5)
	st, _ := r.Status(e.ctx, "expiry")
	if st.Outcome != notify.Succeeded || st.Runs != 5 || st.Failures != 2 || st.Manual {
		t.Fatalf("status %+v", st)
	}
}

// TestRunDueRace: two instances tick at the same moment, again and again;
// the job runs once per day between them.
func TestRunDueRace(t *testing.T) {
	e := newEnv(t)
	var c counted
	slow := func(ctx context.Context) (notify.Result, error) {
		time.Sleep(20 * time.Millisecond) // hold the lease while the other ticks
		return c.job(ctx)
	}
	runners := []*notify.Runner{
		e.runner(t, e.service(notify.Options{}), notify.RunnerOptions{}, "expiry", notify.Daily(6, nil), slow),
		e.runner(t, e.service(notify.Options{}), notify.RunnerOptions{}, "expiry", notify.Daily(6, nil), slow),
	}
	for day := range 3 {
		var wg sync.WaitGroup
		for i := range 10 {
			wg.Go(func() {
				if err := runners[i%2].RunDue(context.Background()); err != nil {
					t.Error(err)
				}
			})
		}
		wg.Wait()
		if n := c.runs.Load(); n != int32(day+1) {
			t.Fatalf("day %d: %d runs, want %d", day+1, n, day+1)
		}
		e.clock.Advance(24 * time.Hour)
	}
}

// TestRunStopsWhenLeaseLost: a run whose lease another instance took over
// (it expired while the run was stalled) is cancelled and recorded as failed.
func TestRunStopsWhenLeaseLost(t *testing.T) {
	e := newEnv(t)
	svc := e.service(notify.Options{})
	const ttl = 30 * time.Millisecond
	started := make(chan struct{})
	r := e.runner(t, svc, notify.RunnerOptions{LeaseTTL: ttl}, "expiry", notify.Every(time.Hour), func(ctx context.Context) (notify.Result, error) {
		close(started)
		<-ctx.Done()
		return notify.Result{}, ctx.Err()
	})
	done := make(chan error, 1)
	go func() {
		_, err := r.RunNow(e.ctx, "expiry")
		done <- err
	}()
	<-started
	// The run's lease expires on the clock every instance reads, and
	// another instance takes it over. (The run may renew its expired lease
	// between the two, if nobody took it yet; then the clock moves again.)
	other := e.service(notify.Options{})
	for i := 0; ; i++ {
		e.clock.Advance(time.Minute)
		held, err := other.Lease(e.ctx, "expiry", other.Holder(), time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		if held {
			break
		}
		if i == 100 {
			t.Fatal("the expired lease could not be taken over")
		}
	}
	select {
	case err := <-done:
		if err == nil || !strings.Contains(err.Error(), "lease was lost") {
			t.Fatalf("got %v", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("the run went on without its lease")
	}
	if h, _, _ := other.LeaseHolder(e.ctx, "expiry"); h != other.Holder() {
		t.Fatalf("the stopped run released the new holder's lease: holder %q", h)
	}
}

// TestRun: the loop runs a due job and returns when its context ends.
func TestRun(t *testing.T) {
	e := newEnv(t)
	ran := make(chan struct{}, 10)
	r := e.runner(t, e.service(notify.Options{}), notify.RunnerOptions{Tick: 10 * time.Millisecond}, "review", notify.Every(time.Hour),
		func(context.Context) (notify.Result, error) {
			ran <- struct{}{}
			return notify.Result{}, nil
		})
	ctx, cancel := context.WithCancel(context.Background())
	stopped := make(chan struct{})
	go func() {
		defer close(stopped)
		r.Run(ctx)
	}()
	select {
	case <-ran:
	case <-time.After(30 * time.Second):
		t.Fatal("the loop did not run the due job")
	}
	cancel()
	select {
	case <-stopped:
	case <-time.After(30 * time.Second):
		t.Fatal("Run did not return after its context ended")
	}
	if len(ran) != 0 {
		t.Fatalf("ran %d more times within the hour", len(ran))
	}
	jobs, err := r.Jobs(e.ctx)
	if err != nil || len(jobs) != 1 || jobs[0].Name != "review" || jobs[0].Runs != 1 || jobs[0].Schedule != "every 1h0m0s" {
		t.Fatalf("%+v %v", jobs, err)
	}
}

// TestRunCountsReplaced records runs whose counts have the same numbers
// under other names: each run's own counts must be what Status shows.
// (The embedded engine compares documents by their values only when it
// decides whether a $set changes anything.)
func TestRunCountsReplaced(t *testing.T) {
	e := newEnv(t)
	svc := e.service(notify.Options{Holder: "instance-a"})
	runs := []map[string]int{{"expired": 0, "sent": 3}, {"expired": 0, "skipped": 3}, {"a": 1}, {"b": 1}, {}}
	i := 0
	r := e.runner(t, svc, notify.RunnerOptions{}, "expiry", notify.Daily(6, nil), func(context.Context) (notify.Result, error) {
		return notify.Result{Counts: runs[i]}, nil
	})
	for i = range runs {
		if _, err := r.RunNow(e.ctx, "expiry"); err != nil {
			t.Fatal(err)
		}
		st, err := r.Status(e.ctx, "expiry")
		if err != nil || !maps.Equal(st.Counts, runs[i]) || st.Runs != int64(i+1) {
			t.Fatalf("run %d: counts %v, runs %d, want %v: %v", i+1, st.Counts, st.Runs, runs[i], err)
		}
	}
}
