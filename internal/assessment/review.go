package assessment

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"time"

	"go.mongodb.org/mongo-driver/bson"
	"go.mongodb.org/mongo-driver/mongo/options"

	"dossier/internal/audit"
	"dossier/internal/errs"
	"dossier/internal/mail"
	"dossier/internal/questionnaire"
	"dossier/internal/supplier"
	"dossier/internal/text"
)

// Scorecard is what a reviewer reads: the score, the flagged answers, the
// Annex A coverage and the evidence by question.
type Scorecard struct {
	Template *questionnaire.Template
	Result   questionnaire.Result
	Count    FlagCount
	Evidence map[string][]Evidence // by question id
}

// Scorecard scores an assessment's answers as they stand.
func (s *Service) Scorecard(ctx context.Context, a Assessment) (Scorecard, error) {
	t, err := s.catalog.get(ctx, a.Template)
	if err != nil {
		return Scorecard{}, err
	}
	ev, err := s.evidenceByQuestion(ctx, a.ID)
	if err != nil {
		return Scorecard{}, err
	}
	r := questionnaire.Score(t, a.Values(), func(q string) bool { return len(ev[q]) > 0 })
	c := Scorecard{Template: t, Result: r, Evidence: ev}
	for _, f := range r.Flags {
		switch f.Severity {
		case questionnaire.Critical:
			c.Count.Critical++
		case questionnaire.High:
			c.Count.High++
		case questionnaire.Medium:
			c.Count.Medium++
		default:
			c.Count.Low++
		}
	}
	return c, nil
}

// reviewable reads an assessment a reviewer may work on.
func (s *Service) reviewable(ctx context.Context, domain, id string) (Assessment, error) {
	a, err := s.Get(ctx, domain, id)
	if err != nil {
		return a, err
	}
	if !a.State.Reviewable() {
		return a, errs.E(errs.Conflict, "This assessment is %s; only submitted answers are reviewed.", strings.ToLower(a.State.Label()))
	}
	return a, nil
}

// AcceptAnswer records that a reviewer read an answer and accepts it.
func (s *Service) AcceptAnswer(ctx context.Context, domain, id, question string) (Assessment, error) {
	for attempt := 0; ; attempt++ {
		a, err := s.reviewable(ctx, domain, id)
		if err != nil {
			return a, err
		}
		t, err := s.catalog.get(ctx, a.Template)
		if err != nil {
			return a, err
		}
		if _, ok := t.Question(question); !ok {
			return a, errs.Field("question", "There is no question %q in this questionnaire.", question)
		}
		actor := audit.ActorFrom(ctx)
		now := s.now()
		r := AnswerReview{By: actor.ID, ByName: actor.Name, At: now}
		err = s.assessments.UpdateVersion(ctx, a.ID, a.Version, bson.M{"$set": bson.M{
			"reviews." + question: r, "state": UnderReview, "updated_at": now}})
		if errs.Is(err, errs.Conflict) && attempt < 5 {
			continue
		}
		if err != nil {
			return a, err
		}
		if a.Reviews == nil {
			a.Reviews = map[string]AnswerReview{}
		}
		a.Reviews[question], a.State, a.UpdatedAt, a.Version = r, UnderReview, now, a.Version+1
		return a, s.record(ctx, "assessment.answer_accept", "assessment", domain, a.ID, map[string]string{"question": question})
	}
}

// FindingInput is what a reviewer writes when raising a finding.
type FindingInput struct {
	Question    string    `json:"question"` // optional: the answer it is about
	Title       string    `json:"title"`
	Severity    string    `json:"severity"`
	Remediation string    `json:"remediation"`
	Due         time.Time `json:"due"`
}

