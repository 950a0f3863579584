package http

import (
	"context"
	"fmt"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"dossier/internal/assessment"
	"dossier/internal/audit"
	"dossier/internal/authz"
	"dossier/internal/errs"
	"dossier/internal/questionnaire"
	"dossier/internal/supplier"
	"dossier/internal/text"
)

func (s *Server) assessmentRoutes(app *fiber.App) {
	view := s.require(authz.View, authz.Every(authz.ClassAssessment))
	edit := s.require(authz.Edit, authz.Every(authz.ClassAssessment))
	g := app.Group("/assessments", s.signedIn, view)
	g.Get("/", s.assessmentList)
	g.Get("/new", edit, s.assessmentNew)
	g.Post("/", edit, s.assessmentSend)
	g.Get("/:id", s.objectRequire(authz.View), s.assessmentPage)
	g.Post("/:id/link", s.objectRequire(authz.Edit), s.assessmentLink)
	g.Post("/:id/cancel", s.objectRequire(authz.Edit), s.assessmentCancel)
	g.Post("/:id/return", s.objectRequire(authz.Review), s.assessmentReturn)
	g.Post("/:id/answers/:question/accept", s.objectRequire(authz.Review), s.assessmentAccept)
	g.Post("/:id/findings", s.objectRequire(authz.Review), s.findingRaise)
	g.Post("/:id/findings/:fid/reply", s.objectRequire(authz.Review),
		s.findingAction(s.assessments.ReplyFinding, "response", "Reply sent; the finding is open again for the vendor."))
	g.Post("/:id/findings/:fid/close", s.objectRequire(authz.Review),
		s.findingAction(s.assessments.CloseFinding, "note", "Finding closed."))
	g.Post("/:id/decision", s.objectRequire(authz.Review), s.assessmentDecide)
	g.Post("/:id/signature", s.objectRequire(authz.Approve), s.assessmentSign)

	ev := app.Group("/evidence", s.signedIn, view)
	ev.Get("/", s.evidenceList)
	ev.Get("/:id/file", s.evidenceFile(false))
	ev.Get("/:id/preview", s.evidenceFile(true))
	ev.Post("/:id", edit, s.evidenceUpdate)
	app.Post("/vendors/:id/evidence", s.signedIn, edit, s.vendorEvidenceUpload)

	q := app.Group("/questionnaires", s.signedIn, view)
	q.Get("/", s.questionnaireList)
	q.Get("/:key", s.questionnairePreview)
}

// objectRequire checks action on the assessment named by :id, so grants
// on one assessment count.
func (s *Server) objectRequire(action string) fiber.Handler {
	return func(c *fiber.Ctx) error {
		v := viewer(c)
		if err := s.authz.Check(v.User.ID, v.Domain, authz.Object(authz.ClassAssessment, c.Params("id")), action); err != nil {
			return err
		}
		return c.Next()
	}
}

func (s *Server) assessmentPath(c *fiber.Ctx) string {
	return "/assessments/" + url.PathEscape(c.Params("id"))
}

// AssessmentListView is the list of assessments with the reassessments
// coming due.
type AssessmentListView struct {
	Page
	Rows      []assessment.Assessment
	States    []Option
	Templates []Option
	Query     AssessmentQuery
	Sorts     []SortLink
	Filtered  bool
	Due       []supplier.Vendor
	Findings  []assessment.Finding
	CanSend   bool
	Now       time.Time
}

// AssessmentQuery is the list's filter form as typed.
type AssessmentQuery struct{ Q, State, Template, Sort string }

func (q AssessmentQuery) args() url.Values {
	v := url.Values{}
	for k, val := range map[string]string{"q": q.Q, "state": q.State, "template": q.Template} {
		if val != "" {
			v.Set(k, val)
		}
	}
	return v
}

