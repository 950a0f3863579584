// Package pdfdoc writes small, valid PDF files from scratch: demo data
// (evidence, contracts) and test fixtures. It draws text in the standard
// Helvetica font and nothing else.
package pdfdoc

import (
	"bytes"
	"fmt"
	"strings"
)

// Text is a one-page US Letter PDF showing lines of text from the top.
// Characters outside printable ASCII are replaced by "?".
func Text(lines ...string) []byte {
	var content strings.Builder
	content.WriteString("BT /F1 12 Tf 56 740 Td 16 TL")
	for _, l := range lines {
		fmt.Fprintf(&content, " (%s) '", escape(l))
	}
	content.WriteString(" ET")
	return build(1, content.String())
}

// Blank is a PDF of n empty pages.
func Blank(n int) []byte { return build(n, "") }

func escape(s string) string {
	s = strings.Map(func(r rune) rune {
		if r < 0x20 || r > 0x7e {
			return '?'
		}
		return r
	}, s)
	return strings.NewReplacer(`\`, `\\`, "(", `\(`, ")", `\)`).Replace(s)
}

// build writes the catalog, the page tree, n pages sharing one content
// stream (when content is not empty) and the font, with a correct
// cross-reference table.
func build(n int, content string) []byte {
	var b bytes.Buffer
	var offsets []int
	obj := func(body string) {
		offsets = append(offsets, b.Len())
		fmt.Fprintf(&b, "%d 0 obj\n%s\nendobj\n", len(offsets), body)
	}
	b.WriteString("%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
	kids := make([]string, n)
	for i := range kids {
		kids[i] = fmt.Sprintf("%d 0 R", i+5)
	}
	obj("<< /Type /Catalog /Pages 2 0 R >>")
	obj(fmt.Sprintf("<< /Type /Pages /Kids [%s] /Count %d >>", strings.Join(kids, " "), n))
	obj(fmt.Sprintf("<< /Length %d >>\nstream\n%s\nendstream", len(content), content))
	obj("<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>")
	for range n {
		page := "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 4 0 R >> >>"
		if content != "" {
			page += " /Contents 3 0 R"
		}
		obj(page + " >>")
	}
	xref := b.Len()
	fmt.Fprintf(&b, "xref\n0 %d\n0000000000 65535 f \n", len(offsets)+1)
	for _, o := range offsets {
		fmt.Fprintf(&b, "%010d 00000 n \n", o)
	}
	fmt.Fprintf(&b, "trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n", len(offsets)+1, xref)
	return b.Bytes()
}
