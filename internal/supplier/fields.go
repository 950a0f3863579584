package supplier

import (
	"context"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"unicode"

	"dossier/internal/access"
	"dossier/internal/errs"
	"dossier/internal/field"
	"dossier/internal/text"
)

// Fields are a vendor's editable fields: everything people type. Status,
// risk and the offboarding record change through their own steps.
type Fields struct {
	LegalName      string        `json:"legal_name"`
	TradingName    string        `json:"trading_name"`
	RegistrationID string        `json:"registration_id"`
	Website        string        `json:"website"`
	Address        string        `json:"address"`
	Description    string        `json:"description"`
	Services       string        `json:"services"`
	Systems        []string      `json:"systems"`
	SystemsOther   string        `json:"systems_other"`
	Data           []string      `json:"data"`
	Records        int64         `json:"records"`
	Access         []string      `json:"access"`
	Clinical       string        `json:"clinical"`
	DowntimeHours  int           `json:"downtime_hours"`
	Owner          string        `json:"owner"`
	Contacts       []Contact     `json:"contacts"`
	FourthParties  []FourthParty `json:"fourth_parties"`
	Notes          string        `json:"notes"`
	Tags           []string      `json:"tags"`
}

// Limits on what a vendor may hold.
const (
	MaxName          = 200 // legal and trading name, fourth-party name
	MaxRegID         = 64
	MaxURL           = 500
	MaxAddress       = 1000
	MaxDescription   = 5000
	MaxServices      = 2000
	MaxNotes         = 10000
	MaxContacts      = 20
	MaxFourthParties = 50
	MaxTags          = 30
	MaxTag           = 50
	MaxRecords       = 100_000_000_000
	MaxDowntimeHours = 100_000
	maxContactName   = 100
	maxPhone         = 40
)

// checker is a field.Checker with the register's own kinds of field.
type checker struct{ field.Checker }

// enums cleans a list of codes: each known, no repeats, in the order the
// form lists them. Labels ("Clinical Laboratory") are accepted for codes.
func (c *checker) enums(field, label string, vs []string, allowed []string) []string {
	out := []string{}
	for _, v := range vs {
		if strings.TrimSpace(v) == "" {
			continue
		}
		code, ok := parseValue(v, allowed)
		if !ok {
			c.Add(field, "%q is not one of the %s: %s.", text.Shorten(v, 60), label, labelList(allowed))
			continue
		}
		if !slices.Contains(out, code) {
			out = append(out, code)
		}
	}
	slices.SortFunc(out, func(a, b string) int { return slices.Index(allowed, a) - slices.Index(allowed, b) })
	return out
}

func labelList(codes []string) string {
	ls := make([]string, len(codes))
	for i, c := range codes {
		ls[i] = Label(c)
	}
	return strings.Join(ls, ", ")
}

