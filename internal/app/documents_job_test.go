package app_test

import (
	"bytes"
	"context"
	"testing"
	"time"

	"dossier/internal/access"
	"dossier/internal/app"
	"dossier/internal/audit"
	"dossier/internal/authz"
	"dossier/internal/document"
	"dossier/internal/pdfdoc"
	"dossier/internal/testkit"
	"dossier/internal/upload"
)

// TestDocumentsJob runs the daily documents job over a policy published
// for a day ahead and read by staff: on that day it takes effect; a week
// later the staff member who has not acknowledged it is reminded once, the
// one who has is not, and neither is someone who may no longer view it.
func TestDocumentsJob(t *testing.T) {
	cfg := testkit.DefaultConfig(t)
	y, m, d := time.Now().UTC().Date()
	clk := &clock{t: time.Date(y, m, d, 3, 0, 0, 0, time.UTC)} // before the job's hour
	a := open(t, cfg, clk.Now)
	t.Cleanup(func() { shutdown(t, a) })
	ctx := audit.WithActor(t.Context(), audit.System)
	domain := cfg.Domain

	user := func(email, role string) access.User {
		t.Helper()
		u, err := a.Access.CreateUser(ctx, email, email)
		if err == nil {
			err = a.Access.SetPassword(ctx, u.ID, "correct horse battery staple")
		}
		if err == nil {
			err = a.Authz.AddRole(ctx, u.ID, role, domain)
		}
		if err != nil {
			t.Fatal(err)
		}
		return u
	}
	controller := user("dana.controller@hospital.example.org", authz.RoleDocumentController)
	approver := user("ciso@hospital.example.org", authz.RoleApprover)
	reader := user("sam.staff@hospital.example.org", authz.RoleStaff)
	diligent := user("ada.staff@hospital.example.org", authz.RoleStaff)
	gone := user("lee.staff@hospital.example.org", authz.RoleStaff)
	as := func(u access.User) context.Context {
		return audit.WithActor(t.Context(), audit.Actor{ID: u.ID, Name: u.Email})
	}

	doc, err := a.Documents.Create(as(controller), domain, document.Fields{Number: "ISMS-POL-001", Title: "Information security policy",
		Type: document.Policy, Owner: controller.ID, Classification: document.Internal,
		Approval: document.ApprovalRule{Approvers: []string{approver.ID}}, Audiences: document.Audiences{Roles: []string{authz.RoleStaff}}})
	if err != nil {
		t.Fatal(err)
	}
	f, err := upload.Spool(bytes.NewReader(pdfdoc.Text("Information security policy", "1. Protect patient information.")), 1<<20, "")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Remove()
	f.Name = "policy.pdf"
	doc, rev, err := a.Documents.NewRevision(as(controller), domain, doc.ID, doc.Version, document.RevisionInput{ChangeSummary: "First issue.", File: f})
	if err != nil {
		t.Fatal(err)
	}
	if doc, err = a.Documents.Submit(as(controller), domain, doc.ID, doc.Version, rev.N); err != nil {
		t.Fatal(err)
	}
	rev, _ = doc.Revision(rev.N)
	if doc, _, err = a.Documents.Sign(as(approver), domain, doc.ID, rev.N, document.SignInput{Meaning: document.Approve,
		Password: "correct horse battery staple", SHA256: rev.File.SHA256, Round: rev.Round}); err != nil {
		t.Fatal(err)
	}
	tomorrow := document.Day(clk.Now()).AddDate(0, 0, 1)
	if doc, err = a.Documents.Publish(as(controller), domain, doc.ID, doc.Version, rev.N, tomorrow); err != nil {
		t.Fatal(err)
	}

	run := func() map[string]int {
		t.Helper()
		res, err := a.Jobs.RunNow(ctx, app.DocumentsJob)
		if err != nil {
			t.Fatalf("run the documents job: %v (%v)", err, res.Counts)
		}
		return res.Counts
	}
	clk.addDays(1)
	if counts := run(); counts["took effect"] != 1 {
		t.Fatalf("on its effective day: %v", counts)
	}
	got, err := a.Documents.Get(ctx, domain, doc.ID)
	if r, _ := got.Revision(rev.N); err != nil || r.State != document.Effective {
		t.Fatalf("recorded state %s, %v", r.State, err)
	}

	if _, err := a.Documents.Acknowledge(as(diligent), domain, doc.ID, diligent.ID); err != nil {
		t.Fatal(err)
	}
	if err := a.Authz.RemoveRole(ctx, gone.ID, authz.RoleStaff, domain); err != nil {
		t.Fatal(err)
	}
	clk.addDays(7)
	counts := run()
	if counts["acknowledge reminders sent"] != 1 || counts["failed"] != 0 {
		t.Fatalf("a week after: %v", counts)
	}
	for u, want := range map[string]int{reader.ID: 1, diligent.ID: 0, gone.ID: 0} {
		if n, err := a.Notify.Unread(ctx, u); err != nil || n != want {
			t.Errorf("user %s: %d notices, want %d (%v)", u, n, want, err)
		}
	}
	if counts := run(); counts["acknowledge reminders sent"] != 0 {
		t.Fatalf("again the same day: %v", counts)
	}
}
