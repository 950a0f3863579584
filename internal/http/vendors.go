package http

import (
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"dossier/internal/assessment"
	"dossier/internal/audit"
	"dossier/internal/authz"
	"dossier/internal/contract"
	"dossier/internal/errs"
	"dossier/internal/supplier"
)

func (s *Server) vendorRoutes(app *fiber.App) {
	g := app.Group("/vendors", s.signedIn, s.require(authz.View, authz.Every(authz.ClassVendor)))
	edit := s.require(authz.Edit, authz.Every(authz.ClassVendor))
	g.Get("/", s.vendorList)
	g.Get("/new", edit, s.vendorNew)
	g.Post("/", edit, s.vendorCreate)
	g.Get("/export.csv", s.vendorExport("csv"))
	g.Get("/export.xlsx", s.vendorExport("xlsx"))
	g.Get("/import", edit, s.vendorImportForm)
	g.Post("/import", edit, s.vendorImportPreview)
	g.Post("/import/apply", edit, s.vendorImportApply)
	g.Get("/:id", s.vendorPage)
	g.Get("/:id/edit", edit, s.vendorEdit)
	g.Post("/:id", edit, s.vendorUpdate)
	g.Post("/:id/transition", s.vendorTransition)
	g.Post("/:id/offboarding/access-revoked", edit, s.vendorAccessRevoked)
	g.Post("/:id/offboarding/contracts-ended", edit, s.vendorContractsEnded)
	g.Post("/:id/offboarding/certificate", edit, s.vendorCertificateUpload)
	g.Get("/:id/offboarding/certificate", s.vendorCertificate)
}

// VendorListView is the supplier register.
type VendorListView struct {
	Page
	Result        supplier.Page
	Rows          []VendorRow
	Query         VendorQueryForm
	Owners        []Option
	CanEdit       bool
	Sorts         []SortLink
	Pager         []PageLink
	ExportCSV     string // the export links, with the current filters
	ExportXLSX    string
	Filtered      bool
	Labels        Labels
	Statuses      []Option
	SystemOptions []Option
}

// VendorRow is one line of the register.
type VendorRow struct {
	supplier.Vendor
	OwnerName string
	Overdue   bool
}

// VendorQueryForm is the filter form as typed.
type VendorQueryForm struct {
	Q, Tier, Status, System, PHI, Owner, Due, Sort string
}

// Option is one <option>.
type Option struct{ Value, Label string }

// SortLink is a column heading that sorts the table.
type SortLink struct {
	Label, Href, Dir string // Dir: "ascending", "descending" or "" for aria-sort
}

// sortLinks makes a table's column headings: each sorts by its key,
// ascending, or descending when the table is already sorted by it
// ascending; the current filters (args) are kept. columns are key, label.
func sortLinks(path string, args url.Values, current string, columns [][2]string) []SortLink {
	var out []SortLink
	for _, col := range columns {
		key, link := col[0], SortLink{Label: col[1]}
		next := key
		switch current {
		case key:
			link.Dir, next = "ascending", "-"+key
		case "-" + key:
			link.Dir = "descending"
		}
		a := url.Values{}
		for k, vs := range args {
			a[k] = vs
		}
		a.Set("sort", next)
		link.Href = path + "?" + a.Encode()
		out = append(out, link)
	}
	return out
}

// PageLink is one link of the pager.
type PageLink struct {
	Label, Href string
	Current     bool
}

// Labels gives templates the human words for the register's codes.
type Labels struct{}

// Of returns the label of a code.
func (Labels) Of(code string) string { return supplier.Label(code) }

func (s *Server) vendorQuery(c *fiber.Ctx) (supplier.Query, VendorQueryForm, error) {
	f := VendorQueryForm{Q: strings.TrimSpace(c.Query("q")), Tier: c.Query("tier"), Status: c.Query("status"), System: c.Query("system"),
		PHI: c.Query("phi"), Owner: c.Query("owner"), Due: c.Query("due"), Sort: c.Query("sort", "name")}
	q := supplier.Query{Search: f.Q, Status: f.Status, System: f.System, Owner: f.Owner, PHI: f.PHI, Sort: f.Sort}
	if f.Tier != "" {
		n, err := strconv.Atoi(f.Tier)
		if err != nil || n < 1 || n > 3 {
			return q, f, errs.Field("tier", "The tier is 1, 2 or 3.")
		}
		q.Tier = n
	}
	switch f.Due {
	case "":
	case "overdue":
		q.Overdue = true
	default:
		n, err := strconv.Atoi(f.Due)
		if err != nil || n < 1 || n > 3650 {
			return q, f, errs.Field("due", "Choose how many days ahead, or overdue.")
		}
		q.DueWithin = n
	}
	if p := c.Query("page"); p != "" {
		n, err := strconv.Atoi(p)
		if err != nil || n < 1 {
			return q, f, errs.Field("page", "The page number is not valid.")
		}
		q.Page = n
	}
	return q, f, nil
}

