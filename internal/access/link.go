package access

import (
	"context"
	"time"

	"go.mongodb.org/mongo-driver/bson"

	"dossier/internal/errs"
)

// Link kinds.
const (
	linkPassword = "password" // invite or reset: set the password of one user
	linkSetup    = "setup"    // create the first administrator
)

// link is a one-time set-password or set-up link, stored under the hex
// SHA-256 of its token.
type link struct {
	ID      string    `bson:"_id"`
	Kind    string    `bson:"kind"`
	User    string    `bson:"user,omitempty"`
	Created time.Time `bson:"created"`
	Expires time.Time `bson:"expires"`
	Used    bool      `bson:"used"`
	UsedAt  time.Time `bson:"used_at,omitempty"`
}

// linkInvalid is the one answer for unknown, expired, used and superseded
// links, so a guessed token learns nothing.
func linkInvalid() error {
	return errs.E(errs.NotFound, "This link is not valid: it may have expired or been used already. Ask for a new one.")
}

func (s *Service) newLink(ctx context.Context, kind, userID string, ttl time.Duration) (string, link, error) {
	if ttl <= 0 {
		ttl = DefaultLinkTTL
	}
	token := newSecret(32)
	now := s.now()
	l := link{ID: hashToken(token), Kind: kind, User: userID, Created: now, Expires: now.Add(ttl)}
	return token, l, s.links.Insert(ctx, l)
}

func (s *Service) loadLink(ctx context.Context, token, kind string) (link, error) {
	var l link
	if token == "" || len(token) > maxTokenLen {
		return l, linkInvalid()
	}
	err := s.links.Get(ctx, bson.M{"_id": hashToken(token)}, &l)
	if errs.Is(err, errs.NotFound) || err == nil && (l.Kind != kind || l.Used || !s.now().Before(l.Expires)) {
		return link{}, linkInvalid()
	}
	return l, err
}

// consume marks a link used; of two concurrent uses only one succeeds.
func (s *Service) consume(ctx context.Context, l link) error {
	ok, err := s.links.Update(ctx, bson.M{"_id": l.ID, "used": false}, bson.M{"$set": bson.M{"used": true, "used_at": s.now()}})
	if err != nil {
		return err
	}
	if !ok {
		return linkInvalid()
	}
	return nil
}

// CreatePasswordLink makes a one-time link token with which userID sets
// their password: an invitation, or a reset. ttl 0 means 72 hours. A link
// stops working once the password is set by any means.
func (s *Service) CreatePasswordLink(ctx context.Context, userID string, ttl time.Duration) (string, error) {
	u, err := s.User(ctx, userID)
	if err != nil {
		return "", err
	}
	if u.Status != Active {
		return "", errs.E(errs.Invalid, "Enable the account before sending a set-password link.")
	}
	token, l, err := s.newLink(ctx, linkPassword, u.ID, ttl)
	if err != nil {
		return "", err
	}
	return token, s.record(ctx, "user.password_link", "user", u.ID, map[string]string{"expires": l.Expires.Format(time.RFC3339)}, nil)
}

// PasswordLinkUser returns the user a set-password link is for, or
// NotFound when the link is unknown, expired, used or superseded.
func (s *Service) PasswordLinkUser(ctx context.Context, token string) (User, error) {
	_, u, err := s.passwordLink(ctx, token)
	return u, err
}

func (s *Service) passwordLink(ctx context.Context, token string) (link, User, error) {
	l, err := s.loadLink(ctx, token, linkPassword)
	if err != nil {
		return link{}, User{}, err
	}
	u, err := s.User(ctx, l.User)
	if errs.Is(err, errs.NotFound) || err == nil && (u.Status != Active || l.Created.Before(u.PasswordSetAt)) {
		return link{}, User{}, linkInvalid()
	}
	return l, u, err
}

// UsePasswordLink sets the password of the link's user and uses the link
// up. All the user's sessions end, and the account's failed sign-ins are
// forgotten: the link proves the user reads their mail.
func (s *Service) UsePasswordLink(ctx context.Context, token, password string) (User, error) {
	l, u, err := s.passwordLink(ctx, token)
	if err != nil {
		return User{}, err
	}
	// The policy is checked before the link is used up, so a refused
	// password does not cost the user their link.
	if err := CheckPassword(password, u.Email, u.Name); err != nil {
		return User{}, err
	}
	if err := s.consume(ctx, l); err != nil {
		return User{}, err
	}
	if err := s.storePassword(ctx, u, password, "link"); err != nil {
		return User{}, err
	}
	if err := s.clearFailures(ctx, accountKey(u.Email)); err != nil {
		return User{}, err
	}
	return s.User(ctx, u.ID)
}

// CreateSetupLink makes a one-time link with which whoever holds it
// creates a user with a password: the first administrator, who the caller
// then gives the admin role. ttl 0 means 72 hours.
func (s *Service) CreateSetupLink(ctx context.Context, ttl time.Duration) (string, error) {
	token, l, err := s.newLink(ctx, linkSetup, "", ttl)
	if err != nil {
		return "", err
	}
	return token, s.record(ctx, "user.setup_link", "link", l.ID[:12], map[string]string{"expires": l.Expires.Format(time.RFC3339)}, nil)
}

// SetupLinkValid is nil for a set-up link that can still be used, and
// NotFound otherwise.
func (s *Service) SetupLinkValid(ctx context.Context, token string) error {
	_, err := s.loadLink(ctx, token, linkSetup)
	return err
}

// UseSetupLink creates a user with a password through a set-up link and
// uses the link up. The link is used up first and given back if the user
// cannot be created (such as a taken email), so a crash in between leaves
// no user nobody asked for: only a spent link, and a new one is a command
// away.
func (s *Service) UseSetupLink(ctx context.Context, token, email, name, password string) (User, error) {
	l, err := s.loadLink(ctx, token, linkSetup)
	if err != nil {
		return User{}, err
	}
	u, err := s.newUser(email, name)
	if err != nil {
		return User{}, err
	}
	if err := CheckPassword(password, u.Email, u.Name); err != nil {
		return User{}, err
	}
	if u.PasswordHash, err = s.hash(ctx, password); err != nil {
		return User{}, err
	}
	u.PasswordSetAt = u.CreatedAt
	if err := s.consume(ctx, l); err != nil {
		return User{}, err
	}
	if err := s.insertUser(ctx, u); err != nil {
		_, _ = s.links.Update(context.WithoutCancel(ctx), bson.M{"_id": l.ID}, bson.M{"$set": bson.M{"used": false}, "$unset": bson.M{"used_at": ""}})
		return User{}, err
	}
	return u, s.record(ctx, "user.create", "user", u.ID, map[string]string{"email": u.Email, "name": u.Name, "via": "setup_link"}, nil)
}
