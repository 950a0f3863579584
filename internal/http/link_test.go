package http_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"dossier/internal/app"
	"dossier/internal/assessment"
	"dossier/internal/audit"
	"dossier/internal/config"
	"dossier/internal/pdfdoc"
	"dossier/internal/questionnaire"
	"dossier/internal/supplier"
	"dossier/internal/testkit"
	"dossier/internal/upload"
)

// sentLink is a questionnaire sent to a new vendor, with its link's token.
type sentLink struct {
	token string
	id    string
	path  string // /q/<token>
}

// sendLink sends the shipped hospital baseline questionnaire to a new
// vendor, as a procurement officer would.
func sendLink(t *testing.T, a *testkit.TestApp, prefill bool, vendorID ...string) (sentLink, string) {
	t.Helper()
	ctx := audit.WithActor(t.Context(), audit.Actor{ID: "proc", Name: "procurement@hospital.example.org"})
	var vid string
	if len(vendorID) > 0 {
		vid = vendorID[0]
	} else {
		v, err := a.App.Suppliers.Create(ctx, a.Config.Domain, supplier.Fields{LegalName: "Northwind Imaging " + testkit.RandomName(""),
			Systems: []string{"pacs"}, Data: []string{"phi"}, Access: []string{"remote"}, Clinical: "high"})
		if err != nil {
			t.Fatal(err)
		}
		vid = v.ID
	}
	sent, err := a.App.Assessments.Send(ctx, a.Config.Domain, assessment.SendInput{VendorID: vid, Template: "hospital-baseline",
		Due: time.Now().AddDate(0, 0, 30), ContactName: "Ada Park", ContactEmail: "ada@northwind.example", Prefill: prefill})
	if err != nil {
		t.Fatal(err)
	}
	return sentLink{token: sent.Token, id: sent.Assessment.ID, path: "/q/" + sent.Token}, vid
}

func (l sentLink) answers(t *testing.T, a *testkit.TestApp) assessment.Assessment {
	t.Helper()
	got, err := a.App.Assessments.Get(t.Context(), a.Config.Domain, l.id)
	if err != nil {
		t.Fatal(err)
	}
	return got
}

func value(asm assessment.Assessment, q string) string {
	return strings.Join(asm.Answers[q].Values, ",")
}

// autosave posts one answer as the page's script does.
func autosave(b *testkit.Browser, path string, body string) testkit.Response {
	if b.Cookie("dossier_csrf") == "" {
		b.Get(path)
	}
	return b.Do("POST", path+"/autosave", strings.NewReader(body), http.Header{
		"Content-Type": {"application/json"}, "Accept": {"application/json"}, "X-CSRF-Token": {b.Cookie("dossier_csrf")}})
}

var wasField = regexp.MustCompile(`name="(was\.[a-z0-9_]+)" value="([0-9a-f]*)"`)

// sectionForm is what a browser without JavaScript sends for the section
// shown on page when nothing is changed: the fingerprints, and the answers
// as rendered (here: none, the page being fresh).
func sectionForm(page, section string) url.Values {
	f := url.Values{"section": {section}}
	for _, m := range wasField.FindAllStringSubmatch(page, -1) {
		f.Set(m[1], m[2])
		f.Set("a."+strings.TrimPrefix(m[1], "was."), "")
	}
	return f
}

// questionDiv returns the opening tag of a question's block.
func questionDiv(page, q string) string {
	i := strings.Index(page, `id="q-`+q+`"`)
	if i < 0 {
		return ""
	}
	return page[i : i+strings.Index(page[i:], ">")]
}

// minimalPDF is a small, valid one-page PDF.
func minimalPDF() []byte { return pdfdoc.Text("ISO/IEC 27001 certificate") }

