package assessment_test

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/bson"

	"dossier/internal/assessment"
	"dossier/internal/errs"
	"dossier/internal/mail"
	"dossier/internal/questionnaire"
	"dossier/internal/supplier"
	"dossier/internal/testkit"
	"dossier/internal/upload"
	"dossier/questionnaires"
)

func TestSend(t *testing.T) {
	e := newEnv(t)
	t.Run("OK", func(t *testing.T) {
		s := e.send(t)
		if len(s.Token) != 43 || !strings.HasPrefix(s.URL, "https://dossier.example/q/") || s.Assessment.Template != "small@1" {
			t.Fatalf("sent %+v", s)
		}
		if s.Assessment.Link.Hash == s.Token || strings.Contains(s.Assessment.Link.Hash, s.Token) {
			t.Fatal("the token is stored")
		}
		if !e.clock.Now().Add(30 * 24 * time.Hour).Equal(s.Assessment.Link.Expires) {
			t.Fatalf("expires %v", s.Assessment.Link.Expires)
		}
		if ev := e.audit.Last(t, "assessment.send"); ev.Details["contact"] != "vera@acme.example" {
			t.Fatalf("audit %+v", ev)
		}
	})
	t.Run("ErrConflictOpenAlready", func(t *testing.T) {
		_, err := e.svc.Send(e.ctx, domain, assessment.SendInput{VendorID: e.vendor.ID, Template: "small",
			Due: e.clock.Now().AddDate(0, 0, 14), ContactName: "V", ContactEmail: "v@acme.example"})
		wantCode(t, err, errs.Conflict)
	})
	t.Run("ErrInvalid", func(t *testing.T) {
		_, err := e.svc.Send(e.ctx, domain, assessment.SendInput{VendorID: e.vendor.ID, Template: "nope",
			Due: e.clock.Now().AddDate(0, 0, -1), ContactEmail: "not-an-email"})
		wantCode(t, err, errs.Invalid)
		f := fieldsOf(err)
		for _, k := range []string{"template", "due", "contact_name", "contact_email"} {
			if f[k] == "" {
				t.Errorf("no message for %s in %v", k, f)
			}
		}
	})
	t.Run("ErrNotFoundVendor", func(t *testing.T) {
		_, err := e.svc.Send(e.ctx, "other", assessment.SendInput{VendorID: e.vendor.ID, Template: "small"})
		wantCode(t, err, errs.NotFound)
	})
}

func TestLinkRefusals(t *testing.T) {
	e := newEnv(t)
	s := e.send(t)
	ctx := context.Background()
	if _, err := e.svc.OpenLink(ctx, s.Token); err != nil {
		t.Fatal(err)
	}
	_, unknown := e.svc.OpenLink(ctx, strings.Repeat("A", 43))
	tampered := s.Token[:42] + string("AB"[strings.IndexByte("AB", s.Token[42])+1&1])
	_, tamper := e.svc.OpenLink(ctx, tampered)
	e.clock.Advance(31 * 24 * time.Hour)
	_, expired := e.svc.OpenLink(ctx, s.Token)
	e.clock.Advance(-31 * 24 * time.Hour)
	a, _ := e.svc.Get(ctx, domain, s.Assessment.ID)
	if _, err := e.svc.RevokeLink(e.ctx, domain, a.ID, a.Version); err != nil {
		t.Fatal(err)
	}
	_, revoked := e.svc.OpenLink(ctx, s.Token)
	for name, err := range map[string]error{"unknown": unknown, "tampered": tamper, "expired": expired, "revoked": revoked} {
		if errs.Code(err) != errs.NotFound || errs.Message(err) != errs.Message(unknown) {
			t.Errorf("%s: %v", name, err)
		}
	}
	again, err := e.svc.ReissueLink(e.ctx, domain, a.ID, a.Version+1)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.OpenLink(ctx, again.Token); err != nil {
		t.Fatalf("reissued link: %v", err)
	}
	if _, err := e.svc.OpenLink(ctx, s.Token); errs.Code(err) != errs.NotFound {
		t.Fatalf("old link after reissue: %v", err)
	}
}

