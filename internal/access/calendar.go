package access

import (
	"context"
	"time"

	"go.mongodb.org/mongo-driver/bson"

	"dossier/internal/errs"
)

// A calendar link is a secret address of a user's calendar feed (contract
// expiry dates and notice deadlines, for Outlook and the like, which
// cannot sign in). Like an API token, only the SHA-256 of its secret is
// stored; a user has at most one, and making a new one revokes the old.
type calendarLink struct {
	ID      string    `bson:"_id"` // hex SHA-256 of the secret
	User    string    `bson:"user"`
	Created time.Time `bson:"created"`
}

func badCalendarLink() error {
	return errs.E(errs.NotFound, "This calendar address is not valid: it was replaced or revoked, or its user is disabled.")
}

// NewCalendarLink makes the user's calendar secret, revoking any earlier
// one, and returns it; it cannot be shown again.
func (s *Service) NewCalendarLink(ctx context.Context, userID string) (string, error) {
	u, err := s.User(ctx, userID)
	if err != nil {
		return "", err
	}
	if u.Status != Active {
		return "", errs.E(errs.Forbidden, "A disabled account cannot have a calendar address.")
	}
	if err := s.dropCalendarLinks(ctx, u.ID); err != nil {
		return "", err
	}
	secret := newSecret(32)
	l := calendarLink{ID: hashToken(secret), User: u.ID, Created: s.now()}
	if err := s.calendar.Insert(ctx, l); err != nil {
		return "", err
	}
	return secret, s.record(ctx, "calendar.create", "user", u.ID, nil, nil)
}

// RevokeCalendarLink stops the user's calendar address from working.
func (s *Service) RevokeCalendarLink(ctx context.Context, userID string) error {
	if err := s.dropCalendarLinks(ctx, userID); err != nil {
		return err
	}
	return s.record(ctx, "calendar.revoke", "user", userID, nil, nil)
}

// CalendarLinkCreated reports when the user's calendar address was made,
// or the zero time when they have none.
func (s *Service) CalendarLinkCreated(ctx context.Context, userID string) (time.Time, error) {
	var ls []calendarLink
	if err := s.calendar.Find(ctx, bson.M{"user": userID}, &ls); err != nil || len(ls) == 0 {
		return time.Time{}, err
	}
	return ls[0].Created, nil
}

// CalendarUser returns the active user a calendar secret belongs to.
// Unknown and revoked secrets, and disabled users, are all not found.
func (s *Service) CalendarUser(ctx context.Context, secret string) (User, error) {
	if len(secret) != 43 {
		return User{}, badCalendarLink()
	}
	var l calendarLink
	if err := s.calendar.Get(ctx, bson.M{"_id": hashToken(secret)}, &l); err != nil {
		if errs.Is(err, errs.NotFound) {
			return User{}, badCalendarLink()
		}
		return User{}, err
	}
	u, err := s.User(ctx, l.User)
	if err != nil || u.Status != Active {
		if err == nil || errs.Is(err, errs.NotFound) {
			return User{}, badCalendarLink()
		}
		return User{}, err
	}
	return u, nil
}

func (s *Service) dropCalendarLinks(ctx context.Context, userID string) error {
	var ls []calendarLink
	if err := s.calendar.Find(ctx, bson.M{"user": userID}, &ls); err != nil {
		return err
	}
	for _, l := range ls {
		if err := s.calendar.Delete(ctx, bson.M{"_id": l.ID}); err != nil && !errs.Is(err, errs.NotFound) {
			return err
		}
	}
	return nil
}
