package notify

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"runtime/debug"
	"slices"
	"sync"
	"time"

	"go.mongodb.org/mongo-driver/bson"

	"dossier/internal/errs"
	"dossier/internal/text"
)

// Job is scheduled work, such as sending the day's contract reminders. It
// should stop when ctx ends: the run's lease was lost, or Dossier is
// stopping.
type Job func(ctx context.Context) (Result, error)

// Result is what a run did, in counts by name ("sent": 12, "skipped": 3),
// recorded with the run. A failed run may return the counts so far.
type Result struct {
	Counts map[string]int
}

// Schedule says when a job is due. Make one with Daily or Every.
type Schedule struct {
	hour  int
	loc   *time.Location
	every time.Duration
}

// Daily is due once a day from hour (0–23) in loc (nil: UTC), and until it
// has succeeded that day: a Dossier that was down at the hour runs the job
// when it starts.
func Daily(hour int, loc *time.Location) Schedule {
	if loc == nil {
		loc = time.UTC
	}
	return Schedule{hour: hour, loc: loc}
}

// Every is due when d has passed since the start of the last successful run.
func Every(d time.Duration) Schedule { return Schedule{every: d} }

func (sch Schedule) String() string {
	if sch.every > 0 {
		return "every " + sch.every.String()
	}
	if sch.loc == nil {
		return "never"
	}
	return fmt.Sprintf("daily at %02d:00 %s", sch.hour, sch.loc)
}

func (sch Schedule) valid() bool {
	return sch.every > 0 || sch.loc != nil && sch.hour >= 0 && sch.hour <= 23
}

// due reports whether a job whose last successful run started at lastOK
// is due at now.
func (sch Schedule) due(lastOK, now time.Time) bool {
	if sch.every > 0 {
		return lastOK.IsZero() || !now.Before(lastOK.Add(sch.every))
	}
	t := now.In(sch.loc)
	slot := time.Date(t.Year(), t.Month(), t.Day(), sch.hour, 0, 0, 0, sch.loc)
	if slot.After(now) {
		slot = time.Date(t.Year(), t.Month(), t.Day()-1, sch.hour, 0, 0, 0, sch.loc)
	}
	return lastOK.Before(slot)
}

// Outcomes of a run.
const (
	Succeeded = "ok"
	Failed    = "failed"
)

// JobStatus is a job's last run, kept in the jobs collection.
type JobStatus struct {
	Name     string         `bson:"_id" json:"name"`
	Schedule string         `bson:"-" json:"schedule"` // as registered with this Runner
	Started  time.Time      `bson:"started" json:"started"`
	Finished time.Time      `bson:"finished" json:"finished"`
	Outcome  string         `bson:"outcome" json:"outcome"` // Succeeded or Failed; "" before the first run
	Error    string         `bson:"error,omitempty" json:"error,omitempty"`
	Counts   map[string]int `bson:"-" json:"counts,omitempty"`
	Stored   []Count        `bson:"counts,omitempty" json:"-"` // Counts as stored (see Count)
	Holder   string         `bson:"holder" json:"holder"`      // the run's lease holder: the instance's Holder and a suffix
	Manual   bool           `bson:"manual" json:"manual"`      // run by RunNow, not the schedule
	LastOK   time.Time      `bson:"last_ok,omitempty" json:"last_ok"`
	Runs     int64          `bson:"runs" json:"runs"`
	Failures int64          `bson:"failures" json:"failures"`
}

// Count is one of a run's counts as stored: a list of name and number,
// not a document keyed by name, because the embedded engine (FerretDB
// v1) compares documents by their values only when deciding whether a
// $set changes anything, and would keep {"sent": 3} over {"skipped": 3}.
type Count struct {
	Name string `bson:"name"`
	N    int    `bson:"n"`
}

func countList(m map[string]int) []Count {
	out := make([]Count, 0, len(m))
	for _, k := range slices.Sorted(maps.Keys(m)) {
		out = append(out, Count{Name: k, N: m[k]})
	}
	return out
}

// RunnerOptions configures a Runner. Zero values take the defaults.
type RunnerOptions struct {
	// Tick is how often Run looks for due jobs, and so how soon a failed
	// run is tried again; default 5 minutes.
	Tick time.Duration
	// LeaseTTL is how long a run's lease lasts; the run renews it every
	// third of that, and stops when it cannot. Default 5 minutes.
	LeaseTTL time.Duration
	Log      *slog.Logger // default: the Service's
}