func TestAnswers(t *testing.T) {
	e := newEnv(t)
	s := e.send(t)
	ctx := context.Background()
	t.Run("OK", func(t *testing.T) {
		p, err := e.svc.SaveAnswer(ctx, s.Token, "mfa", assessment.AnswerInput{Values: []string{"yes"}, Comment: "Duo everywhere"})
		if err != nil {
			t.Fatal(err)
		}
		if p.Answered != 1 || p.Total != 7 { // region hidden until cloud is yes
			t.Fatalf("progress %+v", p)
		}
		p, _ = e.svc.SaveAnswer(ctx, s.Token, "cloud", assessment.AnswerInput{Values: []string{"yes"}})
		if p.Total != 8 || !contains(strings.Join(p.Visible, " "), "region") {
			t.Fatalf("region should show: %+v", p)
		}
		a, _ := e.svc.Get(ctx, domain, s.Assessment.ID)
		if a.State != assessment.InProgress || a.Answers["mfa"].Comment != "Duo everywhere" {
			t.Fatalf("stored %+v", a.Answers)
		}
	})
	t.Run("ErrWrongType", func(t *testing.T) {
		_, err := e.svc.SaveAnswers(ctx, s.Token, map[string]assessment.AnswerInput{
			"staff": {Values: []string{"many"}}, "notes": {Values: []string{"kept"}}})
		wantCode(t, err, errs.Invalid)
		if f := fieldsOf(err); !contains(f["staff"], "How many staff") {
			t.Fatalf("message should name the question: %v", f)
		}
		a, _ := e.svc.Get(ctx, domain, s.Assessment.ID)
		if _, ok := a.Answers["staff"]; ok || a.Answers["notes"].Values[0] != "kept" {
			t.Fatalf("the valid answer should be saved, the bad one not: %+v", a.Answers)
		}
	})
	t.Run("ErrUnknownQuestion", func(t *testing.T) {
		_, err := e.svc.SaveAnswer(ctx, s.Token, "shoe_size", assessment.AnswerInput{Values: []string{"9"}})
		wantCode(t, err, errs.Invalid)
		if errs.FieldOf(err) != "shoe_size" {
			t.Fatalf("field %q", errs.FieldOf(err))
		}
	})
	t.Run("UntouchedIsKept", func(t *testing.T) {
		a, _ := e.svc.Get(ctx, domain, s.Assessment.ID)
		was := assessment.Fingerprint(a.Answers["mfa"])
		// another tab changes mfa
		if _, err := e.svc.SaveAnswer(ctx, s.Token, "mfa", assessment.AnswerInput{Values: []string{"no"}}); err != nil {
			t.Fatal(err)
		}
		// this tab saves its section, mfa untouched as shown
		if _, err := e.svc.SaveAnswers(ctx, s.Token, map[string]assessment.AnswerInput{
			"mfa": {Values: []string{"yes"}, Comment: "Duo everywhere", Was: was}, "staff": {Values: []string{"12"}}}); err != nil {
			t.Fatal(err)
		}
		a, _ = e.svc.Get(ctx, domain, s.Assessment.ID)
		if a.Answers["mfa"].Values[0] != "no" || a.Answers["staff"].Values[0] != "12" {
			t.Fatalf("answers %+v", a.Answers)
		}
	})
	t.Run("ParallelTabs", func(t *testing.T) {
		ids := []string{"mfa", "cloud", "iso", "staff", "notes", "encryption"}
		vals := map[string]string{"mfa": "yes", "cloud": "no", "iso": "yes", "staff": "7", "notes": "parallel", "encryption": "transit"}
		var wg sync.WaitGroup
		for _, q := range ids {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if _, err := e.svc.SaveAnswer(ctx, s.Token, q, assessment.AnswerInput{Values: []string{vals[q]}}); err != nil {
					t.Error(err)
				}
			}()
		}
		wg.Wait()
		a, _ := e.svc.Get(ctx, domain, s.Assessment.ID)
		for _, q := range ids {
			if got := a.Answers[q].Values; len(got) != 1 || got[0] != vals[q] {
				t.Errorf("%s = %v, want %s", q, got, vals[q])
			}
		}
	})
}

