package questionnaire

import (
	"fmt"
	"slices"
	"strings"
	"testing"
)

func ids(qs []*Question) []string {
	out := []string{}
	for _, q := range qs {
		out = append(out, q.ID)
	}
	return out
}

func TestVisibleMissingProgress(t *testing.T) {
	tmpl := mustRead(t, "vendor.yaml")
	always := []string{"uses_cloud", "iso27001", "encryption", "logging", "offshore", "staff", "incident_plan"}
	tests := map[string]struct {
		a        Answers
		visible  []string
		missing  []string
		answered int
	}{
		"Empty": {
			a:       Answers{},
			visible: always,
			missing: []string{"uses_cloud", "incident_plan"},
		},
		"CloudAppears": {
			a:        Answers{"uses_cloud": {"yes"}},
			visible:  []string{"uses_cloud", "cloud_provider", "iso27001", "encryption", "logging", "offshore", "pentest", "staff", "incident_plan"},
			missing:  []string{"cloud_provider", "incident_plan"},
			answered: 1,
		},
		"OtherProviderAppears": {
			a:       Answers{"uses_cloud": {"yes"}, "cloud_provider": {"other"}, "incident_plan": {"We have one."}},
			visible: []string{"uses_cloud", "cloud_provider", "cloud_provider_other", "iso27001", "encryption", "logging", "offshore", "staff", "incident_plan"},
			// pentest hides: cloud_provider != "other" no longer holds
			missing:  []string{"cloud_provider_other"},
			answered: 3,
		},
		"HiddenChainDisappears": {
			// cloud_provider keeps its stored answer but is hidden, so the
			// question that depends on it is hidden too
			a:        Answers{"uses_cloud": {"no"}, "cloud_provider": {"other"}, "cloud_provider_other": {"Acme"}, "incident_plan": {"Yes."}},
			visible:  always,
			missing:  []string{},
			answered: 2,
		},
		"CertificateDateFollowsYes": {
			a:        Answers{"uses_cloud": {"no"}, "iso27001": {"yes"}},
			visible:  []string{"uses_cloud", "iso27001", "cert_expiry", "encryption", "logging", "offshore", "staff", "incident_plan"},
			missing:  []string{"incident_plan"},
			answered: 2,
		},
		"ClearedAnswerIsMissing": {
			a:        Answers{"uses_cloud": {""}, "incident_plan": nil},
			visible:  always,
			missing:  []string{"uses_cloud", "incident_plan"},
			answered: 0,
		},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			if got := ids(tmpl.Visible(tt.a)); !slices.Equal(got, tt.visible) {
				t.Errorf("Visible = %v\nwant      %v", got, tt.visible)
			}
			if got := ids(tmpl.Missing(tt.a)); !slices.Equal(got, tt.missing) {
				t.Errorf("Missing = %v, want %v", got, tt.missing)
			}
			answered, total := tmpl.Progress(tt.a)
			if answered != tt.answered || total != len(tt.visible) {
				t.Errorf("Progress = %d, %d, want %d, %d", answered, total, tt.answered, len(tt.visible))
			}
			for _, q := range tmpl.Questions() {
				if want := slices.Contains(tt.visible, q.ID); q.Shown(tt.a) != want {
					t.Errorf("%s.Shown = %v, want %v", q.ID, !want, want)
				}
			}
		})
	}
}

func TestNeedsEvidence(t *testing.T) {
	tmpl := mustRead(t, "vendor.yaml")
	iso, _ := tmpl.Question("iso27001")
	enc, _ := tmpl.Question("encryption")
	withNA := *iso
	withNA.NA = true
	tests := map[string]struct {
		q    *Question
		ans  []string
		want bool
	}{
		"Yes":          {iso, []string{"yes"}, true},
		"No":           {iso, []string{"no"}, false},
		"NA":           {&withNA, []string{"na"}, false},
		"Unanswered":   {iso, nil, false},
		"Cleared":      {iso, []string{""}, false},
		"NotAsked":     {enc, []string{"aes256"}, false},
		"OtherAnswers": {&Question{Type: Single, Evidence: true}, []string{"no"}, true}, // "no" is only special for yes/no
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			if got := NeedsEvidence(tt.q, tt.ans); got != tt.want {
				t.Errorf("NeedsEvidence(%v) = %v, want %v", tt.ans, got, tt.want)
			}
		})
	}
}

// flagList writes flags as "id severity: reason" for comparison.
func flagList(fs []Flag) []string {
	out := []string{}
	for _, f := range fs {
		out = append(out, fmt.Sprintf("%s %s: %s", f.Question.ID, f.Severity, f.Reason))
	}
	return out
}

