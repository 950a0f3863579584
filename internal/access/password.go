package access

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"go.mongodb.org/mongo-driver/bson"
	"golang.org/x/crypto/argon2"

	"dossier/internal/audit"
	"dossier/internal/errs"
)

// argon2id parameters for new hashes: OWASP's recommended minimum (19 MiB,
// two passes, one lane). Verification reads the parameters from each hash,
// so raising these later upgrades hashes as people sign in.
const (
	argonMemory  = 19 * 1024 // KiB
	argonTime    = 2
	argonThreads = 1
	argonKeyLen  = 32
	argonSaltLen = 16

	minPassword = 12
	maxPassword = 256
)

type argonHash struct {
	memory  uint32
	time    uint32
	threads uint8
	salt    []byte
	key     []byte
}

// current reports whether the hash uses today's parameters.
func (h argonHash) current() bool {
	return h.memory == argonMemory && h.time == argonTime && h.threads == argonThreads && len(h.key) == argonKeyLen
}

// hashPassword returns the PHC string of a new argon2id hash.
func hashPassword(password string) string {
	salt := make([]byte, argonSaltLen)
	_, _ = rand.Read(salt)
	key := argon2.IDKey([]byte(password), salt, argonTime, argonMemory, argonThreads, argonKeyLen)
	b64 := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, argonMemory, argonTime, argonThreads, b64.EncodeToString(salt), b64.EncodeToString(key))
}

// parseHash reads a PHC argon2id string, refusing parameters no hash of
// ours would have: a damaged record must not make sign-in allocate
// gigabytes.
func parseHash(encoded string) (argonHash, error) {
	var h argonHash
	parts := strings.Split(encoded, "$")
	if len(parts) != 6 || parts[0] != "" || parts[1] != "argon2id" || parts[2] != "v="+strconv.Itoa(argon2.Version) {
		return h, errors.New("not an argon2id v19 hash")
	}
	var m, t, p uint64
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &m, &t, &p); err != nil {
		return h, fmt.Errorf("argon2id parameters: %w", err)
	}
	if m < 8*p || m > 1<<20 || t < 1 || t > 20 || p < 1 || p > 16 {
		return h, fmt.Errorf("argon2id parameters out of range: m=%d t=%d p=%d", m, t, p)
	}
	var err error
	if h.salt, err = base64.RawStdEncoding.DecodeString(parts[4]); err != nil || len(h.salt) < 8 {
		return h, errors.New("argon2id salt")
	}
	if h.key, err = base64.RawStdEncoding.DecodeString(parts[5]); err != nil || len(h.key) < 16 || len(h.key) > 64 {
		return h, errors.New("argon2id key")
	}
	h.memory, h.time, h.threads = uint32(m), uint32(t), uint8(p)
	return h, nil
}

// verify checks password against an encoded hash in constant time. A
// malformed hash is an internal error, not a wrong password.
func (s *Service) verify(ctx context.Context, encoded, password string) (ok, upToDate bool, err error) {
	h, err := parseHash(encoded)
	if err != nil {
		return false, false, errs.Wrap(errs.Internal, err, "stored password hash is damaged")
	}
	if err := s.hashSlot(ctx); err != nil {
		return false, false, err
	}
	defer s.releaseHashSlot()
	key := argon2.IDKey([]byte(password), h.salt, h.time, h.memory, h.threads, uint32(len(h.key)))
	return subtle.ConstantTimeCompare(key, h.key) == 1, h.current(), nil
}

// spendHashTime costs what verifying a password costs, for sign-ins whose
// email is unknown or has no password, so response time does not tell
// whether an account exists.
func (s *Service) spendHashTime(ctx context.Context, password string) error {
	if err := s.hashSlot(ctx); err != nil {
		return err
	}
	defer s.releaseHashSlot()
	_ = argon2.IDKey([]byte(password), []byte("dossier-no-such-user"), argonTime, argonMemory, argonThreads, argonKeyLen)
	return nil
}

// hash makes a new hash within the concurrency bound.
func (s *Service) hash(ctx context.Context, password string) (string, error) {
	if err := s.hashSlot(ctx); err != nil {
		return "", err
	}
	defer s.releaseHashSlot()
	return hashPassword(password), nil
}

