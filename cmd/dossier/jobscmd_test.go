package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"strings"
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

// jobsEnv is the settings of an operator's `dossier jobs` commands: a data
// folder of the test's own, the test S3 server, and mail to srv.
type jobsEnv map[string]string

func newJobsEnv(t *testing.T, srv *testkit.SMTPServer) jobsEnv {
	s3 := testkit.S3(t)
	env := jobsEnv{
		"DOSSIER_DATA_DIR": t.TempDir(), "DOSSIER_PUBLIC_URL": "https://dossier.hospital.example",
		"DOSSIER_S3_ENDPOINT": s3.Endpoint, "DOSSIER_S3_ACCESS_KEY": s3.AccessKey, "DOSSIER_S3_SECRET_KEY": s3.SecretKey,
		"DOSSIER_S3_TLS": fmt.Sprint(s3.TLS), "DOSSIER_S3_BUCKET": testkit.RandomName("t-"),
		"DOSSIER_SMTP_URL": srv.URL(),
	}
	if uri := os.Getenv("DOSSIER_TEST_MONGO_URI"); uri != "" {
		env["DOSSIER_MONGO_URI"], env["DOSSIER_MONGO_DATABASE"] = uri, testkit.RandomName("t")
	}
	return env
}

func (e jobsEnv) getenv(k string) string { return e[k] }

// dossier runs a command as an operator would: the built program, in a
// process of its own.
func (e jobsEnv) dossier(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var env []string
	for k, v := range e {
		env = append(env, k+"="+v)
	}
	return runTool(t, "", env, args...)
}

