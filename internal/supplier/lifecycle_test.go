package supplier_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"dossier/internal/authz"
	"dossier/internal/blob"
	"dossier/internal/errs"
	"dossier/internal/supplier"
	"dossier/internal/testkit"
)

func TestTransitions(t *testing.T) {
	e := newEnv(t, false)
	t.Run("OK", func(t *testing.T) {
		v := e.mustCreate(t, e.pacs())
		v, err := e.svc.Transition(e.ctx, domain, v.ID, v.Version, supplier.Onboarding, "Security review booked.")
		if err != nil {
			t.Fatal(err)
		}
		a := e.audit.Last(t, "vendor.transition")
		if a.ObjectID != v.ID || a.Details["from"] != "prospect" || a.Details["to"] != "onboarding" || a.Details["note"] != "Security review booked." {
			t.Fatalf("audit %+v", a)
		}
		v = e.mustMove(t, v, supplier.Prospect, supplier.Onboarding, supplier.Active, supplier.Offboarding, supplier.Active)
		if v.Status != supplier.Active {
			t.Fatalf("status %s", v.Status)
		}
	})
	t.Run("ProspectDropped", func(t *testing.T) {
		v := e.mustCreate(t, isp("Dropped Early Ltd"))
		v = e.mustMove(t, v, supplier.Terminated)
		if !v.NextDue.IsZero() {
			t.Fatalf("a terminated vendor is due %s", v.NextDue)
		}
	})
	for _, tt := range []struct {
		name string
		path []string
		to   string
		want string
	}{
		{"ErrProspectToActive", nil, supplier.Active, "it can move to Onboarding or Terminated"},
		{"ErrActiveToProspect", []string{supplier.Onboarding, supplier.Active}, supplier.Prospect, "it can move to Offboarding"},
		{"ErrActiveToTerminated", []string{supplier.Onboarding, supplier.Active}, supplier.Terminated, "it can move to Offboarding"},
		{"ErrTerminatedIsFinal", []string{supplier.Terminated}, supplier.Onboarding, "stays terminated"},
		{"ErrUnknownStatus", nil, "frozen", "it can move to"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			f := e.pacs()
			f.LegalName, f.RegistrationID = "Transition "+tt.name, ""
			v := e.mustMove(t, e.mustCreate(t, f), tt.path...)
			_, err := e.svc.Transition(e.ctx, domain, v.ID, v.Version, tt.to, "")
			wantCode(t, err, errs.Invalid)
			if !strings.Contains(errs.Message(err), tt.want) {
				t.Fatalf("message %q, want %q", errs.Message(err), tt.want)
			}
		})
	}
	t.Run("ErrConflictStaleVersion", func(t *testing.T) {
		v := e.mustCreate(t, isp("Stale Transition Ltd"))
		e.mustMove(t, v, supplier.Onboarding)
		_, err := e.svc.Transition(e.ctx, domain, v.ID, v.Version, supplier.Onboarding, "")
		wantCode(t, err, errs.Conflict)
	})
	t.Run("ActionFor", func(t *testing.T) {
		if supplier.ActionFor(supplier.Onboarding, supplier.Active) != authz.Approve || supplier.ActionFor(supplier.Offboarding, supplier.Active) != authz.Edit || supplier.ActionFor(supplier.Active, supplier.Offboarding) != authz.Edit {
			t.Fatal("ActionFor")
		}
		if got := supplier.NextStates(supplier.Offboarding); len(got) != 2 || got[0] != supplier.Terminated {
			t.Fatalf("NextStates %v", got)
		}
	})
}

