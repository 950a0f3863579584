package http_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"dossier/internal/assessment"
	"dossier/internal/audit"
	"dossier/internal/contract"
	"dossier/internal/pdfdoc"
	"dossier/internal/supplier"
	"dossier/internal/testkit"
	"dossier/internal/upload"
)

func pacsForm() url.Values {
	return url.Values{
		"legal_name": {"Northwind Imaging, Inc."}, "trading_name": {"Northwind PACS"}, "registration_id": {"US-84-1234567"},
		"website": {"https://northwind-imaging.example"}, "systems": {"pacs", "ris"}, "data": {"phi"}, "records": {"250,000"},
		"access": {"remote"}, "clinical": {"high"}, "downtime_hours": {"4"},
		"contacts.0.role": {"security"}, "contacts.0.name": {"Ada Park"}, "contacts.0.email": {"security@northwind-imaging.example"},
	}
}

func TestVendorForms(t *testing.T) {
	a := testkit.StartApp(t)
	proc := a.User(t, "procurement")
	b := a.Browser(t)
	b.SignIn(proc)

	r := b.Post("/vendors", pacsForm())
	if r.Status != http.StatusSeeOther || !strings.HasPrefix(r.Header.Get("Location"), "/vendors/") {
		t.Fatalf("create: %d %s", r.Status, r.Body)
	}
	path := r.Header.Get("Location")
	page := b.Get(path)
	if page.Status != 200 || !strings.Contains(page.Body, "Tier 1 · critical") || !strings.Contains(page.Body, "Handles protected health information") {
		t.Fatalf("vendor page: %d", page.Status)
	}

	t.Run("ErrFieldsNextToThem", func(t *testing.T) {
		f := pacsForm()
		f.Set("legal_name", "")
		f.Set("website", "not a site")
		f.Set("contacts.0.email", "nobody-at-all")
		r := b.Post("/vendors", f)
		if r.Status != 422 || !strings.Contains(r.Body, `id="legal-name-error"`) || !strings.Contains(r.Body, `id="contacts-0-email-error"`) ||
			!strings.Contains(r.Body, `value="Northwind PACS"`) {
			t.Fatalf("got %d", r.Status)
		}
	})
	t.Run("ErrBadNumberKeptAsTyped", func(t *testing.T) {
		f := pacsForm()
		f.Set("records", "about a million")
		r := b.Post("/vendors", f)
		if r.Status != 422 || !strings.Contains(r.Body, `id="records-error"`) || !strings.Contains(r.Body, `value="about a million"`) {
			t.Fatalf("got %d", r.Status)
		}
	})
	t.Run("ErrDuplicateLinksToExisting", func(t *testing.T) {
		f := pacsForm()
		f.Set("legal_name", "NORTHWIND imaging inc")
		f.Set("registration_id", "")
		r := b.Post("/vendors", f)
		if r.Status != 409 || !strings.Contains(r.Body, `href="`+path+`"`) {
			t.Fatalf("got %d", r.Status)
		}
	})
	t.Run("ErrConcurrentEditKeepsInput", func(t *testing.T) {
		f := pacsForm()
		f.Set("version", between(b.Get(path+"/edit").Body, `name="version" value="`, `"`))
		f.Set("notes", "first editor")
		if r := b.Post(path, f); r.Status != http.StatusSeeOther {
			t.Fatalf("first save: %d %s", r.Status, r.Body)
		}
		f.Set("notes", "second editor's careful notes")
		r := b.Post(path, f)
		if r.Status != 409 || !strings.Contains(r.Body, "not saved") || !strings.Contains(r.Body, "second editor&#39;s careful notes") {
			t.Fatalf("stale save: %d", r.Status)
		}
	})
	t.Run("ErrActivateNeedsApproveAndChecklist", func(t *testing.T) {
		version := func() string { return between(b.Get(path).Body, `name="version" value="`, `"`) }
		if r := b.Post(path+"/transition", url.Values{"to": {"onboarding"}, "version": {version()}}); r.Status != http.StatusSeeOther {
			t.Fatalf("onboarding: %d %s", r.Status, r.Body)
		}
		current := version()
		if r := b.Post(path+"/transition", url.Values{"to": {"active"}, "version": {current}}); r.Status != 403 {
			t.Fatalf("procurement made a vendor active: %d", r.Status)
		}
		reviewer := a.User(t, "security_reviewer")
		rb := a.Browser(t)
		rb.SignIn(reviewer)
		if r := rb.Post(path+"/transition", url.Values{"to": {"active"}, "version": {current}, "password": {"not it"}}); r.Status != 401 ||
			!strings.Contains(r.Body, "Password or code is incorrect") {
			t.Fatalf("an approval without the password: %d", r.Status)
		}
		r := rb.Post(path+"/transition", url.Values{"to": {"active"}, "version": {current}, "password": {reviewer.Password}})
		if r.Status != 422 || !strings.Contains(r.Body, "Legal contact") {
			t.Fatalf("activation without a legal contact: %d", r.Status)
		}
	})
}

