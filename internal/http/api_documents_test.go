package http_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"dossier/internal/audit"
	"dossier/internal/authz"
	"dossier/internal/document"
	"dossier/internal/pdfdoc"
	"dossier/internal/testkit"
	"dossier/internal/upload"
)

// apiDoc is as much of a document as the tests read.
type apiDoc struct {
	ID, Number, Title, Type, Owner string
	Sight, Effective               string
	EffectiveFrom                  string `json:"effective_from"`
	NextReview                     string `json:"next_review"`
	Approval                       *struct {
		Approvers, Roles []string
		Required         int
	}
	Audiences *struct{ Roles, Users []string }
	Retired   *struct{ Reason string }
	Revisions []apiRev
	Version   int64
	URL       string
	CopyURL   string `json:"copy_url"`
}

type apiRev struct {
	N             int
	Label, State  string
	Format        string
	ChangeSummary string `json:"change_summary"`
	Author        string
	Round         int
	EffectiveFrom string `json:"effective_from"`
	Missing       []string
	Sign          *struct{ Allowed bool }
	CommentsURL   string `json:"comments_url"`
	URL           string
	File          struct{ Name, SHA256, URL string }
	Signatures    []struct {
		SignerID string `json:"signer_id"`
		Meaning  string
		SHA256   string
		Verified bool
	}
}

// fresh empties d for a new answer: decoding into a used value would keep
// what the new answer leaves out (omitted fields of revisions).
func (d *apiDoc) fresh() *apiDoc {
	*d = apiDoc{}
	return d
}

func (d apiDoc) rev(n int) apiRev {
	for _, r := range d.Revisions {
		if r.N == n {
			return r
		}
	}
	return apiRev{}
}

type apiDocList struct {
	Documents []struct {
		ID, Number, Effective string
		Latest                string
		LatestState           string `json:"latest_state"`
	}
	Counts struct{ All, Draft, Effective int }
	Total  int
	Pages  int
}

func (l apiDocList) has(id string) bool {
	for _, d := range l.Documents {
		if d.ID == id {
			return true
		}
	}
	return false
}

// documentBody is a create body for a policy approved by one holder of the
// approver role and read by staff.
func documentBody(number, owner string, extra string) string {
	return fmt.Sprintf(`{"number":%q,"title":"Information security policy","type":"policy","owner":%q,"classification":"internal",`+
		`"clauses":["5.2","7.5.3"],"controls":["A.5.1"],"approval":{"roles":["approver"]},"audiences":{"roles":["staff"]}%s}`, number, owner, extra)
}

// revise sends a revision form (multipart) with the API token.
func (c *assessAPI) revise(method, path string, fields map[string]string, name string, data []byte) testkit.Response {
	c.t.Helper()
	body, ct := multipartBody(c.t, fields, name, data)
	return c.a.Browser(c.t).Do(method, path, strings.NewReader(body),
		http.Header{"Authorization": {"Bearer " + c.token}, "Accept": {"application/json"}, "Content-Type": {ct}})
}

// decode reads a JSON answer or fails.
func decode(t *testing.T, r testkit.Response, out any) {
	t.Helper()
	if err := json.Unmarshal([]byte(r.Body), out); err != nil {
		t.Fatalf("%v\n%d %s", err, r.Status, r.Body)
	}
}

func policyDoc(lines ...string) []byte {
	return pdfdoc.Text(append([]string{"INFORMATION SECURITY POLICY"}, lines...)...)
}

func signBody(u testkit.User, meaning string, r apiRev, reason string) string {
	return fmt.Sprintf(`{"meaning":%q,"reason":%q,"password":%q,"sha256":%q,"round":%d}`, meaning, reason, u.Password, r.File.SHA256, r.Round)
}

