package http_test

import (
	"bytes"
	"context"
	"html"
	"log/slog"
	"net"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	goical "github.com/emersion/go-ical"

	"dossier/internal/app"
	"dossier/internal/audit"
	"dossier/internal/authz"
	"dossier/internal/contract"
	"dossier/internal/testkit"
	"dossier/internal/upload"
)

// logBuffer keeps everything Dossier logs, for tests that look for what
// must never be logged.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

// startAppLogged is testkit.StartApp with every log line, requests
// included, kept in the returned buffer.
func startAppLogged(t *testing.T) (*testkit.TestApp, *logBuffer) {
	t.Helper()
	cfg := testkit.DefaultConfig(t)
	logs := &logBuffer{}
	log := slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	prog, err := app.Open(ctx, cfg, log, "test", time.Now)
	if err != nil {
		t.Fatalf("start Dossier: %v", err)
	}
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = prog.Serve(ln) }()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = prog.Shutdown(ctx)
	})
	return &testkit.TestApp{URL: "http://" + ln.Addr().String(), App: prog, Config: cfg}, logs
}

// activeContract puts a signed contract in force for owner, as legal
// would: effective a year ago, expiring in expiryDays, with noticeDays.
func activeContract(t *testing.T, a *testkit.TestApp, by testkit.User, vendorID, title, owner string, expiryDays, noticeDays int) contract.Contract {
	t.Helper()
	ctx := audit.WithActor(t.Context(), audit.Actor{ID: by.ID, Name: by.Email})
	c, err := a.App.Contracts.Create(ctx, a.Config.Domain, contract.Fields{VendorID: vendorID, Type: contract.MSA, Title: title, Owner: owner,
		Effective: contract.Day(time.Now().AddDate(-1, 0, 0)), Expiry: contract.Day(time.Now().AddDate(0, 0, expiryDays)), NoticeDays: noticeDays})
	if err != nil {
		t.Fatal(err)
	}
	f, err := upload.Spool(bytes.NewReader(signedPDF(title)), 1<<20, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	f.Name = "signed.pdf"
	defer f.Remove()
	if c, err = a.App.Contracts.UploadFile(ctx, a.Config.Domain, c.ID, c.Version, f, true, true); err != nil {
		t.Fatal(err)
	}
	if c, err = a.App.Contracts.Activate(ctx, a.Config.Domain, c.ID, c.Version); err != nil {
		t.Fatal(err)
	}
	return c
}

var calendarURLRE = regexp.MustCompile(`id="calendar-url" class="secret" value="([^"]+)"`)

// newCalendar asks for a calendar address on the account page and returns
// the address shown, adding it to feeds.
func newCalendar(t *testing.T, b *testkit.Browser, feeds *[]string) string {
	t.Helper()
	r := b.Post("/account/calendar", nil)
	m := calendarURLRE.FindStringSubmatch(r.Body)
	if r.Status != 200 || m == nil {
		t.Fatalf("create calendar address: %d\n%s", r.Status, r.Body)
	}
	*feeds = append(*feeds, html.UnescapeString(m[1]))
	return html.UnescapeString(m[1])
}

// fetchFeed gets a feed as a calendar client does: no cookies.
func fetchFeed(t *testing.T, feed string) (int, http.Header, string) {
	t.Helper()
	req, _ := http.NewRequest("GET", feed, nil)
	req.Header.Set("Accept", "text/calendar, */*")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body bytes.Buffer
	_, _ = body.ReadFrom(resp.Body)
	return resp.StatusCode, resp.Header, body.String()
}

// parseFeed reads a feed with go-ical and returns its events by summary.
func parseFeed(t *testing.T, feed string) (*goical.Calendar, map[string]goical.Event) {
	t.Helper()
	cal, err := goical.NewDecoder(strings.NewReader(feed)).Decode()
	if err != nil {
		t.Fatalf("go-ical cannot read the feed: %v\n%s", err, feed)
	}
	events := map[string]goical.Event{}
	for _, e := range cal.Events() {
		s, err := e.Props.Text(goical.PropSummary)
		if err != nil {
			t.Fatal(err)
		}
		events[s] = e
	}
	return cal, events
}

func TestCalendarFeed(t *testing.T) {
	a, logs := startAppLogged(t)
	ann := a.User(t, authz.RoleLegal)
	bo := a.User(t, authz.RoleLegal)
	vendor := newVendor(t, a, ann, "Northwind Imaging, Inc.")
	mine := activeContract(t, a, ann, vendor.ID, "PACS support agreement", ann.ID, 100, 30)
	activeContract(t, a, ann, vendor.ID, "Bo's lab agreement", bo.ID, 50, 0)
	b := a.Browser(t)
	b.SignIn(ann)
	var feeds []string // every address made, none of which may be logged

	if r := b.Get("/account"); !strings.Contains(r.Body, "Calendar feed") || !strings.Contains(r.Body, "Create calendar address") ||
		!strings.Contains(r.Body, "you own") {
		t.Fatalf("account page without a calendar section:\n%s", r.Body)
	}
	feed := newCalendar(t, b, &feeds)
	secret := strings.TrimSuffix(strings.TrimPrefix(feed, a.URL+"/calendar/"), ".ics")
	if !strings.HasPrefix(feed, a.URL+"/calendar/") || len(secret) < 40 {
		t.Fatalf("calendar address %q", feed)
	}

	t.Run("OK", func(t *testing.T) {
		status, h, body := fetchFeed(t, feed)
		if status != 200 || h.Get("Content-Type") != "text/calendar; charset=utf-8" || h.Get("Cache-Control") != "no-store" || h.Get("Set-Cookie") != "" {
			t.Fatalf("%d %v\n%s", status, h, body)
		}
		cal, events := parseFeed(t, body)
		if len(events) != 2 {
			t.Fatalf("want the expiry and the notice deadline of ann's one contract, got %d events:\n%s", len(events), body)
		}
		if name, _ := cal.Props.Text("X-WR-CALNAME"); !strings.Contains(name, "Dossier") {
			t.Errorf("calendar name %q", name)
		}
		if !strings.Contains(body, "REFRESH-INTERVAL") {
			t.Error("no refresh interval")
		}
		want := map[string]time.Time{
			"Contract expires: PACS support agreement (Northwind Imaging, Inc.)": mine.Expiry,
			"Notice deadline: PACS support agreement (Northwind Imaging, Inc.)":  mine.NoticeDeadline(),
		}
		for summary, day := range want {
			e, ok := events[summary]
			if !ok {
				t.Fatalf("no event %q:\n%s", summary, body)
			}
			start, err := e.DateTimeStart(time.UTC)
			if err != nil || !start.Equal(day) {
				t.Errorf("%s: starts %v (%v), want %v", summary, start, err, day)
			}
			if e.Props.Get(goical.PropDateTimeStart).ValueType() != goical.ValueDate {
				t.Errorf("%s: not an all-day event", summary)
			}
			if u, err := e.Props.URI(goical.PropURL); err != nil || u.String() != a.URL+"/contracts/"+mine.ID {
				t.Errorf("%s: URL %v %v", summary, u, err)
			}
			if len(e.Children) != 1 || e.Children[0].Name != goical.CompAlarm {
				t.Errorf("%s: no alarm", summary)
			}
		}
		if strings.Contains(body, "Bo's lab agreement") {
			t.Error("another owner's contract is in the feed")
		}
		// UIDs stay the same from one fetch to the next.
		_, _, again := fetchFeed(t, feed)
		_, events2 := parseFeed(t, again)
		for s, e := range events {
			if e.Props.Get(goical.PropUID).Value != events2[s].Props.Get(goical.PropUID).Value {
				t.Errorf("%s: UID changed between fetches", s)
			}
		}
	})

	t.Run("ShownOnce", func(t *testing.T) {
		page := b.Get("/account").Body
		if strings.Contains(page, secret) || !strings.Contains(page, "Replace address") || !strings.Contains(page, "Stop the feed") {
			t.Fatalf("account page after creating:\n%s", page)
		}
		if len(auditEvents(t, a, "calendar.create")) != 1 {
			t.Error("creating the address was not audited")
		}
	})

	t.Run("ErrNotFoundUnknown", func(t *testing.T) {
		for _, path := range []string{"/calendar/" + strings.Repeat("A", 43) + ".ics", "/calendar/short.ics"} {
			status, _, body := fetchFeed(t, a.URL+path)
			if status != 404 || strings.Contains(body, "revoked") || strings.Contains(body, "disabled") {
				t.Fatalf("%s: %d\n%s", path, status, body)
			}
		}
	})

	t.Run("Replace", func(t *testing.T) {
		replaced := newCalendar(t, b, &feeds)
		if replaced == feed {
			t.Fatal("the same address again")
		}
		if status, _, _ := fetchFeed(t, feed); status != 404 {
			t.Fatalf("the replaced address: %d", status)
		}
		if status, _, _ := fetchFeed(t, replaced); status != 200 {
			t.Fatalf("the new address: %d", status)
		}
		t.Run("Revoke", func(t *testing.T) {
			r := b.Post("/account/calendar/revoke", nil)
			if r.Status != http.StatusSeeOther {
				t.Fatalf("%d\n%s", r.Status, r.Body)
			}
			if status, _, _ := fetchFeed(t, replaced); status != 404 {
				t.Fatalf("the revoked address: %d", status)
			}
			if page := b.Get("/account").Body; !strings.Contains(page, "Create calendar address") {
				t.Fatal("the account page still shows a feed")
			}
			if len(auditEvents(t, a, "calendar.revoke")) == 0 {
				t.Error("revoking was not audited")
			}
		})
	})

	t.Run("ErrNotFoundDisabledUser", func(t *testing.T) {
		bb := a.Browser(t)
		bb.SignIn(bo)
		boFeed := newCalendar(t, bb, &feeds)
		if status, _, body := fetchFeed(t, boFeed); status != 200 || !strings.Contains(body, "Bo's lab agreement") {
			t.Fatalf("bo's feed: %d\n%s", status, body)
		}
		if err := a.App.Access.Disable(audit.WithActor(t.Context(), audit.System), bo.ID); err != nil {
			t.Fatal(err)
		}
		if status, _, _ := fetchFeed(t, boFeed); status != 404 {
			t.Fatalf("a disabled user's feed: %d", status)
		}
	})

	t.Run("LostView", func(t *testing.T) {
		cy := a.User(t, authz.RoleLegal)
		activeContract(t, a, ann, vendor.ID, "Cy's RIS agreement", cy.ID, 80, 10)
		cb := a.Browser(t)
		cb.SignIn(cy)
		cyFeed := newCalendar(t, cb, &feeds)
		if _, _, body := fetchFeed(t, cyFeed); !strings.Contains(body, "Cy's RIS agreement") {
			t.Fatalf("cy's feed before:\n%s", body)
		}
		// Cy moves to a role that sees no contracts; the contract stays theirs.
		sys := audit.WithActor(t.Context(), audit.System)
		if err := a.App.Authz.AddRole(sys, cy.ID, authz.RoleStaff, a.Config.Domain); err != nil {
			t.Fatal(err)
		}
		if err := a.App.Authz.RemoveRole(sys, cy.ID, authz.RoleLegal, a.Config.Domain); err != nil {
			t.Fatal(err)
		}
		status, _, body := fetchFeed(t, cyFeed)
		if _, events := parseFeed(t, body); status != 200 || len(events) != 0 {
			t.Fatalf("a user who may no longer view contracts: %d, %d events\n%s", status, len(events), body)
		}
	})

	t.Run("SecretNotLogged", func(t *testing.T) {
		log := logs.String()
		if !strings.Contains(log, "path=/calendar/[redacted]") {
			t.Fatalf("no redacted feed request in the log:\n%s", log)
		}
		for _, f := range feeds {
			secret := strings.TrimSuffix(strings.TrimPrefix(f, a.URL+"/calendar/"), ".ics")
			if strings.Contains(log, secret) {
				t.Fatalf("the calendar secret of %s is in the log", f)
			}
		}
	})
}