func TestVendorPermissions(t *testing.T) {
	a := testkit.StartApp(t)
	for role, want := range map[string]struct{ list, create int }{
		"procurement": {200, 200}, "security_reviewer": {200, 403}, "legal": {200, 403}, "auditor": {200, 403}, "staff": {403, 403},
	} {
		b := a.Browser(t)
		b.SignIn(a.User(t, role))
		if r := b.Get("/vendors"); r.Status != want.list {
			t.Errorf("%s: list %d, want %d", role, r.Status, want.list)
		}
		if r := b.Get("/vendors/new"); r.Status != want.create {
			t.Errorf("%s: new-vendor form %d, want %d", role, r.Status, want.create)
		}
	}
}

func TestVendorAPI(t *testing.T) {
	a := testkit.StartApp(t)
	proc := a.User(t, "procurement")
	token, _, err := a.App.Access.CreateToken(t.Context(), proc.ID, "t")
	if err != nil {
		t.Fatal(err)
	}
	call := func(method, path, body string) testkit.Response {
		return a.Browser(t).Do(method, path, strings.NewReader(body), http.Header{
			"Authorization": {"Bearer " + token}, "Content-Type": {"application/json"}, "Accept": {"application/json"}})
	}
	r := call("POST", "/api/v1/vendors", `{"legal_name":"Harbor Lab Analytics","systems":["lab"],"data":["phi"],"access":["medical_device"],"clinical":"high"}`)
	var v struct {
		ID      string
		Version int64
		Risk    struct{ Tier int }
	}
	if err := json.Unmarshal([]byte(r.Body), &v); r.Status != 201 || err != nil || v.Risk.Tier != 1 {
		t.Fatalf("create: %d %s", r.Status, r.Body)
	}
	if r := call("POST", "/api/v1/vendors", `{"legal_name":"Harbor Lab Analytics"}`); r.Status != 409 || !strings.Contains(r.Body, "/api/v1/vendors/"+v.ID) {
		t.Fatalf("duplicate: %d %s", r.Status, r.Body)
	}
	if r := call("POST", "/api/v1/vendors", `{"legal_name":"X","tier":1}`); r.Status != 422 || !strings.Contains(r.Body, `"field":"tier"`) {
		t.Fatalf("unknown field: %d %s", r.Status, r.Body)
	}
	if r := call("POST", "/api/v1/vendors", `{"legal_name":"Y","website":"ftp://y","contacts":[{"name":"Z","email":"not-mail","role":"security"}]}`); r.Status != 422 ||
		!strings.Contains(r.Body, `"field":"website"`) || !strings.Contains(r.Body, `"contacts.0.email":`) {
		t.Fatalf("bad website: %d %s", r.Status, r.Body)
	}
	outsider := a.User(t, "")
	if err := a.App.Authz.AddRole(t.Context(), outsider.ID, "procurement", "clinic"); err != nil {
		t.Fatal(err)
	}
	if r := call("POST", "/api/v1/vendors", `{"legal_name":"Owner Test Ltd","owner":"`+outsider.ID+`"}`); r.Status != 422 || !strings.Contains(r.Body, `"field":"owner"`) {
		t.Fatalf("an owner from another hospital: %d %s", r.Status, r.Body)
	}
	if r := call("GET", "/api/v1/vendors?tier=1&phi=yes", ""); r.Status != 200 || !strings.Contains(r.Body, `"total":1`) {
		t.Fatalf("list: %d %s", r.Status, r.Body)
	}
	if r := call("PUT", "/api/v1/vendors/"+v.ID, `{"version":99,"legal_name":"Harbor Lab Analytics"}`); r.Status != 409 {
		t.Fatalf("stale update: %d", r.Status)
	}
	if r := call("POST", "/api/v1/vendors/"+v.ID+"/transitions", fmt.Sprintf(`{"to":"onboarding","version":%d}`, v.Version)); r.Status != 200 {
		t.Fatalf("transition: %d %s", r.Status, r.Body)
	}
	if r := call("POST", "/api/v1/vendors/"+v.ID+"/transitions", fmt.Sprintf(`{"to":"terminated","version":%d}`, v.Version+1)); r.Status != 422 {
		t.Fatalf("onboarding → terminated is not a move: %d %s", r.Status, r.Body)
	}
}

