package questionnaire

import (
	"testing"
)

func TestParseCond(t *testing.T) {
	tests := map[string]struct {
		in, want string // want: the condition as printed back
	}{
		"Ident":            {"a", "a"},
		"Equal":            {`a == "yes"`, `a == "yes"`},
		"NotEqual":         {`a!="x"`, `a != "x"`},
		"Not":              {"!a", "!a"},
		"NotCompare":       {`!(a == "x")`, `!(a == "x")`},
		"DoubleNot":        {"!!a", "!!a"},
		"AndBeforeOr":      {"a || b && c", "a || b && c"},
		"ParensKept":       {"(a || b) && c", "(a || b) && c"},
		"ParensDropped":    {"(a && b) || c", "a && b || c"},
		"NotGroup":         {"!(a || b)", "!(a || b)"},
		"Chain":            {"a && b && c || d", "a && b && c || d"},
		"Escapes":          {`a == "say \"hi\" \\ bye"`, `a == "say \"hi\" \\ bye"`},
		"Unicode":          {`a == "ö"`, `a == "ö"`},
		"Spaces":           {"  a\t&&\n b ", "a && b"},
		"Brief example":    {`uses_cloud == "yes" && !(hosting == "on_prem")`, `uses_cloud == "yes" && !(hosting == "on_prem")`},
		"NestedParens":     {"((a))", "a"},
		"OrInsideAndRight": {"a && (b || c)", "a && (b || c)"},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			e, err := parseCond(tt.in)
			if err != nil {
				t.Fatalf("parseCond(%q): %v", tt.in, err)
			}
			if got := e.String(); got != tt.want {
				t.Errorf("parseCond(%q) = %s, want %s", tt.in, got, tt.want)
			}
			// what String prints parses to the same thing
			again, err := parseCond(e.String())
			if err != nil || again.String() != e.String() {
				t.Errorf("reparse of %s = %v, %v", e, again, err)
			}
		})
	}
}

func TestParseCondErrors(t *testing.T) {
	tests := map[string]struct{ in, want string }{
		"Empty":              {"", "empty condition at column 1"},
		"Blank":              {"   ", "empty condition at column 1"},
		"StrayParen":         {`a == "yes" && b) `, "unexpected ')' at column 16"},
		"UnclosedParen":      {"(a || b", "expected ')' to close '(' at column 1, found end of condition at column 8"},
		"TrailingAnd":        {"a &&", "condition ends too early: expected a question id at column 5"},
		"SingleAmp":          {"a & b", "unexpected '&' (write &&) at column 3"},
		"SinglePipe":         {"a | b", "unexpected '|' (write ||) at column 3"},
		"SingleEquals":       {`a = "x"`, "unexpected '=' (write ==) at column 3"},
		"TwoIdents":          {"a b", "unexpected b (expected && or ||) at column 3"},
		"MissingValue":       {"a ==", "expected a quoted answer after ==, found end of condition at column 5"},
		"UnquotedValue":      {"a == yes", "expected a quoted answer after ==, found yes at column 6"},
		"Unterminated":       {`a == "yes`, "unterminated string at column 6"},
		"BadEscape":          {`a == "x\n"`, `unknown escape \n (only \" and \\) at column 8`},
		"StartsWithOperator": {"&& a", "unexpected '&&' (expected a question id, '!' or '(') at column 1"},
		"EmptyParens":        {"()", "unexpected ')' (expected a question id, '!' or '(') at column 2"},
		"StringAlone":        {`"yes"`, `unexpected "yes" (expected a question id, '!' or '(') at column 1`},
		"BadCharacter":       {"a && b;", "unexpected character ';' at column 7"},
		"ColumnsCountRunes":  {`a == "ööö" )`, "unexpected ')' at column 12"},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			_, err := parseCond(tt.in)
			if err == nil {
				t.Fatalf("parseCond(%q) succeeded", tt.in)
			}
			if err.Error() != tt.want {
				t.Errorf("parseCond(%q)\n got %s\nwant %s", tt.in, err, tt.want)
			}
		})
	}
}

