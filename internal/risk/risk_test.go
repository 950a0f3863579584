package risk_test

import (
	"strings"
	"testing"
	"time"

	"dossier/internal/risk"
)

func TestAssess(t *testing.T) {
	r := risk.Default()
	if err := r.Validate(); err != nil {
		t.Fatalf("default rubric: %v", err)
	}
	tests := []struct {
		name    string
		in      risk.Input
		score   int
		tier    int
		reasons []string // substrings expected among the reasons
	}{
		{"PACSRemotePHI", risk.Input{Data: []string{risk.DataPHI}, Access: []string{risk.AccessRemote, risk.AccessMedicalDevice}, Clinical: risk.ClinicalHigh, DowntimeHours: 4, Records: 2_400_000},
			100, 1, []string{"Handles protected health information (PHI): +35", "Remote access into hospital systems: +25", "High clinical or patient-safety impact if it fails: +20", "Tolerable downtime 4 hours or less: +10", "A million records or more: +10"}},
		{"RemotePHIAloneIsTier2", risk.Input{Data: []string{risk.DataPHI}, Access: []string{risk.AccessRemote}, Clinical: risk.ClinicalNone, DowntimeHours: 100},
			60, 2, []string{"No clinical or patient-safety impact: +0", "No record volume given: +0"}},
		{"RemotePHIWithLowClinicalIsTier1", risk.Input{Data: []string{risk.DataPHI}, Access: []string{risk.AccessRemote}, Clinical: risk.ClinicalLow, DowntimeHours: 100},
			65, 1, nil},
		{"PayrollSaaS", risk.Input{Data: []string{risk.DataPII, risk.DataFinancial}, Access: []string{risk.AccessHostsData}, Clinical: risk.ClinicalNone, DowntimeHours: 72, Records: 8_000},
			50, 2, []string{"Handles personal information (PII) but no PHI: +21", "Hosts the hospital's data: +25", "Tolerable downtime three days or less: +3", "Fewer than 10,000 records: +1"}},
		{"ISP", risk.Input{Data: []string{risk.DataNone}, Access: []string{risk.AccessOnsite}, Clinical: risk.ClinicalLow, DowntimeHours: 8},
			26, 3, []string{"Handles none of the hospital's data: +0", "Staff work on site: +15", "Tolerable downtime a day or less: +6"}},
		{"UnknownDowntimeCountsAsWorst", risk.Input{Data: []string{risk.DataNone}, Access: []string{risk.AccessSoftwareOnly}, Clinical: risk.ClinicalNone},
			15, 3, []string{"Tolerable downtime not recorded, so counted as 4 hours or less: +10", "Supplies software only, with no access of its own: +5"}},
		{"NothingRecorded", risk.Input{}, 0, 0, nil},
		{"PartlyRecordedHasNoTier", risk.Input{Data: []string{risk.DataPHI}}, 45, 0, []string{"Access not recorded yet: +0", "Clinical impact not recorded yet: +0"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := r.Assess(tt.in)
			if a.Score != tt.score || a.Tier != tt.tier {
				t.Fatalf("score %d tier %d, want %d and %d; reasons %v", a.Score, a.Tier, tt.score, tt.tier, a.Reasons)
			}
			sum := 0
			for _, rs := range a.Reasons {
				sum += rs.Points
			}
			if sum != a.Score {
				t.Fatalf("reasons add up to %d, score is %d", sum, a.Score)
			}
			if tt.tier != 0 && len(a.Reasons) != 5 {
				t.Fatalf("%d reasons, want one per factor: %v", len(a.Reasons), a.Reasons)
			}
			all := ""
			for _, rs := range a.Reasons {
				all += rs.Text + "\n"
			}
			for _, want := range tt.reasons {
				if !strings.Contains(all, want+"\n") {
					t.Errorf("no reason %q in\n%s", want, all)
				}
			}
			if tt.tier == 0 && tt.name != "NothingRecorded" && len(a.Missing) != 2 {
				t.Errorf("missing %v, want access and clinical impact", a.Missing)
			}
		})
	}
}

func TestWeightsChangeTheScore(t *testing.T) {
	r := risk.Default()
	r.Weights = risk.Weights{Data: 60, Access: 10, Clinical: 10, Downtime: 10, Volume: 10}
	a := r.Assess(risk.Input{Data: []string{risk.DataPHI}, Access: []string{risk.AccessSoftwareOnly}, Clinical: risk.ClinicalNone, DowntimeHours: 1000})
	if a.Score != 62 || a.Reasons[0].Text != "Handles protected health information (PHI): +60" {
		t.Fatalf("got %d %v", a.Score, a.Reasons)
	}
}

