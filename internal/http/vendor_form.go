package http

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"

	"dossier/internal/errs"
	"dossier/internal/supplier"
)

// Blank rows the form offers beyond what the vendor has, so people add
// contacts and subcontractors without JavaScript.
const (
	spareContacts      = 2
	spareFourthParties = 2
)

// VendorFormView is the create and edit form.
type VendorFormView struct {
	Page
	ID        string // "" when creating
	Version   int64
	F         supplier.Fields
	Contacts  []supplier.Contact     // with blank rows to fill
	Fourth    []supplier.FourthParty // with blank rows to fill
	Errors    map[string]string
	Owners    []Option
	Vendors   []Option // for linking a subcontractor that is itself a vendor
	Duplicate *supplier.Vendor
	Conflict  bool // someone else saved meanwhile; their version is linked
	// Records and Downtime are the numbers as shown: what was typed when
	// the form comes back, so a mistyped number is not replaced by 0.
	Records, Downtime                             string
	Labels                                        Labels
	Systems, Data, Access, Clinical, ContactRoles []Option
}

// Has reports whether values holds v, for checkboxes.
func (VendorFormView) Has(values []string, v string) bool {
	for _, x := range values {
		if x == v {
			return true
		}
	}
	return false
}

func options(codes []string) []Option {
	out := make([]Option, len(codes))
	for i, c := range codes {
		out[i] = Option{Value: c, Label: supplier.Label(c)}
	}
	return out
}

func (s *Server) vendorFormView(c *fiber.Ctx, title, id string, version int64, f supplier.Fields) (VendorFormView, error) {
	owners, _, err := s.userOptions(c)
	if err != nil {
		return VendorFormView{}, err
	}
	view := VendorFormView{Page: s.page(c, title), ID: id, Version: version, F: f, Errors: map[string]string{}, Owners: owners,
		Systems: options(supplier.Systems), Data: options(supplier.DataKinds), Access: options(supplier.AccessModes),
		Clinical: options(supplier.ClinicalImpacts), ContactRoles: options(supplier.ContactRoles)}
	if f.Records > 0 {
		view.Records = strconv.FormatInt(f.Records, 10)
	}
	if f.DowntimeHours > 0 {
		view.Downtime = strconv.Itoa(f.DowntimeHours)
	}
	view.Contacts = append(append([]supplier.Contact(nil), f.Contacts...), make([]supplier.Contact, spareContacts)...)
	view.Fourth = append(append([]supplier.FourthParty(nil), f.FourthParties...), make([]supplier.FourthParty, spareFourthParties)...)
	err = s.suppliers.All(c.UserContext(), viewer(c).Domain, supplier.Query{Sort: "name"}, func(v supplier.Vendor) error {
		if v.ID != id {
			view.Vendors = append(view.Vendors, Option{Value: v.ID, Label: v.Label()})
		}
		return nil
	})
	return view, err
}

// vendorFields reads the form. Rows left blank are dropped; the service
// validates the rest.
func vendorFields(c *fiber.Ctx) supplier.Fields {
	f := supplier.Fields{
		LegalName: c.FormValue("legal_name"), TradingName: c.FormValue("trading_name"), RegistrationID: c.FormValue("registration_id"),
		Website: c.FormValue("website"), Address: c.FormValue("address"), Description: c.FormValue("description"),
		Services: c.FormValue("services"), Systems: formValues(c, "systems"), SystemsOther: c.FormValue("systems_other"),
		Data: formValues(c, "data"), Access: formValues(c, "access"), Clinical: c.FormValue("clinical"),
		Owner: c.FormValue("owner"), Notes: c.FormValue("notes"), Tags: splitTags(c.FormValue("tags")),
	}
	f.Records, _ = strconv.ParseInt(strings.ReplaceAll(strings.TrimSpace(c.FormValue("records", "0")), ",", ""), 10, 64)
	f.DowntimeHours, _ = strconv.Atoi(strings.TrimSpace(c.FormValue("downtime_hours", "0")))
	for i := 0; i < supplier.MaxContacts; i++ {
		p := fmt.Sprintf("contacts.%d.", i)
		ct := supplier.Contact{Name: c.FormValue(p + "name"), Email: c.FormValue(p + "email"), Phone: c.FormValue(p + "phone"), Role: c.FormValue(p + "role")}
		if strings.TrimSpace(ct.Name+ct.Email+ct.Phone) != "" {
			f.Contacts = append(f.Contacts, ct)
		}
	}
	for i := 0; i < supplier.MaxFourthParties; i++ {
		p := fmt.Sprintf("fourth_parties.%d.", i)
		fp := supplier.FourthParty{VendorID: c.FormValue(p + "vendor_id"), Name: c.FormValue(p + "name"), TouchesPHI: c.FormValue(p+"touches_phi") == "on"}
		if strings.TrimSpace(fp.VendorID+fp.Name) != "" {
			f.FourthParties = append(f.FourthParties, fp)
		}
	}
	return f
}

