package redline

import (
	"fmt"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"
	"time"
)

// checkInvariants asserts what every redline must satisfy: the blocks
// give back both revisions, and each changed block's segments give back
// its two texts.
func checkInvariants(t *testing.T, old, new string, bs Blocks) {
	t.Helper()
	var o, n strings.Builder
	for i, b := range bs {
		o.WriteString(b.Old)
		n.WriteString(b.New)
		switch b.Op {
		case Equal:
			if b.Old != b.New {
				t.Errorf("block %d: equal block with different texts", i)
			}
		case Inserted:
			if b.Old != "" || b.New == "" {
				t.Errorf("block %d: inserted block %+v", i, b)
			}
		case Deleted:
			if b.New != "" || b.Old == "" {
				t.Errorf("block %d: deleted block %+v", i, b)
			}
		case Changed:
			var so, sn strings.Builder
			for _, s := range b.Segments {
				if s.Op != Inserted {
					so.WriteString(s.Text)
				}
				if s.Op != Deleted {
					sn.WriteString(s.Text)
				}
			}
			if so.String() != b.Old || sn.String() != b.New {
				t.Errorf("block %d: segments give %q / %q, want %q / %q", i, so.String(), sn.String(), b.Old, b.New)
			}
		}
		if i > 0 && b.Op == Equal && bs[i-1].Op == Equal {
			t.Errorf("block %d: two equal blocks in a row", i)
		}
	}
	if want := normalize(old); o.String() != want {
		t.Errorf("old blocks give\n%.300q\nwant\n%.300q", o.String(), want)
	}
	if want := normalize(new); n.String() != want {
		t.Errorf("new blocks give\n%.300q\nwant\n%.300q", n.String(), want)
	}
}

func ops(bs Blocks) []Op {
	out := make([]Op, len(bs))
	for i, b := range bs {
		out[i] = b.Op
	}
	return out
}

const policy = `# Supplier Security Policy

## Scope

This policy applies to every supplier that stores, processes or transmits
protected health information on behalf of the hospital.

## Requirements

1. A business associate agreement is in force before any PHI is shared.
2. The supplier completes the security questionnaire every 12 months.
3. Findings rated high are remediated within 30 days.
`

