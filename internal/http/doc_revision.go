package http

import (
	"errors"
	"html/template"
	"strconv"
	"time"

	"github.com/gofiber/fiber/v2"

	"dossier/internal/audit"
	"dossier/internal/authz"
	"dossier/internal/document"
	"dossier/internal/errs"
	"dossier/internal/redline"
)

// RevisionView is one revision's page: its content, signatures, comments
// and the next steps the viewer may take.
type RevisionView struct {
	Page
	D          document.Document
	R          RevisionRow
	Whole      bool
	Content    template.HTML
	Comments   []document.Comment
	Signatures []SignatureRow
	Missing    []string
	Rule       string
	SignWhy    string // why the viewer may not sign now; "" when they may
	CanSign    bool
	CanEdit    bool
	CanSubmit  bool
	CanComment bool
	CanPublish bool
	CanRetire  bool
	CanDispose bool   // an approver may dispose of the file: retention has ended
	Reason     string // typed into a form sent back
	Comment    string
	KeptUntil  time.Time
	Today      string
	Errors     map[string]string
}

// SignatureRow is a signature and whether its record still holds.
type SignatureRow struct {
	document.Signature
	Meaning string
	Problem string // "" when Verify passes
}

func (s *Server) revisionPage(c *fiber.Ctx) error { return s.showRevision(c, nil) }

// showRevision renders the revision's page; problems, when set, are a
// form's (its fields', or "form" for the form as a whole), and what the
// person typed in the reason and comment boxes is kept.
func (s *Server) showRevision(c *fiber.Ctx, problems map[string]string) error {
	ctx, v := c.UserContext(), viewer(c)
	n, err := revisionNumber(c)
	if err != nil {
		return err
	}
	d, err := s.visibleDocument(c)
	if err != nil {
		return err
	}
	whole := s.documentSight(c, d.ID) == document.Whole
	today := document.Day(s.now())
	var r document.Revision
	found := false
	for _, x := range d.Visible(today, !whole) {
		if x.N == n {
			r, found = x, true
		}
	}
	if !found {
		return errs.E(errs.NotFound, "This document has no revision %d.", n)
	}
	_, names, err := s.userOptions(c)
	if err != nil {
		return err
	}
	row := revisionRow(d, r, today)
	view := RevisionView{Page: s.page(c, d.Number+" rev "+r.Label()), D: d, R: row, Whole: whole, Today: today.Format(time.DateOnly), Errors: problems}
	if problems != nil {
		view.Reason, view.Comment = c.FormValue("reason"), c.FormValue("comment")
	}
	if r.Format == document.Markdown && r.Disposed == nil {
		if view.Content, err = s.markdownOf(c, d.ID, r.N); err != nil {
			return err
		}
	}
	if !whole {
		return s.render(c, "document_revision", view)
	}
	for _, sg := range r.Signatures {
		sr := SignatureRow{Signature: sg, Meaning: signatureMeaning(sg.Meaning)}
		if err := document.Verify(d, r, sg); err != nil {
			sr.Problem = errs.Message(err)
		}
		view.Signatures = append(view.Signatures, sr)
	}
	all, err := s.documents.Comments(ctx, v.Domain, d.ID)
	if err != nil {
		return err
	}
	for _, cm := range all {
		if cm.Revision == r.N {
			view.Comments = append(view.Comments, cm)
		}
	}
	rule := r.Rule
	if r.Round == 0 {
		rule = d.Approval
	}
	view.Rule = s.ruleWords(rule, names)
	view.Missing = s.documents.Missing(d, r.N)
	live := d.Retired == nil
	view.CanEdit = live && row.StateToday == document.Draft && r.Author == v.User.ID && s.canDocument(c, d.ID, authz.Revise)
	view.CanSubmit = live && row.StateToday == document.Draft && s.canDocument(c, d.ID, authz.Revise)
	view.CanComment = live && (row.StateToday == document.Draft || row.StateToday == document.InReview) && s.canDocument(c, d.ID, authz.Review)
	view.CanPublish = live && row.StateToday == document.Approved && !r.Scheduled() && s.canDocument(c, d.ID, authz.Publish)
	view.CanRetire = live && (row.StateToday == document.Effective || r.Scheduled()) && s.canDocument(c, d.ID, authz.Retire)
	if r.Disposed == nil && (row.StateToday == document.Superseded || row.StateToday == document.Retired) {
		view.KeptUntil = r.File.RetainUntil
		view.CanDispose = !today.Before(document.Day(r.File.RetainUntil)) && s.canDocument(c, d.ID, authz.Approve)
	}
	if row.StateToday == document.InReview && s.canDocument(c, d.ID, authz.Approve) {
		if err := s.documents.CanSign(audit.WithActor(ctx, audit.Actor{ID: v.User.ID}), d, r.N); err != nil {
			view.SignWhy = errs.Message(err)
		} else {
			view.CanSign = true
		}
	}
	return s.render(c, "document_revision", view)
}

func signatureMeaning(m document.Meaning) string {
	switch m {
	case document.Approve:
		return "Approved"
	case document.Reject:
		return "Rejected"
	case document.ReviewedNoChange:
		return "Reviewed, no change"
	}
	return string(m)
}

