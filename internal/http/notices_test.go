package http_test

import (
	"encoding/json"
	"fmt"
	"html"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"dossier/internal/audit"
	"dossier/internal/authz"
	"dossier/internal/notify"
	"dossier/internal/testkit"
)

// deliver sends u a reminder as the daily job would, and returns its key.
func deliver(t *testing.T, a *testkit.TestApp, u testkit.User, key, subject string) {
	t.Helper()
	ctx := audit.WithActor(t.Context(), audit.System)
	sent, err := a.App.Notify.Deliver(ctx, notify.Delivery{Key: key, UserID: u.ID, Domain: a.Config.Domain,
		Subject: subject, Body: "The agreement with Northwind Imaging expires soon.\nRenew it or give notice.", Link: "/contracts/c-" + key})
	if err != nil || !sent {
		t.Fatalf("deliver %s: sent %v, %v", key, sent, err)
	}
}

var badgeRE = regexp.MustCompile(`<a href="/notices" class="notices-link"[^>]*>Notices(?: <span class="badge">([^<]+)</span>)?</a>`)

// badge returns the unread count the header shows ("" for none), failing
// the test when the page has no notices link.
func badge(t *testing.T, page string) string {
	t.Helper()
	m := badgeRE.FindStringSubmatch(page)
	if m == nil {
		t.Fatalf("no notices link in the header:\n%s", page)
	}
	return html.UnescapeString(m[1])
}

// noticeIDs lists the ids of the "Mark read" forms on the notices page.
func noticeIDs(page string) []string {
	var ids []string
	for _, m := range regexp.MustCompile(`action="/notices/([^/"]+)/read"`).FindAllStringSubmatch(page, -1) {
		ids = append(ids, m[1])
	}
	return ids
}

func TestNoticesPage(t *testing.T) {
	a := testkit.StartApp(t)
	ann := a.User(t, authz.RoleLegal)
	bo := a.User(t, authz.RoleProcurement)
	annB, boB := a.Browser(t), a.Browser(t)
	annB.SignIn(ann)
	boB.SignIn(bo)

	t.Run("Empty", func(t *testing.T) {
		r := annB.Get("/notices")
		if r.Status != 200 || !strings.Contains(r.Body, "No notices yet") {
			t.Fatalf("%d\n%s", r.Status, r.Body)
		}
		if got := badge(t, annB.Get("/").Body); got != "" {
			t.Fatalf("badge %q with nothing unread", got)
		}
	})

	deliver(t, a, ann, "k1", "MSA with Northwind Imaging expires in 30 days")
	deliver(t, a, ann, "k2", "BAA with Acme PACS: notice deadline in 7 days")
	deliver(t, a, ann, "k3", "SLA with Contoso Lab expires today")

	t.Run("OK", func(t *testing.T) {
		home := annB.Get("/").Body
		if got := badge(t, home); got != "3" || !strings.Contains(home, `aria-label="3 unread notices"`) {
			t.Fatalf("badge %q\n%s", got, home)
		}
		r := annB.Get("/notices")
		if r.Status != 200 {
			t.Fatalf("%d\n%s", r.Status, r.Body)
		}
		// Newest first, each unread, with its text and a link to open.
		first, second, third := strings.Index(r.Body, "SLA with Contoso Lab"), strings.Index(r.Body, "BAA with Acme PACS"), strings.Index(r.Body, "MSA with Northwind")
		if first < 0 || !(first < second && second < third) {
			t.Fatalf("not newest first (%d %d %d):\n%s", first, second, third, r.Body)
		}
		if strings.Count(r.Body, `class="notice unread"`) != 3 || !strings.Contains(r.Body, "Renew it or give notice.") ||
			!strings.Contains(r.Body, `href="/contracts/c-k1"`) || len(noticeIDs(r.Body)) != 3 {
			t.Fatalf("notices not all shown unread with body and link:\n%s", r.Body)
		}
	})

	t.Run("MarkRead", func(t *testing.T) {
		ids := noticeIDs(annB.Get("/notices").Body)
		r := annB.Post("/notices/"+ids[0]+"/read", nil)
		if r.Status != http.StatusSeeOther || r.Header.Get("Location") != "/notices" {
			t.Fatalf("%d %s", r.Status, r.Header.Get("Location"))
		}
		page := annB.Get("/notices").Body
		if got := badge(t, page); got != "2" || !strings.Contains(page, `aria-label="2 unread notices"`) {
			t.Fatalf("badge %q after one read", got)
		}
		if strings.Count(page, `class="notice unread"`) != 2 || strings.Count(page, `class="notice"`) != 1 {
			t.Fatalf("the read notice is still marked unread:\n%s", page)
		}
		unread := annB.Get("/notices?show=unread").Body
		if strings.Contains(unread, "SLA with Contoso Lab") || !strings.Contains(unread, "BAA with Acme PACS") {
			t.Fatalf("unread filter:\n%s", unread)
		}
		// Marking from the unread list returns to it; again is no error.
		if r := annB.Post("/notices/"+ids[1]+"/read", url.Values{"show": {"unread"}}); r.Status != http.StatusSeeOther || r.Header.Get("Location") != "/notices?show=unread" {
			t.Fatalf("%d %s", r.Status, r.Header.Get("Location"))
		}
		if r := annB.Post("/notices/"+ids[1]+"/read", nil); r.Status != http.StatusSeeOther {
			t.Fatalf("marking twice: %d", r.Status)
		}
		if got := badge(t, annB.Get("/account").Body); got != "1" {
			t.Fatalf("badge %q on the account page after two read", got)
		}
	})

	t.Run("ErrNotFoundOtherUsers", func(t *testing.T) {
		id := noticeIDs(annB.Get("/notices").Body)[0]
		if r := boB.Post("/notices/"+id+"/read", nil); r.Status != http.StatusNotFound {
			t.Fatalf("another user's notice: %d", r.Status)
		}
		if r := boB.Get("/notices"); strings.Contains(r.Body, "Contoso") || !strings.Contains(r.Body, "No notices yet") {
			t.Fatalf("bo sees ann's notices:\n%s", r.Body)
		}
		if got := badge(t, annB.Get("/").Body); got != "1" {
			t.Fatalf("ann's badge changed: %q", got)
		}
	})

	t.Run("ErrSignedOut", func(t *testing.T) {
		anon := a.Browser(t)
		if r := anon.Get("/notices"); r.Status != http.StatusSeeOther || !strings.HasPrefix(r.Header.Get("Location"), "/signin") {
			t.Fatalf("%d %s", r.Status, r.Header.Get("Location"))
		}
		if r := anon.Post("/notices/x/read", nil); r.Status != http.StatusUnauthorized {
			t.Fatalf("%d", r.Status)
		}
	})

	t.Run("BadgeCap", func(t *testing.T) {
		cy := a.User(t, authz.RoleStaff)
		for i := range notify.InboxSize + 2 {
			if _, err := a.App.Notify.Notify(t.Context(), notify.Notice{UserID: cy.ID, Domain: a.Config.Domain, Subject: fmt.Sprintf("Notice %d", i)}); err != nil {
				t.Fatal(err)
			}
		}
		b := a.Browser(t)
		b.SignIn(cy)
		home := b.Get("/").Body
		if got := badge(t, home); got != fmt.Sprintf("%d+", notify.InboxSize) || !strings.Contains(home, fmt.Sprintf(`aria-label="%d or more unread notices"`, notify.InboxSize)) {
			t.Fatalf("badge %q", got)
		}
		if n := strings.Count(b.Get("/notices").Body, `class="notice unread"`); n != notify.InboxSize {
			t.Fatalf("%d notices listed, want the inbox's %d", n, notify.InboxSize)
		}
	})
}