func coverageList(cs []Coverage) []string {
	out := []string{}
	for _, c := range cs {
		out = append(out, fmt.Sprintf("%s %d/%d/%d", c.Control, c.Questions, c.Good, c.Flagged))
	}
	return out
}

func TestScore(t *testing.T) {
	tmpl := mustRead(t, "vendor.yaml")
	noEvidence := func(string) bool { return false }
	tests := map[string]struct {
		a        Answers
		evidence func(string) bool
		score    int
		flags    []string
		coverage []string
	}{
		// Scored and visible: iso27001 (3), encryption (2), logging (1),
		// offshore (1). Unanswered ones earn their worst answer:
		// logging 0.5 (its lowest choice score), the others 0.
		// 100 × 0.5 / 7 = 7.14.
		"Empty": {
			a:     Answers{},
			score: 7,
			flags: []string{
				"encryption critical: Not answered",
				"iso27001 high: Not answered",
				"incident_plan high: Not answered", // required, not scored
				"uses_cloud medium: Not answered",  // required, not scored
				"logging medium: Not answered",
				"offshore low: Not answered",
			},
			coverage: []string{"5.19 1/0/1", "5.24 1/0/1", "5.35 1/0/1", "8.15 1/0/1", "8.24 1/0/1"},
		},
		// iso27001 3×1, encryption 2×0.5, logging 1×min(1, 1.5),
		// offshore not applicable (left out), pentest visible and
		// unanswered 1×0: 100 × 5 / 7 = 71.43.
		"HandComputed": {
			a: Answers{
				"uses_cloud": {"yes"}, "cloud_provider": {"aws"}, "incident_plan": {"Documented."},
				"iso27001": {"yes"}, "encryption": {"partial"}, "logging": {"access", "admin", "auth"},
				"offshore": {"na"},
			},
			evidence: noEvidence,
			score:    71,
			flags: []string{
				"encryption critical: Answered “Partially”",
				"iso27001 high: Evidence missing",
				"pentest medium: Not answered",
			},
			coverage: []string{"5.19 1/0/1", "5.24 1/1/0", "5.35 1/0/1", "8.8 1/0/1", "8.15 1/1/0", "8.24 1/0/1"},
		},
		// With evidence on file and the best answers: 100. A "yes" to
		// offshore is the bad answer its choices define.
		"BestAnswers": {
			a: Answers{
				"uses_cloud": {"no"}, "incident_plan": {"Documented."}, "iso27001": {"yes"},
				"encryption": {"aes256"}, "logging": {"access", "admin"}, "offshore": {"no"},
			},
			evidence: func(q string) bool { return q == "iso27001" },
			score:    100,
			flags:    []string{},
			coverage: []string{"5.19 1/1/0", "5.24 1/1/0", "5.35 1/1/0", "8.15 1/1/0", "8.24 1/1/0"},
		},
		// logging: one choice earns 0.5 of 1 and is flagged; offshore
		// "yes" earns 0. (3 + 2 + 0.5 + 0) / 7 = 78.57.
		"MultiPartialAndInvertedYesNo": {
			a: Answers{
				"uses_cloud": {"no"}, "incident_plan": {"Documented."}, "iso27001": {"yes"},
				"encryption": {"aes256"}, "logging": {"auth"}, "offshore": {"yes"},
			},
			evidence: func(string) bool { return true },
			score:    79,
			flags: []string{
				"logging medium: Answered “Failed sign-ins”",
				"offshore low: Answered “Yes”",
			},
			coverage: []string{"5.19 1/1/0", "5.24 1/1/0", "5.35 1/1/0", "8.15 1/0/1", "8.24 1/1/0"},
		},
		// A "no" needs no evidence; it scores 0 and is flagged for that.
		// nil hasEvidence means nothing on file. (0 + 0 + 1 + 1) / 7.
		"NoNeedsNoEvidence": {
			a: Answers{
				"uses_cloud": {"no"}, "incident_plan": {"x"}, "iso27001": {"no"},
				"encryption": {"none"}, "logging": {"access", "admin"}, "offshore": {"no"},
			},
			score: 29,
			flags: []string{
				"encryption critical: Answered “Not encrypted”",
				"iso27001 high: Answered “No”",
			},
			coverage: []string{"5.19 1/0/1", "5.24 1/1/0", "5.35 1/0/1", "8.15 1/1/0", "8.24 1/0/1"},
		},
		// Answers to hidden questions do not count.
		"HiddenAnswersIgnored": {
			a: Answers{
				"uses_cloud": {"no"}, "pentest": {"0123456789abcdef01234567"}, "incident_plan": {"x"},
				"iso27001": {"yes"}, "encryption": {"aes256"}, "logging": {"access", "admin"}, "offshore": {"no"},
			},
			evidence: func(string) bool { return true },
			score:    100,
			flags:    []string{},
			coverage: []string{"5.19 1/1/0", "5.24 1/1/0", "5.35 1/1/0", "8.15 1/1/0", "8.24 1/1/0"},
		},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			r := Score(tmpl, tt.a, tt.evidence)
			if r.Score != tt.score {
				t.Errorf("Score = %d, want %d", r.Score, tt.score)
			}
			answered, total := tmpl.Progress(tt.a)
			if r.Answered != answered || r.Total != total {
				t.Errorf("Answered, Total = %d, %d, want %d, %d", r.Answered, r.Total, answered, total)
			}
			if got := flagList(r.Flags); !slices.Equal(got, tt.flags) {
				t.Errorf("Flags:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tt.flags, "\n"))
			}
			if got := coverageList(r.Coverage); !slices.Equal(got, tt.coverage) {
				t.Errorf("Coverage = %v\nwant       %v", got, tt.coverage)
			}
		})
	}
}

