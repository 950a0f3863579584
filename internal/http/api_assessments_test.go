package http_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"image"
	"image/png"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"dossier/internal/assessment"
	"dossier/internal/audit"
	"dossier/internal/authz"
	"dossier/internal/supplier"
	"dossier/internal/testkit"
	"dossier/internal/upload"
)

// baseline is the shipped questionnaire the tests send.
const baseline = "hospital-baseline"

// assessAPI calls the JSON API with one user's API token.
type assessAPI struct {
	t     *testing.T
	a     *testkit.TestApp
	token string
}

func newAssessAPI(t *testing.T, a *testkit.TestApp, u testkit.User) *assessAPI {
	t.Helper()
	token, _, err := a.App.Access.CreateToken(t.Context(), u.ID, "test")
	if err != nil {
		t.Fatal(err)
	}
	return &assessAPI{t: t, a: a, token: token}
}

func (c *assessAPI) call(method, path, body string) testkit.Response {
	c.t.Helper()
	h := http.Header{"Authorization": {"Bearer " + c.token}, "Accept": {"application/json"}}
	if body != "" {
		h.Set("Content-Type", "application/json")
	}
	return c.a.Browser(c.t).Do(method, path, strings.NewReader(body), h)
}

// want calls the API, fails the test unless the answer has status, and
// decodes a JSON answer into out (when not nil).
func (c *assessAPI) want(status int, method, path, body string, out any) testkit.Response {
	c.t.Helper()
	r := c.call(method, path, body)
	if r.Status != status {
		c.t.Fatalf("%s %s: %d, want %d\n%s", method, path, r.Status, status, r.Body)
	}
	if out != nil {
		if err := json.Unmarshal([]byte(r.Body), out); err != nil {
			c.t.Fatalf("%s %s: %v\n%s", method, path, err, r.Body)
		}
	}
	return r
}

// apiError is the error body every API error has.
type apiError struct {
	Error struct {
		Code, Message, Field string
		Fields               map[string]string
	}
}

func errorOf(t *testing.T, r testkit.Response) apiError {
	t.Helper()
	var e apiError
	if err := json.Unmarshal([]byte(r.Body), &e); err != nil || e.Error.Code == "" {
		t.Fatalf("not an error body: %d %s", r.Status, r.Body)
	}
	return e
}

// sentAssessment is as much of an assessment as the tests read.
type sentAssessment struct {
	ID       string
	State    string
	Version  int64
	Score    *int
	Due      string
	Template struct{ ID, Key string }
	Link     struct {
		URL, Token string
		Active     bool
	}
	Mailed    bool
	Scorecard struct {
		Score int
		Flags []struct{ Question, Text, Severity, Reason string }
	}
	Findings []struct{ ID, State string }
	Proposed *apiDecision
	Decision *apiDecision
}

type apiDecision struct {
	Outcome, Residual, By string
	Signature             *struct {
		SignerName      string `json:"signer_name"`
		Meaning, SHA256 string
		At              time.Time
		Verified        *bool
	}
}

func dueIn(days int) string { return time.Now().UTC().AddDate(0, 0, days).Format(time.DateOnly) }

func sendBody(vendorID string) string {
	return fmt.Sprintf(`{"vendor_id":%q,"template":%q,"due":%q,"contact_name":"Ada Park","contact_email":"security@vendor.example"}`,
		vendorID, baseline, dueIn(30))
}

