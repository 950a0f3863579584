package document_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"strings"
	"testing"

	"dossier/internal/document"
	"dossier/internal/errs"
	"dossier/internal/pdfdoc"
)

func TestNewRevision(t *testing.T) {
	e := newEnv(t)
	d := e.mustCreate(t, policy("ISMS-POL-001"))
	prefix := "documents/" + d.ID + "/"
	t.Run("OKPDF", func(t *testing.T) {
		data := policyPDF("First issue")
		var r document.Revision
		var err error
		d, r, err = e.svc.NewRevision(as(controller), domain, d.ID, d.Version,
			document.RevisionInput{ChangeSummary: "First issue", File: spool(t, "policy.pdf", data)})
		if err != nil {
			t.Fatal(err)
		}
		sum := sha256.Sum256(data)
		if r.Label() != "1.0" || r.State != document.Draft || r.Format != document.PDF || r.File.SHA256 != hex.EncodeToString(sum[:]) ||
			r.File.VersionID == "" || r.File.Pages != 1 || r.Author != controller || !strings.HasPrefix(r.File.Key, prefix) {
			t.Fatalf("revision %+v", r)
		}
		if want := e.today().AddDate(6, 0, 0); !r.File.RetainUntil.Equal(want) {
			t.Fatalf("retain until %v, want %v", r.File.RetainUntil, want)
		}
		_, rd, err := e.svc.OpenRevision(as(staff1), domain, d.ID, r.N)
		if err != nil {
			t.Fatal(err)
		}
		got, err := io.ReadAll(rd)
		rd.Close()
		if err != nil || string(got) != string(data) {
			t.Fatalf("read back %d bytes, %v", len(got), err)
		}
		if a := e.audit.Last(t, "document.revision_create"); a.Details["sha256"] != r.File.SHA256 || a.Details["revision"] != "1.0" {
			t.Fatalf("audit %v", a.Details)
		}
	})
	t.Run("OKMarkdownMinor", func(t *testing.T) {
		var r document.Revision
		var err error
		d, r, err = e.svc.NewRevision(as(controller), domain, d.ID, d.Version,
			document.RevisionInput{ChangeSummary: "Typos", Markdown: "# Policy\n\nAll staff protect patient data.\n"})
		if err != nil {
			t.Fatal(err)
		}
		if r.Label() != "1.1" || r.Format != document.Markdown || !strings.HasPrefix(r.File.ContentType, "text/markdown") || len(r.File.SHA256) != 64 {
			t.Fatalf("revision %+v", r)
		}
		_, rd, err := e.svc.OpenRevision(as(staff1), domain, d.ID, r.N)
		if err != nil {
			t.Fatal(err)
		}
		got, _ := io.ReadAll(rd)
		rd.Close()
		if !strings.Contains(string(got), "patient data") {
			t.Fatalf("markdown %q", got)
		}
	})
	t.Run("OKMajor", func(t *testing.T) {
		_, r := e.mustRevise(t, d, true, "Rewritten for ISO 27001:2022")
		if r.Label() != "2.0" {
			t.Fatalf("label %s", r.Label())
		}
		d, _ = e.svc.Get(as(controller), domain, d.ID)
	})
	refused := []struct {
		name  string
		in    func(t *testing.T) document.RevisionInput
		field []string
		words string
	}{
		{"ErrNotAPDF", func(t *testing.T) document.RevisionInput {
			return document.RevisionInput{ChangeSummary: "x", File: spool(t, "policy.pdf", []byte("plain text pretending\n"))}
		}, []string{"file"}, "not a PDF"},
		{"ErrCorruptPDF", func(t *testing.T) document.RevisionInput {
			return document.RevisionInput{ChangeSummary: "x", File: spool(t, "policy.pdf", pdfdoc.Text("Truncated")[:200])}
		}, []string{"file"}, "could not be read"},
		{"ErrNoSummaryNoContent", func(t *testing.T) document.RevisionInput {
			return document.RevisionInput{}
		}, []string{"file", "change_summary"}, ""},
		{"ErrBoth", func(t *testing.T) document.RevisionInput {
			return document.RevisionInput{ChangeSummary: "x", Markdown: "# x", File: spool(t, "p.pdf", policyPDF())}
		}, []string{"file"}, "not both"},
	}
	for _, tc := range refused {
		t.Run(tc.name, func(t *testing.T) {
			before := e.objects(t, prefix)
			_, _, err := e.svc.NewRevision(as(controller), domain, d.ID, d.Version, tc.in(t))
			wantCode(t, err, errs.Invalid)
			wantFields(t, err, tc.field...)
			wantMessage(t, err, tc.words)
			if n := e.objects(t, prefix); n != before {
				t.Fatalf("%d objects after a refused upload, had %d", n, before)
			}
			if got, _ := e.svc.Get(as(controller), domain, d.ID); got.Version != d.Version {
				t.Fatalf("a refused upload changed the document")
			}
		})
	}
	t.Run("ErrStale", func(t *testing.T) {
		_, _, err := e.svc.NewRevision(as(controller), domain, d.ID, d.Version-1, document.RevisionInput{ChangeSummary: "x", Markdown: "# x"})
		wantCode(t, err, errs.Conflict)
	})
}

