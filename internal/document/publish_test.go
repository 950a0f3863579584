package document_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"dossier/internal/blob"
	"dossier/internal/document"
	"dossier/internal/errs"
)

func TestPublish(t *testing.T) {
	e := newEnv(t)
	d := e.mustCreate(t, policy("ISMS-POL-001"))
	if _, ok := d.EffectiveOn(e.today()); ok {
		t.Fatal("effective revision before the first")
	}
	d, r1 := e.mustEffective(t, d, false, "First issue")
	if r1.State != document.Effective || !r1.EffectiveFrom.Equal(e.today()) {
		t.Fatalf("revision %+v", r1)
	}
	if a := e.audit.Last(t, "document.publish"); a.Details["revision"] != "1.0" {
		t.Fatalf("audit %v", a.Details)
	}
	e.days(100)
	d, _ = e.svc.Get(as(controller), domain, d.ID)
	t.Run("ErrPastDate", func(t *testing.T) {
		d2, r := e.mustRevise(t, d, true, "x")
		d2 = e.mustApprove(t, d2, r.N)
		_, err := e.svc.Publish(as(controller), domain, d2.ID, d2.Version, r.N, e.today().AddDate(0, 0, -1))
		wantFields(t, err, "date")
		d, _ = e.svc.RetireRevision(as(controller), domain, d2.ID, d2.Version, r.N, "Not needed")
	})
	t.Run("OKSupersedes", func(t *testing.T) {
		var r2 document.Revision
		d, r2 = e.mustEffective(t, d, true, "Rewrite")
		if states(d) != "1.0:superseded 2.0:retired 3.0:effective" || r2.Label() != "3.0" {
			t.Fatalf("states %s", states(d))
		}
		old, _ := d.Revision(r1.N)
		if want := e.today().AddDate(0, 0, -1); !old.LastInEffect.Equal(want) {
			t.Fatalf("last in effect %v, want %v", old.LastInEffect, want)
		}
		if want := e.today().AddDate(6, 0, -1); !old.File.RetainUntil.Equal(want) || old.File.Mode != string(blob.Governance) {
			t.Fatalf("retention %v %s, want %v", old.File.RetainUntil, old.File.Mode, want)
		}
		// The superseded revision was in effect before today, not today.
		if got, _ := d.EffectiveOn(e.today().AddDate(0, 0, -1)); got.N != r1.N {
			t.Fatalf("yesterday %s", got.Label())
		}
		if got, _ := d.EffectiveOn(e.today()); got.N != r2.N {
			t.Fatalf("today %s", got.Label())
		}
	})
}

// Two people publishing different approved revisions at once: one wins,
// the other gets a conflict, and exactly one revision is effective.
func TestPublishRace(t *testing.T) {
	e := newEnv(t)
	d := e.mustCreate(t, policy("ISMS-POL-001"))
	d, _ = e.mustEffective(t, d, false, "First issue")
	d, a := e.mustRevise(t, d, false, "Editorial")
	d = e.mustApprove(t, d, a.N)
	d, b := e.mustRevise(t, d, true, "Substantive")
	d = e.mustApprove(t, d, b.N)
	for round := range 3 {
		var wg sync.WaitGroup
		errsOf := make([]error, 2)
		for i, n := range []int{a.N, b.N} {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, errsOf[i] = e.svc.Publish(as(controller), domain, d.ID, d.Version, n, time.Time{})
			}()
		}
		wg.Wait()
		ok := 0
		for _, err := range errsOf {
			switch {
			case err == nil:
				ok++
			case !errs.Is(err, errs.Conflict):
				t.Fatalf("unexpected %v", err)
			}
		}
		got, _ := e.svc.Get(as(controller), domain, d.ID)
		effective := 0
		for _, r := range got.Revisions {
			if r.State == document.Effective {
				effective++
			}
		}
		if round == 0 && ok != 1 || round > 0 && ok != 0 || effective != 1 {
			t.Fatalf("round %d: %d published, %d effective: %s", round, ok, effective, states(got))
		}
	}
}

