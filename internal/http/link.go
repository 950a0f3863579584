package http

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"dossier/internal/assessment"
	"dossier/internal/errs"
	"dossier/internal/questionnaire"
	"dossier/internal/text"
	"dossier/internal/upload"
)

// Rate limits of the vendors' links: a person answering makes a few
// requests a minute (autosave is debounced); a script guessing or
// hammering one link, or many links from one address, is slowed down.
const (
	linkTokenLimit   = 240 // requests per link per window
	linkAddressLimit = 600 // requests per client address per window
	linkWindow       = time.Minute
	// autosaveMaxBody bounds an autosave request: one answer, a long text
	// of at most 50,000 characters and its comment.
	autosaveMaxBody = 256 << 10
)

// linkRoutes serves the questionnaire a vendor's contact fills through the
// link they were mailed, without an account. The token is the whole
// credential: every handler opens it again, and an unknown, expired,
// revoked or cancelled one gets the same 404 page.
func (s *Server) linkRoutes(app *fiber.App) {
	// The middleware goes on each route, not on the group: fiber's Use
	// matches a bare prefix, and "/q" would catch /questionnaires too.
	h := func(handler fiber.Handler) []fiber.Handler {
		return []fiber.Handler{s.linkLimit, s.linkErrors, handler}
	}
	g := app.Group("/q")
	g.Get("/:token", h(s.linkPage)...)
	g.Post("/:token/answers", h(s.linkSaveSection)...)
	g.Post("/:token/autosave", h(s.linkAutosave)...)
	g.Post("/:token/confirm", h(s.linkConfirm)...)
	g.Post("/:token/evidence", h(s.linkUpload)...)
	g.Post("/:token/evidence/:id/remove", h(s.linkRemoveFile)...)
	g.Get("/:token/submit", h(s.linkReview)...)
	g.Post("/:token/submit", h(s.linkSubmit)...)
	g.Post("/:token/findings/:id", h(s.linkRespond)...)
}

// linkLimit counts every request against its link (by the token's hash:
// the token itself is never stored) and against the client's address.
func (s *Server) linkLimit(c *fiber.Ctx) error {
	if s.limits == nil {
		return c.Next()
	}
	ctx := c.UserContext()
	sum := sha256.Sum256([]byte(c.Params("token")))
	var wait time.Duration
	for _, l := range []struct {
		key   string
		limit int
	}{{"linkip:" + c.IP(), linkAddressLimit}, {"link:" + hex.EncodeToString(sum[:]), linkTokenLimit}} {
		ok, retry, err := s.limits.Allow(ctx, l.key, l.limit, linkWindow)
		if err != nil {
			return err
		}
		if !ok {
			// Refused by its address: counting its link too would let
			// made-up tokens fill the limits collection.
			wait = max(retry, time.Second)
			break
		}
	}
	if wait == 0 {
		return c.Next()
	}
	secs := int((wait + time.Second - 1) / time.Second)
	c.Set(fiber.HeaderRetryAfter, strconv.Itoa(secs))
	return errs.E(errs.TooMany, "Too many requests from this link or address. Wait %d seconds and try again; nothing you saved is lost.", secs)
}

// linkErrors shows a vendor's failed requests on the external layout (no
// navigation, no sign-in link), the same for every bad link. Internal and
// unavailable errors, and clients that do not take HTML, go on to the one
// error handler, which logs them.
func (s *Server) linkErrors(c *fiber.Ctx) error {
	err := c.Next()
	if err == nil || !acceptsHTML(c) {
		return err
	}
	var fe *fiber.Error
	if errors.As(err, &fe) {
		err = s.fromFiber(fe)
	}
	code := errs.Code(err)
	if code == errs.Internal || code == errs.Unavailable {
		return err
	}
	st := status(code)
	heading := headingFor(st)
	if code == errs.Conflict {
		// Saves retry concurrent changes themselves: what reaches the vendor
		// is a questionnaire already submitted, or a finding closed.
		heading = "This can no longer be changed"
	}
	c.Status(st)
	return s.render(c, "error", ErrorView{Page: s.linkPageFor(c, heading), Heading: heading, Message: errs.Message(err)})
}

