package access

import (
	"context"
	"strings"

	"go.mongodb.org/mongo-driver/bson"

	"dossier/internal/audit"
	"dossier/internal/errs"

	"dossier/internal/text"
)

// Client is where a sign-in comes from.
type Client struct {
	IP        string
	UserAgent string
}

// SignIn is the outcome of a successful password (or second-factor) check.
// When NeedMFA is set, Token is a challenge good only for CompleteMFA,
// for five minutes; otherwise it is a new session's token.
type SignIn struct {
	Token   string
	Session Session
	User    User
	NeedMFA bool
}

// badCredentials is the one answer to every failed sign-in, so it never
// tells whether the email exists, the password was wrong or the account is
// disabled.
func badCredentials() error {
	return errs.E(errs.Unauthorized, "Email or password is incorrect.")
}

func badCode() error { return errs.E(errs.Unauthorized, "The code is incorrect.") }

func challengeEnded() error {
	return errs.E(errs.Unauthorized, "Your sign-in took too long. Please sign in again.")
}

// SignIn checks an email and password. It refuses while the account or
// the client address is locked (see limit.go) without looking at the
// password. A user with a second factor gets a challenge (NeedMFA) instead
// of a session. Each call that gets past the lock costs one argon2 hash,
// whether or not the email exists.
func (s *Service) SignIn(ctx context.Context, email, password string, c Client) (SignIn, error) {
	norm := normalizeEmail(email)
	if norm == "" || password == "" {
		return SignIn{}, badCredentials() // an empty form is not an attempt
	}
	// People type passwords into the email field. What is not shaped like
	// an email is neither audited nor kept as a lockout key; no account can
	// have it, so skipping its account counter reveals nothing.
	typed, acct := "(not an email address)", ""
	if ValidEmail(norm) {
		typed, acct = text.Clip(strings.TrimSpace(email), maxTypedEmail), accountKey(norm)
	}
	addr := addressKey(c.IP)
	anonymous := &audit.Actor{ID: "anonymous", Name: typed, IP: c.IP}
	if wait, err := s.reserve(ctx, acct, addr); err != nil {
		return SignIn{}, err
	} else if wait > 0 {
		if err := s.record(ctx, "auth.signin_failed", "user", "", map[string]string{"reason": "locked", "email": typed}, anonymous); err != nil {
			return SignIn{}, err
		}
		return SignIn{}, lockedError(wait)
	}

	u, err := s.UserByEmail(ctx, norm)
	reason := ""
	switch {
	case errs.Is(err, errs.NotFound):
		reason, err = "unknown_email", s.spendHashTime(ctx, password)
	case err != nil:
	case !u.HasPassword():
		reason, err = "no_password", s.spendHashTime(ctx, password)
	default:
		var ok, upToDate bool
		ok, upToDate, err = s.verify(ctx, u.PasswordHash, password)
		switch {
		case err != nil:
		case !ok:
			reason = "wrong_password"
		case u.Status != Active:
			reason = "disabled" // checked after the hash, so it takes as long
		case !upToDate:
			s.upgradeHash(ctx, u, password)
		}
	}
	if err != nil {
		return SignIn{}, err
	}
	if reason != "" {
		if err := s.record(ctx, "auth.signin_failed", "user", u.ID, map[string]string{"reason": reason, "email": typed}, anonymous); err != nil {
			return SignIn{}, err
		}
		return SignIn{}, badCredentials()
	}

	if u.MFAEnrolled() {
		// The account's failure count is kept until the second factor
		// passes: clearing it here would let someone who knows the password
		// guess codes for ever, four at a time.
		token, ch, err := s.newSession(ctx, u, StageMFA, c, challengeLife)
		if err != nil {
			return SignIn{}, err
		}
		actor := &audit.Actor{ID: u.ID, Name: u.Email, IP: c.IP}
		if err := s.record(ctx, "auth.signin_mfa_pending", "user", u.ID, nil, actor); err != nil {
			return SignIn{}, err
		}
		return SignIn{Token: token, Session: ch, User: u, NeedMFA: true}, nil
	}
	if err := s.settle(ctx, acct, addr); err != nil {
		return SignIn{}, err
	}
	return s.startSession(ctx, u, c, "password")
}

// startSession creates a full session and audits the sign-in. A sign-in
// that cannot be audited does not happen: its session is deleted again.
func (s *Service) startSession(ctx context.Context, u User, c Client, method string) (SignIn, error) {
	token, sess, err := s.newSession(ctx, u, StageFull, c, s.o.SessionAbsolute)
	if err != nil {
		return SignIn{}, err
	}
	actor := &audit.Actor{ID: u.ID, Name: u.Email, IP: c.IP}
	if err := s.record(ctx, "auth.signin", "user", u.ID, map[string]string{"method": method}, actor); err != nil {
		_ = s.sessions.Delete(context.WithoutCancel(ctx), bson.M{"_id": sess.ID})
		return SignIn{}, err
	}
	return SignIn{Token: token, Session: sess, User: u}, nil
}

