// Package questionnaire reads the security questionnaire templates vendors
// answer (YAML files, see questionnaires/README.md), checks them, decides
// which questions an answer set shows, checks and normalizes answers, and
// scores them. It imports Google's VSAQ JSON questionnaires as templates.
//
// The package has no storage: an assessment keeps the exact template
// version it was sent with (internal/assessment stores the source).
//
// A Template returned by Parse or Load is never changed afterwards, so it
// may be shared by any number of goroutines.
package questionnaire

import "slices"

// Type is the kind of answer a question takes.
type Type string

// Question types.
const (
	YesNo    Type = "yesno"    // yes, no and, when NA is set, not applicable
	Single   Type = "single"   // one of Choices
	Multi    Type = "multi"    // any of Choices
	Text     Type = "text"     // one line
	LongText Type = "longtext" // paragraphs
	Number   Type = "number"   // a decimal number, within Min and Max when set
	Date     Type = "date"     // YYYY-MM-DD
	File     Type = "file"     // evidence files uploaded next to the question
)

// Values of a yes/no question.
const (
	Yes = "yes"
	No  = "no"
	NA  = "na"
)

// Severity is how bad a bad answer is.
type Severity string

// Severities, least to worst.
const (
	Low      Severity = "low"
	Medium   Severity = "medium"
	High     Severity = "high"
	Critical Severity = "critical"
)

// Template is one version of a questionnaire.
type Template struct {
	ID          string // stable across versions: "hospital-baseline"
	Version     string // "2026.1"; an assessment keeps the version it was sent with
	Title       string
	Description string
	Sections    []Section

	File   string // where it was read from, for messages
	Source []byte // the YAML it was parsed from, exactly
	Hash   string // hex SHA-256 of Source

	index  map[string]*Question
	order  []*Question
	idLine int // line of the id field, for Load's duplicate message
}

// Section groups questions under a heading.
type Section struct {
	ID        string
	Title     string
	Help      string
	Questions []Question
}

// Question is one question of a template.
type Question struct {
	ID        string // [a-z][a-z0-9_]*, unique in the template
	Text      string
	Help      string
	Type      Type
	Required  bool
	Weight    float64 // share of the score; 0: not scored
	Severity  Severity
	Evidence  bool     // an answer other than no/not applicable needs an uploaded file
	When      string   // condition over other answers; "": always shown
	Controls  []string // ISO/IEC 27001:2022 Annex A controls: "5.19"
	HIPAA     []string // HIPAA Security Rule sections: "164.308(a)(1)(ii)(A)"
	Choices   []Choice // single and multi; yes/no may set its two scores
	NA        bool     // yes/no: "not applicable" is offered
	Min, Max  *float64 // number
	MaxLength int      // text and longtext; 0: the type's default

	cond     expr // compiled When; nil when When is ""
	line     int  // line of the question in its file
	whenLine int
}

// Choice is one answer of a choice question.
type Choice struct {
	Value string // stored answer
	Label string // shown
	Score float64
}

// Answers are a vendor's answers by question id. Each answer is a list of
// normalized strings: the chosen value(s), the text, the number in
// canonical form, the date as YYYY-MM-DD, or the evidence file ids.
type Answers map[string][]string

// Key names one version of a template: "hospital-baseline@2026.1".
func (t *Template) Key() string { return t.ID + "@" + t.Version }

// Question returns the question with the given id.
func (t *Template) Question(id string) (*Question, bool) {
	q, ok := t.index[id]
	return q, ok
}

// Questions returns every question in document order.
func (t *Template) Questions() []*Question { return slices.Clone(t.order) }

// Visible returns the questions that a shows, in document order.
func (t *Template) Visible(a Answers) []*Question {
	v := newVisibility(a)
	var out []*Question
	for _, q := range t.order {
		if v.shown(q) {
			out = append(out, q)
		}
	}
	return out
}

