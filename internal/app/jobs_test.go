package app_test

import (
	"bytes"
	"context"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"dossier/internal/app"
	"dossier/internal/audit"
	"dossier/internal/authz"
	"dossier/internal/config"
	"dossier/internal/contract"
	"dossier/internal/pdfdoc"
	"dossier/internal/supplier"
	"dossier/internal/testkit"
	"dossier/internal/upload"
)

func TestMain(m *testing.M) { os.Exit(testkit.Main(m)) }

// clock is the program's time, moved by the test a day at a time.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) addDays(n int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.AddDate(0, 0, n)
}

func open(t *testing.T, cfg config.Config, now func() time.Time) *app.App {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	a, err := app.Open(ctx, cfg, testkit.Logger(t), "test", now)
	if err != nil {
		t.Fatalf("start Dossier: %v", err)
	}
	return a
}

func shutdown(t *testing.T, a *app.App) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := a.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
}

// seedContract puts a signed MSA with vendorID in force for owner:
// effective a year before today, expiring expiryDays after it, with
// noticeDays of notice.
func seedContract(t *testing.T, ctx context.Context, a *app.App, domain, vendorID, owner, title string, today time.Time, expiryDays, noticeDays int) contract.Contract {
	t.Helper()
	c, err := a.Contracts.Create(ctx, domain, contract.Fields{VendorID: vendorID, Type: contract.MSA, Title: title, Owner: owner,
		Effective: contract.Day(today.AddDate(-1, 0, 0)), Expiry: contract.Day(today.AddDate(0, 0, expiryDays)), NoticeDays: noticeDays})
	if err != nil {
		t.Fatal(err)
	}
	f, err := upload.Spool(bytes.NewReader(pdfdoc.Text(title, "Signed by both parties.")), 1<<20, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	f.Name = "signed.pdf"
	defer f.Remove()
	if c, err = a.Contracts.UploadFile(ctx, domain, c.ID, c.Version, f, true, true); err != nil {
		t.Fatal(err)
	}
	if c, err = a.Contracts.Activate(ctx, domain, c.ID, c.Version); err != nil {
		t.Fatal(err)
	}
	return c
}

// subjects are the subjects of the mail the server received, in order.
func subjects(t *testing.T, srv *testkit.SMTPServer) []string {
	t.Helper()
	var out []string
	for _, m := range srv.Messages() {
		p, err := m.Parse()
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, p.Subject)
	}
	return out
}

