package http_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/pquerna/otp/totp"

	"dossier/internal/audit"
	"dossier/internal/config"
	"dossier/internal/testkit"
)

func TestSignIn(t *testing.T) {
	a := testkit.StartApp(t)
	u := a.User(t, "procurement")

	t.Run("OK", func(t *testing.T) {
		b := a.Browser(t)
		b.Get("/signin")
		before := b.Cookie("dossier_csrf")
		r := b.Post("/signin", url.Values{"email": {strings.ToUpper(u.Email)}, "password": {u.Password}, "next": {"/account"}})
		if r.Status != http.StatusSeeOther || r.Header.Get("Location") != "/account" {
			t.Fatalf("sign-in: %d %s", r.Status, r.Header.Get("Location"))
		}
		if b.Cookie("dossier_csrf") == before {
			t.Error("the CSRF token was not renewed at sign-in")
		}
		if r := b.Get("/account"); r.Status != 200 || !strings.Contains(r.Body, u.Email) {
			t.Fatalf("account page: %d", r.Status)
		}
		if r := b.Get("/"); !strings.Contains(r.Body, "procurement") {
			t.Error("home page does not show the role")
		}
	})
	t.Run("SessionRotated", func(t *testing.T) {
		b := a.Browser(t)
		b.SetCookie("dossier_session", "planted-by-an-attacker-0123456789abcdef")
		b.SignIn(u)
		first := b.Cookie("dossier_session")
		if first == "planted-by-an-attacker-0123456789abcdef" {
			t.Fatal("sign-in kept a session id chosen before sign-in")
		}
		b.SignIn(u)
		if b.Cookie("dossier_session") == first {
			t.Fatal("signing in again kept the session id")
		}
	})
	t.Run("ErrWrongPasswordSameAsUnknownEmail", func(t *testing.T) {
		b := a.Browser(t)
		wrong := b.Post("/signin", url.Values{"email": {u.Email}, "password": {"not-the-password"}})
		unknown := b.Post("/signin", url.Values{"email": {"nobody@hospital.example.org"}, "password": {"not-the-password"}})
		if wrong.Status != 401 || unknown.Status != 401 {
			t.Fatalf("statuses %d %d", wrong.Status, unknown.Status)
		}
		if alert(wrong.Body) != alert(unknown.Body) || alert(wrong.Body) == "" {
			t.Fatalf("messages differ: %q vs %q", alert(wrong.Body), alert(unknown.Body))
		}
	})
	t.Run("ErrSignedOutPagesRedirect", func(t *testing.T) {
		r := a.Browser(t).Get("/account")
		if r.Status != http.StatusSeeOther || r.Header.Get("Location") != "/signin?next=%2Faccount" {
			t.Fatalf("got %d %s", r.Status, r.Header.Get("Location"))
		}
	})
	t.Run("SignOut", func(t *testing.T) {
		b := a.Browser(t)
		b.SignIn(u)
		old := b.Cookie("dossier_session")
		if r := b.Post("/signout", nil); r.Status != http.StatusSeeOther {
			t.Fatalf("sign out: %d", r.Status)
		}
		b.SetCookie("dossier_session", old)
		if r := b.Get("/account"); r.Status != http.StatusSeeOther {
			t.Fatalf("the old session still works after sign-out: %d", r.Status)
		}
	})
}

// alert is the text of the page's alert box.
func alert(body string) string {
	_, rest, ok := strings.Cut(body, `role="alert"`)
	if !ok {
		return ""
	}
	_, rest, _ = strings.Cut(rest, ">")
	msg, _, _ := strings.Cut(rest, "<")
	return msg
}