// answerEverything answers, through the service, whatever still stops the
// submission: required questions, copied answers, missing evidence.
func answerEverything(t *testing.T, a *testkit.TestApp, l sentLink) {
	t.Helper()
	ctx, svc := t.Context(), a.App.Assessments
	for range 10 {
		asm, err := svc.OpenLink(ctx, l.token)
		if err != nil {
			t.Fatal(err)
		}
		missing, err := svc.Check(ctx, asm)
		if err != nil {
			t.Fatal(err)
		}
		if len(missing) == 0 {
			return
		}
		tpl, err := svc.Template(ctx, asm.Template)
		if err != nil {
			t.Fatal(err)
		}
		in := map[string]assessment.AnswerInput{}
		var confirm []string
		for _, m := range missing {
			q, _ := tpl.Question(m.Question)
			ans := asm.Answers[q.ID]
			switch {
			case len(ans.Values) == 0 && q.Type != questionnaire.File:
				in[q.ID] = assessment.AnswerInput{Values: []string{validAnswer(q)}}
			case ans.Prefilled:
				confirm = append(confirm, q.ID)
			case q.Type == questionnaire.YesNo:
				in[q.ID] = assessment.AnswerInput{Values: []string{questionnaire.No}}
			default:
				f, err := upload.Spool(bytes.NewReader(minimalPDF()), 1<<20, "")
				if err != nil {
					t.Fatal(err)
				}
				f.Name = "evidence.pdf"
				if _, err := svc.UploadEvidence(ctx, l.token, q.ID, assessment.EvidenceInput{}, f); err != nil {
					t.Fatalf("upload evidence for %s: %v", q.ID, err)
				}
				f.Remove()
			}
		}
		if _, err := svc.SaveAnswers(ctx, l.token, in); err != nil {
			t.Fatal(err)
		}
		if _, err := svc.Confirm(ctx, l.token, confirm); err != nil {
			t.Fatal(err)
		}
	}
	t.Fatal("the questionnaire still cannot be submitted after 10 rounds of answers")
}

func validAnswer(q *questionnaire.Question) string {
	switch q.Type {
	case questionnaire.YesNo:
		return questionnaire.No
	case questionnaire.Single, questionnaire.Multi:
		return q.Choices[0].Value
	case questionnaire.Number:
		if q.Min != nil {
			return fmt.Sprint(*q.Min)
		}
		return "4"
	case questionnaire.Date:
		return time.Now().AddDate(1, 0, 0).Format(time.DateOnly)
	}
	return "Answered by the test."
}

