package contract_test

import (
	"slices"
	"testing"
	"time"

	"dossier/internal/contract"
)

func day(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }

// TestWindows: which windows a contract is in on 2 March 2026, its notice
// deadline, its expiry as it stands, and whether it binds.
func TestWindows(t *testing.T) {
	now := time.Date(2026, 3, 2, 15, 4, 0, 0, time.UTC)
	today := contract.Day(now)
	in := func(d int) time.Time { return today.AddDate(0, 0, d) }
	inForce := func(c contract.Contract) contract.Contract {
		c.Status = contract.InForce
		if c.Effective.IsZero() {
			c.Effective = day(2025, 1, 1)
		}
		return c
	}
	tests := []struct {
		name     string
		c        contract.Contract
		windows  []string
		window   string
		deadline time.Time // NoticeDeadline(), from the stored expiry
		expiry   time.Time // ExpiryOn(now)
		binds    bool
	}{
		{"PastNotice", inForce(contract.Contract{Expiry: in(20), NoticeDays: 30}),
			[]string{"in_force", "30", "60", "90", "past_notice"}, "past_notice", in(-10), in(20), true},
		{"NoticeDeadlineToday", inForce(contract.Contract{Expiry: in(30), NoticeDays: 30}),
			[]string{"in_force", "30", "60", "90"}, "30", today, in(30), true},
		{"Within60NoNotice", inForce(contract.Contract{Expiry: in(45)}),
			[]string{"in_force", "60", "90"}, "60", time.Time{}, in(45), true},
		{"Within90Edge", inForce(contract.Contract{Expiry: in(90)}),
			[]string{"in_force", "90"}, "90", time.Time{}, in(90), true},
		{"Beyond90", inForce(contract.Contract{Expiry: in(91), NoticeDays: 60}),
			[]string{"in_force"}, "in_force", in(31), in(91), true},
		{"ExpiresToday", inForce(contract.Contract{Expiry: today}),
			[]string{"in_force", "30", "60", "90"}, "30", time.Time{}, today, true},
		{"LapsedAwaitingTheJob", inForce(contract.Contract{Expiry: in(-1), NoticeDays: 30}),
			[]string{"expired"}, "expired", in(-31), in(-1), false},
		{"Expired", contract.Contract{Status: contract.Expired, Effective: day(2024, 1, 1), Expiry: in(-40)},
			[]string{"expired"}, "expired", time.Time{}, in(-40), false},
		{"Evergreen", inForce(contract.Contract{Evergreen: true, NoticeDays: 30}),
			[]string{"in_force"}, "in_force", time.Time{}, time.Time{}, true},
		{"AutoRenewPassedBeforeTheJob", inForce(contract.Contract{Expiry: in(-10), AutoRenewMonths: 12, NoticeDays: 30}),
			[]string{"in_force"}, "in_force", in(-40), in(-10).AddDate(1, 0, 0), true},
		{"AutoRenewPastNotice", inForce(contract.Contract{Expiry: in(50), AutoRenewMonths: 12, NoticeDays: 60}),
			[]string{"in_force", "60", "90", "past_notice"}, "past_notice", in(-10), in(50), true},
		{"AutoRenewMonthEnd", inForce(contract.Contract{Expiry: day(2026, 1, 31), AutoRenewMonths: 1}),
			[]string{"in_force", "30", "60", "90"}, "30", time.Time{}, day(2026, 3, 28), true},
		{"NotYetEffective", contract.Contract{Status: contract.InForce, Effective: in(10), Expiry: in(400)},
			[]string{"in_force"}, "in_force", time.Time{}, in(400), false},
		{"Draft", contract.Contract{Status: contract.Draft, Expiry: in(5), NoticeDays: 10},
			[]string{"draft"}, "draft", in(-5), in(5), false},
		{"Terminated", contract.Contract{Status: contract.Terminated, Effective: day(2025, 1, 1), Expiry: in(5)},
			[]string{"terminated"}, "terminated", time.Time{}, in(5), false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var got []string
			for _, w := range contract.Windows() {
				if tc.c.In(w, now) {
					got = append(got, w)
				}
			}
			if !slices.Equal(got, tc.windows) {
				t.Errorf("windows %v, want %v", got, tc.windows)
			}
			if w := tc.c.Window(now); w != tc.window {
				t.Errorf("window %q, want %q", w, tc.window)
			}
			if d := tc.c.NoticeDeadline(); !d.Equal(tc.deadline) {
				t.Errorf("notice deadline %v, want %v", d, tc.deadline)
			}
			if e := tc.c.ExpiryOn(now); !e.Equal(tc.expiry) {
				t.Errorf("expiry on the day %v, want %v", e, tc.expiry)
			}
			if b := tc.c.InForce(now); b != tc.binds {
				t.Errorf("in force %v, want %v", b, tc.binds)
			}
		})
	}
}

