package access

import (
	"cmp"
	"context"
	"net/mail"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"go.mongodb.org/mongo-driver/bson"

	"dossier/internal/errs"
)

// User statuses.
const (
	Active   = "active"
	Disabled = "disabled" // refused at sign-in and on the next request; keeps its records
)

// User is a person who signs in to Dossier.
type User struct {
	ID            string    `bson:"_id" json:"id"`
	Email         string    `bson:"email" json:"email"` // normalized: trimmed, lower case
	Name          string    `bson:"name" json:"name"`
	Status        string    `bson:"status" json:"status"`
	PasswordHash  string    `bson:"password_hash" json:"-"`
	PasswordSetAt time.Time `bson:"password_set_at" json:"-"` // links made before it no longer work
	MFA           MFA       `bson:"mfa" json:"-"`
	CreatedAt     time.Time `bson:"created_at" json:"created_at"`
	UpdatedAt     time.Time `bson:"updated_at" json:"updated_at"`
	Version       int64     `bson:"version" json:"version"`
}

// MFA is a user's TOTP second factor.
type MFA struct {
	Enrolled       bool      `bson:"enrolled"`
	Secret         string    `bson:"secret,omitempty"`   // base32, as the authenticator app has it
	Pending        string    `bson:"pending,omitempty"`  // offered by BeginMFA, not yet confirmed
	RecoveryHashes []string  `bson:"recovery,omitempty"` // unused recovery codes, hashed
	LastStep       int64     `bson:"last_step"`          // TOTP step last accepted; older and equal steps are replays
	EnrolledAt     time.Time `bson:"enrolled_at,omitempty"`
}

// HasPassword reports whether the user has chosen a password; an invited
// user has not yet.
func (u User) HasPassword() bool { return u.PasswordHash != "" }

// MFAEnrolled reports whether sign-in asks this user for a second factor.
func (u User) MFAEnrolled() bool { return u.MFA.Enrolled }

// RecoveryCodesLeft is how many unused recovery codes the user has.
func (u User) RecoveryCodesLeft() int { return len(u.MFA.RecoveryHashes) }

// emailClaim reserves an email for one user; sign-in reads it by _id.
type emailClaim struct {
	Email   string    `bson:"_id"`
	User    string    `bson:"user"`
	Created time.Time `bson:"created"`
}

func normalizeEmail(s string) string { return strings.ToLower(strings.TrimSpace(s)) }

// ValidEmail accepts plain addresses (no display names, no quoted local
// parts) with a dotted domain: what people type and mail servers deliver.
// Every e-mail Dossier stores (accounts, vendor contacts) follows it.
func ValidEmail(e string) bool {
	if len(e) < 6 || len(e) > 254 || strings.Count(e, "@") != 1 || strings.ContainsAny(e, " \t\r\n\"'<>()[],;:\\") {
		return false
	}
	local, domain, _ := strings.Cut(e, "@")
	if local == "" || len(local) > 64 || !strings.Contains(domain, ".") ||
		strings.HasPrefix(domain, ".") || strings.HasSuffix(domain, ".") || strings.Contains(domain, "..") ||
		strings.HasPrefix(domain, "-") {
		return false
	}
	a, err := mail.ParseAddress(e)
	return err == nil && a.Address == e
}

func cleanName(name string) (string, error) {
	if !utf8.ValidString(name) || strings.IndexFunc(name, unicode.IsControl) >= 0 {
		return "", errs.Field("name", "A name cannot contain control characters.")
	}
	name = strings.Join(strings.Fields(name), " ")
	switch n := utf8.RuneCountInString(name); {
	case n == 0:
		return "", errs.Field("name", "Enter a name.")
	case n > maxName:
		return "", errs.Field("name", "A name can be at most %d characters.", maxName)
	}
	return name, nil
}

func duplicateEmail() error {
	return &errs.Error{Code: errs.Conflict, Field: "email", Message: "A user with this email already exists."}
}

// newUser validates an email and name and makes an active user without a
// password.
func (s *Service) newUser(email, name string) (User, error) {
	e := normalizeEmail(email)
	if !ValidEmail(e) {
		return User{}, errs.Field("email", "Enter a valid email address, such as name@hospital.org.")
	}
	n, err := cleanName(name)
	if err != nil {
		return User{}, err
	}
	now := s.now()
	return User{ID: newID(), Email: e, Name: n, Status: Active, CreatedAt: now, UpdatedAt: now}, nil
}

// CreateUser adds an active user without a password; a set-password link
// or SetPassword gives them one.
func (s *Service) CreateUser(ctx context.Context, email, name string) (User, error) {
	u, err := s.newUser(email, name)
	if err != nil {
		return User{}, err
	}
	if err := s.insertUser(ctx, u); err != nil {
		return User{}, err
	}
	return u, s.record(ctx, "user.create", "user", u.ID, map[string]string{"email": u.Email, "name": u.Name}, nil)
}