// newVendor adds a vendor to the register as procurement would.
func newVendor(t *testing.T, a *testkit.TestApp, by testkit.User, name string) supplier.Vendor {
	t.Helper()
	ctx := audit.WithActor(t.Context(), audit.Actor{ID: by.ID, Name: by.Email})
	v, err := a.App.Suppliers.Create(ctx, a.Config.Domain, supplier.Fields{LegalName: name, Systems: []string{"pacs"},
		Data: []string{"phi"}, Access: []string{"remote"}, Clinical: "high"})
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// answerAndSubmit answers, through the vendor's link, whatever the
// questionnaire still needs, and submits.
func answerAndSubmit(t *testing.T, a *testkit.TestApp, token string) {
	t.Helper()
	answerEverything(t, a, sentLink{token: token, path: "/q/" + token})
	if _, err := a.App.Assessments.Submit(t.Context(), token); err != nil {
		t.Fatalf("submit: %v", err)
	}
}

func TestAssessmentAPI(t *testing.T) {
	a := testkit.StartApp(t)
	proc := a.User(t, authz.RoleProcurement)
	reviewer := a.User(t, authz.RoleSecurityReviewer)
	approver := a.User(t, authz.RoleApprover)
	procAPI, reviewAPI := newAssessAPI(t, a, proc), newAssessAPI(t, a, reviewer)
	auditorAPI, staffAPI := newAssessAPI(t, a, a.User(t, authz.RoleAuditor)), newAssessAPI(t, a, a.User(t, authz.RoleStaff))
	vendor := newVendor(t, a, proc, "Northwind Imaging, Inc.")

	var sent sentAssessment
	r := procAPI.want(201, "POST", "/api/v1/assessments", sendBody(vendor.ID), &sent)
	path := "/api/v1/assessments/" + sent.ID

	t.Run("SendOK", func(t *testing.T) {
		if r.Header.Get("Location") != path || sent.State != "sent" || sent.Template.Key == "" || sent.Due != dueIn(30) || sent.Version != 1 {
			t.Fatalf("sent: %s", r.Body)
		}
		if !strings.Contains(r.Body, `"mailed":false`) {
			t.Fatalf("sent without saying whether the link was mailed: %s", r.Body)
		}
		if len(sent.Link.Token) != 43 || !strings.HasSuffix(sent.Link.URL, "/q/"+sent.Link.Token) || !sent.Link.Active {
			t.Fatalf("link: %+v", sent.Link)
		}
		for _, p := range []string{path, path + "/answers", "/api/v1/assessments"} {
			if body := auditorAPI.want(200, "GET", p, "", nil).Body; strings.Contains(body, sent.Link.Token) || strings.Contains(body, `"token"`) {
				t.Fatalf("GET %s shows the link's token again", p)
			}
		}
	})
	t.Run("ErrSendInvalid", func(t *testing.T) {
		r := procAPI.call("POST", "/api/v1/assessments", fmt.Sprintf(
			`{"vendor_id":%q,"template":"no-such-questionnaire","due":"31/12/2026","contact_name":"Ada","contact_email":"not-mail"}`, vendor.ID))
		e := errorOf(t, r)
		if r.Status != 422 || e.Error.Code != "invalid" || !strings.Contains(e.Error.Fields["due"], "YYYY-MM-DD") ||
			e.Error.Fields["contact_email"] == "" || e.Error.Fields["template"] == "" {
			t.Fatalf("%d %s", r.Status, r.Body)
		}
	})
	t.Run("ErrSendUnknownVendor", func(t *testing.T) {
		if r := procAPI.call("POST", "/api/v1/assessments", sendBody("no-such-vendor")); r.Status != 404 {
			t.Fatalf("%d %s", r.Status, r.Body)
		}
	})
	t.Run("ErrSendOpenAlready", func(t *testing.T) {
		if r := procAPI.call("POST", "/api/v1/assessments", sendBody(vendor.ID)); r.Status != 409 {
			t.Fatalf("a second open assessment of the same questionnaire: %d %s", r.Status, r.Body)
		}
	})
	t.Run("ErrUnknownField", func(t *testing.T) {
		// decodeJSON names the field; like every invalid input it is 422.
		r := procAPI.call("POST", "/api/v1/assessments", strings.TrimSuffix(sendBody(vendor.ID), "}")+`,"score":100}`)
		if e := errorOf(t, r); r.Status != 422 || e.Error.Field != "score" {
			t.Fatalf("%d %s", r.Status, r.Body)
		}
	})

	// Who may do what: the matrix over the roles that matter.
	for _, c := range []struct {
		name   string
		api    *assessAPI
		method string
		path   string
		body   string
		want   int
	}{
		{"AuditorList", auditorAPI, "GET", "/api/v1/assessments?vendor_id=" + vendor.ID, "", 200},
		{"AuditorGet", auditorAPI, "GET", path, "", 200},
		{"AuditorAnswers", auditorAPI, "GET", path + "/answers", "", 200},
		{"AuditorFindings", auditorAPI, "GET", path + "/findings", "", 200},
		{"AuditorQuestionnaires", auditorAPI, "GET", "/api/v1/questionnaires", "", 200},
		{"AuditorExpiring", auditorAPI, "GET", "/api/v1/evidence/expiring", "", 200},
		{"ErrAuditorSend", auditorAPI, "POST", "/api/v1/assessments", sendBody(vendor.ID), 403},
		{"ErrAuditorCancel", auditorAPI, "POST", path + "/cancel", `{"version":1,"reason":"x"}`, 403},
		{"ErrStaffList", staffAPI, "GET", "/api/v1/assessments", "", 403},
		{"ErrStaffGet", staffAPI, "GET", path, "", 403},
		{"ErrStaffAnswers", staffAPI, "GET", path + "/answers", "", 403},
		{"ErrStaffQuestionnaires", staffAPI, "GET", "/api/v1/questionnaires", "", 403},
		{"ErrStaffSend", staffAPI, "POST", "/api/v1/assessments", sendBody(vendor.ID), 403},
		{"ErrStaffEvidence", staffAPI, "GET", "/api/v1/evidence?vendor_id=" + vendor.ID, "", 403},
		{"ErrProcurementReviews", procAPI, "POST", path + "/findings", `{}`, 403},
		{"ErrReviewerSigns", reviewAPI, "POST", path + "/signature", `{}`, 403},
		{"ErrNotFound", auditorAPI, "GET", "/api/v1/assessments/no-such-assessment", "", 404},
		{"ErrBadState", auditorAPI, "GET", "/api/v1/assessments?state=lost", "", 422},
	} {
		t.Run(c.name, func(t *testing.T) {
			if r := c.api.call(c.method, c.path, c.body); r.Status != c.want {
				t.Fatalf("%s %s: %d, want %d\n%s", c.method, c.path, r.Status, c.want, r.Body)
			}
		})
	}

	t.Run("List", func(t *testing.T) {
		var list struct {
			Assessments []struct {
				ID, State string
				Vendor    struct{ ID, Name string }
				Link      struct{ Active bool }
				Answers   any
			}
			Total int
		}
		auditorAPI.want(200, "GET", "/api/v1/assessments?state=sent&template="+baseline, "", &list)
		if list.Total != 1 || list.Assessments[0].ID != sent.ID || list.Assessments[0].Vendor.Name != vendor.LegalName ||
			!list.Assessments[0].Link.Active || list.Assessments[0].Answers != nil {
			t.Fatalf("%+v", list)
		}
		auditorAPI.want(200, "GET", "/api/v1/assessments?state=decided", "", &list)
		if list.Total != 0 {
			t.Fatalf("state filter: %+v", list)
		}
	})

	// The vendor answers and submits through the link; then the review.
	answerAndSubmit(t, a, sent.Link.Token)
	var got sentAssessment
	reviewAPI.want(200, "GET", path, "", &got)
	if got.State != "submitted" || got.Score == nil || len(got.Scorecard.Flags) == 0 {
		t.Fatalf("after submission: %+v", got)
	}
	// An answer the scorecard flags, as the reviewer would pick one.
	flagged := got.Scorecard.Flags[0]
	for _, f := range got.Scorecard.Flags {
		if strings.HasPrefix(f.Reason, "Answered") {
			flagged = f
			break
		}
	}
	if flagged.Question == "" || flagged.Text == "" || flagged.Severity == "" || !strings.HasPrefix(flagged.Reason, "Answered") {
		t.Fatalf("flag: %+v", flagged)
	}

	t.Run("Answers", func(t *testing.T) {
		var ans struct {
			Version int64
			Answers map[string]struct {
				Values   []string
				Shown    bool
				Reviewed *struct{ By string }
				Evidence []string
			}
		}
		auditorAPI.want(200, "GET", path+"/answers", "", &ans)
		q := ans.Answers[flagged.Question]
		if len(q.Values) == 0 || !q.Shown || q.Reviewed != nil || q.Evidence == nil {
			t.Fatalf("answer to %s: %+v", flagged.Question, q)
		}
		reviewAPI.want(200, "POST", path+"/answers/"+flagged.Question+"/accept", "", &ans)
		if q := ans.Answers[flagged.Question]; q.Reviewed == nil || q.Reviewed.By != reviewer.ID {
			t.Fatalf("accepted answer: %+v", q)
		}
		if r := reviewAPI.call("POST", path+"/answers/no_such_question/accept", ""); r.Status != 422 {
			t.Fatalf("accept an unknown question: %d", r.Status)
		}
	})

	t.Run("ReturnToVendor", func(t *testing.T) {
		reviewAPI.want(200, "GET", path, "", &got)
		if r := reviewAPI.call("POST", path+"/return", fmt.Sprintf(`{"version":%d,"note":"  "}`, got.Version)); r.Status != 422 ||
			errorOf(t, r).Error.Field != "note" {
			t.Fatalf("returned without a note: %d %s", r.Status, r.Body)
		}
		var back struct{ State, Note string }
		reviewAPI.want(200, "POST", path+"/return", fmt.Sprintf(`{"version":%d,"note":"Say which VPN your support staff use."}`, got.Version), &back)
		if back.State != "in_progress" || !strings.Contains(back.Note, "VPN") {
			t.Fatalf("returned: %+v", back)
		}
		answerAndSubmit(t, a, sent.Link.Token)
	})
	before := got.Version
	reviewAPI.want(200, "GET", path, "", &got)
	var finding struct {
		ID, State, Due string
		Version        int64
	}
	t.Run("RaiseFinding", func(t *testing.T) {
		body := fmt.Sprintf(`{"question":%q,"title":"No MFA for remote support","severity":"high","remediation":"Require MFA on the support VPN.","due":%q}`,
			flagged.Question, dueIn(60))
		reviewAPI.want(201, "POST", path+"/findings", body, &finding)
		if finding.ID == "" || finding.State != "open" || finding.Due != dueIn(60) {
			t.Fatalf("finding: %+v", finding)
		}
		r := reviewAPI.call("POST", path+"/findings", `{"title":"x","severity":"urgent","remediation":"y","due":"soon"}`)
		if e := errorOf(t, r); r.Status != 422 || e.Error.Fields["due"] == "" || e.Error.Fields["severity"] == "" {
			t.Fatalf("bad finding: %d %s", r.Status, r.Body)
		}
	})

	t.Run("ErrAcceptWithOpenFindings", func(t *testing.T) {
		reviewAPI.want(200, "GET", path, "", &got)
		r := reviewAPI.call("POST", path+"/decision", fmt.Sprintf(`{"version":%d,"outcome":"accept","residual":"low","reason":"Fine."}`, got.Version))
		if r.Status != 409 || !strings.Contains(r.Body, "still open") {
			t.Fatalf("%d %s", r.Status, r.Body)
		}
	})
	t.Run("ErrStaleVersion", func(t *testing.T) {
		r := reviewAPI.call("POST", path+"/decision", fmt.Sprintf(`{"version":%d,"outcome":"reject","residual":"high","reason":"No."}`, before))
		if r.Status != 409 {
			t.Fatalf("a decision on a stale version: %d %s", r.Status, r.Body)
		}
	})
	t.Run("ErrNoVersion", func(t *testing.T) {
		r := reviewAPI.call("POST", path+"/decision", `{"outcome":"reject","residual":"high","reason":"No."}`)
		if e := errorOf(t, r); r.Status != 422 || e.Error.Field != "version" {
			t.Fatalf("%d %s", r.Status, r.Body)
		}
	})
	t.Run("ErrUnknownFieldInDecision", func(t *testing.T) {
		r := reviewAPI.call("POST", path+"/decision", fmt.Sprintf(`{"version":%d,"outcome":"reject","residual":"high","reason":"No.","signed":true}`, got.Version))
		if e := errorOf(t, r); r.Status != 422 || e.Error.Field != "signed" {
			t.Fatalf("%d %s", r.Status, r.Body)
		}
	})
	t.Run("FindingReplyAndClose", func(t *testing.T) {
		reply := fmt.Sprintf(`{"version":%d,"message":"Which VPN do your engineers use?"}`, finding.Version)
		if r := reviewAPI.call("POST", path+"/findings/"+finding.ID+"/reply", `{"version":1,"message":""}`); r.Status != 422 ||
			errorOf(t, r).Error.Field != "message" {
			t.Fatalf("an empty reply: %d %s", r.Status, r.Body)
		}
		reviewAPI.want(200, "POST", path+"/findings/"+finding.ID+"/reply", reply, &finding)
		if r := reviewAPI.call("POST", path+"/findings/"+finding.ID+"/reply", reply); r.Status != 409 {
			t.Fatalf("a reply on a stale version: %d", r.Status)
		}
		var list struct{ Findings []struct{ ID, State string } }
		auditorAPI.want(200, "GET", path+"/findings", "", &list)
		if len(list.Findings) != 1 || list.Findings[0].ID != finding.ID {
			t.Fatalf("findings: %+v", list)
		}
	})

	t.Run("DecideLowRisk", func(t *testing.T) {
		reviewAPI.want(200, "GET", path, "", &got)
		body := fmt.Sprintf(`{"version":%d,"outcome":"accept_with_conditions","residual":"low","reason":"MFA finding to be remedied within 60 days."}`, got.Version)
		reviewAPI.want(200, "POST", path+"/decision", body, &got)
		if got.State != "decided" || got.Decision == nil || got.Decision.Outcome != "accept_with_conditions" || got.Decision.By != reviewer.ID ||
			got.Decision.Signature != nil {
			t.Fatalf("decision: %+v", got)
		}
		v, err := a.App.Suppliers.Get(t.Context(), a.Config.Domain, vendor.ID)
		if err != nil || v.LastAssessed.IsZero() {
			t.Fatalf("the vendor's last assessment is not recorded: %v %v", v.LastAssessed, err)
		}
	})

	t.Run("HighRiskNeedsSignature", func(t *testing.T) {
		// Someone who reviews and approves may not sign their own proposal.
		both := a.User(t, authz.RoleSecurityReviewer)
		if err := a.App.Authz.AddRole(t.Context(), both.ID, authz.RoleApprover, a.Config.Domain); err != nil {
			t.Fatal(err)
		}
		bothAPI, approverAPI := newAssessAPI(t, a, both), newAssessAPI(t, a, approver)
		other := newVendor(t, a, proc, "Harbor Lab Analytics")
		var s2 sentAssessment
		procAPI.want(201, "POST", "/api/v1/assessments", sendBody(other.ID), &s2)
		p2 := "/api/v1/assessments/" + s2.ID
		answerAndSubmit(t, a, s2.Link.Token)
		bothAPI.want(200, "GET", p2, "", &s2)
		bothAPI.want(200, "POST", p2+"/decision", fmt.Sprintf(`{"version":%d,"outcome":"accept","residual":"high","reason":"Needed for the lab; compensating controls on our side."}`, s2.Version), &s2)
		if s2.State != "awaiting_approval" || s2.Proposed == nil || s2.Decision != nil {
			t.Fatalf("a high-risk acceptance took effect unsigned: %+v", s2)
		}
		sign := func(password string, version int64) string {
			return fmt.Sprintf(`{"version":%d,"approve":true,"password":%q}`, version, password)
		}
		if r := bothAPI.call("POST", p2+"/signature", sign(both.Password, s2.Version)); r.Status != 403 || !strings.Contains(r.Body, "another approver") {
			t.Fatalf("the proposer signed: %d %s", r.Status, r.Body)
		}
		if r := approverAPI.call("POST", p2+"/signature", sign("not the password", s2.Version)); r.Status != 401 {
			t.Fatalf("a signature with the wrong password: %d %s", r.Status, r.Body)
		}
		if r := approverAPI.call("POST", p2+"/signature", fmt.Sprintf(`{"version":%d,"password":%q}`, s2.Version, approver.Password)); r.Status != 422 ||
			errorOf(t, r).Error.Field != "approve" {
			t.Fatalf("a signature that does not say approve: %d %s", r.Status, r.Body)
		}
		if r := approverAPI.call("POST", p2+"/signature", sign(approver.Password, s2.Version-1)); r.Status != 409 {
			t.Fatalf("a signature on a stale version: %d %s", r.Status, r.Body)
		}
		approverAPI.want(200, "POST", p2+"/signature", sign(approver.Password, s2.Version), &s2)
		sig := s2.Decision.Signature
		if s2.State != "decided" || sig == nil || !regexp.MustCompile(`^[0-9a-f]{64}$`).MatchString(sig.SHA256) || sig.Verified == nil || !*sig.Verified ||
			!strings.Contains(sig.SignerName, approver.Email) || !strings.Contains(sig.Meaning, "high residual risk") {
			t.Fatalf("signed: %+v %+v", s2, sig)
		}
		stored, err := a.App.Assessments.Get(t.Context(), a.Config.Domain, s2.ID)
		verified, verr := a.App.Assessments.VerifySignature(t.Context(), stored)
		if err != nil || verr != nil || !verified || stored.Decision.Signature.SHA256 != sig.SHA256 {
			t.Fatalf("stored signature does not verify: %v", err)
		}
		if len(auditEvents(t, a, "assessment.sign")) != 1 {
			t.Fatal("the signature was not audited")
		}
	})

	t.Run("ErrFindingOfAnotherAssessment", func(t *testing.T) {
		list, err := a.App.Assessments.List(t.Context(), a.Config.Domain, assessment.Filter{})
		if err != nil {
			t.Fatal(err)
		}
		for _, x := range list {
			if x.ID != sent.ID {
				r := reviewAPI.call("POST", "/api/v1/assessments/"+x.ID+"/findings/"+finding.ID+"/close", fmt.Sprintf(`{"version":%d,"note":"x"}`, finding.Version))
				if r.Status != 404 {
					t.Fatalf("closed a finding through another assessment: %d %s", r.Status, r.Body)
				}
				return
			}
		}
		t.Fatal("no second assessment")
	})
}

func TestAssessmentAPILinkAndCancel(t *testing.T) {
	a := testkit.StartApp(t)
	proc := a.User(t, authz.RoleProcurement)
	procAPI := newAssessAPI(t, a, proc)
	vendor := newVendor(t, a, proc, "Bayline Fiber Networks")
	var s sentAssessment
	procAPI.want(201, "POST", "/api/v1/assessments", sendBody(vendor.ID), &s)
	path := "/api/v1/assessments/" + s.ID
	first := s.Link.Token

	t.Run("Reissue", func(t *testing.T) {
		procAPI.want(200, "POST", path+"/link", fmt.Sprintf(`{"action":"reissue","version":%d}`, s.Version), &s)
		if s.Link.Token == "" || s.Link.Token == first || !strings.HasSuffix(s.Link.URL, s.Link.Token) {
			t.Fatalf("reissued link: %+v", s.Link)
		}
		if _, err := a.App.Assessments.OpenLink(t.Context(), first); err == nil {
			t.Fatal("the old link still opens the questionnaire")
		}
	})
	t.Run("Extend", func(t *testing.T) {
		var x struct {
			Version int64
			Link    struct{ Expires time.Time }
		}
		procAPI.want(200, "POST", path+"/link", fmt.Sprintf(`{"action":"extend","version":%d,"until":%q}`, s.Version, dueIn(90)), &x)
		if x.Link.Expires.UTC().Format(time.DateOnly) != dueIn(90) || x.Version != s.Version+1 {
			t.Fatalf("extended: %+v", x)
		}
		s.Version = x.Version
		for body, field := range map[string]string{
			fmt.Sprintf(`{"action":"extend","version":%d,"until":"next week"}`, s.Version): "until",
			fmt.Sprintf(`{"action":"extend","version":%d}`, s.Version):                     "until",
			fmt.Sprintf(`{"action":"shred","version":%d}`, s.Version):                      "action",
		} {
			if r := procAPI.call("POST", path+"/link", body); r.Status != 422 || errorOf(t, r).Error.Field != field {
				t.Fatalf("%s: %d %s", body, r.Status, r.Body)
			}
		}
	})
	t.Run("Cancel", func(t *testing.T) {
		if r := procAPI.call("POST", path+"/cancel", fmt.Sprintf(`{"version":%d,"reason":""}`, s.Version)); r.Status != 422 {
			t.Fatalf("cancel without a reason: %d", r.Status)
		}
		procAPI.want(200, "POST", path+"/cancel", fmt.Sprintf(`{"version":%d,"reason":"Vendor withdrew from the tender."}`, s.Version), &s)
		if s.State != "cancelled" || s.Link.Active {
			t.Fatalf("cancelled: %+v", s)
		}
		if r := procAPI.call("POST", path+"/cancel", fmt.Sprintf(`{"version":%d,"reason":"again"}`, s.Version)); r.Status != 409 {
			t.Fatalf("cancelled twice: %d", r.Status)
		}
	})
}

// TestAssessmentAPIObjectGrant: a grant on one assessment opens that one
// and no other.
func TestAssessmentAPIObjectGrant(t *testing.T) {
	a := testkit.StartApp(t)
	proc := a.User(t, authz.RoleProcurement)
	procAPI := newAssessAPI(t, a, proc)
	var one, two sentAssessment
	procAPI.want(201, "POST", "/api/v1/assessments", sendBody(newVendor(t, a, proc, "Quill Transcription Ltd").ID), &one)
	procAPI.want(201, "POST", "/api/v1/assessments", sendBody(newVendor(t, a, proc, "Meridian Payroll").ID), &two)
	guest := a.User(t, "")
	ctx := audit.WithActor(t.Context(), audit.Actor{ID: "test", Name: "test setup"})
	if err := a.App.Authz.Grant(ctx, guest.ID, a.Config.Domain, authz.Object(authz.ClassAssessment, one.ID), authz.View); err != nil {
		t.Fatal(err)
	}
	guestAPI := newAssessAPI(t, a, guest)
	guestAPI.want(200, "GET", "/api/v1/assessments/"+one.ID, "", nil)
	guestAPI.want(200, "GET", "/api/v1/assessments/"+one.ID+"/answers", "", nil)
	guestAPI.want(403, "GET", "/api/v1/assessments/"+two.ID, "", nil)
	guestAPI.want(403, "GET", "/api/v1/assessments", "", nil)
	guestAPI.want(403, "POST", "/api/v1/assessments/"+one.ID+"/cancel", fmt.Sprintf(`{"version":%d,"reason":"x"}`, one.Version), nil)
}

func TestQuestionnaireAPI(t *testing.T) {
	a := testkit.StartApp(t)
	api := newAssessAPI(t, a, a.User(t, authz.RoleAuditor))
	var list struct {
		Questionnaires []struct {
			ID, Version, Key, Title string
			SectionCount            int `json:"section_count"`
			QuestionCount           int `json:"question_count"`
		}
	}
	api.want(200, "GET", "/api/v1/questionnaires", "", &list)
	key := ""
	for _, q := range list.Questionnaires {
		if q.ID == baseline {
			key = q.Key
			if q.SectionCount == 0 || q.QuestionCount == 0 || q.Key != q.ID+"@"+q.Version || q.Title == "" {
				t.Fatalf("%+v", q)
			}
		}
	}
	if key == "" {
		t.Fatalf("%s is not listed: %+v", baseline, list)
	}
	var full struct {
		Key      string
		Sections []struct {
			ID        string
			Questions []struct {
				ID, Type, Severity, When string
				Required, Evidence       bool
				Weight                   float64
				Controls, HIPAA          []string
				Choices                  []struct{ Value, Label string }
			}
		}
	}
	for _, ref := range []string{baseline, key, strings.Replace(key, "@", "%40", 1)} {
		api.want(200, "GET", "/api/v1/questionnaires/"+ref, "", &full)
		if full.Key != key || len(full.Sections) == 0 {
			t.Fatalf("%s: %+v", ref, full)
		}
	}
	tpl, err := a.App.Assessments.Template(t.Context(), baseline)
	if err != nil {
		t.Fatal(err)
	}
	n, conditional, withChoices := 0, 0, 0
	for _, s := range full.Sections {
		for _, q := range s.Questions {
			n++
			want, ok := tpl.Question(q.ID)
			if !ok || q.Type != string(want.Type) || q.Required != want.Required || q.Evidence != want.Evidence ||
				q.Weight != want.Weight || q.Severity != string(want.Severity) || q.When != want.When || len(q.Controls) != len(want.Controls) ||
				q.Controls == nil || q.HIPAA == nil || len(q.Choices) != len(want.Choices) {
				t.Fatalf("question %s: %+v", q.ID, q)
			}
			if q.When != "" {
				conditional++
			}
			if len(q.Choices) > 0 {
				withChoices++
			}
		}
	}
	if n != len(tpl.Questions()) || conditional == 0 || withChoices == 0 {
		t.Fatalf("%d questions (%d conditional, %d with choices), want %d", n, conditional, withChoices, len(tpl.Questions()))
	}
	if r := api.call("GET", "/api/v1/questionnaires/no-such-questionnaire", ""); r.Status != 404 {
		t.Fatalf("unknown questionnaire: %d", r.Status)
	}
}

func TestEvidenceAPI(t *testing.T) {
	a := testkit.StartApp(t)
	proc := a.User(t, authz.RoleProcurement)
	vendor := newVendor(t, a, proc, "Northwind Imaging, Inc.")
	var img bytes.Buffer
	if err := png.Encode(&img, image.NewGray(image.Rect(0, 0, 8, 8))); err != nil {
		t.Fatal(err)
	}
	f, err := upload.Spool(bytes.NewReader(img.Bytes()), 1<<20, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	f.Name = `soc2 "type 2".png`
	expires := time.Now().UTC().AddDate(0, 0, 20).Truncate(24 * time.Hour)
	ctx := audit.WithActor(t.Context(), audit.Actor{ID: proc.ID, Name: proc.Email})
	e, err := a.App.Assessments.AddEvidence(ctx, a.Config.Domain, vendor.ID,
		assessment.EvidenceInput{Kind: assessment.SOC2Type2, Title: "SOC 2 Type II 2026", Expires: &expires}, f)
	if err != nil {
		t.Fatal(err)
	}
	api := newAssessAPI(t, a, a.User(t, authz.RoleAuditor))
	var list struct {
		Evidence []struct {
			ID, Kind, Expires, URL string
			Expired                bool
			File                   struct{ SHA256 string }
		}
	}
	for _, p := range []string{"/api/v1/evidence?vendor_id=" + vendor.ID, "/api/v1/evidence/expiring"} {
		api.want(200, "GET", p, "", &list)
		if len(list.Evidence) != 1 || list.Evidence[0].ID != e.ID || list.Evidence[0].Expires != expires.Format(time.DateOnly) ||
			list.Evidence[0].Expired || list.Evidence[0].File.SHA256 != e.File.SHA256 {
			t.Fatalf("%s: %+v", p, list)
		}
	}
	r := api.want(200, "GET", list.Evidence[0].URL, "", nil)
	if r.Body != img.String() || !strings.HasPrefix(r.Header.Get("Content-Disposition"), "attachment") ||
		!strings.Contains(r.Header.Get("Content-Disposition"), "soc2") || r.Header.Get("Content-Type") != "image/png" {
		t.Fatalf("download: %d %v", r.Status, r.Header)
	}
	if len(auditEvents(t, a, "evidence.download")) != 1 {
		t.Fatal("the download was not audited")
	}
	api.want(404, "GET", "/api/v1/evidence/no-such-evidence/file", "", nil)
	api.want(404, "GET", "/api/v1/evidence?vendor_id=no-such-vendor", "", nil)
	api.want(422, "GET", "/api/v1/evidence", "", nil)
	newAssessAPI(t, a, a.User(t, authz.RoleStaff)).want(403, "GET", list.Evidence[0].URL, "", nil)
}