func TestDiff(t *testing.T) {
	t.Run("Equal", func(t *testing.T) {
		bs := Diff(policy, policy)
		checkInvariants(t, policy, policy, bs)
		if !reflect.DeepEqual(ops(bs), []Op{Equal}) {
			t.Errorf("ops = %v", ops(bs))
		}
		if s := bs.Stats(); s.Changed() {
			t.Errorf("stats = %+v", s)
		}
	})
	t.Run("BothEmpty", func(t *testing.T) {
		if bs := Diff("", ""); len(bs) != 0 {
			t.Errorf("Diff of nothing = %+v", bs)
		}
	})
	t.Run("PureInsert", func(t *testing.T) {
		new := strings.Replace(policy, "## Requirements", "## Review\n\nThis policy is reviewed every year.\n\n## Requirements", 1)
		bs := Diff(policy, new)
		checkInvariants(t, policy, new, bs)
		if !reflect.DeepEqual(ops(bs), []Op{Equal, Inserted, Equal}) {
			t.Fatalf("ops = %v", ops(bs))
		}
		if bs[1].New != "## Review\n\nThis policy is reviewed every year.\n\n" || bs[1].NewLine != 8 {
			t.Errorf("inserted block %+v", bs[1])
		}
		if s := bs.Stats(); s.LinesAdded != 4 || s.LinesRemoved != 0 || s.WordsAdded != 7 {
			t.Errorf("stats = %+v", s)
		}
	})
	t.Run("PureInsertFromEmpty", func(t *testing.T) {
		bs := Diff("", policy)
		checkInvariants(t, "", policy, bs)
		if !reflect.DeepEqual(ops(bs), []Op{Inserted}) || bs[0].NewLine != 1 {
			t.Errorf("blocks = %+v", bs)
		}
		if s := bs.Stats(); s.LinesAdded != 12 || s.LinesRemoved != 0 || s.WordsAdded != 56 {
			t.Errorf("stats = %+v", s)
		}
	})
	t.Run("PureDelete", func(t *testing.T) {
		new := strings.Replace(policy, "2. The supplier completes the security questionnaire every 12 months.\n", "", 1)
		bs := Diff(policy, new)
		checkInvariants(t, policy, new, bs)
		if !reflect.DeepEqual(ops(bs), []Op{Equal, Deleted, Equal}) {
			t.Fatalf("ops = %v", ops(bs))
		}
		if bs[1].OldLine != 11 || bs[1].NewLine != 0 || bs[2].OldLine != 12 || bs[2].NewLine != 11 {
			t.Errorf("line numbers: %+v", bs)
		}
		if s := bs.Stats(); s.LinesRemoved != 1 || s.LinesAdded != 0 || s.WordsRemoved != 10 {
			t.Errorf("stats = %+v", s)
		}
	})
	t.Run("ChangedWordInLongParagraph", func(t *testing.T) {
		long := strings.Repeat("The supplier shall notify the hospital of any security incident without undue delay. ", 40)
		old := "# Incidents\n\n" + long + "Notice is given within 72 hours.\n\n" + long + "\n"
		new := strings.Replace(old, "within 72 hours", "within 24 hours", 1)
		bs := Diff(old, new)
		checkInvariants(t, old, new, bs)
		if !reflect.DeepEqual(ops(bs), []Op{Equal, Changed, Equal}) {
			t.Fatalf("ops = %v", ops(bs))
		}
		var changes []Segment
		for _, s := range bs[1].Segments {
			if s.Op != Equal {
				changes = append(changes, s)
			}
		}
		if want := []Segment{{Deleted, "72"}, {Inserted, "24"}}; !reflect.DeepEqual(changes, want) {
			t.Errorf("changes = %+v, want %+v", changes, want)
		}
		if s := bs.Stats(); s.WordsAdded != 1 || s.WordsRemoved != 1 || s.LinesAdded != 1 || s.LinesRemoved != 1 {
			t.Errorf("stats = %+v", s)
		}
	})
	t.Run("ReflowedParagraph", func(t *testing.T) {
		old := "Intro.\n\nThis policy applies to every supplier\nthat stores PHI.\n\nEnd.\n"
		new := "Intro.\n\nThis policy applies to every\nsupplier that stores PHI.\n\nEnd.\n"
		bs := Diff(old, new)
		checkInvariants(t, old, new, bs)
		if s := bs.Stats(); s.WordsAdded != 0 || s.WordsRemoved != 0 {
			t.Errorf("a reflow changes no words: %+v, blocks %+v", s, bs)
		}
	})
	t.Run("MovedParagraphs", func(t *testing.T) {
		a := "Access to PACS is reviewed every quarter by the system owner.\n"
		b := "Remote vendor sessions are recorded and kept for six years.\n"
		c := "Medical devices are segmented from the corporate network.\n"
		old := a + "\n" + b + "\n" + c
		new := b + "\n" + c + "\n" + a
		bs := Diff(old, new)
		checkInvariants(t, old, new, bs)
		var moved []Op
		for _, blk := range bs {
			if blk.Moved {
				moved = append(moved, blk.Op)
				if strings.TrimSpace(blk.Old+blk.New) != strings.TrimSpace(a) {
					t.Errorf("moved block %+v, want paragraph a", blk)
				}
			}
		}
		if !reflect.DeepEqual(moved, []Op{Deleted, Inserted}) {
			t.Errorf("moved = %v in %+v", moved, bs)
		}
		if s := bs.Stats(); s.Moved != 1 {
			t.Errorf("stats = %+v", s)
		}
		if h := string(HTML(bs)); !strings.Contains(h, "moved from here: ") || !strings.Contains(h, "moved here: ") {
			t.Errorf("HTML lacks move labels: %s", h)
		}
	})
	t.Run("CRLFvsLF", func(t *testing.T) {
		crlf := strings.ReplaceAll(policy, "\n", "\r\n")
		bs := Diff(crlf, policy)
		checkInvariants(t, crlf, policy, bs)
		if !reflect.DeepEqual(ops(bs), []Op{Equal}) {
			t.Errorf("line endings alone must not be a change: %v", ops(bs))
		}
		if bs := Diff("a\rb", "a\nb\n"); !reflect.DeepEqual(ops(bs), []Op{Equal}) {
			t.Errorf("CR and missing final newline: %v", ops(bs))
		}
	})
	t.Run("Unicode", func(t *testing.T) {
		old := "Café policy: 信息安全 applies. Approved 👍🏽 by the CISO 👩‍⚕️.\n"
		new := "Cafés policy: 信息保密 applies. Approved 👍🏾 by the CISO 👨‍⚕️.\n"
		bs := Diff(old, new)
		checkInvariants(t, old, new, bs)
		if !reflect.DeepEqual(ops(bs), []Op{Changed}) {
			t.Fatalf("ops = %v", ops(bs))
		}
		var changes []Segment
		for _, s := range bs[0].Segments {
			if s.Op != Equal {
				changes = append(changes, s)
			}
		}
		want := []Segment{
			{Deleted, "Café"}, {Inserted, "Cafés"},
			{Deleted, "安全"}, {Inserted, "保密"},
			{Deleted, "👍🏽"}, {Inserted, "👍🏾"},
			{Deleted, "👩‍⚕️"}, {Inserted, "👨‍⚕️"},
		}
		if !reflect.DeepEqual(changes, want) {
			t.Errorf("changes = %q\nwant      %q", changes, want)
		}
	})
	t.Run("InvalidUTF8", func(t *testing.T) {
		bs := Diff("caf\xe9\n", "café\n")
		if len(bs) != 1 || bs[0].Old != "caf\uFFFD\n" {
			t.Errorf("blocks = %+v", bs)
		}
	})
	t.Run("RewrittenSection", func(t *testing.T) {
		old := "# A\n\nOne two three.\n\nFour five six.\n\n# B\n"
		new := "# A\n\nSeven eight nine.\n\nTen eleven twelve.\n\n# B\n"
		bs := Diff(old, new)
		checkInvariants(t, old, new, bs)
		if !reflect.DeepEqual(ops(bs), []Op{Equal, Changed, Equal}) {
			t.Errorf("a rewritten passage is one changed block: %v", ops(bs))
		}
	})
}

