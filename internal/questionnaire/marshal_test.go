package questionnaire

import (
	"reflect"
	"strings"
	"testing"
)

// public returns t's sections with what Parse adds for itself cleared, so
// that two templates can be compared.
func public(t *Template) []Section {
	out := make([]Section, len(t.Sections))
	for i, s := range t.Sections {
		out[i] = s
		out[i].Questions = make([]Question, len(s.Questions))
		for j, q := range s.Questions {
			q.cond, q.line, q.whenLine = nil, 0, 0
			out[i].Questions[j] = q
		}
	}
	return out
}

func TestMarshalRoundTrip(t *testing.T) {
	tests := map[string]*Template{
		"Vendor": mustRead(t, "vendor.yaml"),
	}
	tests["Tricky"] = mustParse(t, "tricky.yaml", `
id: tricky
version: "2026.10"
title: 'Quotes: "double", ''single'' and # hash'
description: |-
  Two lines,
  the second with trailing: colon
sections:
  - id: s
    title: "yes"
    help: "true"
    questions:
      - id: a
        text: "123"
        type: yesno
        required: true
        weight: 0.25
        severity: critical
        evidence: true
        na: true
        when: b == "null" || b != "x_y"
        controls: ["5.1", "8.34"]
        hipaa: ["164.308(a)(1)(ii)(A)", "164.312(e)(1)"]
        choices:
          - {value: "no", label: "No, and that is good", score: 1}
          - {value: "yes", score: 0}
      - id: b
        text: "- starts like a list item"
        type: single
        weight: 0
        choices:
          - {value: x_y, label: 'x "y"'}
          - {value: "null", label: "~"}
      - {id: c, text: Count, type: number, min: -1.5, max: 1e3}
      - {id: d, text: Notes, type: longtext, max_length: 50000, help: "  leading spaces\n\n and blank lines"}
`)
	for name, tmpl := range tests {
		t.Run(name, func(t *testing.T) {
			out, err := Marshal(tmpl)
			if err != nil {
				t.Fatal(err)
			}
			back, err := Parse("back.yaml", out)
			if err != nil {
				t.Fatalf("Parse(Marshal(t)): %v\n%s", err, out)
			}
			if back.ID != tmpl.ID || back.Version != tmpl.Version || back.Title != tmpl.Title || back.Description != tmpl.Description {
				t.Errorf("header changed: %q %q %q %q", back.ID, back.Version, back.Title, back.Description)
			}
			if got, want := public(back), public(tmpl); !reflect.DeepEqual(got, want) {
				t.Errorf("sections changed:\n got %+v\nwant %+v\n%s", got, want, out)
			}
			again, _ := Marshal(back)
			if string(again) != string(out) {
				t.Errorf("Marshal is not stable:\n%s\n---\n%s", out, again)
			}
		})
	}
}

func TestMarshalLeavesOutDefaults(t *testing.T) {
	tmpl := mustRead(t, "vendor.yaml")
	out, err := Marshal(tmpl)
	if err != nil {
		t.Fatal(err)
	}
	s := string(out)
	for _, absent := range []string{"required: false", "severity: medium", "evidence: false", "na: false", "weight: 1\n", "score: 0\n", "max_length: 0"} {
		if strings.Contains(s, absent) {
			t.Errorf("Marshal wrote the default %q:\n%s", absent, s)
		}
	}
	// fields in the order a reader expects
	want := "id: test-vendor\nversion: \"2026.1\"\ntitle: Test vendor questionnaire\ndescription: Used by the questionnaire package tests.\nsections:\n  - id: hosting\n    title: Hosting\n    help: Where hospital data lives.\n    questions:\n      - id: uses_cloud\n        text: Do you host hospital data in a public cloud?\n        type: yesno\n        required: true\n        weight: 0\n"
	if !strings.HasPrefix(s, want) {
		t.Errorf("Marshal starts\n%s\nwant\n%s", s[:min(len(s), len(want))], want)
	}
	if !strings.Contains(s, `        controls: ["5.19", "5.35"]`) || !strings.Contains(s, "          - {value: aes256, label: AES-256, score: 1}") {
		t.Errorf("lists are not written compactly:\n%s", s)
	}
}
