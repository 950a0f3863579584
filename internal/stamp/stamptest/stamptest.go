// Package stamptest writes PDFs to stamp in tests and benchmarks: many
// pages of text, each page its own content stream as in real documents,
// and pages of mixed sizes and rotations.
package stamptest

import (
	"bytes"
	"fmt"
	"strings"
)

// Page is one page to write: its size in points, its /Rotate, and lines
// of printable ASCII text drawn from the top in 10-point Helvetica.
type Page struct {
	Width, Height, Rotate int
	Lines                 []string
}

// TextPDF is a US Letter PDF of n pages, each with lines lines of policy
// text numbered by page.
func TextPDF(n, lines int) []byte {
	pages := make([]Page, n)
	for i := range pages {
		p := Page{Width: 612, Height: 792}
		for l := range lines {
			p.Lines = append(p.Lines, fmt.Sprintf("%d.%d The hospital protects the confidentiality, integrity and availability of information.", i+1, l+1))
		}
		pages[i] = p
	}
	return PDF(pages...)
}

// Mixed is a PDF whose pages differ in size and rotation, each showing
// "Body of page N": A4, US Letter turned 90°, A5 landscape turned 270°, a
// narrow receipt, and A3 turned 180°.
func Mixed() []byte {
	var pages []Page
	for i, p := range []Page{{595, 842, 0, nil}, {612, 792, 90, nil}, {595, 420, 270, nil}, {226, 600, 0, nil}, {842, 1191, 180, nil}} {
		p.Lines = []string{fmt.Sprintf("Body of page %d", i+1)}
		pages = append(pages, p)
	}
	return PDF(pages...)
}

// PDF writes pages with a correct cross-reference table.
func PDF(pages ...Page) []byte {
	var b bytes.Buffer
	var offsets []int
	obj := func(body string) {
		offsets = append(offsets, b.Len())
		fmt.Fprintf(&b, "%d 0 obj\n%s\nendobj\n", len(offsets), body)
	}
	b.WriteString("%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
	kids := make([]string, len(pages))
	for i := range pages {
		kids[i] = fmt.Sprintf("%d 0 R", 4+2*i)
	}
	obj("<< /Type /Catalog /Pages 2 0 R >>")
	obj(fmt.Sprintf("<< /Type /Pages /Kids [%s] /Count %d >>", strings.Join(kids, " "), len(pages)))
	obj("<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>")
	esc := strings.NewReplacer(`\`, `\\`, "(", `\(`, ")", `\)`)
	for i, p := range pages {
		var c strings.Builder
		fmt.Fprintf(&c, "BT /F1 10 Tf 36 %d Td 13 TL", p.Height-48)
		for _, l := range p.Lines {
			fmt.Fprintf(&c, " (%s) '", esc.Replace(l))
		}
		c.WriteString(" ET")
		obj(fmt.Sprintf("<< /Type /Page /Parent 2 0 R /MediaBox [0 0 %d %d] /Rotate %d /Resources << /Font << /F1 3 0 R >> >> /Contents %d 0 R >>",
			p.Width, p.Height, p.Rotate, 5+2*i))
		obj(fmt.Sprintf("<< /Length %d >>\nstream\n%s\nendstream", c.Len(), c.String()))
	}
	xref := b.Len()
	fmt.Fprintf(&b, "xref\n0 %d\n0000000000 65535 f \n", len(offsets)+1)
	for _, o := range offsets {
		fmt.Fprintf(&b, "%010d 00000 n \n", o)
	}
	fmt.Fprintf(&b, "trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n", len(offsets)+1, xref)
	return b.Bytes()
}
