package http_test

import (
	"net/http"
	"path/filepath"
	"strings"
	"testing"

	"dossier/internal/testkit"
)

// TestBrowser walks an administrator's first visit in headless Chromium:
// sign in, create an API token, invite a colleague; and checks that the
// sign-in page fits a phone.
func TestBrowser(t *testing.T) {
	a := testkit.StartApp(t)
	admin := a.User(t, "admin")
	shots := t.TempDir()

	t.Run("OK", func(t *testing.T) {
		p := testkit.Chrome(t)

		p.Open(a.URL + "/signin")
		p.Fill("#email", admin.Email)
		p.Fill("#password", admin.Password)
		p.Submit(`form[action="/signin"] button[type=submit]`)
		if got := p.Text("#you-h"); got != "Signed in as "+admin.Name {
			t.Fatalf("home page after sign-in on %s says %q", p.URL(), got)
		}
		p.Screenshot(filepath.Join(shots, "home.png"))

		p.Open(a.URL + "/account")
		p.Fill("#label", "nightly export")
		p.Fill("#token-password", admin.Password)
		p.Submit(`form[action="/account/tokens"] button[type=submit]`)
		token := p.Text("#new-token")
		if token == "" {
			t.Fatal("no token shown after creating one")
		}
		p.Screenshot(filepath.Join(shots, "account.png"))
		r := a.Browser(t).Do("GET", "/api/v1/me", nil, http.Header{"Authorization": {"Bearer " + token}, "Accept": {"application/json"}})
		if r.Status != http.StatusOK || !strings.Contains(r.Body, admin.Email) {
			t.Fatalf("the token read from the page does not work: %d %s", r.Status, r.Body)
		}

		p.Open(a.URL + "/admin/users")
		p.Fill("#inv-email", "new.colleague@hospital.example.org")
		p.Fill("#inv-name", "New Colleague")
		p.Select("#inv-role", "staff")
		p.Submit(`form[method=post][action="/admin/users"] button[type=submit]`)
		if link := p.Text("p.secret"); !strings.HasPrefix(link, a.URL+"/password/") {
			t.Fatalf("after the invitation, %s shows %q, not a set-password link", p.URL(), link)
		}
		p.Screenshot(filepath.Join(shots, "invited.png"))
	})

	t.Run("PhoneWidth", func(t *testing.T) {
		p := testkit.Chrome(t)
		p.SetViewport(390, 844)
		p.Open(a.URL + "/signin")
		for _, sel := range []string{`form[action="/signin"]`, "#email", "#password", `form[action="/signin"] button[type=submit]`} {
			if !p.Visible(sel) {
				t.Errorf("%s is not shown within a 390 px wide viewport", sel)
			}
		}
		p.Screenshot(filepath.Join(shots, "signin-phone.png"))
	})
}

// TestBrowserCreateVendor: procurement adds a PACS vendor through the form
// in headless Chromium and sees its tier and the reasons for it.
func TestBrowserCreateVendor(t *testing.T) {
	a := testkit.StartApp(t)
	proc := a.User(t, "procurement")
	p := testkit.Chrome(t)
	p.Open(a.URL + "/signin")
	p.Fill("#email", proc.Email)
	p.Fill("#password", proc.Password)
	p.Submit(`form[action="/signin"] button[type=submit]`)

	p.Open(a.URL + "/vendors")
	if !strings.Contains(p.Text("main"), "The register is empty") {
		t.Fatalf("an empty register does not say so: %q", p.Text("main"))
	}
	p.Open(a.URL + "/vendors/new")
	p.Fill("#legal-name", "Northwind Imaging, Inc.")
	p.Fill("#trading-name", "Northwind PACS")
	p.Check(`input[name=systems][value=pacs]`)
	p.Check(`input[name=data][value=phi]`)
	p.Fill("#records", "250000")
	p.Check(`input[name=access][value=remote]`)
	p.Select("#clinical", "high")
	p.Fill("#downtime-hours", "4")
	p.Fill("#contacts-0-name", "Ada Park")
	p.Fill("#contacts-0-email", "security@northwind-imaging.example")
	p.Submit(`form[action="/vendors"] button[type=submit]`)

	if !strings.HasPrefix(p.URL(), a.URL+"/vendors/") {
		t.Fatalf("after saving the form the browser is on %s:\n%s", p.URL(), p.Text("main"))
	}
	if got := p.Text("#risk-h"); !strings.Contains(got, "Tier 1 · critical") {
		t.Fatalf("the vendor page shows %q, want tier 1", got)
	}
	reasons := p.Text("main")
	for _, want := range []string{"Handles protected health information (PHI): +35", "Remote access into hospital systems: +25"} {
		if !strings.Contains(reasons, want) {
			t.Errorf("the reasons lack %q", want)
		}
	}
	p.Screenshot(filepath.Join(t.TempDir(), "vendor.png"))
}
