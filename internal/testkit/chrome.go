package testkit

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// chromeTimeout bounds each Page call: a selector that never matches fails
// the test after this long instead of hanging it.
const chromeTimeout = 30 * time.Second

// Page is one tab of a headless Chromium that a test drives as a person
// would. Every method fails the test when it cannot do what it says.
type Page struct {
	tb  testing.TB
	ctx context.Context
}

// Chrome starts a headless Chromium for this test alone and returns its
// tab; the browser is closed when the test ends. The browser is
// DOSSIER_TEST_CHROMIUM, or chromium, chromium-browser or google-chrome on
// PATH; without one the test skips (fails under DOSSIER_TEST_STRICT).
func Chrome(tb testing.TB) *Page {
	tb.Helper()
	path, err := chromiumPath()
	if err != nil {
		Need(tb, "headless Chromium (apt-get install chromium): "+err.Error())
	}
	dir := tb.TempDir()
	out, err := os.Create(filepath.Join(dir, "chromium.log"))
	if err != nil {
		tb.Fatal(err)
	}
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(),
		chromedp.ExecPath(path),
		// Debian's chromium in a container without user namespaces: no
		// sandbox, no GPU, /dev/shm too small, and nothing that phones home.
		chromedp.Flag("headless", "new"),
		chromedp.Flag("no-sandbox", true),
		chromedp.Flag("disable-gpu", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("no-first-run", true),
		chromedp.Flag("disable-extensions", true),
		chromedp.UserDataDir(filepath.Join(dir, "profile")),
		chromedp.CombinedOutput(out),
	)
	ctx, cancel := chromedp.NewContext(allocCtx)
	tb.Cleanup(func() {
		// A graceful close first, so Chromium stops writing to the profile
		// before TempDir removes it; then make sure the process is gone.
		closeCtx, cancelClose := context.WithTimeout(ctx, 10*time.Second)
		_ = chromedp.Cancel(closeCtx)
		cancelClose()
		cancel()
		cancelAlloc()
		out.Close()
		if tb.Failed() {
			if log, _ := os.ReadFile(out.Name()); len(log) > 0 {
				tb.Logf("chromium's output:\n%s", lastLines(string(log), 40))
			}
		}
	})
	// The first call starts the browser and ties it to its context, so it
	// gets no timeout: a timeout there would end the browser with it.
	if err := chromedp.Do(ctx); err != nil {
		tb.Fatalf("start %s: %v", path, err)
	}
	return &Page{tb: tb, ctx: ctx}
}

// chromiumPath finds the browser to run.
func chromiumPath() (string, error) {
	if p := os.Getenv("DOSSIER_TEST_CHROMIUM"); p != "" {
		if _, err := exec.LookPath(p); err != nil {
			return "", fmt.Errorf("DOSSIER_TEST_CHROMIUM=%s is not a program", p)
		}
		return p, nil
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p, nil
		}
	}
	return "", errors.New("none of chromium, chromium-browser or google-chrome is on PATH, and DOSSIER_TEST_CHROMIUM is not set")
}

// Open loads url and waits for the page to load. An answer of 400 or more
// fails the test.
func (p *Page) Open(url string) {
	p.tb.Helper()
	ctx, cancel := p.call()
	defer cancel()
	resp, err := chromedp.Run(ctx, chromedp.NavigateResponse(url))
	if err != nil {
		p.fail(ctx, "open "+url, err)
	}
	if resp != nil && resp.Status >= 400 {
		p.tb.Fatalf("chromium: open %s: the server answered %d %s", url, resp.Status, resp.StatusText)
	}
}

// Fill empties the input or textarea matching selector and types value
// into it.
func (p *Page) Fill(selector, value string) {
	p.tb.Helper()
	// chromedp's SetValue cannot set "" (it reports a failure), so the field
	// is emptied by script.
	p.do("fill "+selector,
		chromedp.WaitVisible(chromedp.CSS(selector)),
		chromedp.Evaluate[chromedp.Void](fmt.Sprintf(`document.querySelector(%s).value = ""`, quote(selector))),
		chromedp.SendKeys(chromedp.CSS(selector), value))
}

