package stamp

import (
	"fmt"
	"strings"
	"time"
)

// Copy is what a controlled copy says about itself: the stamp on every
// page and the approval record appended after the last page.
type Copy struct {
	Number    string    // the document's number: "ISMS-POL-001"
	Title     string    // "Information security policy"
	Revision  string    // "3.0"
	Effective time.Time // the day the revision took effect
	IssuedTo  string    // the person the copy is issued to
	IssuedAt  time.Time // shown in its own location: pass the hospital's time zone
	Approvals []Approval
	History   []HistoryEntry // in the order to list them, usually newest first
}

// Approval is one signature on the revision (21 CFR 11: printed name,
// date and time, and meaning shown with the record).
type Approval struct {
	Name    string
	Meaning string // "Approved as CISO"
	At      time.Time
	SHA256  string // hex digest of the file the signature binds to
}

// HistoryEntry is one revision of the document.
type HistoryEntry struct {
	Revision string // "2.0"
	State    string // "superseded"
	Date     time.Time
	Summary  string
}

// Line is the stamp on every page, on one line.
func (c Copy) Line() string {
	return fmt.Sprintf("Controlled copy · %s rev %s · effective %s · issued to %s %s · uncontrolled when printed",
		c.Number, c.Revision, c.Effective.Format(time.DateOnly), c.IssuedTo, stampTime(c.IssuedAt))
}

// Heading is the heading of the appended record page:
// "ISMS-POL-001 Information security policy, rev 3.0".
func (c Copy) Heading() string {
	return fmt.Sprintf("%s %s, rev %s", c.Number, c.Title, c.Revision)
}

func stampTime(t time.Time) string { return t.Format("2006-01-02 15:04 MST") }

// Appended record page layout, in points (US Letter, as pdfdoc's pages).
const (
	recordWidth, recordHeight = 612, 792
	marginX                   = 56
	marginTop                 = 56
	marginBottom              = 48 // above the stamp
	bodySize                  = 9
	sectionSize               = 11
	headingSize               = 14
	indent                    = 14
)

// textLine is one line of the record: font, size and where it starts.
type textLine struct {
	bold bool
	size float64
	x    float64
	gap  float64 // extra space above
	text string  // WinAnsi bytes
}

// recordLines lays out the approval record as lines, wrapped to the
// page width.
func recordLines(c Copy) []textLine {
	var out []textLine
	add := func(bold bool, size, x, gap float64, s string, hanging float64) {
		for i, l := range wrap(s, bold, size, recordWidth-marginX-x-hanging) {
			lx := x
			if i > 0 {
				lx += hanging
			}
			g := gap
			if i > 0 {
				g = 0
			}
			out = append(out, textLine{bold: bold, size: size, x: lx, gap: g, text: l})
		}
	}
	add(true, headingSize, marginX, 0, c.Heading(), 0)
	add(false, bodySize, marginX, 4, fmt.Sprintf("Controlled copy issued to %s on %s. Effective %s. Uncontrolled when printed.",
		c.IssuedTo, stampTime(c.IssuedAt), c.Effective.Format(time.DateOnly)), 0)

	add(true, sectionSize, marginX, 14, "Approvals", 0)
	if len(c.Approvals) == 0 {
		add(false, bodySize, marginX, 2, "No approvals recorded.", 0)
	}
	for _, a := range c.Approvals {
		add(false, bodySize, marginX, 4, fmt.Sprintf("%s · %s · %s", a.Name, a.Meaning, stampTime(a.At)), indent)
		add(false, bodySize, marginX+indent, 0, "SHA-256 "+a.SHA256, 0)
	}

	add(true, sectionSize, marginX, 14, "Revision history", 0)
	if len(c.History) == 0 {
		add(false, bodySize, marginX, 2, "No earlier revisions.", 0)
	}
	for _, h := range c.History {
		s := fmt.Sprintf("rev %s · %s · %s", h.Revision, h.State, h.Date.Format(time.DateOnly))
		if h.Summary != "" {
			s += " · " + h.Summary
		}
		add(false, bodySize, marginX, 4, s, indent)
	}
	return out
}

// paginate splits lines into pages; a page after the first starts with
// the heading and "(continued)".
func paginate(c Copy, lines []textLine) [][]textLine {
	var pages [][]textLine
	var page []textLine
	y := float64(recordHeight - marginTop)
	for _, l := range lines {
		need := l.gap + l.size*1.3
		if y-need < marginBottom && len(page) > 0 {
			pages = append(pages, page)
			page = nil
			y = recordHeight - marginTop
			for _, h := range wrap(c.Heading()+" (continued)", true, sectionSize, recordWidth-2*marginX) {
				page = append(page, textLine{bold: true, size: sectionSize, x: marginX, text: h})
				y -= sectionSize * 1.3
			}
			l.gap = 8
			need = l.gap + l.size*1.3
		}
		y -= need
		page = append(page, l)
	}
	return append(pages, page)
}

// content writes one record page's content stream; F1 is Helvetica and
// F2 Helvetica-Bold, both WinAnsi.
func content(page []textLine) []byte {
	var b strings.Builder
	y := float64(recordHeight - marginTop)
	b.WriteString("q 0 g\n")
	for _, l := range page {
		y -= l.gap + l.size*1.3
		font := "F1"
		if l.bold {
			font = "F2"
		}
		fmt.Fprintf(&b, "BT /%s %g Tf %.2f %.2f Td (%s) Tj ET\n", font, l.size, l.x, y+l.size*0.3, pdfString(l.text))
	}
	b.WriteString("Q\n")
	return []byte(b.String())
}

// pdfString escapes WinAnsi bytes for a (literal) string; bytes outside
// ASCII are written as octal so the stream stays 7-bit.
func pdfString(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '(' || c == ')' || c == '\\':
			b.WriteByte('\\')
			b.WriteByte(c)
		case c < 0x20 || c >= 0x7f:
			fmt.Fprintf(&b, "\\%03o", c)
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}
