package supplier_test

import (
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
	"dossier/internal/errs"
	"dossier/internal/store"
	"dossier/internal/supplier"
	"dossier/internal/testkit"
)

func TestMain(m *testing.M) { os.Exit(testkit.Main(m)) }

const domain = "general"

type env struct {
	db    *store.Store
	files *blob.Store
	svc   *supplier.Service
	users *access.Service
	clock *testkit.Clock
	audit *testkit.AuditLog
	ctx   context.Context // acting as owner
	owner access.User     // an active user, procurement@…
}

// newEnv gives a test its own database and register on a fake clock, with
// one active user who acts in e.ctx. withFiles adds an S3 bucket.
func newEnv(t testing.TB, withFiles bool) *env {
	t.Helper()
	return newEnvOn(t, testkit.MustOpenDB(t), withFiles, nil)
}

// newEnvOn is newEnv on a given database, with a given auditor (nil: an
// in-memory recorder).
func newEnvOn(t testing.TB, db *store.Store, withFiles bool, auditor supplier.Auditor) *env {
	t.Helper()
	ctx := context.Background()
	for range 2 { // Migrate is idempotent
		if err := supplier.Migrate(ctx, db); err != nil {
			t.Fatal(err)
		}
	}
	if err := access.Migrate(ctx, db); err != nil {
		t.Fatal(err)
	}
	e := &env{db: db, clock: testkit.NewClock(time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)), audit: &testkit.AuditLog{}}
	e.users = access.New(db, access.Options{Now: e.clock.Now})
	if withFiles {
		e.files = testkit.MustOpenS3(t)
	}
	if auditor == nil {
		auditor = e.audit
	}
	e.svc = supplier.New(db, e.files, supplier.Options{Audit: auditor, Users: e.users, Now: e.clock.Now})
	u, err := e.users.CreateUser(ctx, "procurement@hospital.example.org", "Pat Procurement")
	if err != nil {
		t.Fatal(err)
	}
	e.owner = u
	e.ctx = audit.WithActor(ctx, audit.Actor{ID: u.ID, Name: u.Email})
	return e
}

// pacs is a complete PACS vendor: remote access to PHI, tier 1, with
// everything onboarding asks for.
func (e *env) pacs() supplier.Fields {
	return supplier.Fields{
		LegalName: "Acme Imaging, Inc.", TradingName: "Acme PACS", RegistrationID: "12-3456789",
		Website: "https://acme-imaging.example", Systems: []string{supplier.SystemPACS},
		Data: []string{supplier.DataPHI}, Records: 2_000_000, Access: []string{supplier.AccessRemote},
		Clinical: supplier.ClinicalHigh, DowntimeHours: 4, Owner: e.owner.ID,
		Contacts: []supplier.Contact{
			{Name: "Sam Secure", Email: "security@acme-imaging.example", Role: supplier.RoleSecurity},
			{Name: "Lee Legal", Email: "legal@acme-imaging.example", Role: supplier.RoleLegal},
		},
	}
}

// isp is an internet provider: tier 3, no PHI, no owner.
func isp(name string) supplier.Fields {
	return supplier.Fields{
		LegalName: name, Systems: []string{supplier.SystemInternet}, Data: []string{supplier.DataNone},
		Access: []string{supplier.AccessOnsite}, Clinical: supplier.ClinicalLow, DowntimeHours: 8,
	}
}

func (e *env) mustCreate(t testing.TB, f supplier.Fields) supplier.Vendor {
	t.Helper()
	v, err := e.svc.Create(e.ctx, domain, f)
	if err != nil {
		t.Fatalf("create %s: %v", f.LegalName, err)
	}
	return v
}

func (e *env) mustMove(t testing.TB, v supplier.Vendor, to ...string) supplier.Vendor {
	t.Helper()
	for _, s := range to {
		ctx := e.ctx
		if v.Status == supplier.Onboarding && s == supplier.Active {
			ctx = e.approver() // the one who started onboarding may not approve it
		}
		var err error
		if v, err = e.svc.Transition(ctx, domain, v.ID, v.Version, s, ""); err != nil {
			t.Fatalf("move %s to %s: %v", v.LegalName, s, err)
		}
	}
	return v
}

// approver is a context acting as a second person, a security reviewer.
func (e *env) approver() context.Context {
	return audit.WithActor(e.ctx, audit.Actor{ID: "second-reviewer", Name: "reviewer@hospital.org"})
}

// wantCode fails unless err carries code.
func wantCode(t testing.TB, err error, code string) {
	t.Helper()
	if !errs.Is(err, code) {
		t.Fatalf("got %v, want %s", err, code)
	}
}

// fieldsOf returns the fields an errs.FieldErrors names.
func fieldsOf(err error) []string {
	var fe errs.FieldErrors
	if !errors.As(err, &fe) {
		if f := errs.FieldOf(err); f != "" {
			return []string{f}
		}
		return nil
	}
	var out []string
	for _, p := range fe {
		out = append(out, p.Field)
	}
	slices.Sort(out)
	return out
}

func names(vs []supplier.Vendor) string {
	var out []string
	for _, v := range vs {
		out = append(out, v.LegalName)
	}
	return strings.Join(out, ", ")
}
