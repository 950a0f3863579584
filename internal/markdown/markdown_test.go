package markdown

import (
	"strings"
	"testing"

	"dossier/internal/errs"
)

func render(t *testing.T, src string) string {
	t.Helper()
	h, err := Render(src)
	if err != nil {
		t.Fatalf("Render(%q): %v", src, err)
	}
	return string(h)
}

// TestRenderNeutralisesXSS renders classic attack vectors; none may leave
// a tag, an attribute or a URL that runs script or loads a remote resource.
func TestRenderNeutralisesXSS(t *testing.T) {
	cases := []struct {
		name, src string
		want      []string // must appear
		not       []string // must not appear (case-insensitive)
	}{
		{"ScriptBlock", "<script>alert(1)</script>", nil, []string{"<script"}},
		{"ScriptInline", "Hello <script>alert(1)</script> world", []string{"Hello", "world"}, []string{"<script"}},
		{"ImgOnerror", `<img src=x onerror="alert(1)">`, nil, []string{"<img", "onerror"}},
		{"SvgOnload", `<svg onload=alert(1)>`, nil, []string{"<svg", "onload"}},
		{"IframeInParagraph", `text <iframe src="https://evil.example"></iframe>`, []string{"text"}, []string{"<iframe"}},
		{"StyleTag", "<style>body{display:none}</style>", nil, []string{"<style"}},
		{"JavascriptLink", "[click](javascript:alert(1))", []string{"click"}, []string{"javascript:", "<a"}},
		{"JavascriptLinkUpper", "[click](JaVaScRiPt:alert(1))", []string{"click"}, []string{"javascript:", "<a"}},
		{"JavascriptLinkEntity", "[click](java&#x73;cript:alert(1))", []string{"click"}, []string{"script:", "<a"}},
		{"JavascriptLinkTab", "[click](java&#9;script:alert(1))", []string{"click"}, []string{"script:", "<a"}},
		{"JavascriptLinkEscaped", `[click](javascript\:alert(1))`, []string{"click"}, []string{"javascript", "<a"}},
		{"JavascriptReference", "[click][x]\n\n[x]: javascript:alert(1)", []string{"click"}, []string{"javascript", "<a"}},
		{"JavascriptAutolink", "<javascript:alert(1)>", nil, []string{"<a"}},
		{"VBScriptLink", "[x](vbscript:msgbox)", nil, []string{"vbscript", "<a"}},
		{"DataLink", "[x](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)", []string{"x"}, []string{"data:", "<a"}},
		{"FileLink", "[x](file:///etc/passwd)", nil, []string{"file:", "<a"}},
		{"ProtocolRelative", "[x](//evil.example/)", nil, []string{"evil", "<a"}},
		{"BackslashHost", `[x](/\evil.example/)`, nil, []string{"evil", "<a"}},
		{"DataImage", "![pixel](data:image/png;base64,iVBORw0KGgo=)", []string{"pixel"}, []string{"<img", "data:"}},
		{"JavascriptImage", "![x](javascript:alert(1))", nil, []string{"<img", "javascript"}},
		{"RemoteImage", `![logo](https://cdn.example/logo.png "Logo")`,
			[]string{`<a href="https://cdn.example/logo.png" title="Logo" class="md-remote-image" rel="noopener noreferrer">logo</a>`},
			[]string{"<img"}},
		{"RemoteImageInLink", "[![logo](https://cdn.example/logo.png)](https://vendor.example/)",
			[]string{`<a href="https://vendor.example/" rel="noopener noreferrer">logo</a>`}, []string{"<img", "cdn.example"}},
		{"AttributeBreakout", `[x](/a"onmouseover="alert(1))`, nil, []string{`"onmouseover`}},
		{"TitleBreakout", `[x](/a "t\" onmouseover=\"alert(1)")`, nil, []string{`" onmouseover`}},
		{"HTMLInCodeBlock", "```html\n<script>alert(1)</script>\n```", []string{"&lt;script&gt;alert(1)&lt;/script&gt;"}, []string{"<script"}},
		{"HTMLInCodeSpan", "Use `<b>` for bold", []string{"<code>&lt;b&gt;</code>"}, []string{"<b>"}},
		{"HTMLInTable", "| a |\n|---|\n| <img src=x onerror=alert(1)> |", nil, []string{"<img", "onerror"}},
		{"EntityScript", "&lt;script&gt;", []string{"&lt;script&gt;"}, []string{"<script"}},
		{"HTMLComment", "<!-- <script>alert(1)</script> -->", nil, []string{"<script"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := render(t, c.src)
			for _, w := range c.want {
				if !strings.Contains(got, w) {
					t.Errorf("output lacks %q:\n%s", w, got)
				}
			}
			lower := strings.ToLower(got)
			for _, n := range c.not {
				if strings.Contains(lower, strings.ToLower(n)) {
					t.Errorf("output contains %q:\n%s", n, got)
				}
			}
		})
	}
}

