package contract_test

import (
	"archive/zip"
	"bytes"
	"context"
	"errors"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"dossier/internal/access"
	"dossier/internal/audit"
	"dossier/internal/blob"
	"dossier/internal/contract"
	"dossier/internal/errs"
	"dossier/internal/pdfdoc"
	"dossier/internal/store"
	"dossier/internal/supplier"
	"dossier/internal/testkit"
	"dossier/internal/upload"
)

func TestMain(m *testing.M) { os.Exit(testkit.Main(m)) }

const domain = "general"

type env struct {
	db      *store.Store
	files   *blob.Store
	svc     *contract.Service
	vendors *supplier.Service
	users   *access.Service
	clock   *testkit.Clock
	audit   *testkit.AuditLog
	ctx     context.Context // acting as legal
	legal   access.User
	pacs    supplier.Vendor // handles PHI
	isp     supplier.Vendor // handles no PHI
}

// newEnv gives a test its own database, bucket, supplier register with two
// vendors, and contracts service on a fake clock, acting as a legal user
// who owns the contracts.
func newEnv(t testing.TB) *env {
	t.Helper()
	return newEnvWith(t, testkit.MustOpenS3(t))
}

// newEnvWith is newEnv on a given file store.
func newEnvWith(t testing.TB, files *blob.Store) *env {
	t.Helper()
	ctx := context.Background()
	db := testkit.MustOpenDB(t)
	for _, m := range []func(context.Context, *store.Store) error{access.Migrate, supplier.Migrate, contract.Migrate, contract.Migrate} {
		if err := m(ctx, db); err != nil {
			t.Fatal(err)
		}
	}
	e := &env{db: db, files: files, clock: testkit.NewClock(time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)), audit: &testkit.AuditLog{}}
	e.users = access.New(db, access.Options{Now: e.clock.Now})
	e.vendors = supplier.New(db, files, supplier.Options{Audit: e.audit, Users: e.users, Now: e.clock.Now})
	e.svc = contract.New(db, contract.Options{Vendors: e.vendors, Audit: e.audit, Users: e.users, Files: files,
		Checker: upload.NewChecker(upload.Options{}), Now: e.clock.Now})
	e.svc.Register(e.vendors)
	u, err := e.users.CreateUser(ctx, "legal@hospital.example.org", "Lee Legal")
	if err != nil {
		t.Fatal(err)
	}
	e.legal = u
	e.ctx = audit.WithActor(ctx, audit.Actor{ID: u.ID, Name: u.Email})
	e.pacs, err = e.vendors.Create(e.ctx, domain, supplier.Fields{LegalName: "Acme Imaging, Inc.", TradingName: "Acme PACS",
		Systems: []string{supplier.SystemPACS}, Data: []string{supplier.DataPHI}, Access: []string{supplier.AccessRemote}, Owner: u.ID,
		Clinical: supplier.ClinicalHigh, DowntimeHours: 4,
		Contacts: []supplier.Contact{{Name: "Sam Secure", Email: "sec@acme.example", Role: supplier.RoleSecurity},
			{Name: "Pat Counsel", Email: "legal@acme.example", Role: supplier.RoleLegal}}})
	if err != nil {
		t.Fatal(err)
	}
	e.isp, err = e.vendors.Create(e.ctx, domain, supplier.Fields{LegalName: "Bayline Fiber Networks, Inc.", Systems: []string{supplier.SystemInternet},
		Data: []string{supplier.DataNone}, Access: []string{supplier.AccessOnsite}})
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// today is the env's date.
func (e *env) today() time.Time { return contract.Day(e.clock.Now()) }

// date is the env's date moved by days.
func (e *env) date(days int) time.Time { return e.today().AddDate(0, 0, days) }

