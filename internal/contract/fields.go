package contract

import (
	"context"
	"fmt"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"dossier/internal/access"
	"dossier/internal/errs"
	"dossier/internal/supplier"
)

// Fields are a contract's editable fields: everything people type. Status,
// files, holds and retention change through their own steps.
type Fields struct {
	VendorID              string    `json:"vendor_id"`
	Type                  Type      `json:"type"`
	Title                 string    `json:"title"`
	CounterpartySignatory string    `json:"counterparty_signatory"`
	Effective             time.Time `json:"effective"` // the date counts (UTC); zero: not yet known (drafts)
	Expiry                time.Time `json:"expiry"`    // zero for evergreen contracts
	Evergreen             bool      `json:"evergreen"`
	AutoRenewMonths       int       `json:"auto_renew_months"`
	NoticeDays            int       `json:"notice_days"`
	Owner                 string    `json:"owner"` // user id
	RelatedServices       string    `json:"related_services"`
	Notes                 string    `json:"notes"`
	BAA                   *BAATerms `json:"baa"` // for type baa; ignored otherwise
}

// Limits on what a contract holds.
const (
	MaxTitle       = 200
	MaxSignatory   = 200
	MaxServices    = 2000
	MaxNotes       = 10000
	MaxNoticeDays  = 3650
	MaxRenewMonths = 120
	MaxReason      = 1000 // of a termination, hold, deletion or disposal
	maxID          = 64
	maxSearch      = 200
)

// Paging of lists.
const (
	DefaultPerPage = 25
	MaxPerPage     = 100
)

// retentionSlack is how many days before a running contract's file
// retention would fall short the daily sweep tops it up.
const retentionSlack = 365

// Fields returns the contract's editable fields, to fill an edit form.
func (c Contract) Fields() Fields {
	f := Fields{VendorID: c.VendorID, Type: c.Type, Title: c.Title, CounterpartySignatory: c.CounterpartySignatory,
		Effective: c.Effective, Expiry: c.Expiry, Evergreen: c.Evergreen, AutoRenewMonths: c.AutoRenewMonths,
		NoticeDays: c.NoticeDays, Owner: c.Owner, RelatedServices: c.RelatedServices, Notes: c.Notes}
	if c.BAA != nil {
		t := *c.BAA
		f.BAA = &t
	}
	return f
}

func (c *Contract) apply(f Fields, v supplier.Vendor) {
	c.VendorID, c.VendorName, c.Type, c.Title, c.CounterpartySignatory = v.ID, v.LegalName, f.Type, f.Title, f.CounterpartySignatory
	c.Effective, c.Expiry, c.Evergreen, c.AutoRenewMonths, c.NoticeDays = f.Effective, f.Expiry, f.Evergreen, f.AutoRenewMonths, f.NoticeDays
	c.Owner, c.RelatedServices, c.Notes, c.BAA = f.Owner, f.RelatedServices, f.Notes, f.BAA
}

type checker struct{ problems map[string]string }

func (c *checker) add(field, format string, args ...any) {
	if c.problems == nil {
		c.problems = map[string]string{}
	}
	if _, ok := c.problems[field]; !ok { // the first problem with a field is the one to fix first
		c.problems[field] = fmt.Sprintf(format, args...)
	}
}

func (c *checker) err() error {
	if len(c.problems) == 0 {
		return nil
	}
	return errs.Fields(c.problems)
}

// line cleans one line of text: spaces collapsed, no control characters.
func (c *checker) line(field, label, s string, max int, required bool) string {
	if !utf8.ValidString(s) || strings.IndexFunc(s, isBadControl) >= 0 {
		c.add(field, "%s cannot contain control characters.", label)
		return s
	}
	s = strings.Join(strings.Fields(s), " ")
	switch n := utf8.RuneCountInString(s); {
	case n == 0 && required:
		c.add(field, "Enter the %s.", strings.ToLower(label))
	case n > max:
		c.add(field, "%s can be at most %d characters.", label, max)
	}
	return s
}

// text cleans free text: line breaks kept, other control characters refused.
func (c *checker) text(field, label, s string, max int) string {
	s = strings.ReplaceAll(strings.ReplaceAll(s, "\r\n", "\n"), "\r", "\n")
	if !utf8.ValidString(s) || strings.IndexFunc(s, isBadControl) >= 0 {
		c.add(field, "%s cannot contain control characters.", label)
		return s
	}
	s = strings.TrimSpace(s)
	if n := utf8.RuneCountInString(s); n > max {
		c.add(field, "%s can be at most %d characters.", label, max)
	}
	return s
}

func isBadControl(r rune) bool { return unicode.IsControl(r) && r != '\n' && r != '\t' }

