package http

import (
	"errors"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"

	"dossier/internal/authz"
	"dossier/internal/document"
	"dossier/internal/errs"
)

// The controlled-document pages: the register, the document form, each
// document's page and each revision's. Lists and creating check the class;
// routes naming a document check that document (documentRequire), so a
// grant on one document, or on a group of them, works as a role's does.
// What a reader sees is documentSight's: staff see the revision in effect
// and nothing else. Workflow rules (who wrote a revision, what is in
// review) are the domain's.
func (s *Server) documentRoutes(app *fiber.App) {
	revise := s.require(authz.Revise, authz.Every(authz.ClassDocument))
	view := s.documentRequire(authz.View)
	may := s.documentRequire
	g := app.Group("/documents", s.signedIn)
	g.Get("/", s.documentList)
	g.Get("/new", revise, s.documentNew)
	g.Post("/", revise, s.documentCreate)
	g.Get("/:id", view, s.documentPage)
	g.Get("/:id/edit", view, may(authz.Manage), s.documentEdit)
	g.Post("/:id", view, may(authz.Manage), s.documentUpdate)
	g.Post("/:id/retire", view, may(authz.Retire), s.documentRetire)
	g.Post("/:id/review", view, may(authz.Approve), s.documentReview)
	g.Post("/:id/acknowledge", view, may(authz.Acknowledge), s.documentAcknowledge)
	g.Get("/:id/copy", view, s.apiDocumentCopy) // the same download as the API's
	g.Get("/:id/diff", view, s.documentWholeOnly("drafts and earlier revisions"), s.documentDiff)
	g.Get("/:id/revisions/new", view, may(authz.Revise), s.revisionNew)
	g.Post("/:id/revisions", view, may(authz.Revise), s.revisionCreate)
	g.Get("/:id/revisions/:n", view, s.revisionPage)
	g.Get("/:id/revisions/:n/edit", view, may(authz.Revise), s.revisionEditForm)
	g.Post("/:id/revisions/:n/edit", view, may(authz.Revise), s.revisionEdit)
	g.Get("/:id/revisions/:n/file", view, s.documentWholeOnly("original files; download the controlled copy instead"), s.apiRevisionFile)
	g.Post("/:id/revisions/:n/submit", view, may(authz.Revise), s.revisionSubmit)
	g.Post("/:id/revisions/:n/comments", view, may(authz.Review), s.revisionComment)
	g.Post("/:id/revisions/:n/sign", view, may(authz.Approve), s.revisionSign)
	g.Post("/:id/revisions/:n/publish", view, may(authz.Publish), s.revisionPublish)
	g.Post("/:id/revisions/:n/retire", view, may(authz.Retire), s.revisionRetire)
	g.Post("/:id/revisions/:n/dispose", view, may(authz.Approve), s.revisionDispose)
}

func documentPath(id string) string { return "/documents/" + url.PathEscape(id) }

func revisionPath(id string, n int) string { return documentPath(id) + "/revisions/" + strconv.Itoa(n) }

// DocumentListView is the register.
type DocumentListView struct {
	Page
	Result    document.Page
	Rows      []DocumentRow
	Tabs      []WindowTab
	Query     DocumentQueryForm
	Types     []Option
	Owners    []Option
	Sorts     []SortLink
	Pager     []PageLink
	Filtered  bool
	CanCreate bool
	Whole     bool // the reader sees more than effective revisions somewhere: show the workflow columns
}

// DocumentRow is one document of the register.
type DocumentRow struct {
	document.Row
	OwnerName string
	Overdue   bool
	Link      string
}

// DocumentQueryForm is the register's filters as typed.
type DocumentQueryForm struct{ Q, Type, Owner, State, Due, Sort string }

func documentQueryForm(c *fiber.Ctx) DocumentQueryForm {
	return DocumentQueryForm{Q: strings.TrimSpace(c.Query("q")), Type: c.Query("type"), Owner: c.Query("owner"),
		State: c.Query("state"), Due: c.Query("review_due"), Sort: c.Query("sort", "number")}
}

// args is the query string of the filters, without the tab, sort and page.
func (f DocumentQueryForm) args() url.Values {
	v := url.Values{}
	for k, val := range map[string]string{"q": f.Q, "type": f.Type, "owner": f.Owner} {
		if val != "" {
			v.Set(k, val)
		}
	}
	return v
}

