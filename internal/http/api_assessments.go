package http

import (
	"context"
	"errors"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"dossier/internal/assessment"
	"dossier/internal/authz"
	"dossier/internal/errs"
	"dossier/internal/questionnaire"
)

// The assessment API. Routes with an assessment id check the permission on
// that assessment, so a grant on one assessment works as well as a role's
// on all; lists and sending check the class as a whole. The response types
// are prefixed API: the HTML pages of the same package have their own views.

func (s *Server) assessmentAPIRoutes(api fiber.Router) {
	view := s.require(authz.View, authz.Every(authz.ClassAssessment))
	edit := s.require(authz.Edit, authz.Every(authz.ClassAssessment))

	q := api.Group("/questionnaires", s.signedIn, view)
	q.Get("/", s.apiQuestionnaireList)
	q.Get("/:key", s.apiQuestionnaireGet)

	g := api.Group("/assessments", s.signedIn)
	g.Get("/", view, s.apiAssessmentList)
	g.Post("/", edit, s.apiAssessmentSend)
	g.Get("/:id", s.objectRequire(authz.View), s.apiAssessmentGet)
	g.Get("/:id/answers", s.objectRequire(authz.View), s.apiAnswers)
	g.Post("/:id/answers/:question/accept", s.objectRequire(authz.Review), s.apiAnswerAccept)
	g.Get("/:id/findings", s.objectRequire(authz.View), s.apiFindingList)
	g.Post("/:id/findings", s.objectRequire(authz.Review), s.apiFindingRaise)
	g.Post("/:id/findings/:fid/reply", s.objectRequire(authz.Review), s.apiFindingReply)
	g.Post("/:id/findings/:fid/close", s.objectRequire(authz.Review), s.apiFindingClose)
	g.Post("/:id/decision", s.objectRequire(authz.Review), s.apiDecide)
	g.Post("/:id/signature", s.objectRequire(authz.Approve), s.apiSign)
	g.Post("/:id/link", s.objectRequire(authz.Edit), s.apiLink)
	g.Post("/:id/cancel", s.objectRequire(authz.Edit), s.apiCancel)
	g.Post("/:id/return", s.objectRequire(authz.Review), s.apiReturn)

	ev := api.Group("/evidence", s.signedIn)
	ev.Get("/", view, s.apiEvidenceList)
	ev.Get("/expiring", view, s.apiEvidenceExpiring)
	ev.Get("/:id/file", s.apiEvidenceFile)
}

// Questionnaires.

// APIQuestionnaireSummary is one current questionnaire template.
type APIQuestionnaireSummary struct {
	ID            string `json:"id"`
	Version       string `json:"version"`
	Key           string `json:"key"` // id@version
	Title         string `json:"title"`
	Description   string `json:"description"`
	SectionCount  int    `json:"section_count"`
	QuestionCount int    `json:"question_count"`
}

// APIQuestionnaire is one template version in full.
type APIQuestionnaire struct {
	APIQuestionnaireSummary
	Sections []APISection `json:"sections"`
}

// APISection is a section of a questionnaire.
type APISection struct {
	ID        string        `json:"id"`
	Title     string        `json:"title"`
	Help      string        `json:"help,omitempty"`
	Questions []APIQuestion `json:"questions"`
}

// APIQuestion is a question as the template defines it.
type APIQuestion struct {
	ID        string      `json:"id"`
	Text      string      `json:"text"`
	Help      string      `json:"help,omitempty"`
	Type      string      `json:"type"`
	Required  bool        `json:"required"`
	Weight    float64     `json:"weight"`
	Severity  string      `json:"severity"`
	Evidence  bool        `json:"evidence"`
	When      string      `json:"when,omitempty"`
	Controls  []string    `json:"controls"`
	HIPAA     []string    `json:"hipaa"`
	Choices   []APIChoice `json:"choices,omitempty"`
	NA        bool        `json:"na,omitempty"`
	Min       *float64    `json:"min,omitempty"`
	Max       *float64    `json:"max,omitempty"`
	MaxLength int         `json:"max_length,omitempty"`
}

// APIChoice is one answer of a choice question.
type APIChoice struct {
	Value string  `json:"value"`
	Label string  `json:"label"`
	Score float64 `json:"score"`
}

// APIQuestionnaireList is GET /api/v1/questionnaires.
type APIQuestionnaireList struct {
	Questionnaires []APIQuestionnaireSummary `json:"questionnaires"`
}

func questionnaireSummary(t *questionnaire.Template) APIQuestionnaireSummary {
	return APIQuestionnaireSummary{ID: t.ID, Version: t.Version, Key: t.Key(), Title: t.Title, Description: t.Description,
		SectionCount: len(t.Sections), QuestionCount: len(t.Questions())}
}

