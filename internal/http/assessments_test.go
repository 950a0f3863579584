package http_test

import (
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"dossier/internal/audit"
	"dossier/internal/authz"
	"dossier/internal/testkit"
)

// TestAssessmentPages walks the staff side of an assessment through its
// pages: send, read, review, decide, sign.
func TestAssessmentPages(t *testing.T) {
	a := testkit.StartApp(t)
	proc, reviewer, approver := a.User(t, authz.RoleProcurement), a.User(t, authz.RoleSecurityReviewer), a.User(t, authz.RoleApprover)
	pb, rb, ab := a.Browser(t), a.Browser(t), a.Browser(t)
	pb.SignIn(proc)
	rb.SignIn(reviewer)
	ab.SignIn(approver)

	if r := pb.Get("/assessments"); r.Status != 200 || !strings.Contains(r.Body, "No assessments yet") {
		t.Fatalf("empty list: %d", r.Status)
	}
	_, vendorID := sendLink(t, a, false) // a vendor, and a first assessment to close below
	first := pb.Get("/assessments").Body
	firstID := between(first, `href="/assessments/`, `"`)
	if r := pb.Post("/assessments/"+firstID+"/cancel", url.Values{"version": {"1"}, "reason": {"sent to the wrong contact"}}); r.Status != http.StatusSeeOther {
		t.Fatalf("cancel: %d", r.Status)
	}

	t.Run("SendForm", func(t *testing.T) {
		r := pb.Get("/assessments/new?vendor=" + vendorID)
		if r.Status != 200 || !strings.Contains(r.Body, `value="hospital-baseline"`) || !strings.Contains(r.Body, `name="due"`) {
			t.Fatalf("send form: %d", r.Status)
		}
	})
	t.Run("ErrSendInvalid", func(t *testing.T) {
		r := pb.Post("/assessments", url.Values{"vendor": {vendorID}, "template": {"hospital-baseline"}, "due": {"yesterday"},
			"contact_name": {"Ada"}, "contact_email": {"not an address"}})
		if r.Status != 422 || !strings.Contains(r.Body, `id="due-error"`) {
			t.Fatalf("bad due date: %d", r.Status)
		}
		r = pb.Post("/assessments", url.Values{"vendor": {vendorID}, "template": {"hospital-baseline"}, "due": {time.Now().AddDate(0, 0, 9).Format(time.DateOnly)},
			"contact_name": {"Ada"}, "contact_email": {"not an address"}})
		if r.Status != 422 || !strings.Contains(r.Body, `id="contact_email-error"`) {
			t.Fatalf("bad e-mail: %d", r.Status)
		}
	})
	var link string
	t.Run("Send", func(t *testing.T) {
		r := pb.Post("/assessments", url.Values{"vendor": {vendorID}, "template": {"hospital-baseline"}, "due": {time.Now().AddDate(0, 0, 9).Format(time.DateOnly)},
			"contact_name": {"Ada Park"}, "contact_email": {"ada@northwind.example"}})
		link = between(r.Body, `<p class="secret" id="link">`, `</p>`)
		if r.Status != 200 || !strings.HasPrefix(link, a.URL+"/q/") || !strings.Contains(r.Body, "E-mail is not set up") {
			t.Fatalf("sent: %d %q", r.Status, link)
		}
		if r := pb.Post("/assessments", url.Values{"vendor": {vendorID}, "template": {"hospital-baseline"}, "due": {time.Now().AddDate(0, 0, 9).Format(time.DateOnly)},
			"contact_name": {"Ada Park"}, "contact_email": {"ada@northwind.example"}}); r.Status != 409 || !strings.Contains(r.Body, "already has an open") {
			t.Fatalf("a second open assessment: %d", r.Status)
		}
	})
	list := pb.Get("/assessments").Body
	id := between(list, `href="/assessments/`, `"`)
	path := "/assessments/" + id
	if r := pb.Get(path); r.Status != 200 || !strings.Contains(r.Body, "Waiting for the vendor") {
		t.Fatalf("sent assessment page: %d", r.Status)
	}
	token := link[strings.LastIndex(link, "/")+1:]
	answerEverything(t, a, sentLink{token: token, id: id, path: "/q/" + token})
	if _, err := a.App.Assessments.Submit(t.Context(), token); err != nil {
		t.Fatal(err)
	}
	version := func(b *testkit.Browser) string { return between(b.Get(path).Body, `name="version" value="`, `"`) }

	t.Run("ErrForbidden", func(t *testing.T) {
		staff := a.Browser(t)
		staff.SignIn(a.User(t, authz.RoleStaff))
		if r := staff.Get("/assessments"); r.Status != 403 {
			t.Fatalf("staff: %d", r.Status)
		}
		if r := pb.Post(path+"/decision", url.Values{"version": {version(pb)}, "outcome": {"accept"}, "residual": {"low"}, "reason": {"x"}}); r.Status != 403 {
			t.Fatalf("procurement decided: %d", r.Status)
		}
	})
	t.Run("Review", func(t *testing.T) {
		r := rb.Get(path)
		if r.Status != 200 || !strings.Contains(r.Body, `class="score"`) || !strings.Contains(r.Body, "Annex A coverage") {
			t.Fatalf("review page: %d", r.Status)
		}
		if r := rb.Post(path+"/answers/mfa_workforce/accept", nil); r.Status != http.StatusSeeOther {
			t.Fatalf("accept answer: %d", r.Status)
		}
		if r := rb.Post(path+"/findings", url.Values{"severity": {"high"}, "due": {time.Now().AddDate(0, 1, 0).Format(time.DateOnly)}}); r.Status != 422 ||
			!strings.Contains(r.Body, "Give the finding a title.") {
			t.Fatalf("finding without title: %d", r.Status)
		}
		if r := rb.Post(path+"/findings", url.Values{"title": {"No MFA for support staff"}, "severity": {"high"}, "remediation": {"Enforce MFA."},
			"due": {time.Now().AddDate(0, 1, 0).Format(time.DateOnly)}}); r.Status != http.StatusSeeOther {
			t.Fatalf("raise finding: %d", r.Status)
		}
		r = rb.Post(path+"/decision", url.Values{"version": {version(rb)}, "outcome": {"accept"}, "residual": {"low"}, "reason": {"Looks fine."}})
		if r.Status != 409 || !strings.Contains(r.Body, "findings are still open") {
			t.Fatalf("accept with an open finding: %d", r.Status)
		}
		r = rb.Post(path+"/decision", url.Values{"version": {version(rb)}, "outcome": {"accept_with_conditions"}, "residual": {"high"}, "reason": {"MFA by Q3."}})
		if r.Status != http.StatusSeeOther {
			t.Fatalf("propose: %d %s", r.Status, r.Body)
		}
		if r := rb.Get(path); !strings.Contains(r.Body, "you cannot sign it") {
			t.Fatal("the proposer is offered to sign")
		}
	})
	t.Run("Sign", func(t *testing.T) {
		r := ab.Get(path)
		if !strings.Contains(r.Body, "Sign and accept the risk") {
			t.Fatal("no signature form for the approver")
		}
		if r := ab.Post(path+"/signature", url.Values{"version": {version(ab)}, "approve": {"yes"}, "password": {"wrong password"}}); r.Status != 401 {
			t.Fatalf("wrong password: %d", r.Status)
		}
		if r := ab.Post(path+"/signature", url.Values{"version": {version(ab)}, "approve": {"yes"}, "password": {approver.Password}}); r.Status != http.StatusSeeOther {
			t.Fatalf("sign: %d %s", r.Status, r.Body)
		}
		r = ab.Get(path)
		if !strings.Contains(r.Body, "Signed by "+approver.Name) || !strings.Contains(r.Body, "matches the record") {
			t.Fatalf("signature not shown as matching: %s", between(r.Body, `id="decision"`, `</section>`))
		}
	})
	t.Run("FindingConversation", func(t *testing.T) {
		page := rb.Get(path).Body
		fid := between(page, `<article class="finding" id="f-`, `"`)
		fversion := func() string {
			return between(between(rb.Get(path).Body, `action="`+path+`/findings/`+fid+`/close"`, `</form>`), `name="version" value="`, `"`)
		}
		if r := rb.Post(path+"/findings/"+fid+"/reply", url.Values{"version": {fversion()}, "response": {"Which date?"}}); r.Status != http.StatusSeeOther {
			t.Fatalf("reply: %d", r.Status)
		}
		if r := rb.Post(path+"/findings/"+fid+"/close", url.Values{"version": {fversion()}}); r.Status != 422 || !strings.Contains(r.Body, "Say why the finding is closed") {
			t.Fatalf("close without a note: %d", r.Status)
		}
		if r := rb.Post(path+"/findings/"+fid+"/close", url.Values{"version": {fversion()}, "note": {"MFA enforced, evidence seen."}}); r.Status != http.StatusSeeOther {
			t.Fatalf("close: %d", r.Status)
		}
		if r := rb.Post("/assessments/"+firstID+"/findings/"+fid+"/close", url.Values{"version": {"3"}, "note": {"x"}}); r.Status != 404 {
			t.Fatalf("a finding closed through another assessment's address: %d", r.Status)
		}
		if !strings.Contains(rb.Get(path).Body, "MFA enforced, evidence seen.") {
			t.Fatal("closing note not shown")
		}
	})
	t.Run("Lists", func(t *testing.T) {
		if r := rb.Get("/assessments?state=decided&sort=-score"); !strings.Contains(r.Body, `href="`+path+`"`) {
			t.Fatal("decided filter")
		}
		if r := rb.Get("/assessments?state=sent"); strings.Contains(r.Body, `href="`+path+`"`) {
			t.Fatal("sent filter shows a decided assessment")
		}
		for _, p := range []string{"/questionnaires", "/questionnaires/hospital-baseline", "/evidence", "/vendors/" + vendorID} {
			if r := rb.Get(p); r.Status != 200 {
				t.Fatalf("%s: %d", p, r.Status)
			}
		}
	})
}