func TestOnboardingChecklist(t *testing.T) {
	e := newEnv(t, false)
	f := isp("Checklist Networks Ltd")
	f.Clinical = ""
	v := e.mustMove(t, e.mustCreate(t, f), supplier.Onboarding)

	_, err := e.svc.Transition(e.approver(), domain, v.ID, v.Version, supplier.Active, "")
	var cl *supplier.ChecklistError
	if !errors.As(err, &cl) {
		t.Fatalf("got %v, want a ChecklistError", err)
	}
	wantCode(t, err, errs.Invalid)
	var ids []string
	for _, r := range cl.Missing() {
		ids = append(ids, r.ID)
	}
	if strings.Join(ids, ",") != "owner,security_contact,legal_contact,tier" {
		t.Fatalf("missing %v", ids)
	}
	msg := errs.Message(err)
	for _, want := range []string{"cannot become active yet", "Name an internal owner", "Security role", "Legal role", "its clinical impact"} {
		if !strings.Contains(msg, want) {
			t.Errorf("message %q lacks %q", msg, want)
		}
	}

	// Another area's check takes part once registered.
	var seen []string
	e.svc.AddOnboardingCheck(supplier.Check{ID: "baa_in_force", Label: "BAA in force", Applies: supplier.Vendor.HandlesPHI,
		Run: func(_ context.Context, v supplier.Vendor) (bool, string, error) {
			seen = append(seen, v.ID)
			return false, "Upload the signed BAA.", nil
		}})
	f = v.Fields()
	f.Owner, f.Clinical = e.owner.ID, supplier.ClinicalLow
	f.Contacts = e.pacs().Contacts
	v, err = e.svc.Update(e.ctx, domain, v.ID, v.Version, f)
	if err != nil {
		t.Fatal(err)
	}
	res, err := e.svc.Checklist(e.ctx, v, supplier.Active)
	if err != nil || len(res) != 4 {
		t.Fatalf("checklist %+v %v (the BAA check does not apply without PHI)", res, err)
	}
	for _, r := range res {
		if !r.OK || r.Missing != "" {
			t.Fatalf("item %+v", r)
		}
	}
	f.Data = []string{supplier.DataPHI}
	if v, err = e.svc.Update(e.ctx, domain, v.ID, v.Version, f); err != nil {
		t.Fatal(err)
	}
	_, err = e.svc.Transition(e.approver(), domain, v.ID, v.Version, supplier.Active, "")
	if !errors.As(err, &cl) || len(cl.Missing()) != 1 || cl.Missing()[0].ID != "baa_in_force" || len(seen) != 1 {
		t.Fatalf("got %v, seen %v", err, seen)
	}
	if !strings.Contains(errs.Message(err), "Upload the signed BAA") {
		t.Fatalf("message %q", errs.Message(err))
	}
	t.Run("ErrDuplicateCheckPanics", func(t *testing.T) {
		defer func() {
			if recover() == nil {
				t.Fatal("no panic")
			}
		}()
		e.svc.AddOnboardingCheck(supplier.Check{ID: "owner", Label: "again", Run: func(context.Context, supplier.Vendor) (bool, string, error) { return true, "", nil }})
	})
}

func TestOnboardingRefusesDisabledOwner(t *testing.T) {
	e := newEnv(t, false)
	u, err := e.users.CreateUser(e.ctx, "leaving@hospital.example.org", "Leaving Soon")
	if err != nil {
		t.Fatal(err)
	}
	f := e.pacs()
	f.Owner = u.ID
	v := e.mustMove(t, e.mustCreate(t, f), supplier.Onboarding)
	if err := e.users.Disable(e.ctx, u.ID); err != nil {
		t.Fatal(err)
	}
	_, err = e.svc.Transition(e.approver(), domain, v.ID, v.Version, supplier.Active, "")
	var cl *supplier.ChecklistError
	if !errors.As(err, &cl) || cl.Missing()[0].ID != "owner" || !strings.Contains(cl.Missing()[0].Missing, "disabled") {
		t.Fatalf("got %v", err)
	}
	// Other edits still save while the owner is disabled.
	f = v.Fields()
	f.Notes = "Owner left; finding a new one."
	if _, err := e.svc.Update(e.ctx, domain, v.ID, v.Version, f); err != nil {
		t.Fatal(err)
	}
}

// pdf is the smallest file http.DetectContentType calls a PDF.
var pdf = []byte("%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n")