func TestSubmit(t *testing.T) {
	e := newEnv(t)
	s := e.send(t)
	ctx := context.Background()
	_, err := e.svc.Submit(ctx, s.Token)
	var missing *assessment.MissingError
	if errs.Code(err) != errs.Invalid || !asMissing(err, &missing) || len(missing.Items) != 4 {
		t.Fatalf("submit empty: %v", err)
	}
	if _, err := e.svc.SaveAnswers(ctx, s.Token, map[string]assessment.AnswerInput{
		"mfa": {Values: []string{"yes"}}, "cloud": {Values: []string{"no"}}, "iso": {Values: []string{"yes"}}}); err != nil {
		t.Fatal(err)
	}
	_, err = e.svc.Submit(ctx, s.Token)
	if !asMissing(err, &missing) || len(missing.Items) != 2 || missing.Items[0].Question != "iso" || !contains(missing.Items[0].Reason, "evidence") {
		t.Fatalf("evidence and file still missing: %+v", missing)
	}
	if _, err := e.upload(t, s.Token, "iso", "iso.pdf", pdf()); err != nil {
		t.Fatal(err)
	}
	if _, err := e.upload(t, s.Token, "report", "report.pdf", pdf()); err != nil {
		t.Fatal(err)
	}
	a, err := e.svc.Submit(ctx, s.Token)
	if err != nil {
		t.Fatal(err)
	}
	if a.State != assessment.Submitted || a.Score == nil || *a.Score == 0 {
		t.Fatalf("submitted %+v", a)
	}
	_, err = e.svc.SaveAnswer(ctx, s.Token, "mfa", assessment.AnswerInput{Values: []string{"no"}})
	wantCode(t, err, errs.Conflict)
	_, err = e.upload(t, s.Token, "iso", "late.pdf", pdf())
	wantCode(t, err, errs.Conflict)
}

func asMissing(err error, m **assessment.MissingError) bool {
	me, ok := err.(*assessment.MissingError)
	if ok {
		*m = me
	}
	return ok
}

func TestEvidence(t *testing.T) {
	e := newEnv(t)
	s := e.send(t)
	ctx := context.Background()
	t.Run("OK", func(t *testing.T) {
		ev, err := e.upload(t, s.Token, "report", "letter.pdf", pdf())
		if err != nil {
			t.Fatal(err)
		}
		if ev.File.Pages != 1 || len(ev.File.SHA256) != 64 || ev.File.Name != "letter.pdf" {
			t.Fatalf("evidence %+v", ev)
		}
		a, _ := e.svc.Get(ctx, domain, s.Assessment.ID)
		if got := a.Answers["report"].Values; len(got) != 1 || got[0] != ev.ID {
			t.Fatalf("the file question's answer should list the file: %v", got)
		}
		_, rd, err := e.svc.OpenEvidence(e.ctx, domain, ev.ID)
		if err != nil {
			t.Fatal(err)
		}
		rd.Close()
		if d := e.audit.Last(t, "evidence.download"); d.Details["evidence"] != ev.ID {
			t.Fatalf("download not audited: %+v", d)
		}
	})
	for name, data := range map[string][]byte{
		"ErrNotAPDF": []byte("MZ\x90\x00 this is a program, not a report"),
		"ErrCorrupt": append([]byte("%PDF-1.7\n"), make([]byte, 300)...),
		"ErrEmpty":   nil,
	} {
		t.Run(name, func(t *testing.T) {
			before, _ := e.svc.EvidenceFor(ctx, domain, e.vendor.ID)
			objs, _ := e.files.List(ctx, "vendors/")
			_, err := e.upload(t, s.Token, "report", "x.pdf", data)
			wantCode(t, err, errs.Invalid)
			after, _ := e.svc.EvidenceFor(ctx, domain, e.vendor.ID)
			objs2, _ := e.files.List(ctx, "vendors/")
			if len(after) != len(before) || len(objs2) != len(objs) {
				t.Fatalf("something was stored: %d→%d records, %d→%d files", len(before), len(after), len(objs), len(objs2))
			}
		})
	}
	t.Run("ErrQuestionTakesNoFiles", func(t *testing.T) {
		_, err := e.upload(t, s.Token, "mfa", "x.pdf", pdf())
		wantCode(t, err, errs.Invalid)
	})
	t.Run("Expiring", func(t *testing.T) {
		soon := e.clock.Now().AddDate(0, 0, 20)
		f := e.spool(t, pdf())
		ev, err := e.svc.AddEvidence(e.ctx, domain, e.vendor.ID, assessment.EvidenceInput{Kind: assessment.SOC2Type2, Title: "SOC 2", Expires: &soon}, f)
		if err != nil {
			t.Fatal(err)
		}
		list, err := e.svc.Expiring(ctx, domain)
		if err != nil || len(list) != 1 || list[0].ID != ev.ID {
			t.Fatalf("expiring %v %v", list, err)
		}
	})
}

