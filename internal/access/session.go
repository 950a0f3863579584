package access

import (
	"context"
	"slices"
	"strconv"
	"time"

	"go.mongodb.org/mongo-driver/bson"
	"go.mongodb.org/mongo-driver/mongo/options"

	"dossier/internal/errs"
	"dossier/internal/store"

	"dossier/internal/text"
)

// Session stages.
const (
	StageFull = "full" // signed in
	StageMFA  = "mfa"  // password accepted, second factor awaited; good for CompleteMFA only
)

// Session is a signed-in browser. Its ID is the hex SHA-256 of the token
// the browser holds; the token itself is never stored.
type Session struct {
	ID        string    `bson:"_id" json:"id"`
	User      string    `bson:"user" json:"user"`
	Stage     string    `bson:"stage" json:"stage"`
	Created   time.Time `bson:"created" json:"created"`
	LastSeen  time.Time `bson:"last_seen" json:"last_seen"` // written at most once a minute
	Expires   time.Time `bson:"expires" json:"expires"`     // absolute end, however active
	ReauthAt  time.Time `bson:"reauth_at,omitempty" json:"reauth_at,omitzero"`
	IP        string    `bson:"ip" json:"ip"`
	UserAgent string    `bson:"user_agent" json:"user_agent"`
}

type sessionEntry struct {
	session Session
	user    User
}

func sessionEnded() error {
	return errs.E(errs.Unauthorized, "Your session has ended. Please sign in again.")
}

// newSession stores a session for u with a fresh random token, never one
// the browser offered: that is what rotating the id at sign-in means.
func (s *Service) newSession(ctx context.Context, u User, stage string, c Client, life time.Duration) (string, Session, error) {
	token := newSecret(32)
	now := s.now()
	sess := Session{
		ID: hashToken(token), User: u.ID, Stage: stage,
		Created: now, LastSeen: now, Expires: now.Add(life),
		IP: text.Clip(c.IP, 64), UserAgent: text.Clip(c.UserAgent, 256),
	}
	if err := s.sessions.Insert(ctx, sess); err != nil {
		return "", Session{}, err
	}
	return token, sess, nil
}

// Authenticate returns the session and user a browser's token stands for.
// Unknown, ended, idle or expired sessions, sign-ins still waiting for
// their second factor and users no longer active are all Unauthorized.
// Answers are cached for Options.CacheFor; see the package comment.
func (s *Service) Authenticate(ctx context.Context, token string) (Session, User, error) {
	if token == "" || len(token) > maxTokenLen {
		return Session{}, User{}, sessionEnded()
	}
	id := hashToken(token)
	now := s.now()
	if e, ok := s.sessionCache.get(id, now); ok {
		if !s.live(e.session, now) {
			s.sessionCache.evict(id)
			return Session{}, User{}, sessionEnded()
		}
		return s.touchSession(ctx, e, now)
	}
	gen := s.sessionCache.generation()
	var sess Session
	if err := s.sessions.Get(ctx, bson.M{"_id": id}, &sess); err != nil {
		if errs.Is(err, errs.NotFound) {
			return Session{}, User{}, sessionEnded()
		}
		return Session{}, User{}, err
	}
	if sess.Stage != StageFull {
		return Session{}, User{}, sessionEnded()
	}
	if !s.live(sess, now) {
		_ = s.sessions.Delete(ctx, bson.M{"_id": id})
		return Session{}, User{}, sessionEnded()
	}
	u, err := s.User(ctx, sess.User)
	if errs.Is(err, errs.NotFound) || err == nil && u.Status != Active {
		return Session{}, User{}, sessionEnded()
	}
	if err != nil {
		return Session{}, User{}, err
	}
	e := sessionEntry{sess, u}
	s.sessionCache.put(gen, id, u.ID, e, now)
	return s.touchSession(ctx, e, now)
}

// live reports whether a full session is within both timeouts. Last-seen
// is written once a minute, so idleness is measured to within a minute.
func (s *Service) live(sess Session, now time.Time) bool {
	return now.Before(sess.Expires) && !now.After(sess.LastSeen.Add(s.o.SessionIdle))
}

// touchSession writes last-seen when it is a minute old. The write is
// conditional on the session still existing, so a sign-out made on another
// instance is noticed here within a minute even while cached.
func (s *Service) touchSession(ctx context.Context, e sessionEntry, now time.Time) (Session, User, error) {
	if now.Sub(e.session.LastSeen) >= touchEvery {
		ok, err := s.sessions.Update(ctx, bson.M{"_id": e.session.ID}, bson.M{"$set": bson.M{"last_seen": now}})
		if err != nil {
			return Session{}, User{}, err
		}
		if !ok {
			s.sessionCache.evict(e.session.ID)
			return Session{}, User{}, sessionEnded()
		}
		e.session.LastSeen = now
		s.sessionCache.replace(e.session.ID, e)
	}
	return e.session, cloneUser(e.user), nil
}

