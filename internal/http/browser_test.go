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