func TestLockout(t *testing.T) {
	a := testkit.StartApp(t)
	u := a.User(t, "staff")
	b := a.Browser(t)
	for i := 0; i < 5; i++ {
		b.Post("/signin", url.Values{"email": {u.Email}, "password": {"wrong password " + u.Name}})
	}
	r := b.Post("/signin", url.Values{"email": {u.Email}, "password": {u.Password}})
	if r.Status != 401 || !strings.Contains(alert(r.Body), "Try again") {
		t.Fatalf("the right password got in during the lockout: %d %q", r.Status, alert(r.Body))
	}
	for i := 0; i < 5; i++ {
		b.Post("/signin", url.Values{"email": {"ghost@hospital.example.org"}, "password": {"wrong password"}})
	}
	ghost := b.Post("/signin", url.Values{"email": {"ghost@hospital.example.org"}, "password": {"wrong password"}})
	if alert(ghost.Body) != alert(r.Body) {
		t.Fatalf("a locked unknown e-mail reads differently: %q vs %q", alert(ghost.Body), alert(r.Body))
	}
	events := auditEvents(t, a, "auth.signin_failed")
	if len(events) < 10 {
		t.Fatalf("%d failed sign-ins audited, want at least 10", len(events))
	}
	for _, e := range events {
		for _, v := range e.Details {
			if strings.Contains(v, "wrong password") || strings.Contains(v, u.Password) {
				t.Fatalf("a password reached the audit trail: %+v", e)
			}
		}
	}
}

