package stamp

import (
	"bytes"
	"context"
	"crypto/sha256"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pdfcpu/pdfcpu/pkg/api"
	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/model"

	"dossier/internal/errs"
	"dossier/internal/pdfdoc"
	"dossier/internal/stamp/stamptest"
)

func testCopy(revisions int) Copy {
	at := time.Date(2026, 12, 3, 14, 22, 0, 0, time.UTC)
	c := Copy{
		Number:    "ISMS-POL-001",
		Title:     "Information security policy",
		Revision:  "3.0",
		Effective: time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC),
		IssuedTo:  "Søren Müller-Łukasiewicz",
		IssuedAt:  at,
		Approvals: []Approval{
			{Name: "José Ñúñez", Meaning: "Approved as CISO", At: at.Add(-72 * time.Hour), SHA256: fmt.Sprintf("%x", sha256.Sum256([]byte("rev 3.0")))},
			{Name: "Anne O'Brien (DPO)", Meaning: "Reviewed for privacy", At: at.Add(-48 * time.Hour), SHA256: fmt.Sprintf("%x", sha256.Sum256([]byte("rev 3.0")))},
		},
	}
	for i := revisions; i >= 1; i-- {
		state := "superseded"
		if i == revisions {
			state = "effective"
		}
		c.History = append(c.History, HistoryEntry{
			Revision: fmt.Sprintf("%d.0", i),
			State:    state,
			Date:     time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, i, 0),
			Summary:  fmt.Sprintf("Revision %d: clarified supplier access reviews, remote work and the incident reporting chain (%d%% of sections touched).", i, i),
		})
	}
	return c
}