func TestVendorImportExport(t *testing.T) {
	a := testkit.StartApp(t)
	b := a.Browser(t)
	b.SignIn(a.User(t, "procurement"))
	sample, err := os.ReadFile(testkit.Path("../../deploy/suppliers-sample.csv"))
	if err != nil {
		t.Fatal(err)
	}
	upload := func(data []byte) testkit.Response {
		return b.Upload("/vendors/import", nil, "file", "suppliers.csv", data)
	}
	r := upload(sample)
	payload := between(r.Body, `name="payload" value="`, `"`)
	if r.Status != 200 || payload == "" || strings.Contains(r.Body, ">error<") {
		t.Fatalf("preview: %d", r.Status)
	}
	if n, _ := a.App.Suppliers.List(t.Context(), a.Config.Domain, supplierQuery()); n.Total != 0 {
		t.Fatal("the preview imported something")
	}
	if r := b.Post("/vendors/import/apply", url.Values{"payload": {payload}, "name": {"suppliers.csv"}}); r.Status != 200 || !strings.Contains(r.Body, "Imported") {
		t.Fatalf("apply: %d", r.Status)
	}
	imported, _ := a.App.Suppliers.List(t.Context(), a.Config.Domain, supplierQuery())
	if imported.Total == 0 {
		t.Fatal("nothing imported")
	}
	if r := upload(sample); !strings.Contains(r.Body, "there is nothing to import") {
		t.Fatalf("re-import would add vendors again: %d", r.Status)
	}
	bad := append(append([]byte(nil), sample...), []byte("\n,missing legal name,,,,,,,,,,,,,,,,,,,,,\n")...)
	if r := upload(bad); r.Status != 200 || !strings.Contains(r.Body, "state bad") || strings.Contains(r.Body, `name="payload"`) {
		t.Fatalf("a file with a bad row can still be imported: %d", r.Status)
	}
	csv := b.Get("/vendors/export.csv")
	if csv.Status != 200 || !strings.HasPrefix(csv.Body, "legal_name,") || strings.Count(csv.Body, "\n") < int(imported.Total)+1 {
		t.Fatalf("export csv: %d %.200s", csv.Status, csv.Body)
	}
	if x := b.Get("/vendors/export.xlsx"); x.Status != 200 || !strings.HasPrefix(x.Body, "PK") {
		t.Fatalf("export xlsx: %d", x.Status)
	}
	// The export links carry the register's filters.
	if r := b.Get("/vendors?tier=1&phi=yes"); !strings.Contains(r.Body, `href="/vendors/export.csv?phi=yes&amp;tier=1"`) ||
		!strings.Contains(r.Body, `href="/vendors/export.xlsx?phi=yes&amp;tier=1"`) {
		t.Fatalf("the export links lost the filters:\n%s", r.Body)
	}
}

func supplierQuery() supplier.Query { return supplier.Query{} }

