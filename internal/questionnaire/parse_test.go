package questionnaire

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"os"
	"slices"
	"strings"
	"testing"
	"testing/fstest"

	"dossier/questionnaires"
)

// mustParse parses a template given inline, trimming the newline that
// starts a raw string.
func mustParse(tb testing.TB, file, src string) *Template {
	tb.Helper()
	t, err := Parse(file, []byte(strings.TrimPrefix(src, "\n")))
	if err != nil {
		tb.Fatalf("Parse(%s): %v", file, err)
	}
	return t
}

// mustRead parses a template from testdata.
func mustRead(tb testing.TB, name string) *Template {
	tb.Helper()
	data, err := os.ReadFile("testdata/" + name)
	if err != nil {
		tb.Fatal(err)
	}
	t, err := Parse(name, data)
	if err != nil {
		tb.Fatalf("Parse(%s): %v", name, err)
	}
	return t
}

func TestParse(t *testing.T) {
	tmpl := mustRead(t, "vendor.yaml")
	data, _ := os.ReadFile("testdata/vendor.yaml")
	sum := sha256.Sum256(data)

	if tmpl.ID != "test-vendor" || tmpl.Version != "2026.1" || tmpl.Key() != "test-vendor@2026.1" {
		t.Errorf("ID, Version, Key = %q, %q, %q", tmpl.ID, tmpl.Version, tmpl.Key())
	}
	if tmpl.Title != "Test vendor questionnaire" || tmpl.Description != "Used by the questionnaire package tests." {
		t.Errorf("Title, Description = %q, %q", tmpl.Title, tmpl.Description)
	}
	if tmpl.File != "vendor.yaml" || string(tmpl.Source) != string(data) || tmpl.Hash != hex.EncodeToString(sum[:]) {
		t.Errorf("File, Source or Hash wrong: %q %q", tmpl.File, tmpl.Hash)
	}
	if len(tmpl.Sections) != 2 || tmpl.Sections[0].Help != "Where hospital data lives." {
		t.Fatalf("Sections = %+v", tmpl.Sections)
	}

	var ids []string
	for _, q := range tmpl.Questions() {
		ids = append(ids, q.ID)
	}
	want := []string{"uses_cloud", "cloud_provider", "cloud_provider_other", "iso27001", "cert_expiry",
		"encryption", "logging", "offshore", "pentest", "staff", "incident_plan"}
	if !slices.Equal(ids, want) {
		t.Errorf("Questions() = %v, want %v", ids, want)
	}

	q := func(id string) *Question {
		q, ok := tmpl.Question(id)
		if !ok {
			t.Fatalf("Question(%q) not found", id)
		}
		return q
	}
	if _, ok := tmpl.Question("nope"); ok {
		t.Error(`Question("nope") found`)
	}
	if q(id("iso27001")) != &tmpl.Sections[1].Questions[0] {
		t.Error("Question does not point into Sections")
	}

	defaults := map[string]struct {
		weight   float64
		severity Severity
		required bool
	}{
		"uses_cloud":    {0, Medium, true},
		"iso27001":      {3, High, false},
		"cert_expiry":   {0, Medium, false},
		"logging":       {1, Medium, false},
		"pentest":       {1, Medium, false},
		"staff":         {0, Medium, false},
		"incident_plan": {0, High, true},
	}
	for id, d := range defaults {
		if got := q(id); got.Weight != d.weight || got.Severity != d.severity || got.Required != d.required {
			t.Errorf("%s: weight %v severity %s required %v, want %+v", id, got.Weight, got.Severity, got.Required, d)
		}
	}
	iso := q("iso27001")
	if !iso.Evidence || !slices.Equal(iso.Controls, []string{"5.19", "5.35"}) || !slices.Equal(iso.HIPAA, []string{"164.308(a)(8)"}) {
		t.Errorf("iso27001 = %+v", iso)
	}
	if o := q("offshore"); !o.NA || o.choiceScore(Yes) != 0 || o.choiceScore(No) != 1 || o.label(Yes) != "Yes" {
		t.Errorf("offshore = %+v", o)
	}
	if s := q("staff"); s.Min == nil || *s.Min != 1 || s.Max == nil || *s.Max != 100000 {
		t.Errorf("staff min, max = %v, %v", s.Min, s.Max)
	}
	if got := q("cloud_provider_other").MaxLen(); got != 100 {
		t.Errorf("MaxLen = %d, want 100", got)
	}
	if got := q("incident_plan").MaxLen(); got != longTextMaxLength {
		t.Errorf("longtext MaxLen = %d", got)
	}
	if c := q("encryption").Choices; len(c) != 3 || c[1] != (Choice{Value: "partial", Label: "Partially", Score: 0.5}) {
		t.Errorf("encryption choices = %+v", c)
	}
	if q("pentest").cond == nil || q("staff").cond != nil {
		t.Error("conditions not compiled")
	}
}