func (s *Server) assessmentList(c *fiber.Ctx) error {
	ctx, v := c.UserContext(), viewer(c)
	q := AssessmentQuery{Q: strings.TrimSpace(c.Query("q")), State: c.Query("state"), Template: c.Query("template"), Sort: c.Query("sort", "-updated")}
	list, err := s.assessments.List(ctx, v.Domain, assessment.Filter{State: assessment.State(q.State), Template: q.Template})
	if err != nil {
		return err
	}
	view := AssessmentListView{Page: s.page(c, "Security assessments"), Query: q, Now: s.now(),
		CanSend: s.can(c, authz.Edit, authz.Every(authz.ClassAssessment))}
	needle := strings.ToLower(q.Q)
	for _, a := range list {
		if needle == "" || strings.Contains(strings.ToLower(a.VendorName), needle) || strings.Contains(strings.ToLower(a.Contact.Email), needle) {
			view.Rows = append(view.Rows, a)
		}
	}
	sortAssessments(view.Rows, q.Sort)
	for _, st := range assessment.States() {
		view.States = append(view.States, Option{Value: string(st), Label: st.Label()})
	}
	for _, t := range s.assessments.Templates() {
		view.Templates = append(view.Templates, Option{Value: t.ID, Label: t.Title})
	}
	args := q.args()
	view.Filtered = len(args) > 0
	view.Sorts = sortLinks("/assessments", args, q.Sort, [][2]string{{"vendor", "Vendor"}, {"state", "State"}, {"score", "Score"}, {"due", "Due"}, {"updated", "Updated"}})
	if s.can(c, authz.View, authz.Every(authz.ClassVendor)) {
		due, err := s.suppliers.List(ctx, v.Domain, supplier.Query{DueWithin: 60, Sort: "due"})
		if err != nil {
			return err
		}
		for _, vd := range due.Vendors {
			if vd.Status == supplier.Active || vd.Status == supplier.Onboarding {
				view.Due = append(view.Due, vd)
			}
		}
	}
	if view.Findings, err = s.assessments.OpenFindings(ctx, v.Domain); err != nil {
		return err
	}
	return s.render(c, "assessments", view)
}

func sortAssessments(rows []assessment.Assessment, by string) {
	desc := strings.HasPrefix(by, "-")
	key := strings.TrimPrefix(by, "-")
	less := func(a, b assessment.Assessment) bool {
		switch key {
		case "vendor":
			return strings.ToLower(a.VendorName) < strings.ToLower(b.VendorName)
		case "state":
			return stateRank(a.State) < stateRank(b.State)
		case "score":
			return scoreOf(a) < scoreOf(b)
		case "due":
			return a.Due.Before(b.Due)
		}
		return a.UpdatedAt.Before(b.UpdatedAt)
	}
	sort.SliceStable(rows, func(i, j int) bool {
		if desc {
			return less(rows[j], rows[i])
		}
		return less(rows[i], rows[j])
	})
}

func stateRank(st assessment.State) int {
	for i, x := range assessment.States() {
		if x == st {
			return i
		}
	}
	return len(assessment.States())
}

func scoreOf(a assessment.Assessment) int {
	if a.Score == nil {
		return -1
	}
	return *a.Score
}

// SendView is the form that sends a questionnaire, and after sending, the
// link to pass on.
type SendView struct {
	Page
	Vendor     supplier.Vendor
	Templates  []*questionnaire.Template
	Contacts   []supplier.Contact
	Form       SendForm
	Errors     map[string]string
	CanPrefill bool
	Sent       *assessment.Invitation
	MailOn     bool
	Labels     Labels
}

// SendForm is the send form as typed.
type SendForm struct {
	Template, Due, ContactName, ContactEmail, Contact string
	Prefill                                           bool
}

func (s *Server) sendView(c *fiber.Ctx, vendorID string, f SendForm) (SendView, error) {
	ctx, v := c.UserContext(), viewer(c)
	vd, err := s.suppliers.Get(ctx, v.Domain, vendorID)
	if err != nil {
		return SendView{}, err
	}
	view := SendView{Page: s.page(c, "Send a security questionnaire"), Vendor: vd, Templates: s.assessments.Templates(),
		Contacts: vd.Contacts, Form: f, Errors: map[string]string{}, MailOn: s.assessments.MailOn()}
	past, err := s.assessments.List(ctx, v.Domain, assessment.Filter{VendorID: vd.ID})
	if err != nil {
		return view, err
	}
	for _, a := range past {
		if !a.SubmittedAt.IsZero() {
			view.CanPrefill = true
		}
	}
	return view, nil
}

