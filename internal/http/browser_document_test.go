package http_test

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"dossier/internal/authz"
	"dossier/internal/pdfdoc"
	"dossier/internal/testkit"
)

// TestBrowserDocument: in headless Chromium the document controller adds a
// policy, uploads its PDF and sends it for approval; an approver signs it
// with their password; the controller publishes it; a staff member finds
// it among what they are to read, acknowledges it and downloads a
// controlled copy whose every page carries the stamp.
func TestBrowserDocument(t *testing.T) {
	a := testkit.StartApp(t)
	controller := a.User(t, authz.RoleDocumentController)
	approver := a.User(t, authz.RoleApprover)
	staff := a.User(t, authz.RoleStaff)
	shots := t.TempDir()
	pdf := filepath.Join(t.TempDir(), "acceptable-use.pdf")
	if err := os.WriteFile(pdf, pdfdoc.Text("Acceptable use policy", "1. Use hospital systems for hospital work.", "2. Report phishing at once."), 0o600); err != nil {
		t.Fatal(err)
	}
	signIn := func(u testkit.User) *testkit.Page {
		p := testkit.Chrome(t)
		p.Open(a.URL + "/signin")
		p.Fill("#email", u.Email)
		p.Fill("#password", u.Password)
		p.Submit(`form[action="/signin"] button[type=submit]`)
		return p
	}

	p := signIn(controller)
	p.Open(a.URL + "/documents")
	p.Submit(`a[href="/documents/new"]`)
	p.Fill("#number", "isms-pol-007")
	p.Fill("#title", "Acceptable use policy")
	p.Fill("#controls", "A.5.10")
	p.Screenshot(filepath.Join(shots, "form.png"))
	p.Submit(`form.form button[type=submit]`)
	if !strings.Contains(p.Text(".flash"), "Added to the register") {
		t.Fatalf("after the form: %s\n%s", p.URL(), p.Text("main"))
	}
	docURL := p.URL()
	p.Submit(`a[href$="/revisions/new"]`)
	p.Upload("#file", pdf)
	p.Fill("#change-summary", "First issue.")
	p.Submit(`form.form button[type=submit]`)
	if got := p.Text(".flash"); !strings.Contains(got, "Draft 1.0 saved") {
		t.Fatalf("after the upload: %q\n%s", got, p.Text("main"))
	}
	revisionURL := p.URL()
	p.Submit(`form[action$="/submit"] button[type=submit]`)
	if got := p.Text(".flash"); got != "Sent for review and approval." {
		t.Fatalf("after sending it for approval: %q", got)
	}
	if p.Exists(`form.sign`) {
		t.Fatal("the author is offered the signature form")
	}

	q := signIn(approver)
	q.Open(revisionURL)
	q.Fill("#password", approver.Password)
	q.Screenshot(filepath.Join(shots, "sign.png"))
	q.Submit(`form.sign button[type=submit]`)
	if got := q.Text(".flash"); got != "Signed: approved." {
		t.Fatalf("after signing: %q\n%s", got, q.Text("main"))
	}
	if !strings.Contains(q.Text("main"), approver.Name) || !strings.Contains(q.Text("main"), "intact") {
		t.Fatalf("the signature is not listed as intact:\n%s", q.Text("main"))
	}

	p.Open(revisionURL)
	p.Submit(`form[action$="/publish"] button[type=submit]`)
	if got := p.Text(".flash"); got != "Published." {
		t.Fatalf("after publishing: %q\n%s", got, p.Text("main"))
	}

	s := signIn(staff)
	if got := s.Text("section.tasks"); !strings.Contains(got, "ISMS-POL-007 Acceptable use policy") {
		t.Fatalf("the staff member's home page lists %q", got)
	}
	s.Submit(`section.tasks a`)
	if s.URL() != docURL {
		t.Fatalf("the task leads to %s, want %s", s.URL(), docURL)
	}
	if s.Exists("#revs-h") || s.Exists("#hist-h") {
		t.Fatal("staff see the revision history and the audit trail")
	}
	s.Screenshot(filepath.Join(shots, "staff.png"))
	s.Submit(`section.ack button[type=submit]`)
	if got := s.Text(".flash"); !strings.Contains(got, "you acknowledged ISMS-POL-007 rev 1.0") {
		t.Fatalf("after acknowledging: %q", got)
	}
	if s.Exists("section.tasks") {
		t.Error("the task is still on the home page")
	}
	status, copy := s.Fetch(strings.TrimPrefix(docURL, a.URL) + "/copy")
	if status != 200 {
		t.Fatalf("controlled copy: %d %s", status, copy)
	}
	pages, err := pdfdoc.PageTexts(bytes.NewReader(copy))
	if err != nil || len(pages) < 2 {
		t.Fatalf("the copy has %d page(s): %v", len(pages), err)
	}
	for i, text := range pages {
		flat := strings.Join(strings.Fields(text), " ")
		for _, want := range []string{"Controlled copy", "ISMS-POL-007 rev 1.0", "issued to " + staff.Name, "uncontrolled when printed"} {
			if !strings.Contains(flat, want) {
				t.Errorf("page %d lacks %q: %q", i+1, want, flat)
			}
		}
	}
	if !strings.Contains(strings.Join(pages, " "), "Acceptable use policy") {
		t.Error("the copy lost the original's text")
	}
}