func TestRenderLinks(t *testing.T) {
	cases := []struct{ name, src, want string }{
		{"HTTPS", "[ISO](https://www.iso.org/standard/27001)", `<a href="https://www.iso.org/standard/27001" rel="noopener noreferrer">ISO</a>`},
		{"HTTP", "[x](http://intranet.example/a?b=1&c=2)", `<a href="http://intranet.example/a?b=1&amp;c=2" rel="noopener noreferrer">x</a>`},
		{"Mailto", "[CISO](mailto:ciso@hospital.example)", `<a href="mailto:ciso@hospital.example">CISO</a>`},
		{"Relative", "[register](/documents?type=policy)", `<a href="/documents?type=policy">register</a>`},
		{"RelativeDotDot", "[up](../ISMS-POL-002)", `<a href="../ISMS-POL-002">up</a>`},
		{"Fragment", "[scope](#scope)", `<a href="#md-scope">scope</a>`},
		{"FragmentAlreadyPrefixed", "[scope](#md-scope)", `<a href="#md-scope">scope</a>`},
		{"AutolinkURL", "<https://hhs.gov/hipaa>", `<a href="https://hhs.gov/hipaa" rel="noopener noreferrer">https://hhs.gov/hipaa</a>`},
		{"AutolinkWWW", "see www.hhs.gov today", `<a href="http://www.hhs.gov" rel="noopener noreferrer">www.hhs.gov</a>`},
		{"AutolinkEmail", "write to privacy@hospital.example", `<a href="mailto:privacy@hospital.example">privacy@hospital.example</a>`},
		{"AutolinkFTPIsText", "<ftp://files.example/x>", `<p>ftp://files.example/x</p>`},
		{"RelativeImage", "![diagram](/static/isms.png)", `<img src="/static/isms.png" alt="diagram">`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := render(t, c.src); !strings.Contains(got, c.want) {
				t.Errorf("Render(%q) =\n%s\nwant it to contain\n%s", c.src, got, c.want)
			}
		})
	}
}

func TestRenderStructure(t *testing.T) {
	t.Run("Headings", func(t *testing.T) {
		got := render(t, "# Scope\n\n## Scope\n\n# Übersicht: *Zugriff* & 中文\n\n# 🙂\n\nSetext **title**\n===\n")
		for _, w := range []string{
			`<h1 id="md-scope">Scope</h1>`,
			`<h2 id="md-scope-1">Scope</h2>`,
			`<h1 id="md-übersicht-zugriff-中文">Übersicht: <em>Zugriff</em> &amp; 中文</h1>`,
			`<h1 id="md-section">🙂</h1>`,
			`<h1 id="md-setext-title">Setext <strong>title</strong></h1>`,
		} {
			if !strings.Contains(got, w) {
				t.Errorf("lacks %s in\n%s", w, got)
			}
		}
	})
	t.Run("HeadingIDCollision", func(t *testing.T) {
		// "Scope 1" would naturally be md-scope-1, which the second
		// "Scope" wants too: every id must still be unique.
		got := render(t, "# Scope\n# Scope 1\n# Scope\n")
		for _, w := range []string{`id="md-scope"`, `id="md-scope-1"`, `id="md-scope-2"`} {
			if strings.Count(got, w) != 1 {
				t.Errorf("want exactly one %s in\n%s", w, got)
			}
		}
	})
	t.Run("Table", func(t *testing.T) {
		got := render(t, "| Control | Owner | Due |\n|:---|:---:|---:|\n| A.5.19 | ~~CIO~~ CISO | 2026-12-01 |\n")
		for _, w := range []string{
			`<th class="md-align-left">Control</th>`,
			`<th class="md-align-center">Owner</th>`,
			`<td class="md-align-right">2026-12-01</td>`,
			`<del>CIO</del> CISO`,
		} {
			if !strings.Contains(got, w) {
				t.Errorf("lacks %s in\n%s", w, got)
			}
		}
		if strings.Contains(got, "style=") {
			t.Errorf("inline style (blocked by CSP) in\n%s", got)
		}
	})
	t.Run("NestedLists", func(t *testing.T) {
		got := render(t, "- Suppliers\n  - PACS\n    1. SOC 2\n    2. BAA\n  - RIS\n- Staff\n")
		want := "<ul>\n<li>Suppliers\n<ul>\n<li>PACS\n<ol>\n<li>SOC 2</li>\n<li>BAA</li>\n</ol>\n</li>\n<li>RIS</li>\n</ul>\n</li>\n<li>Staff</li>\n</ul>\n"
		if got != want {
			t.Errorf("got\n%s\nwant\n%s", got, want)
		}
	})
	t.Run("BOM", func(t *testing.T) {
		if got := render(t, "\uFEFF# Policy\n"); !strings.HasPrefix(got, `<h1 id="md-policy">`) {
			t.Errorf("got %s", got)
		}
	})
}

