package http

import (
	"html/template"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"dossier/internal/audit"
	"dossier/internal/authz"
	"dossier/internal/document"
	"dossier/internal/errs"
	"dossier/internal/markdown"
)

// DocumentView is one document's page. A reader who may only view it
// sees the revision in effect (its text, or its controlled copy) and their
// acknowledgement; everyone else sees the whole record.
type DocumentView struct {
	Page
	D          document.Document
	Whole      bool
	Effective  *RevisionRow // in effect today
	Content    template.HTML
	Revisions  []RevisionRow // newest first
	OwnerName  string
	Approval   string // the rule in words
	Audiences  string
	NextReview time.Time
	Overdue    bool
	InAudience bool
	Ack        *document.Ack
	Rate       *document.AckRate
	NotAcked   []string // names
	Copies     []CopyRow
	History    []audit.Event
	CanManage  bool
	CanRevise  bool
	CanRetire  bool
	CanReview  bool // sign "reviewed, no change"
	CanAck     bool
	CanGrant   bool
	DiffFrom   int // the two newest Markdown revisions, for the compare link
	DiffTo     int
	Errors     map[string]string // a form of this page sent back: its fields' problems
}

// CopyRow is a controlled copy issued, with its holder's name.
type CopyRow struct {
	document.Copy
	To string
}

// RevisionRow is one revision with its state today in words.
type RevisionRow struct {
	document.Revision
	StateToday document.State
	StateLabel string
	Link       string
}

func revisionRow(d document.Document, r document.Revision, today time.Time) RevisionRow {
	st := r.State
	eff, ok := d.EffectiveOn(today)
	switch {
	case ok && r.N == eff.N:
		st = document.Effective
	case st == document.Effective:
		st = document.Superseded
	}
	label := strings.ReplaceAll(string(st), "_", " ")
	if r.Scheduled() && st == document.Approved {
		label = "approved, effective from " + r.EffectiveFrom.Format("2 Jan 2006")
	}
	return RevisionRow{Revision: r, StateToday: st, StateLabel: label, Link: revisionPath(d.ID, r.N)}
}

func (s *Server) documentPage(c *fiber.Ctx) error { return s.showDocument(c, nil) }

// formFailed is the problem of a form on a page when err is one the
// person can act on there, by field, with the page's status set: bad input
// and a wrong password beside their field (422); a change made meanwhile
// (409) or too many attempts (429) above the form, what they typed kept.
// It is nil for any other error, which gets the error page.
func formFailed(c *fiber.Ctx, err error, fallback string) map[string]string {
	switch {
	case errs.Is(err, errs.Unauthorized):
		c.Status(fiber.StatusUnprocessableEntity)
		return map[string]string{"password": errs.Message(err)}
	case errs.Is(err, errs.Invalid):
		c.Status(fiber.StatusUnprocessableEntity)
		if by := errs.ByField(err); len(by) > 0 {
			return by
		}
		return map[string]string{fallback: errs.Message(err)}
	case errs.Is(err, errs.Conflict), errs.Is(err, errs.TooMany):
		c.Status(status(errs.Code(err)))
		return map[string]string{"form": errs.Message(err)}
	}
	return nil
}

// showDocument renders the document's page; problems, when set, are a
// form's, shown beside its fields (422).
func (s *Server) showDocument(c *fiber.Ctx, problems map[string]string) error {
	ctx, v := c.UserContext(), viewer(c)
	d, err := s.visibleDocument(c)
	if err != nil {
		return err
	}
	today := document.Day(s.now())
	whole := s.documentSight(c, d.ID) == document.Whole
	view := DocumentView{Page: s.page(c, d.Number+" "+d.Title), D: d, Whole: whole, NextReview: d.NextReviewOn(today),
		CanManage: s.canDocument(c, d.ID, authz.Manage), CanRevise: s.canDocument(c, d.ID, authz.Revise),
		CanRetire: s.canDocument(c, d.ID, authz.Retire), CanAck: s.canDocument(c, d.ID, authz.Acknowledge),
		CanGrant: s.can(c, authz.Manage, authz.Every(authz.ClassGrant)), Errors: problems}
	view.Overdue = !view.NextReview.IsZero() && view.NextReview.Before(today)
	_, names, err := s.userOptions(c)
	if err != nil {
		return err
	}
	view.OwnerName = nameOr(names, d.Owner)
	if eff, ok := d.EffectiveOn(today); ok {
		row := revisionRow(d, eff, today)
		view.Effective = &row
		if eff.Format == document.Markdown {
			if view.Content, err = s.markdownOf(c, d.ID, eff.N); err != nil {
				return err
			}
		}
	}
	view.InAudience, view.Ack, err = s.documents.AckStatus(ctx, d, v.User.ID)
	if err != nil {
		return err
	}
	if !whole {
		return s.render(c, "document", view)
	}
	revs := slices.Clone(d.Revisions)
	slices.SortFunc(revs, func(a, b document.Revision) int { return b.N - a.N })
	for _, r := range revs {
		view.Revisions = append(view.Revisions, revisionRow(d, r, today))
		if r.Format == document.Markdown && r.Disposed == nil {
			switch {
			case view.DiffTo == 0:
				view.DiffTo = r.N
			case view.DiffFrom == 0:
				view.DiffFrom = r.N
			}
		}
	}
	view.Approval = s.ruleWords(d.Approval, names)
	view.Audiences = s.audienceWords(d.Audiences, names)
	view.CanReview = view.Effective != nil && d.Retired == nil && s.canDocument(c, d.ID, authz.Approve) &&
		s.documents.CanReview(audit.WithActor(ctx, audit.Actor{ID: v.User.ID}), d) == nil
	rate, err := s.documents.Rate(ctx, v.Domain, d.ID)
	if err != nil {
		return err
	}
	if rate.Expected > 0 {
		view.Rate = &rate
		for _, u := range rate.Missing {
			view.NotAcked = append(view.NotAcked, nameOr(names, u))
		}
	}
	copies, err := s.documents.Copies(ctx, v.Domain, d.ID)
	if err != nil {
		return err
	}
	for i := len(copies) - 1; i >= 0; i-- { // newest first
		view.Copies = append(view.Copies, CopyRow{Copy: copies[i], To: nameOr(names, copies[i].User)})
	}
	if view.History, err = s.audit.List(ctx, audit.Query{ObjectType: "document", ObjectID: d.ID, Limit: 50}); err != nil {
		return err
	}
	return s.render(c, "document", view)
}

