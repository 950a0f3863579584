package redline

import (
	"html/template"
	"strings"
)

// HTML renders a redline of the Markdown source. All text is escaped: the
// redline shows what was typed, never rendered Markdown or HTML.
//
// The markup, for the page's stylesheet:
//
//	<div class="redline">
//	  <pre class="redline-block redline-equal">unchanged lines</pre>
//	  <pre class="redline-block redline-deleted"><del>…</del></pre>
//	  <pre class="redline-block redline-inserted redline-moved"><ins>…</ins></pre>
//	  <pre class="redline-block redline-changed">words <del>…</del><ins>…</ins> words</pre>
//	</div>
//
// Screen readers do not announce <ins> and <del> by default, so each one
// starts with a visually-hidden label ("deleted:", "inserted:", "moved
// here:", "moved from here:") in the app's .visually-hidden class.
func HTML(blocks []Block) template.HTML {
	var b strings.Builder
	b.WriteString(`<div class="redline">`)
	for _, blk := range blocks {
		b.WriteString(`<pre class="redline-block redline-`)
		b.WriteString(blk.Op.String())
		if blk.Moved {
			b.WriteString(` redline-moved`)
		}
		b.WriteString(`">`)
		switch blk.Op {
		case Equal:
			b.WriteString(template.HTMLEscapeString(blk.New))
		case Deleted:
			label := "deleted: "
			if blk.Moved {
				label = "moved from here: "
			}
			writeMark(&b, "del", label, blk.Old)
		case Inserted:
			label := "inserted: "
			if blk.Moved {
				label = "moved here: "
			}
			writeMark(&b, "ins", label, blk.New)
		case Changed:
			for _, seg := range blk.Segments {
				switch seg.Op {
				case Equal:
					b.WriteString(template.HTMLEscapeString(seg.Text))
				case Deleted:
					writeMark(&b, "del", "deleted: ", seg.Text)
				case Inserted:
					writeMark(&b, "ins", "inserted: ", seg.Text)
				}
			}
		}
		b.WriteString("</pre>")
	}
	b.WriteString("</div>")
	// Safe to trust: every piece of text above went through
	// HTMLEscapeString; the rest is fixed markup.
	return template.HTML(b.String())
}

func writeMark(b *strings.Builder, tag, label, text string) {
	b.WriteString("<" + tag + `><span class="visually-hidden">` + label + "</span>")
	b.WriteString(template.HTMLEscapeString(text))
	b.WriteString("</" + tag + ">")
}