// filterArgs is the query string of the filters, without sort and page.
func (f VendorQueryForm) filterArgs() url.Values {
	v := url.Values{}
	for k, val := range map[string]string{"q": f.Q, "tier": f.Tier, "status": f.Status, "system": f.System, "phi": f.PHI, "owner": f.Owner, "due": f.Due} {
		if val != "" {
			v.Set(k, val)
		}
	}
	return v
}

func (s *Server) vendorList(c *fiber.Ctx) error {
	ctx, v := c.UserContext(), viewer(c)
	q, f, err := s.vendorQuery(c)
	if err != nil {
		return err
	}
	res, err := s.suppliers.List(ctx, v.Domain, q)
	if err != nil {
		return err
	}
	owners, names, err := s.userOptions(c)
	if err != nil {
		return err
	}
	view := VendorListView{Page: s.page(c, "Supplier register"), Result: res, Query: f, Owners: owners,
		CanEdit: s.can(c, authz.Edit, authz.Every(authz.ClassVendor)), Statuses: options(supplier.Statuses), SystemOptions: options(supplier.Systems)}
	now := s.now()
	for _, vd := range res.Vendors {
		view.Rows = append(view.Rows, VendorRow{Vendor: vd, OwnerName: names[vd.Owner], Overdue: vd.Status != supplier.Terminated && !vd.NextDue.IsZero() && vd.NextDue.Before(now)})
	}
	args := f.filterArgs()
	view.Filtered = len(args) > 0
	view.ExportCSV, view.ExportXLSX = withQuery("/vendors/export.csv", args), withQuery("/vendors/export.xlsx", args)
	view.Sorts = sortLinks("/vendors", args, f.Sort, [][2]string{{"name", "Vendor"}, {"tier", "Tier"}, {"status", "Status"}, {"due", "Next assessment"}, {"updated", "Updated"}})
	for p := 1; p <= res.Pages; p++ {
		a := url.Values{}
		for k, vs := range args {
			a[k] = vs
		}
		a.Set("sort", f.Sort)
		a.Set("page", strconv.Itoa(p))
		view.Pager = append(view.Pager, PageLink{Label: strconv.Itoa(p), Href: "/vendors?" + a.Encode(), Current: p == res.Page})
	}
	return s.render(c, "vendors", view)
}

// userOptions lists the active people of the viewer's hospital for owner
// pickers, and their names by id for display; other hospitals' staff stay
// out of sight.
func (s *Server) userOptions(c *fiber.Ctx) ([]Option, map[string]string, error) {
	users, err := s.access.Users(c.UserContext())
	if err != nil {
		return nil, nil, err
	}
	domain := viewer(c).Domain
	var opts []Option
	names := map[string]string{}
	for _, u := range users {
		if len(s.authz.Roles(u.ID, domain)) == 0 {
			continue
		}
		names[u.ID] = u.Name
		if u.Status == "active" {
			opts = append(opts, Option{Value: u.ID, Label: u.Name + " <" + u.Email + ">"})
		}
	}
	return opts, names, nil
}

// VendorView is one vendor with everything linked to it.
type VendorView struct {
	Page
	V           supplier.Vendor
	OwnerName   string
	Moves       []Move
	Checklist   []supplier.CheckResult // for the next step that has one
	ChecklistTo string
	Offboarding []supplier.CheckResult
	History     []audit.Event
	CanEdit     bool
	CanApprove  bool
	Signs       bool // a move offered is an approval: it asks for the password again
	MFA         bool // and for a code
	Labels      Labels
	Problem     string
	Missing     []supplier.CheckResult
	FourthNames map[string]string

	SeesAssessments bool
	CanSend         bool
	Assessments     []assessment.Assessment
	Evidence        []assessment.Evidence
	EvidenceKinds   [][2]string
	EvidenceErrors  map[string]string
	Now             time.Time

	SeesContracts  bool
	CanAddContract bool
	Contracts      []contract.Contract
	BAA            contract.BAAStatus
}

// Move is a lifecycle transition the viewer may make.
type Move struct {
	To, Label string
	Danger    bool
}

// moveLabel words a lifecycle move as its button.
func moveLabel(from, to string) string {
	switch {
	case from == supplier.Onboarding && to == supplier.Active:
		return "Approve onboarding: make active"
	case from == supplier.Offboarding && to == supplier.Active:
		return "Cancel offboarding: keep active"
	case from == supplier.Prospect && to == supplier.Terminated:
		return "Drop this prospect"
	case to == supplier.Onboarding:
		return "Start onboarding"
	case to == supplier.Prospect:
		return "Back to prospect"
	case to == supplier.Offboarding:
		return "Start offboarding"
	}
	return "Terminate"
}