// href is the register with these filters and the tab (state or review
// due) given.
func (f DocumentQueryForm) href(state, due string) string {
	a := f.args()
	if state != "" {
		a.Set("state", state)
	}
	if due != "" {
		a.Set("review_due", due)
	}
	if f.Sort != "" && f.Sort != "number" {
		a.Set("sort", f.Sort)
	}
	return withQuery("/documents", a)
}

func (s *Server) documentList(c *fiber.Ctx) error {
	ctx, v := c.UserContext(), viewer(c)
	f := documentQueryForm(c)
	q := document.Query{Search: f.Q, Type: document.Type(f.Type), Owner: f.Owner, State: document.State(f.State),
		ReviewDue: f.Due, Sort: f.Sort, Sight: s.documentSights(c)}
	if p := c.Query("page"); p != "" {
		n, err := strconv.Atoi(p)
		if err != nil || n < 1 {
			return badQuery(errs.Field("page", "The page is a whole number from 1."))
		}
		q.Page = n
	}
	res, err := s.documents.List(ctx, v.Domain, q)
	if err != nil {
		return badQuery(err)
	}
	owners, names, err := s.userOptions(c)
	if err != nil {
		return err
	}
	every := authz.Every(authz.ClassDocument)
	view := DocumentListView{Page: s.page(c, "Controlled documents"), Result: res, Query: f, Owners: owners, Types: documentTypeOptions(),
		CanCreate: s.can(c, authz.Revise, every), Whole: s.documentWhole(v.User.ID, v.Domain, every)}
	today := document.Day(s.now())
	for _, r := range res.Rows {
		view.Rows = append(view.Rows, DocumentRow{Row: r, OwnerName: names[r.Owner], Link: documentPath(r.ID),
			Overdue: !r.NextReview.IsZero() && r.NextReview.Before(today)})
		view.Whole = view.Whole || r.LatestState != "" && r.LatestState != document.Effective
	}
	tabs := []struct {
		label, state, due string
		n                 int
	}{
		{"All", "", "", res.Counts.All}, {"In effect", string(document.Effective), "", res.Counts.Effective},
		{"In review", string(document.InReview), "", res.Counts.InReview}, {"Approved", string(document.Approved), "", res.Counts.Approved},
		{"Drafts", string(document.Draft), "", res.Counts.Draft}, {"Review due in 30 days", "", document.DueSoonFilter, res.Counts.DueSoon},
		{"Review overdue", "", document.OverdueFilter, res.Counts.Overdue}, {"Retired", string(document.Retired), "", res.Counts.Retired},
	}
	for _, t := range tabs {
		if !view.Whole && (t.state == string(document.InReview) || t.state == string(document.Approved) || t.state == string(document.Draft) || t.state == string(document.Retired)) {
			continue // a reader of effective revisions only has none of these
		}
		view.Tabs = append(view.Tabs, WindowTab{Label: t.label, Href: f.href(t.state, t.due), Count: t.n, Current: t.state == f.State && t.due == f.Due})
	}
	view.Filtered = len(f.args()) > 0
	args := f.args()
	if f.State != "" {
		args.Set("state", f.State)
	}
	if f.Due != "" {
		args.Set("review_due", f.Due)
	}
	cols := [][2]string{{"number", "Number"}, {"title", "Title"}, {"type", "Type"}, {"effective", "In effect since"}}
	if view.Whole {
		cols = append(cols, [2]string{"state", "Latest revision"})
	}
	cols = append(cols, [2]string{"next_review", "Next review"}, [2]string{"owner", "Owner"})
	view.Sorts = sortLinks("/documents", args, f.Sort, cols)
	pages := (res.Total + res.PerPage - 1) / max(res.PerPage, 1)
	for p := 1; p <= pages; p++ {
		a := url.Values{}
		for k, vs := range args {
			a[k] = vs
		}
		if f.Sort != "number" {
			a.Set("sort", f.Sort)
		}
		a.Set("page", strconv.Itoa(p))
		view.Pager = append(view.Pager, PageLink{Label: strconv.Itoa(p), Href: withQuery("/documents", a), Current: p == res.Page})
	}
	return s.render(c, "documents", view)
}

func documentTypeOptions() []Option {
	var out []Option
	for _, t := range document.Types() {
		out = append(out, Option{Value: string(t), Label: documentTypeLabel(t)})
	}
	return out
}