// markdownOf reads Markdown revision n and renders it (no raw HTML; only
// safe links). The read is audited by the domain.
func (s *Server) markdownOf(c *fiber.Ctx, id string, n int) (template.HTML, error) {
	src, err := s.revisionText(c, id, n)
	if err != nil {
		return "", err
	}
	return markdown.Render(src)
}

// revisionText reads a Markdown revision's text, checked against its
// SHA-256; the domain audits the reading.
func (s *Server) revisionText(c *fiber.Ctx, id string, n int) (string, error) {
	return s.documents.ReadText(c.UserContext(), viewer(c).Domain, id, n)
}

func nameOr(names map[string]string, id string) string {
	if n := names[id]; n != "" {
		return n
	}
	return id
}

// ruleWords says an approval rule in words: "all of: Dana Reyes, a
// holder of approver" or "any 2 of: …".
func (s *Server) ruleWords(r document.ApprovalRule, names map[string]string) string {
	var who []string
	for _, a := range r.Approvers {
		who = append(who, nameOr(names, a))
	}
	for _, role := range r.Roles {
		who = append(who, "a holder of the role "+role)
	}
	if len(who) == 0 {
		return "nobody yet"
	}
	if r.Required > 0 {
		return "any " + strconv.Itoa(r.Required) + " of: " + strings.Join(who, "; ")
	}
	return "all of: " + strings.Join(who, "; ")
}

func (s *Server) audienceWords(a document.Audiences, names map[string]string) string {
	var who []string
	for _, role := range a.Roles {
		who = append(who, "everyone with the role "+role)
	}
	for _, u := range a.Users {
		who = append(who, nameOr(names, u))
	}
	if len(who) == 0 {
		return "nobody"
	}
	return strings.Join(who, "; ")
}

func (s *Server) documentAcknowledge(c *fiber.Ctx) error {
	v := viewer(c)
	if _, err := s.visibleDocument(c); err != nil {
		return err
	}
	a, err := s.documents.Acknowledge(c.UserContext(), v.Domain, c.Params("id"), v.User.ID)
	if err != nil {
		return err
	}
	return s.redirect(c, documentPath(c.Params("id")), "Thank you: you acknowledged "+a.Number+" rev "+a.Revision+".")
}

func (s *Server) documentRetire(c *fiber.Ctx) error {
	id := c.Params("id")
	version, err := formVersion(c)
	if err != nil {
		return err
	}
	d, err := s.documents.Retire(c.UserContext(), viewer(c).Domain, id, version, c.FormValue("reason"))
	if p := formFailed(c, err, "reason"); p != nil {
		return s.showDocument(c, map[string]string{"retire_" + firstKey(p): p[firstKey(p)]})
	}
	if err != nil {
		return err
	}
	return s.redirect(c, documentPath(id), d.Number+" is retired: hidden from staff, kept as a record.")
}

// documentReview records an approver's "reviewed, no change" signature.
func (s *Server) documentReview(c *fiber.Ctx) error {
	id := c.Params("id")
	n, _ := strconv.Atoi(c.FormValue("revision"))
	_, _, err := s.documents.ReviewedNoChange(c.UserContext(), viewer(c).Domain, id, document.ReviewInput{
		Revision: n, SHA256: c.FormValue("sha256"), Reason: c.FormValue("reason"), Password: c.FormValue("password"), Code: c.FormValue("code")})
	if p := formFailed(c, err, "password"); p != nil {
		return s.showDocument(c, map[string]string{"review_" + firstKey(p): p[firstKey(p)]})
	}
	if err != nil {
		return err
	}
	return s.redirect(c, documentPath(id), "Signed: reviewed, no change. The next review date moved on.")
}

// firstKey is the first key of m in order, for a form that shows one
// problem.
func firstKey(m map[string]string) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys[0]
}