// linkPageFor is the layout's part of a vendor's page.
func (s *Server) linkPageFor(c *fiber.Ctx, title string) Page {
	p := s.page(c, title)
	p.External, p.Nav = true, nil
	return p
}

// LinkView is the questionnaire as the vendor's contact sees it: one
// section to answer at a time while open, every answer read-only once
// submitted.
type LinkView struct {
	Page
	Base          string // /q/<token>
	Vendor        string
	Questionnaire string
	Description   string
	Due           time.Time
	Overdue       bool
	Expires       time.Time
	Open          bool   // answers may still change
	State         string // in words, once submitted
	SubmittedAt   time.Time
	Returned      string // the reviewer's note when answers came back
	Outcome       string // the decision's outcome, once decided
	Answered      int
	Total         int
	Sections      []LinkSection // the navigation; read-only: every section with its answers
	Current       *LinkSection  // the section shown, while open
	Next          *LinkSection  // the section after it
	Unconfirmed   []string      // prefilled answers of the current section not yet confirmed
	Prefilled     bool          // some answers copied from the last questionnaire wait for confirmation
	Problems      []LinkProblem // answers or files that were not saved
	Findings      []LinkFinding
	Kinds         []Option
	UploadLimit   string
	Accept        string      // the file input's accept list
	Review        *LinkReview // set on the review page
}

// LinkSection is one section: in the navigation with its counts, and
// with its questions when shown.
type LinkSection struct {
	ID, Title, Help, Href string
	Number                int
	Answered, Total       int
	Complete, Current     bool
	Questions             []LinkQuestion
}

// LinkQuestion is one question with its answer as shown.
type LinkQuestion struct {
	ID, Number, Text, Help string
	Kind                   string // the questionnaire.Type
	Required, Hidden       bool
	Prefilled              bool // copied from the last questionnaire, not yet confirmed
	Evidence               bool // an answer other than no/n.a. needs a file
	TakesFiles             bool // the upload control is shown
	NeedsFile              bool // the answer needs a file and has none
	Choices                []LinkChoice
	Value                  string // text, long text, number, date
	Comment                string
	Was                    string // fingerprint of the answer as rendered
	Error                  string
	FileError              string
	Files                  []LinkFile
	MaxLength              int
	Min, Max               string
	Display                []string // the answer in words, read-only
	Described              string   // aria-describedby of the answer's inputs
	Upload                 *LinkUpload
}

// LinkUpload is what the upload controls say about accepted files.
type LinkUpload struct {
	Limit  string // 25 MiB
	Types  string // PDF, PNG, JPEG, DOCX or XLSX
	Accept string // the file input's accept list
	Kinds  []Option
}

// LinkChoice is one radio button or checkbox.
type LinkChoice struct {
	ID, Value, Label string
	Checked          bool
}

// LinkFile is a file attached to a question.
type LinkFile struct {
	ID, Name, Size, Kind string
	Expires              *time.Time
}

// LinkProblem is one thing not saved, linked to its question.
type LinkProblem struct {
	Href, Label, Message string
}

// LinkFinding is a finding the hospital raised, with its conversation.
type LinkFinding struct {
	assessment.Finding
	Question  string // the question's text, when about one
	Open      bool   // the vendor may respond
	Overdue   bool
	Messages  []LinkMessage
	Error     string
	Draft     string
	StateText string
}

// LinkMessage is one message on a finding.
type LinkMessage struct {
	Vendor bool
	From   string
	Text   string
	At     time.Time
}

// LinkReview is the page before submitting: what still stops it, or a
// summary of what will be sent.
type LinkReview struct {
	Missing int
	Groups  []LinkMissingGroup // what is missing, by section
	Files   int
	Failed  bool // a submission was refused
}

// LinkMissingGroup is what a section still misses.
type LinkMissingGroup struct {
	Title, Href string
	Items       []LinkProblem
}

