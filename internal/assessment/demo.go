package assessment

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"time"

	"dossier/internal/audit"
	"dossier/internal/pdfdoc"
	"dossier/internal/questionnaire"
	"dossier/internal/supplier"
	"dossier/internal/text"
	"dossier/internal/upload"
)

// SeedDemo adds assessments in every state for the demo vendors: sent,
// in progress, submitted, under review with findings, and accepted. It
// returns the link of the one in progress, for a newcomer to open as the
// vendor. On a domain that has assessments it does nothing.
func (s *Service) SeedDemo(ctx context.Context, domain string, vendors []supplier.Vendor, reviewer audit.Actor) (string, error) {
	have, err := s.List(ctx, domain, Filter{})
	if err != nil || len(have) > 0 || len(vendors) == 0 {
		return "", err
	}
	sender := audit.WithActor(ctx, reviewer)
	due := s.now().AddDate(0, 0, 21)
	steps := []State{InProgress, Sent, Submitted, UnderReview, Decided}
	var link string
	for i, v := range vendors {
		if i >= len(steps) {
			break
		}
		contact := Contact{Name: "Security team", Email: "security@" + strings.ToLower(strings.Fields(v.LegalName)[0]) + ".example"}
		for _, c := range v.Contacts {
			if c.Role == supplier.RoleSecurity && c.Email != "" {
				contact = Contact{Name: c.Name, Email: c.Email}
			}
		}
		template := s.SuggestTemplate(v)
		sent, err := s.Send(sender, domain, SendInput{VendorID: v.ID, Template: template, Due: due,
			ContactName: contact.Name, ContactEmail: contact.Email})
		if err != nil {
			return "", fmt.Errorf("demo assessment for %s: %w", v.LegalName, err)
		}
		if err := s.demoProgress(ctx, sent, steps[i], reviewer); err != nil {
			return "", fmt.Errorf("demo assessment for %s: %w", v.LegalName, err)
		}
		if steps[i] == InProgress {
			link = sent.URL
		}
	}
	return link, nil
}

// demoProgress answers, submits and reviews a demo assessment as far as
// state.
func (s *Service) demoProgress(ctx context.Context, sent Invitation, state State, reviewer audit.Actor) error {
	if state == Sent {
		return nil
	}
	t, err := s.catalog.get(ctx, sent.Assessment.Template)
	if err != nil {
		return err
	}
	answers := questionnaire.Answers{}
	n := 0
	for _, q := range t.Questions() {
		if !q.Shown(answers) {
			continue
		}
		n++
		if state == InProgress && n > len(t.Questions())/3 {
			break
		}
		vals := demoAnswer(q, n)
		if vals != nil {
			if _, err := s.SaveAnswer(ctx, sent.Token, q.ID, AnswerInput{Values: vals}); err != nil {
				return fmt.Errorf("answer %s: %w", q.ID, err)
			}
			answers[q.ID] = vals
		}
		if q.Type == questionnaire.File || questionnaire.NeedsEvidence(q, vals) {
			f, err := upload.Spool(bytes.NewReader(pdfdoc.Text("Demo evidence", text.Shorten(q.Text, 90))), 1<<20, "")
			if err != nil {
				return err
			}
			f.Name = "evidence-" + q.ID + ".pdf"
			_, err = s.UploadEvidence(ctx, sent.Token, q.ID, demoEvidence(q.ID, s.now()), f)
			f.Remove()
			if err != nil {
				return fmt.Errorf("evidence for %s: %w", q.ID, err)
			}
		}
	}
	if state == InProgress {
		return nil
	}
	if _, err := s.Submit(ctx, sent.Token); err != nil {
		return err
	}
	if state == Submitted {
		return nil
	}
	rctx := audit.WithActor(ctx, reviewer)
	a, err := s.Get(ctx, sent.Assessment.Domain, sent.Assessment.ID)
	if err != nil {
		return err
	}
	card, err := s.Scorecard(ctx, a)
	if err != nil {
		return err
	}
	for _, q := range t.Visible(a.Values())[:3] {
		if _, err := s.AcceptAnswer(rctx, a.Domain, a.ID, q.ID); err != nil {
			return err
		}
	}
	if state == UnderReview {
		for i, f := range card.Result.Flags {
			if i == 2 {
				break
			}
			fd, err := s.RaiseFinding(rctx, a.Domain, a.ID, FindingInput{Question: f.Question.ID, Title: "Remedy: " + text.Shorten(f.Question.Text, 80),
				Severity: string(f.Severity), Remediation: "Describe the remediation plan with dates, and upload evidence once it is in place.",
				Due: s.now().AddDate(0, 0, 45)})
			if err != nil {
				return err
			}
			if i == 0 {
				if _, err := s.RespondFinding(ctx, sent.Token, fd.ID, "We have scheduled the change for next quarter and will send the evidence then."); err != nil {
					return err
				}
			}
		}
		return nil
	}
	a, err = s.Get(ctx, a.Domain, a.ID)
	if err != nil {
		return err
	}
	_, err = s.Decide(rctx, a.Domain, a.ID, a.Version, DecisionInput{Outcome: Accept, Residual: "low",
		Reason: "Answers and evidence reviewed; controls meet the hospital's baseline for this service."})
	return err
}