func TestOffboarding(t *testing.T) {
	e := newEnv(t, true)
	v := e.mustMove(t, e.mustCreate(t, e.pacs()), supplier.Onboarding, supplier.Active)

	t.Run("ErrNotOffboarding", func(t *testing.T) {
		_, err := e.svc.ConfirmAccessRevoked(e.ctx, domain, v.ID, v.Version)
		wantCode(t, err, errs.Invalid)
		_, err = e.svc.UploadCertificate(e.ctx, domain, v.ID, v.Version, "cert.pdf", bytes.NewReader(pdf), int64(len(pdf)))
		wantCode(t, err, errs.Invalid)
	})
	v = e.mustMove(t, v, supplier.Offboarding)

	res, err := e.svc.Checklist(e.ctx, v, supplier.Terminated)
	if err != nil || len(res) != 3 || res[1].ID != "phi_certificate" || res[1].OK {
		t.Fatalf("checklist %+v %v", res, err)
	}
	t.Run("ErrTerminateTooSoon", func(t *testing.T) {
		_, err := e.svc.Transition(e.ctx, domain, v.ID, v.Version, supplier.Terminated, "")
		var cl *supplier.ChecklistError
		if !errors.As(err, &cl) || len(cl.Missing()) != 3 {
			t.Fatalf("got %v", err)
		}
	})
	t.Run("ErrConfirmedBySystem", func(t *testing.T) {
		_, err := e.svc.ConfirmAccessRevoked(context.Background(), domain, v.ID, v.Version)
		wantCode(t, err, errs.Invalid)
	})
	t.Run("ConfirmAccessRevoked", func(t *testing.T) {
		got, err := e.svc.ConfirmAccessRevoked(e.ctx, domain, v.ID, v.Version)
		if err != nil {
			t.Fatal(err)
		}
		if got.Offboarding.AccessRevokedBy != e.owner.ID || got.Offboarding.AccessRevokedAt.IsZero() || got.Version != v.Version+1 {
			t.Fatalf("offboarding %+v", got.Offboarding)
		}
		e.audit.Last(t, "vendor.access_revoked")
		if _, err := e.svc.ConfirmAccessRevoked(e.ctx, domain, v.ID, got.Version); !errs.Is(err, errs.Invalid) {
			t.Fatalf("confirming twice: %v", err)
		}
		v = got
	})
	for _, tt := range []struct {
		name string
		body []byte
		size int64
		code string
	}{
		{"ErrEmpty", nil, 0, errs.Invalid},
		{"ErrEmptyUnknownSize", nil, -1, errs.Invalid},
		{"ErrExecutable", append([]byte("MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff"), make([]byte, 200)...), -1, errs.Invalid},
		{"ErrHTML", []byte("<html><script>alert(1)</script></html>"), -1, errs.Invalid},
		{"ErrTooLarge", pdf, supplier.MaxCertificate + 1, errs.TooLarge},
		{"ErrTooLargeUnknownSize", append(append([]byte{}, pdf...), make([]byte, supplier.MaxCertificate)...), -1, errs.TooLarge},
	} {
		t.Run("Upload"+tt.name, func(t *testing.T) {
			_, err := e.svc.UploadCertificate(e.ctx, domain, v.ID, v.Version, "x.pdf", bytes.NewReader(tt.body), tt.size)
			wantCode(t, err, tt.code)
			if errs.FieldOf(err) != "certificate" {
				t.Fatalf("field %q", errs.FieldOf(err))
			}
		})
	}
	t.Run("UploadAndDownload", func(t *testing.T) {
		got, err := e.svc.UploadCertificate(e.ctx, domain, v.ID, v.Version, `C:\scans\destruction "final".pdf`, bytes.NewReader(pdf), int64(len(pdf)))
		if err != nil {
			t.Fatal(err)
		}
		c := got.Offboarding.Certificate
		if c == nil || c.Name != "destruction final.pdf" || c.ContentType != "application/pdf" || c.Size != int64(len(pdf)) || len(c.SHA256) != 64 ||
			!strings.HasPrefix(c.Key, "vendors/"+v.ID+"/offboarding/") || c.UploadedBy != e.owner.ID {
			t.Fatalf("certificate %+v", c)
		}
		if a := e.audit.Last(t, "vendor.certificate_upload"); a.Details["sha256"] != c.SHA256 {
			t.Fatalf("audit %+v", a)
		}
		v = got
		rd, file, err := e.svc.Certificate(e.ctx, domain, v.ID)
		if err != nil {
			t.Fatal(err)
		}
		body, err := io.ReadAll(rd)
		rd.Close()
		if err != nil || !bytes.Equal(body, pdf) || file.SHA256 != c.SHA256 {
			t.Fatalf("downloaded %q, %v", body, err)
		}
		a := e.audit.Last(t, "file.download")
		if a.ObjectID != v.ID || a.Details["sha256"] != c.SHA256 || a.Actor.ID != e.owner.ID {
			t.Fatalf("download audit %+v", a)
		}
	})
	t.Run("ErrStaleUploadRecordsNothing", func(t *testing.T) {
		_, err := e.svc.UploadCertificate(e.ctx, domain, v.ID, v.Version-1, "late.pdf", bytes.NewReader(pdf), int64(len(pdf)))
		wantCode(t, err, errs.Conflict)
	})
	t.Run("Terminate", func(t *testing.T) {
		_, err := e.svc.Transition(e.ctx, domain, v.ID, v.Version, supplier.Terminated, "")
		var cl *supplier.ChecklistError
		if !errors.As(err, &cl) || len(cl.Missing()) != 1 || cl.Missing()[0].ID != "contracts_ended" {
			t.Fatalf("got %v", err)
		}
		got, err := e.svc.ConfirmContractsEnded(e.ctx, domain, v.ID, v.Version)
		if err != nil {
			t.Fatal(err)
		}
		e.audit.Last(t, "vendor.contracts_ended")
		got, err = e.svc.Transition(e.ctx, domain, v.ID, got.Version, supplier.Terminated, "All done.")
		if err != nil {
			t.Fatal(err)
		}
		if got.Status != supplier.Terminated || !got.NextDue.IsZero() || got.Offboarding.Certificate == nil {
			t.Fatalf("got %+v", got)
		}
	})
	t.Run("NoCertificateWithoutPHI", func(t *testing.T) {
		w := e.mustMove(t, e.mustCreate(t, supplier.Fields{LegalName: "Window Cleaners Ltd", Owner: e.owner.ID,
			Data: []string{"none"}, Access: []string{"onsite"}, Clinical: "none", Contacts: e.pacs().Contacts}),
			supplier.Onboarding, supplier.Active, supplier.Offboarding)
		w, _ = e.svc.ConfirmAccessRevoked(e.ctx, domain, w.ID, w.Version)
		w, _ = e.svc.ConfirmContractsEnded(e.ctx, domain, w.ID, w.Version)
		e.mustMove(t, w, supplier.Terminated)
	})
	t.Run("CancelClearsTheRecord", func(t *testing.T) {
		f := e.pacs()
		f.LegalName, f.RegistrationID = "Cancelled Offboarding Ltd", ""
		w := e.mustMove(t, e.mustCreate(t, f), supplier.Onboarding, supplier.Active, supplier.Offboarding)
		w, err := e.svc.UploadCertificate(e.ctx, domain, w.ID, w.Version, "c.pdf", bytes.NewReader(pdf), -1)
		if err != nil {
			t.Fatal(err)
		}
		key := w.Offboarding.Certificate.Key
		w = e.mustMove(t, w, supplier.Active)
		if w.Offboarding.Certificate != nil {
			t.Fatal("offboarding record kept after cancelling")
		}
		if a := e.audit.Last(t, "vendor.transition"); !strings.Contains(a.Details["cleared_certificate"], key) {
			t.Fatalf("audit %+v", a)
		}
		_, _, err = e.svc.Certificate(e.ctx, domain, w.ID)
		wantCode(t, err, errs.NotFound)
	})
}