// TestExpiryJob runs the daily contract job as the scheduler would, on a
// clock the test moves: each reminder goes out once, by e-mail to a real
// SMTP server and in the app, however often the job runs and across a
// restart, and the next threshold's reminder goes out when its day comes.
func TestExpiryJob(t *testing.T) {
	srv := testkit.StartSMTP(t)
	cfg := testkit.DefaultConfig(t)
	cfg.SMTPURL = srv.URL()
	cfg.PublicURL = "https://dossier.hospital.example"
	// 03:00 UTC: before the job's daily hour, so the scheduler leaves the
	// runs to the test.
	y, m, d := time.Now().UTC().Date()
	clk := &clock{t: time.Date(y, m, d, 3, 0, 0, 0, time.UTC)}
	today := clk.Now()

	a := open(t, cfg, clk.Now)
	t.Cleanup(func() {
		if a != nil {
			shutdown(t, a)
		}
	})
	ctx := audit.WithActor(t.Context(), audit.System)
	domain := cfg.Domain
	legal, err := a.Access.CreateUser(ctx, "lee.legal@hospital.example.org", "Lee Legal")
	if err != nil {
		t.Fatal(err)
	}
	if err := a.Authz.AddRole(ctx, legal.ID, authz.RoleLegal, domain); err != nil {
		t.Fatal(err)
	}
	v, err := a.Suppliers.Create(ctx, domain, supplier.Fields{LegalName: "Northwind Imaging, Inc.", Systems: []string{"pacs"},
		Data: []string{"pii"}, Access: []string{"remote"}, Clinical: "high"})
	if err != nil {
		t.Fatal(err)
	}
	// Expires in 30 days, notice deadline in 10: both 30-day reminders.
	pacs := seedContract(t, ctx, a, domain, v.ID, legal.ID, "PACS support agreement", today, 30, 20)
	// Expires in 50 days, its notice deadline 10 days past: the 60-day
	// expiry reminder, and none for the deadline that passed.
	lab := seedContract(t, ctx, a, domain, v.ID, legal.ID, "Lab interface agreement", today, 50, 60)

	run := func(a *app.App) map[string]int {
		t.Helper()
		res, err := a.Jobs.RunNow(ctx, app.ExpiryJob)
		if err != nil {
			t.Fatalf("run the expiry job: %v (%v)", err, res.Counts)
		}
		return res.Counts
	}

	counts := run(a)
	if counts["sent"] != 3 || counts["failed"] != 0 {
		t.Fatalf("first run: %v", counts)
	}
	got := subjects(t, srv)
	if len(got) != 3 {
		t.Fatalf("mail: %q", got)
	}
	for _, m := range srv.Messages() {
		if len(m.To) != 1 || m.To[0] != legal.Email {
			t.Fatalf("mail to %v, want the owner %s", m.To, legal.Email)
		}
		p, _ := m.Parse()
		if !strings.Contains(p.Text, "https://dossier.hospital.example/contracts/") {
			t.Fatalf("no link to the contract:\n%s", p.Text)
		}
	}
	joined := strings.Join(got, "\n")
	if strings.Count(joined, "PACS support agreement") != 2 || strings.Count(joined, "Lab interface agreement") != 1 {
		t.Fatalf("subjects:\n%s", joined)
	}
	notices, err := a.Notify.Notices(ctx, legal.ID, true)
	if err != nil || len(notices) != 3 {
		t.Fatalf("in-app notices: %d %v", len(notices), err)
	}

	t.Run("OncePerThreshold", func(t *testing.T) {
		if counts := run(a); counts["sent"] != 0 || counts["skipped"] != 3 {
			t.Fatalf("second run: %v", counts)
		}
		clk.addDays(1) // the next day: the same thresholds still stand
		if counts := run(a); counts["sent"] != 0 {
			t.Fatalf("next day: %v", counts)
		}
		if n := len(srv.Messages()); n != 3 {
			t.Fatalf("%d messages, want still 3", n)
		}
	})

	t.Run("AfterRestart", func(t *testing.T) {
		shutdown(t, a)
		a = nil
		a = open(t, cfg, clk.Now)
		if counts := run(a); counts["sent"] != 0 {
			t.Fatalf("after a restart: %v", counts)
		}
		st, err := a.Jobs.Status(ctx, app.ExpiryJob)
		if err != nil || st.Outcome != "ok" || st.Runs < 4 || !st.Manual {
			t.Fatalf("status: %+v %v", st, err)
		}
	})

	t.Run("NextThreshold", func(t *testing.T) {
		clk.addDays(22) // 7 days before the PACS agreement expires; 27 before the lab's
		counts := run(a)
		if counts["sent"] != 2 {
			t.Fatalf("%v", counts)
		}
		got := subjects(t, srv)[3:]
		joined := strings.Join(got, "\n")
		if len(got) != 2 || !strings.Contains(joined, "PACS support agreement") || !strings.Contains(joined, "Lab interface agreement") {
			t.Fatalf("new mail: %q", got)
		}
		clk.addDays(7) // the PACS agreement's expiry day
		if counts := run(a); counts["sent"] != 1 {
			t.Fatalf("on the expiry day: %v", counts)
		}
		clk.addDays(1) // the day after: expired by the sweep, nothing sent again
		if counts := run(a); counts["sent"] != 0 || counts["expired"] != 1 {
			t.Fatalf("the day after expiry: %v", counts)
		}
		k, err := a.Contracts.Get(ctx, domain, pacs.ID)
		if err != nil || k.Status != contract.Expired {
			t.Fatalf("the PACS agreement: %v %v", k.Status, err)
		}
		all, err := a.Notify.Notices(ctx, legal.ID, false)
		if err != nil || len(all) != 6 || len(srv.Messages()) != 6 {
			t.Fatalf("%d notices, %d messages (%v)", len(all), len(srv.Messages()), err)
		}
		for _, n := range all {
			if n.Link != "/contracts/"+pacs.ID && n.Link != "/contracts/"+lab.ID {
				t.Fatalf("notice links %q", n.Link)
			}
		}
	})
	t.Run("OwnerLostTheRight", func(t *testing.T) {
		// The lab agreement's 7-day reminder falls due; its owner has moved
		// to a role that may not see contracts.
		if err := a.Authz.RemoveRole(ctx, legal.ID, authz.RoleLegal, domain); err != nil {
			t.Fatal(err)
		}
		if err := a.Authz.AddRole(ctx, legal.ID, authz.RoleStaff, domain); err != nil {
			t.Fatal(err)
		}
		clk.addDays(12) // 7 days before the lab agreement expires
		before := len(srv.Messages())
		if counts := run(a); counts["sent"] != 0 || counts["recipient may not view"] != 1 || len(srv.Messages()) != before {
			t.Fatalf("%v, %d new messages", counts, len(srv.Messages())-before)
		}
	})

	t.Run("EveryDomain", func(t *testing.T) {
		// A contract of another hospital is expired by the same run.
		clinic := "clinic"
		owner, err := a.Access.CreateUser(ctx, "cleo.counsel@clinic.example.org", "Cleo Counsel")
		if err != nil {
			t.Fatal(err)
		}
		if err := a.Authz.AddRole(ctx, owner.ID, authz.RoleLegal, clinic); err != nil {
			t.Fatal(err)
		}
		cv, err := a.Suppliers.Create(ctx, clinic, supplier.Fields{LegalName: "Clinic Labs LLC", Data: []string{"pii"}})
		if err != nil {
			t.Fatal(err)
		}
		k := seedContract(t, ctx, a, clinic, cv.ID, owner.ID, "Clinic courier agreement", clk.Now(), 1, 0)
		clk.addDays(2)
		if counts := run(a); counts["expired"] < 1 {
			t.Fatalf("%v", counts)
		}
		if k, err = a.Contracts.Get(ctx, clinic, k.ID); err != nil || k.Status != contract.Expired {
			t.Fatalf("the clinic's agreement: %v %v", k.Status, err)
		}
	})
}