func (s *Server) apiQuestionnaireList(c *fiber.Ctx) error {
	out := APIQuestionnaireList{Questionnaires: []APIQuestionnaireSummary{}}
	for _, t := range s.assessments.Templates() {
		out.Questionnaires = append(out.Questionnaires, questionnaireSummary(t))
	}
	return c.JSON(out)
}

func (s *Server) apiQuestionnaireGet(c *fiber.Ctx) error {
	key, err := url.PathUnescape(c.Params("key")) // clients may send the @ as %40
	if err != nil {
		return errs.E(errs.NotFound, "No such questionnaire.")
	}
	t, err := s.assessments.Template(c.UserContext(), key)
	if err != nil {
		return err
	}
	out := APIQuestionnaire{APIQuestionnaireSummary: questionnaireSummary(t), Sections: []APISection{}}
	for _, sec := range t.Sections {
		as := APISection{ID: sec.ID, Title: sec.Title, Help: sec.Help, Questions: []APIQuestion{}}
		for i := range sec.Questions {
			as.Questions = append(as.Questions, apiQuestion(&sec.Questions[i]))
		}
		out.Sections = append(out.Sections, as)
	}
	return c.JSON(out)
}

func apiQuestion(q *questionnaire.Question) APIQuestion {
	out := APIQuestion{ID: q.ID, Text: q.Text, Help: q.Help, Type: string(q.Type), Required: q.Required, Weight: q.Weight,
		Severity: string(q.Severity), Evidence: q.Evidence, When: q.When, Controls: nonNil(q.Controls), HIPAA: nonNil(q.HIPAA),
		NA: q.NA, Min: q.Min, Max: q.Max}
	if q.Type == questionnaire.Text || q.Type == questionnaire.LongText {
		out.MaxLength = q.MaxLen()
	}
	for _, ch := range q.Choices {
		out.Choices = append(out.Choices, APIChoice{Value: ch.Value, Label: ch.Label, Score: ch.Score})
	}
	return out
}

// Assessments.

// APIRef names a related record.
type APIRef struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

// APITemplateRef is the questionnaire version an assessment was sent with.
type APITemplateRef struct {
	ID      string `json:"id"`
	Version string `json:"version"`
	Key     string `json:"key"`
	Title   string `json:"title"`
}

// APILink is an assessment's external link. URL and Token appear only in
// the answer that made the link (sending, reissuing): only the token's
// hash is stored, so nothing can show it again.
type APILink struct {
	Expires time.Time `json:"expires"`
	Active  bool      `json:"active"`
	Revoked bool      `json:"revoked"`
	URL     string    `json:"url,omitempty"`
	Token   string    `json:"token,omitempty"`
}

// APIDecision is a decision, or a proposal waiting for a signature.
type APIDecision struct {
	Outcome   string        `json:"outcome"`
	Residual  string        `json:"residual"`
	Reason    string        `json:"reason"`
	By        string        `json:"by"`
	ByName    string        `json:"by_name"`
	At        time.Time     `json:"at"`
	Signature *APISignature `json:"signature,omitempty"`
}

// APISignature is an approver's signature. Verified is recomputed on each
// read of one assessment (lists carry no answers to hash): the answers and
// decision still hash to SHA256.
type APISignature struct {
	SignerID   string    `json:"signer_id"`
	SignerName string    `json:"signer_name"`
	At         time.Time `json:"at"`
	Meaning    string    `json:"meaning"`
	SHA256     string    `json:"sha256"`
	Verified   *bool     `json:"verified,omitempty"`
}

// APIAssessmentSummary is an assessment without its answers, as lists
// show it.
type APIAssessmentSummary struct {
	ID          string               `json:"id"`
	Vendor      APIRef               `json:"vendor"`
	Template    APITemplateRef       `json:"template"`
	State       assessment.State     `json:"state"`
	Score       *int                 `json:"score"` // null until submitted
	Flags       assessment.FlagCount `json:"flags"`
	Due         string               `json:"due"`
	Link        APILink              `json:"link"`
	CreatedBy   APIRef               `json:"created_by"`
	CreatedAt   time.Time            `json:"created_at"`
	SubmittedAt *time.Time           `json:"submitted_at"`
	UpdatedAt   time.Time            `json:"updated_at"`
	Decision    *APIDecision         `json:"decision"`
	Version     int64                `json:"version"`
}