func TestLinkQuestionnaire(t *testing.T) {
	a := testkit.StartApp(t, func(c *config.Config) { c.UploadLimit = 1 << 20 })

	t.Run("OK", func(t *testing.T) {
		l, _ := sendLink(t, a, false)
		r := a.Browser(t).Get(l.path)
		if r.Status != 200 {
			t.Fatalf("page: %d\n%s", r.Status, r.Body)
		}
		for _, want := range []string{"Hospital baseline security questionnaire", "Northwind Imaging", "Security questionnaire for " + a.Config.HospitalName,
			`<span id="qn-answered">0</span> of <span id="qn-total">`, "<progress", "Governance and certifications", "People security",
			`aria-current="step"`, `name="a.isms_policy"`, `name="was.isms_policy"`, `name="c.isms_policy"`, `<legend>`, "Required",
			`form="up-isms_policy"`, `enctype="multipart/form-data"`, `action="` + l.path + `/evidence?question=isms_policy&amp;_csrf=`, "Save this section",
			`src="/static/questionnaire.`} {
			if !strings.Contains(r.Body, want) {
				t.Errorf("the questionnaire page lacks %q", want)
			}
		}
		if strings.Contains(r.Body, `href="/signin"`) || strings.Contains(r.Body, `aria-label="Main"`) {
			t.Error("the vendor's page shows the staff navigation")
		}
		if cc := r.Header.Get("Cache-Control"); cc != "no-store" {
			t.Errorf("Cache-Control = %q", cc)
		}
		if div := questionDiv(r.Body, "iso27001_expiry"); !strings.Contains(div, " hidden") {
			t.Errorf("the certificate's expiry is asked before the certificate: %s", div)
		}
		if div := questionDiv(r.Body, "isms_policy"); strings.Contains(div, " hidden") {
			t.Errorf("an unconditional question is hidden: %s", div)
		}
		people := a.Browser(t).Get(l.path + "?section=people")
		if !strings.Contains(people.Body, `name="a.background_checks"`) || strings.Contains(people.Body, `name="a.isms_policy"`) {
			t.Error("?section=people does not show the people section alone")
		}
	})

	t.Run("SectionSavedWithoutScript", func(t *testing.T) {
		l, _ := sendLink(t, a, false)
		b := a.Browser(t)
		f := sectionForm(b.Get(l.path).Body, "governance")
		f.Set("a.security_contact", "Ada Park, CISO, security@northwind.example")
		f.Set("a.isms_policy", "yes")
		f.Set("c.isms_policy", "Reviewed every March.")
		r := b.Post(l.path+"/answers", f)
		if r.Status != http.StatusSeeOther || r.Header.Get("Location") != l.path+"?section=governance" {
			t.Fatalf("save: %d %s\n%s", r.Status, r.Header.Get("Location"), r.Body)
		}
		page := b.Get(r.Header.Get("Location")).Body
		if !strings.Contains(page, "Section saved.") || !strings.Contains(page, `value="Ada Park, CISO, security@northwind.example"`) ||
			!strings.Contains(page, "Reviewed every March.") {
			t.Fatal("the saved section does not show the answers and the note")
		}
		got := l.answers(t, a)
		if value(got, "isms_policy") != "yes" || got.Answers["isms_policy"].Comment != "Reviewed every March." || value(got, "risk_assessment") != "" {
			t.Fatalf("stored: %+v", got.Answers)
		}
	})

	t.Run("ErrWrongTypeBesideQuestion", func(t *testing.T) {
		l, _ := sendLink(t, a, false)
		b := a.Browser(t)
		f := sectionForm(b.Get(l.path).Body, "governance")
		f.Set("a.isms_policy", "maybe")
		f.Set("a.security_contact", "Ada Park\nCISO")
		f.Set("a.risk_assessment", "yes")
		r := b.Post(l.path+"/answers", f)
		if r.Status != http.StatusUnprocessableEntity {
			t.Fatalf("wrong answers: %d", r.Status)
		}
		for _, want := range []string{`id="e-isms_policy"`, `Question &#34;Do you have a written information security policy`, "answer Yes or No",
			`id="e-security_contact"`, "keep the answer on one line", `aria-invalid="true"`, "2 things were not saved", `href="#q-isms_policy"`,
			"value=\"Ada Park\nCISO\""} {
			if !strings.Contains(r.Body, want) {
				t.Errorf("the refused form lacks %q", want)
			}
		}
		if got := l.answers(t, a); value(got, "risk_assessment") != "yes" || value(got, "isms_policy") != "" {
			t.Fatalf("the valid answer of the same form was not saved, or the wrong one was: %+v", got.Answers)
		}
	})

	t.Run("Autosave", func(t *testing.T) {
		l, _ := sendLink(t, a, false)
		b := a.Browser(t)
		r := autosave(b, l.path, `{"question":"isms_policy","values":["yes"],"comment":"See the attached policy."}`)
		if r.Status != 200 || !strings.HasPrefix(r.Header.Get("Content-Type"), "application/json") {
			t.Fatalf("autosave: %d %s", r.Status, r.Body)
		}
		var got dhttpAutosave
		if err := json.Unmarshal([]byte(r.Body), &got); err != nil {
			t.Fatal(err)
		}
		if got.Answered != 1 || got.Total < 40 || got.Sections["governance"].Answered != 1 || got.SavedAt.IsZero() || len(got.Fingerprint) != 16 ||
			!got.NeedsFile || !contains(got.Visible, "isms_policy") || contains(got.Visible, "iso27001_expiry") {
			t.Fatalf("autosave answered %+v", got)
		}
		if asm := l.answers(t, a); value(asm, "isms_policy") != "yes" || asm.Answers["isms_policy"].Comment != "See the attached policy." {
			t.Fatalf("stored %+v", asm.Answers["isms_policy"])
		}
		// Only the comment: the answer stays.
		if r := autosave(b, l.path, `{"question":"isms_policy","comment":"Updated."}`); r.Status != 200 {
			t.Fatalf("comment alone: %d %s", r.Status, r.Body)
		}
		if asm := l.answers(t, a); value(asm, "isms_policy") != "yes" || asm.Answers["isms_policy"].Comment != "Updated." {
			t.Fatalf("a comment alone changed the answer: %+v", asm.Answers["isms_policy"])
		}

		t.Run("ErrWrongType", func(t *testing.T) {
			r := autosave(b, l.path, `{"question":"risk_assessment","values":["maybe"]}`)
			e := jsonError(t, r)
			if r.Status != 422 || e.Code != "invalid" || e.Field != "risk_assessment" || !strings.Contains(e.Message, "documented information security risk") {
				t.Fatalf("%d %s", r.Status, r.Body)
			}
		})
		t.Run("ErrUnknownQuestion", func(t *testing.T) {
			r := autosave(b, l.path, `{"question":"favourite_colour","values":["blue"]}`)
			if e := jsonError(t, r); r.Status != 422 || e.Field != "favourite_colour" {
				t.Fatalf("%d %s", r.Status, r.Body)
			}
		})
		t.Run("ErrBadJSON", func(t *testing.T) {
			for _, body := range []string{`{"question":`, `{"question":"isms_policy","values":"yes"}`, `{"question":"isms_policy","colour":1}`} {
				if r := autosave(b, l.path, body); r.Status != 400 || jsonError(t, r).Message == "" {
					t.Errorf("%s: %d %s", body, r.Status, r.Body)
				}
			}
		})
		t.Run("ErrCSRF", func(t *testing.T) {
			r := b.Do("POST", l.path+"/autosave", strings.NewReader(`{"question":"isms_policy","values":["no"]}`),
				http.Header{"Content-Type": {"application/json"}, "Accept": {"application/json"}})
			if r.Status != 403 {
				t.Fatalf("an autosave without the CSRF header: %d", r.Status)
			}
		})
	})

	t.Run("ConditionalQuestion", func(t *testing.T) {
		l, _ := sendLink(t, a, false)
		b := a.Browser(t)
		r := autosave(b, l.path, `{"question":"iso27001_certified","values":["yes"]}`)
		var got dhttpAutosave
		_ = json.Unmarshal([]byte(r.Body), &got)
		if r.Status != 200 || !contains(got.Visible, "iso27001_expiry") {
			t.Fatalf("answering yes does not show the expiry question: %d %s", r.Status, r.Body)
		}
		if div := questionDiv(b.Get(l.path).Body, "iso27001_expiry"); div == "" || strings.Contains(div, " hidden") {
			t.Fatalf("the expiry question is still hidden: %q", div)
		}
		autosave(b, l.path, `{"question":"iso27001_certified","values":["no"]}`)
		if div := questionDiv(b.Get(l.path).Body, "iso27001_expiry"); !strings.Contains(div, " hidden") {
			t.Fatalf("the expiry question shows after answering no: %q", div)
		}
	})

	t.Run("TwoTabsKeepEachOthersAnswers", func(t *testing.T) {
		l, _ := sendLink(t, a, false)
		tabA, tabB := a.Browser(t), a.Browser(t)
		f := sectionForm(tabA.Get(l.path).Body, "governance")
		if r := autosave(tabB, l.path, `{"question":"security_contact","values":["Written in tab B"]}`); r.Status != 200 {
			t.Fatalf("tab B: %d %s", r.Status, r.Body)
		}
		f.Set("a.risk_assessment", "yes")
		if r := tabA.Post(l.path+"/answers", f); r.Status != http.StatusSeeOther {
			t.Fatalf("tab A: %d %s", r.Status, r.Body)
		}
		got := l.answers(t, a)
		if value(got, "security_contact") != "Written in tab B" || value(got, "risk_assessment") != "yes" {
			t.Fatalf("after both tabs: security_contact=%q risk_assessment=%q", value(got, "security_contact"), value(got, "risk_assessment"))
		}
	})

	t.Run("Evidence", func(t *testing.T) {
		l, _ := sendLink(t, a, false)
		b := a.Browser(t)
		b.Get(l.path)
		count := func() int {
			card, err := a.App.Assessments.Scorecard(t.Context(), l.answers(t, a))
			if err != nil {
				t.Fatal(err)
			}
			n := 0
			for _, files := range card.Evidence {
				n += len(files)
			}
			return n
		}
		r := b.Upload(l.path+"/evidence", map[string]string{"question": "isms_policy", "kind": "policy", "expires": "2027-03-31"},
			"file", "ISMS policy 2026.pdf", minimalPDF())
		if r.Status != http.StatusSeeOther || r.Header.Get("Location") != l.path+"?section=governance#q-isms_policy" {
			t.Fatalf("upload: %d %s\n%s", r.Status, r.Header.Get("Location"), r.Body)
		}
		page := b.Get(l.path + "?section=governance").Body
		if !strings.Contains(page, "ISMS policy 2026.pdf attached.") || !strings.Contains(page, `<span class="qn-fname">ISMS policy 2026.pdf</span>`) ||
			!strings.Contains(page, "Policy or procedure") || !strings.Contains(page, "expires 31 Mar 2027") {
			t.Fatal("the uploaded file is not listed under its question")
		}
		if count() != 1 {
			t.Fatalf("%d evidence records", count())
		}

		t.Run("ErrNotAPDF", func(t *testing.T) {
			r := b.Upload(l.path+"/evidence", map[string]string{"question": "isms_policy"}, "file", "policy.pdf", []byte("These are the policy's words, typed into a text file.\n"))
			if r.Status != 422 || !strings.Contains(r.Body, `id="fe-isms_policy"`) || !strings.Contains(r.Body, "ends in .pdf") {
				t.Fatalf("a text file named .pdf: %d\n%s", r.Status, r.Body)
			}
			if count() != 1 {
				t.Fatal("a refused file was recorded")
			}
		})
		t.Run("ErrCorruptPDF", func(t *testing.T) {
			junk := append([]byte("%PDF-1.4\n"), bytes.Repeat([]byte("garbage \x00\x01"), 100)...)
			r := b.Upload(l.path+"/evidence", map[string]string{"question": "isms_policy"}, "file", "broken.pdf", junk)
			if r.Status != 422 || !strings.Contains(r.Body, "The PDF could not be read") || count() != 1 {
				t.Fatalf("a truncated PDF: %d", r.Status)
			}
		})
		t.Run("ErrTooLarge", func(t *testing.T) {
			// As a browser sends it: the question in the action's query too,
			// as the body is refused before its fields are all read.
			big := append(minimalPDF(), bytes.Repeat([]byte("%padding\n"), (2<<20)/9)...)
			r := b.Upload(l.path+"/evidence?question=isms_policy", map[string]string{"question": "isms_policy"}, "file", "huge.pdf", big)
			if r.Status != http.StatusRequestEntityTooLarge || !strings.Contains(r.Body, "larger than the 1 MiB limit") ||
				!strings.Contains(r.Body, `id="fe-isms_policy"`) || count() != 1 {
				t.Fatalf("a 2 MiB file over a 1 MiB limit: %d", r.Status)
			}
		})
		t.Run("ErrNoFilesOnThisQuestion", func(t *testing.T) {
			r := b.Upload(l.path+"/evidence", map[string]string{"question": "risk_assessment"}, "file", "x.pdf", minimalPDF())
			if r.Status != 422 || !strings.Contains(r.Body, "This question takes no files.") || count() != 1 {
				t.Fatalf("a file on a question without files: %d", r.Status)
			}
		})
		t.Run("Remove", func(t *testing.T) {
			card, _ := a.App.Assessments.Scorecard(t.Context(), l.answers(t, a))
			id := card.Evidence["isms_policy"][0].ID
			if !strings.Contains(page, `id="rm-`+id+`"`) || !strings.Contains(page, `form="rm-`+id+`"`) {
				t.Fatal("no Remove button for the file")
			}
			r := b.Post(l.path+"/evidence/"+id+"/remove", nil)
			if r.Status != http.StatusSeeOther || !strings.HasSuffix(r.Header.Get("Location"), "#q-isms_policy") || count() != 0 {
				t.Fatalf("remove: %d %s", r.Status, r.Body)
			}
			if r := b.Post(l.path+"/evidence/"+id+"/remove", nil); r.Status != 404 {
				t.Fatalf("removing twice: %d", r.Status)
			}
		})
	})

	t.Run("Submit", func(t *testing.T) {
		l, vendorID := sendLink(t, a, false)
		b := a.Browser(t)
		review := b.Get(l.path + "/submit")
		if review.Status != 200 || !strings.Contains(review.Body, "Answer this question.") ||
			!strings.Contains(review.Body, `href="`+l.path+`?section=governance#q-security_contact"`) || strings.Contains(review.Body, "Submit to ") {
			t.Fatalf("review with nothing answered: %d", review.Status)
		}
		r := b.Post(l.path+"/submit", nil)
		if r.Status != 422 || !strings.Contains(r.Body, "Not submitted") || !strings.Contains(r.Body, "Answer this question.") {
			t.Fatalf("submit with missing answers: %d", r.Status)
		}
		if got := l.answers(t, a); !got.State.Open() || !got.SubmittedAt.IsZero() {
			t.Fatalf("a refused submission changed the state to %s", got.State)
		}

		answerEverything(t, a, l)
		review = b.Get(l.path + "/submit")
		if !strings.Contains(review.Body, "Ready to submit") || !strings.Contains(review.Body, "Submit to "+a.Config.HospitalName) {
			t.Fatal("the review page does not offer to submit")
		}
		r = b.Post(l.path+"/submit", nil)
		if r.Status != http.StatusSeeOther || r.Header.Get("Location") != l.path {
			t.Fatalf("submit: %d %s", r.Status, r.Body)
		}
		page := b.Get(l.path).Body
		if !strings.Contains(page, "Submitted on") || !strings.Contains(page, "security team will review your answers") ||
			strings.Contains(page, `name="a.`) || strings.Contains(page, "Save this section") || !strings.Contains(page, "Answered by the test.") {
			t.Fatal("the submitted questionnaire is not shown read-only")
		}
		if r := autosave(b, l.path, `{"question":"isms_policy","values":["yes"]}`); r.Status != 409 {
			t.Fatalf("autosave after submission: %d %s", r.Status, r.Body)
		}
		if r := b.Post(l.path+"/answers", url.Values{"section": {"governance"}, "was.isms_policy": {""}, "a.isms_policy": {"yes"}}); r.Status != 409 ||
			!strings.Contains(r.Body, "can no longer be changed") || !strings.Contains(r.Body, "Security questionnaire for") {
			t.Fatalf("section save after submission: %d", r.Status)
		}

		t.Run("Findings", func(t *testing.T) {
			reviewer := audit.WithActor(t.Context(), audit.Actor{ID: "rev", Name: "Rita Reviewer"})
			f, err := a.App.Assessments.RaiseFinding(reviewer, a.Config.Domain, l.id, assessment.FindingInput{Question: "security_logging",
				Title: "Security logs kept too briefly", Severity: "high", Remediation: "Keep security logs for at least one year.",
				Due: time.Now().AddDate(0, 2, 0)})
			if err != nil {
				t.Fatal(err)
			}
			page := b.Get(l.path).Body
			for _, want := range []string{"Security logs kept too briefly", "Keep security logs for at least one year.", "Remedy by",
				`action="` + l.path + `/findings/` + f.ID + `"`, "Waiting for your response"} {
				if !strings.Contains(page, want) {
					t.Errorf("the finding lacks %q", want)
				}
			}
			if r := b.Post(l.path+"/findings/"+f.ID, url.Values{"response": {"  "}}); r.Status != 422 || !strings.Contains(r.Body, `id="r-`+f.ID+`-error"`) {
				t.Fatalf("an empty response: %d", r.Status)
			}
			r := b.Post(l.path+"/findings/"+f.ID, url.Values{"response": {"Retention raised to 13 months on 1 May."}})
			if r.Status != http.StatusSeeOther {
				t.Fatalf("respond: %d %s", r.Status, r.Body)
			}
			page = b.Get(l.path).Body
			if !strings.Contains(page, "Retention raised to 13 months on 1 May.") || !strings.Contains(page, "Response sent") {
				t.Fatal("the response is not shown")
			}
			if got, _ := a.App.Assessments.Finding(t.Context(), a.Config.Domain, f.ID); got.State != assessment.FindingResponded || len(got.Responses) != 1 {
				t.Fatalf("finding after the response: %+v", got)
			}
		})

		t.Run("Decided", func(t *testing.T) {
			reviewer := audit.WithActor(t.Context(), audit.Actor{ID: "rev", Name: "Rita Reviewer"})
			got := l.answers(t, a)
			if _, err := a.App.Assessments.Decide(reviewer, a.Config.Domain, l.id, got.Version, assessment.DecisionInput{
				Outcome: assessment.Reject, Residual: "high", Reason: "Internal: logging far below our baseline"}); err != nil {
				t.Fatal(err)
			}
			page := b.Get(l.path).Body
			if !strings.Contains(page, "Outcome: <strong>Rejected</strong>") || strings.Contains(page, "far below our baseline") {
				t.Fatal("the decided questionnaire does not show the outcome alone")
			}
		})

		t.Run("PrefilledConfirmed", func(t *testing.T) {
			next, _ := sendLink(t, a, true, vendorID)
			page := b.Get(next.path + "?section=governance").Body
			if !strings.Contains(page, "From your last questionnaire — confirm or change") || !strings.Contains(page, "Confirm this section's answers") {
				t.Fatalf("copied answers are not marked:\n%s", page)
			}
			var qs []string
			for _, m := range regexp.MustCompile(`name="q" value="([a-z0-9_]+)"`).FindAllStringSubmatch(page, -1) {
				qs = append(qs, m[1])
			}
			if len(qs) == 0 {
				t.Fatal("the confirm form lists no questions")
			}
			r := b.Post(next.path+"/confirm", url.Values{"section": {"governance"}, "q": qs})
			if r.Status != http.StatusSeeOther || r.Header.Get("Location") != next.path+"?section=governance" {
				t.Fatalf("confirm: %d %s", r.Status, r.Body)
			}
			if page := b.Get(next.path + "?section=governance").Body; strings.Contains(page, "From your last questionnaire") {
				t.Fatal("confirmed answers are still marked as copied")
			}
			if got := next.answers(t, a); got.Answers[qs[0]].Prefilled {
				t.Fatal("not confirmed in the store")
			}
		})
	})
}

