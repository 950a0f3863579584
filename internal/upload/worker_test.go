package upload

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"dossier/internal/errs"
)

func pdfFile(t *testing.T) *File {
	t.Helper()
	p := filepath.Join(t.TempDir(), "x.pdf")
	if err := os.WriteFile(p, []byte("%PDF-1.7\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return &File{Path: p, Size: 9}
}

// A check given up on keeps its worker until pdfcpu really returns, so a
// stuck PDF cannot make room for more than Workers at once.
func TestWorkerBoundHoldsAfterTimeout(t *testing.T) {
	c := NewChecker(Options{Workers: 1, Timeout: 50 * time.Millisecond})
	release := make(chan struct{})
	running := make(chan struct{}, 10)
	c.inspect = func(ctx context.Context, file string) pdfResult {
		running <- struct{}{}
		<-release // ignores ctx, as pdfcpu's validation does
		return pdfResult{pages: 1}
	}
	ctx := context.Background()

	err := c.Check(ctx, pdfFile(t), "evidence", PDF)
	if !errs.Is(err, errs.Invalid) || errs.FieldOf(err) != "evidence" || !strings.Contains(errs.Message(err), "could not be checked within") {
		t.Fatalf("first: got %v", err)
	}
	// The stuck check still holds the only worker: the next waits, then is
	// told the server is busy, and never starts.
	err = c.Check(ctx, pdfFile(t), "evidence", PDF)
	if !errs.Is(err, errs.Unavailable) {
		t.Fatalf("second: got %v, want unavailable", err)
	}
	if len(running) != 1 {
		t.Fatalf("%d checks ran at once, want 1", len(running))
	}
	close(release)
	// Once it ends, the worker is free again.
	f := pdfFile(t)
	if err := c.Check(ctx, f, "evidence", PDF); err != nil || f.Pages != 1 {
		t.Fatalf("third: %v %+v", err, f)
	}
}

func TestPanicInPDFCheckIsAnError(t *testing.T) {
	c := NewChecker(Options{Workers: 1})
	c.inspect = func(context.Context, string) pdfResult { panic("index out of range") }
	err := c.Check(context.Background(), pdfFile(t), "evidence", PDF)
	if !errs.Is(err, errs.Invalid) || !strings.HasPrefix(errs.Message(err), "The PDF could not be read: ") {
		t.Fatalf("got %v", err)
	}
	// and the worker came back
	c.inspect = func(context.Context, string) pdfResult { return pdfResult{pages: 2} }
	if err := c.Check(context.Background(), pdfFile(t), "evidence", PDF); err != nil {
		t.Fatal(err)
	}
}

func TestCancelledWhileWaitingIsUnavailable(t *testing.T) {
	c := NewChecker(Options{Workers: 1, Timeout: time.Minute})
	c.slots <- struct{}{} // the only worker is busy
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := c.Check(ctx, pdfFile(t), "evidence", PDF); !errs.Is(err, errs.Unavailable) {
		t.Fatalf("got %v", err)
	}
}
