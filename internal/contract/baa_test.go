package contract_test

import (
	"slices"
	"strings"
	"testing"
	"time"

	"dossier/internal/contract"
	"dossier/internal/supplier"
)

func TestBAATerms(t *testing.T) {
	list := contract.BAATermList()
	if len(list) != 8 {
		t.Fatalf("%d terms, want the eight of 164.504(e)", len(list))
	}
	all := contract.AllTerms(10)
	for _, term := range list {
		if term.Label == "" || !strings.HasPrefix(term.Citation, "45 CFR 164.504(e)") || !all.Has(term.Key) {
			t.Errorf("term %+v", term)
		}
	}
	if m := all.MissingTerms(); len(m) != 0 {
		t.Fatalf("all ticked, missing %v", m)
	}
	some := all
	some.Subcontractors, some.NoticeWindowDays = false, 0 // reporting without a window does not count
	var keys []string
	for _, m := range some.MissingTerms() {
		keys = append(keys, m.Key)
	}
	if !slices.Equal(keys, []string{"report_incidents", "subcontractors"}) {
		t.Fatalf("missing %v", keys)
	}
	if c := (contract.Contract{Type: contract.MSA}); c.Flagged() || c.MissingTerms() != nil {
		t.Fatal("an MSA is flagged as a BAA")
	}
	if c := (contract.Contract{Type: contract.BAA}); !c.Flagged() || len(c.MissingTerms()) != 8 {
		t.Fatal("a BAA with no checklist is not flagged")
	}
}

// baa is a complete BAA with the PACS vendor.
func (e *env) baa() contract.Fields {
	terms := contract.AllTerms(10)
	return contract.Fields{VendorID: e.pacs.ID, Type: contract.BAA, Title: "PACS business associate agreement",
		Effective: e.date(-10), Evergreen: true, Owner: e.legal.ID, BAA: &terms}
}

func TestBAA(t *testing.T) {
	e := newEnv(t)
	t.Run("ErrNoticeWindow", func(t *testing.T) {
		f := e.baa()
		f.BAA.NoticeWindowDays = 90
		_, err := e.svc.Create(e.ctx, domain, f)
		wantFields(t, err, "baa.notice_window_days")
		wantMessage(t, err, "164.410(b)")
		f.BAA.NoticeWindowDays = 0
		_, err = e.svc.Create(e.ctx, domain, f)
		wantFields(t, err, "baa.notice_window_days")
	})
	t.Run("OKTermsKeptOnlyForBAAs", func(t *testing.T) {
		f := e.msa()
		terms := contract.AllTerms(5)
		f.BAA = &terms
		if c := e.mustCreate(t, f); c.BAA != nil {
			t.Fatal("an MSA kept a BAA checklist")
		}
	})
	t.Run("OKTickingTermsIsAudited", func(t *testing.T) {
		f := e.baa()
		f.BAA = &contract.BAATerms{PermittedUses: true}
		c := e.mustCreate(t, f)
		if !c.Flagged() || len(c.MissingTerms()) != 7 {
			t.Fatalf("missing %d", len(c.MissingTerms()))
		}
		f.BAA = &contract.BAATerms{PermittedUses: true, NoOtherUse: true, ReportIncidents: true, NoticeWindowDays: 30}
		c, err := e.svc.Update(e.ctx, domain, c.ID, c.Version, f, false)
		if err != nil {
			t.Fatal(err)
		}
		a := e.audit.Last(t, "contract.update")
		if a.Details["baa_terms"] != "permitted_uses → permitted_uses,no_other_use,report_incidents" || a.Details["baa_notice_window_days"] != "0 → 30" {
			t.Fatalf("audit %v", a.Details)
		}
	})
}