func TestDocumentAPI(t *testing.T) {
	a := testkit.StartApp(t)
	controller := a.User(t, authz.RoleDocumentController)
	approver := a.User(t, authz.RoleApprover)
	staff := a.User(t, authz.RoleStaff)
	api, apr, st := newAssessAPI(t, a, controller), newAssessAPI(t, a, approver), newAssessAPI(t, a, staff)
	pdf := policyDoc("All staff protect patient information.")

	var d apiDoc
	r := api.want(201, "POST", "/api/v1/documents", documentBody("isms-pol-001", controller.ID, ""), d.fresh())
	path := "/api/v1/documents/" + d.ID
	t.Run("CreateOK", func(t *testing.T) {
		if r.Header.Get("Location") != path || d.Number != "ISMS-POL-001" || d.Version != 1 || d.Sight != "whole" || len(d.Revisions) != 0 ||
			d.Approval == nil || d.Approval.Roles[0] != "approver" || d.Audiences == nil || d.Effective != "" || d.URL != path {
			t.Fatalf("created: %v %s", r.Header, r.Body)
		}
	})

	t.Run("RevisionPDF", func(t *testing.T) {
		r := api.revise("POST", path+"/revisions", map[string]string{"version": fmt.Sprint(d.Version), "change_summary": "First issue.", "major": "true"}, "isms-pol-001.pdf", pdf)
		if r.Status != 201 {
			t.Fatalf("%d %s", r.Status, r.Body)
		}
		decode(t, r, d.fresh())
		rv := d.rev(1)
		if r.Header.Get("Location") != path+"/revisions/1" || rv.Label != "1.0" || rv.State != "draft" || rv.Format != "pdf" ||
			rv.File.SHA256 != sha(pdf) || rv.File.URL != path+"/revisions/1/file" || rv.Author != controller.ID || d.Version != 2 {
			t.Fatalf("revision: %s", r.Body)
		}
		if strings.Contains(r.Body, `"documents/`+d.ID) || strings.Contains(r.Body, `"key"`) || strings.Contains(r.Body, "version_id") {
			t.Fatalf("the answer shows a storage key: %s", r.Body)
		}
		var one struct {
			apiRev
			Document struct {
				ID      string
				Version int64
			}
		}
		api.want(200, "GET", path+"/revisions/1", "", &one)
		if one.Label != "1.0" || one.Document.ID != d.ID || one.Document.Version != d.Version {
			t.Fatalf("one revision: %+v", one)
		}
	})

	t.Run("DraftInvisibleToStaff", func(t *testing.T) {
		st.want(404, "GET", path, "", nil)
		var l apiDocList
		st.want(200, "GET", "/api/v1/documents", "", &l)
		if l.has(d.ID) || l.Total != 0 {
			t.Fatalf("staff list a draft-only document: %+v", l)
		}
	})

	t.Run("Comment", func(t *testing.T) {
		var k struct{ By, Text string }
		apr.want(201, "POST", path+"/revisions/1/comments", `{"text":"Section 3 should name the CISO."}`, &k)
		if k.By != approver.ID || k.Text != "Section 3 should name the CISO." {
			t.Fatalf("comment: %+v", k)
		}
		var list struct {
			Revision string
			Comments []struct{ By, Text string }
		}
		api.want(200, "GET", path+"/revisions/1/comments", "", &list)
		if list.Revision != "1.0" || len(list.Comments) != 1 || list.Comments[0].Text != k.Text {
			t.Fatalf("comments: %+v", list)
		}
	})

	t.Run("Submit", func(t *testing.T) {
		api.want(200, "GET", path, "", d.fresh()) // the version the controller reads now
		api.want(200, "POST", path+"/revisions/1/submit", fmt.Sprintf(`{"version":%d}`, d.Version), d.fresh())
		if rv := d.rev(1); rv.State != "in_review" || rv.Round != 1 || len(rv.Missing) == 0 {
			t.Fatalf("submitted: %+v", rv)
		}
	})

	t.Run("SignWithPassword", func(t *testing.T) {
		var seen apiDoc
		apr.want(200, "GET", path, "", &seen)
		rv := seen.rev(1)
		if rv.Sign == nil || !rv.Sign.Allowed {
			t.Fatalf("the approver is not offered the signature: %+v", rv.Sign)
		}
		if r := apr.call("POST", path+"/revisions/1/sign", `{"meaning":"approve","password":"wrong","sha256":"`+rv.File.SHA256+`","round":1}`); r.Status != 401 {
			t.Fatalf("a wrong password: %d %s", r.Status, r.Body)
		}
		apr.want(200, "POST", path+"/revisions/1/sign", signBody(approver, "approve", rv, ""), d.fresh())
		rv = d.rev(1)
		if rv.State != "approved" || len(rv.Signatures) != 1 || rv.Signatures[0].SignerID != approver.ID || rv.Signatures[0].SHA256 != sha(pdf) ||
			!rv.Signatures[0].Verified || len(rv.Missing) != 0 {
			t.Fatalf("signed: %+v", rv)
		}
	})

	t.Run("Publish", func(t *testing.T) {
		api.want(200, "POST", path+"/revisions/1/publish", fmt.Sprintf(`{"version":%d}`, d.Version), d.fresh())
		if d.Effective != "1.0" || d.rev(1).State != "effective" || d.EffectiveFrom != dueIn(0) || d.NextReview != time.Now().UTC().AddDate(1, 0, 0).Format(time.DateOnly) ||
			d.CopyURL != path+"/copy" {
			t.Fatalf("published: %+v", d)
		}
	})

	// A new draft after publication stays out of staff's sight.
	r = api.revise("POST", path+"/revisions", map[string]string{"version": fmt.Sprint(d.Version), "change_summary": "Typos."}, "", nil)
	if r.Status != 422 {
		t.Fatalf("a revision without content: %d %s", r.Status, r.Body)
	}
	r = api.revise("POST", path+"/revisions", map[string]string{"version": fmt.Sprint(d.Version), "change_summary": "Typos.", "markdown": "# Policy\n\nFixed."}, "", nil)
	if r.Status != 201 {
		t.Fatalf("a Markdown revision: %d %s", r.Status, r.Body)
	}
	decode(t, r, d.fresh())
	if rv := d.rev(2); rv.Label != "1.1" || rv.Format != "markdown" || rv.State != "draft" {
		t.Fatalf("the Markdown draft: %+v", rv)
	}

	t.Run("StaffSeeOnlyEffective", func(t *testing.T) {
		var got apiDoc
		r := st.want(200, "GET", path, "", &got)
		rv := got.rev(1)
		if got.Sight != "effective_only" || len(got.Revisions) != 1 || rv.Label != "1.0" || rv.State != "effective" || rv.File.URL != "" ||
			rv.CommentsURL != "" || rv.Round != 0 || rv.Missing != nil || got.Approval != nil || got.Audiences != nil || got.CopyURL != path+"/copy" {
			t.Fatalf("staff see: %s", r.Body)
		}
		if strings.Contains(r.Body, "CISO") || strings.Contains(r.Body, `"label":"1.1"`) || strings.Contains(r.Body, "version_id") {
			t.Fatalf("staff see comments, drafts or keys: %s", r.Body)
		}
		st.want(404, "GET", path+"/revisions/2", "", nil)
		st.want(200, "GET", path+"/revisions/1", "", nil)
		for _, p := range []string{path + "/revisions/1/file", path + "/revisions/1/comments", path + "/copies", path + "/acknowledgements"} {
			if r := st.call("GET", p, ""); r.Status != 403 {
				t.Errorf("staff GET %s: %d %s", p, r.Status, r.Body)
			}
		}
		var l apiDocList
		st.want(200, "GET", "/api/v1/documents", "", &l)
		if !l.has(d.ID) || l.Documents[0].Latest != "1.0" || l.Documents[0].LatestState != "effective" {
			t.Fatalf("staff list: %+v", l)
		}
	})

	t.Run("Acknowledge", func(t *testing.T) {
		var tasks struct {
			Tasks []struct {
				DocumentID     string `json:"document_id"`
				Revision       string
				AcknowledgeURL string `json:"acknowledge_url"`
			}
			Total int
		}
		st.want(200, "GET", "/api/v1/documents/tasks", "", &tasks)
		if tasks.Total != 1 || tasks.Tasks[0].DocumentID != d.ID || tasks.Tasks[0].Revision != "1.0" || tasks.Tasks[0].AcknowledgeURL != path+"/acknowledge" {
			t.Fatalf("tasks: %+v", tasks)
		}
		var rate struct {
			Expected, Acknowledged int
			Missing                []struct{ ID, Name string }
		}
		api.want(200, "GET", path+"/acknowledgements", "", &rate)
		if rate.Expected != 1 || rate.Acknowledged != 0 || len(rate.Missing) != 1 || rate.Missing[0].ID != staff.ID || rate.Missing[0].Name != staff.Name {
			t.Fatalf("rate before: %+v", rate)
		}
		var ack struct {
			Revision, User string
			Major          int
		}
		st.want(200, "POST", path+"/acknowledge", "", &ack)
		if ack.Revision != "1.0" || ack.User != staff.ID || ack.Major != 1 {
			t.Fatalf("acknowledged: %+v", ack)
		}
		st.want(200, "GET", "/api/v1/documents/tasks", "", &tasks)
		if tasks.Total != 0 || len(tasks.Tasks) != 0 {
			t.Fatalf("tasks after: %+v", tasks)
		}
		api.want(200, "GET", path+"/acknowledgements", "", &rate)
		if rate.Acknowledged != 1 || len(rate.Missing) != 0 {
			t.Fatalf("rate after: %+v", rate)
		}
	})

	t.Run("ControlledCopy", func(t *testing.T) {
		before := len(auditEvents(t, a, "document.copy_issue"))
		r := st.want(200, "GET", path+"/copy", "", nil)
		if r.Header.Get("Content-Type") != "application/pdf" || !strings.HasPrefix(r.Header.Get("Content-Disposition"), "attachment") ||
			!strings.Contains(r.Header.Get("Content-Disposition"), "isms-pol-001-rev-1.0-controlled-copy.pdf") {
			t.Fatalf("copy headers: %v", r.Header)
		}
		texts, err := pdfdoc.PageTexts(bytes.NewReader([]byte(r.Body)))
		if err != nil {
			t.Fatalf("the copy is not a PDF: %v", err)
		}
		if len(texts) < 2 {
			t.Fatalf("%d pages: no approvals page", len(texts))
		}
		for i, text := range texts {
			for _, want := range []string{"Controlled copy", "ISMS-POL-001 rev 1.0", "effective " + dueIn(0), "issued to " + staff.Name, "uncontrolled when printed"} {
				if !strings.Contains(text, want) {
					t.Errorf("page %d lacks %q:\n%s", i+1, want, text)
				}
			}
		}
		if !strings.Contains(texts[0], "patient information") {
			t.Errorf("page 1 lost the original's text:\n%s", texts[0])
		}
		if len(auditEvents(t, a, "document.copy_issue")) != before+1 {
			t.Fatal("the copy was not recorded")
		}
		var copies struct {
			Copies []struct {
				User, Revision, SHA256 string
			}
			Total int
		}
		api.want(200, "GET", path+"/copies", "", &copies)
		if copies.Total != 1 || copies.Copies[0].User != staff.ID || copies.Copies[0].Revision != "1.0" || copies.Copies[0].SHA256 != sha(pdf) {
			t.Fatalf("copies: %+v", copies)
		}
	})

	t.Run("OriginalVerified", func(t *testing.T) {
		before := len(auditEvents(t, a, "document.file_download"))
		r := api.want(200, "GET", path+"/revisions/1/file", "", nil)
		if sha([]byte(r.Body)) != sha(pdf) || r.Header.Get("Content-Type") != "application/pdf" || !strings.Contains(r.Header.Get("Content-Disposition"), "isms-pol-001.pdf") {
			t.Fatalf("original: %v", r.Header)
		}
		if len(auditEvents(t, a, "document.file_download")) != before+1 {
			t.Fatal("the download was not audited")
		}
	})

	t.Run("ReviewedNoChange", func(t *testing.T) {
		rv := d.rev(1)
		body := fmt.Sprintf(`{"revision":1,"sha256":%q,"reason":"Still right.","password":%q}`, rv.File.SHA256, approver.Password)
		apr.want(200, "POST", path+"/review", body, d.fresh())
		if sg := d.rev(1).Signatures; len(sg) != 2 || sg[1].Meaning != "reviewed_no_change" || !sg[1].Verified {
			t.Fatalf("review signature: %+v", sg)
		}
	})

	t.Run("ReviewDue", func(t *testing.T) {
		var due struct {
			Within  int
			DueSoon []struct{ ID string } `json:"due_soon"`
			Overdue []struct{ ID string }
		}
		api.want(400, "GET", "/api/v1/documents/review-due?within=400", "", nil)
		api.want(200, "GET", "/api/v1/documents/review-due?within=366", "", &due)
		if due.Within != 366 || len(due.DueSoon) != 1 || due.DueSoon[0].ID != d.ID || len(due.Overdue) != 0 {
			t.Fatalf("due: %+v", due)
		}
		api.want(200, "GET", "/api/v1/documents/review-due", "", &due)
		if due.Within != 30 || len(due.DueSoon) != 0 {
			t.Fatalf("due in 30 days: %+v", due)
		}
		st.want(200, "GET", "/api/v1/documents/review-due?within=366", "", &due)
		if len(due.DueSoon) != 0 {
			t.Fatalf("staff see the review list: %+v", due)
		}
	})

	t.Run("ListFilters", func(t *testing.T) {
		var l apiDocList
		api.want(200, "GET", "/api/v1/documents?q=isms-pol&type=policy&owner="+controller.ID+"&state=effective&sort=-number&page=1&per_page=10", "", &l)
		if !l.has(d.ID) || l.Total != 1 || l.Pages != 1 || l.Counts.All != 1 || l.Counts.Effective != 1 || l.Counts.Draft != 1 {
			t.Fatalf("filtered: %+v", l)
		}
		api.want(200, "GET", "/api/v1/documents?type=procedure", "", &l)
		if l.has(d.ID) {
			t.Fatal("the type filter let a policy through")
		}
	})

	t.Run("Retire", func(t *testing.T) {
		api.want(200, "POST", path+"/retire", fmt.Sprintf(`{"version":%d,"reason":"Replaced by ISMS-POL-010."}`, d.Version), d.fresh())
		if d.Retired == nil || d.Effective != "" {
			t.Fatalf("retired: %+v", d)
		}
		st.want(404, "GET", path, "", nil)
		r := api.revise("POST", path+"/revisions", map[string]string{"version": fmt.Sprint(d.Version), "change_summary": "Revived.", "markdown": "# x"}, "", nil)
		if r.Status != 409 {
			t.Fatalf("revised a retired document: %d %s", r.Status, r.Body)
		}
	})

	t.Run("ErrNotFound", func(t *testing.T) {
		for _, p := range []string{"/api/v1/documents/no-such-document", path + "/revisions/9", path + "/revisions/x", path + "/revisions/0", path + "/revisions/9/file"} {
			if r := api.call("GET", p, ""); r.Status != 404 {
				t.Errorf("GET %s: %d %s", p, r.Status, r.Body)
			}
		}
	})

	t.Run("ErrUnauthenticated", func(t *testing.T) {
		r := a.Browser(t).Do("GET", "/api/v1/documents", nil, http.Header{"Accept": {"application/json"}})
		if r.Status != 401 {
			t.Fatalf("%d %s", r.Status, r.Body)
		}
	})
}