// numbersValid checks the two numeric fields the browser sends as text.
func numbersValid(c *fiber.Ctx) error {
	if v := strings.ReplaceAll(strings.TrimSpace(c.FormValue("records")), ",", ""); v != "" {
		if n, err := strconv.ParseInt(v, 10, 64); err != nil || n < 0 {
			return errs.Field("records", "Give the approximate number of records as a whole number, such as 250000.")
		}
	}
	if v := strings.TrimSpace(c.FormValue("downtime_hours")); v != "" {
		if n, err := strconv.Atoi(v); err != nil || n < 0 {
			return errs.Field("downtime_hours", "Give the tolerable downtime in whole hours, such as 4.")
		}
	}
	return nil
}

// formValues returns every value of a repeated field (checkboxes), from a
// url-encoded or a multipart body.
func formValues(c *fiber.Ctx, name string) []string {
	var out []string
	if mf, err := c.MultipartForm(); err == nil {
		return append(out, mf.Value[name]...)
	}
	for _, b := range c.Request().PostArgs().PeekMulti(name) {
		out = append(out, string(b))
	}
	return out
}

func splitTags(s string) []string {
	var out []string
	for _, t := range strings.Split(s, ",") {
		if t = strings.TrimSpace(t); t != "" {
			out = append(out, t)
		}
	}
	return out
}

func (s *Server) vendorNew(c *fiber.Ctx) error {
	view, err := s.vendorFormView(c, "New vendor", "", 0, supplier.Fields{Owner: viewer(c).User.ID})
	if err != nil {
		return err
	}
	return s.render(c, "vendor_form", view)
}

func (s *Server) vendorCreate(c *fiber.Ctx) error {
	f := vendorFields(c)
	err := numbersValid(c)
	if err == nil {
		var v supplier.Vendor
		if v, err = s.suppliers.Create(c.UserContext(), viewer(c).Domain, f); err == nil {
			return s.redirect(c, "/vendors/"+v.ID, v.Label()+" added to the register as a prospect.")
		}
	}
	return s.vendorFormFailed(c, "New vendor", "", 0, f, err)
}

func (s *Server) vendorEdit(c *fiber.Ctx) error {
	v, err := s.suppliers.Get(c.UserContext(), viewer(c).Domain, c.Params("id"))
	if err != nil {
		return err
	}
	view, err := s.vendorFormView(c, "Edit "+v.Label(), v.ID, v.Version, v.Fields())
	if err != nil {
		return err
	}
	return s.render(c, "vendor_form", view)
}

func (s *Server) vendorUpdate(c *fiber.Ctx) error {
	f := vendorFields(c)
	version, err := formVersion(c)
	if err != nil {
		return err
	}
	if err = numbersValid(c); err == nil {
		var v supplier.Vendor
		if v, err = s.suppliers.Update(c.UserContext(), viewer(c).Domain, c.Params("id"), version, f); err == nil {
			return s.redirect(c, "/vendors/"+v.ID, "Saved.")
		}
	}
	return s.vendorFormFailed(c, "Edit vendor", c.Params("id"), version, f, err)
}

// vendorFormFailed shows the form again with what the person typed, each
// message beside its field; a duplicate links to the vendor already there
// and a concurrent save keeps their input and says so.
func (s *Server) vendorFormFailed(c *fiber.Ctx, title, id string, version int64, f supplier.Fields, err error) error {
	if !errs.Is(err, errs.Invalid) && !errs.Is(err, errs.Conflict) {
		return err
	}
	view, verr := s.vendorFormView(c, title, id, version, f)
	if verr != nil {
		return verr
	}
	view.Records, view.Downtime = c.FormValue("records"), c.FormValue("downtime_hours")
	var dup *supplier.DuplicateError
	var all errs.FieldErrors
	switch {
	case errors.As(err, &all):
		view.Errors = all.ByField()
	case errors.As(err, &dup):
		view.Duplicate = &dup.Existing
		view.Errors[dup.Field] = errs.Message(err)
	case errs.Is(err, errs.Conflict):
		view.Conflict = true
	default:
		view.Errors[fieldOf(err, "form")] = errs.Message(err)
	}
	c.Status(status(errs.Code(err)))
	return s.render(c, "vendor_form", view)
}