func (s *Server) assessmentNew(c *fiber.Ctx) error {
	id := c.Query("vendor")
	if id == "" {
		return s.redirect(c, "/vendors", "Open the vendor you want to assess, then choose “Send questionnaire”.")
	}
	f := SendForm{Due: s.now().AddDate(0, 0, 21).Format(time.DateOnly), Template: c.Query("template"), Prefill: true}
	view, err := s.sendView(c, id, f)
	if err != nil {
		return err
	}
	for _, ct := range view.Vendor.Contacts {
		if ct.Role == supplier.RoleSecurity && ct.Email != "" {
			view.Form.ContactName, view.Form.ContactEmail = ct.Name, ct.Email
			break
		}
	}
	if view.Form.Template == "" {
		view.Form.Template = s.assessments.SuggestTemplate(view.Vendor)
	}
	return s.render(c, "assessment_send", view)
}

func (s *Server) assessmentSend(c *fiber.Ctx) error {
	vendorID := c.FormValue("vendor")
	f := SendForm{Template: c.FormValue("template"), Due: strings.TrimSpace(c.FormValue("due")),
		ContactName: c.FormValue("contact_name"), ContactEmail: c.FormValue("contact_email"),
		Contact: c.FormValue("contact"), Prefill: c.FormValue("prefill") == "on"}
	in := assessment.SendInput{VendorID: vendorID, Template: f.Template, ContactName: f.ContactName, ContactEmail: f.ContactEmail, Prefill: f.Prefill}
	view, err := s.sendView(c, vendorID, f)
	if err != nil {
		return err
	}
	if f.Contact != "" {
		if i, err := strconv.Atoi(f.Contact); err == nil && i >= 0 && i < len(view.Vendor.Contacts) {
			in.ContactName, in.ContactEmail = view.Vendor.Contacts[i].Name, view.Vendor.Contacts[i].Email
		}
	}
	due, derr := parseDate(f.Due)
	if derr != nil {
		view.Errors["due"] = "Give the date as YYYY-MM-DD."
	}
	in.Due = due
	var sent assessment.Invitation
	if derr == nil {
		sent, err = s.assessments.Send(c.UserContext(), viewer(c).Domain, in)
	}
	if derr != nil || err != nil {
		if err != nil {
			for k, m := range errs.ByField(err) {
				view.Errors[k] = m
			}
			if len(view.Errors) == 0 {
				switch errs.Code(err) {
				case errs.Conflict, errs.Invalid:
					view.Errors["form"] = errs.Message(err)
				default:
					return err
				}
			}
		}
		c.Status(fiber.StatusUnprocessableEntity)
		if errs.Code(err) == errs.Conflict {
			c.Status(fiber.StatusConflict)
		}
		return s.render(c, "assessment_send", view)
	}
	sent.URL = s.absolute(c, sent.URL)
	view.Sent = &sent
	view.Page.Title = "Questionnaire sent"
	return s.render(c, "assessment_send", view)
}

// absolute makes a link Dossier built without knowing its own address
// (no DOSSIER_PUBLIC_URL) point at the address this request came to.
func (s *Server) absolute(c *fiber.Ctx, link string) string {
	if s.cfg.PublicURL != "" {
		return link
	}
	if i := strings.Index(link, "/q/"); i >= 0 {
		return s.baseURL(c) + link[i:]
	}
	return link
}

func parseDate(s string) (time.Time, error) {
	return time.Parse(time.DateOnly, strings.TrimSpace(s))
}

// AssessmentView is the reviewer's page of one assessment.
type AssessmentView struct {
	Page
	A          assessment.Assessment
	Card       assessment.Scorecard
	Sections   []SectionView
	Findings   []assessment.Finding
	Flags      []FlagView
	History    []audit.Event
	Now        time.Time
	LinkActive bool
	CanEdit    bool
	CanReview  bool
	CanSign    bool
	MFA        bool
	Proposer   bool // the viewer proposed the decision waiting for a signature
	Problem    string
	Errors     map[string]string
	Finding    FindingForm
	Decision   assessment.DecisionInput
	Signed     bool // the signature's digest still matches
	Severities []string
	Outcomes   []Option
	Questions  []Option
	Link       *assessment.Invitation // a reissued link, shown once
}

// SectionView is one section of answers as the reviewer reads them.
type SectionView struct {
	Title     string
	Questions []AnswerView
}

// AnswerView is one question with its answer, flag, review and evidence.
type AnswerView struct {
	Q        *questionnaire.Question
	Number   int
	Shown    bool
	Answer   []string // labels
	Comment  string
	Flag     *questionnaire.Flag
	Review   *assessment.AnswerReview
	Evidence []assessment.Evidence
	Findings int
}

