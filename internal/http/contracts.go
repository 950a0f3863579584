package http

import (
	"bytes"
	"fmt"
	"net/url"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"

	"dossier/internal/audit"
	"dossier/internal/authz"
	"dossier/internal/contract"
	"dossier/internal/errs"
	"dossier/internal/supplier"
)

// The contract pages, for legal: the expiry list with its windows, the BAA
// gap list, the contract form and each contract's page with its files.
// Lists and creating check the class; routes naming a contract check that
// contract (contractRequire), so a grant on one contract works too. Legal
// manages contracts; procurement edits drafts, and the domain refuses them
// the rest through canManage.
func (s *Server) contractRoutes(app *fiber.App) {
	view := s.require(authz.View, authz.Every(authz.ClassContract))
	edit := s.require(authz.Edit, authz.Every(authz.ClassContract))
	g := app.Group("/contracts", s.signedIn)
	g.Get("/", view, s.contractList)
	g.Get("/export.csv", view, s.contractExport("csv"))
	g.Get("/export.xlsx", view, s.contractExport("xlsx"))
	g.Get("/baa-gaps", view, s.baaGapList)
	g.Get("/new", edit, s.contractNew)
	g.Post("/", edit, s.contractCreate)
	g.Get("/:id", s.contractRequire(authz.View), s.contractPage)
	g.Get("/:id/edit", s.contractRequire(authz.Edit), s.contractEdit)
	g.Post("/:id", s.contractRequire(authz.Edit), s.contractUpdate)
	g.Post("/:id/files", s.contractRequire(authz.Edit), s.contractUpload)
	g.Get("/:id/files/:n", s.contractRequire(authz.View), s.contractFile(false))
	g.Get("/:id/files/:n/preview", s.contractRequire(authz.View), s.contractFile(true))
	g.Post("/:id/files/:n/delete", s.contractRequire(authz.Manage), s.contractFileDelete)
	g.Post("/:id/activate", s.contractRequire(authz.Manage), s.contractActivate)
	g.Post("/:id/terminate", s.contractRequire(authz.Manage), s.contractTerminate)
	g.Post("/:id/hold", s.contractRequire(authz.Manage), s.contractHold)
	g.Post("/:id/dispose", s.contractRequire(authz.Manage), s.contractDispose)
}

func contractPath(id string) string { return "/contracts/" + url.PathEscape(id) }

// ContractListView is the expiry page.
type ContractListView struct {
	Page
	Result  contract.Page
	Rows    []ContractRow
	Tabs    []WindowTab
	Gaps    int // PHI vendors with no BAA in force
	Query   ContractQueryForm
	Types   []Option
	Owners  []Option
	Vendors []Option
	Sorts   map[string]SortLink // by column key
	Pager   []PageLink
	// ExportCSV and ExportXLSX export what the page shows: the filters, window and sort.
	ExportCSV, ExportXLSX string
	Filtered              bool // a filter other than the window is set
	CanEdit               bool
	// WindowWords is the chosen window in words, for the empty list.
	WindowWords string
}

// ContractRow is one contract of the expiry page.
type ContractRow struct {
	contract.Row
	WindowLabel string
	Days        string   // "in 45 days", "today", "3 days ago"; "" without an expiry
	Missing     []string // the labels of a BAA's missing terms
	Urgent      bool     // expired, past its notice deadline or within 30 days
}

// WindowTab is one tab of the expiry page.
type WindowTab struct {
	Label, Href string
	Count       int
	Current     bool
}

// ContractQueryForm is the expiry page's filters as typed.
type ContractQueryForm struct {
	Window, Type, Owner, Vendor, Q, Sort string
}

func (f ContractQueryForm) query() contract.Query {
	return contract.Query{Window: f.Window, Type: contract.Type(f.Type), Owner: f.Owner, VendorID: f.Vendor, Search: f.Q, Sort: f.Sort}
}

// args is the query string of the filters, without window, sort and page.
func (f ContractQueryForm) args() url.Values {
	v := url.Values{}
	for k, val := range map[string]string{"type": f.Type, "owner": f.Owner, "vendor": f.Vendor, "q": f.Q} {
		if val != "" {
			v.Set(k, val)
		}
	}
	return v
}