// msa is a complete MSA with the PACS vendor expiring in a year.
func (e *env) msa() contract.Fields {
	return contract.Fields{VendorID: e.pacs.ID, Type: contract.MSA, Title: "PACS master services agreement",
		CounterpartySignatory: "Pat Counsel", Effective: e.date(-30), Expiry: e.date(335), NoticeDays: 60, Owner: e.legal.ID,
		RelatedServices: "PACS hosting and support"}
}

func (e *env) mustCreate(t testing.TB, f contract.Fields) contract.Contract {
	t.Helper()
	c, err := e.svc.Create(e.ctx, domain, f)
	if err != nil {
		t.Fatalf("create %q: %v", f.Title, err)
	}
	return c
}

// mustUpload adds a file, failing the test on error.
func (e *env) mustUpload(t testing.TB, c contract.Contract, name string, data []byte, signed bool) contract.Contract {
	t.Helper()
	c, err := e.upload(t, c, name, data, signed, true)
	if err != nil {
		t.Fatalf("upload %s: %v", name, err)
	}
	return c
}

func (e *env) upload(t testing.TB, c contract.Contract, name string, data []byte, signed, canManage bool) (contract.Contract, error) {
	t.Helper()
	f, err := upload.Spool(bytes.NewReader(data), 1<<20, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer f.Remove()
	f.Name = name
	return e.svc.UploadFile(e.ctx, domain, c.ID, c.Version, f, signed, canManage)
}

// mustActivate creates f, uploads its signed PDF and puts it in force.
func (e *env) mustActivate(t testing.TB, f contract.Fields) contract.Contract {
	t.Helper()
	c := e.mustCreate(t, f)
	c = e.mustUpload(t, c, "signed.pdf", signedPDF(f.Title), true)
	c, err := e.svc.Activate(e.ctx, domain, c.ID, c.Version)
	if err != nil {
		t.Fatalf("activate %q: %v", f.Title, err)
	}
	return c
}

// objects counts the stored keys under prefix.
func (e *env) objects(t testing.TB, prefix string) int {
	t.Helper()
	list, err := e.files.List(context.Background(), prefix)
	if err != nil {
		t.Fatal(err)
	}
	return len(list)
}

func signedPDF(title string) []byte {
	return pdfdoc.Text("AGREEMENT", title, "Signed for the vendor: Pat Counsel", "Signed for the hospital: Lee Legal")
}

// docx is a minimal Word document: what the upload sniffer recognises.
func docx(t testing.TB) []byte {
	t.Helper()
	var b bytes.Buffer
	z := zip.NewWriter(&b)
	for name, body := range map[string]string{
		"[Content_Types].xml": `<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="xml" ContentType="application/xml"/><Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>`,
		"word/document.xml":   `<?xml version="1.0" encoding="UTF-8"?><w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body><w:p><w:r><w:t>Draft MSA</w:t></w:r></w:p></w:body></w:document>`,
	} {
		w, err := z.Create(name)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.Write([]byte(body)); err != nil {
			t.Fatal(err)
		}
	}
	if err := z.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func wantCode(t testing.TB, err error, code string) {
	t.Helper()
	if errs.Code(err) != code {
		t.Fatalf("got %v (%s), want %s", err, errs.Code(err), code)
	}
}

// fieldsOf returns the fields an error names, sorted.
func fieldsOf(err error) []string {
	var out []string
	for f := range errs.ByField(err) {
		out = append(out, f)
	}
	slices.Sort(out)
	return out
}

func wantFields(t testing.TB, err error, want ...string) {
	t.Helper()
	slices.Sort(want)
	if got := fieldsOf(err); !slices.Equal(got, want) {
		t.Fatalf("fields %v, want %v (%v)", got, want, err)
	}
}

func wantMessage(t testing.TB, err error, parts ...string) {
	t.Helper()
	msg := errs.Message(err)
	for _, p := range parts {
		if !strings.Contains(msg, p) {
			t.Fatalf("message %q lacks %q", msg, p)
		}
	}
}

func isIntegrity(err error) bool { return errors.Is(err, blob.ErrIntegrity) }
