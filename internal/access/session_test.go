package access_test

import (
	"strings"
	"testing"
	"time"

	"dossier/internal/access"
	"dossier/internal/errs"
)

func TestSessionRotation(t *testing.T) {
	e := newEnv(t)
	e.user(t, "alice@hospital.org", "Alice Moreau")
	first := e.signIn(t, "alice@hospital.org", office)
	second := e.signIn(t, "alice@hospital.org", office)
	t.Run("OK", func(t *testing.T) {
		if first.Token == second.Token || first.Session.ID == second.Session.ID {
			t.Fatal("a second sign-in reused the session id")
		}
		// Each sign-in is a session of its own: the earlier one stays valid
		// until signed out or expired (the browser's cookie is replaced).
		for _, res := range []access.SignIn{first, second} {
			if _, _, err := e.svc.Authenticate(e.ctx, res.Token); err != nil {
				t.Fatal(err)
			}
		}
	})
	t.Run("OnlyHashStored", func(t *testing.T) {
		raw := e.raw(t, "sessions")
		if strings.Contains(raw, first.Token) || strings.Contains(raw, second.Token) {
			t.Fatal("a session token is stored")
		}
		if !strings.Contains(raw, sha(first.Token)) {
			t.Fatal("sessions are not stored under the token's hash")
		}
	})
	t.Run("ErrUnknownToken", func(t *testing.T) {
		_, _, err := e.svc.Authenticate(e.ctx, "no-such-token")
		wantCode(t, err, errs.Unauthorized)
		_, _, err = e.svc.Authenticate(e.ctx, strings.Repeat("x", 10000))
		wantCode(t, err, errs.Unauthorized)
	})
}

func TestSignOut(t *testing.T) {
	e := newEnv(t)
	u := e.user(t, "alice@hospital.org", "Alice Moreau")
	t.Run("OK", func(t *testing.T) {
		res := e.signIn(t, "alice@hospital.org", office)
		if _, _, err := e.svc.Authenticate(e.ctx, res.Token); err != nil { // now cached
			t.Fatal(err)
		}
		if err := e.svc.SignOut(e.ctx, res.Token); err != nil {
			t.Fatal(err)
		}
		_, _, err := e.svc.Authenticate(e.ctx, res.Token)
		wantCode(t, err, errs.Unauthorized)
		e.audit.Last(t, "auth.signout")
		if err := e.svc.SignOut(e.ctx, res.Token); err != nil {
			t.Fatalf("signing out twice: %v", err)
		}
	})
	t.Run("Everywhere", func(t *testing.T) {
		var tokens []string
		for range 3 {
			res := e.signIn(t, "alice@hospital.org", office)
			if _, _, err := e.svc.Authenticate(e.ctx, res.Token); err != nil {
				t.Fatal(err)
			}
			tokens = append(tokens, res.Token)
		}
		if ss, _ := e.svc.Sessions(e.ctx, u.ID); len(ss) != 3 {
			t.Fatalf("%d sessions listed, want 3", len(ss))
		}
		if err := e.svc.SignOutEverywhere(e.ctx, u.ID); err != nil {
			t.Fatal(err)
		}
		for _, tok := range tokens {
			_, _, err := e.svc.Authenticate(e.ctx, tok)
			wantCode(t, err, errs.Unauthorized)
		}
		if ss, _ := e.svc.Sessions(e.ctx, u.ID); len(ss) != 0 {
			t.Fatalf("%d sessions left", len(ss))
		}
		if a := e.audit.Last(t, "auth.signout_all"); a.Details["sessions_ended"] != "3" {
			t.Fatalf("audit %+v", a)
		}
	})
	t.Run("OneOtherSession", func(t *testing.T) {
		keep := e.signIn(t, "alice@hospital.org", office)
		other := e.signIn(t, "alice@hospital.org", office)
		if err := e.svc.SignOutSession(e.ctx, u.ID, other.Session.ID); err != nil {
			t.Fatal(err)
		}
		if _, _, err := e.svc.Authenticate(e.ctx, other.Token); !errs.Is(err, errs.Unauthorized) {
			t.Fatalf("got %v", err)
		}
		if _, _, err := e.svc.Authenticate(e.ctx, keep.Token); err != nil {
			t.Fatal(err)
		}
		wantCode(t, e.svc.SignOutSession(e.ctx, "someone-else", keep.Session.ID), errs.NotFound)
	})
}

