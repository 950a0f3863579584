package assessment_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"dossier/internal/access"
	"dossier/internal/assessment"
	"dossier/internal/audit"
	"dossier/internal/blob"
	"dossier/internal/errs"
	"dossier/internal/pdfdoc"
	"dossier/internal/questionnaire"
	"dossier/internal/store"
	"dossier/internal/supplier"
	"dossier/internal/testkit"
	"dossier/internal/upload"
)

func TestMain(m *testing.M) { os.Exit(testkit.Main(m)) }

const domain = "general"

type env struct {
	db       *store.Store
	files    *blob.Store
	svc      *assessment.Service
	vendors  *supplier.Service
	clock    *testkit.Clock
	audit    *testkit.AuditLog
	reauth   *fakeReauth
	small    *questionnaire.Template
	ctx      context.Context // acting as the reviewer
	approver context.Context
	vendor   supplier.Vendor
}

func (f *fakeReauth) User(_ context.Context, id string) (access.User, error) {
	return access.User{ID: id, Name: "Alex Approver", Email: "alex@hospital.example"}, nil
}

// fakeReauth accepts one password per user.
type fakeReauth struct{ passwords map[string]string }

func (f *fakeReauth) Reauthenticate(_ context.Context, userID, password, _ string) error {
	if f.passwords[userID] != password || password == "" {
		return errs.E(errs.Unauthorized, "The password is not right.")
	}
	return nil
}

func loadSmall(t testing.TB) *questionnaire.Template {
	t.Helper()
	data, err := os.ReadFile(testkit.Path("testdata/small.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	q, err := questionnaire.Parse("small.yaml", data)
	if err != nil {
		t.Fatal(err)
	}
	return q
}

func newEnv(t testing.TB) *env {
	t.Helper()
	ctx := context.Background()
	db := testkit.MustOpenDB(t)
	for _, m := range []func(context.Context, *store.Store) error{supplier.Migrate, assessment.Migrate, assessment.Migrate} {
		if err := m(ctx, db); err != nil {
			t.Fatal(err)
		}
	}
	e := &env{db: db, files: testkit.MustOpenS3(t), clock: testkit.NewClock(time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)),
		audit: &testkit.AuditLog{}, reauth: &fakeReauth{passwords: map[string]string{"approver1": "right horse battery"}}}
	e.small = loadSmall(t)
	e.vendors = supplier.New(db, e.files, supplier.Options{Audit: e.audit, Now: e.clock.Now})
	e.svc = e.open(t, e.small)
	e.ctx = audit.WithActor(ctx, audit.Actor{ID: "reviewer1", Name: "rita@hospital.example"})
	e.approver = audit.WithActor(ctx, audit.Actor{ID: "approver1", Name: "alex@hospital.example"})
	v, err := e.vendors.Create(e.ctx, domain, supplier.Fields{LegalName: "Acme Imaging, Inc.", Systems: []string{supplier.SystemPACS},
		Data: []string{supplier.DataPHI}, Access: []string{supplier.AccessRemote}})
	if err != nil {
		t.Fatal(err)
	}
	e.vendor = v
	return e
}

// open starts a service on the env's database with these templates.
func (e *env) open(t testing.TB, templates ...*questionnaire.Template) *assessment.Service {
	t.Helper()
	svc, err := assessment.New(context.Background(), e.db, assessment.Options{
		Templates: templates, Vendors: e.vendors, Audit: e.audit, Reauth: e.reauth, Files: e.files,
		Checker: upload.NewChecker(upload.Options{}), Hospital: "General Hospital", PublicURL: "https://dossier.example",
		Now: e.clock.Now,
	})
	if err != nil {
		t.Fatal(err)
	}
	return svc
}

// send sends the small questionnaire to the env's vendor.
func (e *env) send(t testing.TB) assessment.Invitation {
	t.Helper()
	s, err := e.svc.Send(e.ctx, domain, assessment.SendInput{VendorID: e.vendor.ID, Template: "small",
		Due: e.clock.Now().AddDate(0, 0, 14), ContactName: "Vera Vendor", ContactEmail: "vera@acme.example"})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// answerAll answers every required question well, with the file.
func (e *env) answerAll(t testing.TB, token string) {
	t.Helper()
	_, err := e.svc.SaveAnswers(context.Background(), token, map[string]assessment.AnswerInput{
		"mfa": {Values: []string{"yes"}}, "cloud": {Values: []string{"yes"}}, "region": {Values: []string{"us"}},
		"iso": {Values: []string{"yes"}}, "encryption": {Values: []string{"rest", "transit"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	e.upload(t, token, "iso", "iso.pdf", pdf())
	e.upload(t, token, "report", "report.pdf", pdf())
}

func (e *env) upload(t testing.TB, token, question, name string, data []byte) (assessment.Evidence, error) {
	t.Helper()
	f, err := upload.Spool(bytes.NewReader(data), 1<<20, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer f.Remove()
	f.Name = name
	return e.svc.UploadEvidence(context.Background(), token, question, assessment.EvidenceInput{}, f)
}

func (e *env) spool(t testing.TB, data []byte) *upload.File {
	t.Helper()
	f, err := upload.Spool(bytes.NewReader(data), 1<<20, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(f.Remove)
	f.Name = "file.pdf"
	return f
}

// pdf is a small valid one-page PDF.
func pdf() []byte { return pdfdoc.Text("Penetration test letter") }

func wantCode(t testing.TB, err error, code string) {
	t.Helper()
	if errs.Code(err) != code {
		t.Fatalf("got %v (%s), want %s", err, errs.Code(err), code)
	}
}

func fieldsOf(err error) map[string]string {
	var many interface{ ByField() map[string]string }
	if errors.As(err, &many) {
		return many.ByField()
	}
	return nil
}

func contains(s, sub string) bool { return strings.Contains(s, sub) }