// linkOpened is a link's assessment with its questionnaire.
type linkOpened struct {
	token string
	a     assessment.Assessment
	t     *questionnaire.Template
}

func (s *Server) openLink(c *fiber.Ctx) (linkOpened, error) {
	ctx := c.UserContext()
	token := c.Params("token")
	a, err := s.assessments.OpenLink(ctx, token)
	if err != nil {
		return linkOpened{}, err
	}
	t, err := s.assessments.Template(ctx, a.Template)
	if err != nil {
		return linkOpened{}, err
	}
	return linkOpened{token: token, a: a, t: t}, nil
}

func (o linkOpened) base() string { return "/q/" + o.token }

// sectionOf returns the section holding question id.
func sectionOf(t *questionnaire.Template, id string) *questionnaire.Section {
	for i := range t.Sections {
		for _, q := range t.Sections[i].Questions {
			if q.ID == id {
				return &t.Sections[i]
			}
		}
	}
	return nil
}

func sectionByID(t *questionnaire.Template, id string) *questionnaire.Section {
	for i := range t.Sections {
		if t.Sections[i].ID == id {
			return &t.Sections[i]
		}
	}
	return nil
}

// sectionHref links to a section, and to a question in it when q is set.
func (o linkOpened) sectionHref(section, q string) string {
	h := o.base() + "?section=" + url.QueryEscape(section)
	if q != "" {
		h += "#q-" + q
	}
	return h
}

// questionHref links to a question on its section's page.
func (o linkOpened) questionHref(q string) string {
	if sec := sectionOf(o.t, q); sec != nil {
		return o.sectionHref(sec.ID, q)
	}
	return o.base()
}

// SectionCount is a section's progress, in the autosave answer.
type SectionCount struct {
	Answered int  `json:"answered"`
	Total    int  `json:"total"`
	Complete bool `json:"complete"`
}

// sectionCounts counts, per section, the questions shown and those
// answered. A section is complete when every required question shown is
// answered and no copied answer waits for confirmation; missing evidence
// is named at the question and before submitting.
func sectionCounts(t *questionnaire.Template, a assessment.Assessment) map[string]SectionCount {
	vals := a.Values()
	visible := map[string]bool{}
	for _, q := range t.Visible(vals) {
		visible[q.ID] = true
	}
	out := map[string]SectionCount{}
	for _, sec := range t.Sections {
		n := SectionCount{Complete: true}
		for _, q := range sec.Questions {
			if !visible[q.ID] {
				continue
			}
			n.Total++
			answered := len(vals[q.ID]) > 0
			if answered {
				n.Answered++
			}
			if q.Required && !answered || answered && a.Answers[q.ID].Prefilled {
				n.Complete = false
			}
		}
		out[sec.ID] = n
	}
	return out
}

// typed is what the vendor sent for one question, shown again when it
// could not be saved.
type typed struct {
	values  []string
	comment string
	was     string
}