// TestLinkNotFoundAlike: unknown, tampered, revoked, expired links and
// cancelled assessments all get the same page.
func TestLinkNotFoundAlike(t *testing.T) {
	clock := testkit.NewClock(time.Now())
	a := startAppAt(t, clock.Now)
	proc := audit.WithActor(t.Context(), audit.Actor{ID: "proc", Name: "procurement@hospital.example.org"})
	svc := a.App.Assessments
	valid, _ := sendLink(t, a, false)
	revoked, _ := sendLink(t, a, false)
	cancelled, _ := sendLink(t, a, false)
	expired, _ := sendLink(t, a, false)
	if _, err := svc.RevokeLink(proc, a.Config.Domain, revoked.id, revoked.answers(t, a).Version); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Cancel(proc, a.Config.Domain, cancelled.id, cancelled.answers(t, a).Version, "Vendor withdrew from the tender."); err != nil {
		t.Fatal(err)
	}
	b := a.Browser(t)
	if r := b.Get(expired.path); r.Status != 200 {
		t.Fatalf("the link before it expires: %d", r.Status)
	}
	clock.Advance(31 * 24 * time.Hour) // past the default 30 days
	// Keep the valid link valid: it is the baseline that must still open.
	if _, err := svc.ExtendLink(proc, a.Config.Domain, valid.id, valid.answers(t, a).Version, clock.Now().AddDate(0, 1, 0)); err != nil {
		t.Fatal(err)
	}
	if r := b.Get(valid.path); r.Status != 200 {
		t.Fatalf("the valid link: %d", r.Status)
	}
	tampered := valid.token[:42] + map[bool]string{true: "B", false: "A"}[valid.token[42] == 'A']
	requestID := regexp.MustCompile(`[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}`)
	var first string
	for name, path := range map[string]string{
		"unknown":   "/q/" + strings.Repeat("x", 43),
		"short":     "/q/abc",
		"tampered":  "/q/" + tampered,
		"revoked":   revoked.path,
		"cancelled": cancelled.path,
		"expired":   expired.path,
	} {
		r := b.Get(path)
		body := requestID.ReplaceAllString(r.Body, "")
		if r.Status != 404 || !strings.Contains(body, "This questionnaire link is not valid") || !strings.Contains(body, "Security questionnaire for") {
			t.Errorf("%s: %d\n%s", name, r.Status, r.Body)
			continue
		}
		if first == "" {
			first = body
		} else if body != first {
			t.Errorf("the %s link's page differs from the others", name)
		}
		if r := autosave(b, path, `{"question":"isms_policy","values":["yes"]}`); r.Status != 404 || jsonError(t, r).Code != "not_found" {
			t.Errorf("%s: autosave %d %s", name, r.Status, r.Body)
		}
	}
}