// CompleteMFA finishes a sign-in with a current TOTP code or an unused
// recovery code (which it uses up). Wrong codes count toward the account's
// lockout. The challenge is deleted and a new full session made.
func (s *Service) CompleteMFA(ctx context.Context, challenge, code string, c Client) (SignIn, error) {
	if challenge == "" || len(challenge) > maxTokenLen {
		return SignIn{}, challengeEnded()
	}
	id := hashToken(challenge)
	var ch Session
	err := s.sessions.Get(ctx, bson.M{"_id": id}, &ch)
	if errs.Is(err, errs.NotFound) || err == nil && ch.Stage != StageMFA {
		return SignIn{}, challengeEnded()
	}
	if err != nil {
		return SignIn{}, err
	}
	now := s.now()
	u, err := s.User(ctx, ch.User)
	if errs.Is(err, errs.NotFound) || err == nil && (!now.Before(ch.Expires) || u.Status != Active || !u.MFAEnrolled()) {
		_ = s.sessions.Delete(ctx, bson.M{"_id": id})
		return SignIn{}, challengeEnded()
	}
	if err != nil {
		return SignIn{}, err
	}
	acct, addr := accountKey(u.Email), addressKey(c.IP)
	actor := &audit.Actor{ID: u.ID, Name: u.Email, IP: c.IP}
	if wait, err := s.reserve(ctx, acct, addr); err != nil {
		return SignIn{}, err
	} else if wait > 0 {
		if err := s.record(ctx, "auth.signin_failed", "user", u.ID, map[string]string{"reason": "locked", "email": u.Email}, actor); err != nil {
			return SignIn{}, err
		}
		return SignIn{}, lockedError(wait)
	}
	method, err := s.secondFactor(ctx, u, code, true)
	if err != nil {
		return SignIn{}, err
	}
	if method == "" {
		if err := s.record(ctx, "auth.signin_failed", "user", u.ID, map[string]string{"reason": "wrong_code", "email": u.Email}, actor); err != nil {
			return SignIn{}, err
		}
		return SignIn{}, badCode()
	}
	// Deleting the challenge is what makes it single-use: of two
	// concurrent completions only one deletes it.
	if err := s.sessions.Delete(ctx, bson.M{"_id": id}); err != nil {
		if errs.Is(err, errs.NotFound) {
			return SignIn{}, challengeEnded()
		}
		return SignIn{}, err
	}
	if method == "recovery_code" {
		s.evictUser(u.ID) // cached users show how many codes are left
	}
	if err := s.settle(ctx, acct, addr); err != nil {
		return SignIn{}, err
	}
	return s.startSession(ctx, u, c, "password+"+method)
}

// Reauthenticate asks a signed-in user for their password again, and their
// TOTP code when enrolled (recovery codes are for signing in, not for
// signing), before an approval or other signature. Failures count toward
// the sign-in lockout. The client address is the actor's in ctx.
func (s *Service) Reauthenticate(ctx context.Context, userID, password, code string) error {
	u, err := s.User(ctx, userID)
	if err != nil {
		return err
	}
	actor := audit.ActorFrom(ctx)
	acct, addr := accountKey(u.Email), addressKey(actor.IP)
	if wait, err := s.reserve(ctx, acct, addr); err != nil {
		return err
	} else if wait > 0 {
		if err := s.record(ctx, "auth.reauth_failed", "user", u.ID, map[string]string{"reason": "locked"}, nil); err != nil {
			return err
		}
		return lockedError(wait)
	}
	reason := ""
	switch {
	case u.Status != Active:
		reason = "disabled"
	case !u.HasPassword():
		reason = "no_password"
	default:
		ok, _, err := s.verify(ctx, u.PasswordHash, password)
		if err != nil {
			return err
		}
		if !ok {
			reason = "wrong_password"
		} else if u.MFAEnrolled() {
			// The code is checked only after the password passes, so a
			// wrong password does not burn a TOTP step.
			method, err := s.secondFactor(ctx, u, code, false)
			if err != nil {
				return err
			}
			if method == "" {
				reason = "wrong_code"
			}
		}
	}
	if reason != "" {
		if err := s.record(ctx, "auth.reauth_failed", "user", u.ID, map[string]string{"reason": reason}, nil); err != nil {
			return err
		}
		return errs.E(errs.Unauthorized, "Password or code is incorrect.")
	}
	if err := s.settle(ctx, acct, addr); err != nil {
		return err
	}
	return s.record(ctx, "auth.reauth", "user", u.ID, map[string]string{"mfa": boolWord(u.MFAEnrolled())}, nil)
}

func boolWord(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

// secondFactor checks a code for an enrolled user and uses it up. It
// returns "totp" or "recovery_code", or "" when the code is wrong.
func (s *Service) secondFactor(ctx context.Context, u User, code string, recovery bool) (string, error) {
	code = strings.Join(strings.Fields(code), "")
	if len(code) == totpDigits && strings.Trim(code, "0123456789") == "" {
		ok, err := s.useTOTP(ctx, u, code, s.now())
		if ok {
			return "totp", err
		}
		return "", err
	}
	if !recovery {
		return "", nil
	}
	ok, err := s.useRecoveryCode(ctx, u, code)
	if ok {
		return "recovery_code", err
	}
	return "", err
}