func TestBAAGap(t *testing.T) {
	e := newEnv(t)
	gaps := func(t *testing.T) []string {
		t.Helper()
		vs, err := e.svc.BAAGaps(e.ctx, domain)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, v := range vs {
			out = append(out, v.LegalName)
		}
		return out
	}
	check := func(t *testing.T, v supplier.Vendor) *supplier.CheckResult {
		t.Helper()
		v, err := e.vendors.Get(e.ctx, domain, v.ID)
		if err != nil {
			t.Fatal(err)
		}
		results, err := e.vendors.Checklist(e.ctx, v, supplier.Active)
		if err != nil {
			t.Fatal(err)
		}
		for i := range results {
			if results[i].ID == "baa_in_force" {
				return &results[i]
			}
		}
		return nil
	}
	lab, err := e.vendors.Create(e.ctx, domain, supplier.Fields{LegalName: "Halvorsen Diagnostics AS", Data: []string{supplier.DataPHI}})
	if err != nil {
		t.Fatal(err)
	}
	if g := gaps(t); !slices.Equal(g, []string{"Acme Imaging, Inc.", "Halvorsen Diagnostics AS"}) {
		t.Fatalf("gaps %v", g)
	}
	if r := check(t, e.pacs); r == nil || r.OK || !strings.Contains(r.Missing, "business associate agreement") {
		t.Fatalf("onboarding check %+v", r)
	}
	if r := check(t, e.isp); r != nil {
		t.Fatalf("the check applies to a vendor without PHI: %+v", r)
	}

	t.Run("DraftAndFutureBAAsDoNotCount", func(t *testing.T) {
		e.mustCreate(t, e.baa())
		f := e.baa()
		f.Effective = e.date(30)
		e.mustActivate(t, f)
		if g := gaps(t); len(g) != 2 {
			t.Fatalf("gaps %v", g)
		}
	})
	t.Run("BAAMissingATermFailsTheCheck", func(t *testing.T) {
		f := e.baa()
		f.BAA.ReturnOrDestroy = false
		c := e.mustActivate(t, f)
		if g := gaps(t); !slices.Equal(g, []string{"Halvorsen Diagnostics AS"}) {
			t.Fatalf("gaps %v", g)
		}
		if r := check(t, e.pacs); r.OK || !strings.Contains(r.Missing, "return or destruction of all PHI") {
			t.Fatalf("check %+v", r)
		}
		p, err := e.svc.List(e.ctx, domain, contract.Query{Type: contract.BAA, Window: contract.WindowInForce})
		if err != nil {
			t.Fatal(err)
		}
		if p.Counts.Flagged == 0 || len(p.Rows) != 2 {
			t.Fatalf("list %+v", p)
		}
		for _, r := range p.Rows {
			if r.ID == c.ID && (!r.Flagged || !slices.Equal(r.MissingTerms, []string{"return_or_destroy"})) {
				t.Fatalf("row %+v", r)
			}
		}
	})
	t.Run("CompleteBAAPassesTheCheck", func(t *testing.T) {
		e.mustActivate(t, e.baa())
		if r := check(t, e.pacs); !r.OK {
			t.Fatalf("check %+v", r)
		}
		st, err := e.svc.VendorBAA(e.ctx, e.pacs)
		if err != nil || st.InForce == nil || len(st.Missing) != 0 || !st.NeedsBAA || len(st.Others) != 3 {
			t.Fatalf("vendor BAA %+v %v", st, err)
		}
	})
	t.Run("TerminatedVendorIsNoGap", func(t *testing.T) {
		v, err := e.vendors.Transition(e.ctx, domain, lab.ID, lab.Version, supplier.Terminated, "Never onboarded.")
		if err != nil {
			t.Fatal(err)
		}
		if g := gaps(t); len(g) != 0 {
			t.Fatalf("gaps %v after %s was terminated", g, v.LegalName)
		}
	})
	t.Run("ExpiredBAAReopensTheGap", func(t *testing.T) {
		list, err := e.svc.ForVendor(e.ctx, domain, e.pacs.ID)
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range list {
			if c.Status == contract.InForce && c.Type == contract.BAA {
				if _, err := e.svc.Terminate(e.ctx, domain, c.ID, c.Version, e.today(), "Services ended."); err != nil {
					t.Fatal(err)
				}
			}
		}
		e.clock.Advance(24 * time.Hour)
		if g := gaps(t); !slices.Equal(g, []string{"Acme Imaging, Inc."}) {
			t.Fatalf("gaps %v", g)
		}
	})
	t.Run("ErrOtherDomain", func(t *testing.T) {
		vs, err := e.svc.BAAGaps(e.ctx, "other-hospital")
		if err != nil || len(vs) != 0 {
			t.Fatalf("%v %v", vs, err)
		}
	})
}
