// Package redline compares two Markdown revisions of a document and shows
// what changed, the way a reviewer marks up paper: lines that were
// deleted, inserted or changed, and within a changed passage the words.
//
// It compares the Markdown source, not the rendered page, so a change to
// a link target or a table cell shows up exactly as it was typed.
//
// The comparison is line by line (Myers' algorithm through sergi/go-diff);
// a run of deleted lines next to a run of inserted lines is one Changed
// block, compared again word by word (Unicode word boundaries, UAX #29).
// Both passes share a time budget: past it the result stays correct but
// gets coarser (a changed passage shows as all deleted, then all inserted).
package redline

import (
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/clipperhouse/uax29/v2/words"
	"github.com/sergi/go-diff/diffmatchpatch"
)

// Op says what happened to a block or a segment.
type Op int

// Ops. Changed is only for blocks; segments are Equal, Inserted or Deleted.
const (
	Equal Op = iota
	Inserted
	Deleted
	Changed
)

func (o Op) String() string {
	switch o {
	case Inserted:
		return "inserted"
	case Deleted:
		return "deleted"
	case Changed:
		return "changed"
	}
	return "equal"
}

// Block is a run of whole lines. Old and New are its text in each
// revision, every line ending in "\n": New is "" for Deleted, Old is ""
// for Inserted, and both are the same for Equal. Joining the Old texts of
// all blocks gives the old revision back (with "\n" line endings), joining
// the New texts the new one.
type Block struct {
	Op       Op
	Old      string
	New      string
	OldLine  int       // line number of Old's first line in the old revision; 0 when Old is ""
	NewLine  int       // likewise in the new revision
	Segments []Segment // Changed only: the words, in order
	// Moved is set on a Deleted block whose text (ignoring blank lines
	// around it) is inserted unchanged elsewhere, and on that Inserted
	// block: the paragraph moved rather than changed.
	Moved bool
}

// Segment is a piece of a Changed block. Joining the Equal and Deleted
// segments gives the block's Old text, the Equal and Inserted ones its New.
type Segment struct {
	Op   Op
	Text string
}

// Blocks is the redline of two revisions, in document order.
type Blocks []Block

// Stats counts what changed, the way "git diff --stat" does for lines:
// a changed line counts as one removed and one added.
type Stats struct {
	LinesAdded   int
	LinesRemoved int
	WordsAdded   int
	WordsRemoved int
	Moved        int // blocks moved unchanged (counted once, not twice)
}

// Changed reports whether the two revisions differ.
func (s Stats) Changed() bool { return s.LinesAdded+s.LinesRemoved > 0 }

// Budget is how long Diff spends at most on finding the smallest set of
// changes; past it the redline gets coarser, never wrong. It is a
// constant, not a setting: two 1 MiB revisions (markdown.MaxSize) stay
// within a page load.
const Budget = 2 * time.Second

// Diff compares the old and new Markdown sources. Line endings are
// normalized (CRLF and CR become LF) and a missing final line ending is
// not a change. Invalid UTF-8 is replaced by U+FFFD.
func Diff(old, new string) Blocks {
	return diff(old, new, Budget)
}

func diff(old, new string, budget time.Duration) Blocks {
	deadline := time.Now().Add(budget)
	oldLines := splitLines(normalize(old))
	newLines := splitLines(normalize(new))

	var blocks Blocks
	oldLine, newLine := 1, 1
	var dels, ins []string // the pending run of deleted and inserted lines
	flush := func() {
		if len(dels) == 0 && len(ins) == 0 {
			return
		}
		b := Block{Old: strings.Join(dels, ""), New: strings.Join(ins, "")}
		switch {
		case len(ins) == 0:
			b.Op, b.OldLine = Deleted, oldLine
		case len(dels) == 0:
			b.Op, b.NewLine = Inserted, newLine
		default:
			b.Op, b.OldLine, b.NewLine = Changed, oldLine, newLine
			b.Segments = wordDiff(b.Old, b.New, deadline)
		}
		blocks = append(blocks, b)
		oldLine += len(dels)
		newLine += len(ins)
		dels, ins = nil, nil
	}
	for _, run := range tokenDiff(oldLines, newLines, identity, deadline) {
		switch run.op {
		case Equal:
			flush()
			text := strings.Join(run.a, "")
			blocks = append(blocks, Block{Op: Equal, Old: text, New: text, OldLine: oldLine, NewLine: newLine})
			oldLine += len(run.a)
			newLine += len(run.a)
		case Deleted:
			dels = append(dels, run.a...)
		case Inserted:
			ins = append(ins, run.b...)
		}
	}
	flush()
	markMoves(blocks)
	return blocks
}

