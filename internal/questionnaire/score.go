package questionnaire

import (
	"cmp"
	"math"
	"slices"
	"strings"

	"dossier/internal/text"
)

// Result is the score of one answer set.
type Result struct {
	Score           int        // 0–100, rounded; 100 when nothing is scored
	Answered, Total int        // visible questions answered, and all visible questions
	Flags           []Flag     // worst severity first, then document order
	Coverage        []Coverage // by Annex A control, in numeric order: 5.2 before 5.10
}

// Flag marks a visible question whose answer needs a reviewer's look.
type Flag struct {
	Question *Question
	Severity Severity
	Reason   string // "Answered “No”", "Not answered", "Evidence missing"
}

// Coverage sums up the answers to the questions that name one control.
type Coverage struct {
	Control   string // "5.19"
	Name      string // "Information security in supplier relationships"
	Questions int    // visible questions naming the control
	Good      int    // of them, answered and not flagged
	Flagged   int    // of them, flagged
}

// Score scores a against t. Only visible questions count.
//
// Each scored question (weight > 0) earns a fraction of its weight: yes/no
// the chosen answer's score (yes 1, no 0 unless the template says
// otherwise), single the chosen choice's score, multi the sum of the chosen
// choices' scores up to 1, file 1 when a file is attached. "Not applicable"
// leaves the question out of the score. An unanswered question earns what
// its worst answer would. Score is 100 × Σ weight·fraction / Σ weight.
//
// A visible question is flagged when it is scored and its answer is not
// the best possible one, when it is unanswered and required or scored, or
// when its answer needs evidence (see NeedsEvidence) and hasEvidence
// reports none for it. hasEvidence is asked with a question id; nil means
// that no evidence is on file for any question.
func Score(t *Template, a Answers, hasEvidence func(questionID string) bool) Result {
	var (
		r        Result
		num, den float64
		flagged  = make(map[*Question]bool)
		good     = make(map[*Question]bool)
		pos      = make(map[*Question]int)
	)
	visible := t.Visible(a)
	r.Total = len(visible)
	for i, q := range visible {
		pos[q] = i
		ans := a[q.ID]
		has := hasAnswer(ans)
		if has {
			r.Answered++
		}
		var reasons []string
		if q.Weight > 0 {
			switch f, counted := q.fraction(ans); {
			case !counted:
			case !has:
				num += q.Weight * f
				den += q.Weight
				reasons = append(reasons, "Not answered")
			default:
				num += q.Weight * f
				den += q.Weight
				if f < q.best() {
					reasons = append(reasons, "Answered "+q.describe(ans))
				}
			}
		} else if !has && q.Required {
			reasons = append(reasons, "Not answered")
		}
		if NeedsEvidence(q, ans) && (hasEvidence == nil || !hasEvidence(q.ID)) {
			if len(reasons) == 0 {
				reasons = append(reasons, "Evidence missing")
			} else {
				reasons = append(reasons, "evidence missing")
			}
		}
		if len(reasons) > 0 {
			flagged[q] = true
			r.Flags = append(r.Flags, Flag{Question: q, Severity: q.Severity, Reason: strings.Join(reasons, "; ")})
		} else if has {
			good[q] = true
		}
	}
	r.Score = 100
	if den > 0 {
		r.Score = int(math.Round(100 * num / den))
	}
	slices.SortStableFunc(r.Flags, func(x, y Flag) int {
		return cmp.Or(cmp.Compare(severityRank(y.Severity), severityRank(x.Severity)),
			cmp.Compare(pos[x.Question], pos[y.Question]))
	})

	byControl := make(map[string]*Coverage)
	for _, q := range visible {
		for _, c := range q.Controls {
			cov := byControl[c]
			if cov == nil {
				name, _ := ControlName(c)
				cov = &Coverage{Control: c, Name: name}
				byControl[c] = cov
			}
			cov.Questions++
			if flagged[q] {
				cov.Flagged++
			} else if good[q] {
				cov.Good++
			}
		}
	}
	for _, cov := range byControl {
		r.Coverage = append(r.Coverage, *cov)
	}
	slices.SortFunc(r.Coverage, func(x, y Coverage) int { return compareControls(x.Control, y.Control) })
	return r
}

// severityRank orders severities from least to worst.
func severityRank(s Severity) int {
	switch s {
	case Low:
		return 1
	case Medium:
		return 2
	case High:
		return 3
	case Critical:
		return 4
	}
	return 0
}

// fraction is the share of its weight that answer ans earns for q, and
// whether q counts at all ("not applicable" does not). An unanswered
// question earns its worst answer's share.
func (q *Question) fraction(ans []string) (float64, bool) {
	if !hasAnswer(ans) {
		return q.worst(), true
	}
	switch q.Type {
	case YesNo:
		if ans[0] == NA {
			return 0, false
		}
		return q.choiceScore(ans[0]), true
	case Single:
		return q.choiceScore(ans[0]), true
	case Multi:
		sum := 0.0
		for _, v := range ans {
			sum += q.choiceScore(v)
		}
		return min(1, sum), true
	case File:
		return 1, true
	}
	return 0, false
}

// best is the largest fraction an answer to q can earn.
func (q *Question) best() float64 {
	switch q.Type {
	case YesNo:
		return max(q.choiceScore(Yes), q.choiceScore(No))
	case Single:
		b := 0.0
		for _, c := range q.Choices {
			b = max(b, c.Score)
		}
		return b
	case Multi:
		sum := 0.0
		for _, c := range q.Choices {
			sum += c.Score
		}
		return min(1, sum)
	}
	return 1
}

// worst is the smallest fraction an answer to q can earn: the lowest
// choice score, or 0 for a file question.
func (q *Question) worst() float64 {
	switch q.Type {
	case YesNo:
		return min(q.choiceScore(Yes), q.choiceScore(No))
	case Single, Multi:
		w := 1.0
		for _, c := range q.Choices {
			w = min(w, c.Score)
		}
		return w
	}
	return 0
}

// describe quotes the labels of an answer: “No”, or “A”, “B”.
func (q *Question) describe(ans []string) string {
	parts := make([]string, len(ans))
	for i, v := range ans {
		parts[i] = "“" + text.Shorten(q.label(v), 80) + "”"
	}
	return strings.Join(parts, ", ")
}