// FlagView is one flagged answer in the summary.
type FlagView struct {
	Question string
	Text     string
	Severity string
	Reason   string
}

// FindingForm is the raise-a-finding form as typed.
type FindingForm struct{ Question, Title, Severity, Remediation, Due string }

func (s *Server) assessmentView(c *fiber.Ctx) (AssessmentView, error) {
	ctx, v := c.UserContext(), viewer(c)
	a, err := s.assessments.Get(ctx, v.Domain, c.Params("id"))
	if err != nil {
		return AssessmentView{}, err
	}
	card, err := s.assessments.Scorecard(ctx, a)
	if err != nil {
		return AssessmentView{}, err
	}
	obj := authz.Object(authz.ClassAssessment, a.ID)
	view := AssessmentView{Page: s.page(c, a.VendorName+": "+a.TemplateTitle), A: a, Card: card, Now: s.now(),
		LinkActive: a.Link.Active(s.now()), CanEdit: s.can(c, authz.Edit, obj), CanReview: s.can(c, authz.Review, obj),
		CanSign: s.can(c, authz.Approve, obj), MFA: v.User.MFAEnrolled(), Errors: map[string]string{},
		Severities: assessment.Levels(), Finding: FindingForm{Severity: "medium", Due: s.now().AddDate(0, 0, 30).Format(time.DateOnly), Question: c.Query("question")}}
	view.Proposer = a.Proposed != nil && a.Proposed.By == v.User.ID
	if a.Decision != nil && a.Decision.Signature != nil {
		if view.Signed, err = s.assessments.VerifySignature(ctx, a); err != nil {
			return view, err
		}
	}
	for _, o := range []string{assessment.Accept, assessment.AcceptWithConditions, assessment.Reject} {
		view.Outcomes = append(view.Outcomes, Option{Value: o, Label: assessment.OutcomeLabel(o)})
	}
	if view.Findings, err = s.assessments.Findings(ctx, v.Domain, a.ID); err != nil {
		return view, err
	}
	perQuestion := map[string]int{}
	for _, f := range view.Findings {
		perQuestion[f.Question]++
	}
	flags := map[string]*questionnaire.Flag{}
	for i := range card.Result.Flags {
		f := &card.Result.Flags[i]
		flags[f.Question.ID] = f
		view.Flags = append(view.Flags, FlagView{Question: f.Question.ID, Text: f.Question.Text, Severity: string(f.Severity), Reason: f.Reason})
	}
	vals := a.Values()
	n := 0
	for _, sec := range card.Template.Sections {
		sv := SectionView{Title: sec.Title}
		for i := range sec.Questions {
			q := &sec.Questions[i]
			n++
			av := AnswerView{Q: q, Number: n, Shown: q.Shown(vals), Flag: flags[q.ID], Evidence: card.Evidence[q.ID], Findings: perQuestion[q.ID]}
			if ans, ok := a.Answers[q.ID]; ok {
				av.Answer = answerLabels(q, ans.Values, card.Evidence[q.ID])
				av.Comment = ans.Comment
			}
			if r, ok := a.Reviews[q.ID]; ok {
				av.Review = &r
			}
			if av.Shown {
				view.Questions = append(view.Questions, Option{Value: q.ID, Label: fmt.Sprintf("%d. %s", n, text.Shorten(q.Text, 90))})
			}
			sv.Questions = append(sv.Questions, av)
		}
		view.Sections = append(view.Sections, sv)
	}
	view.History, err = s.audit.List(ctx, audit.Query{ObjectType: "assessment", ObjectID: a.ID, Limit: 100})
	return view, err
}

// answerLabels turns stored values into what people read.
func answerLabels(q *questionnaire.Question, vals []string, files []assessment.Evidence) []string {
	var out []string
	for _, v := range vals {
		label := v
		switch q.Type {
		case questionnaire.YesNo:
			label = map[string]string{questionnaire.Yes: "Yes", questionnaire.No: "No", questionnaire.NA: "Not applicable"}[v]
		case questionnaire.Single, questionnaire.Multi:
			for _, ch := range q.Choices {
				if ch.Value == v {
					label = ch.Label
				}
			}
		case questionnaire.File:
			label = "file"
			for _, f := range files {
				if f.ID == v {
					label = f.File.Name
				}
			}
		}
		out = append(out, label)
	}
	return out
}