// Select chooses the option with value in the <select> matching selector,
// firing the input and change events a person's choice would.
func (p *Page) Select(selector, value string) {
	p.tb.Helper()
	p.do(fmt.Sprintf("select %q in %s (is there such an option?)", value, selector),
		chromedp.SetValue(chromedp.CSS(selector), value, chromedp.NodeVisible))
}

// Check ticks the checkbox matching selector by clicking it, unless it is
// ticked already.
func (p *Page) Check(selector string) {
	p.tb.Helper()
	ctx, cancel := p.call()
	defer cancel()
	checked, err := chromedp.Run(ctx, chromedp.JavascriptAttribute[bool](chromedp.CSS(selector), "checked", chromedp.NodeVisible))
	if err == nil && !checked {
		err = chromedp.Do(ctx, chromedp.Click(chromedp.CSS(selector)))
		if err == nil {
			checked, err = chromedp.Run(ctx, chromedp.JavascriptAttribute[bool](chromedp.CSS(selector), "checked"))
		}
	}
	if err == nil && !checked {
		err = errors.New("still not ticked after a click")
	}
	if err != nil {
		p.fail(ctx, "check "+selector, err)
	}
}

// Upload chooses the file at path in the file input matching selector.
func (p *Page) Upload(selector, path string) {
	p.tb.Helper()
	p.do("choose "+path+" in "+selector, chromedp.SetUploadFiles(chromedp.CSS(selector), []string{path}))
}

// Click clicks the element matching selector and does not wait for what
// follows; use Submit when the click loads another page.
func (p *Page) Click(selector string) {
	p.tb.Helper()
	p.do("click "+selector, chromedp.Click(chromedp.CSS(selector)))
}

// Submit clicks the element matching selector, typically a form's button,
// and waits for the page that answers to load, whatever its status.
func (p *Page) Submit(selector string) {
	p.tb.Helper()
	ctx, cancel := p.call()
	defer cancel()
	if _, err := chromedp.RunResponse(ctx, chromedp.Click(chromedp.CSS(selector))); err != nil {
		p.fail(ctx, "submit with "+selector+" (no page loaded: is a required field empty?)", err)
	}
}

// Text returns the visible text of the element matching selector, trimmed.
func (p *Page) Text(selector string) string {
	p.tb.Helper()
	ctx, cancel := p.call()
	defer cancel()
	text, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(selector)))
	if err != nil {
		p.fail(ctx, "read the text of "+selector, err)
	}
	return strings.TrimSpace(text)
}

// Exists reports whether an element matches selector now, without waiting.
func (p *Page) Exists(selector string) bool {
	p.tb.Helper()
	return p.eval("look for "+selector, `document.querySelector(%s) !== null`, selector)
}

// Visible reports whether the element matching selector is shown now, with
// a size, and not cut off by the left or right edge of the viewport (a page
// may scroll down, but should not need scrolling sideways).
func (p *Page) Visible(selector string) bool {
	p.tb.Helper()
	return p.eval("look at "+selector, `(() => {
		const el = document.querySelector(%s);
		if (!el || getComputedStyle(el).visibility === "hidden") return false;
		const r = el.getBoundingClientRect();
		return r.width > 0 && r.height > 0 && r.left >= 0 && r.right <= document.documentElement.clientWidth;
	})()`, selector)
}

// URL returns the address of the page shown.
func (p *Page) URL() string {
	p.tb.Helper()
	ctx, cancel := p.call()
	defer cancel()
	u, err := chromedp.Run(ctx, chromedp.Location())
	if err != nil {
		p.tb.Fatalf("chromium: read the address: %v", err)
	}
	return u
}

