package http_test

import (
	"context"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"dossier/internal/audit"
	"dossier/internal/authz"
	"dossier/internal/pdfdoc"
	"dossier/internal/testkit"
)

// TestDocumentPages walks a policy through the pages with the mistakes
// people make: every refusal says why, next to the field when there is
// one, and stores nothing.
func TestDocumentPages(t *testing.T) {
	a := testkit.StartApp(t)
	controller := a.User(t, authz.RoleDocumentController)
	approver := a.User(t, authz.RoleApprover)
	staff := a.User(t, authz.RoleStaff)
	reviewer := a.User(t, authz.RoleStaff)
	auditor := a.User(t, authz.RoleAuditor)
	as := func(u testkit.User) *testkit.Browser {
		b := a.Browser(t)
		b.SignIn(u)
		return b
	}
	c := as(controller)
	want := func(r testkit.Response, status int, texts ...string) {
		t.Helper()
		if r.Status != status {
			t.Fatalf("status %d, want %d:\n%s", r.Status, status, r.Body)
		}
		for _, s := range texts {
			if !strings.Contains(r.Body, s) {
				t.Fatalf("the page lacks %q:\n%s", s, r.Body)
			}
		}
	}
	form := func(kv ...string) url.Values {
		v := url.Values{"type": {"policy"}, "classification": {"internal"}, "owner": {controller.ID}, "approver_roles": {authz.RoleApprover}, "audience_roles": {authz.RoleStaff}}
		for i := 0; i+1 < len(kv); i += 2 {
			v.Set(kv[i], kv[i+1])
		}
		return v
	}

	want(c.Post("/documents", form("number", "ISMS-POL-010")), 422, `id="title-error"`, "Enter the title")
	r := c.Post("/documents", form("number", "ISMS-POL-010", "title", "Password policy", "owner", controller.ID))
	want(r, 303)
	path := r.Header.Get("Location")
	if !strings.HasPrefix(path, "/documents/") {
		t.Fatalf("created at %q", path)
	}
	other := c.Post("/documents", form("number", "ISMS-POL-011", "title", "Clear desk policy")).Header.Get("Location")
	want(c.Post("/documents", form("number", "isms-pol-010", "title", "Another")), 409, `id="number-error"`, "already used by")

	t.Run("ErrUploads", func(t *testing.T) {
		for name, data := range map[string][]byte{"notes.pdf": []byte("just some words, not a PDF"), "broken.pdf": []byte("%PDF-1.7\n1 0 obj\n<<")} {
			r := c.Upload(path+"/revisions", map[string]string{"version": "1", "major": "false", "change_summary": "First issue."}, "file", name, data)
			want(r, 422, `id="file-error"`, "Nothing was stored")
		}
		r := c.Upload(path+"/revisions", map[string]string{"version": "1", "major": "false"}, "file", "p.pdf", pdfdoc.Text("Password policy"))
		want(r, 422, `id="change-summary-error"`)
		want(c.Get(path), 200, "No revision yet")
	})

	r = c.Upload(path+"/revisions", map[string]string{"version": "1", "major": "false", "change_summary": "First issue."}, "file", "password-policy.pdf", pdfdoc.Text("Password policy", "Twelve characters at least."))
	want(r, 303)
	rev := r.Header.Get("Location")
	want(c.Post(rev+"/submit", url.Values{"version": {"2"}}), 303)

	t.Run("EditKeepsTheRule", func(t *testing.T) {
		other := strings.TrimPrefix(c.Post("/documents", form("number", "ISMS-POL-012", "title", "Remote work", "approvers", approver.ID,
			"approval.required", "1")).Header.Get("Location"), "/documents/")
		edit := c.Get("/documents/" + other + "/edit")
		want(edit, 200, `name="approval.required" value="1"`)
		want(c.Post("/documents/"+other, form("version", "1", "number", "ISMS-POL-012", "title", "Remote working", "approvers", approver.ID,
			"approval.required", "1")), 303)
		d, err := a.App.Documents.Get(context.Background(), a.Config.Domain, other)
		if err != nil || d.Approval.Required != 1 || d.Title != "Remote working" {
			t.Fatalf("after saving the form: %+v %v", d.Approval, err)
		}
	})
	t.Run("ErrStaleEdit", func(t *testing.T) {
		want(c.Post(path, form("version", "1", "number", "ISMS-POL-010", "title", "Renamed")), 409, "Someone else saved this document")
	})
	t.Run("ErrPublishMissingApprovals", func(t *testing.T) {
		want(c.Post(rev+"/publish", url.Values{"version": {"3"}}), 409, `class="alert"`, "cannot be published", "a holder of role approver")
	})
	t.Run("ErrSelfApproval", func(t *testing.T) {
		// The author holds the approver role too: segregation of duties still refuses.
		ctx := audit.WithActor(context.Background(), audit.Actor{ID: "test"})
		if err := a.App.Authz.AddRole(ctx, controller.ID, authz.RoleApprover, a.Config.Domain); err != nil {
			t.Fatal(err)
		}
		defer func() { _ = a.App.Authz.RemoveRole(ctx, controller.ID, authz.RoleApprover, a.Config.Domain) }()
		page := c.Get(rev)
		want(page, 200, "You wrote revision 1.0")
		if strings.Contains(page.Body, `class="form sign"`) {
			t.Fatal("the author is offered the signature form")
		}
		sha := between(page.Body, "File SHA-256 <code class=\"hash\">", "<")
		want(c.Post(rev+"/sign", url.Values{"meaning": {"approve"}, "password": {controller.Password}, "round": {"1"}, "sha256": {sha}}), 403, "You wrote revision 1.0")
	})
	t.Run("PerDocumentReviewGrant", func(t *testing.T) {
		ctx := audit.WithActor(context.Background(), audit.Actor{ID: "test"})
		if err := a.App.Authz.Grant(ctx, reviewer.ID, a.Config.Domain, authz.Object(authz.ClassDocument, strings.TrimPrefix(path, "/documents/")), authz.Review); err != nil {
			t.Fatal(err)
		}
		b := as(reviewer)
		want(b.Get(rev), 200, "Review comments")
		want(b.Post(rev+"/comments", url.Values{"comment": {"Say who may reset passwords."}}), 303)
		want(b.Post(rev+"/comments", url.Values{"comment": {"   "}}), 422, `id="comment-error"`)
		want(b.Post(other+"/revisions/1/comments", url.Values{"comment": {"Not mine."}}), 403)
	})

	p := as(approver)
	page := p.Get(rev)
	want(page, 200, `form method="post" action="`+rev+`/sign"`, "Say who may reset passwords.")
	sha := between(page.Body, `name="sha256" value="`, `"`)
	want(p.Post(rev+"/sign", url.Values{"meaning": {"approve"}, "password": {"wrong password"}, "round": {"1"}, "sha256": {sha}}), 422, `id="password-error"`)
	want(p.Post(rev+"/sign", url.Values{"meaning": {"reject"}, "password": {approver.Password}, "round": {"1"}, "sha256": {sha}}), 422, `id="reason-error"`)
	want(p.Post(rev+"/sign", url.Values{"meaning": {"reject"}, "reason": {"Name the password manager."}, "password": {approver.Password}, "round": {"1"}, "sha256": {sha}}), 303)
	want(c.Post(rev+"/submit", url.Values{"version": {"4"}}), 303)
	want(p.Post(rev+"/sign", url.Values{"meaning": {"approve"}, "password": {approver.Password}, "round": {"1"}, "sha256": {sha}}), 409, "changed since you opened it")
	want(p.Post(rev+"/sign", url.Values{"meaning": {"reject"}, "reason": {"Section 3 is unclear."}, "password": {approver.Password}, "round": {"1"}, "sha256": {sha}}),
		409, `class="alert"`, "changed since you opened it", ">Section 3 is unclear.</textarea>")
	want(p.Post(rev+"/sign", url.Values{"meaning": {"approve"}, "password": {approver.Password}, "round": {"2"}, "sha256": {sha}}), 303)
	want(c.Post(rev+"/publish", url.Values{"version": {"6"}, "date": {"yesterday"}}), 422, `id="date-error"`)
	want(c.Post(rev+"/publish", url.Values{"version": {"6"}, "date": {dueIn(400)}}), 422, "more than a year away")
	want(c.Post(rev+"/publish", url.Values{"version": {"6"}}), 303)

	s := as(staff)
	want(s.Get("/"), 200, "To read and acknowledge", "ISMS-POL-010 Password policy")
	list := s.Get("/documents")
	want(list, 200, "ISMS-POL-010")
	if strings.Contains(list.Body, "ISMS-POL-011") || strings.Contains(list.Body, "Latest revision") {
		t.Fatalf("staff see a document with nothing in effect, or the workflow column:\n%s", list.Body)
	}
	doc := s.Get(path)
	want(doc, 200, "Download controlled copy", "I have read and understood rev 1.0")
	if strings.Contains(doc.Body, "Say who may reset passwords.") || strings.Contains(doc.Body, `id="revs-h"`) {
		t.Fatal("staff see review comments or the revision history")
	}
	want(s.Get(other), 404)
	if api := s.Get("/api/v1" + path); api.Status != 200 || strings.Contains(api.Body, "password manager") || strings.Contains(api.Body, `"reject"`) {
		t.Fatalf("the API shows staff the review record: %d %s", api.Status, api.Body)
	}
	want(s.Get(rev+"/file"), 403)
	want(s.Post(rev+"/comments", url.Values{"comment": {"hi"}}), 403)
	want(s.Post(path+"/acknowledge", nil), 303)
	want(s.Get(path), 200, "You acknowledged rev 1.0")

	u := as(auditor)
	want(u.Get(path), 200, `id="revs-h"`, "Say who may reset passwords.", `id="hist-h"`)
	want(u.Get(other), 200, "No revision yet")
	want(u.Post(path+"/retire", url.Values{"version": {"6"}, "reason": {"x"}}), 403)
	want(u.Post(rev+"/comments", url.Values{"comment": {"hi"}}), 403)

	t.Run("Redline", func(t *testing.T) {
		v := 7
		for _, text := range []string{"# Password policy\n\nPasswords have twelve characters at least.", "# Password policy\n\nPasswords have fifteen characters at least."} {
			want(c.Upload(path+"/revisions", map[string]string{"version": strconv.Itoa(v), "major": "false", "change_summary": "Longer passwords.", "markdown": text}, "", "", nil), 303)
			v++
		}
		diff := c.Get(path + "/diff?from=2&to=3")
		want(diff, 200, "<del", "twelve", "<ins", "fifteen")
		want(c.Get(path+"/revisions/3"), 200, "<h1 id=\"md-password-policy\">Password policy</h1>")
		want(s.Get(path+"/diff"), 403)
	})
	want(c.Post(path+"/retire", url.Values{"version": {"9"}}), 422, "retire-reason-error")
	want(c.Get(path+"/diff?from=1&to=x"), 400)
}