// APIAssessment is one assessment in full: the scorecard as the answers
// stand, the findings, and the decision or the proposal to sign.
type APIAssessment struct {
	APIAssessmentSummary
	Contact       assessment.Contact `json:"contact"`
	PrefilledFrom string             `json:"prefilled_from,omitempty"`
	// Note is the reviewer's note when the answers went back to the
	// vendor; CancelReason says why the assessment was cancelled.
	Note         string       `json:"note,omitempty"`
	CancelReason string       `json:"cancel_reason,omitempty"`
	Proposed     *APIDecision `json:"proposed"`
	Scorecard    APIScorecard `json:"scorecard"`
	Findings     []APIFinding `json:"findings"`
}

// APISentAssessment is an assessment with the link just made for it.
type APISentAssessment struct {
	APIAssessment
	Mailed    bool   `json:"mailed"`
	MailError string `json:"mail_error,omitempty"`
}

// APIScorecard is the score of the answers as they stand.
type APIScorecard struct {
	Score    int                  `json:"score"`
	Answered int                  `json:"answered"`
	Total    int                  `json:"total"`
	Flagged  assessment.FlagCount `json:"flagged"`
	Flags    []APIFlag            `json:"flags"`
	Coverage []APICoverage        `json:"coverage"`
}

// APIFlag is an answer that needs a reviewer's look.
type APIFlag struct {
	Question string `json:"question"`
	Text     string `json:"text"`
	Severity string `json:"severity"`
	Reason   string `json:"reason"`
}

// APICoverage sums up the answers about one ISO/IEC 27001:2022 Annex A control.
type APICoverage struct {
	Control   string `json:"control"`
	Name      string `json:"name"`
	Questions int    `json:"questions"`
	Good      int    `json:"good"`
	Flagged   int    `json:"flagged"`
}

// APIAssessmentList is GET /api/v1/assessments.
type APIAssessmentList struct {
	Assessments []APIAssessmentSummary `json:"assessments"`
	Total       int                    `json:"total"`
}

func (s *Server) apiAssessmentList(c *fiber.Ctx) error {
	f := assessment.Filter{VendorID: c.Query("vendor_id"), State: assessment.State(c.Query("state")), Template: c.Query("template")}
	if f.State != "" && !slices.Contains(assessment.States(), f.State) {
		return errs.Field("state", "There is no state %q; use one of %s.", f.State, stateNames())
	}
	list, err := s.assessments.List(c.UserContext(), viewer(c).Domain, f)
	if err != nil {
		return err
	}
	out := APIAssessmentList{Assessments: make([]APIAssessmentSummary, 0, len(list)), Total: len(list)}
	for _, a := range list {
		out.Assessments = append(out.Assessments, s.apiSummary(a))
	}
	return c.JSON(out)
}

func stateNames() string {
	var names []string
	for _, st := range assessment.States() {
		names = append(names, string(st))
	}
	return strings.Join(names, ", ")
}

func (s *Server) apiAssessmentGet(c *fiber.Ctx) error {
	a, err := s.assessments.Get(c.UserContext(), viewer(c).Domain, c.Params("id"))
	if err != nil {
		return err
	}
	return s.renderAssessment(c, a)
}

// APISendBody is the body of POST /api/v1/assessments.
type APISendBody struct {
	VendorID     string `json:"vendor_id"`
	Template     string `json:"template"` // a template id: its current version is sent
	Due          string `json:"due"`      // YYYY-MM-DD
	ContactName  string `json:"contact_name"`
	ContactEmail string `json:"contact_email"`
	Prefill      bool   `json:"prefill"`
}

func (s *Server) apiAssessmentSend(c *fiber.Ctx) error {
	var body APISendBody
	if err := decodeJSON(c, &body); err != nil {
		return err
	}
	due, dueErr := apiDate("due", body.Due)
	// A due date that does not read is sent as none, which the service
	// refuses along with every other problem; the message says why.
	sent, err := s.assessments.Send(c.UserContext(), viewer(c).Domain, assessment.SendInput{
		VendorID: body.VendorID, Template: body.Template, Due: due,
		ContactName: body.ContactName, ContactEmail: body.ContactEmail, Prefill: body.Prefill})
	if err != nil {
		return withFieldProblem(err, dueErr)
	}
	out, err := s.apiAssessment(c.UserContext(), sent.Assessment)
	if err != nil {
		return err
	}
	c.Location("/api/v1/assessments/" + sent.Assessment.ID)
	return c.Status(fiber.StatusCreated).JSON(s.apiSent(c, out, sent.URL, sent.Token, sent.Mailed, sent.MailError))
}

func (s *Server) apiSent(c *fiber.Ctx, a APIAssessment, link, token string, mailed bool, mailErr error) APISentAssessment {
	a.Link.URL, a.Link.Token = s.absolute(c, link), token
	out := APISentAssessment{APIAssessment: a, Mailed: mailed}
	if mailErr != nil {
		out.MailError = "The link could not be mailed; pass it on to the contact yourself."
	}
	return out
}

