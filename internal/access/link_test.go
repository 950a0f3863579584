package access_test

import (
	"strings"
	"testing"
	"time"

	"dossier/internal/errs"
)

func TestPasswordLinks(t *testing.T) {
	e := newEnv(t)
	u, err := e.svc.CreateUser(e.ctx, "alice@hospital.org", "Alice Moreau")
	if err != nil {
		t.Fatal(err)
	}
	token, err := e.svc.CreatePasswordLink(e.ctx, u.ID, 0)
	if err != nil {
		t.Fatal(err)
	}
	e.secret(token)
	t.Run("OnlyHashStored", func(t *testing.T) {
		raw := e.raw(t, "password_links")
		if strings.Contains(raw, token) || !strings.Contains(raw, sha(token)) {
			t.Fatal("the link token is stored, or not under its hash")
		}
	})
	t.Run("OK", func(t *testing.T) {
		got, err := e.svc.PasswordLinkUser(e.ctx, token)
		if err != nil || got.ID != u.ID {
			t.Fatalf("got %+v, %v", got, err)
		}
		// A refused password does not use the link up.
		_, err = e.svc.UsePasswordLink(e.ctx, token, "alice-moreau-password")
		wantCode(t, err, errs.Invalid)
		got, err = e.svc.UsePasswordLink(e.ctx, token, password)
		if err != nil || !got.HasPassword() {
			t.Fatalf("got %+v, %v", got, err)
		}
		e.signIn(t, "alice@hospital.org", office)
		if a := e.audit.Last(t, "user.password_set"); a.Details["via"] != "link" {
			t.Fatalf("audit %+v", a)
		}
	})
	t.Run("ErrSingleUse", func(t *testing.T) {
		_, err := e.svc.UsePasswordLink(e.ctx, token, password)
		wantCode(t, err, errs.NotFound)
		_, used := e.svc.PasswordLinkUser(e.ctx, token)
		_, unknown := e.svc.PasswordLinkUser(e.ctx, "no-such-link")
		wantCode(t, used, errs.NotFound)
		if errs.Message(used) != errs.Message(unknown) {
			t.Fatalf("used and unknown links differ: %q, %q", errs.Message(used), errs.Message(unknown))
		}
	})
	t.Run("ErrExpired", func(t *testing.T) {
		tok, err := e.svc.CreatePasswordLink(e.ctx, u.ID, time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		e.secret(tok)
		e.clock.Advance(time.Hour)
		_, err = e.svc.PasswordLinkUser(e.ctx, tok)
		wantCode(t, err, errs.NotFound)
	})
	t.Run("ErrSupersededByNewPassword", func(t *testing.T) {
		tok, err := e.svc.CreatePasswordLink(e.ctx, u.ID, 0)
		if err != nil {
			t.Fatal(err)
		}
		e.secret(tok)
		e.clock.Advance(time.Second)
		if err := e.svc.SetPassword(e.ctx, u.ID, "another fine passphrase"); err != nil {
			t.Fatal(err)
		}
		_, err = e.svc.PasswordLinkUser(e.ctx, tok)
		wantCode(t, err, errs.NotFound)
	})
}

func TestSetupLink(t *testing.T) {
	e := newEnv(t)
	token, err := e.svc.CreateSetupLink(e.ctx, 24*time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	e.secret(token)
	t.Run("ErrInvalidInputKeepsLink", func(t *testing.T) {
		_, err := e.svc.UseSetupLink(e.ctx, token, "admin@hospital.org", "Ada Admin", "short")
		wantCode(t, err, errs.Invalid)
		_, err = e.svc.UseSetupLink(e.ctx, token, "not an email", "Ada Admin", password)
		wantCode(t, err, errs.Invalid)
		if err := e.svc.SetupLinkValid(e.ctx, token); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("OK", func(t *testing.T) {
		u, err := e.svc.UseSetupLink(e.ctx, token, "Admin@Hospital.org", "Ada Admin", password)
		if err != nil {
			t.Fatal(err)
		}
		if u.Email != "admin@hospital.org" || !u.HasPassword() {
			t.Fatalf("got %+v", u)
		}
		e.signIn(t, "admin@hospital.org", office)
		if a := e.audit.Last(t, "user.create"); a.Details["via"] != "setup_link" {
			t.Fatalf("audit %+v", a)
		}
	})
	t.Run("ErrOnce", func(t *testing.T) {
		wantCode(t, e.svc.SetupLinkValid(e.ctx, token), errs.NotFound)
		_, err := e.svc.UseSetupLink(e.ctx, token, "second@hospital.org", "Second Admin", password)
		wantCode(t, err, errs.NotFound)
		if n, _ := e.svc.CountUsers(e.ctx); n != 1 {
			t.Fatalf("%d users", n)
		}
	})
	t.Run("ErrDuplicateEmailGivesLinkBack", func(t *testing.T) {
		tok, err := e.svc.CreateSetupLink(e.ctx, 0)
		if err != nil {
			t.Fatal(err)
		}
		e.secret(tok)
		_, err = e.svc.UseSetupLink(e.ctx, tok, "admin@hospital.org", "Ada Again", password)
		wantCode(t, err, errs.Conflict)
		if err := e.svc.SetupLinkValid(e.ctx, tok); err != nil {
			t.Fatalf("the link was lost with the failed attempt: %v", err)
		}
	})
	t.Run("ErrPasswordLinkIsNotASetupLink", func(t *testing.T) {
		u, _ := e.svc.UserByEmail(e.ctx, "admin@hospital.org")
		tok, err := e.svc.CreatePasswordLink(e.ctx, u.ID, 0)
		if err != nil {
			t.Fatal(err)
		}
		e.secret(tok)
		wantCode(t, e.svc.SetupLinkValid(e.ctx, tok), errs.NotFound)
	})
}