// linkView builds the questionnaire page. section picks the section shown
// ("" for the first with something missing); kept holds answers to show
// as typed instead of as stored; problems are shown beside their question
// (by question id) and in a summary.
func (s *Server) linkView(c *fiber.Ctx, o linkOpened, section string, kept map[string]typed, problems map[string]string, fileProblems map[string]string) (LinkView, error) {
	ctx := c.UserContext()
	a, t := o.a, o.t
	card, err := s.assessments.Scorecard(ctx, a)
	if err != nil {
		return LinkView{}, err
	}
	findings, err := s.assessments.VendorFindings(ctx, a)
	if err != nil {
		return LinkView{}, err
	}
	now := s.now()
	view := LinkView{
		Page: s.linkPageFor(c, a.TemplateTitle), Base: o.base(), Vendor: a.VendorName, Questionnaire: a.TemplateTitle,
		Description: t.Description, Due: a.Due, Expires: a.Link.Expires, Open: a.State.Open(), SubmittedAt: a.SubmittedAt,
	}
	up := s.uploadControls()
	view.Overdue = view.Open && now.After(a.Due.Add(24*time.Hour))
	if view.Open {
		view.Returned = a.Returned
	} else {
		view.State = "Submitted"
		switch a.State {
		case assessment.UnderReview, assessment.AwaitingApproval:
			view.State = "Under review"
		case assessment.Decided:
			view.State = "Reviewed"
			if a.Decision != nil {
				view.Outcome = assessment.OutcomeLabel(a.Decision.Outcome)
			}
		}
	}
	vals := a.Values()
	view.Answered, view.Total = t.Progress(vals)
	for _, ans := range a.Answers {
		view.Prefilled = view.Prefilled || ans.Prefilled && len(ans.Values) > 0
	}
	counts := sectionCounts(t, a)
	if view.Open && sectionByID(t, section) == nil {
		section = t.Sections[0].ID
		if missing, err := s.assessments.Check(ctx, a); err != nil {
			return LinkView{}, err
		} else if len(missing) > 0 {
			if sec := sectionOf(t, missing[0].Question); sec != nil {
				section = sec.ID
			}
		}
	}
	for i, sec := range t.Sections {
		n := counts[sec.ID]
		ls := LinkSection{ID: sec.ID, Title: sec.Title, Help: sec.Help, Href: o.sectionHref(sec.ID, ""), Number: i + 1,
			Answered: n.Answered, Total: n.Total, Complete: n.Complete, Current: view.Open && sec.ID == section}
		if ls.Current || !view.Open {
			for j := range sec.Questions {
				q := &sec.Questions[j]
				lq := linkQuestion(q, fmt.Sprintf("%d.%d", i+1, j+1), a, vals, card.Evidence[q.ID])
				if k, ok := kept[q.ID]; ok {
					lq.setValues(q, k.values)
					lq.Comment, lq.Was = k.comment, k.was
				}
				lq.Error, lq.FileError, lq.Upload = problems[q.ID], fileProblems[q.ID], up
				lq.describe()
				if lq.Prefilled && ls.Current {
					view.Unconfirmed = append(view.Unconfirmed, q.ID)
				}
				if !view.Open && lq.Hidden {
					continue
				}
				ls.Questions = append(ls.Questions, lq)
			}
		}
		view.Sections = append(view.Sections, ls)
	}
	for i := range view.Sections {
		if view.Sections[i].Current {
			view.Current = &view.Sections[i]
			if i+1 < len(view.Sections) {
				view.Next = &view.Sections[i+1]
			}
		}
	}
	for _, q := range t.Questions() {
		msg := problems[q.ID]
		if msg == "" {
			msg = fileProblems[q.ID]
		}
		if msg != "" {
			view.Problems = append(view.Problems, LinkProblem{Href: "#q-" + q.ID, Label: text.Shorten(q.Text, 90), Message: msg})
		}
	}
	for _, f := range findings {
		lf := LinkFinding{Finding: f, Open: f.State != assessment.FindingClosed, Overdue: f.Overdue(now)}
		lf.StateText = map[string]string{assessment.FindingOpen: "Waiting for your response", assessment.FindingResponded: "Response sent",
			assessment.FindingClosed: "Closed"}[f.State]
		if q, ok := t.Question(f.Question); ok {
			lf.Question = q.Text
		}
		for _, r := range f.Responses {
			m := LinkMessage{Vendor: r.Vendor, Text: r.Text, At: r.At, From: s.cfg.Hospital + " security team"}
			if r.Vendor {
				m.From = "You (" + r.By + ")"
			}
			lf.Messages = append(lf.Messages, m)
		}
		view.Findings = append(view.Findings, lf)
	}
	return view, nil
}

