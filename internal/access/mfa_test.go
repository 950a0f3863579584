package access_test

import (
	"bytes"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/pquerna/otp/totp"

	"dossier/internal/access"
	"dossier/internal/errs"
)

// enrol turns on TOTP for a user and returns the secret, as their
// authenticator app would hold it.
func enrol(t testing.TB, e *env, userID string) string {
	t.Helper()
	en, err := e.svc.BeginMFA(e.ctx, userID)
	if err != nil {
		t.Fatal(err)
	}
	e.secret(en.Secret)
	codes, err := e.svc.ConfirmMFA(e.ctx, userID, code(t, e, en.Secret))
	if err != nil {
		t.Fatal(err)
	}
	e.secret(codes...)
	return en.Secret
}

// code is the current TOTP code on the fake clock.
func code(t testing.TB, e *env, secret string) string {
	t.Helper()
	c, err := totp.GenerateCode(secret, e.clock.Now())
	if err != nil {
		t.Fatal(err)
	}
	e.secret(c)
	return c
}

func TestMFA(t *testing.T) {
	e := newEnv(t)
	u := e.user(t, "alice@hospital.org", "Alice Moreau")
	var secret string
	var recovery []string
	t.Run("Enrol", func(t *testing.T) {
		en, err := e.svc.BeginMFA(e.ctx, u.ID)
		if err != nil {
			t.Fatal(err)
		}
		secret = en.Secret
		e.secret(secret)
		if again, err := e.svc.BeginMFA(e.ctx, u.ID); err != nil || again.Secret != secret {
			t.Fatalf("the page shown again offers another secret: %v", err)
		}
		if !bytes.HasPrefix(en.QRCode, []byte("\x89PNG\r\n\x1a\n")) {
			t.Fatal("QR code is not a PNG")
		}
		if !strings.HasPrefix(en.URL, "otpauth://totp/") || !strings.Contains(en.URL, "secret="+secret) || !strings.Contains(en.URL, "issuer=St") {
			t.Fatalf("URL %s", en.URL)
		}
		_, err = e.svc.ConfirmMFA(e.ctx, u.ID, "123456")
		if !errs.Is(err, errs.Invalid) || errs.FieldOf(err) != "code" {
			t.Fatalf("wrong code at enrolment: %v", err)
		}
		if got, _ := e.svc.User(e.ctx, u.ID); got.MFAEnrolled() {
			t.Fatal("enrolled before a right code")
		}
		recovery, err = e.svc.ConfirmMFA(e.ctx, u.ID, code(t, e, secret))
		if err != nil {
			t.Fatal(err)
		}
		e.secret(recovery...)
		if len(recovery) != 10 {
			t.Fatalf("%d recovery codes", len(recovery))
		}
		format := regexp.MustCompile(`^[2-9a-z]{4}-[2-9a-z]{4}-[2-9a-z]{4}$`)
		for _, c := range recovery {
			if !format.MatchString(c) {
				t.Fatalf("recovery code %q", c)
			}
		}
		raw := e.raw(t, "users")
		for _, c := range recovery {
			if strings.Contains(raw, c) || strings.Contains(raw, strings.ReplaceAll(c, "-", "")) {
				t.Fatal("a recovery code is stored in clear")
			}
		}
		if got, _ := e.svc.User(e.ctx, u.ID); got.RecoveryCodesLeft() != 10 {
			t.Fatalf("%d codes left", got.RecoveryCodesLeft())
		}
		e.audit.Last(t, "auth.mfa_enrolled")
		_, err = e.svc.BeginMFA(e.ctx, u.ID)
		wantCode(t, err, errs.Conflict)
	})
	t.Run("SignInNeedsCode", func(t *testing.T) {
		ch := e.signIn(t, "alice@hospital.org", office)
		if !ch.NeedMFA || ch.Session.Stage != access.StageMFA {
			t.Fatalf("got %+v", ch)
		}
		_, _, err := e.svc.Authenticate(e.ctx, ch.Token)
		wantCode(t, err, errs.Unauthorized) // a challenge is no session
		_, err = e.svc.CompleteMFA(e.ctx, ch.Token, "000000", office)
		if errs.Message(err) != "The code is incorrect." {
			t.Fatalf("wrong code: %v", err)
		}
		if a := e.audit.Last(t, "auth.signin_failed"); a.Details["reason"] != "wrong_code" {
			t.Fatalf("audit %+v", a)
		}
		// The code used to enrol is for a step already used: a replay.
		_, err = e.svc.CompleteMFA(e.ctx, ch.Token, code(t, e, secret), office)
		wantCode(t, err, errs.Unauthorized)
		e.clock.Advance(30 * time.Second)
		c := code(t, e, secret)
		res, err := e.svc.CompleteMFA(e.ctx, ch.Token, c, office)
		if err != nil {
			t.Fatal(err)
		}
		e.secret(res.Token)
		if res.NeedMFA || res.Token == ch.Token || res.Session.Stage != access.StageFull {
			t.Fatalf("got %+v", res)
		}
		if _, _, err := e.svc.Authenticate(e.ctx, res.Token); err != nil {
			t.Fatal(err)
		}
		if a := e.audit.Last(t, "auth.signin"); a.Details["method"] != "password+totp" {
			t.Fatalf("audit %+v", a)
		}
		// The challenge is spent, and the step with it.
		_, err = e.svc.CompleteMFA(e.ctx, ch.Token, c, office)
		wantCode(t, err, errs.Unauthorized)
		ch2 := e.signIn(t, "alice@hospital.org", office)
		_, err = e.svc.CompleteMFA(e.ctx, ch2.Token, c, office)
		wantCode(t, err, errs.Unauthorized)
	})
	t.Run("RecoveryCodeWorksOnce", func(t *testing.T) {
		ch := e.signIn(t, "alice@hospital.org", office)
		res, err := e.svc.CompleteMFA(e.ctx, ch.Token, " "+strings.ToUpper(recovery[0])+" ", office)
		if err != nil {
			t.Fatal(err)
		}
		e.secret(res.Token)
		if got, _ := e.svc.User(e.ctx, u.ID); got.RecoveryCodesLeft() != 9 {
			t.Fatalf("%d codes left, want 9", got.RecoveryCodesLeft())
		}
		ch = e.signIn(t, "alice@hospital.org", office)
		_, err = e.svc.CompleteMFA(e.ctx, ch.Token, recovery[0], office)
		wantCode(t, err, errs.Unauthorized)
		if _, err := e.svc.CompleteMFA(e.ctx, ch.Token, recovery[1], office); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("ErrChallengeExpired", func(t *testing.T) {
		ch := e.signIn(t, "alice@hospital.org", office)
		e.clock.Advance(5*time.Minute + time.Second)
		_, err := e.svc.CompleteMFA(e.ctx, ch.Token, code(t, e, secret), office)
		if errs.Message(err) != "Your sign-in took too long. Please sign in again." {
			t.Fatalf("got %v", err)
		}
	})
	t.Run("Reset", func(t *testing.T) {
		if err := e.svc.ResetMFA(e.ctx, u.ID); err != nil {
			t.Fatal(err)
		}
		if a := e.audit.Last(t, "auth.mfa_reset"); a.ObjectID != u.ID {
			t.Fatalf("audit %+v", a)
		}
		res := e.signIn(t, "alice@hospital.org", office)
		if res.NeedMFA {
			t.Fatal("still asks for a code after the reset")
		}
		if got, _ := e.svc.User(e.ctx, u.ID); got.MFAEnrolled() || got.MFA.Secret != "" || got.RecoveryCodesLeft() != 0 {
			t.Fatalf("MFA left behind: %+v", got.MFA)
		}
	})
}

func TestMFARequiredRoles(t *testing.T) {
	e := newEnv(t)
	t.Run("OKEmptyByDefault", func(t *testing.T) {
		roles, err := e.svc.MFARequiredRoles(e.ctx)
		if err != nil || len(roles) != 0 {
			t.Fatalf("got %v, %v", roles, err)
		}
	})
	t.Run("OK", func(t *testing.T) {
		if err := e.svc.SetMFARequiredRoles(e.ctx, []string{"approver", " admin", "approver", ""}); err != nil {
			t.Fatal(err)
		}
		roles, err := e.svc.MFARequiredRoles(e.ctx)
		if err != nil || strings.Join(roles, ",") != "admin,approver" {
			t.Fatalf("got %v, %v", roles, err)
		}
		// Another instance reads the same setting.
		other := access.New(e.db, access.Options{Now: e.clock.Now})
		if roles, _ := other.MFARequiredRoles(e.ctx); strings.Join(roles, ",") != "admin,approver" {
			t.Fatalf("other instance got %v", roles)
		}
		if a := e.audit.Last(t, "auth.mfa_required_roles"); a.Details["roles"] != "admin,approver" {
			t.Fatalf("audit %+v", a)
		}
	})
	t.Run("ErrInvalid", func(t *testing.T) {
		wantCode(t, e.svc.SetMFARequiredRoles(e.ctx, []string{"bad\nrole"}), errs.Invalid)
	})
}