func documentTypeLabel(t document.Type) string {
	if t == document.External {
		return "External document"
	}
	s := string(t)
	return strings.ToUpper(s[:1]) + s[1:]
}

// DocumentFormView is the form of a document's register fields.
type DocumentFormView struct {
	Page
	ID        string
	Version   int64
	F         DocumentForm
	Types     []Option
	Classes   []Option
	Users     []Option
	Approvers []Option // people who may approve documents
	Roles     []authz.Role
	Errors    map[string]string
	Others    []string
	Conflict  bool
}

// DocumentForm is the register fields as typed.
type DocumentForm struct {
	Number, Title, Type, Source, ExternalVersion, Owner, Classification string
	Clauses, Controls, ReviewMonths, Required                           string
	Approvers, ApproverRoles, AudienceRoles, AudienceUsers              []string
}

func documentFormOf(f document.Fields) DocumentForm {
	out := DocumentForm{Number: f.Number, Title: f.Title, Type: string(f.Type), Source: f.Source, ExternalVersion: f.ExternalVersion,
		Owner: f.Owner, Classification: string(f.Classification), Clauses: strings.Join(f.Clauses, ", "), Controls: strings.Join(f.Controls, ", "),
		Approvers: f.Approval.Approvers, ApproverRoles: f.Approval.Roles, AudienceRoles: f.Audiences.Roles, AudienceUsers: f.Audiences.Users}
	if f.ReviewMonths > 0 {
		out.ReviewMonths = strconv.Itoa(f.ReviewMonths)
	}
	if f.Approval.Required > 0 {
		out.Required = strconv.Itoa(f.Approval.Required)
	}
	return out
}

func documentFormValues(c *fiber.Ctx) DocumentForm {
	list := func(key string) []string {
		var out []string
		for _, v := range c.Context().PostArgs().PeekMulti(key) {
			out = append(out, string(v))
		}
		return out
	}
	return DocumentForm{Number: c.FormValue("number"), Title: c.FormValue("title"), Type: c.FormValue("type"), Source: c.FormValue("source"),
		ExternalVersion: c.FormValue("external_version"), Owner: c.FormValue("owner"), Classification: c.FormValue("classification"),
		Clauses: c.FormValue("clauses"), Controls: c.FormValue("controls"), ReviewMonths: c.FormValue("review_months"),
		Required: c.FormValue("approval.required"), Approvers: list("approvers"), ApproverRoles: list("approver_roles"),
		AudienceRoles: list("audience_roles"), AudienceUsers: list("audience_users")}
}

// fields reads the form into the domain's fields; numbers that are not
// numbers are reported beside their field.
func (f DocumentForm) fields() (document.Fields, error) {
	bad := map[string]string{}
	num := func(field, s, msg string) int {
		s = strings.TrimSpace(s)
		if s == "" {
			return 0
		}
		n, err := strconv.Atoi(s)
		if err != nil || n < 0 {
			bad[field] = msg
		}
		return n
	}
	split := func(s string) []string {
		return strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ';' || r == '\n' || r == '\r' })
	}
	out := document.Fields{Number: f.Number, Title: f.Title, Type: document.Type(f.Type), Source: f.Source, ExternalVersion: f.ExternalVersion,
		Owner: f.Owner, Classification: document.Classification(f.Classification), Clauses: split(f.Clauses), Controls: split(f.Controls),
		ReviewMonths: num("review_months", f.ReviewMonths, "The review interval is a whole number of months, such as 12."),
		Approval: document.ApprovalRule{Approvers: f.Approvers, Roles: f.ApproverRoles,
			Required: num("approval.required", f.Required, "Enter how many approvals are needed as a whole number, or leave it empty for all.")},
		Audiences: document.Audiences{Roles: f.AudienceRoles, Users: f.AudienceUsers}}
	if len(bad) > 0 {
		return out, errs.Fields(bad)
	}
	return out, nil
}