// revisionStep runs a step on revision :n and goes back to its page; a
// problem the person can fix in the form is shown beside its field.
func (s *Server) revisionStep(c *fiber.Ctx, fallback, done string, step func(n int) error) error {
	n, err := revisionNumber(c)
	if err != nil {
		return err
	}
	err = step(n)
	if p := formFailed(c, err, fallback); p != nil {
		return s.showRevision(c, p)
	}
	if err != nil {
		return err
	}
	return s.redirect(c, revisionPath(c.Params("id"), n), done)
}

func (s *Server) revisionSubmit(c *fiber.Ctx) error {
	return s.revisionStep(c, "submit", "Sent for review and approval.", func(n int) error {
		version, err := formVersion(c)
		if err == nil {
			_, err = s.documents.Submit(c.UserContext(), viewer(c).Domain, c.Params("id"), version, n)
		}
		return err
	})
}

func (s *Server) revisionComment(c *fiber.Ctx) error {
	return s.revisionStep(c, "comment", "Comment added.", func(n int) error {
		_, err := s.documents.Comment(c.UserContext(), viewer(c).Domain, c.Params("id"), n, c.FormValue("comment"))
		return err
	})
}

func (s *Server) revisionSign(c *fiber.Ctx) error {
	meaning := document.Meaning(c.FormValue("meaning"))
	note := "Signed: approved."
	if meaning == document.Reject {
		note = "Signed: rejected. The revision is back in draft with your reason."
	}
	return s.revisionStep(c, "meaning", note, func(n int) error {
		round, _ := strconv.Atoi(c.FormValue("round"))
		_, _, err := s.documents.Sign(c.UserContext(), viewer(c).Domain, c.Params("id"), n, document.SignInput{Meaning: meaning,
			Reason: c.FormValue("reason"), SHA256: c.FormValue("sha256"), Round: round, Password: c.FormValue("password"), Code: c.FormValue("code")})
		return err
	})
}

func (s *Server) revisionPublish(c *fiber.Ctx) error {
	return s.revisionStep(c, "date", "Published.", func(n int) error {
		version, err := formVersion(c)
		if err != nil {
			return err
		}
		var date time.Time
		if raw := c.FormValue("date"); raw != "" {
			if date, err = time.Parse(time.DateOnly, raw); err != nil {
				return errs.Field("date", "Enter the effective date as YYYY-MM-DD.")
			}
		}
		_, err = s.documents.Publish(c.UserContext(), viewer(c).Domain, c.Params("id"), version, n, date)
		return err
	})
}

func (s *Server) revisionRetire(c *fiber.Ctx) error {
	return s.revisionStep(c, "retire_reason", "Revision retired.", func(n int) error {
		version, err := formVersion(c)
		if err == nil {
			_, err = s.documents.RetireRevision(c.UserContext(), viewer(c).Domain, c.Params("id"), version, n, c.FormValue("reason"))
		}
		if f := errs.FieldOf(err); f == "reason" {
			return errs.Field("retire_reason", "%s", errs.Message(err))
		}
		return err
	})
}

func (s *Server) revisionDispose(c *fiber.Ctx) error {
	return s.revisionStep(c, "dispose_reason", "The revision's file is disposed of; its record stays.", func(n int) error {
		version, err := formVersion(c)
		if err == nil {
			_, err = s.documents.Dispose(c.UserContext(), viewer(c).Domain, c.Params("id"), version, n, c.FormValue("reason"))
		}
		if f := errs.FieldOf(err); f == "reason" {
			return errs.Field("dispose_reason", "%s", errs.Message(err))
		}
		return err
	})
}

// RevisionFormView is the form of a new revision or of a draft's edit.
type RevisionFormView struct {
	Page
	D        document.Document
	N        int    // the draft edited; 0 for a new revision
	Label    string // the draft's label, or the latest revision's
	Major    bool
	Summary  string
	Markdown string
	Errors   map[string]string
}

func (s *Server) revisionNew(c *fiber.Ctx) error {
	d, err := s.documents.Get(c.UserContext(), viewer(c).Domain, c.Params("id"))
	if err != nil {
		return err
	}
	view := RevisionFormView{Page: s.page(c, "New revision of "+d.Number), D: d, Errors: map[string]string{}}
	if last, ok := d.Latest(); ok {
		view.Label = last.Label()
		if last.Format == document.Markdown && last.Disposed == nil {
			if view.Markdown, err = s.revisionText(c, d.ID, last.N); err != nil {
				return err
			}
		}
	}
	return s.render(c, "document_upload", view)
}

