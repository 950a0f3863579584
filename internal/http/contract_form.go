package http

import (
	"errors"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"dossier/internal/authz"
	"dossier/internal/contract"
	"dossier/internal/errs"
)

// ContractFormView is the form that records a contract or edits one.
type ContractFormView struct {
	Page
	ID       string // "" when creating
	Version  int64
	F        ContractForm
	Errors   map[string]string
	Others   []string // messages about no field the form shows
	Conflict bool     // someone else saved meanwhile; the input is kept
	Status   contract.Status
	Types    []Option
	Owners   []Option
	Vendors  []Option
	Terms    []TermView
}

// ContractForm is the contract form as typed: numbers and dates as text,
// so a mistyped value comes back as it was.
type ContractForm struct {
	VendorID, Type, Title, Signatory, Effective, Expiry string
	Evergreen                                           bool
	AutoRenew, NoticeDays, Owner, Services, Notes       string
	Terms                                               map[string]bool // the BAA checklist, by term key
	NoticeWindow                                        string          // days to report a breach
}

// TermView is one term of the BAA checklist.
type TermView struct {
	contract.BAATerm
	Checked bool
}

// contractFormFields are the fields the form shows an error beside.
var contractFormFields = []string{"vendor_id", "type", "title", "counterparty_signatory", "effective", "expiry", "evergreen",
	"auto_renew_months", "notice_days", "owner", "related_services", "notes", "baa.notice_window_days"}

func contractFormOf(f contract.Fields) ContractForm {
	out := ContractForm{VendorID: f.VendorID, Type: string(f.Type), Title: f.Title, Signatory: f.CounterpartySignatory,
		Effective: formDay(f.Effective), Expiry: formDay(f.Expiry), Evergreen: f.Evergreen, Owner: f.Owner,
		Services: f.RelatedServices, Notes: f.Notes, Terms: map[string]bool{}}
	if f.AutoRenewMonths > 0 {
		out.AutoRenew = strconv.Itoa(f.AutoRenewMonths)
	}
	if f.NoticeDays > 0 {
		out.NoticeDays = strconv.Itoa(f.NoticeDays)
	}
	if f.BAA != nil {
		// A stored reporting term always has a valid window, so Has is
		// the box as it was ticked.
		for _, t := range contract.BAATermList() {
			out.Terms[t.Key] = f.BAA.Has(t.Key)
		}
		if f.BAA.NoticeWindowDays > 0 {
			out.NoticeWindow = strconv.Itoa(f.BAA.NoticeWindowDays)
		}
	}
	return out
}

func formDay(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.DateOnly)
}

// contractFormValues reads the form as typed.
func contractFormValues(c *fiber.Ctx) ContractForm {
	f := ContractForm{VendorID: c.FormValue("vendor_id"), Type: c.FormValue("type"), Title: c.FormValue("title"),
		Signatory: c.FormValue("counterparty_signatory"), Effective: strings.TrimSpace(c.FormValue("effective")),
		Expiry: strings.TrimSpace(c.FormValue("expiry")), Evergreen: c.FormValue("evergreen") == "on",
		AutoRenew: strings.TrimSpace(c.FormValue("auto_renew_months")), NoticeDays: strings.TrimSpace(c.FormValue("notice_days")),
		Owner: c.FormValue("owner"), Services: c.FormValue("related_services"), Notes: c.FormValue("notes"),
		Terms: map[string]bool{}, NoticeWindow: strings.TrimSpace(c.FormValue("baa.notice_window_days"))}
	for _, t := range contract.BAATermList() {
		f.Terms[t.Key] = c.FormValue("baa."+t.Key) == "on"
	}
	return f
}

// fields turns the form into the service's fields. A date or number that
// cannot be read is refused here, with every such problem at once, before
// the service sees a zero in its place.
func (f ContractForm) fields() (contract.Fields, error) {
	problems := map[string]string{}
	day := func(field, raw string) time.Time {
		t, err := apiDate(field, raw)
		if err != nil {
			problems[field] = errs.Message(err)
		}
		return t
	}
	number := func(field, raw, example string) int {
		if raw == "" {
			return 0
		}
		n, err := strconv.Atoi(raw)
		if err != nil || n < 0 {
			problems[field] = "Give a whole number, such as " + example + "."
		}
		return n
	}
	out := contract.Fields{VendorID: f.VendorID, Type: contract.Type(f.Type), Title: f.Title, CounterpartySignatory: f.Signatory,
		Effective: day("effective", f.Effective), Expiry: day("expiry", f.Expiry), Evergreen: f.Evergreen,
		AutoRenewMonths: number("auto_renew_months", f.AutoRenew, "12"), NoticeDays: number("notice_days", f.NoticeDays, "90"),
		Owner: f.Owner, RelatedServices: f.Services, Notes: f.Notes}
	if out.Type == contract.BAA {
		t := contract.BAATerms{NoticeWindowDays: number("baa.notice_window_days", f.NoticeWindow, "30")}
		for k, on := range f.Terms {
			t.Set(k, on)
		}
		out.BAA = &t
	}
	if len(problems) > 0 {
		return out, errs.Fields(problems)
	}
	return out, nil
}

