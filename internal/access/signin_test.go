package access_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"dossier/internal/access"
	"dossier/internal/audit"
	"dossier/internal/errs"
)

func TestSignIn(t *testing.T) {
	e := newEnv(t)
	alice := e.user(t, "alice@hospital.org", "Alice Moreau")
	t.Run("OK", func(t *testing.T) {
		res := e.signIn(t, "  ALICE@hospital.org", office)
		if res.NeedMFA || res.User.ID != alice.ID || res.Session.Stage != access.StageFull || res.Token == "" {
			t.Fatalf("got %+v", res)
		}
		if res.Session.ID != sha(res.Token) || res.Session.IP != office.IP || !res.Session.Expires.Equal(e.clock.Now().Add(12*time.Hour)) {
			t.Fatalf("session %+v", res.Session)
		}
		sess, u, err := e.svc.Authenticate(e.ctx, res.Token)
		if err != nil || sess.ID != res.Session.ID || u.ID != alice.ID {
			t.Fatalf("Authenticate: %+v %+v %v", sess, u, err)
		}
		a := e.audit.Last(t, "auth.signin")
		if a.Actor.ID != alice.ID || a.Actor.IP != office.IP || a.ObjectID != alice.ID || a.Details["method"] != "password" {
			t.Fatalf("audit %+v actor %+v", a, a.Actor)
		}
	})
	t.Run("ErrSameAnswerForWrongPasswordAndUnknownEmail", func(t *testing.T) {
		_, wrong := e.svc.SignIn(e.ctx, "alice@hospital.org", "not the password at all", office)
		_, unknown := e.svc.SignIn(e.ctx, "nobody@hospital.org", password, office)
		wantCode(t, wrong, errs.Unauthorized)
		wantCode(t, unknown, errs.Unauthorized)
		if errs.Message(wrong) != errs.Message(unknown) || errs.Message(wrong) != "Email or password is incorrect." {
			t.Fatalf("messages differ: %q and %q", errs.Message(wrong), errs.Message(unknown))
		}
		e.secret("not the password at all")
		fails := e.audit.Find("auth.signin_failed")
		if len(fails) != 2 {
			t.Fatalf("%d failure entries, want 2", len(fails))
		}
		if f := fails[0]; f.ObjectID != alice.ID || f.Details["reason"] != "wrong_password" || f.Details["email"] != "alice@hospital.org" || f.Actor.IP != office.IP {
			t.Fatalf("wrong password audit %+v", f)
		}
		if f := fails[1]; f.ObjectType != "user" || f.ObjectID != "" || f.Details["reason"] != "unknown_email" || f.Details["email"] != "nobody@hospital.org" {
			t.Fatalf("unknown email audit %+v", f)
		}
	})
	t.Run("ErrDisabledSameAnswer", func(t *testing.T) {
		bob := e.user(t, "bob@hospital.org", "Bob Stone")
		if err := e.svc.Disable(e.ctx, bob.ID); err != nil {
			t.Fatal(err)
		}
		_, err := e.svc.SignIn(e.ctx, "bob@hospital.org", password, office)
		wantCode(t, err, errs.Unauthorized)
		if errs.Message(err) != "Email or password is incorrect." {
			t.Fatalf("got %q", errs.Message(err))
		}
	})
	t.Run("ErrPasswordInEmailFieldNotKept", func(t *testing.T) {
		const typo = "my secret passphrase typed in the wrong box"
		e.secret(typo)
		_, err := e.svc.SignIn(e.ctx, typo, password, office)
		if errs.Message(err) != "Email or password is incorrect." {
			t.Fatalf("got %v", err)
		}
		if a := e.audit.Last(t, "auth.signin_failed"); a.Actor.Name == typo {
			t.Fatalf("audit actor %+v", a.Actor)
		}
		if strings.Contains(e.raw(t, "signin_limits"), typo) {
			t.Fatal("the typed text is kept as a lockout key")
		}
	})
	t.Run("ErrInvitedWithoutPassword", func(t *testing.T) {
		if _, err := e.svc.CreateUser(e.ctx, "carol@hospital.org", "Carol"); err != nil {
			t.Fatal(err)
		}
		_, err := e.svc.SignIn(e.ctx, "carol@hospital.org", password, office)
		if errs.Message(err) != "Email or password is incorrect." {
			t.Fatalf("got %v", err)
		}
	})
}

