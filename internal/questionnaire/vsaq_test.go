package questionnaire

import (
	"encoding/json"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
)

func TestStrictJSON(t *testing.T) {
	tests := map[string]struct{ in, want string }{
		"Plain":                 {`{"a": 1}`, `{"a": 1}`},
		"LineComment":           {"// head\n{\"a\": 1} // tail", "\n{\"a\": 1} "},
		"BlockComment":          {`{/* x */"a": /* y */ 1}`, `{"a":  1}`},
		"SlashesInString":       {`{"u": "https://example.org/a//b"}`, `{"u": "https://example.org/a//b"}`},
		"CommentOpenerInString": {`{"u": "/* not a comment */"}`, `{"u": "/* not a comment */"}`},
		"EscapedQuote":          {`{"t": "say \"// hi\""} // c`, `{"t": "say \"// hi\""} `},
		"Join":                  {`{"t": "abc " + "def"}`, `{"t": "abc def"}`},
		"JoinAcrossLines":       {"{\"t\": \"a\" +\n   // note\n  \"b\" + \"c\"}", `{"t": "abc"}`},
		"JoinKeepsEscapes":      {`{"t": "a\"" + "\\b"}`, `{"t": "a\"\\b"}`},
		"PlusInString":          {`{"t": "1 + 1"}`, `{"t": "1 + 1"}`},
		"Exponent":              {`{"n": 1e+5}`, `{"n": 1e+5}`},
		"TrailingComma":         {"{\"a\": [1, 2,], \"b\": 3,\n}", "{\"a\": [1, 2], \"b\": 3\n}"},
		"TrailingCommaComment":  {"{\"a\": 1, // last\n}", "{\"a\": 1 \n}"},
		"ByteOrderMark":         {"\ufeff{}", "{}"},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			got, src, err := strictJSON([]byte(tt.in))
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != tt.want {
				t.Errorf("strictJSON(%q)\n got %q\nwant %q", tt.in, got, tt.want)
			}
			if len(src) != len(got) {
				t.Errorf("src has %d offsets for %d bytes", len(src), len(got))
			}
			if !json.Valid(got) && !strings.HasPrefix(name, "LineComment") {
				t.Errorf("result is not JSON: %s", got)
			}
		})
	}
	errTests := map[string]struct{ in, want string }{
		"PlusAfterNumber":   {"{\"a\": 1 + 2}", "line 1: '+' may only join two strings"},
		"PlusBeforeNumber":  {"{\"a\":\n \"x\" + 2}", "line 2: '+' must be followed by a string"},
		"UnclosedString":    {"{\"a\": \"x\n}", "line 1: string is not closed on its line"},
		"UnclosedAtEnd":     {"{\"a\": \"x", "line 1: string is not closed"},
		"UnclosedComment":   {"{\n/* x\n}", "line 2: comment is not closed"},
		"PlusBeforeComment": {"\"a\" + // c\n", "line 1: '+' must be followed by a string"},
	}
	for name, tt := range errTests {
		t.Run("Err"+name, func(t *testing.T) {
			_, _, err := strictJSON([]byte(tt.in))
			if err == nil || err.Error() != tt.want {
				t.Errorf("strictJSON(%q) = %v, want %s", tt.in, err, tt.want)
			}
		})
	}
}