func TestReview(t *testing.T) {
	e := newEnv(t)
	s := e.send(t)
	ctx := context.Background()
	e.answerAll(t, s.Token)
	if _, err := e.svc.SaveAnswer(ctx, s.Token, "region", assessment.AnswerInput{Values: []string{"elsewhere"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.Submit(ctx, s.Token); err != nil {
		t.Fatal(err)
	}
	id := s.Assessment.ID
	a, _ := e.svc.Get(ctx, domain, id)
	card, err := e.svc.Scorecard(ctx, a)
	if err != nil {
		t.Fatal(err)
	}
	if len(card.Result.Flags) != 1 || card.Result.Flags[0].Question.ID != "region" || card.Count.High != 1 {
		t.Fatalf("flags %+v", card.Result.Flags)
	}
	if _, err := e.svc.AcceptAnswer(e.ctx, domain, id, "mfa"); err != nil {
		t.Fatal(err)
	}
	f, err := e.svc.RaiseFinding(e.ctx, domain, id, assessment.FindingInput{Question: "region", Title: "Hosting outside the US",
		Severity: "high", Remediation: "Move the data to a US region.", Due: e.clock.Now().AddDate(0, 0, 60)})
	if err != nil {
		t.Fatal(err)
	}
	a, _ = e.svc.Get(ctx, domain, id)
	if a.State != assessment.UnderReview || a.Link.Expires.Before(f.Due) {
		t.Fatalf("state %s, link until %v (finding due %v)", a.State, a.Link.Expires, f.Due)
	}
	f, err = e.svc.RespondFinding(ctx, s.Token, f.ID, "Migration planned for Q3.")
	if err != nil || f.State != assessment.FindingResponded || !f.Responses[0].Vendor {
		t.Fatalf("respond %+v %v", f, err)
	}
	t.Run("ErrCancelAfterSubmission", func(t *testing.T) {
		_, err := e.svc.Cancel(e.ctx, domain, id, a.Version, "changed our mind")
		wantCode(t, err, errs.Conflict)
	})
	t.Run("ErrAcceptWithOpenFindings", func(t *testing.T) {
		_, err := e.svc.Decide(e.ctx, domain, id, a.Version, assessment.DecisionInput{Outcome: assessment.Accept, Residual: "low", Reason: "fine"})
		wantCode(t, err, errs.Conflict)
	})
	a, err = e.svc.Decide(e.ctx, domain, id, a.Version, assessment.DecisionInput{Outcome: assessment.AcceptWithConditions, Residual: "high", Reason: "Accepted while the migration happens."})
	if err != nil {
		t.Fatal(err)
	}
	if a.State != assessment.AwaitingApproval || a.Decision != nil {
		t.Fatalf("high risk needs a signature: %+v", a)
	}
	t.Run("ErrProposerSigns", func(t *testing.T) {
		_, err := e.svc.Sign(e.ctx, domain, id, a.Version, assessment.SignInput{Approve: true, Password: "x"})
		wantCode(t, err, errs.Forbidden)
	})
	t.Run("ErrWrongPassword", func(t *testing.T) {
		_, err := e.svc.Sign(e.approver, domain, id, a.Version, assessment.SignInput{Approve: true, Password: "wrong"})
		wantCode(t, err, errs.Unauthorized)
	})
	t.Run("ErrStale", func(t *testing.T) {
		_, err := e.svc.Sign(e.approver, domain, id, a.Version-1, assessment.SignInput{Approve: true, Password: "right horse battery"})
		wantCode(t, err, errs.Conflict)
	})
	a, err = e.svc.Sign(e.approver, domain, id, a.Version, assessment.SignInput{Approve: true, Password: "right horse battery"})
	if err != nil {
		t.Fatal(err)
	}
	sig := a.Decision.Signature
	verify := func(a assessment.Assessment) bool {
		t.Helper()
		ok, err := e.svc.VerifySignature(ctx, a)
		if err != nil {
			t.Fatal(err)
		}
		return ok
	}
	if a.State != assessment.Decided || sig.SignerName != "Alex Approver <alex@hospital.example>" || len(sig.SHA256) != 64 || !verify(a) {
		t.Fatalf("signed %+v", a.Decision)
	}
	stored, _ := e.svc.Get(ctx, domain, id)
	if !verify(stored) {
		t.Fatal("the stored record does not verify")
	}
	for name, change := range map[string]func(*assessment.Assessment){
		"answer":     func(a *assessment.Assessment) { a.Answers["mfa"] = assessment.Answer{Values: []string{"no"}} },
		"signer":     func(a *assessment.Assessment) { a.Decision.Signature.SignerName = "Someone Else" },
		"signed at":  func(a *assessment.Assessment) { a.Decision.Signature.At = a.Decision.Signature.At.Add(time.Hour) },
		"decided by": func(a *assessment.Assessment) { a.Decision.ByName = "someone@else" },
		"residual":   func(a *assessment.Assessment) { a.Decision.Residual = "low" },
	} {
		changed, _ := e.svc.Get(ctx, domain, id)
		change(&changed)
		if verify(changed) {
			t.Errorf("a changed %s still verifies", name)
		}
	}
	files, _ := e.svc.EvidenceFor(ctx, domain, e.vendor.ID)
	if _, err := e.db.Collection("evidence").Update(ctx, bson.M{"_id": files[0].ID}, bson.M{"$set": bson.M{"file.sha256": strings.Repeat("0", 64)}}); err != nil {
		t.Fatal(err)
	}
	if verify(stored) {
		t.Error("a swapped evidence file still verifies")
	}
	v, _ := e.vendors.Get(ctx, domain, e.vendor.ID)
	if !v.LastAssessed.Equal(a.Decision.At) {
		t.Fatalf("vendor last assessed %v, want %v", v.LastAssessed, a.Decision.At)
	}
}

func TestOnboardingCheck(t *testing.T) {
	e := newEnv(t)
	e.svc.Register(e.vendors)
	check := func() (bool, string) {
		v, _ := e.vendors.Get(context.Background(), domain, e.vendor.ID)
		rs, err := e.vendors.Checklist(context.Background(), v, "active")
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range rs {
			if r.ID == "assessment_accepted" {
				return r.OK, r.Missing
			}
		}
		t.Fatal("no assessment check")
		return false, ""
	}
	if ok, why := check(); ok || !contains(why, "Send") {
		t.Fatalf("never assessed: %v %q", ok, why)
	}
	s := e.send(t)
	if ok, why := check(); ok || !contains(why, "sent") {
		t.Fatalf("sent: %v %q", ok, why)
	}
	e.answerAll(t, s.Token)
	if _, err := e.svc.Submit(context.Background(), s.Token); err != nil {
		t.Fatal(err)
	}
	a, _ := e.svc.Get(context.Background(), domain, s.Assessment.ID)
	if _, err := e.svc.Decide(e.ctx, domain, a.ID, a.Version, assessment.DecisionInput{Outcome: assessment.Accept, Residual: "low", Reason: "Good answers."}); err != nil {
		t.Fatal(err)
	}
	if ok, why := check(); !ok {
		t.Fatalf("accepted: %q", why)
	}
}

func TestPrefill(t *testing.T) {
	e := newEnv(t)
	s := e.send(t)
	e.answerAll(t, s.Token)
	ctx := context.Background()
	if _, err := e.svc.Submit(ctx, s.Token); err != nil {
		t.Fatal(err)
	}
	a, _ := e.svc.Get(ctx, domain, s.Assessment.ID)
	if _, err := e.svc.Decide(e.ctx, domain, a.ID, a.Version, assessment.DecisionInput{Outcome: assessment.Accept, Residual: "low", Reason: "ok"}); err != nil {
		t.Fatal(err)
	}
	next, err := e.svc.Send(e.ctx, domain, assessment.SendInput{VendorID: e.vendor.ID, Template: "small", Prefill: true,
		Due: e.clock.Now().AddDate(0, 0, 14), ContactName: "Vera Vendor", ContactEmail: "vera@acme.example"})
	if err != nil {
		t.Fatal(err)
	}
	if got := next.Assessment.Answers["mfa"]; !got.Prefilled || got.Values[0] != "yes" || next.Assessment.PrefilledFrom != a.ID {
		t.Fatalf("prefilled %+v", next.Assessment.Answers)
	}
	_, err = e.svc.Submit(ctx, next.Token)
	var missing *assessment.MissingError
	if !asMissing(err, &missing) || !contains(missing.Items[0].Reason, "Confirm") {
		t.Fatalf("unconfirmed prefilled answers must stop the submission: %v", err)
	}
	var all []string
	for _, q := range e.small.Questions() {
		all = append(all, q.ID)
	}
	if _, err := e.svc.Confirm(ctx, next.Token, all); err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.Submit(ctx, next.Token); err != nil {
		t.Fatalf("after confirming: %v", err)
	}
}

func TestTemplateVersions(t *testing.T) {
	e := newEnv(t)
	s := e.send(t)
	changed := strings.Replace(string(e.small.Source), "Anything else?", "Anything more?", 1)
	t2, err := questionnaire.Parse("small.yaml", []byte(changed))
	if err != nil {
		t.Fatal(err)
	}
	_, err = assessment.New(context.Background(), e.db, assessment.Options{Templates: []*questionnaire.Template{t2}, Vendors: e.vendors})
	if err == nil || !contains(err.Error(), "new version") {
		t.Fatalf("a changed template under the same version must be refused: %v", err)
	}
	bumped, err := questionnaire.Parse("small.yaml", []byte(strings.Replace(changed, `version: "1"`, `version: "2"`, 1)))
	if err != nil {
		t.Fatal(err)
	}
	svc := e.open(t, bumped)
	a, err := svc.Get(context.Background(), domain, s.Assessment.ID)
	if err != nil {
		t.Fatal(err)
	}
	old, err := svc.Scorecard(context.Background(), a)
	if err != nil || old.Template.Version != "1" {
		t.Fatalf("the assessment must keep version 1: %v %v", old.Template, err)
	}
	if q, _ := old.Template.Question("notes"); q.Text != "Anything else?" {
		t.Fatalf("old text %q", q.Text)
	}
}

func TestSendMails(t *testing.T) {
	e := newEnv(t)
	srv := testkit.StartSMTP(t)
	cfg, err := mail.ParseURL(srv.URL())
	if err != nil {
		t.Fatal(err)
	}
	svc, err := assessment.New(context.Background(), e.db, assessment.Options{
		Templates: []*questionnaire.Template{e.small}, Vendors: e.vendors, Audit: e.audit, Mailer: mail.New(cfg, nil),
		Hospital: "General Hospital", PublicURL: "https://dossier.example", Now: e.clock.Now,
	})
	if err != nil {
		t.Fatal(err)
	}
	s, err := svc.Send(e.ctx, domain, assessment.SendInput{VendorID: e.vendor.ID, Template: "small",
		Due: e.clock.Now().AddDate(0, 0, 14), ContactName: "Vera Vendor", ContactEmail: "vera@acme.example"})
	if err != nil || !s.Mailed {
		t.Fatalf("send: mailed=%v %v", s.Mailed, err)
	}
	msgs := srv.Messages()
	if len(msgs) != 1 || msgs[0].To[0] != "vera@acme.example" {
		t.Fatalf("delivered %+v", msgs)
	}
	m, err := msgs[0].Parse()
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(m.Subject, "General Hospital") || !strings.Contains(m.Text, s.URL) {
		t.Fatalf("mail %q: %s", m.Subject, m.Text)
	}
	if _, err := svc.OpenLink(context.Background(), s.URL[strings.LastIndex(s.URL, "/")+1:]); err != nil {
		t.Fatalf("the mailed link does not open: %v", err)
	}

	srv.Stop()
	a, _ := svc.Get(context.Background(), domain, s.Assessment.ID)
	again, err := svc.ReissueLink(e.ctx, domain, a.ID, a.Version)
	if err != nil {
		t.Fatalf("a mail failure must not fail the reissue: %v", err)
	}
	if again.Mailed || again.MailError == nil || again.Token == "" {
		t.Fatalf("reissue with the mail server down: %+v", again)
	}
}

// racingChecker submits the answers while the file is being checked, as a
// second tab would.
type racingChecker struct {
	inner  assessment.Checker
	during func()
}

func (c racingChecker) Check(ctx context.Context, f *upload.File, field string, kinds ...upload.Kind) error {
	c.during()
	return c.inner.Check(ctx, f, field, kinds...)
}

func TestUploadRacingSubmit(t *testing.T) {
	e := newEnv(t)
	s := e.send(t)
	e.answerAll(t, s.Token)
	ctx := context.Background()
	svc, err := assessment.New(ctx, e.db, assessment.Options{
		Templates: []*questionnaire.Template{e.small}, Vendors: e.vendors, Audit: e.audit, Files: e.files, Now: e.clock.Now,
		Checker: racingChecker{inner: upload.NewChecker(upload.Options{}), during: func() {
			if _, err := e.svc.Submit(ctx, s.Token); err != nil {
				t.Errorf("submit: %v", err)
			}
		}},
	})
	if err != nil {
		t.Fatal(err)
	}
	f := e.spool(t, pdf())
	_, err = svc.UploadEvidence(ctx, s.Token, "report", assessment.EvidenceInput{}, f)
	wantCode(t, err, errs.Conflict)
	a, _ := svc.Get(ctx, domain, s.Assessment.ID)
	if a.State != assessment.Submitted || len(a.Answers["report"].Values) != 1 {
		t.Fatalf("the late upload changed the submitted assessment: %s %v", a.State, a.Answers["report"].Values)
	}
	list, _ := svc.EvidenceFor(ctx, domain, e.vendor.ID)
	if len(list) != 2 {
		t.Fatalf("%d files on record, want the 2 attached before submission", len(list))
	}
}

func TestSuggestTemplate(t *testing.T) {
	e := newEnv(t)
	shipped, err := questionnaire.Load(questionnaires.FS, ".")
	if err != nil {
		t.Fatal(err)
	}
	svc := e.open(t, shipped...)
	for _, c := range []struct {
		name string
		v    supplier.Vendor
		want string
	}{
		{"PACS", supplier.Vendor{Systems: []string{supplier.SystemPACS}}, "imaging"},
		{"Device", supplier.Vendor{Access: []string{supplier.AccessMedicalDevice}}, "imaging"},
		{"Lab", supplier.Vendor{Systems: []string{supplier.SystemLab}}, "laboratory"},
		{"CloudPHI", supplier.Vendor{Access: []string{supplier.AccessHostsData}, Data: []string{supplier.DataPHI}}, "cloud-phi"},
		{"Other", supplier.Vendor{Systems: []string{supplier.SystemFinancial}}, "hospital-baseline"},
	} {
		if got := svc.SuggestTemplate(c.v); got != c.want {
			t.Errorf("%s: %s, want %s", c.name, got, c.want)
		}
	}
}