// RaiseFinding records a finding on a submitted assessment and asks the
// vendor to remedy it. The vendor sees it through the same link, which is
// extended when it would expire before the finding is due.
func (s *Service) RaiseFinding(ctx context.Context, domain, id string, in FindingInput) (Finding, error) {
	a, err := s.reviewable(ctx, domain, id)
	if err != nil {
		return Finding{}, err
	}
	t, err := s.catalog.get(ctx, a.Template)
	if err != nil {
		return Finding{}, err
	}
	fields := map[string]string{}
	in.Title = strings.TrimSpace(in.Title)
	in.Remediation = strings.TrimSpace(in.Remediation)
	if in.Question != "" {
		if _, ok := t.Question(in.Question); !ok {
			fields["question"] = "There is no such question in this questionnaire."
		}
	}
	switch {
	case in.Title == "":
		fields["title"] = "Give the finding a title."
	case len(in.Title) > 200:
		fields["title"] = "The title is too long (200 characters at most)."
	case strings.ContainsAny(in.Title, "\r\n\t\x00"):
		fields["title"] = "Keep the title on one line."
	}
	if levelRank(in.Severity) < 0 {
		fields["severity"] = "Choose low, medium, high or critical."
	}
	if in.Remediation == "" {
		fields["remediation"] = "Say what the vendor must do."
	} else if len(in.Remediation) > 4000 {
		fields["remediation"] = "The remediation is too long (4,000 characters at most)."
	}
	today := s.now().Truncate(24 * time.Hour)
	switch {
	case in.Due.IsZero():
		fields["due"] = "Give the date the remediation is due."
	case in.Due.Before(today):
		fields["due"] = "The due date is in the past."
	case in.Due.After(today.AddDate(2, 0, 0)):
		fields["due"] = "The due date is more than two years away."
	}
	if len(fields) > 0 {
		return Finding{}, errs.Fields(fields)
	}
	actor := audit.ActorFrom(ctx)
	now := s.now()
	f := Finding{
		ID: newID(), Domain: domain, AssessmentID: a.ID, VendorID: a.VendorID, Question: in.Question,
		Title: in.Title, Severity: in.Severity, Remediation: in.Remediation, Due: in.Due.UTC().Truncate(24 * time.Hour),
		State: FindingOpen, RaisedBy: actor.ID, RaisedByName: actor.Name, RaisedAt: now, Version: 1,
	}
	// The assessment moves first, under its version: a decision, return or
	// cancellation racing this finding makes it conflict and re-check,
	// so no finding lands on an assessment already decided.
	for attempt := 0; ; attempt++ {
		set := bson.M{"updated_at": now, "state": UnderReview}
		if need := f.Due.AddDate(0, 0, 14); !a.Link.Revoked && a.Link.Expires.Before(need) {
			set["link.expires"] = need
		}
		err := s.assessments.UpdateVersion(ctx, a.ID, a.Version, bson.M{"$set": set})
		if err == nil {
			break
		}
		if !errs.Is(err, errs.Conflict) || attempt == 5 {
			return Finding{}, err
		}
		if a, err = s.reviewable(ctx, domain, id); err != nil {
			return Finding{}, err
		}
	}
	if err := s.findings.Insert(ctx, f); err != nil {
		return Finding{}, err
	}
	if err := s.record(ctx, "finding.raise", "assessment", domain, a.ID,
		map[string]string{"finding": f.ID, "severity": f.Severity, "title": f.Title, "due": f.Due.Format(time.DateOnly)}); err != nil {
		return f, err
	}
	s.mailVendor(ctx, a, fmt.Sprintf("Security finding to answer: %s", f.Title), fmt.Sprintf(`Hello %s,

While reviewing your answers to "%s", %s raised a finding:

  %s (%s severity), due %s
  %s

Open the questionnaire link you received earlier to respond.
`, a.Contact.Name, a.TemplateTitle, s.o.Hospital, f.Title, f.Severity, f.Due.Format("2 January 2006"), f.Remediation))
	return f, nil
}

// mailVendor mails the vendor's contact when mail is on; a failure is
// logged, never fatal: the vendor sees everything through the link.
func (s *Service) mailVendor(ctx context.Context, a Assessment, subject, body string) {
	if !s.o.Mailer.Enabled() {
		return
	}
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if err := s.o.Mailer.Send(ctx, mail.Message{To: []string{a.Contact.Email}, Subject: subject, Text: body}); err != nil {
		s.o.Log.Warn("mail to vendor failed", "assessment", a.ID, "err", err)
	}
}

// Findings lists an assessment's findings, oldest first.
func (s *Service) Findings(ctx context.Context, domain, assessmentID string) ([]Finding, error) {
	var out []Finding
	err := s.findings.Find(ctx, bson.M{"assessment_id": assessmentID, "domain": domain}, &out,
		options.Find().SetSort(bson.D{{Key: "raised_at", Value: 1}, {Key: "_id", Value: 1}}))
	return out, err
}