// id keeps a literal from reading as a typo in the table above.
func id(s string) string { return s }

// doc wraps questions in a template whose questions start at line 8.
func doc(questions string) string {
	return `id: t
version: "1"
title: T
sections:
  - id: s
    title: S
    questions:
` + questions
}

func TestParseErrors(t *testing.T) {
	yn := "      - {id: a, text: A, type: yesno}\n" // a valid question for line 8
	tests := map[string]struct {
		src  string
		want string // the whole message, "f.yaml:LINE: reason"
	}{
		"ErrSyntax":        {"id: t\nversion: [1\n", "f.yaml:2: did not find expected ',' or ']'"},
		"ErrSyntaxIndent":  {"id: t\nversion: \"1\"\n  title: T\n", "f.yaml:3: did not find expected key"},
		"ErrUnknownAnchor": {doc("      - {id: a, text: *nope, type: yesno}\n"), "f.yaml:8: unknown anchor 'nope' referenced"},
		"ErrEmpty":         {"", "f.yaml:1: the file is empty"},
		"ErrTwoDocuments":  {doc(yn) + "---\nid: u\n", "f.yaml:9: only one template per file: remove the second YAML document"},
		"ErrNotMapping":    {"- a\n- b\n", "f.yaml:1: template: expected a mapping of fields, found a list"},
		"ErrUnknownField":  {"titel: T\n" + doc(yn), `f.yaml:1: template: unknown field "titel" (did you mean "title"?)`},
		"ErrDuplicateKey":  {doc(yn) + "title: Again\n", "f.yaml:9: template: field title is also set at line 3"},
		"ErrMissingID":     {strings.Replace(doc(yn), "id: t\n", "", 1), "f.yaml:1: template: id is missing"},
		"ErrMissingVer":    {strings.Replace(doc(yn), "version: \"1\"\n", "", 1), "f.yaml:1: template: version is missing"},
		"ErrEmptyVersion":  {strings.Replace(doc(yn), `version: "1"`, `version: ""`, 1), "f.yaml:2: template: version is empty"},
		"ErrMissingTitle":  {strings.Replace(doc(yn), "title: T\n", "", 1), "f.yaml:1: template: title is missing"},
		"ErrTemplateID":    {strings.Replace(doc(yn), "id: t\n", "id: Hospital_Baseline\n", 1), `f.yaml:1: template id "Hospital_Baseline": use lower-case letters, digits and '-', starting with a letter`},
		"ErrTitleType":     {strings.Replace(doc(yn), "title: T", "title: [T]", 1), "f.yaml:3: template: title: expected text, found a list"},
		"ErrNoSections":    {"id: t\nversion: \"1\"\ntitle: T\n", "f.yaml:1: template: sections is missing"},
		"ErrEmptySections": {"id: t\nversion: \"1\"\ntitle: T\nsections: []\n", "f.yaml:4: template: sections is empty"},
		"ErrNoQuestions":   {strings.TrimSuffix(doc(""), "\n") + " []\n", "f.yaml:7: section s: has no questions"},
		"ErrQuestionsMissing": {strings.TrimSuffix(doc(""), "    questions:\n"),
			"f.yaml:5: section s: has no questions"},
		"ErrSectionID": {strings.Replace(doc(yn), "  - id: s\n", "  - id: Sec\n", 1), `f.yaml:5: section id "Sec": use lower-case letters, digits and '_', starting with a letter`},
		"ErrSectionNoTitle": {strings.Replace(doc(yn), "    title: S\n", "", 1),
			"f.yaml:5: section s: title is missing"},
		"ErrDuplicateSection": {doc(yn) + "  - id: s\n    title: Again\n    questions:\n      - {id: b, text: B, type: yesno}\n",
			"f.yaml:9: section id s is also used at line 5"},
		"ErrDuplicateQuestion": {doc(yn) + "  - id: s2\n    title: Two\n    questions:\n      - {id: a, text: Again, type: yesno}\n",
			"f.yaml:12: question id a is also used at line 8"},
		"ErrQuestionID":       {doc("      - {id: Q1, text: A, type: yesno}\n"), `f.yaml:8: question id "Q1": use lower-case letters, digits and '_', starting with a letter`},
		"ErrQuestionNoID":     {doc("      - {text: A, type: yesno}\n"), "f.yaml:8: question: id is missing"},
		"ErrQuestionNoText":   {doc("      - {id: a, type: yesno}\n"), "f.yaml:8: question a: text is missing"},
		"ErrUnknownQField":    {doc("      - id: a\n        text: A\n        type: yesno\n        wieght: 2\n"), `f.yaml:11: question a: unknown field "wieght" (did you mean "weight"?)`},
		"ErrMissingType":      {doc("      - {id: a, text: A}\n"), "f.yaml:8: question a: type is missing (yesno, single, multi, text, longtext, number, date or file)"},
		"ErrUnknownType":      {doc("      - id: a\n        text: A\n        type: boolean\n"), `f.yaml:10: question a: unknown type "boolean" (yesno, single, multi, text, longtext, number, date or file)`},
		"ErrRequiredType":     {doc("      - {id: a, text: A, type: yesno, required: \"yes\"}\n"), `f.yaml:8: question a: required: expected true or false, found "yes"`},
		"ErrWeightType":       {doc("      - {id: a, text: A, type: yesno, weight: heavy}\n"), `f.yaml:8: question a: weight: expected a number, found "heavy"`},
		"ErrWeightNegative":   {doc("      - {id: a, text: A, type: yesno, weight: -1}\n"), "f.yaml:8: question a: weight must be 0 or more"},
		"ErrTextWeight":       {doc("      - {id: a, text: A, type: text, weight: 2}\n"), "f.yaml:8: question a: text questions are not scored: remove the weight"},
		"ErrUnknownSeverity":  {doc("      - {id: a, text: A, type: yesno, severity: severe}\n"), `f.yaml:8: question a: unknown severity "severe" (low, medium, high or critical)`},
		"ErrSingleNoChoices":  {doc("      - {id: a, text: A, type: single}\n"), "f.yaml:8: question a: single questions need at least 2 choices"},
		"ErrSingleOneChoice":  {doc("      - id: a\n        text: A\n        type: multi\n        choices:\n          - {value: x, label: X}\n"), "f.yaml:11: question a: multi questions need at least 2 choices"},
		"ErrChoiceValue":      {doc("      - id: a\n        text: A\n        type: single\n        choices:\n          - {value: X!, label: X}\n          - {value: y, label: Y}\n"), `f.yaml:12: question a: choice value "X!": use lower-case letters, digits and '_'`},
		"ErrChoiceDuplicate":  {doc("      - id: a\n        text: A\n        type: single\n        choices:\n          - {value: x, label: X}\n          - {value: x, label: Y}\n"), "f.yaml:13: question a: choice x is also listed at line 12"},
		"ErrChoiceNoLabel":    {doc("      - id: a\n        text: A\n        type: single\n        choices:\n          - {value: x}\n          - {value: y, label: Y}\n"), "f.yaml:12: question a: choice: label is missing"},
		"ErrChoiceScore":      {doc("      - id: a\n        text: A\n        type: single\n        choices:\n          - {value: x, label: X, score: 1.5}\n          - {value: y, label: Y}\n"), "f.yaml:12: question a: choice x: score must be between 0 and 1"},
		"ErrChoiceField":      {doc("      - id: a\n        text: A\n        type: single\n        choices:\n          - {value: x, label: X, points: 1}\n          - {value: y, label: Y}\n"), `f.yaml:12: question a: choice: unknown field "points"`},
		"ErrYesNoChoice":      {doc("      - id: a\n        text: A\n        type: yesno\n        choices:\n          - {value: maybe, score: 1}\n"), `f.yaml:12: question a: choice "maybe": a yesno question may only set the scores of yes and no`},
		"ErrChoicesOnText":    {doc("      - id: a\n        text: A\n        type: text\n        choices:\n          - {value: x, label: X}\n"), "f.yaml:11: question a: choices applies to yesno, single and multi questions only"},
		"ErrNAOnSingle":       {doc("      - id: a\n        text: A\n        type: single\n        na: true\n        choices: [{value: x, label: X}, {value: y, label: Y}]\n"), "f.yaml:11: question a: na applies to yesno questions only"},
		"ErrMinOnText":        {doc("      - {id: a, text: A, type: text, min: 1}\n"), "f.yaml:8: question a: min applies to number questions only"},
		"ErrMinAboveMax":      {doc("      - id: a\n        text: A\n        type: number\n        min: 10\n        max: 5\n"), "f.yaml:12: question a: max 5 is less than min 10"},
		"ErrMaxLength":        {doc("      - {id: a, text: A, type: text, max_length: 3000}\n"), "f.yaml:8: question a: max_length must be between 1 and 2000 for text questions"},
		"ErrMaxLengthType":    {doc("      - {id: a, text: A, type: longtext, max_length: 1.5}\n"), "f.yaml:8: question a: max_length: expected a whole number, found 1.5"},
		"ErrMaxLengthOnYesNo": {doc("      - {id: a, text: A, type: yesno, max_length: 10}\n"), "f.yaml:8: question a: max_length applies to text and longtext questions only"},
		"ErrEvidenceOnFile":   {doc("      - {id: a, text: A, type: file, evidence: true}\n"), "f.yaml:8: question a: a file question is its own evidence: remove evidence"},
		"ErrControlFormat":    {doc("      - id: a\n        text: A\n        type: yesno\n        controls: [\"A.5.19\"]\n"), `f.yaml:11: question a: "A.5.19" is not an ISO/IEC 27001:2022 Annex A control (5.1–5.37, 6.1–6.8, 7.1–7.14, 8.1–8.34)`},
		"ErrControlUnknown":   {doc("      - id: a\n        text: A\n        type: yesno\n        controls:\n          - \"5.1\"\n          - \"5.38\"\n"), `f.yaml:13: question a: "5.38" is not an ISO/IEC 27001:2022 Annex A control (5.1–5.37, 6.1–6.8, 7.1–7.14, 8.1–8.34)`},
		"ErrControlTwice":     {doc("      - {id: a, text: A, type: yesno, controls: [\"8.24\", \"8.24\"]}\n"), "f.yaml:8: question a: control 8.24 is listed twice"},
		"ErrControlsNotList":  {doc("      - {id: a, text: A, type: yesno, controls: \"8.24\"}\n"), `f.yaml:8: question a: controls: expected a list, found "8.24"`},
		"ErrHIPAAPrivacyRule": {doc("      - {id: a, text: A, type: yesno, hipaa: [\"164.502(a)\"]}\n"), `f.yaml:8: question a: "164.502(a)" is not a HIPAA Security Rule section (164.302 to 164.318, such as 164.308(a)(1)(ii)(A))`},
		"ErrHIPAAFormat":      {doc("      - {id: a, text: A, type: yesno, hipaa: [\"45 CFR 164.308\"]}\n"), `f.yaml:8: question a: "45 CFR 164.308" is not a HIPAA Security Rule section (164.302 to 164.318, such as 164.308(a)(1)(ii)(A))`},
		"ErrWhenSyntax":       {doc(yn + "      - {id: b, text: B, type: yesno, when: \"a && (\"}\n"), "f.yaml:9: question b: when: condition ends too early: expected a question id at column 7"},
		"ErrWhenStrayParen":   {doc(yn + "      - id: b\n        text: B\n        type: yesno\n        when: a == \"yes\" && a)\n"), "f.yaml:12: question b: when: unexpected ')' at column 16"},
		"ErrWhenEmpty":        {doc(yn + "      - {id: b, text: B, type: yesno, when: \" \"}\n"), "f.yaml:9: question b: when is empty: remove it to always show the question"},
		"ErrWhenUnknown":      {doc(yn + "      - {id: b, text: B, type: yesno, when: a && nope}\n"), `f.yaml:9: question b: when: unknown question "nope" at column 6`},
		"ErrWhenSelf":         {doc(yn + "      - {id: b, text: B, type: yesno, when: b}\n"), "f.yaml:9: question b: when: the condition refers to the question itself at column 1"},
		"ErrWhenValue":        {doc(yn + "      - {id: b, text: B, type: yesno, when: 'a == \"maybe\"'}\n"), `f.yaml:9: question b: when: "maybe" is not an answer of question a (yes, no) at column 6`},
		"ErrWhenNAValue":      {doc(yn + "      - {id: b, text: B, type: yesno, when: 'a == \"na\"'}\n"), `f.yaml:9: question b: when: "na" is not an answer of question a (yes, no) at column 6`},
		"ErrWhenChoiceValue": {doc("      - id: a\n        text: A\n        type: multi\n        choices: [{value: x, label: X}, {value: y, label: Y}]\n" +
			"      - {id: b, text: B, type: text, when: 'a != \"z\"'}\n"), `f.yaml:12: question b: when: "z" is not an answer of question a (x, y) at column 6`},
		"ErrCycle": {doc("      - {id: a, text: A, type: yesno, when: b}\n      - {id: b, text: B, type: yesno, when: a}\n"),
			"f.yaml:8: question a: when: condition cycle: a → b → a"},
		"ErrLongCycle": {doc("      - {id: a, text: A, type: yesno}\n      - {id: b, text: B, type: yesno, when: a || d}\n      - {id: c, text: C, type: yesno, when: b}\n      - {id: d, text: D, type: yesno, when: c}\n"),
			"f.yaml:9: question b: when: condition cycle: b → d → c → b"},
		"ErrAlias": {doc("      - id: a\n        text: &t A\n        type: yesno\n      - id: b\n        text: *t\n        type: yesno\n"),
			"f.yaml:12: question b: text: expected text, found an alias (anchors and aliases are not supported: write the value out)"},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			tmpl, err := Parse("f.yaml", []byte(tt.src))
			if err == nil {
				t.Fatalf("Parse succeeded: %+v\n%s", tmpl, tt.src)
			}
			if err.Error() != tt.want {
				t.Errorf("Parse error\n got %s\nwant %s\nsource:\n%s", err, tt.want, tt.src)
			}
		})
	}
}