// APIAnswers is GET /api/v1/assessments/{id}/answers.
type APIAnswers struct {
	AssessmentID string               `json:"assessment_id"`
	Template     string               `json:"template"` // id@version
	State        assessment.State     `json:"state"`
	Version      int64                `json:"version"`
	Answers      map[string]APIAnswer `json:"answers"` // by question id
}

// APIAnswer is the vendor's answer to one question and what the reviewer
// made of it. Shown is false for an answer kept from a question that
// other answers now hide: it is neither scored nor required.
type APIAnswer struct {
	Values    []string                 `json:"values"`
	Comment   string                   `json:"comment"`
	SavedAt   *time.Time               `json:"saved_at"`
	Prefilled bool                     `json:"prefilled"`
	Shown     bool                     `json:"shown"`
	Reviewed  *assessment.AnswerReview `json:"reviewed"`
	Evidence  []string                 `json:"evidence"` // evidence ids
}

func (s *Server) apiAnswers(c *fiber.Ctx) error {
	a, err := s.assessments.Get(c.UserContext(), viewer(c).Domain, c.Params("id"))
	if err != nil {
		return err
	}
	return s.renderAnswers(c, a)
}

func (s *Server) renderAnswers(c *fiber.Ctx, a assessment.Assessment) error {
	card, err := s.assessments.Scorecard(c.UserContext(), a)
	if err != nil {
		return err
	}
	vals := a.Values()
	out := APIAnswers{AssessmentID: a.ID, Template: a.Template, State: a.State, Version: a.Version, Answers: map[string]APIAnswer{}}
	ids := map[string]bool{}
	for q := range a.Answers {
		ids[q] = true
	}
	for q := range a.Reviews {
		ids[q] = true
	}
	for q, ev := range card.Evidence {
		if q != "" && len(ev) > 0 {
			ids[q] = true
		}
	}
	for id := range ids {
		ans := a.Answers[id]
		view := APIAnswer{Values: nonNil(ans.Values), Comment: ans.Comment, Prefilled: ans.Prefilled, Evidence: []string{}}
		if !ans.SavedAt.IsZero() {
			view.SavedAt = &ans.SavedAt
		}
		if q, ok := card.Template.Question(id); ok {
			view.Shown = q.Shown(vals)
		}
		if r, ok := a.Reviews[id]; ok {
			view.Reviewed = &r
		}
		for _, e := range card.Evidence[id] {
			view.Evidence = append(view.Evidence, e.ID)
		}
		out.Answers[id] = view
	}
	return c.JSON(out)
}

func (s *Server) apiAnswerAccept(c *fiber.Ctx) error {
	a, err := s.assessments.AcceptAnswer(c.UserContext(), viewer(c).Domain, c.Params("id"), c.Params("question"))
	if err != nil {
		return err
	}
	return s.renderAnswers(c, a)
}

// Findings.

// APIFinding is a weakness the reviewer asked the vendor to remedy.
type APIFinding struct {
	ID           string                `json:"id"`
	AssessmentID string                `json:"assessment_id"`
	VendorID     string                `json:"vendor_id"`
	Question     string                `json:"question,omitempty"`
	Title        string                `json:"title"`
	Severity     string                `json:"severity"`
	Remediation  string                `json:"remediation"`
	Due          string                `json:"due"`
	State        string                `json:"state"`
	Overdue      bool                  `json:"overdue"`
	Responses    []assessment.Response `json:"responses"`
	RaisedBy     string                `json:"raised_by"`
	RaisedByName string                `json:"raised_by_name"`
	RaisedAt     time.Time             `json:"raised_at"`
	ClosedBy     string                `json:"closed_by,omitempty"`
	ClosedByName string                `json:"closed_by_name,omitempty"`
	ClosedAt     *time.Time            `json:"closed_at"`
	CloseNote    string                `json:"close_note,omitempty"`
	Version      int64                 `json:"version"`
}

// APIFindingList is GET /api/v1/assessments/{id}/findings.
type APIFindingList struct {
	Findings []APIFinding `json:"findings"`
}

func (s *Server) apiFinding(f assessment.Finding) APIFinding {
	out := APIFinding{ID: f.ID, AssessmentID: f.AssessmentID, VendorID: f.VendorID, Question: f.Question, Title: f.Title,
		Severity: f.Severity, Remediation: f.Remediation, Due: apiDay(f.Due), State: f.State, Overdue: f.Overdue(s.now()),
		Responses: f.Responses, RaisedBy: f.RaisedBy, RaisedByName: f.RaisedByName, RaisedAt: f.RaisedAt,
		ClosedBy: f.ClosedBy, ClosedByName: f.ClosedByName, CloseNote: f.CloseNote, Version: f.Version}
	if out.Responses == nil {
		out.Responses = []assessment.Response{}
	}
	if !f.ClosedAt.IsZero() {
		out.ClosedAt = &f.ClosedAt
	}
	return out
}