// OpenFindings lists a domain's findings not yet closed, by due date.
func (s *Service) OpenFindings(ctx context.Context, domain string) ([]Finding, error) {
	var out []Finding
	err := s.findings.Find(ctx, bson.M{"domain": domain, "state": bson.M{"$ne": FindingClosed}}, &out,
		options.Find().SetSort(bson.D{{Key: "due", Value: 1}, {Key: "_id", Value: 1}}))
	return out, err
}

// Finding returns one finding.
func (s *Service) Finding(ctx context.Context, domain, id string) (Finding, error) {
	var f Finding
	if err := s.findings.Get(ctx, bson.M{"_id": id}, &f); err != nil || f.Domain != domain {
		if err == nil || errs.Is(err, errs.NotFound) {
			return Finding{}, errs.E(errs.NotFound, "No such finding.")
		}
		return Finding{}, err
	}
	return f, nil
}

// VendorFindings lists the findings a vendor's link shows.
func (s *Service) VendorFindings(ctx context.Context, a Assessment) ([]Finding, error) {
	return s.Findings(ctx, a.Domain, a.ID)
}

// RespondFinding records the vendor's answer to a finding.
func (s *Service) RespondFinding(ctx context.Context, token, findingID, message string) (Finding, error) {
	a, err := s.OpenLink(ctx, token)
	if err != nil {
		return Finding{}, err
	}
	f, err := s.Finding(ctx, a.Domain, findingID)
	if err != nil || f.AssessmentID != a.ID {
		return Finding{}, errs.E(errs.NotFound, "No such finding.")
	}
	return s.addResponse(vendorContext(ctx, a), f, f.Version, message, true)
}

// ReplyFinding adds a reviewer's message to a finding, asking the vendor
// for more; the finding is open again.
func (s *Service) ReplyFinding(ctx context.Context, domain, id string, version int64, message string) (Finding, error) {
	f, err := s.Finding(ctx, domain, id)
	if err != nil {
		return f, err
	}
	return s.addResponse(ctx, f, version, message, false)
}

func (s *Service) addResponse(ctx context.Context, f Finding, version int64, message string, vendor bool) (Finding, error) {
	if f.State == FindingClosed {
		return f, errs.E(errs.Conflict, "This finding is closed.")
	}
	message = strings.TrimSpace(strings.ReplaceAll(message, "\r\n", "\n"))
	switch {
	case message == "":
		return f, errs.Field("response", "Write a response.")
	case len(message) > 8000:
		return f, errs.Field("response", "The response is too long (8,000 characters at most).")
	}
	actor := audit.ActorFrom(ctx)
	r := Response{Vendor: vendor, By: actor.Name, Text: message, At: s.now()}
	state := FindingResponded
	if !vendor {
		state = FindingOpen
	}
	err := s.findings.UpdateVersion(ctx, f.ID, version, bson.M{"$push": bson.M{"responses": r}, "$set": bson.M{"state": state}})
	if errs.Is(err, errs.Conflict) && vendor {
		// A vendor's message adds to the conversation whatever else
		// changed: read the finding again rather than lose the draft.
		if f, err = s.Finding(ctx, f.Domain, f.ID); err != nil {
			return f, err
		}
		if f.State == FindingClosed {
			return f, errs.E(errs.Conflict, "This finding was closed meanwhile.")
		}
		version = f.Version
		err = s.findings.UpdateVersion(ctx, f.ID, version, bson.M{"$push": bson.M{"responses": r}, "$set": bson.M{"state": state}})
	}
	if err != nil {
		return f, err
	}
	f.Responses, f.State, f.Version = append(f.Responses, r), state, f.Version+1
	action := "finding.reply"
	if vendor {
		action = "finding.respond"
	}
	return f, s.record(ctx, action, "assessment", f.Domain, f.AssessmentID, map[string]string{"finding": f.ID})
}