// TestDocumentAPIBadInput: what the API refuses, with what it says, and
// that nothing is stored when it does.
func TestDocumentAPIBadInput(t *testing.T) {
	a := testkit.StartApp(t)
	controller := a.User(t, authz.RoleDocumentController)
	approver := a.User(t, authz.RoleApprover)
	api, apr := newAssessAPI(t, a, controller), newAssessAPI(t, a, approver)
	pdf := policyDoc("Access is granted on need to know.")

	var d apiDoc
	api.want(201, "POST", "/api/v1/documents", documentBody("ISMS-POL-002", controller.ID, ""), d.fresh())
	path := "/api/v1/documents/" + d.ID
	stored := func(t *testing.T) int {
		t.Helper()
		list, err := a.App.Files.List(t.Context(), "documents/"+d.ID+"/")
		if err != nil {
			t.Fatal(err)
		}
		return len(list)
	}

	t.Run("ErrCreate", func(t *testing.T) {
		r := api.call("POST", "/api/v1/documents", `{"number":"bad number!","type":"memo","approval":{}}`)
		e := errorOf(t, r)
		for _, f := range []string{"number", "title", "type", "owner", "approval"} {
			if e.Error.Fields[f] == "" {
				t.Errorf("%s is not named: %s", f, r.Body)
			}
		}
		if r.Status != 422 {
			t.Fatalf("%d", r.Status)
		}
		r = api.call("POST", "/api/v1/documents", documentBody("isms-pol-002", controller.ID, ""))
		if e := errorOf(t, r); r.Status != 409 || e.Error.Field != "number" || !strings.Contains(e.Error.Message, "ISMS-POL-002") {
			t.Fatalf("a duplicate number: %d %s", r.Status, r.Body)
		}
		if r := api.call("POST", "/api/v1/documents", documentBody("ISMS-POL-003", controller.ID, `,"state":"effective"`)); r.Status != 422 || errorOf(t, r).Error.Field != "state" {
			t.Fatalf("an unknown field: %d %s", r.Status, r.Body)
		}
	})

	for _, c := range []struct {
		name string
		file string
		data []byte
	}{
		{"ErrZeroBytes", "empty.pdf", nil},
		{"ErrNotPDF", "policy.pdf", []byte("This is a plain text file pretending to be a PDF.\n")},
		{"ErrCorruptPDF", "policy.pdf", append([]byte("%PDF-1.7\n1 0 obj\n<< /Type /Catalog /Pages 9 0 R >>\n"), pdf[len(pdf)/2:]...)},
		{"ErrTruncatedPDF", "policy.pdf", pdf[:len(pdf)/2]},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := api.revise("POST", path+"/revisions", map[string]string{"version": fmt.Sprint(d.Version), "change_summary": "First issue."}, c.file, c.data)
			if e := errorOf(t, r); r.Status != 422 || e.Error.Field != "file" && e.Error.Fields["file"] == "" {
				t.Fatalf("%d %s", r.Status, r.Body)
			}
			var got apiDoc
			api.want(200, "GET", path, "", &got)
			if len(got.Revisions) != 0 || got.Version != d.Version || stored(t) != 0 {
				t.Fatalf("a refused file was stored: %+v, %d objects", got, stored(t))
			}
		})
	}
	t.Run("ErrRevisionForm", func(t *testing.T) {
		r := api.revise("POST", path+"/revisions", map[string]string{"major": "maybe", "colour": "red", "markdown": "# x"}, "policy.pdf", pdf)
		e := errorOf(t, r)
		if r.Status != 422 || e.Error.Fields["version"] == "" || e.Error.Fields["major"] == "" || e.Error.Fields["colour"] == "" {
			t.Fatalf("%d %s", r.Status, r.Body)
		}
		r = api.revise("POST", path+"/revisions", map[string]string{"version": fmt.Sprint(d.Version), "change_summary": "x", "markdown": "# x"}, "policy.pdf", pdf)
		if r.Status != 422 || errorOf(t, r).Error.Fields["file"] == "" {
			t.Fatalf("a PDF and Markdown: %d %s", r.Status, r.Body)
		}
		if r := api.call("POST", path+"/revisions", `{"markdown":"# x"}`); r.Status != 415 {
			t.Fatalf("a revision as JSON: %d %s", r.Status, r.Body)
		}
		if r := api.revise("POST", path+"/revisions", map[string]string{"version": "99", "change_summary": "x"}, "policy.pdf", pdf); r.Status != 409 {
			t.Fatalf("a stale version: %d %s", r.Status, r.Body)
		}
		if n := stored(t); n != 0 {
			t.Fatalf("%d objects stored", n)
		}
	})

	r := api.revise("POST", path+"/revisions", map[string]string{"version": fmt.Sprint(d.Version), "change_summary": "First issue."}, "policy.pdf", pdf)
	if r.Status != 201 {
		t.Fatalf("%d %s", r.Status, r.Body)
	}
	decode(t, r, d.fresh())

	t.Run("ErrStaleUpdate", func(t *testing.T) {
		r := api.call("PUT", path, documentBody("ISMS-POL-002", controller.ID, `,"version":1`))
		if r.Status != 409 || errorOf(t, r).Error.Code != "conflict" {
			t.Fatalf("a stale update: %d %s", r.Status, r.Body)
		}
		if r := api.call("PUT", path, documentBody("ISMS-POL-002", controller.ID, "")); r.Status != 422 || errorOf(t, r).Error.Field != "version" {
			t.Fatalf("an update without a version: %d %s", r.Status, r.Body)
		}
		api.want(200, "PUT", path, documentBody("ISMS-POL-002", controller.ID, fmt.Sprintf(`,"title":"Access control policy","version":%d`, d.Version)), d.fresh())
		if d.Title != "Access control policy" {
			t.Fatalf("updated: %+v", d)
		}
	})

	t.Run("ErrPublishDraft", func(t *testing.T) {
		if r := api.call("POST", path+"/revisions/1/publish", fmt.Sprintf(`{"version":%d}`, d.Version)); r.Status != 409 {
			t.Fatalf("published a draft: %d %s", r.Status, r.Body)
		}
	})
	api.want(200, "POST", path+"/revisions/1/submit", fmt.Sprintf(`{"version":%d}`, d.Version), d.fresh())

	t.Run("ErrPublishMissingApprovals", func(t *testing.T) {
		r := api.call("POST", path+"/revisions/1/publish", fmt.Sprintf(`{"version":%d}`, d.Version))
		var e struct {
			Error struct {
				Code, Message string
				Missing       []string
			}
		}
		decode(t, r, &e)
		if r.Status != 409 || e.Error.Code != "conflict" || !strings.Contains(e.Error.Message, "1.0") || len(e.Error.Missing) == 0 || !strings.Contains(e.Error.Missing[0], "approver") {
			t.Fatalf("%d %s", r.Status, r.Body)
		}
		var got apiDoc
		api.want(200, "GET", path, "", &got)
		if got.Effective != "" || got.rev(1).State != "in_review" {
			t.Fatalf("published anyway: %+v", got)
		}
	})
	t.Run("ErrPublishDate", func(t *testing.T) {
		if r := api.call("POST", path+"/revisions/1/publish", fmt.Sprintf(`{"version":%d,"date":"tomorrow"}`, d.Version)); r.Status != 422 || errorOf(t, r).Error.Field != "date" {
			t.Fatalf("%d %s", r.Status, r.Body)
		}
	})

	rv := d.rev(1)
	t.Run("ErrSignStale", func(t *testing.T) {
		for name, body := range map[string]string{
			"sha256": fmt.Sprintf(`{"meaning":"approve","password":%q,"sha256":%q,"round":%d}`, approver.Password, sha([]byte("other")), rv.Round),
			"round":  fmt.Sprintf(`{"meaning":"approve","password":%q,"sha256":%q,"round":%d}`, approver.Password, rv.File.SHA256, rv.Round+1),
		} {
			if r := apr.call("POST", path+"/revisions/1/sign", body); r.Status != 409 {
				t.Errorf("a wrong %s: %d %s", name, r.Status, r.Body)
			}
		}
		r := apr.call("POST", path+"/revisions/1/sign", fmt.Sprintf(`{"meaning":"approve","password":%q}`, approver.Password))
		if r.Status != 422 {
			t.Errorf("no sha256 or round: %d %s", r.Status, r.Body)
		}
		if r := apr.call("POST", path+"/revisions/1/sign", signBody(approver, "reject", rv, "")); r.Status != 422 || errorOf(t, r).Error.Field != "reason" {
			t.Errorf("a rejection without a reason: %d %s", r.Status, r.Body)
		}
		var got apiDoc
		api.want(200, "GET", path, "", &got)
		if len(got.rev(1).Signatures) != 0 {
			t.Fatalf("a refused signature was recorded: %+v", got.rev(1).Signatures)
		}
	})

	t.Run("ErrSelfApproval", func(t *testing.T) {
		// A controller who also approves writes a revision and may not sign it.
		both := a.User(t, authz.RoleDocumentController)
		ctx := audit.WithActor(t.Context(), audit.Actor{ID: "test", Name: "test setup"})
		if err := a.App.Authz.AddRole(ctx, both.ID, authz.RoleApprover, a.Config.Domain); err != nil {
			t.Fatal(err)
		}
		self := newAssessAPI(t, a, both)
		var own apiDoc
		self.want(201, "POST", "/api/v1/documents", documentBody("ISMS-PRO-001", both.ID, ""), own.fresh())
		p := "/api/v1/documents/" + own.ID
		r := self.revise("POST", p+"/revisions", map[string]string{"version": fmt.Sprint(own.Version), "change_summary": "First issue."}, "p.pdf", pdf)
		decode(t, r, own.fresh())
		self.want(200, "POST", p+"/revisions/1/submit", fmt.Sprintf(`{"version":%d}`, own.Version), own.fresh())
		if s := own.rev(1).Sign; s == nil || s.Allowed {
			t.Fatalf("the author is offered the signature: %+v", s)
		}
		r = self.call("POST", p+"/revisions/1/sign", signBody(both, "approve", own.rev(1), ""))
		if e := errorOf(t, r); r.Status != 403 || e.Error.Code != "forbidden" || !strings.Contains(e.Error.Message, "You wrote revision 1.0") {
			t.Fatalf("self-approval: %d %s", r.Status, r.Body)
		}
	})

	t.Run("Reject", func(t *testing.T) {
		apr.want(200, "POST", path+"/revisions/1/sign", signBody(approver, "reject", rv, "Name the CISO."), d.fresh())
		if got := d.rev(1); got.State != "draft" || len(got.Signatures) != 1 || got.Signatures[0].Meaning != "reject" {
			t.Fatalf("rejected: %+v", got)
		}
		var list struct{ Comments []struct{ Text string } }
		api.want(200, "GET", path+"/revisions/1/comments", "", &list)
		if len(list.Comments) != 1 || !strings.Contains(list.Comments[0].Text, "Name the CISO.") {
			t.Fatalf("the rejection is not among the comments: %+v", list)
		}
	})

	t.Run("ErrDisposeRetained", func(t *testing.T) {
		api.want(200, "POST", path+"/revisions/1/retire", fmt.Sprintf(`{"version":%d,"reason":"Withdrawn."}`, d.Version), d.fresh())
		r := apr.call("POST", path+"/revisions/1/dispose", fmt.Sprintf(`{"version":%d,"reason":"Schedule."}`, d.Version))
		if r.Status != 409 || !isoDate.MatchString(errorOf(t, r).Error.Message) {
			t.Fatalf("disposing within retention: %d %s", r.Status, r.Body)
		}
	})

	t.Run("ErrBadQuery", func(t *testing.T) {
		for query, field := range map[string]string{
			"type=memo": "type", "state=live": "state", "sort=size": "sort", "page=x": "page", "per_page=0": "per_page",
			"review_due=soon": "review_due", "colour=red": "colour",
		} {
			r := api.call("GET", "/api/v1/documents?"+query, "")
			e := errorOf(t, r)
			if r.Status != 400 || e.Error.Code != "malformed" || e.Error.Field != field && e.Error.Fields[field] == "" {
				t.Errorf("%s: %d %s", query, r.Status, r.Body)
			}
		}
		for _, query := range []string{"within=0", "within=x", "days=3"} {
			if r := api.call("GET", "/api/v1/documents/review-due?"+query, ""); r.Status != 400 {
				t.Errorf("review-due?%s: %d %s", query, r.Status, r.Body)
			}
		}
	})

	t.Run("ErrGrantInput", func(t *testing.T) {
		admin := newAssessAPI(t, a, a.User(t, authz.RoleAdmin))
		for _, body := range []string{`{"subject":"nobody@hospital.example.org","action":"view"}`, `{"subject":"role:janitor","action":"view"}`,
			`{"subject":"staff","action":"fly"}`, `{"subject":"","action":"view"}`} {
			if r := admin.call("POST", path+"/grants", body); r.Status != 422 {
				t.Errorf("%s: %d %s", body, r.Status, r.Body)
			}
		}
		if r := admin.call("POST", "/api/v1/documents/no-such-document/grants", `{"subject":"staff","action":"view"}`); r.Status != 404 {
			t.Errorf("a grant on no document: %d %s", r.Status, r.Body)
		}
		if r := admin.call("POST", path+"/groups", `{"group":""}`); r.Status != 422 {
			t.Errorf("no group: %d %s", r.Status, r.Body)
		}
	})
}