// open opens the data as a tool does, for the test to set up and look.
func (e jobsEnv) open(t *testing.T) *app.App {
	t.Helper()
	cfg, _, err := config.Parse("serve", nil, e.getenv, nil)
	if err != nil {
		t.Fatal(err)
	}
	a, err := app.OpenTool(t.Context(), cfg, testkit.Logger(t), time.Now)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// inForce records a signed MSA in force for owner, expiring in expiryDays
// with noticeDays of notice.
func inForce(t *testing.T, ctx context.Context, a *app.App, vendorID, owner, title string, expiryDays, noticeDays int) contract.Contract {
	t.Helper()
	domain := a.Config().Domain
	c, err := a.Contracts.Create(ctx, domain, contract.Fields{VendorID: vendorID, Type: contract.MSA, Title: title, Owner: owner,
		Effective: contract.Day(time.Now().AddDate(-1, 0, 0)), Expiry: contract.Day(time.Now().AddDate(0, 0, expiryDays)), NoticeDays: noticeDays})
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

// mailFor lists the subjects of the mail srv received for contract title.
func mailFor(t *testing.T, srv *testkit.SMTPServer, title string) []string {
	t.Helper()
	var out []string
	for _, m := range srv.Messages() {
		p, err := m.Parse()
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(p.Subject, title) {
			out = append(out, p.Subject)
		}
	}
	return out
}

// TestJobsRunExpiry is `dossier jobs run expiry` end to end: reminders
// mailed to a real SMTP server and recorded in the app, once per
// threshold across runs (each run a fresh program), a failure reported
// while the mail server is down and made good by the next run, and
// `dossier jobs list` showing the last run.
func TestJobsRunExpiry(t *testing.T) {
	srv := testkit.StartSMTP(t)
	env := newJobsEnv(t, srv)

	if code, out, errOut := env.dossier(t, "jobs", "list"); code != 0 || !strings.Contains(out, "expiry") || !strings.Contains(out, "never run") {
		t.Fatalf("jobs list before any run: exit %d\n%s\n%s", code, out, errOut)
	}

	a := env.open(t)
	ctx := audit.WithActor(t.Context(), audit.Actor{ID: "test", Name: "test setup"})
	legal, err := a.Access.CreateUser(ctx, "lee.legal@hospital.example.org", "Lee Legal")
	if err == nil {
		err = a.Authz.AddRole(ctx, legal.ID, authz.RoleLegal, a.Config().Domain)
	}
	if err != nil {
		t.Fatal(err)
	}
	v, err := a.Suppliers.Create(ctx, a.Config().Domain, supplier.Fields{LegalName: "Northwind Imaging, Inc.", Systems: []string{"pacs"},
		Data: []string{"pii"}, Access: []string{"remote"}, Clinical: "high"})
	if err != nil {
		t.Fatal(err)
	}
	// Expires in 30 days, notice due in 10: the 30-day expiry and notice
	// reminders.
	inForce(t, ctx, a, v.ID, legal.ID, "PACS support agreement", 30, 20)
	// Its notice deadline passed 10 days ago; it expires in 50 days: the
	// 60-day expiry reminder only.
	inForce(t, ctx, a, v.ID, legal.ID, "Lab interface agreement", 50, 60)
	a.Close()

	t.Run("OK", func(t *testing.T) {
		code, out, errOut := env.dossier(t, "jobs", "run", "expiry")
		if code != 0 || !strings.Contains(out, "sent 3") || !strings.Contains(out, "expiry: done") {
			t.Fatalf("exit %d\n%s\n%s", code, out, errOut)
		}
		pacsMail, labMail := mailFor(t, srv, "PACS support agreement"), mailFor(t, srv, "Lab interface agreement")
		if len(pacsMail) != 2 || len(labMail) != 1 || len(srv.Messages()) != 3 {
			t.Fatalf("mail: %q %q", pacsMail, labMail)
		}
		for _, m := range srv.Messages() {
			p, _ := m.Parse()
			if len(m.To) != 1 || m.To[0] != legal.Email || !strings.Contains(p.Text, "https://dossier.hospital.example/contracts/") {
				t.Fatalf("mail to %v:\n%s", m.To, p.Text)
			}
		}
		a := env.open(t)
		defer a.Close()
		notices, err := a.Notify.Notices(t.Context(), legal.ID, true)
		if err != nil || len(notices) != 3 {
			t.Fatalf("in-app: %d notices, %v", len(notices), err)
		}
	})

	t.Run("OncePerThreshold", func(t *testing.T) {
		code, out, errOut := env.dossier(t, "jobs", "run", "expiry")
		if code != 0 || strings.Contains(out, "sent") || !strings.Contains(out, "skipped 3") || len(srv.Messages()) != 3 {
			t.Fatalf("a second run: exit %d, %d messages\n%s\n%s", code, len(srv.Messages()), out, errOut)
		}
		code, out2, _ := env.dossier(t, "jobs", "list")
		if code != 0 || !strings.Contains(out2, "expiry\t") || !strings.Contains(out2, ": ok") || !strings.Contains(out2, "skipped 3") {
			_, out3, _ := env.dossier(t, "jobs", "list")
			t.Fatalf("jobs list: exit %d\n%q\nrun: %s\n%s\nagain: %s", code, out2, out, errOut, out3)
		}
	})

	t.Run("MailServerDown", func(t *testing.T) {
		a := env.open(t)
		rad := inForce(t, ctx, a, v.ID, legal.ID, "Radiology reading agreement", 7, 0)
		a.Close()
		srv.Stop()
		code, out, errOut := env.dossier(t, "jobs", "run", "expiry")
		if code != 1 || !strings.Contains(out, "failed 1") || !strings.Contains(errOut, "not sent") {
			t.Fatalf("with the mail server down: exit %d\n%s\n%s", code, out, errOut)
		}
		code, out, _ = env.dossier(t, "jobs", "list")
		if code != 0 || !strings.Contains(out, ": failed") {
			t.Fatalf("jobs list after a failure: exit %d\n%s", code, out)
		}

		up := testkit.StartSMTP(t)
		env["DOSSIER_SMTP_URL"] = up.URL()
		code, out, errOut = env.dossier(t, "jobs", "run", "expiry")
		if code != 0 || !strings.Contains(out, "sent 1") {
			t.Fatalf("the next run: exit %d\n%s\n%s", code, out, errOut)
		}
		if got := mailFor(t, up, "Radiology reading agreement"); len(got) != 1 || len(up.Messages()) != 1 {
			t.Fatalf("mail after the server came back: %q (%d in all)", got, len(up.Messages()))
		}
		if code, out, _ := env.dossier(t, "jobs", "run", "expiry"); code != 0 || strings.Contains(out, "sent") || len(up.Messages()) != 1 {
			t.Fatalf("a run after that: exit %d\n%s", code, out)
		}
		a = env.open(t)
		defer a.Close()
		notices, err := a.Notify.Notices(t.Context(), legal.ID, false)
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for _, x := range notices {
			if x.Link == "/contracts/"+rad.ID {
				n++
			}
		}
		if n != 1 || len(notices) != 4 {
			t.Fatalf("in-app: %d for the radiology agreement (want 1), %d in all (want 4)", n, len(notices))
		}
	})
}