func TestDiffBudget(t *testing.T) {
	// With no time left the redline is coarse but still right.
	old := policy
	new := strings.ReplaceAll(policy, "supplier", "vendor")
	bs := diff(old, new, 0)
	checkInvariants(t, old, new, bs)
	for _, b := range bs {
		if b.Op == Changed && len(b.Segments) > 0 {
			for _, s := range b.Segments {
				if s.Op == Equal && strings.TrimSpace(s.Text) != "" && strings.Contains(s.Text, "vendor") {
					t.Errorf("unexpected fine-grained segment %q", s.Text)
				}
			}
		}
	}
}

func TestHTML(t *testing.T) {
	old := "# Policy\n\nStaff must not run <script>alert('x')</script> & such.\n\nSame.\n"
	new := "# Policy\n\nStaff must never run <script>alert(\"y\")</script> & such.\n\nSame.\n\n<img src=x onerror=alert(1)>\n"
	got := string(HTML(Diff(old, new)))
	for _, w := range []string{
		`<div class="redline">`,
		`<pre class="redline-block redline-equal"># Policy` + "\n\n</pre>",
		`<pre class="redline-block redline-changed">Staff must `,
		`<del><span class="visually-hidden">deleted: </span>not</del>`,
		`<ins><span class="visually-hidden">inserted: </span>never</ins>`,
		`&lt;script&gt;alert(`,
		`&amp; such.`,
		`<pre class="redline-block redline-inserted"><ins><span class="visually-hidden">inserted: </span>` + "\n" + `&lt;img src=x onerror=alert(1)&gt;` + "\n</ins></pre>",
	} {
		if !strings.Contains(got, w) {
			t.Errorf("lacks %s in\n%s", w, got)
		}
	}
	for _, n := range []string{"<script", "<img", `"y"`, "'x'"} {
		if strings.Contains(got, n) {
			t.Errorf("unescaped %s in\n%s", n, got)
		}
	}
	if h := HTML(nil); h != `<div class="redline"></div>` {
		t.Errorf("HTML(nil) = %s", h)
	}
}