// docKit makes documents in a given state through the service, written by
// the controller and approved by the approver, for the permission matrix.
type docKit struct {
	t          *testing.T
	a          *testkit.TestApp
	controller testkit.User
	approver   testkit.User
	n          int
}

func (k *docKit) as(u testkit.User) context.Context {
	return audit.WithActor(k.t.Context(), audit.Actor{ID: u.ID, Name: u.Email})
}

func (k *docKit) pdf() *upload.File {
	k.t.Helper()
	f, err := upload.Spool(bytes.NewReader(policyDoc("Kit policy.")), 1<<20, k.t.TempDir())
	if err != nil {
		k.t.Fatal(err)
	}
	f.Name = "policy.pdf"
	k.t.Cleanup(f.Remove)
	return f
}

func (k *docKit) svc() *document.Service { return k.a.App.Documents }

// draft is a new policy with one PDF draft, revision 1.
func (k *docKit) draft() document.Document {
	k.t.Helper()
	k.n++
	d, err := k.svc().Create(k.as(k.controller), k.a.Config.Domain, document.Fields{Number: fmt.Sprintf("KIT-POL-%03d", k.n),
		Title: "Kit policy", Type: document.Policy, Owner: k.controller.ID, Approval: document.ApprovalRule{Roles: []string{authz.RoleApprover}},
		Audiences: document.Audiences{Roles: []string{authz.RoleStaff}}})
	if err != nil {
		k.t.Fatal(err)
	}
	d, _, err = k.svc().NewRevision(k.as(k.controller), k.a.Config.Domain, d.ID, d.Version, document.RevisionInput{Major: true, ChangeSummary: "First issue.", File: k.pdf()})
	if err != nil {
		k.t.Fatal(err)
	}
	return d
}