// writePDF writes pdf to a file in a test folder and returns its path.
func writePDF(t *testing.T, pdf []byte) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "original.pdf")
	if err := os.WriteFile(p, pdf, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func pageTexts(t *testing.T, pdf []byte) []string {
	t.Helper()
	texts, err := pdfdoc.PageTexts(bytes.NewReader(pdf))
	if err != nil {
		t.Fatalf("extract text of the copy: %v", err)
	}
	return texts
}

// hasLine reports whether line is one of text's lines. The stamp is one
// line on every page but the narrow receipt of stamptest.Mixed, where it
// takes two.
func hasLine(text, line string) bool {
	for _, l := range strings.Split(text, "\n") {
		if l == line {
			return true
		}
	}
	return false
}

func TestStamp(t *testing.T) {
	s := New(Options{})
	for name, c := range map[string]struct {
		pdf       []byte
		pages     int
		revisions int
		minRecord int // pages the record takes at least
	}{
		"OK":               {pdfdoc.Blank(3), 3, 3, 1},
		"OKMixedSizes":     {stamptest.Mixed(), 5, 3, 1},
		"OKLongHistory":    {pdfdoc.Text("Policy text"), 1, 40, 2},
		"OKNoApprovalsYet": {pdfdoc.Blank(1), 1, 0, 1},
	} {
		t.Run(name, func(t *testing.T) {
			src := writePDF(t, c.pdf)
			cp := testCopy(c.revisions)
			if c.revisions == 0 {
				cp.Approvals = nil
			}
			var out bytes.Buffer
			n, err := s.Stamp(t.Context(), src, &out, cp)
			if err != nil {
				t.Fatal(err)
			}
			if n < c.pages+c.minRecord {
				t.Fatalf("copy has %d pages; want at least %d + %d", n, c.pages, c.minRecord)
			}
			if after, _ := os.ReadFile(src); !bytes.Equal(after, c.pdf) {
				t.Error("the original changed")
			}
			texts := pageTexts(t, out.Bytes())
			if len(texts) != n {
				t.Fatalf("Stamp says %d pages, the copy has %d", n, len(texts))
			}
			line := ToWinAnsi(cp.Line())
			want := "Controlled copy · ISMS-POL-001 rev 3.0 · effective 2026-12-01 · issued to Søren Müller-Lukasiewicz 2026-12-03 14:22 UTC · uncontrolled when printed"
			if line != want {
				t.Fatalf("stamp line %q\nwant       %q", line, want)
			}
			first, second, _ := strings.Cut(splitLine(want), "\n")
			for i, text := range texts {
				if !hasLine(text, want) && !(hasLine(text, first) && hasLine(text, second) && c.pages == 5 && i == 3) {
					t.Errorf("page %d does not carry the stamp line; its text:\n%s", i+1, text)
				}
			}
			if strings.Contains(string(c.pdf), "Body of page") {
				for i := range c.pages {
					if !strings.Contains(texts[i], fmt.Sprintf("Body of page %d", i+1)) {
						t.Errorf("page %d lost its own text:\n%s", i+1, texts[i])
					}
				}
			}
			record := strings.Join(texts[c.pages:], "\n")
			for _, s := range []string{
				"ISMS-POL-001 Information security policy, rev 3.0",
				"Approvals", "Revision history",
			} {
				if !strings.Contains(record, s) {
					t.Errorf("record lacks %q:\n%s", s, record)
				}
			}
			for _, a := range cp.Approvals {
				for _, s := range []string{a.Name, a.Meaning, stampTime(a.At), a.SHA256} {
					if !strings.Contains(record, s) {
						t.Errorf("record lacks approval detail %q:\n%s", s, record)
					}
				}
			}
			for _, h := range cp.History {
				if !strings.Contains(record, "rev "+h.Revision+" · "+h.State) {
					t.Errorf("record lacks revision %s:\n%s", h.Revision, record)
				}
			}
			if c.revisions > 0 && !strings.Contains(record, "(3% of sections") {
				t.Errorf("record lacks a summary with %%:\n%s", record)
			}
		})
	}
}

// TestRecordWraps checks every record line fits its page.
func TestRecordWraps(t *testing.T) {
	c := testCopy(40)
	c.Title = strings.Repeat("Very long title word ", 12)
	c.Approvals[0].SHA256 = strings.Repeat("ab", 100)
	pages := paginate(c, recordLines(c))
	if len(pages) < 2 {
		t.Fatalf("40 revisions fit on %d page", len(pages))
	}
	for i, p := range pages {
		y := float64(recordHeight - marginTop)
		for _, l := range p {
			y -= l.gap + l.size*1.3
			if right := l.x + width(l.text, l.bold, l.size); right > recordWidth-marginX+0.01 {
				t.Errorf("page %d: %q ends at %.1f", i+1, l.text, right)
			}
			if y < marginBottom {
				t.Errorf("page %d: %q at y %.1f, in the stamp's margin", i+1, l.text, y)
			}
		}
	}
}

func TestToWinAnsi(t *testing.T) {
	for in, want := range map[string]string{
		"a · b":               "a · b",
		"Søren Ærø Ñúñez ß":   "Søren Ærø Ñúñez ß",
		"Šimek Žák “Œuvre” –": "Šimek Žák “Œuvre” –",
		"Łukasz Dvořák Őry":   "Lukasz Dvorák Ory",
		"Ștefan Țugui":        "Stefan Tugui",
		"Иван 王":              "???? ?",
		"tab\there":           "tab here",
	} {
		if got := ToWinAnsi(in); got != want {
			t.Errorf("ToWinAnsi(%q) = %q; want %q", in, got, want)
		}
	}
}

func TestStampErrors(t *testing.T) {
	t.Run("ErrInvalidCorrupt", func(t *testing.T) {
		pdf := pdfdoc.Blank(2)
		src := writePDF(t, pdf[:len(pdf)/2])
		var out bytes.Buffer
		_, err := New(Options{}).Stamp(t.Context(), src, &out, testCopy(1))
		if !errs.Is(err, errs.Invalid) || !strings.HasPrefix(errs.Message(err), "This PDF cannot be stamped: ") {
			t.Fatalf("got %v; want invalid, This PDF cannot be stamped: …", err)
		}
		if out.Len() != 0 {
			t.Errorf("%d bytes written", out.Len())
		}
		t.Log(errs.Message(err))
	})
	t.Run("ErrInvalidNotPDF", func(t *testing.T) {
		src := writePDF(t, []byte("PK\x03\x04 this is a zip file"))
		var out bytes.Buffer
		_, err := New(Options{}).Stamp(t.Context(), src, &out, testCopy(1))
		if !errs.Is(err, errs.Invalid) || out.Len() != 0 {
			t.Fatalf("got %v and %d bytes; want invalid and none", err, out.Len())
		}
		t.Log(errs.Message(err))
	})
	t.Run("ErrUnavailableTimeout", func(t *testing.T) {
		src := writePDF(t, stamptest.TextPDF(400, 40))
		var out bytes.Buffer
		_, err := New(Options{Timeout: time.Millisecond}).Stamp(t.Context(), src, &out, testCopy(1))
		if !errs.Is(err, errs.Unavailable) || out.Len() != 0 {
			t.Fatalf("got %v and %d bytes; want unavailable and none", err, out.Len())
		}
		t.Log(errs.Message(err))
	})
	t.Run("ErrUnavailableNoWorker", func(t *testing.T) {
		s := New(Options{Workers: 1})
		s.slots <- struct{}{} // the one worker is busy
		defer func() { <-s.slots }()
		ctx, cancel := context.WithTimeout(t.Context(), 20*time.Millisecond)
		defer cancel()
		var out bytes.Buffer
		_, err := s.Stamp(ctx, writePDF(t, pdfdoc.Blank(1)), &out, testCopy(1))
		if !errs.Is(err, errs.Unavailable) || out.Len() != 0 {
			t.Fatalf("got %v and %d bytes; want unavailable and none", err, out.Len())
		}
	})
	t.Run("ErrNotFound", func(t *testing.T) {
		_, err := New(Options{}).Stamp(t.Context(), filepath.Join(t.TempDir(), "missing.pdf"), &bytes.Buffer{}, testCopy(1))
		if !errs.Is(err, errs.Internal) {
			t.Fatalf("got %v; want internal (the store lost the original)", err)
		}
	})
}

// TestStampConcurrent runs more copies at once than there are workers: all
// wait their turn and succeed.
func TestStampConcurrent(t *testing.T) {
	s := New(Options{Workers: 2})
	src := writePDF(t, pdfdoc.Blank(5))
	var wg sync.WaitGroup
	errc := make(chan error, 8)
	for range 8 {
		wg.Go(func() {
			var out bytes.Buffer
			n, err := s.Stamp(t.Context(), src, &out, testCopy(2))
			if err == nil && (n != 6 || !bytes.HasPrefix(out.Bytes(), []byte("%PDF-"))) {
				err = fmt.Errorf("%d pages, %d bytes", n, out.Len())
			}
			errc <- err
		})
	}
	wg.Wait()
	close(errc)
	for err := range errc {
		if err != nil {
			t.Error(err)
		}
	}
	if len(s.slots) != 0 {
		t.Errorf("%d workers still taken", len(s.slots))
	}
}

// encrypt encrypts pdf with pdfcpu: AES-256, the given user password (""
// opens without one) and an owner password.
func encrypt(t *testing.T, pdf []byte, userPW string) []byte {
	t.Helper()
	conf := model.NewDefaultConfiguration()
	conf.UserPW, conf.OwnerPW = userPW, "owner-secret"
	var out bytes.Buffer
	if err := api.Encrypt(bytes.NewReader(pdf), &out, conf); err != nil {
		t.Fatal(err)
	}
	return out.Bytes()
}

func TestStampEncrypted(t *testing.T) {
	s := New(Options{})
	t.Run("ErrInvalidPassword", func(t *testing.T) {
		var out bytes.Buffer
		_, err := s.Stamp(t.Context(), writePDF(t, encrypt(t, pdfdoc.Blank(2), "user-secret")), &out, testCopy(1))
		if !errs.Is(err, errs.Invalid) || !strings.Contains(errs.Message(err), "password") || out.Len() != 0 {
			t.Fatalf("got %v and %d bytes; want invalid about the password, nothing written", err, out.Len())
		}
		t.Log(errs.Message(err))
	})
	t.Run("OKPermissionsOnly", func(t *testing.T) {
		// Opens without a password (only the owner password is set):
		// pdfcpu decrypts it and the copy keeps its encryption.
		var out bytes.Buffer
		n, err := s.Stamp(t.Context(), writePDF(t, encrypt(t, pdfdoc.Blank(2), "")), &out, testCopy(1))
		if err != nil {
			t.Fatal(err)
		}
		texts := pageTexts(t, out.Bytes())
		if n != 3 || len(texts) != 3 || !hasLine(texts[0], ToWinAnsi(testCopy(1).Line())) {
			t.Fatalf("%d pages, texts %q", n, texts)
		}
	})
}