// TestCertificateTamperedOnDisk changes a stored certificate behind the S3
// server's back: the download fails its SHA-256 check instead of passing
// the forgery on.
func TestCertificateTamperedOnDisk(t *testing.T) {
	if testkit.S3(t); testkit.EmbeddedS3Dir() == "" {
		t.Skip("needs the embedded S3 server's folder (.ci/run leaves this test out of its MinIO pass)")
	}
	e := newEnv(t, true)
	v := e.mustMove(t, e.mustCreate(t, e.pacs()), supplier.Onboarding, supplier.Active, supplier.Offboarding)
	v, err := e.svc.UploadCertificate(e.ctx, domain, v.ID, v.Version, "c.pdf", bytes.NewReader(pdf), int64(len(pdf)))
	if err != nil {
		t.Fatal(err)
	}
	forged := bytes.Replace(pdf, []byte("1.4"), []byte("1.7"), 1)
	path := filepath.Join(testkit.EmbeddedS3Dir(), "objects", e.files.Bucket(), filepath.FromSlash(v.Offboarding.Certificate.Key))
	if err := os.WriteFile(path, forged, 0o644); err != nil {
		t.Fatal(err)
	}
	rd, _, err := e.svc.Certificate(e.ctx, domain, v.ID)
	if err != nil {
		t.Fatal(err)
	}
	defer rd.Close()
	if _, err := io.ReadAll(rd); !errors.Is(err, blob.ErrIntegrity) {
		t.Fatalf("reading a tampered certificate: got %v, want ErrIntegrity", err)
	}
}

func TestStarterCannotApproveOnboarding(t *testing.T) {
	e := newEnv(t, false)
	f := e.pacs()
	v := e.mustMove(t, e.mustCreate(t, f), supplier.Onboarding)
	_, err := e.svc.Transition(e.ctx, domain, v.ID, v.Version, supplier.Active, "")
	wantCode(t, err, errs.Forbidden)
	if _, err := e.svc.Transition(e.approver(), domain, v.ID, v.Version, supplier.Active, ""); err != nil {
		t.Fatalf("a second person's approval: %v", err)
	}
}