func (k *docKit) inReview() document.Document {
	k.t.Helper()
	d := k.draft()
	d, err := k.svc().Submit(k.as(k.controller), k.a.Config.Domain, d.ID, d.Version, 1)
	if err != nil {
		k.t.Fatal(err)
	}
	return d
}

func (k *docKit) approved() document.Document {
	k.t.Helper()
	d := k.inReview()
	r, _ := d.Revision(1)
	d, _, err := k.svc().Sign(k.as(k.approver), k.a.Config.Domain, d.ID, 1, document.SignInput{Meaning: document.Approve,
		Password: k.approver.Password, SHA256: r.File.SHA256, Round: r.Round})
	if err != nil {
		k.t.Fatal(err)
	}
	return d
}

func (k *docKit) effective() document.Document {
	k.t.Helper()
	d := k.approved()
	d, err := k.svc().Publish(k.as(k.controller), k.a.Config.Domain, d.ID, d.Version, 1, time.Time{})
	if err != nil {
		k.t.Fatal(err)
	}
	return d
}

// retired has revision 1 retired, its file under retention.
func (k *docKit) retired() document.Document {
	k.t.Helper()
	d := k.effective()
	d, err := k.svc().RetireRevision(k.as(k.controller), k.a.Config.Domain, d.ID, d.Version, 1, "Withdrawn.")
	if err != nil {
		k.t.Fatal(err)
	}
	return d
}

