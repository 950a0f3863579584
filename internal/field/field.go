// Package field checks what people type into forms and API bodies: it
// cleans text (one line, or free text with its line breaks) and collects
// every problem by field, so a form shows each message beside its input
// and an API lists them all at once.
package field

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"dossier/internal/errs"
)

// Checker collects the problems of one form or request. The zero value is
// ready to use.
type Checker struct {
	problems errs.FieldErrors
}

// Add records a problem with field. Only the first problem of a field is
// kept: it is the one to fix first, and the form has one place for it.
func (c *Checker) Add(field, format string, args ...any) {
	if c.Has(field) {
		return
	}
	c.problems = append(c.problems, &errs.Error{Code: errs.Invalid, Field: field, Message: fmt.Sprintf(format, args...)})
}

// Has reports whether field has a problem.
func (c *Checker) Has(field string) bool {
	for _, p := range c.problems {
		if p.Field == field {
			return true
		}
	}
	return false
}

// Err returns every problem recorded, in the order found (errs Invalid,
// one per field), or nil.
func (c *Checker) Err() error {
	if len(c.problems) == 0 {
		return nil
	}
	return c.problems
}

// Line cleans one line of text: spaces collapsed, no control characters,
// at most max characters; required refuses an empty one. label names the
// field in messages ("The title").
func (c *Checker) Line(field, label, s string, max int, required bool) string {
	if !utf8.ValidString(s) || strings.IndexFunc(s, badControl) >= 0 {
		c.Add(field, "%s cannot contain control characters.", label)
		return s
	}
	s = strings.Join(strings.Fields(s), " ")
	switch n := utf8.RuneCountInString(s); {
	case n == 0 && required:
		c.Add(field, "Enter the %s.", noun(label))
	case n > max:
		c.Add(field, "%s can be at most %d characters.", label, max)
	}
	return s
}

// Text cleans free text: line breaks kept (CRLF and CR become LF), other
// control characters refused, surrounding space trimmed, at most max
// characters.
func (c *Checker) Text(field, label, s string, max int) string {
	s = strings.ReplaceAll(strings.ReplaceAll(s, "\r\n", "\n"), "\r", "\n")
	if !utf8.ValidString(s) || strings.IndexFunc(s, badControl) >= 0 {
		c.Add(field, "%s cannot contain control characters.", label)
		return s
	}
	s = strings.TrimSpace(s)
	if n := utf8.RuneCountInString(s); n > max {
		c.Add(field, "%s can be at most %d characters.", label, max)
	}
	return s
}

// noun is a label as the object of a sentence: "The title" → "title",
// "Legal name" → "legal name".
func noun(label string) string {
	l := strings.ToLower(label)
	for _, article := range []string{"the ", "a ", "an "} {
		l = strings.TrimPrefix(l, article)
	}
	return l
}

func badControl(r rune) bool { return unicode.IsControl(r) && r != '\n' && r != '\t' }