func TestImportVSAQ(t *testing.T) {
	data, err := os.ReadFile("testdata/vsaq/imaging-vendor.json")
	if err != nil {
		t.Fatal(err)
	}
	tmpl, warnings, err := ImportVSAQ("testdata/vsaq/imaging-vendor.json", data)
	if err != nil {
		t.Fatal(err)
	}
	if tmpl.ID != "imaging-vendor" || tmpl.Version != "imported-1" || tmpl.Title != "Imaging Vendor Security Questionnaire" {
		t.Errorf("ID, Version, Title = %q, %q, %q", tmpl.ID, tmpl.Version, tmpl.Title)
	}
	if tmpl.File != "imaging-vendor.yaml" || len(tmpl.Source) == 0 || tmpl.Hash == "" {
		t.Errorf("File %q, %d bytes of source, hash %q", tmpl.File, len(tmpl.Source), tmpl.Hash)
	}
	// The result is the template Parse makes of its own source.
	again, err := Parse("again.yaml", tmpl.Source)
	if err != nil || again.Hash != tmpl.Hash {
		t.Fatalf("the import does not parse again: %v", err)
	}

	var sections []string
	for _, s := range tmpl.Sections {
		sections = append(sections, s.ID+": "+s.Title)
	}
	if want := []string{"block_company: Company", "block_security: Security", "declaration: Declaration"}; !slices.Equal(sections, want) {
		t.Errorf("sections = %q, want %q", sections, want)
	}
	wantIDs := []string{"company_name", "company_description", "company_data",
		"security_policy", "security_encryption", "security_encryption_plan", "mfa_enabled", "mfa_product",
		"pentest_freq", "pentest_report", "security_logging", "security_contact", "declaration"}
	if got := ids(tmpl.Questions()); !slices.Equal(got, wantIDs) {
		t.Errorf("questions = %v\nwant        %v", got, wantIDs)
	}

	wantWarnings := []string{
		`item security_maturity: type "slider" is not supported and was left out`,
		`question security_contact: condition "req_sensitive" was dropped: it names req_sensitive, which is not a question or choice`,
	}
	if !slices.Equal(warnings, wantWarnings) {
		t.Errorf("warnings:\n%s\nwant:\n%s", strings.Join(warnings, "\n"), strings.Join(wantWarnings, "\n"))
	}

	type want struct {
		typ      Type
		when     string
		weight   float64
		severity Severity
		required bool
		choices  string // value=score,…
		text     string // a part of the text
		help     string // a part of the help
	}
	wants := map[string]want{
		"company_name": {typ: Text, required: true, severity: Medium,
			text: "Legal name", help: "Guidance: https://example.org/guide // not a comment"},
		"company_description": {typ: LongText, severity: Medium, text: "Describe the services you provide to the hospital:"},
		"company_data": {typ: Multi, severity: Medium,
			choices: "company_data_phi=0 company_data_pii=0 company_data_none=0", text: "Which data"},
		"security_policy": {typ: YesNo, weight: 1, severity: High,
			help: "No security policy: A written policy is the basis"},
		"security_encryption": {typ: Single, weight: 1, severity: Critical,
			when:    `company_data == "company_data_phi"`,
			choices: "security_encryption_aes=1 security_encryption_partial=0 security_encryption_none=0",
			help:    "PHI not encrypted at rest: Encrypt PHI at rest; see HHS guidance (https://www.hhs.gov/hipaa/)."},
		// ^warn_security_encryption: shown when that tip is
		"security_encryption_plan": {typ: LongText, severity: Medium,
			when: `security_encryption == "security_encryption_partial" || security_encryption == "security_encryption_none"`},
		// the nested block's condition and heading carry over
		"mfa_enabled": {typ: YesNo, weight: 1, severity: High,
			when: `company_data == "company_data_phi" || company_data == "company_data_pii"`,
			text: "multi-factor", help: "Remote access\n\nNo MFA for remote access:"},
		"mfa_product": {typ: Text, severity: Medium,
			when: `(company_data == "company_data_phi" || company_data == "company_data_pii") && mfa_enabled`},
		"pentest_freq": {typ: Single, weight: 1, severity: Medium,
			choices: "pentest_freq_yearly=1 pentest_freq_rarely=1 pentest_freq_never=0"},
		"pentest_report": {typ: File, weight: 1, severity: Medium,
			when: `pentest_freq == "pentest_freq_yearly" || pentest_freq == "pentest_freq_rarely"`},
		// !log_access || !log_admin: both are needed
		"security_logging": {typ: Multi, weight: 1, severity: Low,
			choices: "log_access=0.5 log_admin=0.5 log_auth=0"},
		"security_contact": {typ: Text, severity: Medium},
		"declaration":      {typ: YesNo, weight: 1, severity: Medium, required: true},
	}
	for id, w := range wants {
		q, ok := tmpl.Question(id)
		if !ok {
			t.Errorf("no question %s", id)
			continue
		}
		var choices []string
		for _, c := range q.Choices {
			choices = append(choices, c.Value+"="+strconv.FormatFloat(c.Score, 'f', -1, 64))
		}
		if q.Type != w.typ || q.When != w.when || q.Weight != w.weight || q.Severity != w.severity ||
			q.Required != w.required || strings.Join(choices, " ") != w.choices ||
			!strings.Contains(q.Text, w.text) || !strings.Contains(q.Help, w.help) {
			t.Errorf("%s = type %s when %q weight %v severity %s required %v choices %q\ntext %q\nhelp %q\nwant %+v",
				id, q.Type, q.When, q.Weight, q.Severity, q.Required, strings.Join(choices, " "), q.Text, q.Help, w)
		}
	}

	// The conditions work: PHI brings the encryption question and remote
	// access; a bad encryption answer brings the plan.
	a := Answers{"company_data": {"company_data_phi"}, "security_encryption": {"security_encryption_partial"}}
	visible := ids(tmpl.Visible(a))
	for _, id := range []string{"security_encryption", "security_encryption_plan", "mfa_enabled"} {
		if !slices.Contains(visible, id) {
			t.Errorf("%s hidden with %v", id, a)
		}
	}
	if slices.Contains(ids(tmpl.Visible(Answers{"company_data": {"company_data_none"}})), "mfa_enabled") {
		t.Error("mfa_enabled shown without personal data")
	}
}