func docPath(d document.Document) string { return "/api/v1/documents/" + d.ID }

// TestDocumentAPIRoles is the permission matrix: every route, every role.
// Each case that changes something gets a document of its own in the
// state it needs. Disposal is refused for the approver too, by retention
// (409): past the permission check, unlike everyone else's 403. Auditors
// read everything and every write is 403.
func TestDocumentAPIRoles(t *testing.T) {
	a := testkit.StartApp(t)
	users := map[string]testkit.User{}
	apis := map[string]*assessAPI{}
	roles := []string{authz.RoleDocumentController, authz.RoleApprover, authz.RoleStaff, authz.RoleAuditor, authz.RoleAdmin, authz.RoleLegal}
	for _, role := range roles {
		users[role] = a.User(t, role)
		apis[role] = newAssessAPI(t, a, users[role])
	}
	kit := &docKit{t: t, a: a, controller: users[authz.RoleDocumentController], approver: users[authz.RoleApprover]}
	const (
		ctl = authz.RoleDocumentController
		apr = authz.RoleApprover
		stf = authz.RoleStaff
		aud = authz.RoleAuditor
		adm = authz.RoleAdmin
		lgl = authz.RoleLegal
	)
	everyone := []string{ctl, apr, stf, aud, adm, lgl}
	viewers := []string{ctl, apr, stf, aud, lgl}
	whole := []string{ctl, apr, aud}
	shared, draftOnly := kit.effective(), kit.draft()
	one := docPath(shared)
	sha1 := func(d document.Document) string { r, _ := d.Revision(1); return r.File.SHA256 }
	created := 0

	type request struct{ method, path, body string }
	for _, c := range []struct {
		name    string
		allowed []string
		ok      int // the allowed roles' answer
		// except are the answers of roles not allowed that are not 403.
		except map[string]int
		// call makes the request as u, on a fresh document when it changes one.
		call func(u testkit.User) request
		// upload: the request is a multipart revision form; body is the version.
		upload bool
	}{
		{"List", everyone, 200, nil, func(testkit.User) request { return request{"GET", "/api/v1/documents", ""} }, false},
		{"Tasks", everyone, 200, nil, func(testkit.User) request { return request{"GET", "/api/v1/documents/tasks", ""} }, false},
		{"ReviewDue", everyone, 200, nil, func(testkit.User) request { return request{"GET", "/api/v1/documents/review-due", ""} }, false},
		{"Get", viewers, 200, nil, func(testkit.User) request { return request{"GET", one, ""} }, false},
		// Someone who may only view finds a document with nothing in effect not there.
		{"GetDraftOnly", whole, 200, map[string]int{stf: 404, lgl: 404}, func(testkit.User) request { return request{"GET", docPath(draftOnly), ""} }, false},
		{"GetRevision", viewers, 200, nil, func(testkit.User) request { return request{"GET", one + "/revisions/1", ""} }, false},
		{"Original", whole, 200, nil, func(testkit.User) request { return request{"GET", one + "/revisions/1/file", ""} }, false},
		{"Comments", whole, 200, nil, func(testkit.User) request { return request{"GET", one + "/revisions/1/comments", ""} }, false},
		{"Acknowledgements", whole, 200, nil, func(testkit.User) request { return request{"GET", one + "/acknowledgements", ""} }, false},
		{"Copy", viewers, 200, nil, func(testkit.User) request { return request{"GET", one + "/copy", ""} }, false},
		{"Copies", whole, 200, nil, func(testkit.User) request { return request{"GET", one + "/copies", ""} }, false},
		{"Grants", []string{aud, adm}, 200, nil, func(testkit.User) request { return request{"GET", one + "/grants", ""} }, false},
		{"Create", []string{ctl}, 201, nil, func(u testkit.User) request {
			created++
			return request{"POST", "/api/v1/documents", documentBody(fmt.Sprintf("NEW-%03d", created), u.ID, "")}
		}, false},
		{"Update", []string{ctl}, 200, nil, func(testkit.User) request {
			d := kit.draft()
			return request{"PUT", docPath(d), documentBody(d.Number, d.Owner, fmt.Sprintf(`,"title":"Amended","version":%d`, d.Version))}
		}, false},
		{"NewRevision", []string{ctl}, 201, nil, func(testkit.User) request {
			d := kit.effective()
			return request{"POST", docPath(d) + "/revisions", fmt.Sprint(d.Version)}
		}, true},
		{"EditDraft", []string{ctl}, 200, nil, func(testkit.User) request {
			d := kit.draft()
			return request{"PUT", docPath(d) + "/revisions/1", fmt.Sprint(d.Version)}
		}, true},
		{"Submit", []string{ctl}, 200, nil, func(testkit.User) request {
			d := kit.draft()
			return request{"POST", docPath(d) + "/revisions/1/submit", fmt.Sprintf(`{"version":%d}`, d.Version)}
		}, false},
		{"Comment", []string{apr}, 201, nil, func(testkit.User) request {
			return request{"POST", docPath(draftOnly) + "/revisions/1/comments", `{"text":"Looks right."}`}
		}, false},
		{"Sign", []string{apr}, 200, nil, func(u testkit.User) request {
			d := kit.inReview()
			return request{"POST", docPath(d) + "/revisions/1/sign", fmt.Sprintf(`{"meaning":"approve","password":%q,"sha256":%q,"round":1}`, u.Password, sha1(d))}
		}, false},
		{"Publish", []string{ctl}, 200, nil, func(testkit.User) request {
			d := kit.approved()
			return request{"POST", docPath(d) + "/revisions/1/publish", fmt.Sprintf(`{"version":%d}`, d.Version)}
		}, false},
		{"RetireRevision", []string{ctl}, 200, nil, func(testkit.User) request {
			d := kit.draft()
			return request{"POST", docPath(d) + "/revisions/1/retire", fmt.Sprintf(`{"version":%d,"reason":"Withdrawn."}`, d.Version)}
		}, false},
		{"Dispose", []string{apr}, 409, nil, func(testkit.User) request {
			d := kit.retired()
			return request{"POST", docPath(d) + "/revisions/1/dispose", fmt.Sprintf(`{"version":%d,"reason":"Schedule."}`, d.Version)}
		}, false},
		{"Retire", []string{ctl}, 200, nil, func(testkit.User) request {
			d := kit.effective()
			return request{"POST", docPath(d) + "/retire", fmt.Sprintf(`{"version":%d,"reason":"Superseded by another policy."}`, d.Version)}
		}, false},
		{"ReviewedNoChange", []string{apr}, 200, nil, func(u testkit.User) request {
			return request{"POST", one + "/review", fmt.Sprintf(`{"revision":1,"sha256":%q,"password":%q}`, sha1(shared), u.Password)}
		}, false},
		{"Acknowledge", []string{ctl, apr, stf, lgl}, 200, nil, func(testkit.User) request { return request{"POST", one + "/acknowledge", ""} }, false},
		{"Grant", []string{adm}, 200, nil, func(testkit.User) request {
			return request{"POST", docPath(draftOnly) + "/grants", `{"subject":"staff","action":"review"}`}
		}, false},
		{"Revoke", []string{adm}, 200, nil, func(testkit.User) request {
			return request{"DELETE", docPath(draftOnly) + "/grants", `{"subject":"role:staff","action":"review"}`}
		}, false},
		{"AddToGroup", []string{adm}, 200, nil, func(testkit.User) request { return request{"POST", one + "/groups", `{"group":"policies"}`} }, false},
		{"RemoveFromGroup", []string{adm}, 200, nil, func(testkit.User) request { return request{"DELETE", one + "/groups", `{"group":"policies"}`} }, false},
	} {
		for _, role := range roles {
			want := 403
			if code, ok := c.except[role]; ok {
				want = code
			}
			for _, ok := range c.allowed {
				if ok == role {
					want = c.ok
				}
			}
			t.Run(c.name+"/"+role, func(t *testing.T) {
				req, api := c.call(users[role]), apis[role]
				var r testkit.Response
				if c.upload {
					r = api.revise(req.method, req.path, map[string]string{"version": req.body, "change_summary": "Clarified."}, "policy.pdf", policyDoc("Revised."))
				} else {
					r = api.call(req.method, req.path, req.body)
				}
				if r.Status != want {
					t.Fatalf("%s %s as %s: %d, want %d\n%s", req.method, req.path, role, r.Status, want, r.Body)
				}
			})
		}
	}
}