func (s *Server) apiFindingList(c *fiber.Ctx) error {
	ctx, domain := c.UserContext(), viewer(c).Domain
	a, err := s.assessments.Get(ctx, domain, c.Params("id"))
	if err != nil {
		return err
	}
	list, err := s.assessments.Findings(ctx, domain, a.ID)
	if err != nil {
		return err
	}
	out := APIFindingList{Findings: make([]APIFinding, 0, len(list))}
	for _, f := range list {
		out.Findings = append(out.Findings, s.apiFinding(f))
	}
	return c.JSON(out)
}

// APIFindingBody is the body of POST /api/v1/assessments/{id}/findings.
type APIFindingBody struct {
	Question    string `json:"question"` // optional: the answer it is about
	Title       string `json:"title"`
	Severity    string `json:"severity"`
	Remediation string `json:"remediation"`
	Due         string `json:"due"` // YYYY-MM-DD
}

func (s *Server) apiFindingRaise(c *fiber.Ctx) error {
	var body APIFindingBody
	if err := decodeJSON(c, &body); err != nil {
		return err
	}
	due, dueErr := apiDate("due", body.Due)
	// As when sending: an unreadable date goes as none, which the service
	// refuses along with the other problems.
	f, err := s.assessments.RaiseFinding(c.UserContext(), viewer(c).Domain, c.Params("id"), assessment.FindingInput{
		Question: body.Question, Title: body.Title, Severity: body.Severity, Remediation: body.Remediation, Due: due})
	if err != nil {
		return withFieldProblem(err, dueErr)
	}
	return c.Status(fiber.StatusCreated).JSON(s.apiFinding(f))
}

// APIFindingReplyBody is the body of POST …/findings/{fid}/reply.
type APIFindingReplyBody struct {
	Version int64  `json:"version"`
	Message string `json:"message"`
}

func (s *Server) apiFindingReply(c *fiber.Ctx) error {
	var body APIFindingReplyBody
	if err := decodeJSON(c, &body); err != nil {
		return err
	}
	if err := needVersion(body.Version); err != nil {
		return err
	}
	f, err := s.findingOfPath(c)
	if err != nil {
		return err
	}
	f, err = s.assessments.ReplyFinding(c.UserContext(), viewer(c).Domain, f.ID, body.Version, body.Message)
	if err != nil {
		return renameField(err, "response", "message")
	}
	return c.JSON(s.apiFinding(f))
}

// APIFindingCloseBody is the body of POST …/findings/{fid}/close.
type APIFindingCloseBody struct {
	Version int64  `json:"version"`
	Note    string `json:"note"`
}

func (s *Server) apiFindingClose(c *fiber.Ctx) error {
	var body APIFindingCloseBody
	if err := decodeJSON(c, &body); err != nil {
		return err
	}
	if err := needVersion(body.Version); err != nil {
		return err
	}
	f, err := s.findingOfPath(c)
	if err != nil {
		return err
	}
	f, err = s.assessments.CloseFinding(c.UserContext(), viewer(c).Domain, f.ID, body.Version, body.Note)
	if err != nil {
		return err
	}
	return c.JSON(s.apiFinding(f))
}

// findingOfPath reads the finding named by :fid, which must belong to the
// assessment named by :id: the permission was checked on that assessment.
func (s *Server) findingOfPath(c *fiber.Ctx) (assessment.Finding, error) {
	f, err := s.assessments.Finding(c.UserContext(), viewer(c).Domain, c.Params("fid"))
	if err != nil {
		return f, err
	}
	if f.AssessmentID != c.Params("id") {
		return assessment.Finding{}, errs.E(errs.NotFound, "No such finding.")
	}
	return f, nil
}

// Decision and signature.

// APIDecisionBody is the body of POST /api/v1/assessments/{id}/decision.
type APIDecisionBody struct {
	Version  int64  `json:"version"`
	Outcome  string `json:"outcome"`
	Residual string `json:"residual"`
	Reason   string `json:"reason"`
}

func (s *Server) apiDecide(c *fiber.Ctx) error {
	var body APIDecisionBody
	if err := decodeJSON(c, &body); err != nil {
		return err
	}
	if err := needVersion(body.Version); err != nil {
		return err
	}
	a, err := s.assessments.Decide(c.UserContext(), viewer(c).Domain, c.Params("id"), body.Version,
		assessment.DecisionInput{Outcome: body.Outcome, Residual: body.Residual, Reason: body.Reason})
	if err != nil {
		return err
	}
	return s.renderAssessment(c, a)
}