func TestSessionTimeouts(t *testing.T) {
	e := newEnv(t)
	e.user(t, "alice@hospital.org", "Alice Moreau")
	t.Run("ErrIdle", func(t *testing.T) {
		res := e.signIn(t, "alice@hospital.org", office)
		e.clock.Advance(31 * time.Minute)
		_, _, err := e.svc.Authenticate(e.ctx, res.Token)
		wantCode(t, err, errs.Unauthorized)
	})
	t.Run("OKWhileActive", func(t *testing.T) {
		res := e.signIn(t, "alice@hospital.org", office)
		for range 4 {
			e.clock.Advance(20 * time.Minute)
			sess, _, err := e.svc.Authenticate(e.ctx, res.Token)
			if err != nil {
				t.Fatal(err)
			}
			if !sess.LastSeen.Equal(e.clock.Now()) {
				t.Fatalf("last seen %v, want now", sess.LastSeen)
			}
		}
	})
	t.Run("LastSeenWrittenAtMostOnceAMinute", func(t *testing.T) {
		res := e.signIn(t, "alice@hospital.org", office)
		e.clock.Advance(30 * time.Second)
		sess, _, err := e.svc.Authenticate(e.ctx, res.Token)
		if err != nil || !sess.LastSeen.Equal(res.Session.LastSeen) {
			t.Fatalf("got %+v, %v", sess, err)
		}
	})
	t.Run("ErrAbsolute", func(t *testing.T) {
		res := e.signIn(t, "alice@hospital.org", office)
		for elapsed := time.Duration(0); elapsed < 12*time.Hour-20*time.Minute; elapsed += 20 * time.Minute {
			e.clock.Advance(20 * time.Minute)
			if _, _, err := e.svc.Authenticate(e.ctx, res.Token); err != nil {
				t.Fatalf("after %v: %v", elapsed, err)
			}
		}
		e.clock.Advance(20 * time.Minute)
		_, _, err := e.svc.Authenticate(e.ctx, res.Token)
		wantCode(t, err, errs.Unauthorized)
	})
	t.Run("Sweep", func(t *testing.T) {
		n, err := e.svc.Sweep(e.ctx)
		if err != nil || n == 0 {
			t.Fatalf("swept %d, %v", n, err)
		}
		if raw := e.raw(t, "sessions"); raw != "" {
			t.Fatalf("left after sweeping: %s", raw)
		}
	})
}

// A disabled user is refused on their very next request through the same
// Service, however recently their session or token was cached.
func TestDisabledUserRefusedAtOnce(t *testing.T) {
	e := newEnv(t)
	u := e.user(t, "alice@hospital.org", "Alice Moreau")
	res := e.signIn(t, "alice@hospital.org", office)
	secret, _, err := e.svc.CreateToken(e.ctx, u.ID, "script")
	if err != nil {
		t.Fatal(err)
	}
	e.secret(secret)
	if _, _, err := e.svc.Authenticate(e.ctx, res.Token); err != nil {
		t.Fatal(err)
	}
	if _, _, err := e.svc.AuthenticateToken(e.ctx, secret); err != nil {
		t.Fatal(err)
	}
	if err := e.svc.Disable(e.ctx, u.ID); err != nil {
		t.Fatal(err)
	}
	t.Run("ErrSession", func(t *testing.T) {
		_, _, err := e.svc.Authenticate(e.ctx, res.Token)
		wantCode(t, err, errs.Unauthorized)
	})
	t.Run("ErrToken", func(t *testing.T) {
		_, _, err := e.svc.AuthenticateToken(e.ctx, secret)
		wantCode(t, err, errs.Unauthorized)
	})
	t.Run("Audited", func(t *testing.T) {
		if a := e.audit.Last(t, "user.disable"); a.ObjectID != u.ID || a.Details["sessions_ended"] != "1" {
			t.Fatalf("audit %+v", a)
		}
	})
	t.Run("OKTokenAfterEnable", func(t *testing.T) {
		if err := e.svc.Enable(e.ctx, u.ID); err != nil {
			t.Fatal(err)
		}
		if _, _, err := e.svc.AuthenticateToken(e.ctx, secret); err != nil {
			t.Fatal(err)
		}
		// Sessions ended with the disable and stay ended.
		_, _, err := e.svc.Authenticate(e.ctx, res.Token)
		wantCode(t, err, errs.Unauthorized)
	})
}

func TestChangePassword(t *testing.T) {
	e := newEnv(t)
	u := e.user(t, "alice@hospital.org", "Alice Moreau")
	here := e.signIn(t, "alice@hospital.org", office)
	elsewhere := e.signIn(t, "alice@hospital.org", office)
	sess, _, err := e.svc.Authenticate(e.ctx, here.Token)
	if err != nil {
		t.Fatal(err)
	}
	ctx := access.WithSession(e.ctx, sess)
	const next = "a completely different passphrase"
	e.secret(next)
	t.Run("ErrWrongCurrent", func(t *testing.T) {
		err := e.svc.ChangePassword(ctx, u.ID, "wrong password, sorry", next)
		if !errs.Is(err, errs.Invalid) || errs.FieldOf(err) != "current" {
			t.Fatalf("got %v", err)
		}
	})
	t.Run("ErrPolicy", func(t *testing.T) {
		err := e.svc.ChangePassword(ctx, u.ID, password, "short")
		if !errs.Is(err, errs.Invalid) || errs.FieldOf(err) != "password" {
			t.Fatalf("got %v", err)
		}
	})
	t.Run("OK", func(t *testing.T) {
		if err := e.svc.ChangePassword(ctx, u.ID, password, next); err != nil {
			t.Fatal(err)
		}
		if _, _, err := e.svc.Authenticate(e.ctx, here.Token); err != nil {
			t.Fatalf("the session that changed the password ended: %v", err)
		}
		_, _, err := e.svc.Authenticate(e.ctx, elsewhere.Token)
		wantCode(t, err, errs.Unauthorized)
		_, err = e.svc.SignIn(e.ctx, "alice@hospital.org", password, office)
		wantCode(t, err, errs.Unauthorized)
		if _, err := e.svc.SignIn(e.ctx, "alice@hospital.org", next, office); err != nil {
			t.Fatal(err)
		}
		if a := e.audit.Last(t, "user.password_set"); a.Details["via"] != "change" || a.Details["sessions_ended"] != "1" {
			t.Fatalf("audit %+v", a)
		}
	})
}