// CloseFinding closes a finding with the reviewer's note.
func (s *Service) CloseFinding(ctx context.Context, domain, id string, version int64, note string) (Finding, error) {
	f, err := s.Finding(ctx, domain, id)
	if err != nil {
		return f, err
	}
	if f.State == FindingClosed {
		return f, errs.E(errs.Conflict, "This finding is already closed.")
	}
	note = text.Clip(strings.TrimSpace(note), 4000)
	if note == "" {
		return f, errs.Field("note", "Say why the finding is closed (remedied, risk accepted…).")
	}
	actor := audit.ActorFrom(ctx)
	now := s.now()
	if err := s.findings.UpdateVersion(ctx, f.ID, version, bson.M{"$set": bson.M{
		"state": FindingClosed, "closed_by": actor.ID, "closed_by_name": actor.Name, "closed_at": now, "close_note": note}}); err != nil {
		return f, err
	}
	f.State, f.ClosedBy, f.ClosedByName, f.ClosedAt, f.CloseNote, f.Version = FindingClosed, actor.ID, actor.Name, now, note, f.Version+1
	return f, s.record(ctx, "finding.close", "assessment", domain, f.AssessmentID, map[string]string{"finding": f.ID, "note": note})
}

// ReturnToVendor reopens submitted answers for the vendor to change, with
// a note saying what to change. The link is extended when it has expired.
func (s *Service) ReturnToVendor(ctx context.Context, domain, id string, version int64, note string) (Assessment, error) {
	a, err := s.reviewable(ctx, domain, id)
	if err != nil {
		return a, err
	}
	note = text.Clip(strings.TrimSpace(note), 4000)
	if note == "" {
		return a, errs.Field("note", "Tell the vendor what to change.")
	}
	now := s.now()
	set := bson.M{"state": InProgress, "returned": note, "updated_at": now}
	if !a.Link.Revoked && a.Link.Expires.Before(now.AddDate(0, 0, 14)) {
		set["link.expires"] = now.AddDate(0, 0, 14)
	}
	if err := s.assessments.UpdateVersion(ctx, a.ID, version, bson.M{"$set": set}); err != nil {
		return a, err
	}
	a.State, a.Returned, a.Version = InProgress, note, a.Version+1
	s.mailVendor(ctx, a, "Please update your security questionnaire answers", fmt.Sprintf(`Hello %s,

%s has reopened your answers to "%s":

%s

Open the questionnaire link you received earlier, change your answers and submit again.
`, a.Contact.Name, s.o.Hospital, a.TemplateTitle, note))
	return a, s.record(ctx, "assessment.return", "assessment", domain, a.ID, map[string]string{"note": note})
}

// DecisionInput is a reviewer's decision.
type DecisionInput struct {
	Outcome  string `json:"outcome"`  // accept, accept_with_conditions, reject
	Residual string `json:"residual"` // low, medium, high, critical
	Reason   string `json:"reason"`
}

// Decide records the reviewer's decision. Rejections and acceptances of a
// low or medium residual risk take effect at once; accepting a high or
// critical one waits for an approver's signature (Sign).
func (s *Service) Decide(ctx context.Context, domain, id string, version int64, in DecisionInput) (Assessment, error) {
	a, err := s.reviewable(ctx, domain, id)
	if err != nil {
		return a, err
	}
	fields := map[string]string{}
	if in.Outcome != Accept && in.Outcome != AcceptWithConditions && in.Outcome != Reject {
		fields["outcome"] = "Choose accept, accept with conditions or reject."
	}
	if levelRank(in.Residual) < 0 {
		fields["residual"] = "Choose the residual risk: low, medium, high or critical."
	}
	in.Reason = strings.TrimSpace(in.Reason)
	if in.Reason == "" {
		fields["reason"] = "Give the reason for the decision."
	} else if len(in.Reason) > 8000 {
		fields["reason"] = "The reason is too long (8,000 characters at most)."
	}
	if len(fields) > 0 {
		return a, errs.Fields(fields)
	}
	if in.Outcome == Accept {
		open, err := s.openFindings(ctx, a)
		if err != nil {
			return a, err
		}
		if open > 0 {
			return a, errs.E(errs.Conflict, "%d findings are still open: close them, or accept with conditions.", open)
		}
	}
	card, err := s.Scorecard(ctx, a)
	if err != nil {
		return a, err
	}
	actor := audit.ActorFrom(ctx)
	now := s.now()
	d := Decision{Outcome: in.Outcome, Residual: in.Residual, Reason: in.Reason, By: actor.ID, ByName: actor.Name, At: now}
	score := card.Result.Score
	set := bson.M{"updated_at": now, "score": score, "flags": card.Count}
	if d.NeedsSignature() {
		set["state"], set["proposed"] = AwaitingApproval, d
	} else {
		set["state"], set["decision"] = Decided, d
	}
	if err := s.assessments.UpdateVersion(ctx, a.ID, version, bson.M{"$set": set}); err != nil {
		return a, err
	}
	a.Version, a.UpdatedAt, a.Score, a.Flags = a.Version+1, now, &score, card.Count
	details := map[string]string{"outcome": d.Outcome, "residual": d.Residual, "reason": d.Reason, "score": fmt.Sprint(score)}
	if d.NeedsSignature() {
		a.State, a.Proposed = AwaitingApproval, &d
		return a, s.record(ctx, "assessment.propose", "assessment", domain, a.ID, details)
	}
	a.State, a.Decision = Decided, &d
	if err := s.record(ctx, "assessment.decide", "assessment", domain, a.ID, details); err != nil {
		return a, err
	}
	return a, s.recordOnVendor(ctx, a)
}