// APISignatureBody is the body of POST /api/v1/assessments/{id}/signature.
type APISignatureBody struct {
	Version  int64  `json:"version"`
	Approve  *bool  `json:"approve"` // required: a signature is never implied
	Reason   string `json:"reason"`  // required when declining
	Password string `json:"password"`
	Code     string `json:"code"`
}

func (s *Server) apiSign(c *fiber.Ctx) error {
	var body APISignatureBody
	if err := decodeJSON(c, &body); err != nil {
		return err
	}
	if err := needVersion(body.Version); err != nil {
		return err
	}
	if body.Approve == nil {
		return errs.Field("approve", "Say whether you approve (true) or decline (false) the proposed decision.")
	}
	a, err := s.assessments.Sign(c.UserContext(), viewer(c).Domain, c.Params("id"), body.Version, assessment.SignInput{
		Approve: *body.Approve, Reason: body.Reason, Password: body.Password, Code: strings.TrimSpace(body.Code)})
	if err != nil {
		return err
	}
	return s.renderAssessment(c, a)
}

// Link, cancel, return.

// APILinkBody is the body of POST /api/v1/assessments/{id}/link.
type APILinkBody struct {
	Action  string `json:"action"` // reissue, extend or revoke
	Version int64  `json:"version"`
	Until   string `json:"until"` // extend: the last day the link works, YYYY-MM-DD
}

func (s *Server) apiLink(c *fiber.Ctx) error {
	var body APILinkBody
	if err := decodeJSON(c, &body); err != nil {
		return err
	}
	if body.Action != "reissue" && body.Action != "extend" && body.Action != "revoke" {
		return errs.Field("action", "Choose reissue, extend or revoke.")
	}
	if body.Action != "extend" && body.Until != "" {
		return errs.Field("until", "Only extend takes a date: a reissued link lasts the usual period.")
	}
	if err := needVersion(body.Version); err != nil {
		return err
	}
	ctx, domain, id := c.UserContext(), viewer(c).Domain, c.Params("id")
	var a assessment.Assessment
	switch body.Action {
	case "reissue":
		sent, err := s.assessments.ReissueLink(ctx, domain, id, body.Version)
		if err != nil {
			return err
		}
		out, err := s.apiAssessment(ctx, sent.Assessment)
		if err != nil {
			return err
		}
		return c.JSON(s.apiSent(c, out, sent.URL, sent.Token, sent.Mailed, sent.MailError))
	case "extend":
		until, err := apiDate("until", body.Until)
		if err != nil {
			return err
		}
		if until.IsZero() {
			return errs.Field("until", "Give the last day the link works, as YYYY-MM-DD.")
		}
		// The link works through the whole of the day given.
		if a, err = s.assessments.ExtendLink(ctx, domain, id, body.Version, until.Add(24*time.Hour-time.Second)); err != nil {
			return err
		}
	case "revoke":
		var err error
		if a, err = s.assessments.RevokeLink(ctx, domain, id, body.Version); err != nil {
			return err
		}
	}
	return s.renderAssessment(c, a)
}

// APICancelBody is the body of POST /api/v1/assessments/{id}/cancel.
type APICancelBody struct {
	Version int64  `json:"version"`
	Reason  string `json:"reason"`
}

func (s *Server) apiCancel(c *fiber.Ctx) error {
	var body APICancelBody
	if err := decodeJSON(c, &body); err != nil {
		return err
	}
	if err := needVersion(body.Version); err != nil {
		return err
	}
	a, err := s.assessments.Cancel(c.UserContext(), viewer(c).Domain, c.Params("id"), body.Version, body.Reason)
	if err != nil {
		return err
	}
	return s.renderAssessment(c, a)
}

// APIReturnBody is the body of POST /api/v1/assessments/{id}/return.
type APIReturnBody struct {
	Version int64  `json:"version"`
	Note    string `json:"note"`
}

func (s *Server) apiReturn(c *fiber.Ctx) error {
	var body APIReturnBody
	if err := decodeJSON(c, &body); err != nil {
		return err
	}
	if err := needVersion(body.Version); err != nil {
		return err
	}
	a, err := s.assessments.ReturnToVendor(c.UserContext(), viewer(c).Domain, c.Params("id"), body.Version, body.Note)
	if err != nil {
		return err
	}
	return s.renderAssessment(c, a)
}

// Evidence.

