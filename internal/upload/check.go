package upload

import (
	"context"
	"errors"
	"fmt"
	"image"
	_ "image/jpeg" // image.DecodeConfig for JPEG
	_ "image/png"  // image.DecodeConfig for PNG
	"os"
	"path"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/pdfcpu/pdfcpu/pkg/api"
	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu"
	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/model"

	"dossier/internal/errs"
	"dossier/internal/text"
)

// Options tune a Checker. Zero values take the defaults.
type Options struct {
	// Workers is how many PDFs may be checked at once (default 2): pdfcpu
	// can take seconds of CPU and hundreds of megabytes on a hostile file.
	Workers int
	// Timeout bounds one PDF check (default 20s), and also the wait for a
	// free worker.
	Timeout time.Duration
	// MaxPDF is the largest PDF handed to pdfcpu (default 64 MiB).
	MaxPDF int64
	// MaxPixels bounds an image's width × height (default 100 million), so
	// a later thumbnail or stamp cannot be made to allocate gigabytes.
	MaxPixels int64
}

// Checker checks spooled files. Its PDF worker pool is its own; make one
// per process and share it.
type Checker struct {
	slots     chan struct{}
	timeout   time.Duration
	maxPDF    int64
	maxPixels int64
	inspect   func(ctx context.Context, file string) pdfResult // inspectPDF; tests stand in
}

// pdfcpuConfigDir switches pdfcpu off its per-user config folder once:
// a server must not read or create ~/.config/pdfcpu. It is pdfcpu's global,
// not ours; Once keeps the switch from racing checks already running.
var pdfcpuConfigDir sync.Once

// NewChecker makes a Checker.
func NewChecker(o Options) *Checker {
	pdfcpuConfigDir.Do(api.DisableConfigDir)
	if o.Workers <= 0 {
		o.Workers = 2
	}
	if o.Timeout <= 0 {
		o.Timeout = 20 * time.Second
	}
	if o.MaxPDF <= 0 {
		o.MaxPDF = 64 << 20
	}
	if o.MaxPixels <= 0 {
		o.MaxPixels = 100_000_000
	}
	return &Checker{slots: make(chan struct{}, o.Workers), timeout: o.Timeout, maxPDF: o.MaxPDF, maxPixels: o.MaxPixels, inspect: inspectPDF}
}

// Check tells f's kind from its content and refuses it unless it is one of
// allowed; errors are about field. It fills f.Kind and f.ContentType, and
// for a PDF, f.Pages and f.Encrypted.
//
// A PDF is read and validated by pdfcpu (relaxed mode, as viewers are). An
// encrypted PDF is accepted and marked Encrypted: one that opens without a
// password (only permissions restricted) is validated like any other; one
// that needs a password to open cannot be read, so its Pages stay 0.
func (c *Checker) Check(ctx context.Context, f *File, field string, allowed ...Kind) error {
	if f.Size == 0 {
		return errs.Field(field, "The file is empty.")
	}
	r, err := f.Open()
	if err != nil {
		return errs.Wrap(errs.Internal, err, "open spooled upload")
	}
	kind, seems := Sniff(r, f.Size)
	r.Close()
	if kind == "" || !slices.Contains(allowed, kind) {
		return refusal(field, f.Name, kind, seems, allowed)
	}
	f.Kind, f.ContentType = kind, kind.ContentType()
	switch kind {
	case PDF:
		if f.Size > c.maxPDF {
			return &errs.Error{Code: errs.TooLarge, Field: field, Message: fmt.Sprintf("A PDF can be at most %s.", FormatSize(c.maxPDF))}
		}
		res, err := c.checkPDF(ctx, f.Path, field)
		if err != nil {
			return err
		}
		f.Pages, f.Encrypted = res.pages, res.encrypted
	case PNG, JPEG:
		return c.checkImage(f, field)
	}
	return nil
}

// refusal explains why a file is not accepted: what it seems to be, and
// what is. A name that promises a kind the content does not keep is named.
func refusal(field, name string, kind Kind, seems string, allowed []Kind) error {
	if kind != "" {
		seems = kinds[kind].long
	}
	want := "Upload a " + accepted(allowed) + " file."
	if claimed := kindOfName(name); claimed != "" && claimed != kind {
		return errs.Field(field, "The file's name ends in %s but it is not %s: it seems to be %s. %s",
			strings.ToLower(path.Ext(name)), kinds[claimed].long, seems, want)
	}
	return errs.Field(field, "This file is %s. %s", seems, want)
}