func (s *Service) hashSlot(ctx context.Context) error {
	select {
	case s.hashSlots <- struct{}{}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (s *Service) releaseHashSlot() { <-s.hashSlots }

// CheckPassword applies the password policy for a user with this email
// and name: 12 to 256 characters, and none of the email, its local part or
// the words of 4 or more letters of the name, in any letter case. Forms may
// call it to explain a choice before submitting.
func CheckPassword(password, email, name string) error {
	n := utf8.RuneCountInString(password)
	switch {
	case !utf8.ValidString(password):
		return errs.Field("password", "A password must be valid text.")
	case n < minPassword:
		return errs.Field("password", "A password needs at least %d characters; a few unrelated words make a good one.", minPassword)
	case n > maxPassword:
		return errs.Field("password", "A password can be at most %d characters.", maxPassword)
	case strings.Count(password, string([]rune(password)[:1])) == n:
		return errs.Field("password", "A password cannot be one character repeated.")
	}
	p := strings.ToLower(password)
	email = normalizeEmail(email)
	local, _, _ := strings.Cut(email, "@")
	if email != "" && strings.Contains(p, email) {
		return errs.Field("password", "A password must not contain your email address.")
	}
	parts := append(append([]string{local}, words(local, unicode.IsDigit)...), words(local, nil)...)
	for _, w := range parts {
		if utf8.RuneCountInString(w) >= 4 && strings.Contains(p, w) {
			return errs.Field("password", "A password must not contain your email address or part of it.")
		}
	}
	for _, w := range words(strings.ToLower(name), nil) {
		if utf8.RuneCountInString(w) >= 4 && strings.Contains(p, w) {
			return errs.Field("password", "A password must not contain your name.")
		}
	}
	return nil
}

// words splits s into runs of letters (and of whatever also accepts).
func words(s string, also func(rune) bool) []string {
	return strings.FieldsFunc(s, func(r rune) bool {
		return !unicode.IsLetter(r) && (also == nil || !also(r))
	})
}

// SetPassword gives a user a new password (an administrator's reset, or
// set-up) and ends their sessions, except the one in ctx (see WithSession)
// when it is theirs.
func (s *Service) SetPassword(ctx context.Context, id, password string) error {
	u, err := s.User(ctx, id)
	if err != nil {
		return err
	}
	if err := CheckPassword(password, u.Email, u.Name); err != nil {
		return err
	}
	return s.storePassword(ctx, u, password, "set")
}

// ChangePassword is a user changing their own password: the current one
// is checked first, and wrong guesses count toward the sign-in lockout so a
// stolen session cannot be used to try passwords.
func (s *Service) ChangePassword(ctx context.Context, id, current, next string) error {
	u, err := s.User(ctx, id)
	if err != nil {
		return err
	}
	if err := CheckPassword(next, u.Email, u.Name); err != nil {
		return err
	}
	actor := audit.ActorFrom(ctx)
	acct, addr := accountKey(u.Email), addressKey(actor.IP)
	if wait, err := s.reserve(ctx, acct, addr); err != nil {
		return err
	} else if wait > 0 {
		return lockedError(wait)
	}
	ok := false
	if u.HasPassword() {
		if ok, _, err = s.verify(ctx, u.PasswordHash, current); err != nil {
			return err
		}
	}
	if !ok {
		if err := s.record(ctx, "user.password_change_failed", "user", u.ID, map[string]string{"reason": "wrong_password"}, nil); err != nil {
			return err
		}
		return errs.Field("current", "The current password is incorrect.")
	}
	if err := s.settle(ctx, acct, addr); err != nil {
		return err
	}
	if next == current {
		return errs.Field("password", "Choose a password different from the current one.")
	}
	return s.storePassword(ctx, u, next, "change")
}

// storePassword hashes and saves a password that passed the policy, ends
// the user's other sessions and audits. Setting a password is a blind
// write: it depends on nothing else in the record, so no version check.
func (s *Service) storePassword(ctx context.Context, u User, password, via string) error {
	h, err := s.hash(ctx, password)
	if err != nil {
		return err
	}
	now := s.now()
	ok, err := s.users.Update(ctx, bson.M{"_id": u.ID}, bson.M{
		"$set": bson.M{"password_hash": h, "password_set_at": now, "updated_at": now},
		"$inc": bson.M{"version": 1},
	})
	if err != nil {
		return err
	}
	if !ok {
		return errs.E(errs.NotFound, "No such user.")
	}
	s.evictUser(u.ID)
	keep := ""
	if cur, ok := SessionFrom(ctx); ok && cur.User == u.ID && via != "link" {
		keep = cur.ID
	}
	n, err := s.endSessions(ctx, u.ID, keep)
	if err != nil {
		return err
	}
	return s.record(ctx, "user.password_set", "user", u.ID, map[string]string{"via": via, "sessions_ended": strconv.Itoa(n)}, nil)
}

// upgradeHash rehashes a password whose hash uses older parameters, after
// a successful check. Conditional on the old hash so a concurrent change
// wins; failure only means the upgrade waits for the next sign-in.
func (s *Service) upgradeHash(ctx context.Context, u User, password string) {
	h, err := s.hash(ctx, password)
	if err != nil {
		return
	}
	_, _ = s.users.Update(ctx, bson.M{"_id": u.ID, "password_hash": u.PasswordHash}, bson.M{"$set": bson.M{"password_hash": h}})
}