func TestSignInLockout(t *testing.T) {
	t.Run("OK", func(t *testing.T) {
		// A success forgets the account's earlier failures.
		e := newEnv(t)
		e.user(t, "alice@hospital.org", "Alice Moreau")
		for round := range 2 {
			for range 4 {
				_, err := e.svc.SignIn(e.ctx, "alice@hospital.org", "wrong password, sorry", office)
				wantCode(t, err, errs.Unauthorized)
			}
			if _, err := e.svc.SignIn(e.ctx, "alice@hospital.org", password, office); err != nil {
				t.Fatalf("round %d: %v", round, err)
			}
		}
	})
	t.Run("ErrLockedEvenWithRightPassword", func(t *testing.T) {
		e := newEnv(t)
		e.user(t, "alice@hospital.org", "Alice Moreau")
		for range 5 {
			_, err := e.svc.SignIn(e.ctx, "alice@hospital.org", "wrong password, sorry", office)
			if errs.Message(err) != "Email or password is incorrect." {
				t.Fatalf("got %v", err)
			}
		}
		// The same for an email nobody has: a lock reveals nothing.
		for range 5 {
			_, _ = e.svc.SignIn(e.ctx, "nobody@hospital.org", "wrong password, sorry", office)
		}
		_, known := e.svc.SignIn(e.ctx, "Alice@hospital.org", password, office)
		_, unknown := e.svc.SignIn(e.ctx, "nobody@hospital.org", password, office)
		wantCode(t, known, errs.Unauthorized)
		if errs.Message(known) != "Too many failed sign-ins. Try again in 15 minutes." || errs.Message(unknown) != errs.Message(known) {
			t.Fatalf("got %q and %q", errs.Message(known), errs.Message(unknown))
		}
		if a := e.audit.Last(t, "auth.signin_failed"); a.Details["reason"] != "locked" {
			t.Fatalf("audit %+v", a)
		}
		e.clock.Advance(14 * time.Minute)
		if _, err := e.svc.SignIn(e.ctx, "alice@hospital.org", password, office); errs.Message(err) != "Too many failed sign-ins. Try again in a minute." {
			t.Fatalf("after 14 minutes: %v", err)
		}
		e.clock.Advance(time.Minute)
		e.signIn(t, "alice@hospital.org", office)
		if _, err := e.svc.Sweep(e.ctx); err != nil {
			t.Fatal(err)
		}
		if raw := e.raw(t, "signin_limits"); raw != "" {
			t.Fatalf("ended locks left after sweeping: %s", raw)
		}
	})
	t.Run("ErrLockedPerAddressAcrossEmails", func(t *testing.T) {
		e := newEnv(t)
		e.user(t, "alice@hospital.org", "Alice Moreau")
		attacker := access.Client{IP: "203.0.113.9"}
		for i := range 20 {
			_, err := e.svc.SignIn(e.ctx, fmt.Sprintf("guess%d@hospital.org", i), "wrong password, sorry", attacker)
			if errs.Message(err) != "Email or password is incorrect." {
				t.Fatalf("attempt %d: %v", i, err)
			}
		}
		_, err := e.svc.SignIn(e.ctx, "alice@hospital.org", password, attacker)
		if !strings.HasPrefix(errs.Message(err), "Too many failed sign-ins.") {
			t.Fatalf("21st attempt from the address: %v", err)
		}
		e.signIn(t, "alice@hospital.org", office) // another address is not affected
		e.clock.Advance(15 * time.Minute)
		e.signIn(t, "alice@hospital.org", attacker)
	})
	t.Run("ErrMFACodesCountToo", func(t *testing.T) {
		// Knowing the password must not allow unlimited code guesses.
		e := newEnv(t)
		u := e.user(t, "alice@hospital.org", "Alice Moreau")
		secret := enrol(t, e, u.ID)
		ch := e.signIn(t, "alice@hospital.org", office)
		for range 5 {
			_, err := e.svc.CompleteMFA(e.ctx, ch.Token, "000000", office)
			wantCode(t, err, errs.Unauthorized)
		}
		e.clock.Advance(30 * time.Second)
		_, err := e.svc.CompleteMFA(e.ctx, ch.Token, code(t, e, secret), office)
		if !strings.HasPrefix(errs.Message(err), "Too many failed sign-ins.") {
			t.Fatalf("got %v", err)
		}
	})
}