func TestParseWeights(t *testing.T) {
	t.Run("OK", func(t *testing.T) {
		w, err := risk.ParseWeights(" Data=40, access=20,clinical=20 ,downtime=10,volume=10")
		if err != nil {
			t.Fatal(err)
		}
		if w != (risk.Weights{Data: 40, Access: 20, Clinical: 20, Downtime: 10, Volume: 10}) {
			t.Fatalf("got %+v", w)
		}
		back, err := risk.ParseWeights(risk.Default().Weights.String())
		if err != nil || back != risk.Default().Weights {
			t.Fatalf("String does not round-trip: %v %v", back, err)
		}
	})
	for _, tt := range []struct{ name, in, want string }{
		{"ErrUnknownFactor", "data=35,acess=25,clinical=20,downtime=10,volume=10", `unknown factor "acess"`},
		{"ErrNotNumber", "data=lots,access=25,clinical=20,downtime=10,volume=10", `"data=lots" needs whole points`},
		{"ErrNegative", "data=-5,access=25,clinical=20,downtime=10,volume=10", `"data=-5" needs whole points`},
		{"ErrNoEquals", "data 35,access=25,clinical=20,downtime=10,volume=10", `"data 35" is not name=points`},
		{"ErrTwice", "data=35,data=25,clinical=20,downtime=10,volume=10", "data is given twice"},
		{"ErrMissing", "data=35,access=25,clinical=20,downtime=20", "volume is missing"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := risk.ParseWeights(tt.in)
			if err == nil || !strings.Contains(err.Error(), tt.want) || strings.Contains(err.Error(), "\n") {
				t.Fatalf("got %v, want one line containing %q", err, tt.want)
			}
		})
	}
}

func TestParseTiersAndIntervals(t *testing.T) {
	t1, t2, err := risk.ParseTiers("70, 40")
	if err != nil || t1 != 70 || t2 != 40 {
		t.Fatalf("got %d %d %v", t1, t2, err)
	}
	for _, bad := range []string{"40,70", "65", "65,35,10", "x,35", "120,35", "65,0"} {
		if _, _, err := risk.ParseTiers(bad); err == nil {
			t.Errorf("ParseTiers(%q) accepted", bad)
		}
	}
	iv, err := risk.ParseIntervals("6,12,24")
	if err != nil || iv != [3]int{6, 12, 24} {
		t.Fatalf("got %v %v", iv, err)
	}
	for _, bad := range []string{"12,24", "0,24,36", "12,24,x", "12,24,500"} {
		if _, err := risk.ParseIntervals(bad); err == nil {
			t.Errorf("ParseIntervals(%q) accepted", bad)
		}
	}
}

func TestValidate(t *testing.T) {
	for _, tt := range []struct {
		name   string
		change func(*risk.Rubric)
		want   string
	}{
		{"ErrSum", func(r *risk.Rubric) { r.Weights.Data = 50 }, "add up to 115"},
		{"ErrThresholds", func(r *risk.Rubric) { r.Tier1, r.Tier2 = 30, 60 }, "thresholds"},
		{"ErrIntervalOrder", func(r *risk.Rubric) { r.Reassess = [3]int{36, 24, 12} }, "riskier tier"},
		{"ErrIntervalRange", func(r *risk.Rubric) { r.Reassess[0] = 0 }, "from 1 to 120"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r := risk.Default()
			tt.change(&r)
			if err := r.Validate(); err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("got %v, want %q", err, tt.want)
			}
		})
	}
}

func TestNextDue(t *testing.T) {
	r := risk.Default()
	from := time.Date(2026, 1, 31, 10, 0, 0, 0, time.UTC)
	for tier, want := range map[int]time.Time{
		1: time.Date(2027, 1, 31, 10, 0, 0, 0, time.UTC),
		2: time.Date(2028, 1, 31, 10, 0, 0, 0, time.UTC),
		3: time.Date(2029, 1, 31, 10, 0, 0, 0, time.UTC),
		0: time.Date(2027, 1, 31, 10, 0, 0, 0, time.UTC), // not yet tiered: as strict as tier 1
	} {
		if got := r.NextDue(tier, from); !got.Equal(want) {
			t.Errorf("tier %d: due %s, want %s", tier, got, want)
		}
	}
}