func TestImportVSAQDetails(t *testing.T) {
	tests := map[string]struct {
		json     string
		check    func(t *testing.T, tmpl *Template)
		warnings []string
		err      string
	}{
		"BareListAndLooseItems": {
			json: `[{"type": "yesno", "id": "Q-1", "text": "First?"}, {"type": "yesno", "id": "q_1", "text": "Second?"},
			        {"type": "line", "id": "9lives", "text": "Third"}]`,
			check: func(t *testing.T, tmpl *Template) {
				if got := ids(tmpl.Questions()); !slices.Equal(got, []string{"q_1", "q_1_2", "q_9lives"}) {
					t.Errorf("ids = %v", got)
				}
				if tmpl.Title != "sample" || tmpl.Sections[0].ID != "general" {
					t.Errorf("title %q, section %q", tmpl.Title, tmpl.Sections[0].ID)
				}
			},
		},
		"YesNoSuffixes": {
			json: `{"questionnaire": [{"type": "block", "text": "T", "items": [
				{"type": "yesno", "id": "a", "text": "A?"},
				{"type": "line", "id": "b", "text": "B", "cond": "a/no"},
				{"type": "line", "id": "c", "text": "C", "cond": "a/yes && b/value"},
				{"type": "tip", "id": "w", "warn": "yes", "severity": "critical", "cond": "a/yes", "text": "Saying yes is bad."}]}]}`,
			check: func(t *testing.T, tmpl *Template) {
				b, _ := tmpl.Question("b")
				c, _ := tmpl.Question("c")
				a, _ := tmpl.Question("a")
				if b.When != `a == "no"` || c.When != "a && b" {
					t.Errorf("when = %q, %q", b.When, c.When)
				}
				if a.Severity != Critical || a.choiceScore(Yes) != 0 || a.choiceScore(No) != 1 {
					t.Errorf("a = %+v", a)
				}
			},
		},
		"LeftToRight": {
			// VSAQ reads a || b && c as (a || b) && c
			json: `[{"type": "block", "text": "T", "items": [
				{"type": "yesno", "id": "a", "text": "A"}, {"type": "yesno", "id": "b", "text": "B"},
				{"type": "yesno", "id": "c", "text": "C"},
				{"type": "line", "id": "d", "text": "D", "cond": "a || b && c"},
				{"type": "line", "id": "e", "text": "E", "cond": "a && (b || !c)"}]}]`,
			check: func(t *testing.T, tmpl *Template) {
				d, _ := tmpl.Question("d")
				e, _ := tmpl.Question("e")
				if d.When != "(a || b) && c" || e.When != "a && (b || !c)" {
					t.Errorf("when = %q, %q", d.When, e.When)
				}
			},
		},
		"InfoBecomesText": {
			json: `[{"type": "block", "text": "T", "items": [
				{"type": "info", "text": "<p>What do you apply?</p>"},
				{"type": "checkgroup", "choices": [{"std_iso": "ISO 27001"}, {"std_soc2": "SOC 2"}]},
				{"type": "info", "text": "Closing remarks &amp; thanks."}]}]`,
			check: func(t *testing.T, tmpl *Template) {
				q := tmpl.Questions()[0]
				if q.ID != "std" || q.Text != "What do you apply?" || q.Weight != 0 {
					t.Errorf("question = %+v", q)
				}
				if tmpl.Sections[0].Help != "Closing remarks & thanks." {
					t.Errorf("section help = %q", tmpl.Sections[0].Help)
				}
			},
		},
		"OneCheckBoxGroup": {
			json: `[{"type": "block", "text": "T", "items": [
				{"type": "checkgroup", "id": "options", "choices": [{"req_sensitive": "Sensitive data"}]},
				{"type": "line", "id": "who", "text": "Who?", "cond": "req_sensitive"}]}]`,
			check: func(t *testing.T, tmpl *Template) {
				q := tmpl.Questions()[0]
				who, _ := tmpl.Question("who")
				if q.ID != "req_sensitive" || q.Type != YesNo || q.Text != "Sensitive data" || who.When != "req_sensitive" {
					t.Errorf("question = %+v, who when %q", q, who.When)
				}
			},
		},
		"MissingAnyAndNoneOf": {
			json: `[{"type": "block", "text": "T", "items": [
				{"type": "checkgroup", "id": "g", "text": "G", "choices": [{"g_a": "A"}, {"g_b": "B"}, {"g_c": "C"}]},
				{"type": "tip", "warn": "yes", "severity": "high", "cond": "!(g_a || g_b)", "text": "Pick A or B."},
				{"type": "radiogroup", "id": "r", "text": "R", "choices": [{"r_good": "Good"}, {"r_bad": "Bad"}]},
				{"type": "tip", "warn": "yes", "severity": "low", "cond": "!r_good", "text": "Pick good."}]}]`,
			check: func(t *testing.T, tmpl *Template) {
				g, _ := tmpl.Question("g")
				r, _ := tmpl.Question("r")
				if g.choiceScore("g_a") != 1 || g.choiceScore("g_b") != 1 || g.choiceScore("g_c") != 0 || g.Severity != High {
					t.Errorf("g = %+v", g.Choices)
				}
				if r.choiceScore("r_good") != 1 || r.choiceScore("r_bad") != 0 || r.Severity != Low || r.Weight != 1 {
					t.Errorf("r = %+v", r)
				}
			},
		},
		"UnclearTip": {
			json: `[{"type": "block", "text": "T", "items": [
				{"type": "checkgroup", "id": "g", "text": "G", "choices": [{"g_a": "A"}, {"g_b": "B"}]},
				{"type": "tip", "id": "w", "warn": "yes", "severity": "severe", "cond": "g_a && !g_b", "text": "Hmm."}]}]`,
			warnings: []string{
				`tip w: severity "severe" is not low, medium, high or critical; medium is used`,
				`tip w: cannot tell from "(g_a && !g_b)" which answers of question g are bad; its scores are left as they were`,
			},
		},
		"Unsupported": {
			json: `[{"type": "block", "text": "T", "items": [
				{"type": "line", "id": "a", "text": "A"},
				{"type": "line", "id": "b", "text": "B", "cond": "matches(a/value, \"x\")"},
				{"type": "tip", "id": "w", "warn": "yes", "cond": "nothing_here", "text": "Orphan."},
				{"type": "radiogroup", "id": "r", "text": "R", "choices": [{"only": "One"}]}]}]`,
			warnings: []string{
				"item r: a radiogroup needs at least 2 choices; left out",
				`tip w warns, but its condition "(nothing_here)" names no question before it; kept as help only`,
				`question b: condition "matches(a/value, \"x\")" was dropped: strings and functions are not supported`,
			},
		},
		"ErrNoQuestions": {
			json: `{"questionnaire": [{"type": "block", "text": "Empty", "items": [{"type": "info", "text": "Nothing."}]}]}`,
			err:  "sample.json: no questions found",
		},
		"ErrNotVSAQ": {
			json: `{"items": []}`,
			err:  `sample.json: no "questionnaire" list`,
		},
		"ErrJSONLine": {
			json: "// c\n{\"questionnaire\": [\n  {\"type\": \"block\" \"text\": \"x\"}\n]}",
			err:  "sample.json: line 3: invalid character '\"' after object key:value pair",
		},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			tmpl, warnings, err := ImportVSAQ("sample.json", []byte(tt.json))
			if tt.err != "" {
				if err == nil || err.Error() != tt.err {
					t.Fatalf("ImportVSAQ error = %v, want %s", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(warnings, tt.warnings) {
				t.Errorf("warnings:\n%s\nwant:\n%s", strings.Join(warnings, "\n"), strings.Join(tt.warnings, "\n"))
			}
			if tt.check != nil {
				tt.check(t, tmpl)
			}
		})
	}
}

func TestConvertID(t *testing.T) {
	tests := map[string]string{
		"MFA-Enabled": "mfa_enabled",
		"a.b c":       "a_b_c",
		"9lives":      "q_9lives",
		"_x":          "q__x",
		"":            "q_",
		"ok_id":       "ok_id",
	}
	for in, want := range tests {
		if got := convertID(in); got != want {
			t.Errorf("convertID(%q) = %q, want %q", in, got, want)
		}
	}
	for in, want := range map[string]string{
		"webapp":             "webapp",
		"Physical_and DC v2": "physical-and-dc-v2",
		"2024 baseline":      "vsaq-2024-baseline",
		"___":                "vsaq",
	} {
		if got := templateID(in); got != want {
			t.Errorf("templateID(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestPlainText(t *testing.T) {
	tests := map[string]string{
		"Plain &amp; simple":                                      "Plain & simple",
		"See <a href='https://x.org/a'>the guide</a>.":            "See the guide (https://x.org/a).",
		`<a href="https://x.org">https://x.org</a>`:               "https://x.org",
		"Use <code>secure</code> cookies.<p>Second paragraph</p>": "Use secure cookies.\nSecond paragraph",
		"List:<ul><li>one</li><li>two</li></ul>":                  "List:\n- one\n- two",
		"  spaced   out  ":                                        "spaced out",
	}
	for in, want := range tests {
		if got := plainText(in); got != want {
			t.Errorf("plainText(%q) = %q, want %q", in, got, want)
		}
	}
}