func TestVendorOffboarding(t *testing.T) {
	a := testkit.StartApp(t)
	proc := a.User(t, "procurement")
	ctx := audit.WithActor(t.Context(), audit.Actor{ID: proc.ID, Name: proc.Email})
	f := supplier.Fields{LegalName: "Quill Transcription Ltd", Systems: []string{"emr"}, Data: []string{"phi"}, Access: []string{"remote"},
		Clinical: "low", Owner: proc.ID, Contacts: []supplier.Contact{
			{Name: "Sec Lead", Email: "sec@quill.example", Role: "security"}, {Name: "Counsel", Email: "legal@quill.example", Role: "legal"}}}
	v, err := a.App.Suppliers.Create(ctx, a.Config.Domain, f)
	if err != nil {
		t.Fatal(err)
	}
	approver := audit.WithActor(t.Context(), audit.Actor{ID: "reviewer", Name: "reviewer@hospital.example.org"})
	acceptAssessment(t, a, v.ID)
	baaInForce(t, a, v.ID)
	if v, err = a.App.Suppliers.Get(ctx, a.Config.Domain, v.ID); err != nil {
		t.Fatal(err)
	}
	for _, to := range []string{"onboarding", "active", "offboarding"} {
		mctx := ctx
		if to == "active" {
			mctx = approver
		}
		if v, err = a.App.Suppliers.Transition(mctx, a.Config.Domain, v.ID, v.Version, to, ""); err != nil {
			t.Fatalf("to %s: %v", to, err)
		}
	}
	b := a.Browser(t)
	b.SignIn(proc)
	path := "/vendors/" + v.ID
	upload := func(name string, data []byte) testkit.Response {
		version := between(b.Get(path).Body, `name="version" value="`, `"`)
		return b.Upload(path+"/offboarding/certificate", map[string]string{"version": version}, "certificate", name, data)
	}
	if r := upload("empty.pdf", nil); r.Status != 422 {
		t.Fatalf("a zero-byte certificate: %d", r.Status)
	}
	if r := upload("setup.pdf", []byte("MZ\x90\x00 this is a Windows program")); r.Status != 422 {
		t.Fatalf("a program named .pdf: %d", r.Status)
	}
	pdf := []byte("%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n")
	if r := upload("destruction-certificate.pdf", pdf); r.Status != http.StatusSeeOther {
		t.Fatalf("upload: %d %s", r.Status, r.Body)
	}
	if r := b.Post(path+"/transition", url.Values{"to": {"terminated"}, "version": {between(b.Get(path).Body, `name="version" value="`, `"`)}}); r.Status != 422 ||
		!strings.Contains(r.Body, "Access revoked") {
		t.Fatalf("terminated before access was revoked: %d", r.Status)
	}
	got := b.Get(path + "/offboarding/certificate")
	if got.Status != 200 || got.Body != string(pdf) || !strings.Contains(got.Header.Get("Content-Disposition"), "destruction-certificate.pdf") {
		t.Fatalf("download: %d %q", got.Status, got.Header.Get("Content-Disposition"))
	}
	if len(auditEvents(t, a, "file.download")) != 1 {
		t.Fatal("the download was not audited")
	}
	for _, step := range []string{"access-revoked", "contracts-ended"} {
		if r := b.Post(path+"/offboarding/"+step, url.Values{"version": {between(b.Get(path).Body, `name="version" value="`, `"`)}}); r.Status != http.StatusSeeOther {
			t.Fatalf("%s: %d %s", step, r.Status, r.Body)
		}
	}
	if r := b.Post(path+"/transition", url.Values{"to": {"terminated"}, "version": {between(b.Get(path).Body, `name="version" value="`, `"`)}}); r.Status != http.StatusSeeOther {
		t.Fatalf("terminate after the checklist: %d %s", r.Status, r.Body)
	}
}

func TestHomeSummarisesRegister(t *testing.T) {
	a := testkit.StartApp(t)
	proc, staff := a.User(t, "procurement"), a.User(t, "staff")
	ctx := audit.WithActor(t.Context(), audit.Actor{ID: proc.ID, Name: proc.Email})
	if _, err := a.App.Suppliers.Create(ctx, a.Config.Domain, supplier.Fields{LegalName: "Bayline Fiber Networks", Systems: []string{"internet"},
		Data: []string{"none"}, Access: []string{"onsite"}, Clinical: "low"}); err != nil {
		t.Fatal(err)
	}
	b := a.Browser(t)
	b.SignIn(proc)
	if r := b.Get("/"); !strings.Contains(r.Body, "1 vendor(s)") || !strings.Contains(r.Body, "overdue for reassessment") {
		t.Fatalf("procurement's home page lacks the register summary:\n%s", between(r.Body, "<main", "</main>"))
	}
	sb := a.Browser(t)
	sb.SignIn(staff)
	if r := sb.Get("/"); strings.Contains(r.Body, "Supplier register") {
		t.Fatal("staff see the register summary")
	}
}

