package http_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"dossier/internal/testkit"
)

func TestAdminUsers(t *testing.T) {
	a := testkit.StartApp(t)
	admin := a.User(t, "admin")
	b := a.Browser(t)
	b.SignIn(admin)

	t.Run("InviteThenSetPassword", func(t *testing.T) {
		r := b.Post("/admin/users", url.Values{"email": {"Nia.Okafor@hospital.example.org"}, "name": {"Nia Okafor"}, "role": {"legal"}})
		link := between(r.Body, `<p class="secret">`, "<")
		if r.Status != 200 || !strings.Contains(link, "/password/") {
			t.Fatalf("invite: %d %q", r.Status, link)
		}
		path := strings.TrimPrefix(link, a.URL)
		nb := a.Browser(t)
		if r := nb.Get(path); r.Status != 200 || !strings.Contains(r.Body, "nia.okafor@hospital.example.org") {
			t.Fatalf("link page: %d", r.Status)
		}
		if r := nb.Post(path, url.Values{"password": {"okafor nia 2026"}, "confirm": {"okafor nia 2026"}}); r.Status != 422 || !strings.Contains(r.Body, `id="password-error"`) {
			t.Fatalf("a password with the name in it: %d", r.Status)
		}
		if r := nb.Post(path, url.Values{"password": {"amber lantern quiet river"}, "confirm": {"amber lantern quiet river"}}); r.Status != http.StatusSeeOther {
			t.Fatalf("set password: %d %s", r.Status, r.Body)
		}
		nb.SignIn(testkit.User{Email: "nia.okafor@hospital.example.org", Password: "amber lantern quiet river"})
		if r := nb.Get(path); r.Status != 404 {
			t.Fatalf("the link works twice: %d", r.Status)
		}
	})
	t.Run("ErrDuplicateEmailNextToField", func(t *testing.T) {
		r := b.Post("/admin/users", url.Values{"email": {strings.ToUpper(admin.Email)}, "name": {"Someone"}, "role": {"staff"}})
		if r.Status != 409 || !strings.Contains(r.Body, `id="email-error"`) || !strings.Contains(r.Body, `value="`+strings.ToUpper(admin.Email)+`"`) {
			t.Fatalf("duplicate: %d", r.Status)
		}
	})
	t.Run("ErrNoRoleChosen", func(t *testing.T) {
		r := b.Post("/admin/users", url.Values{"email": {"norole@hospital.example.org"}, "name": {"No Role"}})
		if r.Status != 422 || !strings.Contains(r.Body, `id="role-error"`) {
			t.Fatalf("no role: %d", r.Status)
		}
	})
	t.Run("Roles", func(t *testing.T) {
		u := a.User(t, "")
		if r := b.Post("/admin/users/"+u.ID+"/roles", url.Values{"role": {"auditor"}, "domain": {a.Config.Domain}}); r.Status != http.StatusSeeOther {
			t.Fatalf("add role: %d", r.Status)
		}
		if got := a.App.Authz.Roles(u.ID, a.Config.Domain); len(got) != 1 || got[0] != "auditor" {
			t.Fatalf("roles %v", got)
		}
		if r := b.Post("/admin/users/"+admin.ID+"/roles/remove", url.Values{"role": {"admin"}}); r.Status != 403 {
			t.Fatalf("removed own admin role: %d", r.Status)
		}
		if len(auditEvents(t, a, "role.add")) == 0 {
			t.Fatal("role change not audited")
		}
	})
}

