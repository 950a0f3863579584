package questionnaire

import (
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"dossier/internal/errs"
	"dossier/internal/text"
)

// MaxFiles is the most evidence files one file question takes.
const MaxFiles = 20

var (
	numberRe   = regexp.MustCompile(`^-?(\d+(\.\d+)?|\.\d+)$`)
	dateRe     = regexp.MustCompile(`^\d{4}-\d{2}-\d{2}$`)
	evidenceRe = regexp.MustCompile(`^[0-9a-f]{24}$`)
)

// Normalize checks an answer submitted for q and returns it in the form
// Answers keep: choice values deduplicated in choice order, text trimmed,
// numbers in canonical form, dates as YYYY-MM-DD. No values, or one empty
// value, clears the answer and returns nil, nil. Errors are errs.Field
// errors on q.ID, worded for the vendor.
func (q *Question) Normalize(values []string) ([]string, error) {
	switch {
	case len(values) == 0:
		return nil, nil
	case len(values) == 1 && strings.TrimSpace(values[0]) == "":
		return nil, nil
	}
	switch q.Type {
	case YesNo:
		v, err := q.one(values)
		if err != nil {
			return nil, err
		}
		if v == Yes || v == No || v == NA && q.NA {
			return []string{v}, nil
		}
		if q.NA {
			return nil, q.invalid("answer Yes, No or Not applicable.")
		}
		return nil, q.invalid("answer Yes or No.")
	case Single:
		v, err := q.one(values)
		if err != nil {
			return nil, err
		}
		if slices.Contains(q.values(), v) {
			return []string{v}, nil
		}
		return nil, q.invalid("choose one of the listed answers.")
	case Multi:
		return q.normalizeMulti(values)
	case Text, LongText:
		return q.normalizeText(values)
	case Number:
		return q.normalizeNumber(values)
	case Date:
		v, err := q.one(values)
		if err != nil || !dateRe.MatchString(v) {
			return nil, q.invalid("enter a date as YYYY-MM-DD, such as 2026-03-31.")
		}
		if _, err := time.Parse(time.DateOnly, v); err != nil {
			return nil, q.invalid("%s is not a date in the calendar.", v)
		}
		return []string{v}, nil
	case File:
		var out []string
		for _, v := range values {
			v = strings.TrimSpace(v)
			if v == "" {
				continue
			}
			if !evidenceRe.MatchString(v) {
				return nil, q.invalid("one of the attached files is not known; upload it again.")
			}
			if !slices.Contains(out, v) {
				out = append(out, v)
			}
		}
		if len(out) > MaxFiles {
			return nil, q.invalid("attach at most %d files.", MaxFiles)
		}
		if len(out) == 0 {
			return nil, nil
		}
		return out, nil
	}
	return nil, q.invalid("this question cannot be answered.")
}

// invalid makes an error about q that names it briefly.
func (q *Question) invalid(format string, args ...any) error {
	return errs.Field(q.ID, `Question "%s": %s`, text.Shorten(q.Text, 60), fmt.Sprintf(format, args...))
}

// one returns the only value of values, trimmed.
func (q *Question) one(values []string) (string, error) {
	if len(values) != 1 {
		return "", q.invalid("give one answer only.")
	}
	return strings.TrimSpace(values[0]), nil
}

func (q *Question) normalizeMulti(values []string) ([]string, error) {
	chosen := make(map[string]bool)
	for _, v := range values {
		v = strings.TrimSpace(v)
		if v == "" {
			continue // forms send an empty value so that none may be chosen
		}
		if !slices.Contains(q.values(), v) {
			return nil, q.invalid("choose among the listed answers only.")
		}
		chosen[v] = true
	}
	if len(chosen) == 0 {
		return nil, nil
	}
	var out []string
	for _, c := range q.Choices {
		if chosen[c.Value] {
			out = append(out, c.Value)
		}
	}
	return out, nil
}

func (q *Question) normalizeText(values []string) ([]string, error) {
	if len(values) != 1 {
		return nil, q.invalid("give one answer only.")
	}
	v := values[0]
	if !utf8.ValidString(v) {
		return nil, q.invalid("the answer is not readable text; type or paste it again.")
	}
	if q.Type == LongText {
		v = strings.ReplaceAll(v, "\r\n", "\n")
	}
	v = strings.TrimSpace(v)
	for _, r := range v {
		switch {
		case r == '\n' && q.Type == Text:
			return nil, q.invalid("keep the answer on one line.")
		case r == '\n' || r == '\t':
		case unicode.IsControl(r):
			return nil, q.invalid("the answer contains control characters; type or paste it again.")
		}
	}
	if n := utf8.RuneCountInString(v); n > q.MaxLen() {
		return nil, q.invalid("use at most %d characters (this answer has %d).", q.MaxLen(), n)
	}
	if v == "" {
		return nil, nil
	}
	return []string{v}, nil
}

func (q *Question) normalizeNumber(values []string) ([]string, error) {
	v, err := q.one(values)
	if err != nil {
		return nil, err
	}
	f, perr := strconv.ParseFloat(v, 64)
	if len(v) > 40 || !numberRe.MatchString(v) || perr != nil {
		return nil, q.invalid("enter a number, such as 12 or 3.5, without thousands separators.")
	}
	if f == 0 {
		f = 0 // no "-0"
	}
	fmtf := func(f float64) string { return strconv.FormatFloat(f, 'f', -1, 64) }
	switch {
	case q.Min != nil && q.Max != nil && (f < *q.Min || f > *q.Max):
		return nil, q.invalid("enter a number from %s to %s.", fmtf(*q.Min), fmtf(*q.Max))
	case q.Min != nil && f < *q.Min:
		return nil, q.invalid("enter a number of at least %s.", fmtf(*q.Min))
	case q.Max != nil && f > *q.Max:
		return nil, q.invalid("enter a number of at most %s.", fmtf(*q.Max))
	}
	return []string{fmtf(f)}, nil
}