// APIEvidence is a file a vendor gave as proof, without its content.
type APIEvidence struct {
	ID           string          `json:"id"`
	VendorID     string          `json:"vendor_id"`
	VendorName   string          `json:"vendor_name"`
	AssessmentID string          `json:"assessment_id,omitempty"`
	Question     string          `json:"question,omitempty"`
	Kind         string          `json:"kind"`
	KindLabel    string          `json:"kind_label"`
	Title        string          `json:"title"`
	PeriodStart  string          `json:"period_start,omitempty"`
	PeriodEnd    string          `json:"period_end,omitempty"`
	Expires      string          `json:"expires,omitempty"`
	Expired      bool            `json:"expired"`
	File         assessment.File `json:"file"`
	URL          string          `json:"url"` // where the file downloads
	UploadedBy   string          `json:"uploaded_by"`
	UploadedAt   time.Time       `json:"uploaded_at"`
	Version      int64           `json:"version"`
}

// APIEvidenceList is a list of evidence.
type APIEvidenceList struct {
	Evidence []APIEvidence `json:"evidence"`
}

func (s *Server) apiEvidence(list []assessment.Evidence) APIEvidenceList {
	now := s.now()
	out := APIEvidenceList{Evidence: make([]APIEvidence, 0, len(list))}
	for _, e := range list {
		day := func(t *time.Time) string {
			if t == nil {
				return ""
			}
			return apiDay(*t)
		}
		out.Evidence = append(out.Evidence, APIEvidence{ID: e.ID, VendorID: e.VendorID, VendorName: e.VendorName,
			AssessmentID: e.AssessmentID, Question: e.Question, Kind: e.Kind, KindLabel: assessment.KindLabel(e.Kind), Title: e.Title,
			PeriodStart: day(e.PeriodStart), PeriodEnd: day(e.PeriodEnd), Expires: day(e.Expires),
			Expired: e.Expires != nil && e.Expires.Before(now), File: e.File,
			URL: "/api/v1/evidence/" + url.PathEscape(e.ID) + "/file", UploadedBy: e.UploadedBy, UploadedAt: e.UploadedAt, Version: e.Version})
	}
	return out
}

func (s *Server) apiEvidenceList(c *fiber.Ctx) error {
	ctx, domain := c.UserContext(), viewer(c).Domain
	id := c.Query("vendor_id")
	if id == "" {
		return errs.Field("vendor_id", "Name the vendor whose evidence to list (vendor_id).")
	}
	v, err := s.suppliers.Get(ctx, domain, id)
	if err != nil {
		return err
	}
	list, err := s.assessments.EvidenceFor(ctx, domain, v.ID)
	if err != nil {
		return err
	}
	return c.JSON(s.apiEvidence(list))
}

func (s *Server) apiEvidenceExpiring(c *fiber.Ctx) error {
	list, err := s.assessments.Expiring(c.UserContext(), viewer(c).Domain)
	if err != nil {
		return err
	}
	return c.JSON(s.apiEvidence(list))
}

// apiEvidenceFile sends an evidence file, read to its end and checked
// against its recorded SHA-256 before the first byte goes out; the
// service audits the read. Evidence attached to an answer needs view on
// that assessment, evidence on a vendor's record view on all assessments.
func (s *Server) apiEvidenceFile(c *fiber.Ctx) error {
	ctx, v := c.UserContext(), viewer(c)
	e, err := s.assessments.Evidence(ctx, v.Domain, c.Params("id"))
	if err != nil {
		return err
	}
	object := authz.Every(authz.ClassAssessment)
	if e.AssessmentID != "" {
		object = authz.Object(authz.ClassAssessment, e.AssessmentID)
	}
	if err := s.authz.Check(v.User.ID, v.Domain, object, authz.View); err != nil {
		return err
	}
	e, rd, err := s.assessments.OpenEvidence(ctx, v.Domain, e.ID)
	if err != nil {
		return err
	}
	defer rd.Close()
	return sendVerified(c, rd, func() {
		c.Set(fiber.HeaderContentType, e.File.ContentType)
		attachment(c, e.File.Name)
	})
}

// Rendering.

func (s *Server) apiSummary(a assessment.Assessment) APIAssessmentSummary {
	out := APIAssessmentSummary{
		ID:     a.ID,
		Vendor: APIRef{ID: a.VendorID, Name: a.VendorName},
		Template: APITemplateRef{ID: a.TemplateID, Version: strings.TrimPrefix(a.Template, a.TemplateID+"@"),
			Key: a.Template, Title: a.TemplateTitle},
		State: a.State, Score: a.Score, Flags: a.Flags, Due: apiDay(a.Due),
		Link:      APILink{Expires: a.Link.Expires, Active: a.Link.Active(s.now()) && a.State != assessment.Cancelled, Revoked: a.Link.Revoked},
		CreatedBy: APIRef{ID: a.CreatedBy, Name: a.CreatedByName}, CreatedAt: a.CreatedAt, UpdatedAt: a.UpdatedAt,
		Decision: apiDecision(a.Decision), Version: a.Version,
	}
	if !a.SubmittedAt.IsZero() {
		out.SubmittedAt = &a.SubmittedAt
	}
	return out
}