// TestVendorEvidence files evidence on a vendor's page and finds it in the
// list of what expires soon; the download is the same bytes and audited.
func TestVendorEvidence(t *testing.T) {
	a := testkit.StartApp(t)
	proc := a.User(t, authz.RoleProcurement)
	b := a.Browser(t)
	b.SignIn(proc)
	_, vendorID := sendLink(t, a, false)
	soon := time.Now().AddDate(0, 0, 20).Format(time.DateOnly)
	up := func(name string, data []byte, fields map[string]string) testkit.Response {
		return b.Upload("/vendors/"+vendorID+"/evidence", fields, "file", name, data)
	}
	t.Run("ErrNotAPDF", func(t *testing.T) {
		r := up("soc2.pdf", []byte("MZ\x90\x00 not a report"), map[string]string{"kind": "soc2_type2", "expires": soon})
		if r.Status != 422 || !strings.Contains(r.Body, "not a PDF") {
			t.Fatalf("%d", r.Status)
		}
	})
	t.Run("ErrBadDate", func(t *testing.T) {
		if r := up("soc2.pdf", minimalPDF(), map[string]string{"kind": "soc2_type2", "expires": "soon"}); r.Status != 422 {
			t.Fatalf("%d", r.Status)
		}
	})
	r := up("soc2.pdf", minimalPDF(), map[string]string{"kind": "soc2_type2", "title": "SOC 2 Type II 2026", "expires": soon})
	if r.Status != http.StatusSeeOther {
		t.Fatalf("upload: %d %s", r.Status, r.Body)
	}
	list := b.Get("/evidence").Body
	if !strings.Contains(list, "SOC 2 Type II 2026") {
		t.Fatal("not in the expiring list")
	}
	id := between(list, `href="/evidence/`, `/`)
	dl := b.Get("/evidence/" + id + "/file")
	if dl.Status != 200 || dl.Body != string(minimalPDF()) || !strings.Contains(dl.Header.Get("Content-Disposition"), "attachment") {
		t.Fatalf("download: %d", dl.Status)
	}
	if pv := b.Get("/evidence/" + id + "/preview"); pv.Status != 200 || pv.Header.Get("Content-Disposition") != "inline" {
		t.Fatalf("preview: %d %q", pv.Status, pv.Header.Get("Content-Disposition"))
	}
	evs, err := a.App.Audit.List(t.Context(), audit.Query{Action: "evidence.download"})
	if err != nil || len(evs) != 2 {
		t.Fatalf("downloads audited: %d %v", len(evs), err)
	}
	t.Run("Classify", func(t *testing.T) {
		form := between(b.Get("/vendors/"+vendorID).Body, `action="/evidence/`+id+`"`, `</form>`)
		version := between(form, `name="version" value="`, `"`)
		later := time.Now().AddDate(1, 0, 0).Format(time.DateOnly)
		r := b.Post("/evidence/"+id, url.Values{"version": {version}, "kind": {"soc2_type2"}, "title": {"SOC 2 Type II 2026"},
			"period_start": {"2025-10-01"}, "period_end": {"2026-09-30"}, "expires": {later}})
		if r.Status != http.StatusSeeOther {
			t.Fatalf("classify: %d %s", r.Status, r.Body)
		}
		if strings.Contains(b.Get("/evidence").Body, "SOC 2 Type II 2026") {
			t.Fatal("still listed as expiring after its expiry moved a year out")
		}
		if r := b.Post("/evidence/"+id, url.Values{"version": {version}, "kind": {"soc2_type2"}}); r.Status != http.StatusSeeOther ||
			!strings.Contains(r.Header.Get("Set-Cookie"), "dossier_flash") {
			t.Fatalf("a stale classification: %d", r.Status)
		}
	})
}

