package document_test

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"dossier/internal/document"
)

// TestDue walks a year and a half of a policy in effect from day 0 with
// a 12-month review: each reminder is due from its day, once per key.
func TestDue(t *testing.T) {
	start := time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC)
	d := document.Document{ID: "d1", Domain: domain, Number: "ISMS-POL-001", Title: "Information security policy", Owner: "u-owner",
		ReviewMonths: 12, Revisions: []document.Revision{{N: 1, Major: 1, State: document.Effective, EffectiveFrom: start}}}
	first := map[string]int{}
	byKey := map[string]document.Reminder{}
	for day := range 540 {
		for _, r := range document.Due(d, start.AddDate(0, 0, day), []string{staff2, staff1}) {
			if _, ok := first[r.Key]; !ok {
				first[r.Key], byKey[r.Key] = day, r
			}
		}
	}
	want := map[string]int{
		"document:d1:acknowledge:7d:1.0:u-staff1":  7,
		"document:d1:acknowledge:7d:1.0:u-staff2":  7,
		"document:d1:acknowledge:14d:1.0:u-staff1": 14,
		"document:d1:acknowledge:14d:1.0:u-staff2": 14,
		"document:d1:review:30d:2027-03-02":        335,
		"document:d1:review:7d:2027-03-02":         358,
		"document:d1:review:overdue:2027-03-02":    366,
	}
	if len(first) != len(want) {
		t.Fatalf("keys %v", first)
	}
	for k, day := range want {
		if first[k] != day {
			t.Errorf("%s first due on day %d, want %d", k, first[k], day)
		}
		if r := byKey[k]; r.Link != "/documents/d1" || r.Subject == "" || r.Body == "" || r.Revision != "1.0" || r.Domain != domain {
			t.Errorf("%s: %+v", k, r)
		}
		if r := byKey[k]; (r.Kind == document.RemindReview) != (r.To == "u-owner") {
			t.Errorf("%s goes to %s", k, r.To)
		}
	}
	if got := byKey["document:d1:review:overdue:2027-03-02"].Subject; !strings.Contains(got, "overdue") {
		t.Errorf("overdue subject %q", got)
	}
	if n := len(document.Due(d, start.AddDate(0, 0, 21), []string{staff1})); n != 0 {
		t.Errorf("%d reminders three weeks in", n)
	}
	t.Run("NoneRetired", func(t *testing.T) {
		r := d
		r.Retired = &document.Retirement{On: start.AddDate(0, 0, 1)}
		if got := document.Due(r, start.AddDate(0, 0, 400), []string{staff1}); len(got) != 0 {
			t.Fatalf("retired: %v", got)
		}
	})
}

// TestReminders: the service's reminders come from the index and the
// acknowledgements: after a week, the staff member who has not
// acknowledged is reminded, the one who has is not.
func TestReminders(t *testing.T) {
	e := newEnv(t)
	d := e.mustCreate(t, policy("ISMS-POL-001"))
	d, _ = e.mustEffective(t, d, false, "First issue")
	if _, err := e.svc.Acknowledge(as(staff1), domain, d.ID, staff1); err != nil {
		t.Fatal(err)
	}
	keys := func() []string {
		t.Helper()
		rs, err := e.svc.Reminders(context.Background(), domain, e.today())
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, r := range rs {
			out = append(out, r.Key)
		}
		return out
	}
	if got := keys(); len(got) != 0 {
		t.Fatalf("on day 0: %v", got)
	}
	e.days(7)
	if got := keys(); !slices.Equal(got, []string{"document:" + d.ID + ":acknowledge:7d:1.0:" + staff2}) {
		t.Fatalf("on day 7: %v", got)
	}
	e.days(335 - 7)
	next := d.NextReview.Format(time.DateOnly)
	if got := keys(); !slices.Equal(got, []string{"document:" + d.ID + ":review:30d:" + next}) {
		t.Fatalf("30 days before review: %v", got)
	}
}