// Stats counts the lines and words added and removed.
func (bs Blocks) Stats() Stats {
	var s Stats
	for _, b := range bs {
		switch b.Op {
		case Inserted:
			s.LinesAdded += strings.Count(b.New, "\n")
			s.WordsAdded += countWords(b.New)
			if b.Moved {
				s.Moved++
			}
		case Deleted:
			s.LinesRemoved += strings.Count(b.Old, "\n")
			s.WordsRemoved += countWords(b.Old)
		case Changed:
			s.LinesAdded += strings.Count(b.New, "\n")
			s.LinesRemoved += strings.Count(b.Old, "\n")
			for _, seg := range b.Segments {
				switch seg.Op {
				case Inserted:
					s.WordsAdded += countWords(seg.Text)
				case Deleted:
					s.WordsRemoved += countWords(seg.Text)
				}
			}
		}
	}
	return s
}

func normalize(s string) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	s = strings.ReplaceAll(s, "\r\n", "\n")
	s = strings.ReplaceAll(s, "\r", "\n")
	if s != "" && !strings.HasSuffix(s, "\n") {
		s += "\n"
	}
	return s
}

// splitLines cuts s into lines, each keeping its "\n".
func splitLines(s string) []string {
	lines := strings.SplitAfter(s, "\n")
	return lines[:len(lines)-1] // the "" after the final "\n"
}

// words splits s at Unicode word boundaries: words, runs of spaces, single
// punctuation marks; each ideograph and each emoji (with its modifiers)
// on its own.
func splitWords(s string) []string {
	out := make([]string, 0, len(s)/4)
	tokens := words.FromString(s)
	for tokens.Next() {
		out = append(out, tokens.Value())
	}
	return out
}

func countWords(s string) int {
	n := 0
	tokens := words.FromString(s)
	for tokens.Next() {
		if strings.ContainsFunc(tokens.Value(), func(r rune) bool { return unicode.IsLetter(r) || unicode.IsDigit(r) }) {
			n++
		}
	}
	return n
}

// wordDiff compares a changed passage word by word. White space is
// compared by kind only (a paragraph break, or any other space), so a
// re-wrapped paragraph changes no words: its moved line breaks show as
// white space deleted and inserted, and count as no words.
func wordDiff(old, new string, deadline time.Time) []Segment {
	var segs []Segment
	add := func(op Op, tokens []string) {
		if len(tokens) == 0 {
			return
		}
		text := strings.Join(tokens, "")
		if n := len(segs); n > 0 && segs[n-1].Op == op {
			segs[n-1].Text += text
			return
		}
		segs = append(segs, Segment{Op: op, Text: text})
	}
	for _, run := range tokenDiff(splitWords(old), splitWords(new), spaceKind, deadline) {
		if run.op != Equal {
			add(run.op, run.a)
			add(run.op, run.b)
			continue
		}
		for i := range run.a {
			if run.a[i] == run.b[i] {
				add(Equal, run.a[i:i+1])
			} else {
				add(Deleted, run.a[i:i+1])
				add(Inserted, run.b[i:i+1])
			}
		}
	}
	return segs
}

// spaceKind is the comparison key of a word token: white space by kind,
// anything else as itself.
func spaceKind(t string) string {
	if strings.TrimSpace(t) != "" {
		return t
	}
	if strings.Count(t, "\n") > 1 {
		return "\n\n"
	}
	return " "
}

func identity(t string) string { return t }