func TestEditDraft(t *testing.T) {
	e := newEnv(t)
	d := e.mustCreate(t, policy("ISMS-POL-001"))
	d, r := e.mustRevise(t, d, false, "First issue")
	t.Run("ErrNotAuthor", func(t *testing.T) {
		_, err := e.svc.EditDraft(as(approver1), domain, d.ID, d.Version, r.N, document.RevisionInput{ChangeSummary: "Mine", Markdown: "# x"})
		wantCode(t, err, errs.Forbidden)
	})
	t.Run("OK", func(t *testing.T) {
		got, err := e.svc.EditDraft(as(controller), domain, d.ID, d.Version, r.N, document.RevisionInput{ChangeSummary: "First issue, in Markdown", Markdown: "# Policy"})
		if err != nil {
			t.Fatal(err)
		}
		nr, _ := got.Revision(r.N)
		if nr.Format != document.Markdown || nr.File.SHA256 == r.File.SHA256 || nr.ChangeSummary != "First issue, in Markdown" || nr.Label() != "1.0" {
			t.Fatalf("edited %+v", nr)
		}
		d = got
	})
	t.Run("ErrSubmitted", func(t *testing.T) {
		var err error
		if d, err = e.svc.Submit(as(controller), domain, d.ID, d.Version, r.N); err != nil {
			t.Fatal(err)
		}
		_, err = e.svc.EditDraft(as(controller), domain, d.ID, d.Version, r.N, document.RevisionInput{ChangeSummary: "Later", Markdown: "# y"})
		wantCode(t, err, errs.Conflict)
		wantMessage(t, err, "cannot change once submitted")
	})
}

func TestOpenRevisionIntegrity(t *testing.T) {
	e := newEnv(t)
	d := e.mustCreate(t, policy("ISMS-POL-001"))
	d, r := e.mustRevise(t, d, false, "First issue")
	_, rd, err := e.svc.OpenRevision(context.Background(), domain, d.ID, r.N)
	if err != nil {
		t.Fatal(err)
	}
	defer rd.Close()
	if rd.SHA256 != r.File.SHA256 {
		t.Fatalf("reader checks %s, want %s", rd.SHA256, r.File.SHA256)
	}
	_, _, err = e.svc.OpenRevision(context.Background(), domain, d.ID, 99)
	wantCode(t, err, errs.NotFound)
}

// Reading a Markdown revision on its page checks it and is audited as a
// reading; a PDF revision has no text to read.
func TestReadText(t *testing.T) {
	e := newEnv(t)
	d := e.mustCreate(t, policy("ISMS-POL-001"))
	d, r, err := e.svc.NewRevision(as(controller), domain, d.ID, d.Version, document.RevisionInput{ChangeSummary: "First issue.", Markdown: "# Policy\n\nProtect patient data."})
	if err != nil {
		t.Fatal(err)
	}
	text, err := e.svc.ReadText(as(staff1), domain, d.ID, r.N)
	if err != nil || text != "# Policy\n\nProtect patient data." {
		t.Fatalf("read %q, %v", text, err)
	}
	if a := e.audit.Last(t, "document.read"); a.Details["revision"] != "1.0" || a.Actor.ID != staff1 {
		t.Fatalf("audit %+v", a)
	}
	_, pdf := e.mustRevise(t, d, false, "As a PDF")
	_, err = e.svc.ReadText(as(staff1), domain, d.ID, pdf.N)
	wantCode(t, err, errs.Conflict)
}
