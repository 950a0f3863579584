package contract

import (
	"context"
	"strings"
	"time"
	"unicode/utf8"

	"dossier/internal/access"
	"dossier/internal/errs"
	"dossier/internal/field"
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

// checker collects a contract's field problems.
type checker struct{ field.Checker }

// clean checks f for a contract that is or will be in status, adding every
// problem to c, and returns it tidied with the vendor it names; its error
// is for failures other than the input's. A contract in force needs its
// dates and an owner; a draft may leave them open.
func (s *Service) clean(ctx context.Context, c *checker, domain string, f Fields, status Status) (Fields, supplier.Vendor, error) {
	var v supplier.Vendor
	switch f.VendorID = strings.TrimSpace(f.VendorID); {
	case f.VendorID == "":
		c.Add("vendor_id", "Choose the vendor the contract is with.")
	case len(f.VendorID) > maxID:
		c.Add("vendor_id", "There is no such vendor in the register.")
	default:
		var err error
		v, err = s.o.Vendors.Get(ctx, domain, f.VendorID)
		switch {
		case errs.Is(err, errs.NotFound):
			c.Add("vendor_id", "There is no such vendor in the register.")
		case err != nil:
			return f, v, err
		}
	}
	f.Type = Type(strings.ToLower(strings.TrimSpace(string(f.Type))))
	if f.Type == "" {
		c.Add("type", "Choose the type of contract.")
	} else if !f.Type.valid() {
		c.Add("type", "The type is one of MSA, BAA, DPA, NDA, SOW, SLA or other.")
	}
	f.Title = c.Line("title", "The title", f.Title, MaxTitle, true)
	f.CounterpartySignatory = c.Line("counterparty_signatory", "The counterparty signatory", f.CounterpartySignatory, MaxSignatory, false)
	f.RelatedServices = c.Text("related_services", "The related services", f.RelatedServices, MaxServices)
	f.Notes = c.Text("notes", "The notes", f.Notes, MaxNotes)

	f.Effective, f.Expiry = Day(f.Effective), Day(f.Expiry)
	switch {
	case f.Evergreen && !f.Expiry.IsZero():
		c.Add("evergreen", "An evergreen contract has no expiry date: clear the expiry date or untick evergreen.")
	case !f.Effective.IsZero() && !f.Expiry.IsZero() && f.Expiry.Before(f.Effective):
		c.Add("expiry", "The expiry date (%s) is before the effective date (%s).", f.Expiry.Format(time.DateOnly), f.Effective.Format(time.DateOnly))
	}
	switch {
	case f.AutoRenewMonths < 0 || f.AutoRenewMonths > MaxRenewMonths:
		c.Add("auto_renew_months", "The renewal term is 0 (no auto-renewal) to %d months.", MaxRenewMonths)
	case f.AutoRenewMonths > 0 && f.Evergreen:
		c.Add("auto_renew_months", "An evergreen contract has no term to renew: set the renewal term to 0.")
	}
	if f.NoticeDays < 0 || f.NoticeDays > MaxNoticeDays {
		c.Add("notice_days", "The notice period is 0 to %d days.", MaxNoticeDays)
	}
	if status == InForce {
		for _, p := range f.inForceNeeds() {
			c.Add(p.Field, "%s", p.Message)
		}
	}
	switch f.Owner = strings.TrimSpace(f.Owner); {
	case f.Owner == "":
	case len(f.Owner) > maxID:
		c.Add("owner", "There is no such user.")
	case s.o.Users != nil:
		u, err := s.o.Users.User(ctx, f.Owner)
		switch {
		case errs.Is(err, errs.NotFound):
			c.Add("owner", "There is no such user.")
		case err != nil:
			return f, v, err
		case u.Status != access.Active:
			c.Add("owner", "%s's account is disabled; choose an active user.", u.Name)
		case s.o.MayOwn != nil && !s.o.MayOwn(u.ID, domain):
			c.Add("owner", "%s may not see contracts; choose someone who may (legal or procurement).", u.Name)
		}
	}
	if f.Type == BAA {
		var t BAATerms
		if f.BAA != nil {
			t = *f.BAA
		}
		switch {
		case t.NoticeWindowDays < 0 || t.NoticeWindowDays > MaxNoticeWindowDays:
			c.Add("baa.notice_window_days", "HIPAA gives a business associate at most %d days to report a breach (45 CFR 164.410(b)); enter 1 to %d.", MaxNoticeWindowDays, MaxNoticeWindowDays)
		case t.ReportIncidents && t.NoticeWindowDays == 0:
			c.Add("baa.notice_window_days", "Enter the number of days the vendor has to report a breach or security incident.")
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