// linkQuestion is a question with its stored answer.
func linkQuestion(q *questionnaire.Question, number string, a assessment.Assessment, vals questionnaire.Answers, files []assessment.Evidence) LinkQuestion {
	ans := a.Answers[q.ID]
	lq := LinkQuestion{ID: q.ID, Number: number, Text: q.Text, Help: q.Help, Kind: string(q.Type), Required: q.Required,
		Hidden: !q.Shown(vals), Prefilled: ans.Prefilled && len(ans.Values) > 0, Evidence: q.Evidence,
		TakesFiles: q.Type == questionnaire.File || q.Evidence, Comment: ans.Comment, Was: assessment.Fingerprint(ans)}
	if q.Type == questionnaire.Text || q.Type == questionnaire.LongText {
		lq.MaxLength = q.MaxLen()
	}
	if q.Min != nil {
		lq.Min = strconv.FormatFloat(*q.Min, 'f', -1, 64)
	}
	if q.Max != nil {
		lq.Max = strconv.FormatFloat(*q.Max, 'f', -1, 64)
	}
	lq.setValues(q, ans.Values)
	for _, e := range files {
		lq.Files = append(lq.Files, LinkFile{ID: e.ID, Name: e.File.Name, Size: upload.FormatSize(e.File.Size), Kind: assessment.KindLabel(e.Kind), Expires: e.Expires})
	}
	lq.NeedsFile = questionnaire.NeedsEvidence(q, ans.Values) && len(files) == 0
	lq.Display = answerLabels(q, ans.Values, files)
	return lq
}

// setValues shows values in the question's inputs.
func (lq *LinkQuestion) setValues(q *questionnaire.Question, values []string) {
	has := map[string]bool{}
	for _, v := range values {
		has[v] = true
	}
	lq.Choices, lq.Value = nil, ""
	switch q.Type {
	case questionnaire.YesNo:
		opts := []string{questionnaire.Yes, questionnaire.No}
		if q.NA {
			opts = append(opts, questionnaire.NA)
		}
		for _, v := range opts {
			label := map[string]string{questionnaire.Yes: "Yes", questionnaire.No: "No", questionnaire.NA: "Not applicable"}[v]
			for _, ch := range q.Choices {
				if ch.Value == v && ch.Label != "" {
					label = ch.Label
				}
			}
			lq.Choices = append(lq.Choices, LinkChoice{ID: "a-" + q.ID + "-" + v, Value: v, Label: label, Checked: has[v]})
		}
	case questionnaire.Single, questionnaire.Multi:
		for i, ch := range q.Choices {
			lq.Choices = append(lq.Choices, LinkChoice{ID: fmt.Sprintf("a-%s-%d", q.ID, i), Value: ch.Value, Label: ch.Label, Checked: has[ch.Value]})
		}
	case questionnaire.File:
	default:
		if len(values) > 0 {
			lq.Value = values[0]
		}
	}
}

// describe sets what the answer's inputs are described by: the help, the
// error, the save status.
func (lq *LinkQuestion) describe() {
	ids := []string{}
	if lq.Help != "" {
		ids = append(ids, "h-"+lq.ID)
	}
	if lq.Error != "" {
		ids = append(ids, "e-"+lq.ID)
	}
	ids = append(ids, "s-"+lq.ID)
	lq.Described = strings.Join(ids, " ")
}

// uploadControls describes the files a question's upload control takes.
func (s *Server) uploadControls() *LinkUpload {
	u := &LinkUpload{Limit: upload.FormatSize(s.uploadLimit())}
	var accept, names []string
	for _, k := range assessment.EvidenceTypes() {
		accept = append(accept, k.Ext(), k.ContentType())
		names = append(names, k.String())
	}
	u.Accept = strings.Join(accept, ",")
	u.Types = strings.Join(names[:len(names)-1], ", ") + " or " + names[len(names)-1]
	for _, k := range assessment.EvidenceKinds() {
		u.Kinds = append(u.Kinds, Option{Value: k[0], Label: k[1]})
	}
	return u
}

func (s *Server) uploadLimit() int64 {
	if s.cfg.UploadLimit > 0 {
		return s.cfg.UploadLimit
	}
	return s.cfg.BodyLimit
}