func (s *Server) vendorView(c *fiber.Ctx, id string) (VendorView, error) {
	ctx, v := c.UserContext(), viewer(c)
	vd, err := s.suppliers.Get(ctx, v.Domain, id)
	if err != nil {
		return VendorView{}, err
	}
	_, names, err := s.userOptions(c)
	if err != nil {
		return VendorView{}, err
	}
	view := VendorView{Page: s.page(c, vd.Label()), V: vd, OwnerName: names[vd.Owner],
		CanEdit:     s.can(c, authz.Edit, authz.Object(authz.ClassVendor, vd.ID)),
		CanApprove:  s.can(c, authz.Approve, authz.Object(authz.ClassVendor, vd.ID)),
		FourthNames: map[string]string{}, MFA: viewer(c).User.MFAEnrolled()}
	for _, to := range supplier.NextStates(vd.Status) {
		action := supplier.ActionFor(vd.Status, to)
		if s.can(c, action, authz.Object(authz.ClassVendor, vd.ID)) {
			view.Moves = append(view.Moves, Move{To: to, Label: moveLabel(vd.Status, to), Danger: to == supplier.Terminated})
			view.Signs = view.Signs || action == authz.Approve
		}
		if vd.Status == supplier.Onboarding && to == supplier.Active || vd.Status == supplier.Offboarding && to == supplier.Terminated {
			if view.Checklist, err = s.suppliers.Checklist(ctx, vd, to); err != nil {
				return view, err
			}
			view.ChecklistTo = to
		}
	}
	for _, fp := range vd.FourthParties {
		if fp.VendorID != "" {
			if other, err := s.suppliers.Get(ctx, v.Domain, fp.VendorID); err == nil {
				view.FourthNames[fp.VendorID] = other.Label()
			}
		}
	}
	if view.SeesAssessments = s.can(c, authz.View, authz.Every(authz.ClassAssessment)); view.SeesAssessments {
		view.CanSend = s.can(c, authz.Edit, authz.Every(authz.ClassAssessment))
		view.EvidenceKinds, view.Now, view.EvidenceErrors = assessment.EvidenceKinds(), s.now(), map[string]string{}
		if view.Assessments, err = s.assessments.List(ctx, v.Domain, assessment.Filter{VendorID: vd.ID}); err != nil {
			return view, err
		}
		if view.Evidence, err = s.assessments.EvidenceFor(ctx, v.Domain, vd.ID); err != nil {
			return view, err
		}
	}
	if view.SeesContracts = s.can(c, authz.View, authz.Every(authz.ClassContract)); view.SeesContracts {
		view.CanAddContract, view.Now = s.can(c, authz.Edit, authz.Every(authz.ClassContract)), s.now()
		if view.Contracts, err = s.contracts.ForVendor(ctx, v.Domain, vd.ID); err != nil {
			return view, err
		}
		if view.BAA, err = s.contracts.VendorBAA(ctx, vd); err != nil {
			return view, err
		}
	}
	view.History, err = s.audit.List(ctx, audit.Query{ObjectType: "vendor", ObjectID: vd.ID, Limit: 50})
	return view, err
}

func (s *Server) vendorPage(c *fiber.Ctx) error {
	view, err := s.vendorView(c, c.Params("id"))
	if err != nil {
		return err
	}
	return s.render(c, "vendor", view)
}

func (s *Server) vendorPath(c *fiber.Ctx) string { return "/vendors/" + url.PathEscape(c.Params("id")) }

// authorizeMove checks the viewer may make this move of the vendor, by the
// vendor's current status, and re-authenticates them for an approval.
func (s *Server) authorizeMove(c *fiber.Ctx, to, password, code string) error {
	ctx, v := c.UserContext(), viewer(c)
	vd, err := s.suppliers.Get(ctx, v.Domain, c.Params("id"))
	if err != nil {
		return err
	}
	action := supplier.ActionFor(vd.Status, to)
	if err := s.authz.Check(v.User.ID, v.Domain, authz.Object(authz.ClassVendor, vd.ID), action); err != nil {
		return err
	}
	if action == authz.Approve {
		return s.access.Reauthenticate(ctx, v.User.ID, password, strings.TrimSpace(code))
	}
	return nil
}

