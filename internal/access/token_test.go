package access_test

import (
	"strings"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/bson"

	"dossier/internal/access"
	"dossier/internal/errs"
)

func TestTokens(t *testing.T) {
	e := newEnv(t)
	u := e.user(t, "alice@hospital.org", "Alice Moreau")
	bob := e.user(t, "bob@hospital.org", "Bob Stone")
	secret, tok, err := e.svc.CreateToken(e.ctx, u.ID, "  nightly   export ")
	if err != nil {
		t.Fatal(err)
	}
	e.secret(secret)
	t.Run("ShownOnceOnlyHashStored", func(t *testing.T) {
		if !strings.HasPrefix(secret, access.TokenPrefix) || len(secret) != 47 || tok.ID != sha(secret) || tok.Label != "nightly export" {
			t.Fatalf("secret %q token %+v", secret, tok)
		}
		if raw := e.raw(t, "api_tokens"); strings.Contains(raw, secret) || strings.Contains(raw, secret[4:]) {
			t.Fatal("the secret is stored")
		}
		if a := e.audit.Last(t, "token.create"); a.ObjectID != tok.ID || a.Details["label"] != "nightly export" {
			t.Fatalf("audit %+v", a)
		}
	})
	t.Run("OK", func(t *testing.T) {
		got, user, err := e.svc.AuthenticateToken(e.ctx, secret)
		if err != nil || got.ID != tok.ID || user.ID != u.ID {
			t.Fatalf("got %+v %+v %v", got, user, err)
		}
	})
	t.Run("LastUsed", func(t *testing.T) {
		stored := func() time.Time {
			var d access.Token
			if err := e.db.Collection("api_tokens").Get(e.ctx, bson.M{"_id": tok.ID}, &d); err != nil {
				t.Fatal(err)
			}
			return d.LastUsed
		}
		first := stored()
		if !first.Equal(e.clock.Now()) {
			t.Fatalf("last used %v, want %v", first, e.clock.Now())
		}
		e.clock.Advance(30 * time.Second)
		if _, _, err := e.svc.AuthenticateToken(e.ctx, secret); err != nil {
			t.Fatal(err)
		}
		if !stored().Equal(first) {
			t.Fatal("last used written twice within a minute")
		}
		e.clock.Advance(31 * time.Second)
		if _, _, err := e.svc.AuthenticateToken(e.ctx, secret); err != nil {
			t.Fatal(err)
		}
		if !stored().Equal(e.clock.Now()) {
			t.Fatal("last used not written after a minute")
		}
	})
	t.Run("ErrDefaultAndLongLabel", func(t *testing.T) {
		s2, t2, err := e.svc.CreateToken(e.ctx, u.ID, "")
		if err != nil || t2.Label != "API token" {
			t.Fatalf("got %+v, %v", t2, err)
		}
		e.secret(s2)
		_, _, err = e.svc.CreateToken(e.ctx, u.ID, strings.Repeat("x", 101))
		if !errs.Is(err, errs.Invalid) || errs.FieldOf(err) != "label" {
			t.Fatalf("got %v", err)
		}
	})
	t.Run("ErrRevokeOthersToken", func(t *testing.T) {
		wantCode(t, e.svc.RevokeToken(e.ctx, bob.ID, tok.ID), errs.NotFound)
	})
	t.Run("ErrRevokedRefusedAtOnce", func(t *testing.T) {
		if _, _, err := e.svc.AuthenticateToken(e.ctx, secret); err != nil { // cached
			t.Fatal(err)
		}
		if err := e.svc.RevokeToken(e.ctx, u.ID, tok.ID); err != nil {
			t.Fatal(err)
		}
		_, _, err := e.svc.AuthenticateToken(e.ctx, secret)
		wantCode(t, err, errs.Unauthorized)
		ts, err := e.svc.Tokens(e.ctx, u.ID)
		if err != nil || len(ts) != 2 {
			t.Fatalf("got %+v, %v", ts, err)
		}
		for _, x := range ts {
			if x.ID == tok.ID && (!x.Revoked() || !x.RevokedAt.Equal(e.clock.Now())) {
				t.Fatalf("listed as %+v", x)
			}
		}
		e.audit.Last(t, "token.revoke")
	})
	t.Run("ErrRevokedRefusedByOtherInstance", func(t *testing.T) {
		// Another instance never cached it; it reads the revocation.
		other := access.New(e.db, access.Options{Now: e.clock.Now})
		_, _, err := other.AuthenticateToken(e.ctx, secret)
		wantCode(t, err, errs.Unauthorized)
	})
	t.Run("ErrUnknown", func(t *testing.T) {
		for _, bad := range []string{"", "dos_", access.TokenPrefix + strings.Repeat("A", 43), secret[:46]} {
			_, _, err := e.svc.AuthenticateToken(e.ctx, bad)
			wantCode(t, err, errs.Unauthorized)
		}
	})
}