func TestParseReportsEveryProblemByLine(t *testing.T) {
	src := doc(`      - id: a
        text: A
        type: yesno
        weight: -2
      - id: a
        type: text
        severity: severe
`) + "description: [x]\n"
	_, err := Parse("f.yaml", []byte(src))
	if err == nil {
		t.Fatal("Parse succeeded")
	}
	want := []string{
		"f.yaml:11: question a: weight must be 0 or more",
		"f.yaml:12: question a: text is missing",
		"f.yaml:12: question id a is also used at line 8",
		`f.yaml:14: question a: unknown severity "severe" (low, medium, high or critical)`,
		"f.yaml:15: template: description: expected text, found a list",
	}
	if got := strings.Split(err.Error(), "\n"); !slices.Equal(got, want) {
		t.Errorf("errors:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func TestParseAccepts(t *testing.T) {
	tests := map[string]string{
		"UnquotedVersion": strings.Replace(doc("      - {id: a, text: A, type: yesno}\n"), `version: "1"`, "version: 2026.10", 1),
		"UnquotedControl": doc("      - {id: a, text: A, type: yesno, controls: [5.10, 8.1]}\n"),
		"YesNoScores":     doc("      - id: a\n        text: A\n        type: yesno\n        choices:\n          - {value: no, score: 1}\n"),
		"ForwardRef":      doc("      - {id: a, text: A, type: text, when: b}\n      - {id: b, text: B, type: yesno}\n"),
		"Comments":        "# a comment\n" + doc("      - {id: a, text: A, type: yesno} # trailing\n"),
		"WeightFraction":  doc("      - {id: a, text: A, type: yesno, weight: 0.5}\n"),
	}
	for name, src := range tests {
		t.Run(name, func(t *testing.T) {
			if _, err := Parse("f.yaml", []byte(src)); err != nil {
				t.Error(err)
			}
		})
	}
	tmpl := mustParse(t, "f.yaml", tests["UnquotedVersion"])
	if tmpl.Version != "2026.10" {
		t.Errorf("Version = %q, want the text as written", tmpl.Version)
	}
}

func TestLoad(t *testing.T) {
	t.Run("OK", func(t *testing.T) {
		ts, err := Load(os.DirFS("testdata/load"), "ok")
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, tmpl := range ts {
			got = append(got, tmpl.ID+" "+tmpl.File)
		}
		want := []string{"addendum ok/addendum.yml", "baseline ok/baseline.yaml"}
		if !slices.Equal(got, want) {
			t.Errorf("Load = %v, want %v", got, want)
		}
	})
	t.Run("ErrDuplicateID", func(t *testing.T) {
		_, err := Load(os.DirFS("testdata/load"), "dup")
		want := "dup/b.yaml:1: template id baseline is also used by dup/a.yaml"
		if err == nil || err.Error() != want {
			t.Errorf("Load = %v, want %s", err, want)
		}
	})
	t.Run("ErrEveryFile", func(t *testing.T) {
		_, err := Load(os.DirFS("testdata/load"), "bad")
		want := `bad/one.yaml:11: question policy: unknown field "wieght" (did you mean "weight"?)` + "\n" +
			"bad/two.yaml:1: template: version is missing\n" +
			"bad/two.yaml:3: template: sections is empty"
		if err == nil || err.Error() != want {
			t.Errorf("Load =\n%v\nwant\n%s", err, want)
		}
	})
	t.Run("ErrNoFolder", func(t *testing.T) {
		_, err := Load(fstest.MapFS{}, "missing")
		if err == nil || !errors.Is(err, os.ErrNotExist) {
			t.Errorf("Load = %v, want a not-exist error", err)
		}
	})
	t.Run("Empty", func(t *testing.T) {
		ts, err := Load(fstest.MapFS{"README.md": {Data: []byte("# none")}}, ".")
		if err != nil || len(ts) != 0 {
			t.Errorf("Load = %v, %v", ts, err)
		}
	})
}

// The templates Dossier ships must parse and be substantial.
func TestShippedTemplates(t *testing.T) {
	ts, err := Load(questionnaires.FS, ".")
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, tmpl := range ts {
		ids = append(ids, tmpl.ID)
		if n := len(tmpl.Questions()); n < 40 {
			t.Errorf("%s has %d questions, want at least 40", tmpl.File, n)
		}
	}
	want := []string{"cloud-phi", "hospital-baseline", "imaging", "laboratory"}
	if !slices.Equal(ids, want) {
		t.Errorf("shipped templates = %v, want %v", ids, want)
	}
}
