// Package markdown renders the Markdown that ISMS policy revisions are
// written in: CommonMark with GitHub's tables, strikethrough and autolinks,
// as HTML that is safe to put in a page.
//
// Safety rules, applied to every rendering:
//   - Raw HTML never passes through: goldmark's safe mode replaces it with
//     an HTML comment, so <script>, <img onerror> and friends show nothing.
//   - Links keep their href only for http and https URLs with a host,
//     mailto, and relative URLs (no scheme, no host, no backslash). Any
//     other link (javascript:, data:, vbscript:, file:, //host, …) loses
//     its link and keeps its text.
//   - Images are shown only from relative (same-origin) URLs: the page's
//     Content-Security-Policy blocks remote images anyway. An http(s) image
//     becomes a link to it, labelled with its alt text (just the alt text
//     when it is already inside a link); any other image
//     (data:, javascript:, …) is replaced by its alt text.
//   - Headings get ids made from their text with the prefix IDPrefix, so
//     they cannot clash with the ids of the page around them. Links to a
//     fragment (#scope) get the same prefix, so in-document links work.
//   - Table alignment is a class (md-align-left, -center, -right), not a
//     style attribute, because the page's CSP forbids inline styles.
package markdown

import (
	"bytes"
	"fmt"
	"html/template"
	"net/url"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/ast"
	"github.com/yuin/goldmark/extension"
	east "github.com/yuin/goldmark/extension/ast"
	"github.com/yuin/goldmark/parser"
	"github.com/yuin/goldmark/text"
	"github.com/yuin/goldmark/util"

	"dossier/internal/errs"
)

// MaxSize is the largest Markdown source Dossier takes, in bytes.
const MaxSize = 1 << 20 // 1 MiB

// IDPrefix starts every heading id, so a heading "Scope" gets id
// "md-scope" and never clobbers an id the page itself uses.
const IDPrefix = "md-"

// Check reports whether src is Markdown Dossier will store: valid UTF-8,
// at most MaxSize bytes, no NUL or other control characters (tab, line
// feed and carriage return are fine), and no bidirectional override or
// isolate characters, which can make the text a reviewer reads differ
// from the text that is approved (the "Trojan Source" trick). The error
// is errs.Invalid with a message that says where the problem is.
func Check(src string) error {
	if len(src) > MaxSize {
		return errs.E(errs.Invalid, "The document is %s; the limit is %s.", size(len(src)), size(MaxSize))
	}
	line, col := 1, 1
	for i, r := range src {
		switch {
		case r == utf8.RuneError && isInvalidAt(src, i):
			return errs.E(errs.Invalid, "Line %d, column %d: the text is not valid UTF-8; save the file as UTF-8 and try again.", line, col)
		case r == '\n':
			line, col = line+1, 1
			continue
		case r == '\t' || r == '\r':
		case r == 0:
			return errs.E(errs.Invalid, "Line %d, column %d: the text contains a NUL character; it may be a binary file.", line, col)
		case unicode.IsControl(r):
			return errs.E(errs.Invalid, "Line %d, column %d: the text contains the control character U+%04X; remove it.", line, col, r)
		case isBidiControl(r):
			return errs.E(errs.Invalid, "Line %d, column %d: the text contains the bidirectional control character U+%04X, which can hide what the text says; remove it.", line, col, r)
		}
		col++
	}
	return nil
}

func isInvalidAt(s string, i int) bool {
	_, n := utf8.DecodeRuneInString(s[i:])
	return n == 1
}

// isBidiControl reports the embedding, override and isolate controls.
// The implicit marks (LRM, RLM, ALM) stay allowed: they only nudge
// neutral characters and are common in right-to-left text.
func isBidiControl(r rune) bool {
	return (r >= 0x202A && r <= 0x202E) || (r >= 0x2066 && r <= 0x2069)
}

func size(n int) string {
	if n >= 1<<20 {
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	}
	return fmt.Sprintf("%d KiB", (n+1023)/1024)
}

// Render checks src (see Check) and renders it as HTML for a page.
func Render(src string) (template.HTML, error) {
	if err := Check(src); err != nil {
		return "", err
	}
	source := []byte(strings.TrimPrefix(src, "\uFEFF"))
	md := newMarkdown()
	doc := md.Parser().Parse(text.NewReader(source))
	var buf bytes.Buffer
	buf.Grow(len(source) + len(source)/4)
	if err := md.Renderer().Render(&buf, source, doc); err != nil {
		return "", errs.Wrap(errs.Internal, err, "Markdown could not be rendered")
	}
	// Safe to trust: the renderer escapes all text and drops raw HTML
	// (safe mode), and the transformer has cleaned every URL.
	return template.HTML(buf.String()), nil
}