// insertUser claims the email, then inserts the user, and gives the claim
// back if that fails. Without transactions this order keeps emails unique:
// a crash in between leaves only a claim without a user, which reclaim
// recognises and takes over.
func (s *Service) insertUser(ctx context.Context, u User) error {
	claim := emailClaim{Email: u.Email, User: u.ID, Created: s.now()}
	if err := s.emails.Insert(ctx, claim); err != nil {
		if !errs.Is(err, errs.Conflict) {
			return err
		}
		if err := s.reclaim(ctx, claim); err != nil {
			return err
		}
	}
	if err := s.users.Insert(ctx, u); err != nil {
		_ = s.emails.Delete(context.WithoutCancel(ctx), bson.M{"_id": u.Email, "user": u.ID})
		if errs.Is(err, errs.Conflict) {
			return duplicateEmail()
		}
		return err
	}
	return nil
}

// reclaim takes over a claim whose user was never inserted. A fresh claim
// may belong to a CreateUser still in flight, so only an old one is taken.
func (s *Service) reclaim(ctx context.Context, claim emailClaim) error {
	var old emailClaim
	if err := s.emails.Get(ctx, bson.M{"_id": claim.Email}, &old); err != nil {
		return err
	}
	n, err := s.users.Count(ctx, bson.M{"_id": old.User})
	if err != nil {
		return err
	}
	if n > 0 || claim.Created.Sub(old.Created) < claimStale {
		return duplicateEmail()
	}
	ok, err := s.emails.Update(ctx, bson.M{"_id": claim.Email, "user": old.User},
		bson.M{"$set": bson.M{"user": claim.User, "created": claim.Created}})
	if err != nil {
		return err
	}
	if !ok {
		return duplicateEmail()
	}
	return nil
}

// User returns the user with this id.
func (s *Service) User(ctx context.Context, id string) (User, error) {
	var u User
	if id == "" {
		return u, errs.E(errs.NotFound, "No such user.")
	}
	err := s.users.Get(ctx, bson.M{"_id": id}, &u)
	return u, wrapNotFound(err, "No such user.")
}

// UserByEmail returns the user with this email, in any letter case.
func (s *Service) UserByEmail(ctx context.Context, email string) (User, error) {
	e := normalizeEmail(email)
	var c emailClaim
	if e == "" {
		return User{}, errs.E(errs.NotFound, "No user has this email.")
	}
	if err := s.emails.Get(ctx, bson.M{"_id": e}, &c); err != nil {
		return User{}, wrapNotFound(err, "No user has this email.")
	}
	u, err := s.User(ctx, c.User)
	if err == nil && u.Email != e {
		err = errs.E(errs.NotFound, "No user has this email.")
	}
	return u, wrapNotFound(err, "No user has this email.")
}

// Users returns every user, by name and then email. It reads the whole
// collection: hospitals have hundreds of users, not millions.
func (s *Service) Users(ctx context.Context) ([]User, error) {
	var us []User
	if err := s.users.Find(ctx, bson.M{}, &us); err != nil {
		return nil, err
	}
	slices.SortFunc(us, func(a, b User) int {
		return cmp.Or(strings.Compare(strings.ToLower(a.Name), strings.ToLower(b.Name)), strings.Compare(a.Email, b.Email))
	})
	return us, nil
}

// CountUsers returns how many users there are.
func (s *Service) CountUsers(ctx context.Context) (int64, error) {
	return s.users.Count(ctx, bson.M{})
}

// SetName changes a user's display name.
func (s *Service) SetName(ctx context.Context, id, name string) error {
	n, err := cleanName(name)
	if err != nil {
		return err
	}
	u, err := s.User(ctx, id)
	if err != nil {
		return err
	}
	if u.Name == n {
		return nil
	}
	if err := s.users.UpdateVersion(ctx, id, u.Version, bson.M{"$set": bson.M{"name": n, "updated_at": s.now()}}); err != nil {
		return err
	}
	s.evictUser(id)
	return s.record(ctx, "user.rename", "user", id, map[string]string{"name": n, "was": u.Name}, nil)
}

// Disable refuses the user from now on: sign-in, their sessions (ended
// everywhere) and their API tokens (kept, but refused while disabled).
func (s *Service) Disable(ctx context.Context, id string) error {
	return s.setStatus(ctx, id, Disabled, "user.disable")
}

// Enable lets a disabled user sign in again.
func (s *Service) Enable(ctx context.Context, id string) error {
	return s.setStatus(ctx, id, Active, "user.enable")
}

func (s *Service) setStatus(ctx context.Context, id, status, action string) error {
	u, err := s.User(ctx, id)
	if err != nil {
		return err
	}
	if u.Status == status {
		return nil
	}
	if err := s.users.UpdateVersion(ctx, id, u.Version, bson.M{"$set": bson.M{"status": status, "updated_at": s.now()}}); err != nil {
		return err
	}
	s.evictUser(id)
	details := map[string]string{"email": u.Email}
	if status == Disabled {
		n, err := s.endSessions(ctx, id, "")
		if err != nil {
			return err
		}
		details["sessions_ended"] = strconv.Itoa(n)
	}
	return s.record(ctx, action, "user", id, details, nil)
}

// evictUser forgets every cached session and token of a user, after any
// change to them.
func (s *Service) evictUser(id string) {
	s.sessionCache.evictUser(id)
	s.tokenCache.evictUser(id)
}
