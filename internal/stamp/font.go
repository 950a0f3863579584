package stamp

import (
	"strings"
	"unicode"

	"github.com/pdfcpu/pdfcpu/pkg/font"
)

// The stamp and the record are set in the standard Helvetica fonts, which
// every PDF reader has and pdfcpu writes with WinAnsiEncoding (Windows
// code page 1252): Latin-1 (é, ü, ø, ß, the middle dot "·") plus Š š Ž ž
// Œ œ Ÿ € and typographic quotes and dashes. Nothing is embedded, so a
// copy stays as small as its original.

// cp1252Extra maps the characters of code page 1252 that are not Latin-1,
// as pdfcpu's own text rendering does.
var cp1252Extra = map[rune]byte{
	'€': 0x80, '‚': 0x82, 'ƒ': 0x83, '„': 0x84, '…': 0x85, '†': 0x86, '‡': 0x87,
	'ˆ': 0x88, '‰': 0x89, 'Š': 0x8a, '‹': 0x8b, 'Œ': 0x8c, 'Ž': 0x8e,
	'‘': 0x91, '’': 0x92, '“': 0x93, '”': 0x94, '•': 0x95, '–': 0x96, '—': 0x97,
	'˜': 0x98, '™': 0x99, 'š': 0x9a, '›': 0x9b, 'œ': 0x9c, 'ž': 0x9e, 'Ÿ': 0x9f,
}

// latinExtA is the letter without its accent for U+0100–U+017F (Latin
// Extended-A: Polish, Czech, Hungarian, Turkish, Baltic names), which
// WinAnsi lacks: "Łukasz Dvořák" is stamped "Lukasz Dvorak".
const latinExtA = "AaAaAaCcCcCcCcDdDdEeEeEeEeEeGgGgGgGgHhHhIiIiIiIiIiIiJjKkkLlLlLlLlLlNnNnNnnNnOoOoOoOoRrRrRrSsSsSsSsTtTtTtUuUuUuUuUuUuWwYyYZzZzZzs"

// ToWinAnsi is s as pdfcpu's standard fonts will show it, in Unicode:
// characters WinAnsi has are kept, accented Latin letters it lacks lose
// their accent, and anything else becomes "?". Callers that record what
// a copy says should record this.
func ToWinAnsi(s string) string { return decodeWinAnsi(encodeWinAnsi(s)) }

// encodeWinAnsi writes s in WinAnsi bytes.
func encodeWinAnsi(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch {
		case r == '\t' || r == '\n' || r == '\r':
			b.WriteByte(' ')
		case r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0):
			b.WriteByte('?')
		case r <= 0xff:
			b.WriteByte(byte(r))
		case cp1252Extra[r] != 0:
			b.WriteByte(cp1252Extra[r])
		case r >= 0x100 && r < 0x180:
			b.WriteByte(latinExtA[r-0x100])
		case r == 'Ș' || r == 'Ş':
			b.WriteByte('S')
		case r == 'ș' || r == 'ş':
			b.WriteByte('s')
		case r == 'Ț' || r == 'Ţ':
			b.WriteByte('T')
		case r == 'ț' || r == 'ţ':
			b.WriteByte('t')
		case r == '\u00a0' || unicode.IsSpace(r):
			b.WriteByte(' ')
		default:
			b.WriteByte('?')
		}
	}
	return b.String()
}

func decodeWinAnsi(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		r := rune(c)
		for u, w := range cp1252Extra {
			if w == c {
				r = u
				break
			}
		}
		b.WriteRune(r)
	}
	return b.String()
}

func fontName(bold bool) string {
	if bold {
		return "Helvetica-Bold"
	}
	return "Helvetica"
}

// width is the width of WinAnsi text s in points.
func width(s string, bold bool, size float64) float64 {
	name := fontName(bold)
	units := 0
	for i := 0; i < len(s); i++ {
		w, _ := font.CharWidth(name, rune(s[i])) // core fonts never fail
		units += w
	}
	return float64(units) * size / 1000
}

// wrap encodes s in WinAnsi and breaks it into lines no wider than max,
// at spaces, or inside a word longer than a line (a digest).
func wrap(s string, bold bool, size, max float64) []string {
	var lines []string
	line := ""
	for _, word := range strings.Fields(encodeWinAnsi(s)) {
		try := word
		if line != "" {
			try = line + " " + word
		}
		if width(try, bold, size) <= max {
			line = try
			continue
		}
		if line != "" {
			lines = append(lines, line)
		}
		for width(word, bold, size) > max {
			n := len(word) - 1
			for n > 1 && width(word[:n], bold, size) > max {
				n--
			}
			lines = append(lines, word[:n])
			word = word[n:]
		}
		line = word
	}
	if line != "" || len(lines) == 0 {
		lines = append(lines, line)
	}
	return lines
}