// Runner runs registered jobs on their schedules under leases, so that
// among all instances one runs each job at a time, and records each run.
type Runner struct {
	s   *Service
	o   RunnerOptions
	log *slog.Logger

	mu    sync.Mutex
	jobs  map[string]registered
	order []string
}

type registered struct {
	sch Schedule
	job Job
}

// NewRunner returns a Runner for s's instance. It does no I/O.
func NewRunner(s *Service, o RunnerOptions) *Runner {
	if o.Tick <= 0 {
		o.Tick = 5 * time.Minute
	}
	if o.LeaseTTL <= 0 {
		o.LeaseTTL = 5 * time.Minute
	}
	log := o.Log
	if log == nil {
		log = s.log
	}
	return &Runner{s: s, o: o, log: log, jobs: map[string]registered{}}
}

// Register adds job under name (such as "expiry", the name RunNow and the
// command line use) with its schedule.
func (r *Runner) Register(name string, sch Schedule, job Job) error {
	if name == "" || len(name) > 100 || job == nil || !sch.valid() {
		return fmt.Errorf("notify: job %q needs a name of 1 to 100 bytes, a function and a schedule made by Daily (hour 0–23) or Every (positive)", name)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if _, ok := r.jobs[name]; ok {
		return fmt.Errorf("notify: job %q is registered twice", name)
	}
	r.jobs[name] = registered{sch: sch, job: job}
	r.order = append(r.order, name)
	return nil
}

func (r *Runner) get(name string) (registered, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	j, ok := r.jobs[name]
	if !ok {
		return registered{}, errs.E(errs.NotFound, "There is no job called %q.", name)
	}
	return j, nil
}

// Run runs due jobs now and at every tick until ctx ends. Runs are logged;
// a failed run is tried again at the next tick.
func (r *Runner) Run(ctx context.Context) {
	t := time.NewTicker(r.o.Tick)
	defer t.Stop()
	for {
		_ = r.RunDue(ctx)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// RunDue runs, one after another, each job that is due and not running on
// another instance, and returns the failures joined.
func (r *Runner) RunDue(ctx context.Context) error {
	r.mu.Lock()
	names := slices.Clone(r.order)
	r.mu.Unlock()
	var failed []error
	for _, name := range names {
		if ctx.Err() != nil {
			break
		}
		j, _ := r.get(name)
		due, err := r.due(ctx, name, j.sch)
		if err == nil && due {
			_, err = r.run(ctx, name, j, false)
		}
		if err != nil && !errs.Is(err, errs.Conflict) {
			failed = append(failed, fmt.Errorf("job %s: %w", name, err))
		}
	}
	return errors.Join(failed...)
}

// RunNow runs the job called name at once, whether due or not (`dossier
// jobs run expiry`), and returns what it did. It is a conflict when the job
// is running on another instance.
func (r *Runner) RunNow(ctx context.Context, name string) (Result, error) {
	j, err := r.get(name)
	if err != nil {
		return Result{}, err
	}
	return r.run(ctx, name, j, true)
}

// Status returns the last run of the job called name; a job that has not
// run yet has only its name and schedule.
func (r *Runner) Status(ctx context.Context, name string) (JobStatus, error) {
	j, err := r.get(name)
	if err != nil {
		return JobStatus{}, err
	}
	st, err := r.status(ctx, name)
	st.Schedule = j.sch.String()
	return st, err
}

// Jobs returns every registered job's last run, in the order registered.
func (r *Runner) Jobs(ctx context.Context) ([]JobStatus, error) {
	r.mu.Lock()
	names := slices.Clone(r.order)
	r.mu.Unlock()
	out := make([]JobStatus, 0, len(names))
	for _, name := range names {
		st, err := r.Status(ctx, name)
		if err != nil {
			return nil, err
		}
		out = append(out, st)
	}
	return out, nil
}

func (r *Runner) status(ctx context.Context, name string) (JobStatus, error) {
	var st JobStatus
	err := r.s.jobs.Get(ctx, bson.M{"_id": name}, &st)
	if errs.Is(err, errs.NotFound) {
		return JobStatus{Name: name}, nil
	}
	if len(st.Stored) > 0 {
		st.Counts = make(map[string]int, len(st.Stored))
		for _, c := range st.Stored {
			st.Counts[c.Name] = c.N
		}
	}
	return st, err
}

func (r *Runner) due(ctx context.Context, name string, sch Schedule) (bool, error) {
	st, err := r.status(ctx, name)
	if err != nil {
		return false, err
	}
	return sch.due(st.LastOK, r.s.now()), nil
}

// errLeaseLost ends a run whose lease could not be renewed.
var errLeaseLost = errors.New("the job's lease was lost (another instance took it over); the run was stopped")

// run runs one job under its lease and records the run. A scheduled run
// checks again under the lease that the job is still due: another
// instance may have run it between the check and the lease.
func (r *Runner) run(ctx context.Context, name string, j registered, manual bool) (Result, error) {
	// Each run holds the lease under a name of its own: two runs in one
	// instance (the loop and a RunNow) must exclude each other too, and a
	// holder's second Lease call is a renewal.
	holder := r.s.o.Holder + "/" + randomHex(4)
	held, err := r.s.Lease(ctx, name, holder, r.o.LeaseTTL)
	if err != nil {
		return Result{}, err
	}
	if !held {
		msg := "The %s job is running on another instance; try again when it has finished."
		if h, until, err := r.s.LeaseHolder(ctx, name); err == nil {
			return Result{}, errs.E(errs.Conflict, msg+" (%s holds it until %s)", name, h, until.Format(time.RFC3339))
		}
		return Result{}, errs.E(errs.Conflict, msg, name)
	}
	defer func() {
		rec, cancel := detached(ctx)
		defer cancel()
		if err := r.s.Release(rec, name, holder); err != nil {
			r.log.Warn("notify: releasing a job's lease", "job", name, "err", err)
		}
	}()
	if !manual {
		if due, err := r.due(ctx, name, j.sch); err != nil || !due {
			return Result{}, err
		}
	}

	runCtx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	renewed := make(chan struct{})
	go func() {
		defer close(renewed)
		r.keep(runCtx, name, holder, cancel)
	}()
	started := r.s.now()
	res, err := call(runCtx, j.job)
	if cause := context.Cause(runCtx); err != nil && errors.Is(cause, errLeaseLost) {
		err = fmt.Errorf("%w: %w", cause, err)
	}
	cancel(nil)
	<-renewed
	r.record(ctx, name, holder, started, manual, res, err)
	return res, err
}

// keep renews the lease every third of its ttl until ctx ends, and cancels
// the run when the lease is gone.
func (r *Runner) keep(ctx context.Context, name, holder string, cancel context.CancelCauseFunc) {
	t := time.NewTicker(max(r.o.LeaseTTL/3, time.Millisecond))
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		held, err := r.s.Lease(ctx, name, holder, r.o.LeaseTTL)
		switch {
		case err != nil && ctx.Err() == nil:
			// The next renewal may get through before the lease expires.
			r.log.Warn("notify: renewing a job's lease", "job", name, "err", err)
		case err == nil && !held:
			cancel(errLeaseLost)
			return
		}
	}
}

// call runs job, turning a panic into an error so that the lease is
// released, the run recorded and the loop kept alive.
func call(ctx context.Context, job Job) (res Result, err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("panic: %v\n%s", p, debug.Stack())
		}
	}()
	return job(ctx)
}

// record writes the run to the job's status and the log.
func (r *Runner) record(ctx context.Context, name, holder string, started time.Time, manual bool, res Result, runErr error) {
	finished := r.s.now()
	set := bson.M{"started": started, "finished": finished, "holder": holder, "manual": manual, "counts": countList(res.Counts)}
	inc := bson.M{"runs": 1}
	attrs := []any{"job", name, "manual", manual, "took", finished.Sub(started)}
	for k, v := range res.Counts {
		attrs = append(attrs, k, v)
	}
	if runErr == nil {
		set["outcome"], set["error"], set["last_ok"] = Succeeded, "", started
		r.log.Info("job done", attrs...)
	} else {
		set["outcome"], set["error"] = Failed, text.Clip(runErr.Error(), 2000)
		inc["failures"] = 1
		r.log.Error("job failed", append(attrs, "err", runErr)...)
	}
	rec, cancel := detached(ctx)
	defer cancel()
	if err := r.s.jobs.Upsert(rec, bson.M{"_id": name}, bson.M{"$set": set, "$inc": inc}); err != nil {
		r.log.Error("notify: recording a job's run", "job", name, "err", err)
	}
}