// policyOfSize makes a realistic policy of about n bytes: numbered
// sections of varied paragraphs, lists and tables.
func policyOfSize(n int, seed int) string {
	var b strings.Builder
	for i := 0; b.Len() < n; i++ {
		fmt.Fprintf(&b, "## %d. Control A.5.%d\n\n", i, i%37)
		fmt.Fprintf(&b, "The supplier shall maintain control %d (%d) and review it every %d months. ", i, (i*seed)%97, 6+i%7)
		b.WriteString("Evidence is kept on file and checked by the security reviewer.\n")
		fmt.Fprintf(&b, "Exceptions need approval by the CISO; record %d of %d.\n\n", i*7%113, seed)
		fmt.Fprintf(&b, "- owner: team %d\n- systems: EMR, PACS, RIS\n\n| field | value |\n|---|---|\n| tier | %d |\n\n", i%11, i%3)
	}
	return b.String()
}

// edit changes every step-th line a little: a word replaced, a line
// inserted, a line deleted, in turn.
func edit(s string, step int) string {
	lines := strings.SplitAfter(s, "\n")
	var b strings.Builder
	for i, l := range lines {
		if i%step != step-1 {
			b.WriteString(l)
			continue
		}
		switch (i / step) % 3 {
		case 0:
			b.WriteString(strings.Replace(l, "the", "THE", 1))
		case 1:
			b.WriteString(l)
			b.WriteString("An added requirement on logging and monitoring.\n")
		case 2: // deleted
		}
	}
	return b.String()
}

func TestDiffLarge(t *testing.T) {
	if testing.Short() {
		t.Skip("large inputs")
	}
	// Two 1 MiB revisions (the markdown package's limit), heavily edited.
	// The test asserts correctness only; the time is logged.
	old := policyOfSize(1<<20, 1)
	new := edit(policyOfSize(1<<20, 2), 7)
	start := time.Now()
	bs := Diff(old, new)
	took := time.Since(start)
	checkInvariants(t, old, new, bs)
	t.Logf("2 × 1 MiB, %d blocks, %+v, took %v", len(bs), bs.Stats(), took)
	start = time.Now()
	h := HTML(bs)
	t.Logf("HTML: %d bytes in %v", len(h), time.Since(start))

	// Two unrelated 1 MiB texts: the worst case for the line diff.
	a := strings.Repeat("alpha beta gamma\n", (1<<20)/17)
	var sb strings.Builder
	for i := 0; sb.Len() < 1<<20; i++ {
		fmt.Fprintf(&sb, "line %d\n", i)
	}
	start = time.Now()
	bs = Diff(a, sb.String())
	checkInvariants(t, a, sb.String(), bs)
	t.Logf("2 × 1 MiB unrelated: %d blocks, took %v", len(bs), time.Since(start))
}

func BenchmarkDiff200KB(b *testing.B) {
	old := policyOfSize(200<<10, 1)
	new := edit(old, 25)
	b.SetBytes(int64(len(old) + len(new)))
	b.ReportAllocs()
	for b.Loop() {
		_ = HTML(Diff(old, new))
	}
}

// TestDiffRandomEdits checks the invariants on many random revisions
// mixing scripts, emoji, blank lines and CRLF.
func TestDiffRandomEdits(t *testing.T) {
	vocab := []string{"policy", "supplier", "PHI", "é", "中文", "信息", "👍🏽", "👩‍⚕️", " ", "  ", "\n", "\n\n", "\r\n", ".", "<b>", "&amp;", "1.", "- "}
	rng := rand.New(rand.NewPCG(7, 11))
	gen := func(n int) string {
		var b strings.Builder
		for range n {
			b.WriteString(vocab[rng.IntN(len(vocab))])
		}
		return b.String()
	}
	for i := range 300 {
		old := gen(rng.IntN(80))
		tokens := strings.SplitAfter(old, " ")
		var b strings.Builder
		for _, tok := range tokens {
			switch rng.IntN(6) {
			case 0: // drop
			case 1:
				b.WriteString(gen(3))
			default:
				b.WriteString(tok)
			}
		}
		new := b.String()
		t.Run(fmt.Sprint(i), func(t *testing.T) {
			bs := Diff(old, new)
			checkInvariants(t, old, new, bs)
			if normalize(old) == normalize(new) && bs.Stats().Changed() {
				t.Errorf("equal texts reported as changed")
			}
		})
	}
}