// Missing returns the visible required questions that have no answer.
func (t *Template) Missing(a Answers) []*Question {
	var out []*Question
	for _, q := range t.Visible(a) {
		if q.Required && !hasAnswer(a[q.ID]) {
			out = append(out, q)
		}
	}
	return out
}

// Progress counts the visible questions and those of them answered.
// Answers to hidden questions are kept but not counted.
func (t *Template) Progress(a Answers) (answered, total int) {
	for _, q := range t.Visible(a) {
		total++
		if hasAnswer(a[q.ID]) {
			answered++
		}
	}
	return answered, total
}

// Shown reports whether a shows q: its condition holds, reading any
// question that is itself hidden as unanswered.
func (q *Question) Shown(a Answers) bool { return newVisibility(a).shown(q) }

// NeedsEvidence reports whether answer to q must come with an uploaded
// file: q asks for evidence and the answer is there and is not "no" or
// "not applicable".
func NeedsEvidence(q *Question, answer []string) bool {
	if !q.Evidence || !hasAnswer(answer) {
		return false
	}
	return !(q.Type == YesNo && (answer[0] == No || answer[0] == NA))
}

// hasAnswer reports whether a stored answer says anything. A cleared
// answer may be stored as nothing or as one empty string.
func hasAnswer(v []string) bool {
	return len(v) > 0 && !(len(v) == 1 && v[0] == "")
}

// visibility decides which questions an answer set shows, deciding each
// question once.
type visibility struct {
	a    Answers
	memo map[*Question]bool
}

func newVisibility(a Answers) *visibility {
	return &visibility{a: a, memo: make(map[*Question]bool)}
}

func (v *visibility) shown(q *Question) bool {
	if q.cond == nil {
		return true
	}
	if s, ok := v.memo[q]; ok {
		return s
	}
	v.memo[q] = false // Parse refuses cycles; this only keeps a bad caller from looping
	s := q.cond.eval(v)
	v.memo[q] = s
	return s
}

// defaultWeight is the weight of a question that does not set one: choice
// and file questions count, free-form answers are read, not scored.
func defaultWeight(t Type) float64 {
	switch t {
	case YesNo, Single, Multi, File:
		return 1
	}
	return 0
}

// textLike reports whether answers of type t are read by a person rather
// than scored.
func textLike(t Type) bool {
	return t == Text || t == LongText || t == Number || t == Date
}

// Default and largest lengths of text answers, in characters.
const (
	textMaxLength          = 500
	textMaxLengthLimit     = 2000
	longTextMaxLength      = 10000
	longTextMaxLengthLimit = 50000
)

// MaxLen is the most characters a text or long text answer may have.
func (q *Question) MaxLen() int {
	if q.MaxLength > 0 {
		return q.MaxLength
	}
	if q.Type == LongText {
		return longTextMaxLength
	}
	return textMaxLength
}

// choiceScore returns the score of answer value v: the choice's score,
// and for yes/no without an explicit choice yes=1, no=0.
func (q *Question) choiceScore(v string) float64 {
	for _, c := range q.Choices {
		if c.Value == v {
			return c.Score
		}
	}
	if q.Type == YesNo && v == Yes {
		return 1
	}
	return 0
}

// label returns how answer value v reads to a person.
func (q *Question) label(v string) string {
	for _, c := range q.Choices {
		if c.Value == v && c.Label != "" {
			return c.Label
		}
	}
	if q.Type == YesNo {
		switch v {
		case Yes:
			return "Yes"
		case No:
			return "No"
		case NA:
			return "Not applicable"
		}
	}
	return v
}

// values returns the answer values a choice question offers: for yes/no,
// yes and no, and na when offered.
func (q *Question) values() []string {
	switch q.Type {
	case YesNo:
		if q.NA {
			return []string{Yes, No, NA}
		}
		return []string{Yes, No}
	case Single, Multi:
		vs := make([]string, len(q.Choices))
		for i, c := range q.Choices {
			vs[i] = c.Value
		}
		return vs
	}
	return nil
}
