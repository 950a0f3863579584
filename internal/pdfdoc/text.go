package pdfdoc

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"sync"

	"github.com/pdfcpu/pdfcpu/pkg/api"
	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/model"
	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/types"
)

// pdfcpuConfigDir keeps pdfcpu off ~/.config/pdfcpu, as internal/upload does.
var pdfcpuConfigDir sync.Once

// PageTexts returns the text shown on each page of a PDF, one string per
// page, one line per text line: a new line starts at each text object and
// at each line move (Td, TD, T*, ', "). Text in form XObjects the page
// draws (where pdfcpu puts stamps) is included where the form is drawn.
//
// It is for tests that check what a PDF says, not a general extractor:
// strings are decoded as WinAnsi (the standard fonts' encoding, which
// pdfcpu and this package use); two-byte (CID) fonts come out garbled.
func PageTexts(r io.ReadSeeker) ([]string, error) {
	pdfcpuConfigDir.Do(api.DisableConfigDir)
	conf := model.NewDefaultConfiguration()
	conf.ValidationMode = model.ValidationRelaxed
	ctx, err := api.ReadContext(r, conf)
	if err != nil {
		return nil, err
	}
	if err := ctx.EnsurePageCount(); err != nil {
		return nil, err
	}
	texts := make([]string, ctx.PageCount)
	for i := range texts {
		d, _, attrs, err := ctx.PageDict(i+1, false)
		if err != nil {
			return nil, fmt.Errorf("page %d: %w", i+1, err)
		}
		content, err := ctx.PageContent(d, i+1)
		if err != nil && !errors.Is(err, model.ErrNoContent) {
			return nil, fmt.Errorf("page %d: %w", i+1, err)
		}
		x := extractor{ctx: ctx}
		if err := x.run(content, attrs.Resources, 0); err != nil {
			return nil, fmt.Errorf("page %d: %w", i+1, err)
		}
		texts[i] = x.text()
	}
	return texts, nil
}

type extractor struct {
	ctx   *model.Context
	lines []string
	cur   strings.Builder
}

func (x *extractor) newline() {
	if x.cur.Len() > 0 {
		x.lines = append(x.lines, x.cur.String())
		x.cur.Reset()
	}
}

func (x *extractor) text() string {
	x.newline()
	return strings.Join(x.lines, "\n")
}

// run interprets one content stream with its resources.
func (x *extractor) run(content []byte, res types.Dict, depth int) error {
	if depth > 8 {
		return nil // forms drawing forms: deep enough for any stamp
	}
	var operands []token
	lx := lexer{b: content}
	for {
		t, ok := lx.next()
		if !ok {
			return nil
		}
		if t.kind != opToken {
			operands = append(operands, t)
			continue
		}
		switch t.s {
		case "BT", "ET", "Td", "TD", "T*", "Tm":
			x.newline()
		case "Tj":
			x.show(operands)
		case "'", `"`:
			x.newline()
			x.show(operands)
		case "TJ":
			x.showArray(operands)
		case "Do":
			if len(operands) > 0 {
				if err := x.form(operands[len(operands)-1].s, res, depth); err != nil {
					return err
				}
			}
		case "BI":
			lx.skipInlineImage()
		}
		operands = operands[:0]
	}
}

func (x *extractor) show(operands []token) {
	if n := len(operands); n > 0 && operands[n-1].kind == stringToken {
		x.cur.WriteString(winAnsi(operands[n-1].s))
	}
}

// showArray writes a TJ array's strings; a large negative adjustment is a
// word space drawn by moving.
func (x *extractor) showArray(operands []token) {
	for _, t := range operands {
		switch t.kind {
		case stringToken:
			x.cur.WriteString(winAnsi(t.s))
		case numberToken:
			if f, err := strconv.ParseFloat(t.s, 64); err == nil && f < -250 {
				x.cur.WriteByte(' ')
			}
		}
	}
}

// form runs the content of the form XObject called name in res.
func (x *extractor) form(name string, res types.Dict, depth int) error {
	if res == nil {
		return nil
	}
	xobjs, err := x.ctx.DereferenceDict(res["XObject"])
	if err != nil || xobjs == nil {
		return err
	}
	sd, _, err := x.ctx.DereferenceStreamDict(xobjs[name])
	if err != nil || sd == nil {
		return err
	}
	if st := sd.Subtype(); st == nil || *st != "Form" {
		return nil
	}
	if err := sd.Decode(); err != nil {
		return err
	}
	formRes, err := x.ctx.DereferenceDict(sd.Dict["Resources"])
	if err != nil {
		return err
	}
	if formRes == nil {
		formRes = res
	}
	x.newline()
	err = x.run(sd.Content, formRes, depth+1)
	x.newline()
	return err
}

// cp1252 maps the WinAnsi codes 0x80–0x9F that are not Latin-1; the
// other codes are the Unicode code point of the same number.
var cp1252 = [32]rune{
	'€', 0, '‚', 'ƒ', '„', '…', '†', '‡', 'ˆ', '‰', 'Š', '‹', 'Œ', 0, 'Ž', 0,
	0, '‘', '’', '“', '”', '•', '–', '—', '˜', '™', 'š', '›', 'œ', 0, 'ž', 'Ÿ',
}

