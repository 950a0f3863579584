package contract_test

import (
	"testing"

	"dossier/internal/audit"
	"dossier/internal/contract"
	"dossier/internal/supplier"
)

func TestSeedDemo(t *testing.T) {
	demo := newEnv(t)
	const domain = "demo-hospital" // the env's vendors are in "general"
	if err := demo.vendors.SeedDemo(demo.ctx, domain, map[string]string{"procurement": demo.legal.ID}); err != nil {
		t.Fatal(err)
	}
	var vendors []supplier.Vendor
	if err := demo.vendors.All(demo.ctx, domain, supplier.Query{Sort: "name"}, func(v supplier.Vendor) error {
		if v.Status != supplier.Terminated {
			vendors = append(vendors, v)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	legal := audit.Actor{ID: demo.legal.ID, Name: demo.legal.Email}
	for range 2 { // the second run finds contracts and does nothing
		if err := demo.svc.SeedDemo(demo.ctx, domain, vendors, legal); err != nil {
			t.Fatal(err)
		}
	}
	p, err := demo.svc.List(demo.ctx, domain, contract.Query{PerPage: 100})
	if err != nil {
		t.Fatal(err)
	}
	c := p.Counts
	if c.Within30 == 0 || c.Within60 <= c.Within30 || c.Within90 <= c.Within60 || c.Expired != 1 || c.PastNotice == 0 || c.Draft != 1 || c.Flagged != 1 {
		t.Fatalf("demo counts %+v", c)
	}
	gaps, err := demo.svc.BAAGaps(demo.ctx, domain)
	if err != nil || len(gaps) != 1 {
		t.Fatalf("gaps %v %v", gaps, err)
	}
	for _, r := range p.Rows {
		if r.Status == contract.InForce {
			full, err := demo.svc.Get(demo.ctx, domain, r.ID)
			if err != nil || len(full.Files) != 1 || !full.Files[0].Signed || full.Files[0].Pages != 1 {
				t.Fatalf("demo contract %q files %+v %v", r.Title, full.Files, err)
			}
		}
	}
	t.Logf("%d contracts, %+v; gap: %s", len(p.Rows), c, gaps[0].LegalName)
}