func (c *Checker) checkImage(f *File, field string) error {
	r, err := f.Open()
	if err != nil {
		return errs.Wrap(errs.Internal, err, "open spooled upload")
	}
	defer r.Close()
	cfg, _, err := image.DecodeConfig(r)
	if err != nil {
		return &errs.Error{Code: errs.Invalid, Field: field, Message: "The image could not be read; it may be damaged.", Err: err}
	}
	if int64(cfg.Width)*int64(cfg.Height) > c.maxPixels {
		return errs.Field(field, "The image is %d × %d pixels; scan or save it at a lower resolution.", cfg.Width, cfg.Height)
	}
	return nil
}

type pdfResult struct {
	pages     int
	encrypted bool
	err       error
}

// checkPDF runs pdfcpu on the file in a worker: at most cap(c.slots) at
// once, each for at most c.timeout. pdfcpu's validation takes no context,
// so it runs in a goroutine that keeps its slot until it really ends: a
// check given up on still counts against the bound while it runs on.
func (c *Checker) checkPDF(ctx context.Context, file, field string) (pdfResult, error) {
	if err := c.acquire(ctx); err != nil {
		return pdfResult{}, err
	}
	run, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel() // also stops pdfcpu's reading phase, which does take a context
	done := make(chan pdfResult, 1)
	go func() {
		defer func() { <-c.slots }()
		defer func() {
			// A hostile file must not take the server down with it.
			if p := recover(); p != nil {
				done <- pdfResult{err: fmt.Errorf("pdfcpu panicked: %v", p)}
			}
		}()
		done <- c.inspect(run, file)
	}()
	timedOut := func() (pdfResult, error) {
		if ctx.Err() != nil {
			return pdfResult{}, errs.Wrap(errs.Unavailable, ctx.Err(), "The upload was cancelled before the PDF was checked.")
		}
		return pdfResult{}, errs.Field(field, "The PDF could not be checked within %s; it may be damaged or unusually complex. Try saving it again as a new PDF (Print → Save as PDF).", seconds(c.timeout))
	}
	select {
	case res := <-done:
		if res.err != nil && run.Err() != nil && errors.Is(res.err, run.Err()) {
			return timedOut() // pdfcpu's reading noticed the deadline first
		}
		if res.err != nil {
			return res, &errs.Error{Code: errs.Invalid, Field: field, Message: "The PDF could not be read: " + reason(res.err) + ".", Err: res.err}
		}
		if res.pages == 0 && !res.encrypted {
			return res, errs.Field(field, "The PDF has no pages.")
		}
		return res, nil
	case <-run.Done():
		return timedOut()
	}
}

// acquire takes a worker, waiting at most c.timeout for one.
func (c *Checker) acquire(ctx context.Context) error {
	select {
	case c.slots <- struct{}{}:
		return nil
	default:
	}
	wait := time.NewTimer(c.timeout)
	defer wait.Stop()
	select {
	case c.slots <- struct{}{}:
		return nil
	case <-wait.C:
		return errs.E(errs.Unavailable, "Dossier is busy checking other files. Try again in a minute.")
	case <-ctx.Done():
		return errs.Wrap(errs.Unavailable, ctx.Err(), "Dossier is busy checking other files. Try again in a minute.")
	}
}

// inspectPDF reads and validates the PDF in file. Encryption is read from
// the trailer: pdfcpu sets the context's Encrypt reference when the
// trailer has an /Encrypt entry, and decrypts with the empty user password
// when that opens it. A file that needs a real password fails with
// ErrWrongPassword: encrypted, unreadable, page count unknown.
func inspectPDF(ctx context.Context, file string) pdfResult {
	f, err := os.Open(file)
	if err != nil {
		return pdfResult{err: err}
	}
	defer f.Close()
	conf := model.NewDefaultConfiguration()
	conf.ValidationMode = model.ValidationRelaxed
	conf.Cmd = model.VALIDATE
	pc, err := pdfcpu.ReadWithContext(ctx, f, conf)
	if errors.Is(err, pdfcpu.ErrWrongPassword) {
		return pdfResult{encrypted: true}
	}
	if err != nil {
		return pdfResult{err: err}
	}
	if err := api.ValidateContext(pc); err != nil {
		return pdfResult{err: err}
	}
	return pdfResult{pages: pc.PageCount, encrypted: pc.Encrypt != nil}
}

// reason shortens a pdfcpu error for a person: its innermost message,
// without anything that looks like a file path, clipped.
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
	if msg == "" {
		return "it is damaged"
	}
	return text.Clip(msg, 160)
}

// seconds writes a duration for people: "20 seconds".
func seconds(d time.Duration) string {
	if d < time.Second {
		return d.String()
	}
	if s := int(d.Round(time.Second) / time.Second); s != 1 {
		return fmt.Sprintf("%d seconds", s)
	}
	return "1 second"
}
