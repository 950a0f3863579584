package notify

import (
	"context"
	"errors"
	"fmt"
	"time"
	"unicode/utf8"

	"go.mongodb.org/mongo-driver/bson"

	"dossier/internal/errs"
	"dossier/internal/text"
)

// States of a once-only claim.
const (
	claimSending  = "sending"  // claimed; the send is under way (or its sender crashed)
	claimSent     = "sent"     // done
	claimSkipped  = "skipped"  // done, with nothing to send (Deliver to a disabled user)
	claimReleased = "released" // the send failed; the next Once for the key sends again
)

// maxKey bounds a once-only key, which is an _id.
const maxKey = 512

// claim is a once-only key's record in sent_notices. Its version makes
// every change after the insert one conditional update.
type claim struct {
	Key      string    `bson:"_id"`
	State    string    `bson:"state"`
	Holder   string    `bson:"holder"`
	Claimed  time.Time `bson:"claimed"`
	Done     time.Time `bson:"done,omitempty"`
	Attempts int       `bson:"attempts"`
	Error    string    `bson:"error,omitempty"` // why the last attempt failed
	Version  int64     `bson:"version"`
}

// Once calls send unless key has been sent before, by this instance or any
// other, and reports whether this call sent it. At most one of several
// concurrent calls for a key, on any instances, calls send.
//
// The key is claimed by inserting a document under it before sending, and
// marked sent afterwards. When send fails the claim is released, so a
// later Once sends again, and send's error is returned. A claim left
// "sending" by a crashed sender is taken over once it is older than
// Options.ClaimStale; send runs with a deadline of half that, so a live
// sender's claim is never taken from it. A call that finds the key claimed
// by a sender still at work returns false and no error.
//
// When send succeeded but marking the key sent failed, Once returns true
// with the error: the key may be sent again after ClaimStale.
func (s *Service) Once(ctx context.Context, key string, send func(ctx context.Context) error) (sent bool, err error) {
	return s.once(ctx, key, func(ctx context.Context) (bool, error) { return false, send(ctx) })
}

// once is Once with a send that may report that there was nothing to send
// (skipped), which closes the key without counting as sent.
func (s *Service) once(ctx context.Context, key string, send func(ctx context.Context) (skipped bool, err error)) (bool, error) {
	if key == "" || len(key) > maxKey || !utf8.ValidString(key) {
		return false, fmt.Errorf("notify: a once-only key must be 1 to %d bytes of UTF-8", maxKey)
	}
	version, ok, err := s.claim(ctx, key)
	if err != nil || !ok {
		return false, err
	}
	sendCtx, cancel := context.WithTimeout(ctx, s.o.ClaimStale/2)
	skipped, err := send(sendCtx)
	cancel()
	// The outcome is written even when the caller has gone: a claim left
	// "sending" would hold the key until it goes stale.
	rec, cancel := detached(ctx)
	defer cancel()
	if err != nil {
		if rerr := s.finish(rec, key, version, claimReleased, err); rerr != nil {
			s.log.Warn("notify: releasing a failed claim", "key", key, "err", rerr)
		}
		return false, err
	}
	state := claimSent
	if skipped {
		state = claimSkipped
	}
	if err := s.finish(rec, key, version, state, nil); err != nil {
		return !skipped, fmt.Errorf("notify: %s was sent but could not be recorded as sent; it may be sent again after %v: %w", key, s.o.ClaimStale, err)
	}
	return !skipped, nil
}

// claim takes key for this instance and returns the claim's version, or
// reports that the key is done or being sent by someone else.
func (s *Service) claim(ctx context.Context, key string) (version int64, ok bool, err error) {
	now := s.now()
	err = s.sent.Insert(ctx, claim{Key: key, State: claimSending, Holder: s.o.Holder, Claimed: now, Attempts: 1})
	if err == nil {
		return 0, true, nil
	}
	if !errs.Is(err, errs.Conflict) {
		return 0, false, err
	}
	var c claim
	if err := s.sent.Get(ctx, bson.M{"_id": key}, &c); err != nil {
		return 0, false, err // claims are never deleted, so NotFound is a real error
	}
	switch {
	case c.State == claimSent || c.State == claimSkipped:
		return 0, false, nil
	case c.State == claimSending && now.Sub(c.Claimed) < s.o.ClaimStale:
		return 0, false, nil
	}
	// Released after a failure, or left by a crashed sender: take it over,
	// unless another instance does so first.
	err = s.sent.UpdateVersion(ctx, key, c.Version, bson.M{
		"$set": bson.M{"state": claimSending, "holder": s.o.Holder, "claimed": now},
		"$inc": bson.M{"attempts": 1},
	})
	switch {
	case err == nil:
		if c.State == claimSending {
			s.log.Warn("notify: took over a claim left by a sender that did not finish", "key", key, "holder", c.Holder, "claimed", c.Claimed)
		}
		return c.Version + 1, true, nil
	case errs.Is(err, errs.Conflict):
		return 0, false, nil
	}
	return 0, false, err
}

// finish records a claim's outcome under its version. A claim taken over
// meanwhile is left to its new holder.
func (s *Service) finish(ctx context.Context, key string, version int64, state string, cause error) error {
	set := bson.M{"state": state, "done": s.now()}
	if cause != nil {
		set["error"] = text.Clip(cause.Error(), 500)
	}
	var err error
	for attempt := range 3 {
		err = s.sent.UpdateVersion(ctx, key, version, bson.M{"$set": set})
		if !errs.Is(err, errs.Unavailable) {
			break
		}
		select { // the database blinked: try again shortly
		case <-ctx.Done():
			return errors.Join(err, ctx.Err())
		case <-time.After(time.Duration(attempt+1) * 200 * time.Millisecond):
		}
	}
	if errs.Is(err, errs.Conflict) {
		s.log.Warn("notify: a claim was taken over while its send was under way; it may have been sent twice", "key", key, "outcome", state)
		return nil
	}
	return err
}