// clean checks f for a contract that is or will be in status, adding every
// problem to c, and returns it tidied with the vendor it names; its error
// is for failures other than the input's. A contract in force needs its
// dates and an owner; a draft may leave them open.
func (s *Service) clean(ctx context.Context, c *checker, domain string, f Fields, status Status) (Fields, supplier.Vendor, error) {
	var v supplier.Vendor
	switch f.VendorID = strings.TrimSpace(f.VendorID); {
	case f.VendorID == "":
		c.add("vendor_id", "Choose the vendor the contract is with.")
	case len(f.VendorID) > maxID:
		c.add("vendor_id", "There is no such vendor in the register.")
	default:
		var err error
		v, err = s.o.Vendors.Get(ctx, domain, f.VendorID)
		switch {
		case errs.Is(err, errs.NotFound):
			c.add("vendor_id", "There is no such vendor in the register.")
		case err != nil:
			return f, v, err
		}
	}
	f.Type = Type(strings.ToLower(strings.TrimSpace(string(f.Type))))
	if f.Type == "" {
		c.add("type", "Choose the type of contract.")
	} else if !f.Type.valid() {
		c.add("type", "The type is one of MSA, BAA, DPA, NDA, SOW, SLA or other.")
	}
	f.Title = c.line("title", "The title", f.Title, MaxTitle, true)
	f.CounterpartySignatory = c.line("counterparty_signatory", "The counterparty signatory", f.CounterpartySignatory, MaxSignatory, false)
	f.RelatedServices = c.text("related_services", "The related services", f.RelatedServices, MaxServices)
	f.Notes = c.text("notes", "The notes", f.Notes, MaxNotes)

	f.Effective, f.Expiry = Day(f.Effective), Day(f.Expiry)
	switch {
	case f.Evergreen && !f.Expiry.IsZero():
		c.add("evergreen", "An evergreen contract has no expiry date: clear the expiry date or untick evergreen.")
	case !f.Effective.IsZero() && !f.Expiry.IsZero() && f.Expiry.Before(f.Effective):
		c.add("expiry", "The expiry date (%s) is before the effective date (%s).", f.Expiry.Format(time.DateOnly), f.Effective.Format(time.DateOnly))
	}
	switch {
	case f.AutoRenewMonths < 0 || f.AutoRenewMonths > MaxRenewMonths:
		c.add("auto_renew_months", "The renewal term is 0 (no auto-renewal) to %d months.", MaxRenewMonths)
	case f.AutoRenewMonths > 0 && f.Evergreen:
		c.add("auto_renew_months", "An evergreen contract has no term to renew: set the renewal term to 0.")
	}
	if f.NoticeDays < 0 || f.NoticeDays > MaxNoticeDays {
		c.add("notice_days", "The notice period is 0 to %d days.", MaxNoticeDays)
	}
	if status == InForce {
		for _, p := range f.inForceNeeds() {
			c.add(p.Field, "%s", p.Message)
		}
	}
	switch f.Owner = strings.TrimSpace(f.Owner); {
	case f.Owner == "":
	case len(f.Owner) > maxID:
		c.add("owner", "There is no such user.")
	case s.o.Users != nil:
		u, err := s.o.Users.User(ctx, f.Owner)
		switch {
		case errs.Is(err, errs.NotFound):
			c.add("owner", "There is no such user.")
		case err != nil:
			return f, v, err
		case u.Status != access.Active:
			c.add("owner", "%s's account is disabled; choose an active user.", u.Name)
		case s.o.MayOwn != nil && !s.o.MayOwn(u.ID, domain):
			c.add("owner", "%s may not see contracts; choose someone who may (legal or procurement).", u.Name)
		}
	}
	if f.Type == BAA {
		var t BAATerms
		if f.BAA != nil {
			t = *f.BAA
		}
		switch {
		case t.NoticeWindowDays < 0 || t.NoticeWindowDays > MaxNoticeWindowDays:
			c.add("baa.notice_window_days", "HIPAA gives a business associate at most %d days to report a breach (45 CFR 164.410(b)); enter 1 to %d.", MaxNoticeWindowDays, MaxNoticeWindowDays)
		case t.ReportIncidents && t.NoticeWindowDays == 0:
			c.add("baa.notice_window_days", "Enter the number of days the vendor has to report a breach or security incident.")
		}
		f.BAA = &t
	} else {
		f.BAA = nil
	}
	return f, v, nil
}

func checkDomain(domain string) error {
	if domain == "" || len(domain) > 128 || strings.ContainsAny(domain, "|\x00") || !utf8.ValidString(domain) {
		return errs.E(errs.Invalid, "A domain must be a hospital id.")
	}
	return nil
}