func TestScoreDetails(t *testing.T) {
	t.Run("NothingScored", func(t *testing.T) {
		tmpl := mustParse(t, "t.yaml", doc("      - {id: a, text: A, type: text}\n      - {id: b, text: B, type: yesno, weight: 0}\n"))
		if r := Score(tmpl, Answers{}, nil); r.Score != 100 || len(r.Flags) != 0 || r.Total != 2 {
			t.Errorf("Score = %+v", r)
		}
	})
	t.Run("AllNotApplicable", func(t *testing.T) {
		tmpl := mustParse(t, "t.yaml", doc("      - {id: a, text: A, type: yesno, na: true}\n"))
		if r := Score(tmpl, Answers{"a": {"na"}}, nil); r.Score != 100 || len(r.Flags) != 0 || r.Answered != 1 {
			t.Errorf("Score = %+v", r)
		}
	})
	t.Run("FileAnswered", func(t *testing.T) {
		tmpl := mustParse(t, "t.yaml", doc("      - {id: a, text: A, type: file, weight: 2}\n      - {id: b, text: B, type: yesno}\n"))
		r := Score(tmpl, Answers{"a": {"0123456789abcdef01234567"}}, nil)
		if r.Score != 67 || !slices.Equal(flagList(r.Flags), []string{"b medium: Not answered"}) {
			t.Errorf("Score = %d, flags %v", r.Score, flagList(r.Flags))
		}
	})
	t.Run("CoverageOrder", func(t *testing.T) {
		tmpl := mustParse(t, "t.yaml", doc(`      - {id: a, text: A, type: yesno, controls: ["8.10", "5.10", "5.2", "8.1", "6.3"]}`+"\n"))
		r := Score(tmpl, Answers{"a": {"yes"}}, nil)
		want := []string{"5.2 1/1/0", "5.10 1/1/0", "6.3 1/1/0", "8.1 1/1/0", "8.10 1/1/0"}
		if got := coverageList(r.Coverage); !slices.Equal(got, want) {
			t.Errorf("Coverage = %v, want %v", got, want)
		}
		if r.Coverage[0].Name != "Information security roles and responsibilities" {
			t.Errorf("Name = %q", r.Coverage[0].Name)
		}
	})
	t.Run("BadAnswerAndNoEvidence", func(t *testing.T) {
		tmpl := mustParse(t, "t.yaml", doc(`      - id: a
        text: A
        type: single
        evidence: true
        choices: [{value: full, label: Fully, score: 1}, {value: partial, label: Partially, score: 0.5}]
`))
		r := Score(tmpl, Answers{"a": {"partial"}}, func(string) bool { return false })
		want := []string{"a medium: Answered “Partially”; evidence missing"}
		if got := flagList(r.Flags); r.Score != 50 || !slices.Equal(got, want) {
			t.Errorf("Score = %d, flags %v, want 50, %v", r.Score, got, want)
		}
	})
	t.Run("FlagsKeepDocumentOrderWithinSeverity", func(t *testing.T) {
		tmpl := mustParse(t, "t.yaml", doc(
			"      - {id: c, text: C, type: yesno, severity: low}\n"+
				"      - {id: b, text: B, type: yesno, severity: critical}\n"+
				"      - {id: a, text: A, type: yesno, severity: low}\n"+
				"      - {id: d, text: D, type: yesno, severity: critical}\n"))
		r := Score(tmpl, Answers{"a": {"no"}, "b": {"no"}, "c": {"no"}, "d": {"no"}}, nil)
		want := []string{"b critical: Answered “No”", "d critical: Answered “No”", "c low: Answered “No”", "a low: Answered “No”"}
		if got := flagList(r.Flags); !slices.Equal(got, want) {
			t.Errorf("Flags = %v, want %v", got, want)
		}
	})
}