// Title returns the text of the first non-empty heading in src, with
// inline markup removed and white space collapsed, or "" when there is
// none or src fails Check. It is plain
// text: escape it like any other.
func Title(src string) string {
	if Check(src) != nil {
		return ""
	}
	source := []byte(strings.TrimPrefix(src, "\uFEFF"))
	doc := newMarkdown().Parser().Parse(text.NewReader(source))
	var title string
	_ = ast.Walk(doc, func(n ast.Node, entering bool) (ast.WalkStatus, error) {
		if h, ok := n.(*ast.Heading); ok && entering {
			if title = plainText(h, source); title != "" {
				return ast.WalkStop, nil
			}
		}
		return ast.WalkContinue, nil
	})
	return title
}

// newMarkdown is built per call: goldmark's parser keeps no state between
// documents, but building it is cheap and keeps this package free of
// package-level variables.
func newMarkdown() goldmark.Markdown {
	return goldmark.New(
		goldmark.WithExtensions(
			extension.NewTable(extension.WithTableCellAlignMethod(extension.TableCellAlignNone)),
			extension.Strikethrough,
			extension.Linkify,
		),
		goldmark.WithParserOptions(
			parser.WithASTTransformers(util.Prioritized(transformer{}, 1000)),
		),
		// No html.WithUnsafe: raw HTML is dropped and goldmark's own
		// dangerous-URL check stays on behind ours.
	)
}

// transformer applies the package's safety rules to the parsed document.
type transformer struct{}

func (transformer) Transform(doc *ast.Document, reader text.Reader, _ parser.Context) {
	source := reader.Source()
	var (
		headings []*ast.Heading
		links    []*ast.Link
		images   []*ast.Image
		autos    []*ast.AutoLink
	)
	// Collect first, change after: the tree must not change under Walk.
	_ = ast.Walk(doc, func(n ast.Node, entering bool) (ast.WalkStatus, error) {
		if !entering {
			return ast.WalkContinue, nil
		}
		switch n := n.(type) {
		case *ast.Heading:
			headings = append(headings, n)
		case *ast.Link:
			links = append(links, n)
		case *ast.Image:
			images = append(images, n)
		case *ast.AutoLink:
			autos = append(autos, n)
		case *east.TableCell:
			if n.Alignment != east.AlignNone {
				n.SetAttributeString("class", []byte("md-align-"+n.Alignment.String()))
			}
		}
		return ast.WalkContinue, nil
	})

	ids := map[string]int{}
	for _, h := range headings {
		h.SetAttributeString("id", []byte(headingID(plainText(h, source), ids)))
	}
	for _, l := range links {
		dest, ok := cleanLink(resolved(l.Destination))
		if !ok {
			unwrap(l)
			continue
		}
		if dest != resolved(l.Destination) {
			l.Destination = []byte(dest)
		}
		if isExternal(dest) {
			// Keep Dossier's URLs (document ids) out of other sites' logs.
			l.SetAttributeString("rel", []byte("noopener noreferrer"))
		}
	}
	for _, img := range images {
		dest := resolved(img.Destination)
		switch {
		case isRelative(dest):
		case isExternal(dest) && !insideLink(img):
			link := ast.NewLink()
			link.Destination = img.Destination
			link.Title = img.Title
			link.SetAttributeString("class", []byte("md-remote-image"))
			link.SetAttributeString("rel", []byte("noopener noreferrer"))
			moveChildren(img, link)
			if link.FirstChild() == nil {
				link.AppendChild(link, ast.NewString([]byte("image")))
			}
			img.Parent().ReplaceChild(img.Parent(), img, link)
		default:
			unwrap(img)
		}
	}
	for _, a := range autos {
		u := string(a.URL(source))
		if a.AutoLinkType == ast.AutoLinkEmail && !strings.HasPrefix(strings.ToLower(u), "mailto:") {
			u = "mailto:" + u
		}
		if _, ok := cleanLink(u); !ok {
			a.Parent().ReplaceChild(a.Parent(), a, ast.NewString(a.Label(source)))
			continue
		}
		if isExternal(u) {
			a.SetAttributeString("rel", []byte("noopener noreferrer"))
		}
	}
}

