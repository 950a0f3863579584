// Package text holds the small string rules every area shares.
package text

import (
	"strings"
	"unicode/utf8"
)

// Clip makes s valid UTF-8 and cuts it to at most n bytes on a character
// boundary, for values that go into records with size limits.
func Clip(s string, n int) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

// Shorten cuts s to at most n characters for a message or a label, at a
// word break when there is one in its second half, and marks the cut
// with an ellipsis.
func Shorten(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	r = r[:n-1]
	if i := strings.LastIndexByte(string(r), ' '); i > 0 && utf8.RuneCountInString(string(r)[:i]) > n/2 {
		r = []rune(string(r)[:i])
	}
	return strings.TrimRight(string(r), " ,;:") + "…"
}