func contractQueryForm(c *fiber.Ctx) ContractQueryForm {
	return ContractQueryForm{Window: c.Query("window"), Type: c.Query("type"), Owner: c.Query("owner"), Vendor: c.Query("vendor"),
		Q: strings.TrimSpace(c.Query("q")), Sort: c.Query("sort", "expiry")}
}

// listHref is the expiry page with these filters, window and sort.
func (f ContractQueryForm) listHref(window, sort string, page int) string {
	a := f.args()
	if window != "" {
		a.Set("window", window)
	}
	if sort != "" && sort != "expiry" {
		a.Set("sort", sort)
	}
	if page > 1 {
		a.Set("page", strconv.Itoa(page))
	}
	if len(a) == 0 {
		return "/contracts"
	}
	return "/contracts?" + a.Encode()
}

func (s *Server) contractList(c *fiber.Ctx) error {
	ctx, v := c.UserContext(), viewer(c)
	f := contractQueryForm(c)
	q := f.query()
	if p := c.Query("page"); p != "" {
		n, err := strconv.Atoi(p)
		if err != nil || n < 1 {
			return badQuery(errs.Field("page", "The page is a whole number from 1."))
		}
		q.Page = n
	}
	res, err := s.contracts.List(ctx, v.Domain, q)
	if err != nil {
		return badQuery(err)
	}
	gaps, err := s.contracts.BAAGaps(ctx, v.Domain)
	if err != nil {
		return err
	}
	owners, _, err := s.contractOwners(c)
	if err != nil {
		return err
	}
	view := ContractListView{Page: s.page(c, "Contracts and BAAs"), Result: res, Query: f, Gaps: len(gaps), Owners: owners,
		Types: contractTypeOptions(), CanEdit: s.can(c, authz.Edit, authz.Every(authz.ClassContract)), Sorts: map[string]SortLink{}}
	if view.Vendors, err = s.vendorOptions(c, f.Vendor); err != nil {
		return err
	}
	labels := termLabels()
	for _, r := range res.Rows {
		row := ContractRow{Row: r, WindowLabel: contract.WindowLabel(r.Window), Days: daysPhrase(r.DaysToExpiry),
			Urgent: r.Window == contract.WindowExpired || r.Window == contract.WindowPastNotice || r.Window == contract.Window30}
		for _, k := range r.MissingTerms {
			row.Missing = append(row.Missing, labels[k])
		}
		view.Rows = append(view.Rows, row)
	}
	counts := map[string]int{"": res.Counts.All, contract.WindowInForce: res.Counts.InForce, contract.Window30: res.Counts.Within30,
		contract.Window60: res.Counts.Within60, contract.Window90: res.Counts.Within90, contract.WindowPastNotice: res.Counts.PastNotice,
		contract.WindowExpired: res.Counts.Expired, contract.WindowDraft: res.Counts.Draft, contract.WindowTerminated: res.Counts.Terminated}
	for _, w := range append([]string{""}, contract.Windows()...) {
		label := "All"
		if w != "" {
			label = contract.WindowLabel(w)
		}
		view.Tabs = append(view.Tabs, WindowTab{Label: label, Href: f.listHref(w, f.Sort, 1), Count: counts[w], Current: w == f.Window})
	}
	view.Filtered = len(f.args()) > 0
	if f.Window != "" {
		view.WindowWords = contract.WindowLabel(f.Window)
	}
	export := f.args()
	if f.Window != "" {
		export.Set("window", f.Window)
	}
	if f.Sort != "expiry" {
		export.Set("sort", f.Sort)
	}
	view.ExportCSV, view.ExportXLSX = withQuery("/contracts/export.csv", export), withQuery("/contracts/export.xlsx", export)
	for _, col := range []string{"title", "vendor", "type", "status", "expiry", "notice"} {
		link := SortLink{}
		next := col
		switch f.Sort {
		case col:
			link.Dir, next = "ascending", "-"+col
		case "-" + col:
			link.Dir = "descending"
		}
		link.Href = f.listHref(f.Window, next, 1)
		view.Sorts[col] = link
	}
	for p := 1; p <= res.Pages; p++ {
		view.Pager = append(view.Pager, PageLink{Label: strconv.Itoa(p), Href: f.listHref(f.Window, f.Sort, p), Current: p == res.Page})
	}
	return s.render(c, "contracts", view)
}

