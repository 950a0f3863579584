package notify_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"

	"dossier/internal/errs"
	"dossier/internal/mail"
	"dossier/internal/notify"
	"dossier/internal/testkit"
)

// mailer is a Mailer for the test SMTP server srv.
func mailer(t *testing.T, srv *testkit.SMTPServer) *mail.Mailer {
	t.Helper()
	cfg, err := mail.ParseURL(srv.URL())
	if err != nil {
		t.Fatal(err)
	}
	return mail.New(cfg, nil)
}

func reminder(key, user string) notify.Delivery {
	return notify.Delivery{
		Key: key, UserID: user, Domain: domain,
		Subject: "BAA with Acme PACS expires in 30 days",
		Body:    "The business associate agreement with Acme Imaging, Inc. expires on 1 April 2026.\nRenew it, or give notice, by 2 March 2026.",
		Link:    "/contracts/42",
	}
}

func TestDeliver(t *testing.T) {
	e := newEnv(t)
	srv := testkit.StartSMTP(t)
	svc := e.service(notify.Options{Mailer: mailer(t, srv), PublicURL: "https://dossier.hospital.example/"})
	ann := e.user("ann.legal@hospital.example", "Ann Legal")
	ctx := e.ctx

	t.Run("OKInAppAndMail", func(t *testing.T) {
		sent, err := svc.Deliver(ctx, reminder("contract:42:expiry:30d", ann.ID))
		if err != nil || !sent {
			t.Fatalf("sent=%v %v", sent, err)
		}
		ns, err := svc.Notices(ctx, ann.ID, true)
		if err != nil || len(ns) != 1 || ns[0].Subject != "BAA with Acme PACS expires in 30 days" || ns[0].Link != "/contracts/42" || ns[0].Domain != domain {
			t.Fatalf("in-app: %+v %v", ns, err)
		}
		msgs := srv.Messages()
		if len(msgs) != 1 || len(msgs[0].To) != 1 || msgs[0].To[0] != ann.Email {
			t.Fatalf("delivered %+v", msgs)
		}
		m, err := msgs[0].Parse()
		if err != nil {
			t.Fatal(err)
		}
		if m.Subject != "BAA with Acme PACS expires in 30 days" {
			t.Fatalf("subject %q", m.Subject)
		}
		for _, want := range []string{"Hello Ann Legal", "expires on 1 April 2026.\nRenew it", "https://dossier.hospital.example/contracts/42"} {
			if !strings.Contains(strings.ReplaceAll(m.Text, "\r\n", "\n"), want) {
				t.Errorf("mail text lacks %q:\n%s", want, m.Text)
			}
		}
	})
	t.Run("OKOnlyOnce", func(t *testing.T) {
		other := e.service(notify.Options{Mailer: mailer(t, srv)})
		for _, s := range []*notify.Service{svc, other} {
			if sent, err := s.Deliver(ctx, reminder("contract:42:expiry:30d", ann.ID)); err != nil || sent {
				t.Fatalf("again: sent=%v %v", sent, err)
			}
		}
		if n := len(srv.Messages()); n != 1 {
			t.Fatalf("%d mails, want 1", n)
		}
		if ns, _ := svc.Notices(ctx, ann.ID, false); len(ns) != 1 {
			t.Fatalf("%d notices, want 1", len(ns))
		}
	})
	t.Run("OKDisabledUserGetsNothing", func(t *testing.T) {
		bob := e.user("bob.former@hospital.example", "Bob Former")
		if err := e.users.Disable(ctx, bob.ID); err != nil {
			t.Fatal(err)
		}
		before := len(srv.Messages())
		if sent, err := svc.Deliver(ctx, reminder("contract:7:expiry:7d", bob.ID)); err != nil || sent {
			t.Fatalf("sent=%v %v", sent, err)
		}
		if ns, _ := svc.Notices(ctx, bob.ID, false); len(ns) != 0 || len(srv.Messages()) != before {
			t.Fatalf("a disabled user was notified: %d notices, %d mails", len(ns), len(srv.Messages())-before)
		}
		// Enabled again, the skipped reminder does not catch up with them.
		if err := e.users.Enable(ctx, bob.ID); err != nil {
			t.Fatal(err)
		}
		if sent, _ := svc.Deliver(ctx, reminder("contract:7:expiry:7d", bob.ID)); sent {
			t.Fatal("a reminder skipped while disabled was sent later")
		}
	})
	t.Run("ErrUnknownUserIsRetried", func(t *testing.T) {
		if _, err := svc.Deliver(ctx, reminder("contract:8:expiry:7d", "nobody")); !errs.Is(err, errs.NotFound) {
			t.Fatalf("got %v, want not_found", err)
		}
		carol := e.user("carol@hospital.example", "Carol")
		d := reminder("contract:8:expiry:7d", carol.ID)
		if sent, err := svc.Deliver(ctx, d); err != nil || !sent {
			t.Fatalf("the key was not released: sent=%v %v", sent, err)
		}
	})
	t.Run("ErrInvalidBeforeClaim", func(t *testing.T) {
		d := reminder("contract:9:expiry:7d", ann.ID)
		d.Link = "javascript:alert(1)"
		if _, err := svc.Deliver(ctx, d); !errs.Is(err, errs.Invalid) {
			t.Fatalf("got %v, want invalid", err)
		}
		d.Link = "/contracts/9"
		if sent, err := svc.Deliver(ctx, d); err != nil || !sent {
			t.Fatalf("the refused delivery claimed its key: sent=%v %v", sent, err)
		}
	})
}