// TestDocumentAPIObjectGrants: grants on one document, and on a group of
// documents, open those and no other.
func TestDocumentAPIObjectGrants(t *testing.T) {
	a := testkit.StartApp(t)
	controller, approver := a.User(t, authz.RoleDocumentController), a.User(t, authz.RoleApprover)
	kit := &docKit{t: t, a: a, controller: controller, approver: approver}
	admin := newAssessAPI(t, a, a.User(t, authz.RoleAdmin))
	one, two, policy := kit.draft(), kit.draft(), kit.effective()

	t.Run("ReviewOnOneDocument", func(t *testing.T) {
		reviewer := a.User(t, authz.RoleStaff)
		var g struct {
			Object string
			Grants []struct{ Subject, Action, Object, Who string }
		}
		admin.want(200, "POST", docPath(one)+"/grants", fmt.Sprintf(`{"subject":%q,"action":"review"}`, reviewer.Email), &g)
		if g.Object != "document:"+one.ID || len(g.Grants) != 1 || g.Grants[0].Subject != reviewer.ID || g.Grants[0].Action != "review" ||
			!strings.Contains(g.Grants[0].Who, reviewer.Email) {
			t.Fatalf("granted: %+v", g)
		}
		api := newAssessAPI(t, a, reviewer)
		var d apiDoc
		api.want(200, "GET", docPath(one), "", d.fresh())
		if d.Sight != "whole" || len(d.Revisions) != 1 {
			t.Fatalf("the reviewer does not see the draft: %+v", d)
		}
		api.want(201, "POST", docPath(one)+"/revisions/1/comments", `{"text":"Clause 4 is unclear."}`, nil)
		api.want(200, "GET", docPath(one)+"/revisions/1/comments", "", nil)
		api.want(404, "GET", docPath(two), "", nil) // staff: a draft-only document is not there
		api.want(403, "POST", docPath(two)+"/revisions/1/comments", `{"text":"Clause 4 is unclear."}`, nil)
		api.want(403, "GET", docPath(two)+"/revisions/1/comments", "", nil)
		api.want(403, "POST", docPath(one)+"/revisions/1/submit", fmt.Sprintf(`{"version":%d}`, one.Version), nil)
		var l apiDocList
		api.want(200, "GET", "/api/v1/documents", "", &l)
		if !l.has(one.ID) || l.has(two.ID) || !l.has(policy.ID) {
			t.Fatalf("the reviewer's register: %+v", l)
		}

		admin.want(200, "DELETE", docPath(one)+"/grants", fmt.Sprintf(`{"subject":%q,"action":"review"}`, reviewer.ID), &g)
		if len(g.Grants) != 0 {
			t.Fatalf("revoked: %+v", g)
		}
		api.want(403, "POST", docPath(one)+"/revisions/1/comments", `{"text":"Again."}`, nil)
	})

	t.Run("GroupGrant", func(t *testing.T) {
		// Someone with no role at all, given view and acknowledge on the
		// group "policies", which holds one document.
		reader := a.User(t, "")
		var g struct {
			Groups []string
			Grants []struct{ Subject, Action, Object string }
		}
		admin.want(200, "POST", docPath(policy)+"/groups", `{"group":"policies"}`, &g)
		if len(g.Groups) != 1 || g.Groups[0] != "group:policies" {
			t.Fatalf("grouped: %+v", g)
		}
		ctx := audit.WithActor(t.Context(), audit.Actor{ID: "test", Name: "test setup"})
		for _, act := range []string{authz.View, authz.Acknowledge} {
			if err := a.App.Authz.Grant(ctx, reader.ID, a.Config.Domain, authz.Group("policies"), act); err != nil {
				t.Fatal(err)
			}
		}
		admin.want(200, "GET", docPath(policy)+"/grants", "", &g)
		if len(g.Grants) != 2 || g.Grants[0].Object != "group:policies" || g.Grants[0].Subject != reader.ID {
			t.Fatalf("grants through the group: %+v", g)
		}
		api := newAssessAPI(t, a, reader)
		var d apiDoc
		api.want(200, "GET", docPath(policy), "", d.fresh())
		if d.Sight != "effective_only" || len(d.Revisions) != 1 {
			t.Fatalf("the reader sees: %+v", d)
		}
		api.want(200, "POST", docPath(policy)+"/acknowledge", "", nil)
		api.want(200, "GET", docPath(policy)+"/copy", "", nil)
		api.want(403, "GET", docPath(one), "", nil)
		api.want(403, "GET", docPath(policy)+"/revisions/1/file", "", nil)
		var l apiDocList
		api.want(200, "GET", "/api/v1/documents", "", &l)
		if l.Total != 1 || !l.has(policy.ID) {
			t.Fatalf("the reader's register: %+v", l)
		}

		admin.want(200, "DELETE", docPath(policy)+"/groups", `{"group":"group:policies"}`, &g)
		if len(g.Groups) != 0 {
			t.Fatalf("ungrouped: %+v", g)
		}
		api.want(403, "GET", docPath(policy), "", nil)
	})
}
