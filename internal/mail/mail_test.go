package mail_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strings"
	"testing"
	"time"

	"dossier/internal/errs"
	"dossier/internal/mail"
	"dossier/internal/testkit"
)

func TestParseURL(t *testing.T) {
	ok := []struct {
		name, url string
		want      string // Config.String()
		security  mail.Security
	}{
		{"OKStartTLS", "smtp://dossier%40hospital.org:s3cr%2Ft@mail.hospital.org?from=Dossier%20%3Cdossier@hospital.org%3E",
			"smtp://dossier%40hospital.org:xxxxx@mail.hospital.org:587?from=%22Dossier%22+%3Cdossier%40hospital.org%3E", mail.StartTLS},
		{"OKImplicitTLS", "smtps://u:p@mail.hospital.org?from=dossier@hospital.org",
			"smtps://u:xxxxx@mail.hospital.org:465?from=%3Cdossier%40hospital.org%3E", mail.ImplicitTLS},
		{"OKLoopbackRelay", "smtp://127.0.0.1:25?starttls=off&from=dossier@hospital.org&helo=dossier.hospital.org",
			"smtp://127.0.0.1:25?from=%3Cdossier%40hospital.org%3E&helo=dossier.hospital.org&starttls=off", mail.Plain},
		{"OKFromLogin", "smtp://dossier%40hospital.org:pw@mail.hospital.org:2525",
			"smtp://dossier%40hospital.org:xxxxx@mail.hospital.org:2525?from=%22Dossier%22+%3Cdossier%40hospital.org%3E", mail.StartTLS},
	}
	for _, c := range ok {
		t.Run(c.name, func(t *testing.T) {
			cfg, err := mail.ParseURL(c.url)
			if err != nil {
				t.Fatal(err)
			}
			if cfg.String() != c.want || cfg.Security != c.security || !cfg.Enabled() {
				t.Fatalf("got %s (security %d), want %s", cfg, cfg.Security, c.want)
			}
		})
	}
	t.Run("OKOff", func(t *testing.T) {
		cfg, err := mail.ParseURL("")
		if err != nil || cfg.Enabled() || cfg.String() != "off" {
			t.Fatalf("%v %v", cfg, err)
		}
	})
	t.Run("OKPasswordNeverPrinted", func(t *testing.T) {
		cfg, err := mail.ParseURL("smtp://ann:hunter2@mail.hospital.org?from=a@hospital.org")
		if err != nil {
			t.Fatal(err)
		}
		var logged bytes.Buffer
		slog.New(slog.NewTextHandler(&logged, nil)).Info("mail", "smtp", cfg)
		slog.New(slog.NewJSONHandler(&logged, nil)).Info("mail", "smtp", cfg)
		for _, s := range []string{fmt.Sprint(cfg), fmt.Sprintf("%+v", cfg), fmt.Sprintf("%#v", cfg), logged.String()} {
			if strings.Contains(s, "hunter2") {
				t.Fatalf("password shown: %s", s)
			}
		}
	})
	bad := []struct{ name, url, want string }{
		{"ErrScheme", "http://mail.hospital.org", "smtp:// or smtps://"},
		{"ErrNoHost", "smtp://?from=a@b.org", "names no mail server"},
		{"ErrPort", "smtp://mail.hospital.org:99999?from=a@b.org", "port"},
		{"ErrFrom", "smtp://mail.hospital.org?from=not-an-address", "is not an email address"},
		{"ErrNoFrom", "smtp://mail.hospital.org", "add the sender"},
		{"ErrStartTLSValue", "smtp://127.0.0.1?starttls=maybe&from=a@b.org", `may only be "off"`},
		{"ErrPlainOverNetwork", "smtp://mail.hospital.org:25?starttls=off&from=a@b.org", "only allowed for a relay on this machine"},
		{"ErrUnknownSetting", "smtp://mail.hospital.org?from=a@b.org&tls=yes", `unknown setting "tls"`},
		{"ErrPath", "smtp://mail.hospital.org/inbox?from=a@b.org", "path"},
		// An unencoded "/" in the password breaks the URL; the message must
		// not quote the pieces, which are the password's.
		{"ErrMalformedHidesPassword", "smtp://ann:pa/ss:w0rd@mail.hospital.org?from=a@b.org", "percent-encode"},
		{"ErrMalformedHidesPassword2", "smtp://ann:se%zzcret@mail.hospital.org", "percent-encode"},
	}
	for _, c := range bad {
		t.Run(c.name, func(t *testing.T) {
			_, err := mail.ParseURL(c.url)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("got %v, want an error containing %q", err, c.want)
			}
			for _, secret := range []string{"pa/ss", "w0rd", "se%zzcret", "cret"} {
				if strings.Contains(err.Error(), secret) {
					t.Fatalf("error shows the password: %v", err)
				}
			}
		})
	}
}

