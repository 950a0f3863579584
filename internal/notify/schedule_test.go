package notify

import (
	"testing"
	"time"
)

func TestScheduleDue(t *testing.T) {
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Skip("no time zone data:", err)
	}
	at := func(s string) time.Time {
		v, err := time.Parse(time.RFC3339, s)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	never := time.Time{}
	for _, c := range []struct {
		name   string
		sch    Schedule
		lastOK time.Time
		now    string
		want   bool
	}{
		{"OKDailyNeverRunBeforeTheHour", Daily(6, nil), never, "2026-03-02T05:59:59Z", true}, // yesterday's 06:00 was missed
		{"OKDailyRanYesterdayBeforeTheHour", Daily(6, nil), at("2026-03-01T06:00:00Z"), "2026-03-02T05:59:59Z", false},
		{"OKDailyAtTheHour", Daily(6, nil), at("2026-03-01T06:00:00Z"), "2026-03-02T06:00:00Z", true},
		{"OKDailyRanToday", Daily(6, nil), at("2026-03-02T06:00:05Z"), "2026-03-02T23:00:00Z", false},
		{"OKDailyManualRunEarlierToday", Daily(6, nil), at("2026-03-02T05:00:00Z"), "2026-03-02T06:30:00Z", true},
		{"OKDailyDownAllDay", Daily(6, nil), at("2026-02-27T06:00:00Z"), "2026-03-02T03:00:00Z", true},
		// 06:00 in Berlin is 05:00 UTC in winter and 04:00 UTC in summer.
		{"OKDailyLocalWinter", Daily(6, berlin), at("2026-03-01T05:00:00Z"), "2026-03-02T04:59:00Z", false},
		{"OKDailyLocalWinterAtTheHour", Daily(6, berlin), at("2026-03-01T05:00:00Z"), "2026-03-02T05:00:00Z", true},
		{"OKDailyLocalSummer", Daily(6, berlin), at("2026-06-01T04:00:00Z"), "2026-06-02T04:00:00Z", true},
		{"OKDailyLocalAcrossDSTChange", Daily(6, berlin), at("2026-03-28T05:00:00Z"), "2026-03-29T04:00:00Z", true},
		{"OKEveryNeverRun", Every(time.Hour), never, "2026-03-02T05:00:00Z", true},
		{"OKEveryNotYet", Every(time.Hour), at("2026-03-02T05:00:00Z"), "2026-03-02T05:59:59Z", false},
		{"OKEveryDue", Every(time.Hour), at("2026-03-02T05:00:00Z"), "2026-03-02T06:00:00Z", true},
	} {
		t.Run(c.name, func(t *testing.T) {
			if got := c.sch.due(c.lastOK, at(c.now)); got != c.want {
				t.Fatalf("%s, last ok %v, at %s: due=%v, want %v", c.sch, c.lastOK, c.now, got, c.want)
			}
		})
	}
}

func TestScheduleValid(t *testing.T) {
	for _, c := range []struct {
		sch  Schedule
		want bool
	}{
		{Daily(0, nil), true}, {Daily(23, time.UTC), true}, {Daily(24, nil), false}, {Daily(-1, nil), false},
		{Every(time.Minute), true}, {Every(0), false}, {Schedule{}, false},
	} {
		if got := c.sch.valid(); got != c.want {
			t.Errorf("%s (%#v): valid=%v, want %v", c.sch, c.sch, got, c.want)
		}
	}
}