func (s *Server) assessmentPage(c *fiber.Ctx) error {
	view, err := s.assessmentView(c)
	if err != nil {
		return err
	}
	return s.render(c, "assessment", view)
}

// assessmentRefused shows the assessment again with why a step was
// refused, the typed values kept.
func (s *Server) assessmentRefused(c *fiber.Ctx, err error, keep func(*AssessmentView)) error {
	switch errs.Code(err) {
	case errs.Invalid, errs.Conflict, errs.Forbidden, errs.Unauthorized, errs.NotFound:
	default:
		return err
	}
	view, verr := s.assessmentView(c)
	if verr != nil {
		return verr
	}
	// The message shows at the top as well as beside its field: several
	// forms on this page share field names (a note, a reason).
	view.Errors, view.Problem = errs.ByField(err), errs.Message(err)
	if keep != nil {
		keep(&view)
	}
	c.Status(status(errs.Code(err)))
	return s.render(c, "assessment", view)
}

func (s *Server) assessmentLink(c *fiber.Ctx) error {
	ctx, domain := c.UserContext(), viewer(c).Domain
	version, err := formVersion(c)
	if err != nil {
		return err
	}
	switch c.FormValue("action") {
	case "reissue":
		sent, err := s.assessments.ReissueLink(ctx, domain, c.Params("id"), version)
		if err != nil {
			return s.assessmentRefused(c, err, nil)
		}
		view, err := s.assessmentView(c)
		if err != nil {
			return err
		}
		sent.URL = s.absolute(c, sent.URL)
		view.Link = &sent
		return s.render(c, "assessment", view)
	case "extend":
		until, err := parseDate(c.FormValue("until"))
		if err != nil {
			return s.assessmentRefused(c, errs.Field("until", "Give the new expiry date as YYYY-MM-DD."), nil)
		}
		if _, err := s.assessments.ExtendLink(ctx, domain, c.Params("id"), version, until.Add(24*time.Hour-time.Second)); err != nil {
			return s.assessmentRefused(c, err, nil)
		}
		return s.redirect(c, s.assessmentPath(c), "The link now works until "+until.Format("2 January 2006")+".")
	case "revoke":
		if _, err := s.assessments.RevokeLink(ctx, domain, c.Params("id"), version); err != nil {
			return s.assessmentRefused(c, err, nil)
		}
		return s.redirect(c, s.assessmentPath(c), "The link is revoked: it no longer opens the questionnaire.")
	}
	return errs.E(errs.Invalid, "Choose what to do with the link.")
}

func (s *Server) assessmentCancel(c *fiber.Ctx) error {
	version, err := formVersion(c)
	if err != nil {
		return err
	}
	if _, err := s.assessments.Cancel(c.UserContext(), viewer(c).Domain, c.Params("id"), version, c.FormValue("reason")); err != nil {
		return s.assessmentRefused(c, err, nil)
	}
	return s.redirect(c, s.assessmentPath(c), "Assessment cancelled; its link no longer works.")
}

func (s *Server) assessmentReturn(c *fiber.Ctx) error {
	version, err := formVersion(c)
	if err != nil {
		return err
	}
	if _, err := s.assessments.ReturnToVendor(c.UserContext(), viewer(c).Domain, c.Params("id"), version, c.FormValue("note")); err != nil {
		return s.assessmentRefused(c, err, nil)
	}
	return s.redirect(c, s.assessmentPath(c), "Returned to the vendor with your note.")
}

func (s *Server) assessmentAccept(c *fiber.Ctx) error {
	q := c.Params("question")
	if _, err := s.assessments.AcceptAnswer(c.UserContext(), viewer(c).Domain, c.Params("id"), q); err != nil {
		return s.assessmentRefused(c, err, nil)
	}
	return s.redirect(c, s.assessmentPath(c)+"#q-"+url.PathEscape(q), "Answer accepted.")
}