func TestScheduled(t *testing.T) {
	e := newEnv(t)
	d := e.mustCreate(t, policy("ISMS-POL-001"))
	d, r1 := e.mustEffective(t, d, false, "First issue")
	d, r2 := e.mustRevise(t, d, true, "Second issue")
	d = e.mustApprove(t, d, r2.N)
	from := e.today().AddDate(0, 0, 10)
	d, err := e.svc.Publish(as(controller), domain, d.ID, d.Version, r2.N, from)
	if err != nil {
		t.Fatal(err)
	}
	r2, _ = d.Revision(r2.N)
	if !r2.Scheduled() || states(d) != "1.0:effective 2.0:approved" {
		t.Fatalf("scheduled? %s", states(d))
	}
	e.audit.Last(t, "document.schedule")
	for day := 0; day <= 20; day++ {
		got, ok := d.EffectiveOn(e.today().AddDate(0, 0, day))
		want := r1.N
		if day >= 10 {
			want = r2.N
		}
		if !ok || got.N != want {
			t.Fatalf("day %d: %s, want %d", day, got.Label(), want)
		}
	}
	t.Run("ErrAnotherWhileScheduled", func(t *testing.T) {
		d2, r3 := e.mustRevise(t, d, false, "Third")
		d2 = e.mustApprove(t, d2, r3.N)
		_, err := e.svc.Publish(as(controller), domain, d2.ID, d2.Version, r3.N, time.Time{})
		wantCode(t, err, errs.Conflict)
		wantMessage(t, err, "already published, effective from")
		d = d2
	})
	res, err := e.svc.Sweep(context.Background(), domain)
	if err != nil || res.Switched != 0 {
		t.Fatalf("early sweep %+v %v", res, err)
	}
	e.days(10)
	res, err = e.svc.Sweep(context.Background(), domain)
	if err != nil || res.Switched != 1 {
		t.Fatalf("sweep %+v %v", res, err)
	}
	d, _ = e.svc.Get(as(controller), domain, d.ID)
	if states(d) != "1.0:superseded 2.0:effective 2.1:approved" {
		t.Fatalf("after sweep %s", states(d))
	}
	if a := e.audit.Last(t, "document.take_effect"); a.Details["superseded"] != "1.0" || a.Actor.ID != "system" {
		t.Fatalf("audit %+v", a)
	}
	if res, _ := e.svc.Sweep(context.Background(), domain); res.Switched != 0 {
		t.Fatalf("second sweep %+v", res)
	}
}

func TestRetire(t *testing.T) {
	e := newEnv(t)
	d := e.mustCreate(t, policy("ISMS-POL-001"))
	d, r1 := e.mustEffective(t, d, false, "First issue")
	d, r2 := e.mustRevise(t, d, true, "Draft of the next")
	t.Run("Visible", func(t *testing.T) {
		if v := d.Visible(e.today(), true); len(v) != 1 || v[0].N != r1.N {
			t.Fatalf("staff see %v", v)
		}
		if v := d.Visible(e.today(), false); len(v) != 2 {
			t.Fatalf("controller sees %d", len(v))
		}
	})
	e.days(30)
	d, err := e.svc.Retire(as(controller), domain, d.ID, d.Version, "Merged into ISMS-POL-000")
	if err != nil {
		t.Fatal(err)
	}
	if states(d) != "1.0:retired 2.0:retired" || d.Retired == nil {
		t.Fatalf("states %s", states(d))
	}
	r1, _ = d.Revision(r1.N)
	if !r1.LastInEffect.Equal(e.today()) || !r1.File.RetainUntil.Equal(e.today().AddDate(6, 0, 0)) {
		t.Fatalf("retired revision %+v", r1)
	}
	if _, ok := d.EffectiveOn(e.today()); ok || len(d.Visible(e.today(), true)) != 0 {
		t.Fatal("a retired document is visible to staff")
	}
	_, _, err = e.svc.NewRevision(as(controller), domain, d.ID, d.Version, document.RevisionInput{ChangeSummary: "x", Markdown: "# x"})
	wantCode(t, err, errs.Conflict)
	p, _ := e.svc.List(as(controller), domain, document.Query{State: document.Retired})
	if p.Total != 1 {
		t.Fatalf("retired in list: %d", p.Total)
	}
	_ = r2
}

func TestDispose(t *testing.T) {
	e := newEnv(t)
	d := e.mustCreate(t, policy("ISMS-POL-001"))
	d, r1 := e.mustEffective(t, d, false, "First issue")
	e.days(365)
	d, _ = e.svc.Get(as(controller), domain, d.ID)
	d, _ = e.mustEffective(t, d, true, "Second issue")
	r1, _ = d.Revision(r1.N)
	until := e.today().AddDate(6, 0, -1)
	t.Run("ErrNotApprover", func(t *testing.T) {
		_, err := e.svc.Dispose(as(staff1), domain, d.ID, d.Version, r1.N, "Schedule")
		wantCode(t, err, errs.Forbidden)
	})
	t.Run("ErrEffective", func(t *testing.T) {
		_, err := e.svc.Dispose(as(approver1), domain, d.ID, d.Version, 2, "Schedule")
		wantCode(t, err, errs.Conflict)
	})
	t.Run("ErrRetained", func(t *testing.T) {
		_, err := e.svc.Dispose(as(approver1), domain, d.ID, d.Version, r1.N, "Schedule")
		wantCode(t, err, errs.Conflict)
		wantMessage(t, err, "disposal is possible from "+until.Format(time.DateOnly))
		// Object lock holds it too.
		if err := e.files.Delete(context.Background(), r1.File.Key, r1.File.VersionID); !errs.Is(err, errs.Conflict) {
			t.Fatalf("S3 let a retained file be deleted: %v", err)
		}
	})
	t.Run("OKAfterRetention", func(t *testing.T) {
		e.days(int(until.Sub(e.today()).Hours()/24) + 1)
		d, _ = e.svc.Get(as(controller), domain, d.ID)
		got, err := e.svc.Dispose(as(approver1), domain, d.ID, d.Version, r1.N, "Retention schedule RS-4: six years after last in effect")
		if err != nil {
			// The embedded S3 server enforces retention by the real clock,
			// not the test's: the record is disposed, the file left to the
			// reconciler.
			if got.ID == "" {
				t.Fatal(err)
			}
			wantMessage(t, err, "left for the storage reconciler")
		}
		nr, _ := got.Revision(r1.N)
		if nr.Disposed == nil || nr.Disposed.By != approver1 {
			t.Fatalf("disposed %+v", nr.Disposed)
		}
		e.audit.Last(t, "document.dispose")
		_, _, err = e.svc.OpenRevision(as(controller), domain, d.ID, r1.N)
		wantCode(t, err, errs.NotFound)
	})
}