// TestLinkRateLimit: one link answers 240 requests a minute, then 429 with
// Retry-After; another link from the same address still works, and the
// next minute the first works again. The program's clock stands still, so
// the requests all fall in one window.
func TestLinkRateLimit(t *testing.T) {
	clock := testkit.NewClock(time.Now().Truncate(time.Minute).Add(10 * time.Second))
	a := startAppAt(t, clock.Now)
	l, _ := sendLink(t, a, false)
	other, _ := sendLink(t, a, false)
	b := a.Browser(t)
	for i := range 240 {
		if r := b.Get(l.path + "/submit"); r.Status != 200 {
			t.Fatalf("request %d: %d", i+1, r.Status)
		}
	}
	r := b.Get(l.path)
	if r.Status != http.StatusTooManyRequests || r.Header.Get("Retry-After") != "50" || !strings.Contains(r.Body, "Too many requests") ||
		!strings.Contains(r.Body, "Security questionnaire for") {
		t.Fatalf("request 241: %d Retry-After=%q", r.Status, r.Header.Get("Retry-After"))
	}
	if r := autosave(b, l.path, `{"question":"isms_policy","values":["yes"]}`); r.Status != 429 || jsonError(t, r).Message == "" {
		t.Fatalf("autosave over the limit: %d %s", r.Status, r.Body)
	}
	if r := b.Get(other.path); r.Status != 200 {
		t.Fatalf("another link from the same address: %d", r.Status)
	}
	if r := b.Get("/questionnaires"); r.Status == 429 || strings.Contains(r.Body, "Security questionnaire for") {
		t.Fatalf("a staff page under /q… is treated as a vendor's link: %d", r.Status)
	}
	clock.Advance(time.Minute)
	if r := b.Get(l.path); r.Status != 200 {
		t.Fatalf("the next minute: %d", r.Status)
	}
}

