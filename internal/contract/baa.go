package contract

import (
	"context"
	"fmt"
	"strings"

	"dossier/internal/supplier"
)

// BAATerms is the checklist of what 45 CFR 164.504(e) requires a business
// associate agreement to say, as legal ticked it after reading the signed
// BAA. Each term is a bool; BAATermList gives their labels and citations.
// Every term is stored, ticked or not: with only the ticked ones stored,
// swapping one term for another would leave a document of the same
// values under other keys, which the embedded engine (FerretDB v1)
// takes for unchanged and does not write.
type BAATerms struct {
	PermittedUses    bool `bson:"permitted_uses" json:"permitted_uses"`
	NoOtherUse       bool `bson:"no_other_use" json:"no_other_use"`
	Safeguards       bool `bson:"safeguards" json:"safeguards"`
	ReportIncidents  bool `bson:"report_incidents" json:"report_incidents"`
	NoticeWindowDays int  `bson:"notice_window_days" json:"notice_window_days"` // days the vendor has to report a breach or incident
	Subcontractors   bool `bson:"subcontractors" json:"subcontractors"`
	IndividualRights bool `bson:"individual_rights" json:"individual_rights"`
	HHSAccess        bool `bson:"hhs_access" json:"hhs_access"`
	ReturnOrDestroy  bool `bson:"return_or_destroy" json:"return_or_destroy"`
}

// MaxNoticeWindowDays is the longest breach-report window HIPAA allows a
// business associate: 60 days from discovery (45 CFR 164.410(b)).
const MaxNoticeWindowDays = 60

// BAATerm is one term of the checklist.
type BAATerm struct {
	Key      string `json:"key"` // the BAATerms field's JSON name
	Label    string `json:"label"`
	Citation string `json:"citation"`
}

// BAATermList lists the terms 164.504(e) requires, in display order.
func BAATermList() []BAATerm {
	return []BAATerm{
		{"permitted_uses", "Permitted and required uses and disclosures of PHI by the business associate", "45 CFR 164.504(e)(2)(i)"},
		{"no_other_use", "No use or further disclosure other than the agreement permits or the law requires", "45 CFR 164.504(e)(2)(ii)(A)"},
		{"safeguards", "Appropriate safeguards, and Security Rule compliance for electronic PHI", "45 CFR 164.504(e)(2)(ii)(B); 164.314(a)(2)(i)(A)"},
		{"report_incidents", "Reporting of uses or disclosures not provided for, breaches of unsecured PHI and security incidents", "45 CFR 164.504(e)(2)(ii)(C); 164.314(a)(2)(i)(C); 164.410"},
		{"subcontractors", "Subcontractors that handle PHI agree to the same restrictions and conditions", "45 CFR 164.504(e)(2)(ii)(D); 164.314(a)(2)(i)(B)"},
		{"individual_rights", "Individuals' access, amendment and accounting of disclosures", "45 CFR 164.504(e)(2)(ii)(E)–(G)"},
		{"hhs_access", "Internal practices, books and records available to HHS", "45 CFR 164.504(e)(2)(ii)(I)"},
		{"return_or_destroy", "Return or destruction of all PHI at termination", "45 CFR 164.504(e)(2)(ii)(J)"},
	}
}

// Has reports whether the term with this key is ticked. The breach and
// incident reporting term counts only with a notice window of 1 to 60 days.
func (t BAATerms) Has(key string) bool {
	switch key {
	case "permitted_uses":
		return t.PermittedUses
	case "no_other_use":
		return t.NoOtherUse
	case "safeguards":
		return t.Safeguards
	case "report_incidents":
		return t.ReportIncidents && t.NoticeWindowDays > 0 && t.NoticeWindowDays <= MaxNoticeWindowDays
	case "subcontractors":
		return t.Subcontractors
	case "individual_rights":
		return t.IndividualRights
	case "hhs_access":
		return t.HHSAccess
	case "return_or_destroy":
		return t.ReturnOrDestroy
	}
	return false
}

// Set ticks (on) or clears the term with this key; an unknown key is
// ignored. The breach notice window is set apart, in NoticeWindowDays.
func (t *BAATerms) Set(key string, on bool) {
	switch key {
	case "permitted_uses":
		t.PermittedUses = on
	case "no_other_use":
		t.NoOtherUse = on
	case "safeguards":
		t.Safeguards = on
	case "report_incidents":
		t.ReportIncidents = on
	case "subcontractors":
		t.Subcontractors = on
	case "individual_rights":
		t.IndividualRights = on
	case "hhs_access":
		t.HHSAccess = on
	case "return_or_destroy":
		t.ReturnOrDestroy = on
	}
}