// contractFormView is the form for k as typed in f, at the version the
// editor opened; a zero k is a new contract.
func (s *Server) contractFormView(c *fiber.Ctx, k contract.Contract, version int64, f ContractForm) (ContractFormView, error) {
	owners, _, err := s.contractOwners(c)
	if err != nil {
		return ContractFormView{}, err
	}
	title := "New contract"
	if k.ID != "" {
		title = "Edit " + k.Title
	}
	view := ContractFormView{Page: s.page(c, title), ID: k.ID, Version: version, F: f, Status: k.Status, Errors: map[string]string{},
		Types: contractTypeOptions(), Owners: owners}
	if view.Vendors, err = s.vendorOptions(c, f.VendorID); err != nil {
		return view, err
	}
	for _, t := range contract.BAATermList() {
		view.Terms = append(view.Terms, TermView{BAATerm: t, Checked: f.Terms[t.Key]})
	}
	return view, nil
}

// contractOwners lists for owner pickers the active people who may view
// the domain's contracts, as the service asks of an owner (reminders and
// the calendar feed tell the owner about the contract), and everyone's
// names by id, for owners already named.
func (s *Server) contractOwners(c *fiber.Ctx) ([]Option, map[string]string, error) {
	opts, names, err := s.userOptions(c)
	if err != nil {
		return nil, nil, err
	}
	domain := viewer(c).Domain
	opts = slices.DeleteFunc(opts, func(o Option) bool {
		return !s.authz.Can(o.Value, domain, authz.Every(authz.ClassContract), authz.View)
	})
	return opts, names, nil
}

func (s *Server) contractNew(c *fiber.Ctx) error {
	f := ContractForm{VendorID: c.Query("vendor"), Type: c.Query("type"), Owner: viewer(c).User.ID, Terms: map[string]bool{}}
	if f.Type == string(contract.BAA) {
		f.Title = "Business associate agreement"
	}
	view, err := s.contractFormView(c, contract.Contract{}, 0, f)
	if err != nil {
		return err
	}
	return s.render(c, "contract_form", view)
}

func (s *Server) contractCreate(c *fiber.Ctx) error {
	form := contractFormValues(c)
	f, err := form.fields()
	if err == nil {
		var k contract.Contract
		if k, err = s.contracts.Create(c.UserContext(), viewer(c).Domain, f); err == nil {
			return s.redirect(c, contractPath(k.ID), "Saved as a draft. Upload the signed copy, then put it in force.")
		}
	}
	return s.contractFormFailed(c, "", 0, form, err)
}

func (s *Server) contractEdit(c *fiber.Ctx) error {
	k, err := s.contracts.Get(c.UserContext(), viewer(c).Domain, c.Params("id"))
	if err != nil {
		return err
	}
	// Refused as saving it would be.
	if err := k.Editable(s.canManageContract(c)); err != nil {
		return err
	}
	view, err := s.contractFormView(c, k, k.Version, contractFormOf(k.Fields()))
	if err != nil {
		return err
	}
	return s.render(c, "contract_form", view)
}

func (s *Server) contractUpdate(c *fiber.Ctx) error {
	form := contractFormValues(c)
	version, err := formVersion(c)
	if err != nil {
		return err
	}
	f, err := form.fields()
	if err == nil {
		var k contract.Contract
		if k, err = s.contracts.Update(c.UserContext(), viewer(c).Domain, c.Params("id"), version, f, s.canManageContract(c)); err == nil {
			return s.redirect(c, contractPath(k.ID), "Saved.")
		}
	}
	return s.contractFormFailed(c, c.Params("id"), version, form, err)
}

// contractFormFailed shows the form again with what was typed, each
// message beside its field; a concurrent save keeps the input and says so.
// id is "" for a new contract.
func (s *Server) contractFormFailed(c *fiber.Ctx, id string, version int64, form ContractForm, err error) error {
	if !errs.Is(err, errs.Invalid) && !errs.Is(err, errs.Conflict) {
		return err
	}
	var k contract.Contract // as it stands now: its title, status and version
	if id != "" {
		var gerr error
		if k, gerr = s.contracts.Get(c.UserContext(), viewer(c).Domain, id); gerr != nil {
			return gerr
		}
	}
	view, verr := s.contractFormView(c, k, version, form)
	if verr != nil {
		return verr
	}
	var all errs.FieldErrors
	switch {
	case errors.As(err, &all) || errs.FieldOf(err) != "":
		view.Errors = errs.ByField(err)
	case errs.Is(err, errs.Conflict) && id != "" && k.Version != version:
		// Someone else saved it meanwhile.
		view.Conflict = true
	default:
		view.Others = append(view.Others, errs.Message(err))
	}
	known := map[string]bool{}
	for _, f := range contractFormFields {
		known[f] = true
	}
	for f, msg := range view.Errors {
		if !known[f] {
			view.Others = append(view.Others, msg)
		}
	}
	c.Status(status(errs.Code(err)))
	return s.render(c, "contract_form", view)
}
