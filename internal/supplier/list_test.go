package supplier_test

import (
	"slices"
	"testing"
	"time"

	"dossier/internal/errs"
	"dossier/internal/supplier"
)

// listEnv is a small register of six vendors in every state, tier and due
// position, and one vendor of another hospital.
func listEnv(t *testing.T) *env {
	e := newEnv(t, false)
	now := e.clock.Now()
	full := func(name string, systems, data []string, access []string, clinical string) supplier.Fields {
		f := e.pacs()
		f.LegalName, f.TradingName, f.RegistrationID = name, "", ""
		f.Systems, f.Data, f.Access, f.Clinical = systems, data, access, clinical
		return f
	}
	assess := func(v supplier.Vendor, at time.Time) supplier.Vendor {
		e.clock.Advance(time.Minute) // updated times differ
		v, err := e.svc.RecordAssessment(e.ctx, domain, v.ID, at)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	alpha := e.mustCreate(t, full("Alpha PACS Corp", []string{"pacs"}, []string{"phi"}, []string{"remote"}, "high"))
	assess(e.mustMove(t, alpha, supplier.Onboarding, supplier.Active), now.AddDate(0, -11, 0)) // due in a month
	bravo := e.mustCreate(t, full("Bravo RIS Ltd", []string{"ris"}, []string{"phi"}, []string{"remote"}, "moderate"))
	e.mustMove(t, bravo, supplier.Onboarding) // never assessed: due now
	charlie := full("Charlie Payroll Inc", []string{"financial"}, []string{"pii", "financial"}, []string{"hosts_data"}, "none")
	charlie.DowntimeHours, charlie.Records = 72, 0
	assess(e.mustCreate(t, charlie), now.AddDate(0, -1, 0)) // tier 2: due in 23 months
	delta := isp("Delta Fiber LLC")
	assess(e.mustCreate(t, delta), now.AddDate(0, -40, 0)) // tier 3: overdue by 4 months
	echo := full("Echo Lab Systems AS", []string{"lab"}, []string{"phi"}, []string{"medical_device"}, "high")
	echo.TradingName = "Echo"
	e.mustMove(t, e.mustCreate(t, echo), supplier.Terminated)
	fox := full("Foxtrot Finance", []string{"financial"}, []string{"payment_card"}, []string{"hosts_data"}, "low")
	fox.RegistrationID, fox.DowntimeHours, fox.Records = "FX-100", 72, 0
	e.clock.Advance(time.Minute)
	e.mustCreate(t, fox)
	if _, err := e.svc.Create(e.ctx, "other-hospital", full("Alpha Elsewhere", []string{"pacs"}, []string{"phi"}, []string{"remote"}, "high")); err != nil {
		t.Fatal(err)
	}
	e.clock.Advance(time.Hour)
	return e
}

func TestList(t *testing.T) {
	e := listEnv(t)
	for _, tt := range []struct {
		name string
		q    supplier.Query
		want []string
	}{
		{"All", supplier.Query{}, []string{"Alpha PACS Corp", "Bravo RIS Ltd", "Charlie Payroll Inc", "Delta Fiber LLC", "Echo Lab Systems AS", "Foxtrot Finance"}},
		{"Tier1", supplier.Query{Tier: 1}, []string{"Alpha PACS Corp", "Bravo RIS Ltd", "Echo Lab Systems AS"}},
		{"Tier2", supplier.Query{Tier: 2}, []string{"Charlie Payroll Inc", "Foxtrot Finance"}},
		{"Tier3", supplier.Query{Tier: 3}, []string{"Delta Fiber LLC"}},
		{"StatusProspect", supplier.Query{Status: "prospect"}, []string{"Charlie Payroll Inc", "Delta Fiber LLC", "Foxtrot Finance"}},
		{"StatusActive", supplier.Query{Status: "Active"}, []string{"Alpha PACS Corp"}},
		{"SystemPACS", supplier.Query{System: "pacs"}, []string{"Alpha PACS Corp"}},
		{"SystemByLabel", supplier.Query{System: "Clinical Laboratory"}, []string{"Echo Lab Systems AS"}},
		{"PHIYes", supplier.Query{PHI: "yes"}, []string{"Alpha PACS Corp", "Bravo RIS Ltd", "Echo Lab Systems AS"}},
		{"PHINo", supplier.Query{PHI: "no"}, []string{"Charlie Payroll Inc", "Delta Fiber LLC", "Foxtrot Finance"}},
		{"Owner", supplier.Query{Owner: e.owner.ID}, []string{"Alpha PACS Corp", "Bravo RIS Ltd", "Charlie Payroll Inc", "Echo Lab Systems AS", "Foxtrot Finance"}},
		{"NoOwner", supplier.Query{Owner: "none"}, []string{"Delta Fiber LLC"}},
		{"Overdue", supplier.Query{Overdue: true}, []string{"Bravo RIS Ltd", "Delta Fiber LLC", "Foxtrot Finance"}},
		{"DueWithin45Days", supplier.Query{DueWithin: 45}, []string{"Alpha PACS Corp", "Bravo RIS Ltd", "Delta Fiber LLC", "Foxtrot Finance"}},
		{"DueWithin10Days", supplier.Query{DueWithin: 10}, []string{"Bravo RIS Ltd", "Delta Fiber LLC", "Foxtrot Finance"}},
		{"SearchTradingName", supplier.Query{Search: "ECHO"}, []string{"Echo Lab Systems AS"}},
		{"SearchRegistrationID", supplier.Query{Search: "fx-1"}, []string{"Foxtrot Finance"}},
		{"SearchRegistrationIDBare", supplier.Query{Search: "fx100"}, []string{"Foxtrot Finance"}},
		{"SearchPart", supplier.Query{Search: " pay "}, []string{"Charlie Payroll Inc"}},
		{"SearchIsNotARegex", supplier.Query{Search: "A.*Corp"}, nil},
		{"Combined", supplier.Query{Tier: 1, PHI: "yes", Status: "active", System: "pacs", Search: "alpha"}, []string{"Alpha PACS Corp"}},
		{"SortNameDescending", supplier.Query{Sort: "-name"}, []string{"Foxtrot Finance", "Echo Lab Systems AS", "Delta Fiber LLC", "Charlie Payroll Inc", "Bravo RIS Ltd", "Alpha PACS Corp"}},
		{"SortTier", supplier.Query{Sort: "tier"}, []string{"Alpha PACS Corp", "Bravo RIS Ltd", "Echo Lab Systems AS", "Charlie Payroll Inc", "Foxtrot Finance", "Delta Fiber LLC"}},
		{"SortDue", supplier.Query{Sort: "due"}, []string{"Delta Fiber LLC", "Bravo RIS Ltd", "Foxtrot Finance", "Alpha PACS Corp", "Charlie Payroll Inc", "Echo Lab Systems AS"}},
		{"SortStatus", supplier.Query{Sort: "status"}, []string{"Charlie Payroll Inc", "Delta Fiber LLC", "Foxtrot Finance", "Bravo RIS Ltd", "Alpha PACS Corp", "Echo Lab Systems AS"}},
		{"SortUpdatedDescending", supplier.Query{Sort: "-updated", PerPage: 1}, []string{"Foxtrot Finance"}},
		{"Page2", supplier.Query{PerPage: 2, Page: 2}, []string{"Charlie Payroll Inc", "Delta Fiber LLC"}},
		{"PageBeyond", supplier.Query{PerPage: 2, Page: 9}, nil},
	} {
		t.Run(tt.name, func(t *testing.T) {
			p, err := e.svc.List(e.ctx, domain, tt.q)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, v := range p.Vendors {
				got = append(got, v.LegalName)
				if v.Domain != domain {
					t.Fatalf("%s from domain %s", v.LegalName, v.Domain)
				}
			}
			if !slices.Equal(got, tt.want) {
				t.Fatalf("got  %v\nwant %v", got, tt.want)
			}
		})
	}
	t.Run("PageCounts", func(t *testing.T) {
		p, err := e.svc.List(e.ctx, domain, supplier.Query{PerPage: 4, Page: 2})
		if err != nil || p.Total != 6 || p.Pages != 2 || p.Page != 2 || p.PerPage != 4 || len(p.Vendors) != 2 {
			t.Fatalf("page %d of %d, %d of %d (%v)", p.Page, p.Pages, len(p.Vendors), p.Total, err)
		}
		p, err = e.svc.List(e.ctx, domain, supplier.Query{PerPage: 1000})
		if err != nil || p.PerPage != supplier.MaxPerPage || p.Page != 1 {
			t.Fatalf("per page %d page %d", p.PerPage, p.Page)
		}
		p, err = e.svc.List(e.ctx, domain, supplier.Query{Search: "nothing like it"})
		if err != nil || p.Total != 0 || p.Pages != 0 || p.Vendors == nil {
			t.Fatalf("empty page %+v", p)
		}
	})
	for _, tt := range []struct {
		name  string
		q     supplier.Query
		field string
	}{
		{"ErrSort", supplier.Query{Sort: "price"}, "sort"},
		{"ErrStatus", supplier.Query{Status: "frozen"}, "status"},
		{"ErrSystem", supplier.Query{System: "toaster"}, "system"},
		{"ErrTier", supplier.Query{Tier: 7}, "tier"},
		{"ErrPHI", supplier.Query{PHI: "maybe"}, "phi"},
		{"ErrDue", supplier.Query{DueWithin: -1}, "due"},
		{"ErrPage", supplier.Query{Page: -1}, "page"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := e.svc.List(e.ctx, domain, tt.q)
			wantCode(t, err, errs.Invalid)
			if errs.FieldOf(err) != tt.field {
				t.Fatalf("field %q, want %q", errs.FieldOf(err), tt.field)
			}
		})
	}
	t.Run("All", func(t *testing.T) {
		var got []string
		err := e.svc.All(e.ctx, domain, supplier.Query{PHI: "yes", Sort: "-name", PerPage: 1}, func(v supplier.Vendor) error {
			got = append(got, v.LegalName)
			return nil
		})
		if err != nil || !slices.Equal(got, []string{"Echo Lab Systems AS", "Bravo RIS Ltd", "Alpha PACS Corp"}) {
			t.Fatalf("got %v %v", got, err)
		}
	})
	t.Run("Summary", func(t *testing.T) {
		c, err := e.svc.Summary(e.ctx, domain)
		if err != nil {
			t.Fatal(err)
		}
		if c.Total != 6 || c.ByStatus[supplier.Prospect] != 3 || c.ByStatus[supplier.Terminated] != 1 ||
			c.ByTier != [4]int64{0, 2, 2, 1} || c.Overdue != 3 || c.DueSoon != 0 || c.PHI != 2 {
			t.Fatalf("counts %+v", c)
		}
	})
}
