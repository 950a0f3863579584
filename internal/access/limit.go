package access

import (
	"context"
	"net/netip"
	"time"

	"go.mongodb.org/mongo-driver/bson"

	"dossier/internal/errs"
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

func accountKey(email string) string { return "acct:" + clip(normalizeEmail(email), 320) }

// addressKey is "" when there is no address. IPv6 clients are counted by
// their /64, which one subscriber usually holds whole.
func addressKey(ip string) string {
	if ip == "" {
		return ""
	}
	a, err := netip.ParseAddr(ip)
	if err != nil {
		return "ip:" + clip(ip, 64)
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

// lockedFor returns how long the longest lock among keys still runs; 0
// when none is locked. Empty keys are skipped.
func (s *Service) lockedFor(ctx context.Context, keys ...string) (time.Duration, error) {
	now := s.now()
	var wait time.Duration
	for _, k := range keys {
		if k == "" {
			continue
		}
		var l limit
		err := s.limits.Get(ctx, bson.M{"_id": k}, &l)
		if errs.Is(err, errs.NotFound) {
			continue
		}
		if err != nil {
			return 0, err
		}
		wait = max(wait, l.LockedUntil.Sub(now))
	}
	return wait, nil
}

// countFailure records one failed attempt against an account key and an
// address key.
// Either may be "" for none.
func (s *Service) countFailure(ctx context.Context, acct, addr string) error {
	if acct != "" {
		if err := s.fail(ctx, acct, accountFailures); err != nil {
			return err
		}
	}
	if addr == "" {
		return nil
	}
	return s.fail(ctx, addr, addressFailures)
}

// fail counts one failure of key and locks it at the limit. Each step is a
// single conditional update, so concurrent failures are all counted except,
// at worst, a couple racing to open a new window.
func (s *Service) fail(ctx context.Context, key string, most int) error {
	now := s.now()
	cutoff := now.Add(-failureWindow)
	for range 3 {
		var l limit
		err := s.limits.FindAndUpdate(ctx, bson.M{"_id": key, "start": bson.M{"$gt": cutoff}}, bson.M{"$inc": bson.M{"count": 1}}, &l)
		if err == nil {
			if l.Count >= most && !l.LockedUntil.After(now) {
				_, err = s.limits.Update(ctx, bson.M{"_id": key}, bson.M{"$set": bson.M{"locked_until": now.Add(lockFor)}})
			}
			return err
		}
		if !errs.Is(err, errs.NotFound) {
			return err
		}
		// No window open: restart an old one, or make the first.
		fresh := limit{Key: key, Count: 1, Start: now}
		ok, err := s.limits.Update(ctx, bson.M{"_id": key, "start": bson.M{"$lte": cutoff}},
			bson.M{"$set": bson.M{"count": 1, "start": now, "locked_until": time.Time{}}})
		if err != nil || ok {
			return err
		}
		if err = s.limits.Insert(ctx, fresh); !errs.Is(err, errs.Conflict) {
			return err
		}
		// Someone else opened the window meanwhile: count in theirs.
	}
	return nil
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