// TestLinkBrowser answers in headless Chromium with the page's script:
// autosave, a condition revealing a question, and the layout at desktop
// and phone widths (screenshots in DOSSIER_SHOTS, else a temporary folder).
func TestLinkBrowser(t *testing.T) {
	a := testkit.StartApp(t)
	l, _ := sendLink(t, a, false)
	shots := os.Getenv("DOSSIER_SHOTS")
	if shots == "" {
		shots = t.TempDir()
	}
	p := testkit.Chrome(t)
	p.SetViewport(1280, 900)
	p.Open(a.URL + l.path)
	if p.Visible("#q-iso27001_expiry") {
		t.Fatal("the expiry question shows before the certificate is answered")
	}
	p.Click("#a-iso27001_certified-yes")
	waitText(t, p, "#s-iso27001_certified", "Saved")
	if !p.Visible("#q-iso27001_expiry") {
		t.Fatal("answering yes did not reveal the expiry question")
	}
	p.Fill("#a-security_contact", "Ada Park, CISO")
	p.Click("#a-isms_policy-yes") // leaving the text field saves it
	waitText(t, p, "#s-security_contact", "Saved")
	waitText(t, p, "#s-isms_policy", "Saved")
	if got := p.Text("#qn-answered"); got != "3" {
		t.Errorf("progress shows %s answered, want 3", got)
	}
	if got := p.Text(`.qn-nav li[data-section="governance"] .qn-n`); !strings.HasPrefix(got, "3/") {
		t.Errorf("the section shows %s", got)
	}
	if asm := l.answers(t, a); value(asm, "security_contact") != "Ada Park, CISO" || value(asm, "iso27001_certified") != "yes" {
		t.Fatalf("stored %+v", asm.Answers)
	}
	p.Screenshot(filepath.Join(shots, "link-1280.png"))

	// A refused answer says why beside the question; typing alone saves
	// after a pause.
	p.Open(a.URL + l.path + "?section=continuity")
	p.Fill("#a-rto_hours", "99999")
	p.Click("#a-continuity_plan-yes")
	waitText(t, p, "#s-rto_hours", "enter a number from 0 to 8760")
	if !p.Exists(`#a-rto_hours[aria-invalid="true"]`) {
		t.Error("the refused number is not marked invalid")
	}
	p.Fill("#a-rto_hours", "4")
	waitText(t, p, "#s-rto_hours", "Saved")
	if p.Exists(`#a-rto_hours[aria-invalid="true"]`) {
		t.Error("the corrected number is still marked invalid")
	}
	if asm := l.answers(t, a); value(asm, "rto_hours") != "4" || value(asm, "continuity_plan") != "yes" {
		t.Fatalf("stored rto_hours=%q continuity_plan=%q", value(asm, "rto_hours"), value(asm, "continuity_plan"))
	}
	p.Screenshot(filepath.Join(shots, "link-continuity-1280.png"))

	p.SetViewport(375, 812)
	p.Open(a.URL + l.path)
	for _, sel := range []string{".qn-nav", "#q-isms_policy", "#a-isms_policy-yes", "#a-security_contact", "#f-isms_policy", ".qn-actions button"} {
		if !p.Visible(sel) {
			t.Errorf("%s does not fit a 375 px wide screen", sel)
		}
	}
	p.Screenshot(filepath.Join(shots, "link-375.png"))

	p.Open(a.URL + l.path + "/submit")
	if !p.Visible(".qn-missing li a") {
		t.Error("the review page's list of missing answers does not fit a phone")
	}
	p.Screenshot(filepath.Join(shots, "link-review-375.png"))

	answerEverything(t, a, l)
	p.Open(a.URL + l.path + "/submit")
	p.Submit(`form[action$="/submit"] button`)
	if !strings.Contains(p.Text("main"), "Submitted on") {
		t.Fatal("no confirmation after submitting in the browser")
	}
	p.Screenshot(filepath.Join(shots, "link-submitted-375.png"))
}

