// Package stamp makes controlled copies of effective documents: every
// page of the PDF stamped with who the copy was issued to and when, and a
// page appended with the approvals and the revision history. The original
// is only read; the copy is a new file.
package stamp

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/pdfcpu/pdfcpu/pkg/api"
	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu"
	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/model"
	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/types"

	"dossier/internal/errs"
	"dossier/internal/text"
)

// Options tune a Stamper. Zero values take the defaults.
type Options struct {
	// Workers is how many copies may be made at once (default 2): pdfcpu
	// holds the whole document in memory and can take seconds of CPU.
	Workers int
	// Timeout bounds making one copy (default 60s), and also the wait for
	// a free worker.
	Timeout time.Duration
	// Log receives what no caller can see: a copy given up on that pdfcpu
	// finishes later, a temporary file that cannot be removed.
	Log *slog.Logger
}

// Stamper makes controlled copies. Its worker pool is its own; make one
// per process and share it.
type Stamper struct {
	slots   chan struct{}
	timeout time.Duration
	log     *slog.Logger
}

// pdfcpuConfigDir switches pdfcpu off its per-user config folder once, as
// internal/upload does: a server must not read or create ~/.config/pdfcpu.
var pdfcpuConfigDir sync.Once

// New makes a Stamper.
func New(o Options) *Stamper {
	pdfcpuConfigDir.Do(api.DisableConfigDir)
	if o.Workers <= 0 {
		o.Workers = 2
	}
	if o.Timeout <= 0 {
		o.Timeout = 60 * time.Second
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	return &Stamper{slots: make(chan struct{}, o.Workers), timeout: o.Timeout, log: o.Log}
}

// Stamp writes a controlled copy of the PDF at src to dst: c.Line() along
// the bottom of every page, then the approval record (c.Heading(), the
// approvals, the revision history) on as many pages as it needs, which
// carry the stamp too. It returns the copy's page count.
//
// The copy is made in a temporary file and written to dst only when it is
// complete: on any error nothing has been written. A PDF pdfcpu cannot read
// is Invalid, with a message for a person; no free worker or no copy within
// the time limit is Unavailable.
func (s *Stamper) Stamp(ctx context.Context, src string, dst io.Writer, c Copy) (pages int, err error) {
	return s.stamp(ctx, src, dst, job{line: c.Line(), record: &c})
}

// StampLine writes a copy of the PDF at src to dst with line along the
// bottom of every page and nothing appended, under the same rules as
// Stamp. It is what pdfcpu's own "stamp add" does, so the two can be
// measured against each other.
func (s *Stamper) StampLine(ctx context.Context, src string, dst io.Writer, line string) (pages int, err error) {
	return s.stamp(ctx, src, dst, job{line: line})
}

type job struct {
	line   string
	record *Copy // nil: stamp only
}

type result struct {
	file  string // the finished copy, a temporary file
	pages int
	err   error
}

// stamp runs the job in a worker: at most cap(s.slots) at once, each for at
// most s.timeout. pdfcpu takes a context only while reading, so the work
// runs in a goroutine that keeps its slot until it really ends: a copy
// given up on still counts against the bound while it runs on, and removes
// its own temporary file.
func (s *Stamper) stamp(ctx context.Context, src string, dst io.Writer, j job) (int, error) {
	if err := s.acquire(ctx); err != nil {
		return 0, err
	}
	run, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	done := make(chan result, 1)
	var mu sync.Mutex
	abandoned := false
	start := time.Now()
	go func() {
		defer func() { <-s.slots }()
		var res result
		defer func() {
			// A hostile file must not take the server down with it.
			if p := recover(); p != nil {
				res = result{err: fmt.Errorf("pdfcpu panicked: %v", p)}
			}
			mu.Lock()
			defer mu.Unlock()
			if abandoned {
				s.log.Warn("stamp: controlled copy finished after its time limit", "elapsed", time.Since(start).Round(time.Millisecond), "err", res.err)
				s.remove(res.file)
				return
			}
			done <- res
		}()
		res = s.make(run, src, j)
	}()
	select {
	case res := <-done:
		defer s.remove(res.file)
		if res.err != nil {
			if run.Err() != nil && errors.Is(res.err, run.Err()) {
				return 0, s.timedOut(ctx) // pdfcpu's reading noticed the deadline first
			}
			return 0, res.err
		}
		f, err := os.Open(res.file)
		if err != nil {
			return 0, errs.Wrap(errs.Internal, err, "open controlled copy")
		}
		defer f.Close()
		if _, err := io.Copy(dst, f); err != nil {
			return 0, errs.Wrap(errs.Internal, err, "write controlled copy")
		}
		return res.pages, nil
	case <-run.Done():
		mu.Lock()
		defer mu.Unlock()
		select {
		case res := <-done: // finished as the time ran out: not worth keeping
			s.remove(res.file)
		default:
			abandoned = true
		}
		return 0, s.timedOut(ctx)
	}
}

func (s *Stamper) timedOut(ctx context.Context) error {
	if ctx.Err() != nil {
		return errs.Wrap(errs.Unavailable, ctx.Err(), "The controlled copy was cancelled before it was finished.")
	}
	return errs.E(errs.Unavailable, "The controlled copy could not be made within %s. Try again in a few minutes; if it keeps failing, the PDF may be unusually complex.", seconds(s.timeout))
}

// acquire takes a worker, waiting at most s.timeout for one.
func (s *Stamper) acquire(ctx context.Context) error {
	select {
	case s.slots <- struct{}{}:
		return nil
	default:
	}
	wait := time.NewTimer(s.timeout)
	defer wait.Stop()
	select {
	case s.slots <- struct{}{}:
		return nil
	case <-wait.C:
		return errs.E(errs.Unavailable, "Dossier is busy making other controlled copies. Try again in a minute.")
	case <-ctx.Done():
		return errs.Wrap(errs.Unavailable, ctx.Err(), "Dossier is busy making other controlled copies. Try again in a minute.")
	}
}

func (s *Stamper) remove(file string) {
	if file == "" {
		return
	}
	if err := os.Remove(file); err != nil && !errors.Is(err, os.ErrNotExist) {
		s.log.Warn("stamp: remove temporary copy", "file", file, "err", err)
	}
}

// make reads src, stamps it and writes the copy to a temporary file.
func (s *Stamper) make(ctx context.Context, src string, j job) (res result) {
	in, err := os.Open(src)
	if err != nil {
		return result{err: errs.Wrap(errs.Internal, err, "open original for stamping")}
	}
	defer in.Close()
	conf := model.NewDefaultConfiguration()
	conf.ValidationMode = model.ValidationRelaxed // as uploads are checked
	conf.Cmd = model.ADDWATERMARKS
	conf.OptimizeDuplicateContentStreams = false // as pdfcpu's own stamping
	pc, err := pdfcpu.ReadWithContext(ctx, in, conf)
	if err != nil {
		return result{err: unreadable(err)}
	}
	if err := api.ValidateContext(pc); err != nil {
		return result{err: unreadable(err)}
	}
	if err := api.OptimizeContext(pc); err != nil {
		return result{err: unreadable(err)}
	}
	if pc.PageCount == 0 {
		return result{err: errs.E(errs.Invalid, "This PDF cannot be stamped: it has no pages.")}
	}
	if j.record != nil {
		if err := appendRecord(pc, *j.record); err != nil {
			return result{err: unprocessable(err)}
		}
	}
	if err := stampPages(pc, j.line); err != nil {
		return result{err: unprocessable(err)}
	}
	out, err := os.CreateTemp("", "dossier-stamp-*.pdf")
	if err != nil {
		return result{err: errs.Wrap(errs.Internal, err, "create temporary copy")}
	}
	res.file = out.Name()
	defer func() {
		if res.err != nil {
			s.remove(res.file)
			res.file = ""
		}
	}()
	err = api.WriteContext(pc, out)
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return result{file: res.file, err: unprocessable(err)}
	}
	res.pages = pc.PageCount
	return res
}