func (s *Server) findingRaise(c *fiber.Ctx) error {
	f := FindingForm{Question: c.FormValue("question"), Title: c.FormValue("title"), Severity: c.FormValue("severity"),
		Remediation: c.FormValue("remediation"), Due: c.FormValue("due")}
	keep := func(v *AssessmentView) { v.Finding = f }
	due, err := parseDate(f.Due)
	if err != nil {
		return s.assessmentRefused(c, errs.Field("due", "Give the due date as YYYY-MM-DD."), keep)
	}
	fd, err := s.assessments.RaiseFinding(c.UserContext(), viewer(c).Domain, c.Params("id"), assessment.FindingInput{
		Question: f.Question, Title: f.Title, Severity: f.Severity, Remediation: f.Remediation, Due: due})
	if err != nil {
		return s.assessmentRefused(c, err, keep)
	}
	return s.redirect(c, s.assessmentPath(c)+"#f-"+fd.ID, "Finding raised; the vendor sees it through their link.")
}

// findingStep is a reviewer's step on a finding: reply or close.
type findingStep func(ctx context.Context, domain, id string, version int64, text string) (assessment.Finding, error)

// findingAction runs a step on the finding named by :fid, which must be
// one of the assessment :id whose permission was checked, with the text of
// the form's field, and goes back to the finding with done.
func (s *Server) findingAction(step findingStep, field, done string) fiber.Handler {
	return func(c *fiber.Ctx) error {
		version, err := formVersion(c)
		if err != nil {
			return err
		}
		f, err := s.findingOfPath(c)
		if err != nil {
			return err
		}
		if _, err := step(c.UserContext(), viewer(c).Domain, f.ID, version, c.FormValue(field)); err != nil {
			return s.assessmentRefused(c, err, nil)
		}
		return s.redirect(c, s.assessmentPath(c)+"#f-"+url.PathEscape(f.ID), done)
	}
}

func (s *Server) assessmentDecide(c *fiber.Ctx) error {
	version, err := formVersion(c)
	if err != nil {
		return err
	}
	in := assessment.DecisionInput{Outcome: c.FormValue("outcome"), Residual: c.FormValue("residual"), Reason: c.FormValue("reason")}
	a, err := s.assessments.Decide(c.UserContext(), viewer(c).Domain, c.Params("id"), version, in)
	if err != nil {
		return s.assessmentRefused(c, err, func(v *AssessmentView) { v.Decision = in })
	}
	if a.State == assessment.AwaitingApproval {
		return s.redirect(c, s.assessmentPath(c), "Decision proposed. Accepting a "+a.Proposed.Residual+" risk needs an approver's signature.")
	}
	return s.redirect(c, s.assessmentPath(c), "Decision recorded: "+assessment.OutcomeLabel(a.Decision.Outcome)+".")
}

func (s *Server) assessmentSign(c *fiber.Ctx) error {
	version, err := formVersion(c)
	if err != nil {
		return err
	}
	in := assessment.SignInput{Approve: c.FormValue("approve") == "yes", Reason: c.FormValue("reason"),
		Password: c.FormValue("password"), Code: strings.TrimSpace(c.FormValue("code"))}
	a, err := s.assessments.Sign(c.UserContext(), viewer(c).Domain, c.Params("id"), version, in)
	if err != nil {
		return s.assessmentRefused(c, err, nil)
	}
	if a.State == assessment.Decided {
		return s.redirect(c, s.assessmentPath(c), "Signed: "+a.Decision.Signature.Meaning+".")
	}
	return s.redirect(c, s.assessmentPath(c), "You declined to sign; the decision is back with the reviewer.")
}

// EvidenceListView lists evidence expiring within 60 days.
type EvidenceListView struct {
	Page
	Rows []assessment.Evidence
	Now  time.Time
}

func (s *Server) evidenceList(c *fiber.Ctx) error {
	rows, err := s.assessments.Expiring(c.UserContext(), viewer(c).Domain)
	if err != nil {
		return err
	}
	return s.render(c, "evidence", EvidenceListView{Page: s.page(c, "Evidence expiring"), Rows: rows, Now: s.now()})
}