func (s *Server) linkPage(c *fiber.Ctx) error {
	o, err := s.openLink(c)
	if err != nil {
		return err
	}
	view, err := s.linkView(c, o, c.Query("section"), nil, nil, nil)
	if err != nil {
		return err
	}
	return s.render(c, "link", view)
}

// linkSaveSection saves a section's form, sent without JavaScript. Each
// answer carries the fingerprint of the answer the page showed: one the
// vendor did not touch is left as stored, so answers saved meanwhile in
// another tab are kept.
func (s *Server) linkSaveSection(c *fiber.Ctx) error {
	o, err := s.openLink(c)
	if err != nil {
		return err
	}
	sec := sectionByID(o.t, c.FormValue("section"))
	if sec == nil {
		return errs.Field("section", "This form belongs to no section of the questionnaire; reload the page.")
	}
	in := map[string]assessment.AnswerInput{}
	sent := map[string]typed{}
	args := c.Request().PostArgs()
	for _, q := range sec.Questions {
		if !args.Has("was." + q.ID) {
			continue
		}
		values := formValues(c, "a."+q.ID)
		if q.Type == questionnaire.File {
			// Files come and go through their own forms; nil keeps
			// whatever is attached when the save lands (another tab may
			// have added one since this page was shown).
			values = nil
		}
		in[q.ID] = assessment.AnswerInput{Values: values, Comment: c.FormValue("c." + q.ID), Was: c.FormValue("was." + q.ID)}
		sent[q.ID] = typed{values: values, comment: c.FormValue("c." + q.ID), was: c.FormValue("was." + q.ID)}
	}
	_, err = s.assessments.SaveAnswers(c.UserContext(), o.token, in)
	var fe errs.FieldErrors
	if !errors.As(err, &fe) {
		if err != nil {
			return err
		}
		return s.redirect(c, o.sectionHref(sec.ID, ""), "Section saved.")
	}
	if o.a, err = s.assessments.OpenLink(c.UserContext(), o.token); err != nil {
		return err
	}
	kept := map[string]typed{}
	for q := range fe.ByField() {
		kept[q] = sent[q]
	}
	view, err := s.linkView(c, o, sec.ID, kept, fe.ByField(), nil)
	if err != nil {
		return err
	}
	c.Status(fiber.StatusUnprocessableEntity)
	return s.render(c, "link", view)
}

// AutosaveRequest is one answer saved as the vendor types.
type AutosaveRequest struct {
	Question string `json:"question"`
	// Values and Comment left out keep what is stored.
	Values  *[]string `json:"values"`
	Comment *string   `json:"comment"`
}

// AutosaveResponse is where the vendor stands after an autosave.
type AutosaveResponse struct {
	Answered int                     `json:"answered"`
	Total    int                     `json:"total"`
	Visible  []string                `json:"visible"`
	Sections map[string]SectionCount `json:"sections"`
	SavedAt  time.Time               `json:"saved_at"`
	// Fingerprint is the saved answer's, for the section form's "was"
	// field: saving the section later leaves this answer alone unless it
	// is changed again.
	Fingerprint string `json:"fingerprint"`
	NeedsFile   bool   `json:"needs_file"`
}