// unwrap replaces n by its children: a link that may not be a link keeps
// its text.
func unwrap(n ast.Node) {
	parent := n.Parent()
	for c := n.FirstChild(); c != nil; {
		next := c.NextSibling()
		n.RemoveChild(n, c)
		parent.InsertBefore(parent, n, c)
		c = next
	}
	parent.RemoveChild(parent, n)
}

func insideLink(n ast.Node) bool {
	for p := n.Parent(); p != nil; p = p.Parent() {
		if _, ok := p.(*ast.Link); ok {
			return true
		}
	}
	return false
}

func moveChildren(from, to ast.Node) {
	for c := from.FirstChild(); c != nil; {
		next := c.NextSibling()
		from.RemoveChild(from, c)
		to.AppendChild(to, c)
		c = next
	}
}

// resolved is a link or image destination as goldmark will write it,
// before percent-encoding: backslash escapes and character references
// resolved, so "java&#x73;cript:" is checked as the "javascript:" it is.
func resolved(dest []byte) string {
	return string(util.ResolveEntityNames(util.ResolveNumericReferences(util.UnescapePunctuations(dest))))
}

// cleanLink returns the href a link may have, and false when it may not
// be a link at all.
func cleanLink(dest string) (string, bool) {
	switch {
	case strings.HasPrefix(dest, "#"):
		if dest == "#" || strings.HasPrefix(dest, "#"+IDPrefix) {
			return dest, true
		}
		return "#" + IDPrefix + dest[1:], true
	case isRelative(dest), isExternal(dest):
		return dest, true
	}
	u, err := parseURL(dest)
	if err == nil && u.Scheme == "mailto" && u.Opaque != "" {
		return dest, true
	}
	return "", false
}

// isRelative reports a URL with no scheme and no host: it stays on
// Dossier's origin. A backslash is refused because browsers read "/\host"
// as "//host".
func isRelative(dest string) bool {
	u, err := parseURL(dest)
	return err == nil && u.Scheme == "" && u.Host == "" && !strings.HasPrefix(dest, "//")
}

// isExternal reports an http or https URL with a host.
func isExternal(dest string) bool {
	u, err := parseURL(dest)
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != ""
}

// parseURL parses dest and refuses what browsers read differently from
// net/url: backslashes and control characters (browsers drop tabs and new
// lines, so "java\tscript:" would be javascript:).
func parseURL(dest string) (*url.URL, error) {
	if strings.ContainsFunc(dest, func(r rune) bool { return r == '\\' || unicode.IsControl(r) }) {
		return nil, errs.E(errs.Invalid, "unsafe URL")
	}
	return url.Parse(dest)
}

// headingID makes "md-" + the heading text in lower case, letters and
// digits of any script kept, runs of anything else as one hyphen; a
// repeated id gets "-1", "-2"…
func headingID(title string, seen map[string]int) string {
	var b strings.Builder
	b.WriteString(IDPrefix)
	hyphen := false
	for _, r := range strings.ToLower(title) {
		if unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.Is(unicode.Mn, r) {
			if hyphen && b.Len() > len(IDPrefix) {
				b.WriteByte('-')
			}
			hyphen = false
			b.WriteRune(r)
		} else {
			hyphen = true
		}
	}
	id := b.String()
	if id == IDPrefix {
		id += "section"
	}
	n := seen[id]
	seen[id] = n + 1
	if n == 0 {
		return id
	}
	for {
		candidate := fmt.Sprintf("%s-%d", id, n)
		if seen[candidate] == 0 {
			seen[candidate] = 1
			return candidate
		}
		n++
	}
}

// plainText is the text of n's inline content without markup, white space
// collapsed.
func plainText(n ast.Node, source []byte) string {
	var b strings.Builder
	_ = ast.Walk(n, func(c ast.Node, entering bool) (ast.WalkStatus, error) {
		if !entering {
			return ast.WalkContinue, nil
		}
		switch c := c.(type) {
		case *ast.Text:
			b.Write(c.Value(source))
			if c.SoftLineBreak() || c.HardLineBreak() {
				b.WriteByte(' ')
			}
		case *ast.String:
			b.Write(c.Value)
		case *ast.AutoLink:
			b.Write(c.Label(source))
		case *ast.RawHTML:
			return ast.WalkSkipChildren, nil
		}
		return ast.WalkContinue, nil
	})
	return strings.Join(strings.Fields(b.String()), " ")
}
