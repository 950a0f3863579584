package contract_test

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"dossier/internal/contract"
	"dossier/internal/notify"
)

// walk calls Due on every day from..to and returns, per key, the first day
// it was due (as days from from) and the reminder; no day may give two
// reminders of one kind.
func walk(t *testing.T, c contract.Contract, from time.Time, n int) (map[string]int, map[string]contract.Reminder) {
	t.Helper()
	first := map[string]int{}
	byKey := map[string]contract.Reminder{}
	for d := range n {
		kinds := map[string]bool{}
		for _, r := range contract.Due(c, from.AddDate(0, 0, d)) {
			if kinds[r.Kind] {
				t.Fatalf("day %d: two %s reminders", d, r.Kind)
			}
			kinds[r.Kind] = true
			if _, ok := first[r.Key]; !ok {
				first[r.Key], byKey[r.Key] = d, r
			}
		}
	}
	return first, byKey
}

// TestDue walks a contract's last 120 days and the week after: each
// threshold's reminder is due from its day, once per key.
func TestDue(t *testing.T) {
	today := day(2026, 3, 2)
	expiry := today.AddDate(0, 0, 120) // 2026-06-30
	c := contract.Contract{ID: "c1", Domain: domain, Type: contract.MSA, Title: "PACS MSA", VendorName: "Acme Imaging, Inc.",
		Status: contract.InForce, Effective: day(2024, 7, 1), Expiry: expiry, NoticeDays: 45, Owner: "u-legal"}
	deadline := c.NoticeDeadline() // 2026-05-16, 75 days ahead
	first, reminders := walk(t, c, today, 131)
	want := []struct {
		kind string
		days int
		date time.Time
		from int // first day due, from today
	}{
		{"notice", 90, deadline, 0}, // the walk starts inside the 90-day window
		{"notice", 60, deadline, 15},
		{"notice", 30, deadline, 45},
		{"notice", 7, deadline, 68},
		{"expiry", 90, expiry, 30},
		{"expiry", 60, expiry, 60},
		{"expiry", 30, expiry, 90},
		{"expiry", 7, expiry, 113},
		{"expiry", 0, expiry, 120},
	}
	if len(first) != len(want) {
		t.Fatalf("%d distinct reminders, want %d: %v", len(first), len(want), first)
	}
	for _, w := range want {
		key := fmt.Sprintf("contract:c1:%s:%dd:%s", w.kind, w.days, w.date.Format(time.DateOnly))
		got, ok := first[key]
		if !ok {
			t.Errorf("no reminder %s", key)
			continue
		}
		if got != w.from {
			t.Errorf("%s first due on day %d, want %d", key, got, w.from)
		}
		r := reminders[key]
		if r.To != "u-legal" || r.ContractID != "c1" || r.Days != w.days || !r.Date.Equal(w.date) || r.Subject == "" ||
			!strings.Contains(r.Body, "PACS MSA") || r.Link != "/contracts/c1" {
			t.Errorf("reminder %+v", r)
		}
	}
	onDay := reminders["contract:c1:expiry:0d:2026-06-30"]
	if onDay.Subject != "Contract expires today: PACS MSA (MSA, Acme Imaging, Inc.)" {
		t.Errorf("subject %q", onDay.Subject)
	}
	if r := reminders["contract:c1:notice:7d:2026-05-16"]; !strings.HasPrefix(r.Subject, "Notice deadline in 7 days:") || !strings.Contains(r.Body, "Saturday 16 May 2026") {
		t.Errorf("notice reminder %q\n%s", r.Subject, r.Body)
	}
	if rs := contract.Due(c, deadline.AddDate(0, 0, 1)); len(rs) != 1 || rs[0].Kind != contract.RemindExpiry {
		t.Errorf("the day after the notice deadline: %+v", rs)
	}
	if rs := contract.Due(c, expiry.AddDate(0, 0, 7)); len(rs) != 0 {
		t.Errorf("a week after expiry: %+v", rs)
	}

	t.Run("MovedExpiryMakesNewKeys", func(t *testing.T) {
		moved := c
		moved.Expiry = expiry.AddDate(0, 0, 30)
		at := expiry.AddDate(0, 0, -20)
		a, b := contract.Due(c, at), contract.Due(moved, at)
		if len(a) == 0 || len(b) == 0 {
			t.Fatalf("%v %v", a, b)
		}
		for _, r := range b {
			if slices.ContainsFunc(a, func(x contract.Reminder) bool { return x.Key == r.Key }) {
				t.Errorf("key %s survived the move", r.Key)
			}
		}
	})
	t.Run("ActivatedLateGetsOnlyWhatIsAhead", func(t *testing.T) {
		late := c
		late.Expiry, late.NoticeDays = today.AddDate(0, 0, 20), 0
		first, _ := walk(t, late, today, 30)
		var keys []string
		for k := range first {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		if !slices.Equal(keys, []string{"contract:c1:expiry:0d:2026-03-22", "contract:c1:expiry:30d:2026-03-22", "contract:c1:expiry:7d:2026-03-22"}) {
			t.Fatalf("keys %v", keys)
		}
	})
	t.Run("AutoRenewal", func(t *testing.T) {
		ar := c
		ar.Expiry, ar.AutoRenewMonths, ar.NoticeDays = today.AddDate(0, 0, 5), 12, 30
		rs := contract.Due(ar, today)
		if len(rs) != 1 || rs[0].Days != 7 || !strings.HasPrefix(rs[0].Subject, "Contract renews in 5 days:") ||
			!strings.Contains(rs[0].Body, "The notice deadline has passed") {
			t.Fatalf("%+v", rs) // notice was due 30 days before expiry
		}
		early := ar
		early.NoticeDays = 3
		if rs := contract.Due(early, today); len(rs) != 2 || !strings.HasPrefix(rs[1].Subject, "Contract renews in 5 days unless ended") {
			t.Fatalf("%+v", rs)
		}
		rs = contract.Due(ar, ar.Expiry)
		if len(rs) != 1 || rs[0].Days != 0 || !strings.Contains(rs[0].Body, "renews automatically for 12 months") {
			t.Fatalf("%+v", rs)
		}
		// The day after, before or after the job renewed it, the next term
		// is a year away: nothing is due.
		renewed := ar
		renewed.Expiry = ar.Expiry.AddDate(1, 0, 0)
		if rs := append(contract.Due(ar, ar.Expiry.AddDate(0, 0, 1)), contract.Due(renewed, ar.Expiry.AddDate(0, 0, 1))...); len(rs) != 0 {
			t.Fatalf("%+v", rs)
		}
		// 90 days before the next notice deadline, a reminder to stop the renewal.
		next := renewed.NoticeDeadline().AddDate(0, 0, -90)
		rs = contract.Due(ar, next)
		if len(rs) != 1 || rs[0].Kind != contract.RemindNotice || !strings.Contains(rs[0].Subject, "stop the renewal in 90 days") {
			t.Fatalf("%+v", rs)
		}
	})
	t.Run("ExpiredThisWeek", func(t *testing.T) {
		ex := c
		ex.Status = contract.Expired
		rs := contract.Due(ex, expiry.AddDate(0, 0, 2))
		if len(rs) != 1 || rs[0].Key != "contract:c1:expiry:0d:2026-06-30" || !strings.HasPrefix(rs[0].Subject, "Contract expired Tuesday 30 June 2026") {
			t.Fatalf("%+v", rs)
		}
	})
	none := []struct {
		name string
		edit func(*contract.Contract)
	}{
		{"Draft", func(c *contract.Contract) { c.Status = contract.Draft }},
		{"Terminated", func(c *contract.Contract) { c.Status = contract.Terminated }},
		{"Evergreen", func(c *contract.Contract) { c.Expiry, c.Evergreen = time.Time{}, true }},
		{"NoOwner", func(c *contract.Contract) { c.Owner = "" }},
	}
	for _, tc := range none {
		t.Run("None"+tc.name, func(t *testing.T) {
			x := c
			tc.edit(&x)
			if first, _ := walk(t, x, today, 131); len(first) != 0 {
				t.Fatalf("%v", first)
			}
		})
	}
}

func TestDueFrom(t *testing.T) {
	e := newEnv(t)
	f := e.msa()
	f.Expiry, f.NoticeDays = e.date(25), 0
	soon := e.mustActivate(t, f)
	f.Expiry, f.Title = e.date(200), "Later"
	e.mustActivate(t, f)
	f.Expiry, f.Title = e.date(5), "Draft"
	e.mustCreate(t, f)
	var got []contract.Reminder
	err := e.svc.DueFrom(e.ctx, domain, e.clock.Now(), func(c contract.Contract, r contract.Reminder) error {
		if c.ID != r.ContractID || len(c.Files) != 0 {
			t.Errorf("contract %s with %d files for %s", c.ID, len(c.Files), r.Key)
		}
		got = append(got, r)
		return nil
	})
	if err != nil || len(got) != 1 || got[0].ContractID != soon.ID || got[0].Days != 30 || got[0].To != e.legal.ID {
		t.Fatalf("%+v %v", got, err)
	}
	// What the daily job does with them: the notify area delivers each
	// once per key.
	if err := notify.Migrate(e.ctx, e.db); err != nil {
		t.Fatal(err)
	}
	n := notify.New(e.db, notify.Options{Users: e.users, Now: e.clock.Now})
	for round := range 2 {
		sent, err := n.Deliver(e.ctx, notify.Delivery{Key: got[0].Key, UserID: got[0].To, Domain: got[0].Domain,
			Subject: got[0].Subject, Body: got[0].Body, Link: got[0].Link})
		if err != nil || sent != (round == 0) {
			t.Fatalf("delivery %d: sent %v, %v", round, sent, err)
		}
	}
	if ns, err := n.Notices(e.ctx, e.legal.ID, false); err != nil || len(ns) != 1 || ns[0].Link != "/contracts/"+soon.ID {
		t.Fatalf("notices %+v %v", ns, err)
	}
	stop := errors.New("mail down")
	if err := e.svc.DueFrom(e.ctx, domain, e.clock.Now(), func(contract.Contract, contract.Reminder) error { return stop }); !errors.Is(err, stop) {
		t.Fatalf("fn's error: %v", err)
	}
}