// clean checks and normalizes f for a vendor in domain. self is the
// vendor's id (a vendor is not its own fourth party). trustedOwner is an
// owner id already checked, or kept from before on update (an owner who
// has since been disabled does not block other edits).
func (s *Service) clean(ctx context.Context, domain, self string, f Fields, trustedOwner string) (Fields, error) {
	var c checker
	f.LegalName = c.Line("legal_name", "Legal name", f.LegalName, MaxName, true)
	if f.LegalName != "" && nameKey(f.LegalName) == "" {
		c.Add("legal_name", "A legal name needs at least one letter or digit.")
	}
	f.TradingName = c.Line("trading_name", "Trading name", f.TradingName, MaxName, false)
	f.RegistrationID = c.Line("registration_id", "Registration id", f.RegistrationID, MaxRegID, false)
	if f.RegistrationID != "" && regKey(f.RegistrationID) == "" {
		c.Add("registration_id", "A registration id needs at least one letter or digit.")
	}
	f.Website = c.website(f.Website)
	f.Address = c.Text("address", "Address", f.Address, MaxAddress)
	f.Description = c.Text("description", "Description", f.Description, MaxDescription)
	f.Services = c.Text("services", "Services", f.Services, MaxServices)
	f.Notes = c.Text("notes", "Notes", f.Notes, MaxNotes)

	f.Systems = c.enums("systems", "hospital systems", f.Systems, systems())
	f.SystemsOther = c.Line("systems_other", "Other systems", f.SystemsOther, MaxName, false)
	if f.SystemsOther != "" && !slices.Contains(f.Systems, SystemOther) {
		f.Systems = append(f.Systems, SystemOther) // SystemOther is last in the list order
	}
	if slices.Contains(f.Systems, SystemOther) && f.SystemsOther == "" {
		c.Add("systems_other", "Name the other systems the vendor touches.")
	}
	f.Data = c.enums("data", "kinds of data", f.Data, dataKinds())
	if slices.Contains(f.Data, DataNone) && len(f.Data) > 1 {
		c.Add("data", "“None” cannot be combined with other kinds of data.")
	}
	f.Access = c.enums("access", "access modes", f.Access, accessModes())
	if slices.Contains(f.Access, AccessSoftwareOnly) && len(f.Access) > 1 {
		c.Add("access", "“Software only” cannot be combined with other access modes.")
	}
	if strings.TrimSpace(f.Clinical) != "" {
		if code, ok := parseValue(f.Clinical, clinicalImpacts()); ok {
			f.Clinical = code
		} else {
			c.Add("clinical", "%q is not a clinical impact: choose %s.", text.Shorten(f.Clinical, 60), labelList(clinicalImpacts()))
		}
	} else {
		f.Clinical = ""
	}
	if f.Records < 0 || f.Records > MaxRecords {
		c.Add("records", "The record volume is a number from 0 (none or unknown) up to %d.", int64(MaxRecords))
	}
	if f.DowntimeHours < 0 || f.DowntimeHours > MaxDowntimeHours {
		c.Add("downtime_hours", "Tolerable downtime is a number of hours from 0 (unknown) up to %d.", MaxDowntimeHours)
	}
	f.Tags = c.tags(f.Tags)
	f.Contacts = c.contacts(f.Contacts)
	var err error
	if f.FourthParties, err = s.fourthParties(ctx, &c, domain, self, f.FourthParties); err != nil {
		return f, err
	}
	f.Owner = strings.TrimSpace(f.Owner)
	if f.Owner != "" && f.Owner != trustedOwner {
		if err := s.checkOwner(ctx, &c, domain, "owner", f.Owner); err != nil {
			return f, err
		}
	}
	return f, c.Err()
}

// website accepts an http(s) address; a bare host name such as
// www.example.com is taken as https.
func (c *checker) website(s string) string {
	s = strings.TrimSpace(s)
	if s == "" {
		return ""
	}
	if !strings.Contains(s, "://") && !strings.ContainsAny(s, " :@") && strings.Contains(s, ".") {
		s = "https://" + s
	}
	u, err := url.Parse(s)
	switch {
	case len(s) > MaxURL:
		c.Add("website", "A web address can be at most %d characters.", MaxURL)
	case err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil ||
		strings.IndexFunc(s, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) }) >= 0:
		c.Add("website", "Enter a web address starting with https:// or http://, such as https://www.example.com.")
	}
	return s
}

func (c *checker) tags(in []string) []string {
	out := []string{}
	seen := map[string]bool{}
	for _, t := range in {
		t = c.Line("tags", "A tag", t, MaxTag, false)
		k := strings.ToLower(t)
		if strings.Contains(t, ";") {
			c.Add("tags", "A tag cannot contain “;”, which separates tags in spreadsheets.")
		}
		if t == "" || seen[k] {
			continue
		}
		seen[k] = true
		out = append(out, t)
	}
	if len(out) > MaxTags {
		c.Add("tags", "A vendor can have at most %d tags.", MaxTags)
	}
	return out
}