func auditEvents(t *testing.T, a *testkit.TestApp, action string) []audit.Event {
	t.Helper()
	all, err := a.App.Audit.List(t.Context(), audit.Query{Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	var out []audit.Event
	for _, e := range all {
		if e.Action == action {
			out = append(out, e)
		}
	}
	return out
}

func TestCSRF(t *testing.T) {
	a := testkit.StartApp(t)
	admin := a.User(t, "admin")
	b := a.Browser(t)
	b.SignIn(admin)
	invite := url.Values{"email": {"csrf-victim@hospital.example.org"}, "name": {"Csrf Victim"}, "role": {"staff"}}

	t.Run("ErrMissingToken", func(t *testing.T) {
		if r := b.PostRaw("/admin/users", invite); r.Status != 403 || !strings.Contains(r.Body, "another site") {
			t.Fatalf("got %d", r.Status)
		}
	})
	t.Run("ErrWrongToken", func(t *testing.T) {
		form := url.Values{"_csrf": {"x" + b.Cookie("dossier_csrf")}}
		for k, v := range invite {
			form[k] = v
		}
		if r := b.PostRaw("/admin/users", form); r.Status != 403 {
			t.Fatalf("got %d", r.Status)
		}
		if _, err := a.App.Access.UserByEmail(t.Context(), "csrf-victim@hospital.example.org"); err == nil {
			t.Fatal("a forged form created a user")
		}
	})
	t.Run("ErrSignInWithoutToken", func(t *testing.T) {
		if r := a.Browser(t).PostRaw("/signin", url.Values{"email": {admin.Email}, "password": {admin.Password}}); r.Status != 403 {
			t.Fatalf("login CSRF: got %d", r.Status)
		}
	})
	t.Run("OK", func(t *testing.T) {
		if r := b.Post("/admin/users", invite); r.Status != 200 || !strings.Contains(r.Body, "/password/") {
			t.Fatalf("invite with the token: %d", r.Status)
		}
	})
	t.Run("BearerExempt", func(t *testing.T) {
		secret, _, err := a.App.Access.CreateToken(t.Context(), admin.ID, "test")
		if err != nil {
			t.Fatal(err)
		}
		r := b.Do("POST", "/api/v1/me", nil, http.Header{"Authorization": {"Bearer " + secret}})
		if r.Status == 403 {
			t.Fatalf("an API call with a token was refused for CSRF: %s", r.Body)
		}
	})
}

func TestAPIToken(t *testing.T) {
	a := testkit.StartApp(t)
	u := a.User(t, "auditor")
	b := a.Browser(t)
	b.SignIn(u)
	if r := b.Post("/account/tokens", url.Values{"label": {"GRC export"}, "password": {"not my password"}}); r.Status != 422 || !strings.Contains(r.Body, `id="token-password-error"`) {
		t.Fatalf("a token without the password: %d", r.Status)
	}
	r := b.Post("/account/tokens", url.Values{"label": {"GRC export"}, "password": {u.Password}})
	secret := between(r.Body, `id="new-token">`, "<")
	if r.Status != 200 || !strings.HasPrefix(secret, "dos_") {
		t.Fatalf("token not shown: %d %q", r.Status, secret)
	}
	if again := b.Get("/account"); strings.Contains(again.Body, secret) {
		t.Fatal("the token is shown a second time")
	}
	api := func(secret string) testkit.Response {
		return a.Browser(t).Do("GET", "/api/v1/me", nil, http.Header{"Authorization": {"Bearer " + secret}, "Accept": {"application/json"}})
	}

	t.Run("OK", func(t *testing.T) {
		r := api(secret)
		var me struct {
			Email string
			Roles []string
		}
		if err := json.Unmarshal([]byte(r.Body), &me); err != nil || r.Status != 200 || me.Email != u.Email || len(me.Roles) != 1 || me.Roles[0] != "auditor" {
			t.Fatalf("me: %d %s", r.Status, r.Body)
		}
		if r := a.Browser(t).Do("GET", "/api/v1/audit/events?format=csv", nil, http.Header{"Authorization": {"Bearer " + secret}}); r.Status != 200 ||
			!strings.HasPrefix(r.Body, "seq,time,") {
			t.Fatalf("auditor export: %d %.200s", r.Status, r.Body)
		}
	})
	t.Run("ErrNoToken", func(t *testing.T) {
		if r := a.Browser(t).Do("GET", "/api/v1/me", nil, nil); r.Status != 401 || !strings.Contains(r.Body, `"unauthorized"`) {
			t.Fatalf("got %d %s", r.Status, r.Body)
		}
	})
	t.Run("ErrForbidden", func(t *testing.T) {
		staff := a.User(t, "staff")
		tok, _, err := a.App.Access.CreateToken(t.Context(), staff.ID, "t")
		if err != nil {
			t.Fatal(err)
		}
		if r := a.Browser(t).Do("GET", "/api/v1/audit/events", nil, http.Header{"Authorization": {"Bearer " + tok}}); r.Status != 403 {
			t.Fatalf("staff exported the audit trail: %d", r.Status)
		}
	})
	t.Run("ErrRevoked", func(t *testing.T) {
		tokens, err := a.App.Access.Tokens(t.Context(), u.ID)
		if err != nil || len(tokens) != 1 {
			t.Fatalf("tokens %v %v", tokens, err)
		}
		if r := b.Post("/account/tokens/"+tokens[0].ID+"/revoke", nil); r.Status != http.StatusSeeOther {
			t.Fatalf("revoke: %d", r.Status)
		}
		if r := api(secret); r.Status != 401 {
			t.Fatalf("revoked token still works: %d", r.Status)
		}
	})
}

func between(s, start, end string) string {
	_, rest, ok := strings.Cut(s, start)
	if !ok {
		return ""
	}
	v, _, _ := strings.Cut(rest, end)
	return v
}

func TestDisabledUserRefusedOnNextRequest(t *testing.T) {
	a := testkit.StartApp(t)
	admin, victim := a.User(t, "admin"), a.User(t, "legal")
	vb := a.Browser(t)
	vb.SignIn(victim)
	tok, _, err := a.App.Access.CreateToken(t.Context(), victim.ID, "t")
	if err != nil {
		t.Fatal(err)
	}
	ab := a.Browser(t)
	ab.SignIn(admin)
	if r := ab.Post("/admin/users/"+victim.ID+"/disable", nil); r.Status != http.StatusSeeOther {
		t.Fatalf("disable: %d %s", r.Status, r.Body)
	}
	if r := vb.Get("/account"); r.Status != http.StatusSeeOther {
		t.Fatalf("disabled user's session still works: %d", r.Status)
	}
	if r := vb.Do("GET", "/api/v1/me", nil, http.Header{"Authorization": {"Bearer " + tok}}); r.Status != 401 {
		t.Fatalf("disabled user's token still works: %d", r.Status)
	}
	r := a.Browser(t).Post("/signin", url.Values{"email": {victim.Email}, "password": {victim.Password}})
	if r.Status != 401 {
		t.Fatalf("disabled user signed in: %d", r.Status)
	}
	if len(auditEvents(t, a, "user.disable")) != 1 {
		t.Fatal("disabling was not audited")
	}
}

func TestMFA(t *testing.T) {
	a := testkit.StartApp(t)
	u := a.User(t, "approver")
	b := a.Browser(t)
	b.SignIn(u)
	page := b.Get("/account/mfa")
	secret := between(page.Body, `<span class="secret">`, "<")
	if page.Status != 200 || secret == "" || !strings.Contains(page.Body, "data:image/png;base64,") {
		t.Fatalf("enrolment page: %d", page.Status)
	}
	if r := b.Post("/account/mfa", url.Values{"code": {"000000"}}); r.Status != 422 {
		t.Fatalf("wrong enrolment code accepted: %d", r.Status)
	}
	secret = between(b.Get("/account/mfa").Body, `<span class="secret">`, "<")
	code, _ := totp.GenerateCode(secret, time.Now())
	r := b.Post("/account/mfa", url.Values{"code": {code}})
	if r.Status != 200 || strings.Count(r.Body, "<li>") < 10 {
		t.Fatalf("recovery codes not shown: %d", r.Status)
	}
	recovery := between(r.Body, `<ul class="codes"><li>`, "<")

	t.Run("Required", func(t *testing.T) {
		nb := a.Browser(t)
		r := nb.Post("/signin", url.Values{"email": {u.Email}, "password": {u.Password}})
		if r.Status != http.StatusSeeOther || !strings.HasPrefix(r.Header.Get("Location"), "/signin/mfa") || nb.Cookie("dossier_session") != "" {
			t.Fatalf("password alone: %d %s", r.Status, r.Header.Get("Location"))
		}
		if r := nb.Post("/signin/mfa", url.Values{"code": {"123456"}}); r.Status != 401 {
			t.Fatalf("wrong code: %d", r.Status)
		}
		code, _ := totp.GenerateCode(secret, time.Now().Add(30*time.Second))
		if r := nb.Post("/signin/mfa", url.Values{"code": {code}}); r.Status != http.StatusSeeOther || nb.Cookie("dossier_session") == "" {
			t.Fatalf("right code: %d\n%s", r.Status, r.Body)
		}
	})
	t.Run("RecoveryCodeOnce", func(t *testing.T) {
		nb := a.Browser(t)
		nb.Post("/signin", url.Values{"email": {u.Email}, "password": {u.Password}})
		if r := nb.Post("/signin/mfa", url.Values{"code": {recovery}}); r.Status != http.StatusSeeOther {
			t.Fatalf("recovery code: %d", r.Status)
		}
		nb = a.Browser(t)
		nb.Post("/signin", url.Values{"email": {u.Email}, "password": {u.Password}})
		if r := nb.Post("/signin/mfa", url.Values{"code": {recovery}}); r.Status != 401 {
			t.Fatalf("recovery code used twice: %d", r.Status)
		}
	})
}

func TestMFARequiredForRole(t *testing.T) {
	a := testkit.StartApp(t)
	admin, reviewer := a.User(t, "admin"), a.User(t, "security_reviewer")
	ab := a.Browser(t)
	ab.SignIn(admin)
	if r := ab.Post("/admin/security", url.Values{"mfa_security_reviewer": {"on"}}); r.Status != http.StatusSeeOther {
		t.Fatalf("save: %d", r.Status)
	}
	rb := a.Browser(t)
	rb.SignIn(reviewer)
	if r := rb.Get("/account"); r.Status != http.StatusSeeOther || r.Header.Get("Location") != "/account/mfa?required=1" {
		t.Fatalf("reviewer without MFA reached a page: %d %s", r.Status, r.Header.Get("Location"))
	}
	if r := ab.Get("/account"); r.Status != 200 {
		t.Fatalf("admin (role not ticked) was stopped: %d", r.Status)
	}
}

func TestAdminPagesForbidden(t *testing.T) {
	a := testkit.StartApp(t)
	b := a.Browser(t)
	b.SignIn(a.User(t, "procurement"))
	for _, p := range []string{"/admin/users", "/admin/grants", "/admin/security", "/audit"} {
		if r := b.Get(p); r.Status != 403 || !strings.Contains(r.Body, "Not allowed") {
			t.Errorf("%s: %d", p, r.Status)
		}
	}
	if r := b.Get("/"); strings.Contains(r.Body, `href="/admin/users"`) {
		t.Error("the menu offers Users to procurement")
	}
}

func TestClientAddressFromTrustedProxyOnly(t *testing.T) {
	failedFrom := func(t *testing.T, a *testkit.TestApp) string {
		b := a.Browser(t)
		b.Get("/signin")
		form := url.Values{"email": {"x@hospital.example.org"}, "password": {"wrong password"}, "_csrf": {b.Cookie("dossier_csrf")}}
		b.Do("POST", "/signin", strings.NewReader(form.Encode()), http.Header{
			"Content-Type": {"application/x-www-form-urlencoded"}, "X-Real-Ip": {"203.0.113.7"}})
		events := auditEvents(t, a, "auth.signin_failed")
		if len(events) != 1 {
			t.Fatalf("%d failed sign-ins audited", len(events))
		}
		return events[0].ActorIP
	}
	t.Run("OK", func(t *testing.T) {
		a := testkit.StartApp(t, func(c *config.Config) { c.TrustedProxies = []string{"127.0.0.1"} })
		if ip := failedFrom(t, a); ip != "203.0.113.7" {
			t.Fatalf("client address %q, want the proxy's X-Real-IP", ip)
		}
	})
	t.Run("ErrUntrustedHeaderIgnored", func(t *testing.T) {
		a := testkit.StartApp(t)
		if ip := failedFrom(t, a); ip != "127.0.0.1" {
			t.Fatalf("client address %q: a client chose its own address", ip)
		}
	})
}

func TestAccountSessions(t *testing.T) {
	a := testkit.StartApp(t)
	u := a.User(t, "staff")
	here, there := a.Browser(t), a.Browser(t)
	here.SignIn(u)
	there.SignIn(u)
	sessions, err := a.App.Access.Sessions(t.Context(), u.ID)
	if err != nil || len(sessions) != 2 {
		t.Fatalf("sessions %d %v", len(sessions), err)
	}
	page := here.Get("/account")
	for _, s := range sessions {
		if strings.Contains(page.Body, "/account/sessions/"+s.ID+"/signout") {
			if r := here.Post("/account/sessions/"+s.ID+"/signout", nil); r.Status != http.StatusSeeOther {
				t.Fatalf("sign out the other session: %d", r.Status)
			}
		}
	}
	if r := there.Get("/account"); r.Status != http.StatusSeeOther {
		t.Fatalf("the other browser is still signed in: %d", r.Status)
	}
	if r := here.Get("/account"); r.Status != 200 {
		t.Fatalf("this browser was signed out too: %d", r.Status)
	}
	if r := here.Post("/account/name", url.Values{"name": {""}}); r.Status != 422 || !strings.Contains(r.Body, `id="name-error"`) {
		t.Fatalf("empty name: %d", r.Status)
	}
}