// TestAssessmentBrowser is the whole exchange in headless Chromium: the
// vendor answers through the link and uploads a PDF, submits; the reviewer
// sees the score and raises a finding; the vendor answers it.
func TestAssessmentBrowser(t *testing.T) {
	a := testkit.StartApp(t)
	l, _ := sendLink(t, a, false)
	reviewer := a.User(t, authz.RoleSecurityReviewer)
	pdfPath := filepath.Join(t.TempDir(), "iso-certificate.pdf")
	if err := os.WriteFile(pdfPath, minimalPDF(), 0o600); err != nil {
		t.Fatal(err)
	}
	p := testkit.Chrome(t)
	p.SetViewport(1280, 900)

	p.Open(a.URL + l.path)
	p.Click("#a-iso27001_certified-yes")
	waitText(t, p, "#s-iso27001_certified", "Saved")
	p.Upload("#f-iso27001_certified", pdfPath)
	p.Submit(`form#up-iso27001_certified button, button[form="up-iso27001_certified"]`)
	if !strings.Contains(p.Text("main"), "iso-certificate.pdf") {
		t.Fatal("the uploaded file is not listed beside its question")
	}
	answerEverything(t, a, l)
	p.Open(a.URL + l.path + "/submit")
	p.Submit(`form[action$="/submit"] button`)
	if !strings.Contains(p.Text("main"), "Submitted on") {
		t.Fatal("not submitted")
	}

	r := testkit.Chrome(t)
	r.SetViewport(1280, 900)
	r.Open(a.URL + "/signin")
	r.Fill("#email", reviewer.Email)
	r.Fill("#password", reviewer.Password)
	r.Submit("form button[type=submit]")
	r.Open(a.URL + "/assessments/" + l.id)
	if got := r.Text(".score"); !strings.Contains(got, "/100") {
		t.Fatalf("score shows %q", got)
	}
	if !strings.Contains(r.Text("#q-iso27001_certified"), "iso-certificate.pdf") {
		t.Fatal("the reviewer does not see the vendor's file beside the answer")
	}
	r.Select("#f-question", "iso27001_certified")
	r.Fill("#f-title", "Certificate scope excludes hosting")
	r.Select("#f-severity", "high")
	r.Fill("#f-remediation", "Extend the certificate's scope to the hosting service.")
	r.Submit(`#raise button[type=submit]`)
	if !strings.Contains(r.Text("#findings"), "Certificate scope excludes hosting") {
		t.Fatal("the finding is not listed")
	}

	p.Open(a.URL + l.path)
	if !strings.Contains(p.Text("main"), "Certificate scope excludes hosting") {
		t.Fatal("the vendor does not see the finding")
	}
	p.Fill(`textarea[name="response"]`, "The 2027 surveillance audit adds hosting to the scope.")
	p.Submit(`form[action*="/findings/"] button`)
	fs, err := a.App.Assessments.Findings(t.Context(), a.Config.Domain, l.id)
	if err != nil || len(fs) != 1 || fs[0].State != "responded" || !strings.Contains(fs[0].Responses[0].Text, "surveillance audit") {
		t.Fatalf("findings %+v %v", fs, err)
	}
	r.Open(a.URL + "/assessments/" + l.id)
	if !strings.Contains(r.Text("#findings"), "surveillance audit") {
		t.Fatal("the reviewer does not see the vendor's response")
	}
}