// linkAutosave saves one answer from the page's script. It always answers
// JSON.
func (s *Server) linkAutosave(c *fiber.Ctx) error {
	o, err := s.openLink(c)
	if err != nil {
		return err
	}
	body := c.Body()
	if len(body) > autosaveMaxBody {
		return errs.E(errs.TooLarge, "The answer is too long to save.")
	}
	var req AutosaveRequest
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil || dec.More() {
		return errs.E(errs.Malformed, "The answer could not be read: send JSON like {\"question\": \"id\", \"values\": [\"yes\"], \"comment\": \"\"}.")
	}
	old := o.a.Answers[req.Question]
	in := assessment.AnswerInput{Values: old.Values, Comment: old.Comment}
	if req.Values != nil {
		in.Values = *req.Values
	}
	if req.Comment != nil {
		in.Comment = *req.Comment
	}
	if q, ok := o.t.Question(req.Question); ok && q.Type == questionnaire.File {
		in.Values = nil // files are attached and removed by their own requests; nil keeps them
	}
	ctx := c.UserContext()
	saved, err := s.assessments.SaveAnswer(ctx, o.token, req.Question, in)
	if err != nil {
		return err
	}
	a := saved.Assessment
	vals := a.Values()
	out := AutosaveResponse{Visible: []string{}, Sections: sectionCounts(o.t, a), SavedAt: a.Answers[req.Question].SavedAt,
		Fingerprint: assessment.Fingerprint(a.Answers[req.Question])}
	out.Answered, out.Total = o.t.Progress(vals)
	for _, q := range o.t.Visible(vals) {
		out.Visible = append(out.Visible, q.ID)
	}
	if q, ok := o.t.Question(req.Question); ok && questionnaire.NeedsEvidence(q, vals[q.ID]) {
		card, err := s.assessments.Scorecard(ctx, a)
		if err != nil {
			return err
		}
		out.NeedsFile = len(card.Evidence[q.ID]) == 0
	}
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.JSON(out)
}

// linkConfirm confirms the prefilled answers of a section as still true.
func (s *Server) linkConfirm(c *fiber.Ctx) error {
	o, err := s.openLink(c)
	if err != nil {
		return err
	}
	if _, err := s.assessments.Confirm(c.UserContext(), o.token, formValues(c, "q")); err != nil {
		return err
	}
	to := o.base()
	if sec := sectionByID(o.t, c.FormValue("section")); sec != nil {
		to = o.sectionHref(sec.ID, "")
	}
	return s.redirect(c, to, "Answers confirmed.")
}

// linkUpload attaches a file to a question. The body streams to a
// temporary file, removed whatever happens.
func (s *Server) linkUpload(c *fiber.Ctx) error {
	o, err := s.openLink(c)
	if err != nil {
		return err
	}
	form, err := s.readUpload(c, "file", s.uploadLimit())
	// The form's action names the question too: a body refused before its
	// fields are read (too large) still knows where to show why.
	question := c.Query("question")
	if form != nil {
		defer form.Remove()
		if q := form.Value("question"); q != "" {
			question = q
		}
	}
	if err == nil && len(form.Files) == 0 {
		err = errs.Field("file", "Choose a file to upload.")
	}
	var in assessment.EvidenceInput
	if err == nil {
		in, err = evidenceInput(func(k string, _ ...string) string { return form.Value(k) })
	}
	var e assessment.Evidence
	if err == nil {
		e, err = s.assessments.UploadEvidence(c.UserContext(), o.token, question, in, form.Files[0])
	}
	if err != nil {
		return s.linkFileRefused(c, o, question, err)
	}
	return s.redirect(c, o.questionHref(question), fmt.Sprintf("%s attached.", e.File.Name))
}

// linkFileRefused shows the question's section again with why a file was
// not taken beside its upload control.
func (s *Server) linkFileRefused(c *fiber.Ctx, o linkOpened, question string, err error) error {
	code := errs.Code(err)
	sec := sectionOf(o.t, question)
	if code != errs.Invalid && code != errs.TooLarge || sec == nil || !o.a.State.Open() {
		return err
	}
	msgs := map[string]string{question: errs.Message(err)}
	if many := errs.ByField(err); len(many) > 1 {
		var parts []string
		for _, m := range many {
			parts = append(parts, m)
		}
		msgs[question] = strings.Join(parts, " ")
	}
	view, verr := s.linkView(c, o, sec.ID, nil, nil, msgs)
	if verr != nil {
		return verr
	}
	c.Status(status(code))
	return s.render(c, "link", view)
}

