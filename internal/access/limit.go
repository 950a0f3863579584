package access

import (
	"context"
	"net/netip"
	"time"

	"go.mongodb.org/mongo-driver/bson"

	"dossier/internal/errs"

	"dossier/internal/text"
)

// Sign-in limits. An account key (the typed email, normalized, whether or
// not such a user exists, so a lock says nothing about existence) locks
// after accountFailures within failureWindow; a client address after
// addressFailures. A lock ends by itself after lockFor. The window is fixed,
// starting at its first failure: simpler than a sliding one and as good
// against guessing.
const (
	accountFailures = 5
	addressFailures = 20
	failureWindow   = 15 * time.Minute
	lockFor         = 15 * time.Minute
)

// limit counts recent failures of one key in signin_limits.
type limit struct {
	Key         string    `bson:"_id"`
	Count       int       `bson:"count"`
	Start       time.Time `bson:"start"`
	LockedUntil time.Time `bson:"locked_until"`
}

func accountKey(email string) string { return "acct:" + text.Clip(normalizeEmail(email), 320) }

// addressKey is "" when there is no address. IPv6 clients are counted by
// their /64, which one subscriber usually holds whole.
func addressKey(ip string) string {
	if ip == "" {
		return ""
	}
	a, err := netip.ParseAddr(ip)
	if err != nil {
		return "ip:" + text.Clip(ip, 64)
	}
	a = a.Unmap()
	if a.Is6() {
		p, _ := a.Prefix(64)
		return "ip:" + p.String()
	}
	return "ip:" + a.String()
}

func lockedError(wait time.Duration) error {
	m := int((wait + time.Minute - 1) / time.Minute)
	if m <= 1 {
		return errs.E(errs.Unauthorized, "Too many failed sign-ins. Try again in a minute.")
	}
	return errs.E(errs.Unauthorized, "Too many failed sign-ins. Try again in %d minutes.", m)
}

// reserve counts an attempt against the account and address keys before
// the secret is checked, so parallel guesses cannot all get through before
// the first failure is counted. It returns how long the longest lock still
// runs (0: go ahead). A success settles: the account count is cleared and
// the address refunded, so only failures add up. Empty keys are skipped.
func (s *Service) reserve(ctx context.Context, acct, addr string) (time.Duration, error) {
	var wait time.Duration
	for _, k := range []struct {
		key  string
		most int
	}{{acct, accountFailures}, {addr, addressFailures}} {
		if k.key == "" {
			continue
		}
		w, err := s.attempt(ctx, k.key, k.most)
		if err != nil {
			return 0, err
		}
		wait = max(wait, w)
	}
	return wait, nil
}

// attempt counts one attempt of key and returns how long it is locked: an
// attempt beyond most in the window starts a lock. Each step is a single
// conditional update, so concurrent attempts are all counted except, at
// worst, a couple racing to open a new window.
func (s *Service) attempt(ctx context.Context, key string, most int) (time.Duration, error) {
	now := s.now()
	cutoff := now.Add(-failureWindow)
	// A window stays open while it is recent or while its lock runs, so a
	// lock always lasts lockFor however late in the window it began.
	open := bson.M{"_id": key, "$or": bson.A{bson.M{"start": bson.M{"$gt": cutoff}}, bson.M{"locked_until": bson.M{"$gt": now}}}}
	for range 3 {
		var l limit
		err := s.limits.FindAndUpdate(ctx, open, bson.M{"$inc": bson.M{"count": 1}}, &l)
		if err == nil {
			if l.LockedUntil.After(now) {
				return l.LockedUntil.Sub(now), nil
			}
			if l.Count > most {
				_, err = s.limits.Update(ctx, bson.M{"_id": key}, bson.M{"$set": bson.M{"locked_until": now.Add(lockFor)}})
				return lockFor, err
			}
			return 0, nil
		}
		if !errs.Is(err, errs.NotFound) {
			return 0, err
		}
		// No window open: restart an old one, or make the first.
		ok, err := s.limits.Update(ctx, bson.M{"_id": key, "start": bson.M{"$lte": cutoff}, "locked_until": bson.M{"$lte": now}},
			bson.M{"$set": bson.M{"count": 1, "start": now, "locked_until": time.Time{}}})
		if err != nil || ok {
			return 0, err
		}
		if err = s.limits.Insert(ctx, limit{Key: key, Count: 1, Start: now}); !errs.Is(err, errs.Conflict) {
			return 0, err
		}
		// Someone else opened the window meanwhile: count in theirs.
	}
	return 0, nil
}

// settle ends a successful attempt: the account's count is forgotten and
// the address gets its attempt back.
func (s *Service) settle(ctx context.Context, acct, addr string) error {
	if err := s.clearFailures(ctx, acct); err != nil {
		return err
	}
	if addr == "" {
		return nil
	}
	if _, err := s.limits.Update(ctx, bson.M{"_id": addr, "count": bson.M{"$gt": 0}}, bson.M{"$inc": bson.M{"count": -1}}); err != nil {
		return err
	}
	// An address with nothing left against it needs no record.
	err := s.limits.Delete(ctx, bson.M{"_id": addr, "count": bson.M{"$lte": 0}, "locked_until": bson.M{"$lte": s.now()}})
	if errs.Is(err, errs.NotFound) {
		return nil
	}
	return err
}

// clearFailures forgets an account key's failures after a success.
func (s *Service) clearFailures(ctx context.Context, key string) error {
	if key == "" {
		return nil
	}
	err := s.limits.Delete(ctx, bson.M{"_id": key})
	if errs.Is(err, errs.NotFound) {
		return nil
	}
	return err
}