func winAnsi(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 0x80 && c <= 0x9f:
			if r := cp1252[c-0x80]; r != 0 {
				b.WriteRune(r)
			} else {
				b.WriteRune('\uFFFD')
			}
		default:
			b.WriteRune(rune(c))
		}
	}
	return b.String()
}

type tokenKind int

const (
	opToken tokenKind = iota
	numberToken
	stringToken // s holds the decoded bytes
	nameToken   // s without the slash
	otherToken  // arrays brackets, dictionaries, booleans
)

type token struct {
	kind tokenKind
	s    string
}

// lexer splits a content stream into tokens. Array brackets are dropped,
// so a TJ array's elements arrive as the operator's operands.
type lexer struct {
	b []byte
	i int
}

func isSpace(c byte) bool {
	return c == ' ' || c == '\n' || c == '\r' || c == '\t' || c == '\f' || c == 0
}

func isDelim(c byte) bool { return strings.IndexByte("()<>[]{}/%", c) >= 0 }

func (l *lexer) next() (token, bool) {
	for l.i < len(l.b) {
		c := l.b[l.i]
		switch {
		case isSpace(c):
			l.i++
		case c == '%':
			for l.i < len(l.b) && l.b[l.i] != '\n' && l.b[l.i] != '\r' {
				l.i++
			}
		case c == '[' || c == ']' || c == '{' || c == '}':
			l.i++
		case c == '(':
			return token{stringToken, l.literal()}, true
		case c == '<' && l.i+1 < len(l.b) && l.b[l.i+1] == '<':
			l.i += 2
			return token{kind: otherToken, s: "<<"}, true
		case c == '>' && l.i+1 < len(l.b) && l.b[l.i+1] == '>':
			l.i += 2
			return token{kind: otherToken, s: ">>"}, true
		case c == '<':
			return token{stringToken, l.hex()}, true
		case c == '/':
			l.i++
			return token{nameToken, l.word()}, true
		default:
			w := l.word()
			if w == "" { // a stray delimiter such as '>'
				l.i++
				continue
			}
			if (w[0] >= '0' && w[0] <= '9') || w[0] == '-' || w[0] == '+' || w[0] == '.' {
				return token{numberToken, w}, true
			}
			if w == "true" || w == "false" || w == "null" {
				return token{otherToken, w}, true
			}
			return token{opToken, w}, true
		}
	}
	return token{}, false
}

func (l *lexer) word() string {
	start := l.i
	for l.i < len(l.b) && !isSpace(l.b[l.i]) && !isDelim(l.b[l.i]) {
		l.i++
	}
	return string(l.b[start:l.i])
}

// literal reads a (string) with its escapes and balanced parentheses.
func (l *lexer) literal() string {
	var out []byte
	depth := 0
	l.i++ // (
	for l.i < len(l.b) {
		c := l.b[l.i]
		l.i++
		switch c {
		case '(':
			depth++
		case ')':
			if depth == 0 {
				return string(out)
			}
			depth--
		case '\\':
			if l.i >= len(l.b) {
				return string(out)
			}
			e := l.b[l.i]
			l.i++
			switch e {
			case 'n':
				c = '\n'
			case 'r':
				c = '\r'
			case 't':
				c = '\t'
			case 'b':
				c = '\b'
			case 'f':
				c = '\f'
			case '\r':
				if l.i < len(l.b) && l.b[l.i] == '\n' {
					l.i++
				}
				continue
			case '\n':
				continue
			default:
				if e >= '0' && e <= '7' {
					v := int(e - '0')
					for k := 0; k < 2 && l.i < len(l.b) && l.b[l.i] >= '0' && l.b[l.i] <= '7'; k++ {
						v = v*8 + int(l.b[l.i]-'0')
						l.i++
					}
					c = byte(v)
				} else {
					c = e
				}
			}
		}
		out = append(out, c)
	}
	return string(out)
}

func (l *lexer) hex() string {
	l.i++ // <
	var digits []byte
	for l.i < len(l.b) && l.b[l.i] != '>' {
		if c := l.b[l.i]; !isSpace(c) {
			digits = append(digits, c)
		}
		l.i++
	}
	l.i++ // >
	if len(digits)%2 == 1 {
		digits = append(digits, '0')
	}
	out := make([]byte, 0, len(digits)/2)
	for k := 0; k+1 < len(digits); k += 2 {
		v, err := strconv.ParseUint(string(digits[k:k+2]), 16, 8)
		if err != nil {
			break
		}
		out = append(out, byte(v))
	}
	return string(out)
}

// skipInlineImage moves past BI … ID <binary> EI.
func (l *lexer) skipInlineImage() {
	id := bytes.Index(l.b[l.i:], []byte("ID"))
	if id < 0 {
		l.i = len(l.b)
		return
	}
	l.i += id + 3
	for l.i < len(l.b) {
		ei := bytes.Index(l.b[l.i:], []byte("EI"))
		if ei < 0 {
			l.i = len(l.b)
			return
		}
		l.i += ei + 2
		if isSpace(l.b[l.i-3]) && (l.i >= len(l.b) || isSpace(l.b[l.i])) {
			return
		}
	}
}
