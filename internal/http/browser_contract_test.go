package http_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"dossier/internal/authz"
	"dossier/internal/contract"
	"dossier/internal/pdfdoc"
	"dossier/internal/testkit"
)

// TestBrowserBAA: legal records a signed BAA for a vendor that handles PHI
// in headless Chromium — the form with its checklist, the signed PDF, put
// in force — and sees it among the contracts expiring within 60 days, and
// the vendor gone from the BAA gap page.
func TestBrowserBAA(t *testing.T) {
	a := testkit.StartApp(t)
	legal := a.User(t, authz.RoleLegal)
	vendor := newVendor(t, a, legal, "Northwind Imaging, Inc.")
	shots := t.TempDir()
	signed := filepath.Join(t.TempDir(), "northwind-baa-signed.pdf")
	if err := os.WriteFile(signed, pdfdoc.Text("Business associate agreement", "Northwind Imaging, Inc.", "Signed by both parties."), 0o600); err != nil {
		t.Fatal(err)
	}

	p := testkit.Chrome(t)
	p.Open(a.URL + "/signin")
	p.Fill("#email", legal.Email)
	p.Fill("#password", legal.Password)
	p.Submit(`form[action="/signin"] button[type=submit]`)

	p.Open(a.URL + "/contracts/baa-gaps")
	if !strings.Contains(p.Text("main"), "Northwind Imaging, Inc.") {
		t.Fatalf("the gap page does not list the PHI vendor: %q", p.Text("main"))
	}
	p.Submit(`a[href="/contracts/new?vendor=` + vendor.ID + `&type=baa"]`)
	if !p.Visible(`input[name="baa.permitted_uses"]`) {
		t.Fatal("the BAA checklist is not shown for a BAA")
	}
	p.Fill("#counterparty-signatory", "Dana Reyes, CEO")
	// Date inputs take their value as the browser's own date picker sets it.
	p.Select("#effective", dueIn(-10))
	p.Select("#expiry", dueIn(45))
	p.Fill("#notice-days", "30")
	for _, term := range contract.BAATermList() {
		p.Check(`input[name="baa.` + term.Key + `"]`)
	}
	p.Fill("#baa-notice-window-days", "30")
	p.Screenshot(filepath.Join(shots, "form.png"))
	p.Submit(`form.contract-form button[type=submit]`)
	if !strings.HasPrefix(p.URL(), a.URL+"/contracts/") || !strings.Contains(p.Text(".flash"), "Saved as a draft") {
		t.Fatalf("after saving the form the browser is on %s:\n%s", p.URL(), p.Text("main"))
	}
	contractURL := p.URL()

	p.Upload("#file", signed)
	p.Check("#signed")
	p.Submit(`form.upload button[type=submit]`)
	if got := p.Text(".flash"); !strings.Contains(got, "Signed copy stored as version 1") {
		t.Fatalf("after the upload: %q\n%s", got, p.Text("main"))
	}
	p.Submit(`form[action$="/activate"] button[type=submit]`)
	if got := p.Text(".flash"); got != "The contract is in force." {
		t.Fatalf("after putting it in force: %q\n%s", got, p.Text("main"))
	}
	if got := p.Text("#standing-h + .standing"); !strings.Contains(got, "Expiring within 60 days") {
		t.Errorf("the contract's standing reads %q", got)
	}
	p.Screenshot(filepath.Join(shots, "contract.png"))

	p.Open(a.URL + "/contracts")
	p.Submit(`nav.windows a[href="/contracts?window=60"]`)
	if got := p.Text("table.contracts"); !strings.Contains(got, "Business associate agreement") || !strings.Contains(got, "in 45 days") {
		t.Fatalf("the 60-day window on %s shows %q", p.URL(), got)
	}
	if !p.Exists(`table.contracts a[href="` + strings.TrimPrefix(contractURL, a.URL) + `"]`) {
		t.Error("the 60-day window does not link the contract")
	}
	p.Screenshot(filepath.Join(shots, "expiring.png"))

	p.Open(a.URL + "/contracts/baa-gaps")
	if got := p.Text("main"); strings.Contains(got, "Northwind Imaging, Inc.") || !strings.Contains(got, "Every vendor that handles PHI has a BAA in force.") {
		t.Fatalf("the gap page after the BAA: %q", got)
	}
}