// A policy in effect longer than the retention set when its file was
// stored has it topped up by the daily sweep.
func TestSweepTopsUpRetention(t *testing.T) {
	e := newEnv(t)
	d := e.mustCreate(t, policy("ISMS-POL-001"))
	d, r := e.mustEffective(t, d, false, "First issue")
	if res, err := e.svc.Sweep(context.Background(), domain); err != nil || res.Retention != 0 {
		t.Fatalf("fresh sweep %+v %v", res, err)
	}
	e.days(366)
	res, err := e.svc.Sweep(context.Background(), domain)
	if err != nil || res.Retention != 1 {
		t.Fatalf("sweep %+v %v", res, err)
	}
	d, _ = e.svc.Get(as(controller), domain, d.ID)
	got, _ := d.Revision(r.N)
	if want := e.today().AddDate(6, 0, 0); !got.File.RetainUntil.Equal(want) {
		t.Fatalf("retain until %v, want %v", got.File.RetainUntil, want)
	}
	e.audit.Last(t, "document.retention")
}

// A revision published and superseded on the same day was in effect that
// day: its retention runs from then, not from the day before.
func TestSupersededSameDay(t *testing.T) {
	e := newEnv(t)
	d := e.mustCreate(t, policy("ISMS-POL-001"))
	d, r1 := e.mustEffective(t, d, false, "First issue")
	d, r2 := e.mustRevise(t, d, false, "Typo")
	d = e.mustApprove(t, d, r2.N)
	d, err := e.svc.Publish(as(controller), domain, d.ID, d.Version, r2.N, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := d.Revision(r1.N); got.State != document.Superseded || !got.LastInEffect.Equal(e.today()) {
		t.Fatalf("1.0 %s, last in effect %v, want %v", got.State, got.LastInEffect, e.today())
	}
}

// A change made on the day a scheduled revision takes effect, before the
// daily sweep, records the switch first and audits it.
func TestChangeRecordsScheduledSwitch(t *testing.T) {
	e := newEnv(t)
	d := e.mustCreate(t, policy("ISMS-POL-001"))
	d, _ = e.mustEffective(t, d, false, "First issue")
	d, r2 := e.mustRevise(t, d, true, "Second issue")
	d = e.mustApprove(t, d, r2.N)
	d, err := e.svc.Publish(as(controller), domain, d.ID, d.Version, r2.N, e.today().AddDate(0, 0, 2))
	if err != nil {
		t.Fatal(err)
	}
	e.days(2)
	f := d.Fields()
	f.Title = "Information security policy (2026)"
	if d, err = e.svc.Update(as(controller), domain, d.ID, d.Version, f); err != nil {
		t.Fatal(err)
	}
	if states(d) != "1.0:superseded 2.0:effective" {
		t.Fatalf("states %s", states(d))
	}
	if a := e.audit.Last(t, "document.take_effect"); a.Details["revision"] != "2.0" || a.Details["superseded"] != "1.0" {
		t.Fatalf("audit %+v", a)
	}
}

// A retired document is a record: its register fields no longer change.
func TestUpdateRetired(t *testing.T) {
	e := newEnv(t)
	d := e.mustCreate(t, policy("ISMS-POL-001"))
	d, _ = e.mustEffective(t, d, false, "First issue")
	d, err := e.svc.Retire(as(controller), domain, d.ID, d.Version, "Merged into ISMS-POL-000")
	if err != nil {
		t.Fatal(err)
	}
	f := d.Fields()
	f.Title = "Renamed"
	_, err = e.svc.Update(as(controller), domain, d.ID, d.Version, f)
	wantCode(t, err, errs.Conflict)
	wantMessage(t, err, "retired")
}
