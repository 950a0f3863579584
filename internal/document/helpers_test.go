package document_test

import (
	"bytes"
	"context"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"dossier/internal/access"
	"dossier/internal/audit"
	"dossier/internal/blob"
	"dossier/internal/document"
	"dossier/internal/errs"
	"dossier/internal/pdfdoc"
	"dossier/internal/store"
	"dossier/internal/testkit"
	"dossier/internal/upload"
)

func TestMain(m *testing.M) { os.Exit(testkit.Main(m)) }

const domain = "general"

// Users of the tests: the document controller writes revisions; two CISO
// office approvers sign; staff read and acknowledge.
const (
	controller = "u-controller"
	approver1  = "u-approver1"
	approver2  = "u-approver2"
	ciso       = "u-ciso" // holds the role "ciso"
	staff1     = "u-staff1"
	staff2     = "u-staff2"
)

type env struct {
	db    *store.Store
	files *blob.Store
	svc   *document.Service
	clock *testkit.Clock
	audit *testkit.AuditLog
	dir   *directory
}

// directory is a fake of authz (roles, members) and access (reauth).
type directory struct {
	mu    sync.Mutex
	roles map[string][]string // user → roles
}

func (d *directory) Roles(user, _ string) []string {
	d.mu.Lock()
	defer d.mu.Unlock()
	return slices.Clone(d.roles[user])
}

func (d *directory) Members(role, _ string) []string {
	d.mu.Lock()
	defer d.mu.Unlock()
	var out []string
	for u, rs := range d.roles {
		if slices.Contains(rs, role) {
			out = append(out, u)
		}
	}
	slices.Sort(out)
	return out
}

// Reauthenticate accepts "pw-<user>" with code "123456".
func (d *directory) Reauthenticate(_ context.Context, userID, password, code string) error {
	if password != "pw-"+userID || code != "123456" {
		return errs.E(errs.Unauthorized, "The password or code is not right.")
	}
	return nil
}

func (d *directory) User(_ context.Context, id string) (access.User, error) {
	return access.User{ID: id, Name: "Name of " + id, Email: id + "@hospital.example"}, nil
}

func newEnv(t testing.TB) *env {
	t.Helper()
	ctx := context.Background()
	db := testkit.MustOpenDB(t)
	if err := document.Migrate(ctx, db); err != nil {
		t.Fatal(err)
	}
	if err := document.Migrate(ctx, db); err != nil {
		t.Fatal(err)
	}
	e := &env{db: db, files: testkit.MustOpenS3(t), clock: testkit.NewClock(time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)), audit: &testkit.AuditLog{},
		dir: &directory{roles: map[string][]string{ciso: {"ciso"}, staff1: {"staff"}, staff2: {"staff"}, controller: {"document_controller"}}}}
	e.svc = document.New(db, document.Options{Files: e.files, Checker: upload.NewChecker(upload.Options{}), Audit: e.audit,
		Reauth: e.dir, Roles: e.dir, Members: e.dir, Now: e.clock.Now})
	return e
}

func as(user string) context.Context {
	return audit.WithActor(context.Background(), audit.Actor{ID: user, Name: "Name of " + user})
}

func (e *env) today() time.Time { return document.Day(e.clock.Now()) }

func (e *env) days(n int) { e.clock.Advance(time.Duration(n) * 24 * time.Hour) }

// policy is a complete policy: two named approvers, both needed, read by
// staff.
func policy(number string) document.Fields {
	return document.Fields{Number: number, Title: "Information security policy", Type: document.Policy, Owner: controller,
		Classification: document.Internal, Clauses: []string{"5.2", "7.5.3"}, Controls: []string{"A.5.1", "5.37"},
		Approval: document.ApprovalRule{Approvers: []string{approver1, approver2}}, Audiences: document.Audiences{Roles: []string{"staff"}}}
}

func (e *env) mustCreate(t testing.TB, f document.Fields) document.Document {
	t.Helper()
	d, err := e.svc.Create(as(controller), domain, f)
	if err != nil {
		t.Fatalf("create %s: %v", f.Number, err)
	}
	return d
}

func spool(t testing.TB, name string, data []byte) *upload.File {
	t.Helper()
	f, err := upload.Spool(bytes.NewReader(data), 1<<20, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(f.Remove)
	f.Name = name
	return f
}

func policyPDF(lines ...string) []byte {
	return pdfdoc.Text(append([]string{"INFORMATION SECURITY POLICY"}, lines...)...)
}

// mustRevise adds a PDF revision as the controller.
func (e *env) mustRevise(t testing.TB, d document.Document, major bool, summary string) (document.Document, document.Revision) {
	t.Helper()
	d, r, err := e.svc.NewRevision(as(controller), domain, d.ID, d.Version,
		document.RevisionInput{Major: major, ChangeSummary: summary, File: spool(t, "policy.pdf", policyPDF(summary))})
	if err != nil {
		t.Fatalf("new revision: %v", err)
	}
	return d, r
}

// sign signs revision n as user, having read it as it stands.
func (e *env) sign(d document.Document, n int, user string, meaning document.Meaning, reason string) (document.Document, error) {
	if now, err := e.svc.Get(as(user), domain, d.ID); err == nil {
		d = now
	}
	r, _ := d.Revision(n)
	d, _, err := e.svc.Sign(as(user), domain, d.ID, n, document.SignInput{Meaning: meaning, Reason: reason,
		SHA256: r.File.SHA256, Round: r.Round, Password: "pw-" + user, Code: "123456"})
	return d, err
}

// mustApprove submits revision n and has both approvers sign it.
func (e *env) mustApprove(t testing.TB, d document.Document, n int) document.Document {
	t.Helper()
	d, err := e.svc.Submit(as(controller), domain, d.ID, d.Version, n)
	if err != nil {
		t.Fatalf("submit: %v", err)
	}
	for _, u := range []string{approver1, approver2} {
		if d, err = e.sign(d, n, u, document.Approve, ""); err != nil {
			t.Fatalf("approve by %s: %v", u, err)
		}
	}
	if r, _ := d.Revision(n); r.State != document.Approved {
		t.Fatalf("revision %s is %s after both approvals", r.Label(), r.State)
	}
	return d
}

// mustEffective adds, approves and publishes a revision today.
func (e *env) mustEffective(t testing.TB, d document.Document, major bool, summary string) (document.Document, document.Revision) {
	t.Helper()
	d, r := e.mustRevise(t, d, major, summary)
	d = e.mustApprove(t, d, r.N)
	d, err := e.svc.Publish(as(controller), domain, d.ID, d.Version, r.N, time.Time{})
	if err != nil {
		t.Fatalf("publish: %v", err)
	}
	r, _ = d.Revision(r.N)
	return d, r
}

func (e *env) objects(t testing.TB, prefix string) int {
	t.Helper()
	list, err := e.files.List(context.Background(), prefix)
	if err != nil {
		t.Fatal(err)
	}
	return len(list)
}

func wantCode(t testing.TB, err error, code string) {
	t.Helper()
	if errs.Code(err) != code {
		t.Fatalf("got %v (%s), want %s", err, errs.Code(err), code)
	}
}

func wantFields(t testing.TB, err error, want ...string) {
	t.Helper()
	var got []string
	for f := range errs.ByField(err) {
		got = append(got, f)
	}
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
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

// states is "1.0:superseded 2.0:effective".
func states(d document.Document) string {
	var parts []string
	for _, r := range d.Revisions {
		parts = append(parts, r.Label()+":"+string(r.State))
	}
	return strings.Join(parts, " ")
}
