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