// Screenshot saves the whole page, beyond the viewport, as a PNG at path.
func (p *Page) Screenshot(path string) {
	p.tb.Helper()
	ctx, cancel := p.call()
	defer cancel()
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err == nil {
		err = os.WriteFile(path, png, 0o644)
	}
	if err != nil {
		p.fail(ctx, "screenshot to "+path, err)
	}
}

// SetViewport makes the viewport w×h CSS pixels, as a desktop window of
// that size (no touch, no mobile emulation); pages loaded afterwards lay
// out at that width.
func (p *Page) SetViewport(w, h int) {
	p.tb.Helper()
	p.do(fmt.Sprintf("set the viewport to %d×%d", w, h), chromedp.EmulateViewport(int64(w), int64(h)))
}

// call returns the context for one call, bounded by chromeTimeout.
func (p *Page) call() (context.Context, context.CancelFunc) {
	return context.WithTimeout(p.ctx, chromeTimeout)
}

func (p *Page) do(what string, steps ...chromedp.Action[chromedp.Void]) {
	p.tb.Helper()
	ctx, cancel := p.call()
	defer cancel()
	if err := chromedp.Do(ctx, steps...); err != nil {
		p.fail(ctx, what, err)
	}
}

// eval runs a JavaScript expression that returns a boolean, with selector
// quoted into it at %s.
func (p *Page) eval(what, expr, selector string) bool {
	p.tb.Helper()
	ctx, cancel := p.call()
	defer cancel()
	ok, err := chromedp.Run(ctx, chromedp.Evaluate[bool](fmt.Sprintf(expr, quote(selector))))
	if err != nil {
		p.fail(ctx, what, err)
	}
	return ok
}

// quote returns s as a JavaScript string literal.
func quote(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// fail ends the test with what was being done, where, and why; a timeout
// most often means that no element matched the selector.
func (p *Page) fail(ctx context.Context, what string, err error) {
	p.tb.Helper()
	if ctx.Err() != nil {
		err = fmt.Errorf("nothing happened within %s (does the selector match an element on this page?): %w", chromeTimeout, err)
	}
	where := "?"
	lctx, cancel := context.WithTimeout(p.ctx, 5*time.Second)
	defer cancel()
	if u, lerr := chromedp.Run(lctx, chromedp.Location()); lerr == nil {
		where = u
	}
	p.tb.Fatalf("chromium: %s on %s: %v", what, where, err)
}

// lastLines returns the last n lines of s, less the D-Bus complaints that
// Chromium makes on any machine without a desktop session.
func lastLines(s string, n int) string {
	var lines []string
	for line := range strings.Lines(s) {
		if !strings.Contains(line, ":ERROR:dbus/") {
			lines = append(lines, strings.TrimRight(line, "\n"))
		}
	}
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// Fetch downloads path as the page's user would, with the page's cookies
// (a download link the browser would save), and returns the status and
// the body.
func (p *Page) Fetch(path string) (int, []byte) {
	p.tb.Helper()
	ctx, cancel := p.call()
	defer cancel()
	type answer struct {
		Status int    `json:"status"`
		Body   string `json:"body"` // base64
	}
	a, err := chromedp.Run(ctx, chromedp.Evaluate[answer](fmt.Sprintf(`(async () => {
		const r = await fetch(%s, {credentials: "same-origin"});
		const b = new Uint8Array(await r.arrayBuffer());
		let s = "";
		for (let i = 0; i < b.length; i += 0x8000) s += String.fromCharCode(...b.subarray(i, i + 0x8000));
		return {status: r.status, body: btoa(s)};
	})()`, quote(path)), chromedp.EvalAwaitPromise))
	if err != nil {
		p.fail(ctx, "fetch "+path, err)
	}
	body, err := base64.StdEncoding.DecodeString(a.Body)
	if err != nil {
		p.tb.Fatalf("chromium: fetch %s: %v", path, err)
	}
	return a.Status, body
}