// cloneUser keeps callers from writing into a cached user's slice.
func cloneUser(u User) User {
	u.MFA.RecoveryHashes = slices.Clone(u.MFA.RecoveryHashes)
	return u
}

// SignOut ends the session a token stands for. An unknown token is not an
// error: the browser is signed out either way.
func (s *Service) SignOut(ctx context.Context, token string) error {
	if token == "" || len(token) > maxTokenLen {
		return nil
	}
	id := hashToken(token)
	var sess Session
	err := s.sessions.Get(ctx, bson.M{"_id": id}, &sess)
	if errs.Is(err, errs.NotFound) {
		s.sessionCache.evict(id)
		return nil
	}
	if err != nil {
		return err
	}
	if err := s.sessions.Delete(ctx, bson.M{"_id": id}); err != nil && !errs.Is(err, errs.NotFound) {
		return err
	}
	s.sessionCache.evict(id)
	return s.record(ctx, "auth.signout", "user", sess.User, map[string]string{"session": sess.ID[:12]}, nil)
}

// SignOutSession ends one of a user's sessions by its ID, as listed by
// Sessions: "sign out that other browser".
func (s *Service) SignOutSession(ctx context.Context, userID, sessionID string) error {
	err := s.sessions.Delete(ctx, bson.M{"_id": sessionID, "user": userID})
	if err != nil {
		return wrapNotFound(err, "That session has already ended.")
	}
	s.sessionCache.evict(sessionID)
	return s.record(ctx, "auth.signout", "user", userID, map[string]string{"session": text.Clip(sessionID, 12)}, nil)
}

// SignOutEverywhere ends every session of a user, the caller's too.
// API tokens are not sessions and keep working.
func (s *Service) SignOutEverywhere(ctx context.Context, userID string) error {
	if _, err := s.User(ctx, userID); err != nil {
		return err
	}
	n, err := s.endSessions(ctx, userID, "")
	if err != nil {
		return err
	}
	return s.record(ctx, "auth.signout_all", "user", userID, map[string]string{"sessions_ended": strconv.Itoa(n)}, nil)
}

// endSessions deletes a user's sessions, sign-ins awaiting a second factor
// included, except keep. It finds them by user (a scan on the embedded
// engine; a user has a handful) and deletes each by _id.
func (s *Service) endSessions(ctx context.Context, userID, keep string) (int, error) {
	var ids []struct {
		ID string `bson:"_id"`
	}
	err := s.sessions.Find(ctx, bson.M{"user": userID}, &ids, options.Find().SetProjection(bson.M{"_id": 1}))
	if err != nil {
		return 0, err
	}
	n := 0
	for _, d := range ids {
		if d.ID == keep {
			continue
		}
		err := s.sessions.Delete(ctx, bson.M{"_id": d.ID})
		if err != nil && !errs.Is(err, errs.NotFound) {
			return n, err
		}
		n++
	}
	s.evictUser(userID)
	return n, nil
}

// Sessions lists a user's live sessions, most recently active first.
func (s *Service) Sessions(ctx context.Context, userID string) ([]Session, error) {
	var all []Session
	if err := s.sessions.Find(ctx, bson.M{"user": userID}, &all); err != nil {
		return nil, err
	}
	now := s.now()
	live := all[:0]
	for _, sess := range all {
		if sess.Stage == StageFull && s.live(sess, now) {
			live = append(live, sess)
		}
	}
	slices.SortFunc(live, func(a, b Session) int { return b.LastSeen.Compare(a.LastSeen) })
	return live, nil
}

// Sweep deletes what has expired: sessions, sign-in limits, links. There
// are no TTL indexes on the embedded engine, so a background job calls this
// now and then (hourly is plenty). It scans; that is fine off the hot path.
func (s *Service) Sweep(ctx context.Context) (int, error) {
	now := s.now()
	jobs := []struct {
		c      *store.Collection
		filter bson.M
	}{
		{s.sessions, bson.M{"$or": bson.A{
			bson.M{"expires": bson.M{"$lte": now}},
			bson.M{"last_seen": bson.M{"$lt": now.Add(-s.o.SessionIdle)}},
		}}},
		{s.limits, bson.M{"start": bson.M{"$lte": now.Add(-failureWindow)}, "locked_until": bson.M{"$lte": now}}},
		{s.links, bson.M{"expires": bson.M{"$lte": now}}},
	}
	n := 0
	for _, j := range jobs {
		var ids []struct {
			ID string `bson:"_id"`
		}
		if err := j.c.Find(ctx, j.filter, &ids, options.Find().SetProjection(bson.M{"_id": 1})); err != nil {
			return n, err
		}
		for _, d := range ids {
			if err := j.c.Delete(ctx, bson.M{"_id": d.ID}); err != nil && !errs.Is(err, errs.NotFound) {
				return n, err
			}
			n++
		}
	}
	return n, nil
}