// evidenceFile sends an evidence file, verified against its SHA-256 and
// audited: as a download, or inline for the browser's own viewer.
func (s *Server) evidenceFile(inline bool) fiber.Handler {
	return func(c *fiber.Ctx) error {
		v := viewer(c)
		e, err := s.assessments.Evidence(c.UserContext(), v.Domain, c.Params("id"))
		if err != nil {
			return err
		}
		obj := authz.Object(authz.ClassVendor, e.VendorID)
		if e.AssessmentID != "" {
			obj = authz.Object(authz.ClassAssessment, e.AssessmentID)
		}
		if err := s.authz.Check(v.User.ID, v.Domain, obj, authz.View); err != nil {
			return err
		}
		e, rd, err := s.assessments.OpenEvidence(c.UserContext(), v.Domain, e.ID)
		if err != nil {
			return err
		}
		defer rd.Close()
		return sendVerified(c, rd, func() {
			c.Set(fiber.HeaderContentType, e.File.ContentType)
			if inline && (e.File.ContentType == "application/pdf" || strings.HasPrefix(e.File.ContentType, "image/")) {
				inlineFile(c)
			} else {
				attachment(c, e.File.Name)
			}
		})
	}
}

// evidenceUpdate classifies evidence: kind, title, period, expiry.
func (s *Server) evidenceUpdate(c *fiber.Ctx) error {
	version, err := formVersion(c)
	if err != nil {
		return err
	}
	in, err := evidenceInput(c.FormValue)
	if err != nil {
		return err
	}
	e, err := s.assessments.UpdateEvidence(c.UserContext(), viewer(c).Domain, c.Params("id"), version, in)
	if err != nil {
		if errs.Code(err) == errs.Invalid || errs.Code(err) == errs.Conflict {
			return s.redirect(c, "/vendors/"+url.PathEscape(e.VendorID)+"#evidence", "Not saved: "+errs.Message(err))
		}
		return err
	}
	return s.redirect(c, "/vendors/"+url.PathEscape(e.VendorID)+"#evidence", "Evidence updated.")
}

// evidenceInput reads the evidence fields of a form.
func evidenceInput(value func(string, ...string) string) (assessment.EvidenceInput, error) {
	in := assessment.EvidenceInput{Kind: value("kind"), Title: value("title")}
	fields := map[string]string{}
	for _, d := range []struct {
		name string
		to   **time.Time
	}{{"period_start", &in.PeriodStart}, {"period_end", &in.PeriodEnd}, {"expires", &in.Expires}} {
		raw := strings.TrimSpace(value(d.name))
		if raw == "" {
			continue
		}
		t, err := parseDate(raw)
		if err != nil {
			fields[d.name] = "Give the date as YYYY-MM-DD."
			continue
		}
		*d.to = &t
	}
	if len(fields) > 0 {
		return in, errs.Fields(fields)
	}
	return in, nil
}

// vendorEvidenceUpload files evidence on a vendor's record.
func (s *Server) vendorEvidenceUpload(c *fiber.Ctx) error {
	form, err := s.readUpload(c, "file", s.cfg.UploadLimit)
	if err != nil {
		return s.vendorRefused(c, withField(err, "file"))
	}
	defer form.Remove()
	if len(form.Files) == 0 {
		return s.vendorRefused(c, errs.Field("file", "Choose the file to upload."))
	}
	in, err := evidenceInput(func(k string, _ ...string) string { return form.Value(k) })
	if err != nil {
		return s.vendorRefused(c, err)
	}
	e, err := s.assessments.AddEvidence(c.UserContext(), viewer(c).Domain, c.Params("id"), in, form.Files[0])
	if err != nil {
		return s.vendorRefused(c, withField(err, "file"))
	}
	return s.redirect(c, s.vendorPath(c)+"#evidence", fmt.Sprintf("%s stored; its SHA-256 is recorded and checked on every download.", e.Title))
}

// QuestionnairesView lists the questionnaire templates.
type QuestionnairesView struct {
	Page
	Templates []*questionnaire.Template
}

func (s *Server) questionnaireList(c *fiber.Ctx) error {
	return s.render(c, "questionnaires", QuestionnairesView{Page: s.page(c, "Questionnaires"), Templates: s.assessments.Templates()})
}

// QuestionnaireView shows one template as the vendor will see it, with
// what the reviewer needs: weights, severities, conditions, controls.
type QuestionnaireView struct {
	Page
	T *questionnaire.Template
}

func (s *Server) questionnairePreview(c *fiber.Ctx) error {
	t, err := s.assessments.Template(c.UserContext(), c.Params("key"))
	if err != nil {
		return err
	}
	return s.render(c, "questionnaire_preview", QuestionnaireView{Page: s.page(c, t.Title), T: t})
}