func apiDecision(d *assessment.Decision) *APIDecision {
	if d == nil {
		return nil
	}
	out := &APIDecision{Outcome: d.Outcome, Residual: d.Residual, Reason: d.Reason, By: d.By, ByName: d.ByName, At: d.At}
	if sig := d.Signature; sig != nil {
		out.Signature = &APISignature{SignerID: sig.SignerID, SignerName: sig.SignerName, At: sig.At, Meaning: sig.Meaning, SHA256: sig.SHA256}
	}
	return out
}

// apiAssessment renders an assessment with its answers in full.
func (s *Server) apiAssessment(ctx context.Context, a assessment.Assessment) (APIAssessment, error) {
	card, err := s.assessments.Scorecard(ctx, a)
	if err != nil {
		return APIAssessment{}, err
	}
	findings, err := s.assessments.Findings(ctx, a.Domain, a.ID)
	if err != nil {
		return APIAssessment{}, err
	}
	out := APIAssessment{APIAssessmentSummary: s.apiSummary(a), Contact: a.Contact, PrefilledFrom: a.PrefilledFrom,
		Note: a.Returned, CancelReason: a.CancelReason, Proposed: apiDecision(a.Proposed), Findings: make([]APIFinding, 0, len(findings))}
	if d := out.Decision; d != nil && d.Signature != nil {
		ok, err := s.assessments.VerifySignature(ctx, a)
		if err != nil {
			return APIAssessment{}, err
		}
		d.Signature.Verified = &ok
	}
	r := card.Result
	out.Scorecard = APIScorecard{Score: r.Score, Answered: r.Answered, Total: r.Total, Flagged: card.Count,
		Flags: make([]APIFlag, 0, len(r.Flags)), Coverage: make([]APICoverage, 0, len(r.Coverage))}
	for _, f := range r.Flags {
		fl := APIFlag{Severity: string(f.Severity), Reason: f.Reason}
		if f.Question != nil {
			fl.Question, fl.Text = f.Question.ID, f.Question.Text
		}
		out.Scorecard.Flags = append(out.Scorecard.Flags, fl)
	}
	for _, cv := range r.Coverage {
		out.Scorecard.Coverage = append(out.Scorecard.Coverage, APICoverage{Control: cv.Control, Name: cv.Name,
			Questions: cv.Questions, Good: cv.Good, Flagged: cv.Flagged})
	}
	for _, f := range findings {
		out.Findings = append(out.Findings, s.apiFinding(f))
	}
	return out, nil
}

func (s *Server) renderAssessment(c *fiber.Ctx, a assessment.Assessment) error {
	out, err := s.apiAssessment(c.UserContext(), a)
	if err != nil {
		return err
	}
	return c.JSON(out)
}

// Helpers.

// apiDate reads a day as YYYY-MM-DD; empty is the zero time.
func apiDate(field, raw string) (time.Time, error) {
	raw = strings.TrimSpace(raw)
	if raw == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.DateOnly, raw)
	if err != nil {
		return time.Time{}, errs.Field(field, "Give the date as YYYY-MM-DD, such as 2026-03-31; %q is not one.", raw)
	}
	return t, nil
}

// apiDay writes a day as YYYY-MM-DD; the zero time as "".
func apiDay(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.DateOnly)
}

// needVersion refuses a change that does not say which version of the
// record it was made to: without it, it could only fail as a conflict.
func needVersion(v int64) error {
	if v <= 0 {
		return errs.Field("version", "Send the version of the record you read (its \"version\").")
	}
	return nil
}

// withFieldProblem puts the API's own problem with one field (a date it
// could not read) in place of the service's message for that field,
// keeping the service's other problems. Errors other than invalid input
// (an unknown vendor) win.
func withFieldProblem(err, problem error) error {
	if problem == nil || !errs.Is(err, errs.Invalid) {
		return err
	}
	fields := errs.ByField(err)
	fields[errs.FieldOf(problem)] = errs.Message(problem)
	return errs.Fields(fields)
}

// renameField names a service's problem after the API's body field.
func renameField(err error, from, to string) error {
	var e *errs.Error
	if errors.As(err, &e) && e.Field == from {
		return &errs.Error{Code: e.Code, Field: to, Message: e.Message}
	}
	return err
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