func TestNoticeDeadline(t *testing.T) {
	tests := []struct {
		name string
		c    contract.Contract
		want time.Time
	}{
		{"NinetyDays", contract.Contract{Expiry: day(2026, 12, 31), NoticeDays: 90}, day(2026, 10, 2)},
		{"AcrossLeapDay", contract.Contract{Expiry: day(2028, 3, 1), NoticeDays: 1}, day(2028, 2, 29)},
		{"AutoRenewalStopsBy", contract.Contract{Expiry: day(2027, 6, 30), NoticeDays: 60, AutoRenewMonths: 12}, day(2027, 5, 1)},
		{"NoNotice", contract.Contract{Expiry: day(2026, 12, 31)}, time.Time{}},
		{"Evergreen", contract.Contract{Evergreen: true, NoticeDays: 30}, time.Time{}},
		{"NoExpiryYet", contract.Contract{NoticeDays: 30}, time.Time{}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.c.NoticeDeadline(); !got.Equal(tc.want) {
				t.Fatalf("got %v, want %v", got, tc.want)
			}
		})
	}
}

// TestContractRules: the rules the pages show before a step and the
// service applies at it.
func TestContractRules(t *testing.T) {
	now := time.Date(2026, 3, 2, 15, 4, 0, 0, time.UTC)
	ended := contract.Contract{Status: contract.Expired, LastInEffect: day(2020, 3, 1), RetainUntil: day(2026, 3, 1)}
	for name, tc := range map[string]struct {
		c    func(contract.Contract) contract.Contract
		want bool
	}{
		"OK":          {func(c contract.Contract) contract.Contract { return c }, true},
		"OKFromToday": {func(c contract.Contract) contract.Contract { c.RetainUntil = day(2026, 3, 2); return c }, true},
		"ErrRetained": {func(c contract.Contract) contract.Contract { c.RetainUntil = day(2026, 3, 3); return c }, false},
		"ErrFileRetained": {func(c contract.Contract) contract.Contract {
			c.Files = []contract.FileVersion{{RetainUntil: day(2026, 4, 1)}}
			return c
		}, false},
		"ErrHeld":     {func(c contract.Contract) contract.Contract { c.Hold.On = true; return c }, false},
		"ErrInForce":  {func(c contract.Contract) contract.Contract { c.Status = contract.InForce; return c }, false},
		"ErrDisposed": {func(c contract.Contract) contract.Contract { c.Disposed = &contract.Disposal{}; return c }, false},
	} {
		if got := tc.c(ended).Disposable(now); got != tc.want {
			t.Errorf("Disposable %s: %v", name, got)
		}
	}

	for _, tc := range []struct {
		status    contract.Status
		canManage bool
		ok        bool
	}{
		{contract.Draft, false, true}, {contract.InForce, true, true}, {contract.InForce, false, false},
		{contract.Expired, true, false}, {contract.Terminated, true, false},
	} {
		if err := (contract.Contract{Status: tc.status}).Editable(tc.canManage); (err == nil) != tc.ok {
			t.Errorf("Editable %s, manage %v: %v", tc.status, tc.canManage, err)
		}
	}

	fields := func(ps []contract.Problem) []string {
		var out []string
		for _, p := range ps {
			out = append(out, p.Field)
		}
		return out
	}
	if got := fields((contract.Contract{Status: contract.Draft, Owner: " "}).ActivationNeeds()); !slices.Equal(got, []string{"files", "effective", "expiry", "owner"}) {
		t.Errorf("an empty draft needs %v", got)
	}
	ready := contract.Contract{Status: contract.Draft, Effective: day(2026, 1, 1), Evergreen: true, Owner: "u1",
		Files: []contract.FileVersion{{N: 1, Signed: true, ContentType: "application/pdf"}}}
	if got := ready.ActivationNeeds(); len(got) != 0 {
		t.Errorf("a complete draft needs %v", got)
	}
}

func TestBAATermsSet(t *testing.T) {
	var terms contract.BAATerms
	terms.NoticeWindowDays = 30
	for _, term := range contract.BAATermList() {
		terms.Set(term.Key, true)
	}
	if terms != contract.AllTerms(30) {
		t.Fatalf("every term set: %+v", terms)
	}
	terms.Set("hhs_access", false)
	terms.Set("no_such_term", true)
	if m := terms.MissingTerms(); len(m) != 1 || m[0].Key != "hhs_access" {
		t.Fatalf("missing %v", m)
	}
}