func (s *Service) openFindings(ctx context.Context, a Assessment) (int, error) {
	fs, err := s.Findings(ctx, a.Domain, a.ID)
	n := 0
	for _, f := range fs {
		if f.State != FindingClosed {
			n++
		}
	}
	return n, err
}

// recordOnVendor sets the vendor's last-assessed date (and so its next
// due date) once an assessment is decided.
func (s *Service) recordOnVendor(ctx context.Context, a Assessment) error {
	if a.Decision == nil || a.Decision.Outcome == Reject {
		return nil
	}
	_, err := s.o.Vendors.RecordAssessment(audit.WithActor(ctx, audit.System), a.Domain, a.VendorID, a.Decision.At)
	return err
}

// SignInput is an approver's signature on a proposed risk acceptance.
type SignInput struct {
	Approve  bool   `json:"approve"`
	Reason   string `json:"reason"` // required when declining
	Password string `json:"password"`
	Code     string `json:"code"` // TOTP code when the signer has two-step sign-in
}

// Sign signs, or declines, a proposed acceptance of a high or critical
// residual risk. The signer re-authenticates and cannot be the reviewer
// who proposed it. The signature binds the signer's name, the time, its
// meaning and the SHA-256 of the answers and decision signed.
func (s *Service) Sign(ctx context.Context, domain, id string, version int64, in SignInput) (Assessment, error) {
	a, err := s.Get(ctx, domain, id)
	if err != nil {
		return a, err
	}
	if a.State != AwaitingApproval || a.Proposed == nil {
		return a, errs.E(errs.Conflict, "This assessment has no decision waiting for a signature.")
	}
	actor := audit.ActorFrom(ctx)
	if actor.ID == a.Proposed.By {
		return a, errs.E(errs.Forbidden, "You proposed this decision, so another approver must sign it.")
	}
	if !in.Approve && strings.TrimSpace(in.Reason) == "" {
		return a, errs.Field("reason", "Say why you decline to sign.")
	}
	if s.o.Reauth == nil {
		return a, errs.E(errs.Unavailable, "Signatures are not available.")
	}
	if err := s.o.Reauth.Reauthenticate(ctx, actor.ID, in.Password, in.Code); err != nil {
		return a, err
	}
	now := s.now()
	if !in.Approve {
		reason := text.Clip(strings.TrimSpace(in.Reason), 4000)
		if err := s.assessments.UpdateVersion(ctx, a.ID, version, bson.M{"$set": bson.M{"state": UnderReview, "updated_at": now},
			"$unset": bson.M{"proposed": ""}}); err != nil {
			return a, err
		}
		a.State, a.Proposed, a.Version = UnderReview, nil, a.Version+1
		return a, s.record(ctx, "assessment.sign_decline", "assessment", domain, a.ID, map[string]string{"reason": reason})
	}
	signer, err := s.o.Reauth.User(ctx, actor.ID)
	if err != nil {
		return a, err
	}
	files, err := s.evidenceByQuestion(ctx, a.ID)
	if err != nil {
		return a, err
	}
	d := *a.Proposed
	d.Signature = &Signature{SignerID: actor.ID, SignerName: signer.Name + " <" + signer.Email + ">", At: now,
		Meaning: fmt.Sprintf("Approved: %s with %s residual risk", strings.ToLower(OutcomeLabel(d.Outcome)), d.Residual)}
	d.Signature.SHA256 = digest(a, d, files)
	if err := s.assessments.UpdateVersion(ctx, a.ID, version, bson.M{"$set": bson.M{"state": Decided, "decision": d, "updated_at": now},
		"$unset": bson.M{"proposed": ""}}); err != nil {
		return a, err
	}
	a.State, a.Decision, a.Proposed, a.Version = Decided, &d, nil, a.Version+1
	if err := s.record(ctx, "assessment.sign", "assessment", domain, a.ID, map[string]string{
		"meaning": d.Signature.Meaning, "sha256": d.Signature.SHA256, "proposed_by": d.ByName}); err != nil {
		return a, err
	}
	return a, s.recordOnVendor(ctx, a)
}