// TestDeliverMailDown: with the mail server down the in-app notice is made
// and the key released; the next delivery mails without a second notice.
func TestDeliverMailDown(t *testing.T) {
	e := newEnv(t)
	ann := e.user("ann.legal@hospital.example", "Ann Legal")
	down := testkit.StartSMTP(t)
	m := mailer(t, down)
	down.Stop()
	d := reminder("contract:42:notice:7d", ann.ID)
	if sent, err := e.service(notify.Options{Mailer: m}).Deliver(e.ctx, d); !errs.Is(err, errs.Unavailable) || sent {
		t.Fatalf("sent=%v err=%v, want unavailable", sent, err)
	}

	up := testkit.StartSMTP(t)
	svc := e.service(notify.Options{Mailer: mailer(t, up)})
	if sent, err := svc.Deliver(e.ctx, d); err != nil || !sent {
		t.Fatalf("retry: sent=%v %v", sent, err)
	}
	if n := len(up.Messages()); n != 1 {
		t.Fatalf("%d mails, want 1", n)
	}
	if ns, _ := svc.Notices(e.ctx, ann.ID, false); len(ns) != 1 {
		t.Fatalf("%d notices after a retried delivery, want 1", len(ns))
	}
}

// TestDeliverRefusedAddress: an address the server refuses for good is not
// retried; the notice is in the app.
func TestDeliverRefusedAddress(t *testing.T) {
	e := newEnv(t)
	ann := e.user("ann.legal@hospital.example", "Ann Legal")
	srv := testkit.StartSMTP(t, testkit.WithRefusedRecipient(ann.Email))
	svc := e.service(notify.Options{Mailer: mailer(t, srv)})
	if sent, err := svc.Deliver(e.ctx, reminder("k", ann.ID)); err != nil || !sent {
		t.Fatalf("sent=%v %v", sent, err)
	}
	if n, _ := svc.Unread(e.ctx, ann.ID); n != 1 || len(srv.Messages()) != 0 {
		t.Fatalf("unread %d, mails %d", n, len(srv.Messages()))
	}
	if sent, _ := svc.Deliver(e.ctx, reminder("k", ann.ID)); sent {
		t.Fatal("retried")
	}
}

// TestDeliverMailOff: without a mail server, notices are in-app only.
func TestDeliverMailOff(t *testing.T) {
	e := newEnv(t)
	ann := e.user("ann.legal@hospital.example", "Ann Legal")
	for i, m := range []notify.Mailer{nil, mail.New(mail.Config{}, nil), (*mail.Mailer)(nil)} {
		svc := e.service(notify.Options{Mailer: m})
		if sent, err := svc.Deliver(e.ctx, reminder(fmt.Sprint("k", i), ann.ID)); err != nil || !sent {
			t.Fatalf("mailer %#v: sent=%v %v", m, sent, err)
		}
	}
	if n, _ := e.service(notify.Options{}).Unread(e.ctx, ann.ID); n != 3 {
		t.Fatalf("unread %d, want 3", n)
	}
}

// TestDeliverRace: two instances deliver the same reminders at once; each
// goes out once, by mail and in-app.
func TestDeliverRace(t *testing.T) {
	e := newEnv(t)
	srv := testkit.StartSMTP(t)
	ann := e.user("ann.legal@hospital.example", "Ann Legal")
	services := []*notify.Service{e.service(notify.Options{Mailer: mailer(t, srv)}), e.service(notify.Options{Mailer: mailer(t, srv)})}
	const keys = 8
	var wg sync.WaitGroup
	for i := range 6 {
		svc := services[i%2]
		wg.Go(func() {
			for k := range keys {
				if _, err := svc.Deliver(context.Background(), reminder(fmt.Sprintf("contract:%d:expiry:60d", (k+i)%keys), ann.ID)); err != nil {
					t.Error(err)
				}
			}
		})
	}
	wg.Wait()
	if n := len(srv.Messages()); n != keys {
		t.Fatalf("%d mails, want %d", n, keys)
	}
	if n, _ := services[0].Unread(e.ctx, ann.ID); n != keys {
		t.Fatalf("%d unread, want %d", n, keys)
	}
}