func TestGrantsPage(t *testing.T) {
	a := testkit.StartApp(t)
	admin, staff := a.User(t, "admin"), a.User(t, "staff")
	b := a.Browser(t)
	b.SignIn(admin)
	if r := b.Post("/admin/grants", url.Values{"object": {"group:policies"}, "subject": {staff.Email}, "action": {"review"}}); r.Status != http.StatusSeeOther {
		t.Fatalf("grant: %d %s", r.Status, r.Body)
	}
	if r := b.Post("/admin/grants/groups", url.Values{"object": {"document:7"}, "group": {"policies"}}); r.Status != http.StatusSeeOther {
		t.Fatalf("group: %d", r.Status)
	}
	if !a.App.Authz.Can(staff.ID, a.Config.Domain, "document:7", "review") || a.App.Authz.Can(staff.ID, a.Config.Domain, "document:8", "review") {
		t.Fatal("the group grant does not decide as expected")
	}
	if r := b.Get("/admin/grants?object=group:policies"); r.Status != 200 || !strings.Contains(r.Body, staff.Email) || !strings.Contains(r.Body, "document:7") {
		t.Fatalf("grants page: %d", r.Status)
	}
	t.Run("ErrUnknownSubject", func(t *testing.T) {
		r := b.Post("/admin/grants", url.Values{"object": {"document:7"}, "subject": {"nobody@hospital.example.org"}, "action": {"view"}})
		if r.Status != 422 || !strings.Contains(r.Body, `id="subject-error"`) {
			t.Fatalf("got %d", r.Status)
		}
	})
	t.Run("ErrBuiltinRoleClassWide", func(t *testing.T) {
		r := b.Post("/admin/grants", url.Values{"object": {"document:*"}, "subject": {"staff"}, "action": {"publish"}})
		if r.Status != 422 || a.App.Authz.Can(staff.ID, a.Config.Domain, "document:9", "publish") {
			t.Fatalf("got %d", r.Status)
		}
	})
	if r := b.Post("/admin/grants/revoke", url.Values{"object": {"group:policies"}, "subject": {staff.ID}, "action": {"review"}}); r.Status != http.StatusSeeOther ||
		a.App.Authz.Can(staff.ID, a.Config.Domain, "document:7", "review") {
		t.Fatalf("revoke: %d", r.Status)
	}
}

func TestAuditPage(t *testing.T) {
	a := testkit.StartApp(t)
	auditor := a.User(t, "auditor")
	b := a.Browser(t)
	b.SignIn(auditor)
	if r := b.Get("/audit"); r.Status != 200 || !strings.Contains(r.Body, "auth.signin") {
		t.Fatalf("audit page: %d", r.Status)
	}
	if r := b.Get("/audit?object_type=user&since=2020-01-01"); r.Status != 200 || !strings.Contains(r.Body, "user.create") {
		t.Fatalf("filtered: %d", r.Status)
	}
	if r := b.Get("/audit?object_type=vendor"); r.Status != 200 || !strings.Contains(r.Body, "No events match") {
		t.Fatalf("filter matching nothing: %d", r.Status)
	}
	if r := b.Get("/audit?since=yesterday"); r.Status != 422 {
		t.Fatalf("bad date: %d", r.Status)
	}
	if r := b.Post("/audit/verify", nil); r.Status != 200 || !strings.Contains(r.Body, "Intact:") {
		t.Fatalf("verify: %d", r.Status)
	}
	r := b.Post("/audit/export", url.Values{"format": {"csv"}, "since": {"2020-01-01"}})
	if r.Status != 200 || !strings.HasPrefix(r.Body, "seq,time,") || !strings.Contains(r.Header.Get("Content-Disposition"), "attachment") {
		t.Fatalf("export: %d %s", r.Status, r.Header)
	}
	if len(auditEvents(t, a, "audit.export")) != 1 {
		t.Fatal("the export was not audited")
	}
	if r := b.Post("/audit/export", url.Values{"format": {"xml"}}); r.Status != 422 {
		t.Fatalf("bad format: %d", r.Status)
	}
}

func TestAdminOfOneHospitalOnly(t *testing.T) {
	a := testkit.StartApp(t)
	admin := a.User(t, "admin")
	other := a.User(t, "")
	if err := a.App.Authz.AddRole(t.Context(), other.ID, "admin", "clinic"); err != nil {
		t.Fatal(err)
	}
	b := a.Browser(t)
	b.SignIn(admin)
	if r := b.Post("/admin/users/"+admin.ID+"/roles", url.Values{"role": {"admin"}, "domain": {"clinic"}}); r.Status != 403 {
		t.Fatalf("gave themselves a role in another hospital: %d", r.Status)
	}
	for _, action := range []string{"disable", "mfa/reset", "password-link", "signout-all"} {
		if r := b.Post("/admin/users/"+other.ID+"/"+action, nil); r.Status != 403 {
			t.Errorf("%s on another hospital's administrator: %d", action, r.Status)
		}
	}
	for _, action := range []string{"password-link", "mfa/reset", "disable"} {
		if r := b.Post("/admin/users/"+admin.ID+"/"+action, nil); r.Status != 403 {
			t.Errorf("%s on themselves: %d", action, r.Status)
		}
	}
	if r := b.Get("/admin/users"); strings.Contains(r.Body, other.Email) {
		t.Error("another hospital's staff are listed")
	}
}