func (s *Server) documentFormView(c *fiber.Ctx, id string, version int64, f DocumentForm) (DocumentFormView, error) {
	title := "New document"
	if id != "" {
		title = "Edit " + f.Number
	}
	users, _, err := s.userOptions(c)
	if err != nil {
		return DocumentFormView{}, err
	}
	domain := viewer(c).Domain
	every := authz.Every(authz.ClassDocument)
	view := DocumentFormView{Page: s.page(c, title), ID: id, Version: version, F: f, Types: documentTypeOptions(), Roles: authz.BuiltinRoles(),
		Errors: map[string]string{}}
	obj := every
	if id != "" {
		obj = documentObject(id)
	}
	// People who may read or approve this document (a grant on it counts),
	// and whoever the form already names, so saving it never drops them.
	for _, u := range users {
		if s.authz.Can(u.Value, domain, obj, authz.View) || slices.Contains(f.AudienceUsers, u.Value) || u.Value == f.Owner {
			view.Users = append(view.Users, u)
		}
		if s.authz.Can(u.Value, domain, obj, authz.Approve) || slices.Contains(f.Approvers, u.Value) {
			view.Approvers = append(view.Approvers, u)
		}
	}
	for _, cl := range document.Classifications() {
		view.Classes = append(view.Classes, Option{Value: string(cl), Label: strings.ToUpper(string(cl)[:1]) + string(cl)[1:]})
	}
	return view, nil
}

func (s *Server) documentNew(c *fiber.Ctx) error {
	f := DocumentForm{Owner: viewer(c).User.ID, Type: string(document.Policy), Classification: string(document.Internal),
		ReviewMonths: strconv.Itoa(document.DefaultReviewMonths), AudienceRoles: []string{authz.RoleStaff}, ApproverRoles: []string{authz.RoleApprover}}
	view, err := s.documentFormView(c, "", 0, f)
	if err != nil {
		return err
	}
	return s.render(c, "document_form", view)
}

func (s *Server) documentCreate(c *fiber.Ctx) error {
	form := documentFormValues(c)
	f, err := form.fields()
	if err == nil {
		var d document.Document
		if d, err = s.documents.Create(c.UserContext(), viewer(c).Domain, f); err == nil {
			return s.redirect(c, documentPath(d.ID), "Added to the register. Write or upload its first revision next.")
		}
	}
	return s.documentFormFailed(c, "", 0, form, err)
}

func (s *Server) documentEdit(c *fiber.Ctx) error {
	d, err := s.documents.Get(c.UserContext(), viewer(c).Domain, c.Params("id"))
	if err != nil {
		return err
	}
	if d.Retired != nil {
		return errs.E(errs.Conflict, "%s is retired; it is kept as a record and not changed.", d.Number)
	}
	view, err := s.documentFormView(c, d.ID, d.Version, documentFormOf(d.Fields()))
	if err != nil {
		return err
	}
	return s.render(c, "document_form", view)
}

func (s *Server) documentUpdate(c *fiber.Ctx) error {
	id := c.Params("id")
	form := documentFormValues(c)
	version, err := formVersion(c)
	if err != nil {
		return err
	}
	f, err := form.fields()
	if err == nil {
		if _, err = s.documents.Update(c.UserContext(), viewer(c).Domain, id, version, f); err == nil {
			return s.redirect(c, documentPath(id), "Saved.")
		}
	}
	return s.documentFormFailed(c, id, version, form, err)
}

// documentFormFailed shows the form again, as typed, with each problem
// beside its field (422), or the conflict on top (409).
func (s *Server) documentFormFailed(c *fiber.Ctx, id string, version int64, form DocumentForm, err error) error {
	if !errs.Is(err, errs.Invalid) && !errs.Is(err, errs.Conflict) {
		return err
	}
	view, verr := s.documentFormView(c, id, version, form)
	if verr != nil {
		return verr
	}
	var all errs.FieldErrors
	var dup *document.DuplicateError
	switch {
	case errors.As(err, &all) || errs.FieldOf(err) != "" || errors.As(err, &dup):
		view.Errors = errs.ByField(err)
	case errs.Is(err, errs.Conflict) && id != "":
		view.Conflict = true
	default:
		view.Others = append(view.Others, errs.Message(err))
	}
	known := []string{"approval", "number", "title", "type", "source", "external_version", "owner", "classification", "clauses", "controls",
		"review_months", "approval.approvers", "approval.roles", "approval.required", "audiences.roles", "audiences.users"}
	for f, msg := range view.Errors {
		if !slices.Contains(known, f) {
			view.Others = append(view.Others, msg)
		}
	}
	c.Status(status(errs.Code(err)))
	return s.render(c, "document_form", view)
}