// linkRemoveFile takes a file off a question before submission.
func (s *Server) linkRemoveFile(c *fiber.Ctx) error {
	o, err := s.openLink(c)
	if err != nil {
		return err
	}
	ctx := c.UserContext()
	e, err := s.assessments.Evidence(ctx, o.a.Domain, c.Params("id"))
	if err != nil || e.AssessmentID != o.a.ID || e.Removed {
		return errs.E(errs.NotFound, "No such file: it may have been removed already.")
	}
	if err := s.assessments.RemoveEvidence(ctx, o.token, e.ID); err != nil {
		return err
	}
	return s.redirect(c, o.questionHref(e.Question), fmt.Sprintf("%s removed.", e.File.Name))
}

// linkReviewView lists what stops a submission, or sums up what will be
// submitted. missing is nil to ask the service.
func (s *Server) linkReviewView(c *fiber.Ctx, o linkOpened, missing []assessment.Missing) (LinkView, error) {
	ctx := c.UserContext()
	view := LinkView{Page: s.linkPageFor(c, "Review and submit"), Base: o.base(), Vendor: o.a.VendorName,
		Questionnaire: o.a.TemplateTitle, Due: o.a.Due, Expires: o.a.Link.Expires, Open: true, Review: &LinkReview{}}
	if missing == nil {
		var err error
		if missing, err = s.assessments.Check(ctx, o.a); err != nil {
			return view, err
		}
	} else {
		view.Review.Failed = true
	}
	view.Review.Missing = len(missing)
	for _, m := range missing {
		sec := sectionOf(o.t, m.Question)
		if sec == nil {
			continue
		}
		if n := len(view.Review.Groups); n == 0 || view.Review.Groups[n-1].Title != sec.Title {
			view.Review.Groups = append(view.Review.Groups, LinkMissingGroup{Title: sec.Title, Href: o.sectionHref(sec.ID, "")})
		}
		g := &view.Review.Groups[len(view.Review.Groups)-1]
		g.Items = append(g.Items, LinkProblem{Href: o.questionHref(m.Question), Label: text.Shorten(m.Text, 90), Message: m.Reason})
	}
	view.Answered, view.Total = o.t.Progress(o.a.Values())
	card, err := s.assessments.Scorecard(ctx, o.a)
	if err != nil {
		return view, err
	}
	for _, files := range card.Evidence {
		view.Review.Files += len(files)
	}
	return view, nil
}

func (s *Server) linkReview(c *fiber.Ctx) error {
	o, err := s.openLink(c)
	if err != nil {
		return err
	}
	if !o.a.State.Open() {
		return c.Redirect(o.base(), fiber.StatusSeeOther)
	}
	view, err := s.linkReviewView(c, o, nil)
	if err != nil {
		return err
	}
	return s.render(c, "link", view)
}

func (s *Server) linkSubmit(c *fiber.Ctx) error {
	o, err := s.openLink(c)
	if err != nil {
		return err
	}
	_, err = s.assessments.Submit(c.UserContext(), o.token)
	var me *assessment.MissingError
	if errors.As(err, &me) {
		view, verr := s.linkReviewView(c, o, me.Items)
		if verr != nil {
			return verr
		}
		c.Status(fiber.StatusUnprocessableEntity)
		return s.render(c, "link", view)
	}
	if err != nil {
		return err
	}
	return s.redirect(c, o.base(), "") // the page says it was submitted
}

// linkRespond records the vendor's response to a finding.
func (s *Server) linkRespond(c *fiber.Ctx) error {
	o, err := s.openLink(c)
	if err != nil {
		return err
	}
	text := c.FormValue("response")
	f, err := s.assessments.RespondFinding(c.UserContext(), o.token, c.Params("id"), text)
	if err == nil {
		return s.redirect(c, o.base()+"#f-"+f.ID, "Response sent to "+s.cfg.Hospital+".")
	}
	if !errs.Is(err, errs.Invalid) {
		return err
	}
	view, verr := s.linkView(c, o, "", nil, nil, nil)
	if verr != nil {
		return verr
	}
	for i := range view.Findings {
		if view.Findings[i].ID == c.Params("id") {
			view.Findings[i].Error, view.Findings[i].Draft = errs.Message(err), text
		}
	}
	c.Status(status(errs.Code(err)))
	return s.render(c, "link", view)
}