func (c *checker) contacts(in []Contact) []Contact {
	if len(in) > MaxContacts {
		c.Add("contacts", "A vendor can have at most %d contacts.", MaxContacts)
		return in
	}
	out := []Contact{}
	for i, ct := range in {
		p := fmt.Sprintf("contacts.%d.", i)
		ct.Name = c.Line(p+"name", "Contact name", ct.Name, maxContactName, true)
		ct.Email = strings.ToLower(strings.TrimSpace(ct.Email))
		if ct.Email != "" && !access.ValidEmail(ct.Email) {
			c.Add(p+"email", "Enter a valid email address, such as name@example.com.")
		}
		ct.Phone = c.Line(p+"phone", "A phone number", ct.Phone, maxPhone, false)
		if ct.Phone != "" && !validPhone(ct.Phone) {
			c.Add(p+"phone", "Enter a phone number with digits, spaces and + ( ) - . only, such as +1 617 555 0100.")
		}
		if code, ok := parseValue(ct.Role, contactRoles()); ok {
			ct.Role = code
		} else if strings.TrimSpace(ct.Role) == "" {
			c.Add(p+"role", "Choose the contact's role: %s.", labelList(contactRoles()))
		} else {
			c.Add(p+"role", "%q is not a contact role: choose %s.", text.Shorten(ct.Role, 60), labelList(contactRoles()))
		}
		out = append(out, ct)
	}
	return out
}

func (s *Service) fourthParties(ctx context.Context, c *checker, domain, self string, in []FourthParty) ([]FourthParty, error) {
	if len(in) > MaxFourthParties {
		c.Add("fourth_parties", "A vendor can list at most %d fourth parties.", MaxFourthParties)
		return in, nil
	}
	out := []FourthParty{}
	for i, fp := range in {
		p := fmt.Sprintf("fourth_parties.%d.", i)
		fp.VendorID = strings.TrimSpace(fp.VendorID)
		if fp.VendorID == "" {
			fp.Name = c.Line(p+"name", "Fourth party name", fp.Name, MaxName, true)
			out = append(out, fp)
			continue
		}
		if fp.VendorID == self {
			c.Add(p+"vendor_id", "A vendor cannot be its own fourth party.")
			continue
		}
		linked, err := s.Get(ctx, domain, fp.VendorID)
		switch {
		case errs.Is(err, errs.NotFound):
			c.Add(p+"vendor_id", "There is no such vendor in the register.")
		case err != nil:
			return nil, err
		default:
			fp.Name = linked.Label()
		}
		out = append(out, fp)
	}
	return out, nil
}

// checkOwner requires an active user on the hospital's staff.
func (s *Service) checkOwner(ctx context.Context, c *checker, domain, field, id string) error {
	if s.o.Users == nil {
		c.Add(field, "No user directory is configured, so no owner can be named.")
		return nil
	}
	u, err := s.o.Users.User(ctx, id)
	switch {
	case errs.Is(err, errs.NotFound):
		c.Add(field, "There is no such user.")
	case err != nil:
		return err
	case u.Status != access.Active:
		c.Add(field, "%s's account is disabled; choose an active user.", u.Name)
	case !s.onStaff(u.ID, domain):
		c.Add(field, "There is no such user.") // the same words: other hospitals' staff stay unseen
	}
	return nil
}

// onStaff reports whether a user holds a role in the hospital.
func (s *Service) onStaff(userID, domain string) bool {
	return s.o.Staff == nil || len(s.o.Staff.Roles(userID, domain)) > 0
}

// validPhone accepts digits, spaces, + ( ) - . / and an extension ("x12",
// "ext. 12"), with at least five digits.
func validPhone(p string) bool {
	lower := strings.ToLower(p)
	lower = strings.Replace(lower, "ext", "x", 1)
	digits := 0
	for _, r := range lower {
		switch {
		case r >= '0' && r <= '9':
			digits++
		case strings.ContainsRune(" +()-./x", r):
		default:
			return false
		}
	}
	return digits >= 5
}