func (s *Server) revisionEditForm(c *fiber.Ctx) error {
	n, err := revisionNumber(c)
	if err != nil {
		return err
	}
	d, err := s.documents.Get(c.UserContext(), viewer(c).Domain, c.Params("id"))
	if err != nil {
		return err
	}
	r, ok := d.Revision(n)
	switch {
	case !ok:
		return errs.E(errs.NotFound, "This document has no revision %d.", n)
	case r.State != document.Draft:
		return errs.E(errs.Conflict, "Revision %s is no longer a draft, so it cannot change; start a new revision instead.", r.Label())
	case r.Author != viewer(c).User.ID:
		return errs.E(errs.Forbidden, "Only the author of draft %s (%s) can edit it.", r.Label(), r.AuthorName)
	}
	view := RevisionFormView{Page: s.page(c, "Edit draft "+r.Label()+" of "+d.Number), D: d, N: n, Label: r.Label(), Summary: r.ChangeSummary,
		Errors: map[string]string{}}
	if r.Format == document.Markdown {
		if view.Markdown, err = s.revisionText(c, d.ID, n); err != nil {
			return err
		}
	}
	return s.render(c, "document_upload", view)
}

func (s *Server) revisionCreate(c *fiber.Ctx) error { return s.revisionSave(c, 0) }

func (s *Server) revisionEdit(c *fiber.Ctx) error {
	n, err := revisionNumber(c)
	if err != nil {
		return err
	}
	return s.revisionSave(c, n)
}

// revisionSave stores a new revision (n 0) or a draft's new content from
// the upload form; a refused file or field is shown beside it, the form
// kept, nothing stored.
func (s *Server) revisionSave(c *fiber.Ctx, n int) error {
	ctx, domain, id := c.UserContext(), viewer(c).Domain, c.Params("id")
	f, err := s.readRevisionForm(c, n == 0)
	if err != nil {
		return s.revisionFormFailed(c, n, RevisionFormView{}, err)
	}
	defer f.form.Remove()
	kept := RevisionFormView{Major: f.in.Major, Summary: f.in.ChangeSummary, Markdown: f.in.Markdown}
	if n == 0 {
		var r document.Revision
		if _, r, err = s.documents.NewRevision(ctx, domain, id, f.version, f.in); err == nil {
			return s.redirect(c, revisionPath(id, r.N), "Draft "+r.Label()+" saved. Send it for review when it is ready.")
		}
	} else if _, err = s.documents.EditDraft(ctx, domain, id, f.version, n, f.in); err == nil {
		return s.redirect(c, revisionPath(id, n), "Draft saved.")
	}
	return s.revisionFormFailed(c, n, kept, err)
}

func (s *Server) revisionFormFailed(c *fiber.Ctx, n int, kept RevisionFormView, err error) error {
	if !errs.Is(err, errs.Invalid) && !errs.Is(err, errs.Conflict) && !errs.Is(err, errs.TooLarge) && !errs.Is(err, errs.Unsupported) {
		return err
	}
	d, gerr := s.documents.Get(c.UserContext(), viewer(c).Domain, c.Params("id"))
	if gerr != nil {
		return gerr
	}
	view := kept
	view.Page, view.D, view.N, view.Errors = s.page(c, "Revision of "+d.Number), d, n, map[string]string{}
	if r, ok := d.Revision(n); ok {
		view.Label = r.Label()
	} else if last, ok := d.Latest(); ok {
		view.Label = last.Label()
	}
	var all errs.FieldErrors
	switch {
	case errors.As(err, &all) || errs.FieldOf(err) != "":
		view.Errors = errs.ByField(err)
	default:
		view.Errors["form"] = errs.Message(err)
	}
	c.Status(status(errs.Code(err)))
	return s.render(c, "document_upload", view)
}

// DiffView compares two Markdown revisions word by word.
type DiffView struct {
	Page
	D        document.Document
	From, To document.Revision
	Options  []document.Revision
	HTML     template.HTML
	Stats    redline.Stats
}

func (s *Server) documentDiff(c *fiber.Ctx) error {
	d, err := s.documents.Get(c.UserContext(), viewer(c).Domain, c.Params("id"))
	if err != nil {
		return err
	}
	view := DiffView{Page: s.page(c, "Compare revisions of "+d.Number), D: d}
	for _, r := range d.Revisions {
		if r.Format == document.Markdown && r.Disposed == nil {
			view.Options = append(view.Options, r)
		}
	}
	pick := func(key string) (document.Revision, error) {
		n, err := strconv.Atoi(c.Query(key))
		r, ok := d.Revision(n)
		if err != nil || !ok || r.Format != document.Markdown || r.Disposed != nil {
			return r, badQuery(errs.Field(key, "Choose a Markdown revision of this document to compare."))
		}
		return r, nil
	}
	switch {
	case c.Query("from") != "" || c.Query("to") != "":
		if view.From, err = pick("from"); err != nil {
			return err
		}
		if view.To, err = pick("to"); err != nil {
			return err
		}
	case len(view.Options) < 2:
		return s.render(c, "document_diff", view)
	default:
		view.From, view.To = view.Options[len(view.Options)-2], view.Options[len(view.Options)-1]
	}
	old, err := s.revisionText(c, d.ID, view.From.N)
	if err != nil {
		return err
	}
	cur, err := s.revisionText(c, d.ID, view.To.N)
	if err != nil {
		return err
	}
	blocks := redline.Diff(old, cur)
	view.HTML, view.Stats = redline.HTML(blocks), blocks.Stats()
	return s.render(c, "document_diff", view)
}