// TestOnboardingStarterCannotApprove: segregation of duties, for someone
// holding both procurement and security_reviewer.
func TestOnboardingStarterCannotApprove(t *testing.T) {
	a := testkit.StartApp(t)
	both := a.User(t, "procurement")
	if err := a.App.Authz.AddRole(t.Context(), both.ID, "security_reviewer", a.Config.Domain); err != nil {
		t.Fatal(err)
	}
	b := a.Browser(t)
	b.SignIn(both)
	f := pacsForm()
	f.Set("owner", both.ID)
	f.Set("contacts.1.role", "legal")
	f.Set("contacts.1.name", "Lee Counsel")
	f.Set("contacts.1.email", "legal@northwind-imaging.example")
	r := b.Post("/vendors", f)
	path := r.Header.Get("Location")
	version := func() string { return between(b.Get(path).Body, `name="version" value="`, `"`) }
	if r := b.Post(path+"/transition", url.Values{"to": {"onboarding"}, "version": {version()}}); r.Status != http.StatusSeeOther {
		t.Fatalf("onboarding: %d", r.Status)
	}
	r = b.Post(path+"/transition", url.Values{"to": {"active"}, "version": {version()}, "password": {both.Password}})
	if r.Status != 403 || !strings.Contains(r.Body, "someone else must approve") {
		t.Fatalf("the starter approved their own onboarding: %d", r.Status)
	}
	acceptAssessment(t, a, strings.TrimPrefix(path, "/vendors/"))
	baaInForce(t, a, strings.TrimPrefix(path, "/vendors/"))
	other := a.User(t, "security_reviewer")
	ob := a.Browser(t)
	ob.SignIn(other)
	if r := ob.Post(path+"/transition", url.Values{"to": {"active"}, "version": {version()}, "password": {other.Password}}); r.Status != http.StatusSeeOther {
		t.Fatalf("another reviewer's approval: %d %s", r.Status, r.Body)
	}
}

// acceptAssessment takes a vendor through a security assessment to an
// accepted decision, as onboarding requires.
func acceptAssessment(t *testing.T, a *testkit.TestApp, vendorID string) {
	t.Helper()
	l, _ := sendLink(t, a, false, vendorID)
	answerEverything(t, a, l)
	if _, err := a.App.Assessments.Submit(t.Context(), l.token); err != nil {
		t.Fatal(err)
	}
	ctx := audit.WithActor(t.Context(), audit.Actor{ID: "assessor", Name: "assessor@hospital.example.org"})
	asm := l.answers(t, a)
	if _, err := a.App.Assessments.Decide(ctx, a.Config.Domain, asm.ID, asm.Version, assessment.DecisionInput{
		Outcome: assessment.Accept, Residual: "low", Reason: "Reviewed for the test."}); err != nil {
		t.Fatal(err)
	}
}

// baaInForce puts a complete business associate agreement with the vendor
// in force, as legal would: what a vendor handling PHI needs to become
// active.
func baaInForce(t *testing.T, a *testkit.TestApp, vendorID string) {
	t.Helper()
	legal := a.User(t, "legal")
	ctx := audit.WithActor(t.Context(), audit.Actor{ID: legal.ID, Name: legal.Email})
	terms := contract.AllTerms(10)
	c, err := a.App.Contracts.Create(ctx, a.Config.Domain, contract.Fields{VendorID: vendorID, Type: contract.BAA,
		Title: "Business associate agreement", Effective: time.Now().AddDate(0, -1, 0), Evergreen: true, Owner: legal.ID, BAA: &terms})
	if err != nil {
		t.Fatal(err)
	}
	f, err := upload.Spool(bytes.NewReader(pdfdoc.Text("Business associate agreement", "Signed")), 1<<20, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer f.Remove()
	f.Name = "baa-signed.pdf"
	if c, err = a.App.Contracts.UploadFile(ctx, a.Config.Domain, c.ID, c.Version, f, true, true); err != nil {
		t.Fatal(err)
	}
	if _, err := a.App.Contracts.Activate(ctx, a.Config.Domain, c.ID, c.Version); err != nil {
		t.Fatal(err)
	}
}