func TestTitle(t *testing.T) {
	for src, want := range map[string]string{
		"# Information Security Policy\n\nText":              "Information Security Policy",
		"Intro\n\n## *Access*  `control`\n\n# Later":         "Access control",
		"Supplier [security](https://x.example) policy\n===": "Supplier security policy",
		"# <b>Bold</b> title":                                "Bold title",
		"```\n# not a heading\n```\n":                        "",
		"no heading at all":                                  "",
		"#\n\n# Second":                                      "Second",
		"bad \x00 input\n# Title":                            "",
	} {
		if got := Title(src); got != want {
			t.Errorf("Title(%q) = %q, want %q", src, got, want)
		}
	}
}

func TestCheck(t *testing.T) {
	ok := []string{"", "# Policy\r\n\r\nTabs\tare fine.\n", "é 中文 😀 \u200F", strings.Repeat("a", MaxSize)}
	for _, src := range ok {
		if err := Check(src); err != nil {
			t.Errorf("Check(%.20q) = %v, want nil", src, err)
		}
	}
	bad := []struct{ name, src, msg string }{
		{"ErrTooLarge", strings.Repeat("a", MaxSize+1), "the limit is 1.0 MiB"},
		{"ErrInvalidUTF8", "# Policy\nca\xfe", "Line 2, column 3: the text is not valid UTF-8"},
		{"ErrNUL", "a\x00b", "Line 1, column 2: the text contains a NUL character"},
		{"ErrControl", "bell\a", "control character U+0007"},
		{"ErrDEL", "x\x7f", "control character U+007F"},
		{"ErrC1", "x\u0085", "control character U+0085"},
		{"ErrBidiOverride", "access = \u202Eadmin", "bidirectional control character U+202E"},
		{"ErrBidiIsolate", "x\u2066y", "U+2066"},
	}
	for _, c := range bad {
		t.Run(c.name, func(t *testing.T) {
			err := Check(c.src)
			if !errs.Is(err, errs.Invalid) {
				t.Fatalf("Check = %v, want an invalid error", err)
			}
			if !strings.Contains(errs.Message(err), c.msg) {
				t.Errorf("message %q lacks %q", errs.Message(err), c.msg)
			}
			if _, rerr := Render(c.src); !errs.Is(rerr, errs.Invalid) {
				t.Errorf("Render = %v, want the same invalid error", rerr)
			}
		})
	}
}

func BenchmarkRender(b *testing.B) {
	var sb strings.Builder
	for i := 0; sb.Len() < 200<<10; i++ {
		sb.WriteString("## Section\n\nThe supplier **must** keep a [BAA](https://hhs.example/baa) in force.\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\n- item\n  - nested\n\n")
	}
	src := sb.String()
	b.SetBytes(int64(len(src)))
	for b.Loop() {
		if _, err := Render(src); err != nil {
			b.Fatal(err)
		}
	}
}