func TestConditionEval(t *testing.T) {
	tmpl := mustParse(t, "cond.yaml", `
id: cond
version: "1"
title: Conditions
sections:
  - id: s
    title: S
    questions:
      - {id: yn, text: Yes or no, type: yesno, na: true}
      - {id: txt, text: Text, type: text}
      - id: one
        text: One
        type: single
        choices: [{value: a, label: A}, {value: b, label: B}]
      - id: many
        text: Many
        type: multi
        choices: [{value: a, label: A}, {value: b, label: B}, {value: c, label: C}]
      - {id: hidden, text: Hidden unless yn, type: text, when: yn}
      - {id: probe, text: Probe, type: text}
`)
	tests := map[string]struct {
		cond string
		a    Answers
		want bool
	}{
		"YesNoBareYes":          {"yn", Answers{"yn": {"yes"}}, true},
		"YesNoBareNo":           {"yn", Answers{"yn": {"no"}}, false},
		"YesNoBareNA":           {"yn", Answers{"yn": {"na"}}, false},
		"YesNoBareUnanswered":   {"yn", Answers{}, false},
		"YesNoEqualNo":          {`yn == "no"`, Answers{"yn": {"no"}}, true},
		"YesNoEqualNA":          {`yn == "na"`, Answers{"yn": {"na"}}, true},
		"TextBareAnswered":      {"txt", Answers{"txt": {"hello"}}, true},
		"TextBareEmpty":         {"txt", Answers{"txt": {""}}, false},
		"TextEqual":             {`txt == "hello"`, Answers{"txt": {"hello"}}, true},
		"SingleEqual":           {`one == "a"`, Answers{"one": {"a"}}, true},
		"SingleEqualOther":      {`one == "a"`, Answers{"one": {"b"}}, false},
		"SingleNotEqual":        {`one != "a"`, Answers{"one": {"b"}}, true},
		"NotEqualUnanswered":    {`one != "a"`, Answers{}, true},
		"MultiContains":         {`many == "b"`, Answers{"many": {"a", "b"}}, true},
		"MultiLacks":            {`many == "c"`, Answers{"many": {"a", "b"}}, false},
		"MultiNotEqual":         {`many != "c"`, Answers{"many": {"a", "b"}}, true},
		"And":                   {`yn && one == "a"`, Answers{"yn": {"yes"}, "one": {"a"}}, true},
		"AndOneFalse":           {`yn && one == "a"`, Answers{"yn": {"yes"}, "one": {"b"}}, false},
		"Or":                    {`yn || one == "a"`, Answers{"one": {"a"}}, true},
		"Not":                   {"!yn", Answers{"yn": {"no"}}, true},
		"Precedence":            {`one == "b" || yn && txt`, Answers{"one": {"b"}}, true},
		"PrecedenceParens":      {`(one == "b" || yn) && txt`, Answers{"one": {"b"}}, false},
		"HiddenReadsUnanswered": {"hidden", Answers{"yn": {"no"}, "hidden": {"kept"}}, false},
		"HiddenNotEqual":        {`hidden != "kept"`, Answers{"yn": {"no"}, "hidden": {"kept"}}, true},
		"ShownAnswered":         {"hidden", Answers{"yn": {"yes"}, "hidden": {"kept"}}, true},
	}
	probe, _ := tmpl.Question("probe")
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			e, err := parseCond(tt.cond)
			if err != nil {
				t.Fatal(err)
			}
			for _, a := range atoms(e) {
				a.q, _ = tmpl.Question(a.id)
			}
			q := *probe
			q.cond = e
			if got := q.Shown(tt.a); got != tt.want {
				t.Errorf("%s with %v = %v, want %v", tt.cond, tt.a, got, tt.want)
			}
		})
	}
}

func TestSimplify(t *testing.T) {
	a := &atom{id: "a"}
	tests := map[string]struct {
		in   expr
		want string
	}{
		"AndTrue":  {&andExpr{constExpr(true), a}, "a"},
		"AndFalse": {&andExpr{a, constExpr(false)}, "false"},
		"OrTrue":   {&orExpr{a, constExpr(true)}, "true"},
		"OrFalse":  {&orExpr{constExpr(false), a}, "a"},
		"NotTrue":  {&notExpr{constExpr(true)}, "false"},
		"Nested":   {&notExpr{&andExpr{constExpr(true), &orExpr{a, constExpr(false)}}}, "!a"},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			if got := simplify(tt.in).String(); got != tt.want {
				t.Errorf("simplify = %s, want %s", got, tt.want)
			}
		})
	}
}