// vendorRefused shows the vendor page again with why a step was refused:
// the checklist items still missing, or the message.
func (s *Server) vendorRefused(c *fiber.Ctx, err error) error {
	var cl *supplier.ChecklistError
	switch errs.Code(err) {
	case errs.Invalid, errs.Conflict, errs.Forbidden, errs.Unauthorized, errs.TooLarge:
	default:
		return err
	}
	view, verr := s.vendorView(c, c.Params("id"))
	if verr != nil {
		return verr
	}
	view.Problem = errs.Message(err)
	if f := errs.FieldOf(err); f != "" && strings.HasPrefix(c.Path(), s.vendorPath(c)+"/evidence") {
		view.EvidenceErrors = errs.ByField(err)
	}
	if errors.As(err, &cl) {
		view.Missing = cl.Missing()
	}
	c.Status(status(errs.Code(err)))
	return s.render(c, "vendor", view)
}

func formVersion(c *fiber.Ctx) (int64, error) {
	n, err := strconv.ParseInt(c.FormValue("version"), 10, 64)
	if err != nil || n < 0 {
		return 0, errs.E(errs.Invalid, "The form lacks the record's version; reload the page and try again.")
	}
	return n, nil
}

// vendorTransition moves a vendor. Approving onboarding is a signature:
// the approver gives their password (and code) again.
func (s *Server) vendorTransition(c *fiber.Ctx) error {
	version, err := formVersion(c)
	if err != nil {
		return err
	}
	to := c.FormValue("to")
	if err := s.authorizeMove(c, to, c.FormValue("password"), c.FormValue("code")); err != nil {
		return s.vendorRefused(c, err)
	}
	vd, err := s.suppliers.Transition(c.UserContext(), viewer(c).Domain, c.Params("id"), version, to, strings.TrimSpace(c.FormValue("note")))
	if err != nil {
		return s.vendorRefused(c, err)
	}
	return s.redirect(c, s.vendorPath(c), fmt.Sprintf("%s is now %s.", vd.Label(), supplier.Label(vd.Status)))
}

func (s *Server) vendorAccessRevoked(c *fiber.Ctx) error {
	version, err := formVersion(c)
	if err != nil {
		return err
	}
	if _, err := s.suppliers.ConfirmAccessRevoked(c.UserContext(), viewer(c).Domain, c.Params("id"), version); err != nil {
		return s.vendorRefused(c, err)
	}
	return s.redirect(c, s.vendorPath(c)+"#offboarding", "Recorded: the vendor's access is revoked.")
}

func (s *Server) vendorContractsEnded(c *fiber.Ctx) error {
	version, err := formVersion(c)
	if err != nil {
		return err
	}
	if _, err := s.suppliers.ConfirmContractsEnded(c.UserContext(), viewer(c).Domain, c.Params("id"), version); err != nil {
		return s.vendorRefused(c, err)
	}
	return s.redirect(c, s.vendorPath(c)+"#offboarding", "Recorded: the vendor's contracts have ended.")
}

func (s *Server) vendorCertificateUpload(c *fiber.Ctx) error {
	form, err := s.readUpload(c, "certificate", supplier.MaxCertificate)
	if err != nil {
		return s.vendorRefused(c, withField(err, "certificate"))
	}
	defer form.Remove()
	version, err := strconv.ParseInt(form.Value("version"), 10, 64)
	if err != nil {
		return errs.E(errs.Invalid, "The form lacks the record's version; reload the page and try again.")
	}
	if len(form.Files) == 0 {
		return s.vendorRefused(c, errs.Field("certificate", "Choose the certificate file to upload."))
	}
	file := form.Files[0]
	f, err := file.Open()
	if err != nil {
		return err
	}
	defer f.Close()
	if _, err := s.suppliers.UploadCertificate(c.UserContext(), viewer(c).Domain, c.Params("id"), version, file.Name, f, file.Size); err != nil {
		return s.vendorRefused(c, err)
	}
	return s.redirect(c, s.vendorPath(c)+"#offboarding", "Certificate stored; its SHA-256 is recorded and checked on every download.")
}

// withField ties an error without a field to one, so the form shows it
// beside that field.
func withField(err error, field string) error {
	var e *errs.Error
	if errors.As(err, &e) && e.Field == "" {
		c := *e
		c.Field = field
		return &c
	}
	return err
}

// vendorCertificate sends the certificate; the body is checked against its
// recorded SHA-256 while it streams, and the download is audited.
func (s *Server) vendorCertificate(c *fiber.Ctx) error {
	rd, file, err := s.suppliers.Certificate(c.UserContext(), viewer(c).Domain, c.Params("id"))
	if err != nil {
		return err
	}
	defer rd.Close()
	return sendVerified(c, rd, func() {
		c.Set(fiber.HeaderContentType, file.ContentType)
		attachment(c, file.Name)
	})
}