// tokenRun is a run of tokens: a holds the old revision's, b the new's.
// Equal runs have both, of the same length and equal keys.
type tokenRun struct {
	op   Op
	a, b []string
}

// tokenDiff diffs two token sequences, compared by key, with go-diff:
// each distinct key stands for one rune, in the style of its
// DiffLinesToRunes. When the deadline has passed, or there are more keys
// than runes, the part between the common prefix and suffix is all
// deleted, then all inserted.
func tokenDiff(a, b []string, key func(string) string, deadline time.Time) []tokenRun {
	// The common prefix and suffix cost nothing to find and are most of
	// a revision: take them off first.
	pre := 0
	for pre < len(a) && pre < len(b) && key(a[pre]) == key(b[pre]) {
		pre++
	}
	suf := 0
	for suf < len(a)-pre && suf < len(b)-pre && key(a[len(a)-1-suf]) == key(b[len(b)-1-suf]) {
		suf++
	}
	var out []tokenRun
	add := func(op Op, ta, tb []string) {
		if len(ta)+len(tb) > 0 {
			out = append(out, tokenRun{op, ta, tb})
		}
	}
	add(Equal, a[:pre], b[:pre])
	midA, midB := a[pre:len(a)-suf], b[pre:len(b)-suf]

	remaining := time.Until(deadline)
	ra, rb, ok := encode(midA, midB, key)
	if remaining <= 0 || !ok || len(midA) == 0 || len(midB) == 0 {
		add(Deleted, midA, nil)
		add(Inserted, nil, midB)
	} else {
		dmp := diffmatchpatch.New()
		dmp.DiffTimeout = remaining
		diffs := dmp.DiffMainRunes(ra, rb, false)
		diffs = dmp.DiffCleanupSemantic(diffs)
		ia, ib := 0, 0
		for _, d := range diffs {
			n := utf8.RuneCountInString(d.Text)
			switch d.Type {
			case diffmatchpatch.DiffEqual:
				add(Equal, midA[ia:ia+n], midB[ib:ib+n])
				ia, ib = ia+n, ib+n
			case diffmatchpatch.DiffDelete:
				add(Deleted, midA[ia:ia+n], nil)
				ia += n
			case diffmatchpatch.DiffInsert:
				add(Inserted, nil, midB[ib:ib+n])
				ib += n
			}
		}
	}
	add(Equal, a[len(a)-suf:], b[len(b)-suf:])
	return out
}

// encode gives each distinct key a rune, skipping the surrogate range
// (a string cannot hold those). ok is false when there are more distinct
// keys than runes.
func encode(a, b []string, key func(string) string) (ra, rb []rune, ok bool) {
	index := make(map[string]rune, len(a)+len(b))
	next := rune(0)
	conv := func(ts []string) ([]rune, bool) {
		rs := make([]rune, len(ts))
		for i, t := range ts {
			k := key(t)
			r, seen := index[k]
			if !seen {
				if next == 0xD800 {
					next = 0xE000
				}
				if next > utf8.MaxRune {
					return nil, false
				}
				r = next
				next++
				index[k] = r
			}
			rs[i] = r
		}
		return rs, true
	}
	if ra, ok = conv(a); !ok {
		return nil, nil, false
	}
	if rb, ok = conv(b); !ok {
		return nil, nil, false
	}
	return ra, rb, true
}

// markMoves pairs a Deleted block with an Inserted block of the same
// text, blank lines around it aside. Short texts (under three words) are
// left alone: a moved "Yes" is a coincidence, not a move.
func markMoves(blocks Blocks) {
	inserted := map[string][]int{}
	for i, b := range blocks {
		if b.Op == Inserted {
			k := strings.TrimSpace(b.New)
			inserted[k] = append(inserted[k], i)
		}
	}
	for i, b := range blocks {
		if b.Op != Deleted {
			continue
		}
		k := strings.TrimSpace(b.Old)
		if countWords(k) < 3 || len(inserted[k]) == 0 {
			continue
		}
		j := inserted[k][0]
		inserted[k] = inserted[k][1:]
		blocks[i].Moved = true
		blocks[j].Moved = true
	}
}