func newMailer(t *testing.T, url string, change ...func(*mail.Config)) *mail.Mailer {
	t.Helper()
	cfg, err := mail.ParseURL(url)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range change {
		f(&cfg)
	}
	return mail.New(cfg, testkit.Logger(t))
}

func onlyMessage(t *testing.T, srv *testkit.SMTPServer) (testkit.ReceivedMail, *testkit.ParsedMail) {
	t.Helper()
	got := srv.Messages()
	if len(got) != 1 {
		t.Fatalf("server has %d messages, want 1", len(got))
	}
	p, err := got[0].Parse()
	if err != nil {
		t.Fatalf("parse: %v\n%s", err, got[0].Data)
	}
	return got[0], p
}

func TestSend(t *testing.T) {
	ctx := context.Background()

	t.Run("OKPlain", func(t *testing.T) {
		srv := testkit.StartSMTP(t)
		m := newMailer(t, srv.URL())
		text := "Dear vendor,\n\nplease answer the security questionnaire:\nhttps://dossier.hospital.example/q/abc\n\n.\nA line with a dot alone above, and a very long line " + strings.Repeat("x", 200) + "\n"
		if err := m.Send(ctx, mail.Message{To: []string{"Ann Lee <ann@vendor.example>", "it@vendor.example"}, Subject: "Security questionnaire", Text: text}); err != nil {
			t.Fatal(err)
		}
		raw, p := onlyMessage(t, srv)
		if raw.From != "dossier@hospital.example" || strings.Join(raw.To, ",") != "ann@vendor.example,it@vendor.example" || raw.TLS {
			t.Fatalf("envelope %+v", raw)
		}
		if p.Subject != "Security questionnaire" || p.Header.Get("From") != `"Dossier" <dossier@hospital.example>` ||
			p.Header.Get("MIME-Version") != "1.0" || !strings.HasPrefix(p.Header.Get("Content-Type"), "text/plain; charset=utf-8") ||
			!strings.HasSuffix(p.Header.Get("Message-ID"), "@hospital.example>") || p.Header.Get("Auto-Submitted") != "auto-generated" {
			t.Fatalf("headers %v", p.Header)
		}
		if to, err := p.Header.AddressList("To"); err != nil || len(to) != 2 || to[0].Name != "Ann Lee" {
			t.Fatalf("To %v %v", to, err)
		}
		if _, err := p.Header.Date(); err != nil {
			t.Fatalf("Date: %v", err)
		}
		if want := strings.ReplaceAll(text, "\n", "\r\n"); p.Text != want {
			t.Fatalf("text body\n%q\nwant\n%q", p.Text, want)
		}
		for _, line := range strings.Split(string(raw.Data), "\r\n") {
			if len(line) > 78 {
				t.Fatalf("line of %d characters: %q", len(line), line)
			}
		}
	})
	t.Run("OKUTF8", func(t *testing.T) {
		srv := testkit.StartSMTP(t)
		m := newMailer(t, srv.URL())
		subject := "Fragebogen für Müller & Söhne — Sicherheitsprüfung 2026, bitte bis Freitag beantworten"
		err := m.Send(ctx, mail.Message{To: []string{"José Núñez <jose@proveedor.example>"}, Subject: subject,
			Text: "Grüße aus dem Krankenhaus — 🏥", HTML: "<p>Grüße aus dem <b>Krankenhaus</b></p>"})
		if err != nil {
			t.Fatal(err)
		}
		raw, p := onlyMessage(t, srv)
		if p.Subject != subject || p.Text != "Grüße aus dem Krankenhaus — 🏥" || p.HTML != "<p>Grüße aus dem <b>Krankenhaus</b></p>" {
			t.Fatalf("subject %q text %q html %q", p.Subject, p.Text, p.HTML)
		}
		if to, err := p.Header.AddressList("To"); err != nil || to[0].Name != "José Núñez" {
			t.Fatalf("To %v %v", to, err)
		}
		if !strings.HasPrefix(p.Header.Get("Content-Type"), "multipart/alternative;") {
			t.Fatalf("content type %q", p.Header.Get("Content-Type"))
		}
		for _, b := range raw.Data {
			if b >= 0x80 {
				t.Fatal("raw message is not 7-bit")
			}
		}
	})
	t.Run("OKAuthOverSTARTTLS", func(t *testing.T) {
		srv := testkit.StartSMTP(t, testkit.WithSTARTTLS(), testkit.WithAuth("dossier", "s3cret/pw"))
		m := newMailer(t, srv.URL(), func(c *mail.Config) { c.RootCAs = srv.CertPool() })
		if err := m.Send(ctx, mail.Message{To: []string{"ann@vendor.example"}, Subject: "Hello", Text: "hi"}); err != nil {
			t.Fatal(err)
		}
		if raw, _ := onlyMessage(t, srv); !raw.TLS || raw.User != "dossier" {
			t.Fatalf("tls=%v user=%q", raw.TLS, raw.User)
		}
	})
	t.Run("OKLoginAuth", func(t *testing.T) {
		srv := testkit.StartSMTP(t, testkit.WithSTARTTLS(), testkit.WithAuth("dossier", "pw"), testkit.WithLoginAuthOnly())
		m := newMailer(t, srv.URL(), func(c *mail.Config) { c.RootCAs = srv.CertPool() })
		if err := m.Send(ctx, mail.Message{To: []string{"ann@vendor.example"}, Subject: "Hello", Text: "hi"}); err != nil {
			t.Fatal(err)
		}
		if raw, _ := onlyMessage(t, srv); !raw.TLS || raw.User != "dossier" {
			t.Fatalf("tls=%v user=%q", raw.TLS, raw.User)
		}
	})
	t.Run("ErrUntrustedCertificate", func(t *testing.T) {
		srv := testkit.StartSMTP(t, testkit.WithSTARTTLS(), testkit.WithAuth("dossier", "hunter2"))
		err := newMailer(t, srv.URL()).Send(ctx, mail.Message{To: []string{"ann@vendor.example"}, Subject: "Hello", Text: "hi"})
		if !errs.Is(err, errs.Unavailable) || !strings.Contains(err.Error(), "certificate") || strings.Contains(err.Error(), "hunter2") {
			t.Fatalf("got %v", err)
		}
		if len(srv.Messages()) != 0 {
			t.Fatal("sent anyway")
		}
	})
	t.Run("ErrWrongPassword", func(t *testing.T) {
		srv := testkit.StartSMTP(t, testkit.WithSTARTTLS(), testkit.WithAuth("dossier", "right"))
		url := strings.Replace(srv.URL(), ":right@", ":wrong-hunter2@", 1)
		err := newMailer(t, url, func(c *mail.Config) { c.RootCAs = srv.CertPool() }).Send(ctx, mail.Message{To: []string{"a@vendor.example"}, Subject: "x", Text: "x"})
		if !errs.Is(err, errs.Unavailable) || !strings.Contains(err.Error(), "authentication as dossier") || strings.Contains(err.Error(), "hunter2") {
			t.Fatalf("got %v", err)
		}
	})
	t.Run("ErrHeaderInjection", func(t *testing.T) {
		srv := testkit.StartSMTP(t)
		m := newMailer(t, srv.URL())
		for _, msg := range []mail.Message{
			{To: []string{"ann@vendor.example"}, Subject: "Hello\r\nBcc: everyone@hospital.example", Text: "x"},
			{To: []string{"ann@vendor.example"}, Subject: "Hello\nBcc: everyone@hospital.example", Text: "x"},
			{To: []string{"ann@vendor.example\r\nBcc: everyone@hospital.example"}, Subject: "Hello", Text: "x"},
			{To: []string{"Ann\n <ann@vendor.example>"}, Subject: "Hello", Text: "x"},
			{To: []string{"not an address"}, Subject: "Hello", Text: "x"},
			{To: nil, Subject: "Hello", Text: "x"},
		} {
			if err := m.Send(ctx, msg); !errs.Is(err, errs.Invalid) {
				t.Errorf("%q / %q: got %v, want invalid", msg.To, msg.Subject, err)
			}
		}
		if len(srv.Messages()) != 0 {
			t.Fatal("something was sent")
		}
	})
	t.Run("ErrRecipientRefused", func(t *testing.T) {
		srv := testkit.StartSMTP(t, testkit.WithRefusedRecipient("gone@vendor.example"))
		err := newMailer(t, srv.URL()).Send(ctx, mail.Message{To: []string{"gone@vendor.example"}, Subject: "x", Text: "x"})
		if !errs.Is(err, errs.Invalid) || errs.Message(err) != "The mail server refused the address gone@vendor.example." {
			t.Fatalf("got %v", err)
		}
	})
	t.Run("ErrServerDown", func(t *testing.T) {
		srv := testkit.StartSMTP(t, testkit.WithAuth("dossier", "hunter2"))
		srv.Stop()
		err := newMailer(t, srv.URL()).Send(ctx, mail.Message{To: []string{"ann@vendor.example"}, Subject: "x", Text: "x"})
		if !errs.Is(err, errs.Unavailable) || !strings.Contains(err.Error(), srv.Addr) || strings.Contains(err.Error(), "hunter2") {
			t.Fatalf("got %v, want unavailable naming %s without the password", err, srv.Addr)
		}
		if errs.Message(err) != "The email could not be sent; try again later." {
			t.Fatalf("message %q", errs.Message(err))
		}
	})
	t.Run("ErrDeadline", func(t *testing.T) {
		// A server that accepts the connection and never greets.
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer ln.Close()
		go func() {
			for {
				c, err := ln.Accept()
				if err != nil {
					return
				}
				defer c.Close()
			}
		}()
		m := newMailer(t, "smtp://"+ln.Addr().String()+"?from=dossier@hospital.example")
		ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
		defer cancel()
		err = m.Send(ctx, mail.Message{To: []string{"ann@vendor.example"}, Subject: "x", Text: "x"})
		if !errs.Is(err, errs.Unavailable) || !errors.Is(err, context.DeadlineExceeded) || !strings.Contains(err.Error(), ln.Addr().String()) {
			t.Fatalf("got %v", err)
		}
	})
	t.Run("ErrOff", func(t *testing.T) {
		var nilMailer *mail.Mailer
		for _, m := range []*mail.Mailer{nilMailer, mail.New(mail.Config{}, nil)} {
			if m.Enabled() {
				t.Fatal("enabled")
			}
			if err := m.Send(ctx, mail.Message{To: []string{"a@b.example"}, Subject: "x", Text: "x"}); !errors.Is(err, mail.ErrOff) || !errs.Is(err, errs.Unavailable) {
				t.Fatalf("got %v", err)
			}
		}
	})
}