func TestNoticesAPI(t *testing.T) {
	a := testkit.StartApp(t)
	ann := a.User(t, authz.RoleLegal)
	bo := a.User(t, authz.RoleAuditor)
	deliver(t, a, ann, "a1", "MSA with Northwind Imaging expires in 30 days")
	deliver(t, a, ann, "a2", "BAA with Acme PACS: notice deadline in 7 days")
	api, boAPI := newAssessAPI(t, a, ann), newAssessAPI(t, a, bo)

	type list struct {
		Notices []struct {
			ID, Domain, Subject, Body, Link string
			Read                            bool
		}
		Unread int
	}
	var got list
	api.want(200, "GET", "/api/v1/notices", "", &got)
	if got.Unread != 2 || len(got.Notices) != 2 || got.Notices[0].Subject != "BAA with Acme PACS: notice deadline in 7 days" ||
		got.Notices[0].Read || got.Notices[0].Link != "/contracts/c-a2" || got.Notices[0].Domain != a.Config.Domain {
		t.Fatalf("%+v", got)
	}
	id := got.Notices[0].ID

	t.Run("ErrNotFoundOtherUsers", func(t *testing.T) {
		r := boAPI.call("POST", "/api/v1/notices/"+id+"/read", "")
		if r.Status != 404 || errorOf(t, r).Error.Code != "not_found" {
			t.Fatalf("%d %s", r.Status, r.Body)
		}
		var none list
		boAPI.want(200, "GET", "/api/v1/notices", "", &none)
		if len(none.Notices) != 0 || none.Unread != 0 || !strings.Contains(boAPI.call("GET", "/api/v1/notices", "").Body, `"notices":[]`) {
			t.Fatalf("%+v", none)
		}
	})
	t.Run("MarkRead", func(t *testing.T) {
		api.want(204, "POST", "/api/v1/notices/"+id+"/read", "", nil)
		var after list
		api.want(200, "GET", "/api/v1/notices?unread=true", "", &after)
		if after.Unread != 1 || len(after.Notices) != 1 || after.Notices[0].ID == id {
			t.Fatalf("%+v", after)
		}
	})
	t.Run("ErrBadQuery", func(t *testing.T) {
		r := api.call("GET", "/api/v1/notices?unread=maybe", "")
		if r.Status != 422 || errorOf(t, r).Error.Field != "unread" {
			t.Fatalf("%d %s", r.Status, r.Body)
		}
	})
	t.Run("ErrUnauthorized", func(t *testing.T) {
		r := a.Browser(t).Do("GET", "/api/v1/notices", nil, http.Header{"Accept": {"application/json"}})
		var body struct{ Error struct{ Code string } }
		if r.Status != 401 || json.Unmarshal([]byte(r.Body), &body) != nil || body.Error.Code != "unauthorized" {
			t.Fatalf("%d %s", r.Status, r.Body)
		}
	})
}