// unreadable explains why pdfcpu could not read a PDF.
func unreadable(err error) error {
	switch {
	case errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled):
		return err // the caller tells the time limit from a damaged file
	case errors.Is(err, pdfcpu.ErrWrongPassword):
		return &errs.Error{Code: errs.Invalid, Message: "This PDF cannot be stamped: it is encrypted and opens only with a password. Upload a copy saved without a password.", Err: err}
	case errors.Is(err, pdfcpu.ErrUnsupportedEncryptionFeature) || errors.Is(err, pdfcpu.ErrMalformedEncryption):
		return &errs.Error{Code: errs.Invalid, Message: "This PDF cannot be stamped: it is encrypted in a way Dossier cannot open. Upload a copy saved without encryption.", Err: err}
	}
	return &errs.Error{Code: errs.Invalid, Message: "This PDF cannot be stamped: " + reason(err) + ".", Err: err}
}

// unprocessable is a failure after the PDF was read: stamping or writing.
func unprocessable(err error) error {
	return &errs.Error{Code: errs.Invalid, Message: "This PDF cannot be stamped: " + reason(err) + ". Try saving it again as a new PDF (Print → Save as PDF) and uploading that as a new revision.", Err: err}
}

// reason shortens a pdfcpu error for a person: its innermost message,
// without anything that looks like a file path, clipped. (As
// internal/upload does for uploads.)
func reason(err error) string {
	switch {
	case errors.Is(err, pdfcpu.ErrMissingXRefSection):
		return "its table of contents (cross-reference table) is missing or damaged"
	case errors.Is(err, pdfcpu.ErrCorruptHeader):
		return "it does not start like a PDF"
	}
	for {
		inner := errors.Unwrap(err)
		if inner == nil {
			break
		}
		err = inner
	}
	words := strings.Fields(err.Error())
	kept := words[:0]
	for _, w := range words {
		if !strings.Contains(w, "/") && !strings.Contains(w, `\`) {
			kept = append(kept, w)
		}
	}
	msg := strings.TrimRight(strings.Join(kept, " "), ".:")
	if msg == "" || strings.Contains(msg, "types.") { // "expected types.Dict": Go, not English
		return "it is damaged or incomplete"
	}
	return text.Clip(msg, 160)
}

// seconds writes a duration for people: "60 seconds".
func seconds(d time.Duration) string {
	if d < time.Second {
		return d.String()
	}
	if s := int(d.Round(time.Second) / time.Second); s != 1 {
		return fmt.Sprintf("%d seconds", s)
	}
	return "1 second"
}

// The stamp: 7-point Helvetica, dark grey, centred 10 points above the
// bottom edge; shrunk on a page too narrow for it, and on one too narrow
// for 5 points, broken into two lines at a " · ". pdfcpu puts it in a form
// drawn on top of the page, turned to match the page's rotation.
const (
	stampPoints    = 7
	stampMinPoints = 5
	stampInset     = 18 // minimum space left and right of the stamp
	stampDesc      = "fontname:Helvetica, points:%d, position:bc, offset:0 10, scalefactor:%.2f abs, rotation:0, fillcolor:#303030, opacity:0.9"
)

// stampPages stamps line on every page; pages that take the same stamp
// size share one stamp form.
func stampPages(pc *model.Context, line string) error {
	line = ToWinAnsi(line)
	twoLines := splitLine(line)
	natural := width(encodeWinAnsi(line), false, stampPoints)
	naturalTwo := 0.0
	for _, l := range strings.Split(twoLines, "\n") {
		naturalTwo = max(naturalTwo, width(encodeWinAnsi(l), false, stampPoints))
	}
	stamps := map[string]*model.Watermark{}
	m := map[int]*model.Watermark{}
	for i := 1; i <= pc.PageCount; i++ {
		_, _, attrs, err := pc.PageDict(i, false)
		if err != nil {
			return fmt.Errorf("page %d: %w", i, err)
		}
		vp := attrs.MediaBox
		if attrs.CropBox != nil {
			vp = attrs.CropBox
		}
		if vp == nil {
			return fmt.Errorf("page %d: no page size", i)
		}
		w := vp.Width()
		if attrs.Rotate%180 != 0 {
			w = vp.Height()
		}
		text, scale := line, (w-2*stampInset)/natural
		if scale*stampPoints < stampMinPoints {
			text, scale = twoLines, (w-2*stampInset)/naturalTwo
		}
		scale = max(0.2, min(1, math.Floor(scale*100)/100)) // down: never wider than the page
		key := fmt.Sprintf("%.2f %s", scale, text)
		wm, ok := stamps[key]
		if !ok {
			// pdfcpu reads % as the start of a page number or date tag; %% is %.
			wm, err = api.TextWatermark(strings.ReplaceAll(text, "%", "%%"), fmt.Sprintf(stampDesc, stampPoints, scale), true, false, types.POINTS)
			if err != nil {
				return err
			}
			stamps[key] = wm
		}
		m[i] = wm
	}
	return pdfcpu.AddWatermarksMap(pc, m)
}

// splitLine breaks a stamp line in two at the " · " nearest its middle.
func splitLine(line string) string {
	const sep = " · "
	best := -1
	for i := 0; i+len(sep) <= len(line); i++ {
		if line[i:i+len(sep)] == sep && (best < 0 || abs(i-len(line)/2) < abs(best-len(line)/2)) {
			best = i
		}
	}
	if best < 0 {
		return line
	}
	return line[:best] + " ·\n" + line[best+len(sep):]
}

func abs(n int) int { return max(n, -n) }

// appendRecord adds the approval record's pages at the end of the page
// tree.
func appendRecord(pc *model.Context, c Copy) error {
	root, err := pc.Pages()
	if err != nil {
		return err
	}
	if root == nil {
		return errors.New("missing page tree")
	}
	rootDict, err := pc.DereferenceDict(*root)
	if err != nil {
		return err
	}
	kids, err := pc.DereferenceArray(rootDict["Kids"])
	if err != nil {
		return err
	}
	font := func(name string) (*types.IndirectRef, error) {
		return pc.IndRefForNewObject(types.Dict{
			"Type":     types.Name("Font"),
			"Subtype":  types.Name("Type1"),
			"BaseFont": types.Name(name),
			"Encoding": types.Name("WinAnsiEncoding"),
		})
	}
	regular, err := font(fontName(false))
	if err != nil {
		return err
	}
	bold, err := font(fontName(true))
	if err != nil {
		return err
	}
	box := types.RectForDim(recordWidth, recordHeight).Array()
	pages := paginate(c, recordLines(c))
	for _, p := range pages {
		sd, err := pc.NewStreamDictForBuf(content(p))
		if err != nil {
			return err
		}
		if err := sd.Encode(); err != nil {
			return err
		}
		contents, err := pc.IndRefForNewObject(*sd)
		if err != nil {
			return err
		}
		// Rotate, CropBox and Resources are set on the page itself so
		// none is inherited from the original's page tree.
		page, err := pc.IndRefForNewObject(types.Dict{
			"Type":      types.Name("Page"),
			"Parent":    *root,
			"MediaBox":  box,
			"CropBox":   box,
			"Rotate":    types.Integer(0),
			"Resources": types.Dict{"Font": types.Dict{"F1": *regular, "F2": *bold}},
			"Contents":  *contents,
		})
		if err != nil {
			return err
		}
		kids = append(kids, *page)
	}
	count, _ := rootDict.Find("Count")
	n, err := pc.DereferenceInteger(count)
	if err != nil || n == nil {
		return fmt.Errorf("page tree count: %v", err)
	}
	rootDict.Update("Kids", kids)
	rootDict.Update("Count", types.Integer(n.Value()+len(pages)))
	pc.PageCount += len(pages)
	return nil
}