// A sign-in that cannot be audited does not happen.
func TestSignInAuditFails(t *testing.T) {
	e := newEnv(t)
	e.user(t, "alice@hospital.org", "Alice Moreau")
	e.audit.FailWith(errs.E(errs.Unavailable, "audit store down"))
	_, err := e.svc.SignIn(e.ctx, "alice@hospital.org", password, office)
	wantCode(t, err, errs.Unavailable)
	if raw := e.raw(t, "sessions"); raw != "" {
		t.Fatalf("a session without its audit entry: %s", raw)
	}
}

// Two sign-ins racing with the same TOTP code: the step is used once.
func TestCompleteMFAConcurrentReplay(t *testing.T) {
	e := newEnv(t)
	u := e.user(t, "alice@hospital.org", "Alice Moreau")
	secret := enrol(t, e, u.ID)
	e.clock.Advance(30 * time.Second)
	c := code(t, e, secret)
	chs := []access.SignIn{e.signIn(t, u.Email, office), e.signIn(t, u.Email, office)}
	results := make(chan error, len(chs))
	for _, ch := range chs {
		go func() {
			res, err := e.svc.CompleteMFA(e.ctx, ch.Token, c, office)
			e.secret(res.Token)
			results <- err
		}()
	}
	ok := 0
	for range chs {
		if err := <-results; err == nil {
			ok++
		} else {
			wantCode(t, err, errs.Unauthorized)
		}
	}
	if ok != 1 {
		t.Fatalf("%d sign-ins with one code, want 1", ok)
	}
}

func TestReauthenticate(t *testing.T) {
	e := newEnv(t)
	u := e.user(t, "alice@hospital.org", "Alice Moreau")
	ctx := audit.WithActor(context.Background(), audit.Actor{ID: u.ID, Name: u.Email, IP: office.IP})
	t.Run("OK", func(t *testing.T) {
		if err := e.svc.Reauthenticate(ctx, u.ID, password, ""); err != nil {
			t.Fatal(err)
		}
		if a := e.audit.Last(t, "auth.reauth"); a.ObjectID != u.ID || a.Actor.ID != u.ID {
			t.Fatalf("audit %+v", a)
		}
	})
	t.Run("ErrWrongPassword", func(t *testing.T) {
		err := e.svc.Reauthenticate(ctx, u.ID, "wrong password, sorry", "")
		wantCode(t, err, errs.Unauthorized)
		if errs.Message(err) != "Password or code is incorrect." {
			t.Fatalf("got %q", errs.Message(err))
		}
		if a := e.audit.Last(t, "auth.reauth_failed"); a.Details["reason"] != "wrong_password" {
			t.Fatalf("audit %+v", a)
		}
	})
	secret := enrol(t, e, u.ID)
	t.Run("ErrMissingCodeWhenEnrolled", func(t *testing.T) {
		err := e.svc.Reauthenticate(ctx, u.ID, password, "")
		wantCode(t, err, errs.Unauthorized)
	})
	t.Run("ErrRecoveryCodeNotAccepted", func(t *testing.T) {
		err := e.svc.Reauthenticate(ctx, u.ID, password, "2345-6789-abcd")
		wantCode(t, err, errs.Unauthorized)
	})
	t.Run("OKWithCode", func(t *testing.T) {
		e.clock.Advance(30 * time.Second) // the enrolment used the current step
		c := code(t, e, secret)
		if err := e.svc.Reauthenticate(ctx, u.ID, password, c); err != nil {
			t.Fatal(err)
		}
		// The same code again is a replay.
		wantCode(t, e.svc.Reauthenticate(ctx, u.ID, password, c), errs.Unauthorized)
	})
}

// TestParallelGuessesAreCounted: attempts are counted before the password
// is checked, so a burst of parallel guesses gets no more checks than the
// limit allows.
func TestParallelGuessesAreCounted(t *testing.T) {
	e := newEnv(t)
	e.user(t, "alice@hospital.org", "Alice Moreau")
	var wg sync.WaitGroup
	for i := range 12 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, _ = e.svc.SignIn(e.ctx, "alice@hospital.org", fmt.Sprintf("wrong guess number %d", i), office)
		}()
	}
	wg.Wait()
	checked := 0
	for _, en := range e.audit.Find("auth.signin_failed") {
		if en.Details["reason"] == "wrong_password" {
			checked++
		}
	}
	if checked > 5 {
		t.Fatalf("%d passwords were checked in a burst of 12; the limit is 5", checked)
	}
}