// contractExport writes every contract the filters select (the window and
// sort included, paging not) as CSV or XLSX. The export names owners and
// agreements: who took it is recorded.
func (s *Server) contractExport(format string) fiber.Handler {
	return func(c *fiber.Ctx) error {
		ctx, v := c.UserContext(), viewer(c)
		rows, err := s.contracts.Rows(ctx, v.Domain, contractQueryForm(c).query())
		if err != nil {
			return badQuery(err)
		}
		var buf bytes.Buffer
		if format == "csv" {
			err = contract.ExportCSV(&buf, rows)
			c.Set(fiber.HeaderContentType, "text/csv; charset=utf-8")
		} else {
			err = contract.ExportXLSX(&buf, rows)
			c.Set(fiber.HeaderContentType, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
		}
		if err != nil {
			return err
		}
		if _, err := s.audit.Append(ctx, audit.Entry{Action: "contract.export", ObjectType: "contract", Domain: v.Domain,
			Details: map[string]string{"format": format, "rows": strconv.Itoa(len(rows)), "filters": string(c.Request().URI().QueryString())}}); err != nil {
			return err
		}
		attachment(c, "contracts-"+s.now().UTC().Format("20060102")+"."+format)
		c.Set(fiber.HeaderCacheControl, "no-store")
		return c.Send(buf.Bytes())
	}
}

// BAAGapView lists the vendors that handle PHI with no BAA in force.
type BAAGapView struct {
	Page
	Vendors []BAAGapRow
	CanEdit bool
	Labels  Labels
}

// BAAGapRow is one vendor on the BAA gap page.
type BAAGapRow struct {
	supplier.Vendor
	OwnerName string
}

func (s *Server) baaGapList(c *fiber.Ctx) error {
	gaps, err := s.contracts.BAAGaps(c.UserContext(), viewer(c).Domain)
	if err != nil {
		return err
	}
	_, names, err := s.userOptions(c)
	if err != nil {
		return err
	}
	view := BAAGapView{Page: s.page(c, "PHI vendors without a BAA"), CanEdit: s.can(c, authz.Edit, authz.Every(authz.ClassContract))}
	for _, v := range gaps {
		view.Vendors = append(view.Vendors, BAAGapRow{Vendor: v, OwnerName: names[v.Owner]})
	}
	return s.render(c, "baa_gaps", view)
}

func contractTypeOptions() []Option {
	var out []Option
	for _, t := range contract.Types() {
		out = append(out, Option{Value: string(t), Label: t.Label()})
	}
	return out
}

// vendorOptions lists the register's vendors by name for a picker; those
// terminated are left out unless keep names one.
func (s *Server) vendorOptions(c *fiber.Ctx, keep string) ([]Option, error) {
	var out []Option
	err := s.suppliers.All(c.UserContext(), viewer(c).Domain, supplier.Query{Sort: "name"}, func(v supplier.Vendor) error {
		if v.Status == supplier.Terminated && v.ID != keep {
			return nil
		}
		label := v.Label()
		if v.HandlesPHI() {
			label += " (PHI)"
		}
		out = append(out, Option{Value: v.ID, Label: label})
		return nil
	})
	return out, err
}

// termLabels are the BAA checklist's labels by key.
func termLabels() map[string]string {
	out := map[string]string{}
	for _, t := range contract.BAATermList() {
		out[t.Key] = t.Label
	}
	return out
}

// daysPhrase words a count of days to a date.
func daysPhrase(days *int) string {
	switch {
	case days == nil:
		return ""
	case *days == 0:
		return "today"
	case *days == 1:
		return "tomorrow"
	case *days == -1:
		return "yesterday"
	case *days < 0:
		return fmt.Sprintf("%d days ago", -*days)
	}
	return fmt.Sprintf("in %d days", *days)
}