// demoAnswer is a plausible answer: mostly good, now and then not.
func demoAnswer(q *questionnaire.Question, n int) []string {
	switch q.Type {
	case questionnaire.YesNo:
		best, worst := questionnaire.Yes, questionnaire.No
		for _, c := range q.Choices {
			if c.Value == questionnaire.No && c.Score > 0 {
				best, worst = questionnaire.No, questionnaire.Yes
			}
		}
		if n%7 == 3 {
			return []string{worst}
		}
		return []string{best}
	case questionnaire.Single:
		best := q.Choices[0]
		for _, c := range q.Choices {
			if c.Score > best.Score {
				best = c
			}
		}
		if n%5 == 2 && len(q.Choices) > 1 {
			return []string{q.Choices[len(q.Choices)/2].Value}
		}
		return []string{best.Value}
	case questionnaire.Multi:
		var out []string
		for _, c := range q.Choices {
			if c.Score > 0 {
				out = append(out, c.Value)
			}
		}
		if len(out) == 0 {
			out = []string{q.Choices[0].Value}
		}
		return out
	case questionnaire.Text:
		return []string{"See our security overview; contact our security team for details."}
	case questionnaire.LongText:
		return []string{"Documented in our information security policy, reviewed annually by the CISO and approved by the board."}
	case questionnaire.Number:
		v := 4.0
		if q.Min != nil && v < *q.Min {
			v = *q.Min
		}
		if q.Max != nil && v > *q.Max {
			v = *q.Max
		}
		return []string{fmt.Sprint(v)}
	case questionnaire.Date:
		return []string{time.Now().UTC().AddDate(0, -2, 0).Format(time.DateOnly)}
	}
	return nil // files are uploaded
}

// demoEvidence says what a demo file is from its question, with expiries
// that put some of it in the "expiring within 60 days" list.
func demoEvidence(question string, now time.Time) EvidenceInput {
	in := EvidenceInput{Kind: OtherKind}
	switch {
	case strings.Contains(question, "soc2"):
		start, end, exp := now.AddDate(-1, -2, 0), now.AddDate(0, -2, 0), now.AddDate(0, 0, 40)
		in = EvidenceInput{Kind: SOC2Type2, Title: "SOC 2 Type II report", PeriodStart: &start, PeriodEnd: &end, Expires: &exp}
	case strings.Contains(question, "iso27001"):
		exp := now.AddDate(1, 6, 0)
		in = EvidenceInput{Kind: ISO27001, Title: "ISO/IEC 27001 certificate", Expires: &exp}
	case strings.Contains(question, "pen_test") || strings.Contains(question, "pentest"):
		exp := now.AddDate(0, 0, 20)
		in = EvidenceInput{Kind: PenTest, Title: "Penetration test letter", Expires: &exp}
	case strings.Contains(question, "insurance"):
		exp := now.AddDate(0, 8, 0)
		in = EvidenceInput{Kind: Insurance, Title: "Cyber insurance certificate", Expires: &exp}
	}
	return in
}