func waitText(t *testing.T, p *testkit.Page, sel, want string) {
	t.Helper()
	for range 200 {
		if strings.Contains(p.Text(sel), want) {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("%s says %q, never %q", sel, p.Text(sel), want)
}

// dhttpAutosave is the autosave answer as a client reads it.
type dhttpAutosave struct {
	Answered int      `json:"answered"`
	Total    int      `json:"total"`
	Visible  []string `json:"visible"`
	Sections map[string]struct {
		Answered int  `json:"answered"`
		Total    int  `json:"total"`
		Complete bool `json:"complete"`
	} `json:"sections"`
	SavedAt     time.Time `json:"saved_at"`
	Fingerprint string    `json:"fingerprint"`
	NeedsFile   bool      `json:"needs_file"`
}

type apiErr struct {
	Code, Message, Field string
}

func jsonError(t *testing.T, r testkit.Response) apiErr {
	t.Helper()
	var body struct {
		Error apiErr `json:"error"`
	}
	if err := json.Unmarshal([]byte(r.Body), &body); err != nil {
		t.Fatalf("not a JSON error (%d): %s", r.Status, r.Body)
	}
	return body.Error
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// startAppAt is testkit.StartApp with the program's clock given, for
// links that must expire.
func startAppAt(t *testing.T, now func() time.Time) *testkit.TestApp {
	t.Helper()
	cfg := testkit.DefaultConfig(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	prog, err := app.Open(ctx, cfg, testkit.Logger(t), "test", now)
	if err != nil {
		t.Fatalf("start Dossier: %v", err)
	}
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = prog.Serve(ln) }()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = prog.Shutdown(ctx)
	})
	return &testkit.TestApp{URL: "http://" + ln.Addr().String(), App: prog, Config: cfg}
}