// digest is the SHA-256 a signature binds: the assessment, the template
// version, every answer, the evidence files (by id and SHA-256), the
// decision with who made it and when, and the signature's signer, time and
// meaning, in a fixed order.
func digest(a Assessment, d Decision, files map[string][]Evidence) string {
	type answer struct {
		Q       string   `json:"q"`
		Values  []string `json:"v"`
		Comment string   `json:"c,omitempty"`
	}
	type file struct {
		ID     string `json:"id"`
		SHA256 string `json:"sha256"`
	}
	qs := make([]string, 0, len(a.Answers))
	for q := range a.Answers {
		qs = append(qs, q)
	}
	sort.Strings(qs)
	answers := make([]answer, 0, len(qs))
	for _, q := range qs {
		answers = append(answers, answer{q, a.Answers[q].Values, a.Answers[q].Comment})
	}
	var evidence []file
	for _, list := range files {
		for _, e := range list {
			evidence = append(evidence, file{e.ID, e.File.SHA256})
		}
	}
	sort.Slice(evidence, func(i, j int) bool { return evidence[i].ID < evidence[j].ID })
	var signer Signature
	if d.Signature != nil {
		signer = *d.Signature
		signer.SHA256, signer.At = "", signer.At.UTC()
	}
	b, _ := json.Marshal(struct {
		ID       string    `json:"id"`
		Vendor   string    `json:"vendor"`
		Template string    `json:"template"`
		Answers  []answer  `json:"answers"`
		Evidence []file    `json:"evidence"`
		Outcome  string    `json:"outcome"`
		Residual string    `json:"residual"`
		Reason   string    `json:"reason"`
		By       string    `json:"by"`
		ByName   string    `json:"by_name"`
		At       time.Time `json:"at"`
		Signer   Signature `json:"signer"`
	}{a.ID, a.VendorID, a.Template, answers, evidence, d.Outcome, d.Residual, d.Reason, d.By, d.ByName, d.At.UTC(), signer})
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:])
}

// VerifySignature recomputes a signed decision's digest from the record
// as stored now and reports whether it still matches.
func (s *Service) VerifySignature(ctx context.Context, a Assessment) (bool, error) {
	if a.Decision == nil || a.Decision.Signature == nil {
		return false, nil
	}
	files, err := s.evidenceByQuestion(ctx, a.ID)
	if err != nil {
		return false, err
	}
	return digest(a, *a.Decision, files) == a.Decision.Signature.SHA256, nil
}

// Register adds the onboarding check "latest assessment reviewed and
// accepted" to the supplier register.
func (s *Service) Register(sup *supplier.Service) {
	sup.AddOnboardingCheck(supplier.Check{
		ID:    "assessment_accepted",
		Label: "Latest security assessment reviewed and accepted",
		Run: func(ctx context.Context, v supplier.Vendor) (bool, string, error) {
			list, err := s.List(ctx, v.Domain, Filter{VendorID: v.ID})
			if err != nil {
				return false, "", err
			}
			for _, a := range list {
				if a.State == Cancelled {
					continue
				}
				switch {
				case a.State != Decided:
					return false, fmt.Sprintf("The latest assessment (%s) is %s; review and decide it.", a.TemplateTitle, strings.ToLower(a.State.Label())), nil
				case a.Decision.Outcome == Reject:
					return false, fmt.Sprintf("The latest assessment (%s) was rejected; send a new one once the vendor has remedied.", a.TemplateTitle), nil
				}
				return true, "", nil
			}
			return false, "Send a security questionnaire and review the answers.", nil
		},
	})
}