// MissingTerms lists the terms not ticked, in display order.
func (t BAATerms) MissingTerms() []BAATerm {
	var out []BAATerm
	for _, term := range BAATermList() {
		if !t.Has(term.Key) {
			out = append(out, term)
		}
	}
	return out
}

// AllTerms is a checklist with every term ticked and the given breach
// notice window.
func AllTerms(noticeWindowDays int) BAATerms {
	return BAATerms{PermittedUses: true, NoOtherUse: true, Safeguards: true, ReportIncidents: true, NoticeWindowDays: noticeWindowDays,
		Subcontractors: true, IndividualRights: true, HHSAccess: true, ReturnOrDestroy: true}
}

// vendorsWithBAA returns the vendors of a domain that have a BAA in force
// today, from the contract index.
func (s *Service) vendorsWithBAA(ctx context.Context, domain string) (map[string]bool, error) {
	now := s.now()
	out := map[string]bool{}
	err := s.digests(ctx, domain, func(d digest) error {
		if d.Type == BAA && d.contract(domain).InForce(now) {
			out[d.VendorID] = true
		}
		return nil
	})
	return out, err
}

// BAAGaps lists, by name, every vendor of the domain that handles PHI, is
// not terminated, and has no BAA in force today.
func (s *Service) BAAGaps(ctx context.Context, domain string) ([]supplier.Vendor, error) {
	covered, err := s.vendorsWithBAA(ctx, domain)
	if err != nil {
		return nil, err
	}
	out := []supplier.Vendor{}
	err = s.o.Vendors.All(ctx, domain, supplier.Query{PHI: "yes", Sort: "name"}, func(v supplier.Vendor) error {
		if v.HandlesPHI() && v.Status != supplier.Terminated && !covered[v.ID] {
			out = append(out, v)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// BAAStatus is a vendor's BAA standing, for the vendor page.
type BAAStatus struct {
	NeedsBAA bool       // the vendor handles PHI
	InForce  *Contract  // the BAA in force today with the fewest missing terms; nil: none
	Missing  []BAATerm  // the terms it lacks
	Others   []Contract // the vendor's other BAAs (drafts, ended), newest first
}

// VendorBAA reports a vendor's BAA standing.
func (s *Service) VendorBAA(ctx context.Context, v supplier.Vendor) (BAAStatus, error) {
	list, err := s.ForVendor(ctx, v.Domain, v.ID)
	if err != nil {
		return BAAStatus{}, err
	}
	st := BAAStatus{NeedsBAA: v.HandlesPHI()}
	now := s.now()
	for i := range list {
		c := list[i]
		if c.Type != BAA {
			continue
		}
		if c.InForce(now) && (st.InForce == nil || len(c.MissingTerms()) < len(st.Missing)) {
			if st.InForce != nil {
				st.Others = append(st.Others, *st.InForce)
			}
			st.InForce, st.Missing = &c, c.MissingTerms()
			continue
		}
		st.Others = append(st.Others, c)
	}
	return st, nil
}

// Register adds the onboarding check "BAA in force when the vendor handles
// PHI" to the supplier register: a BAA in force today whose checklist has
// every term 164.504(e) requires.
func (s *Service) Register(sup *supplier.Service) {
	sup.AddOnboardingCheck(supplier.Check{
		ID:      "baa_in_force",
		Label:   "BAA in force when the vendor handles PHI",
		Applies: supplier.Vendor.HandlesPHI,
		Run: func(ctx context.Context, v supplier.Vendor) (bool, string, error) {
			st, err := s.VendorBAA(ctx, v)
			if err != nil {
				return false, "", err
			}
			switch {
			case st.InForce == nil:
				return false, "Put a signed business associate agreement in force: the vendor handles PHI.", nil
			case len(st.Missing) > 0:
				names := make([]string, len(st.Missing))
				for i, t := range st.Missing {
					names[i] = strings.ToLower(t.Label[:1]) + t.Label[1:]
				}
				return false, fmt.Sprintf("The BAA in force (%s) lacks terms HIPAA requires: %s.", st.InForce.Title, strings.Join(names, "; ")), nil
			}
			return true, "", nil
		},
	})
}
