package notify

import (
	"context"
	"math/rand/v2"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"
	"unicode"

	"go.mongodb.org/mongo-driver/bson"
	"go.mongodb.org/mongo-driver/mongo/options"

	"dossier/internal/errs"
	"dossier/internal/text"
)

// Notice is a message to one user, shown in the app.
type Notice struct {
	ID      string    `bson:"_id" json:"id"`
	Domain  string    `bson:"domain" json:"domain"` // the hospital it is about
	UserID  string    `bson:"user_id" json:"user_id"`
	Subject string    `bson:"subject" json:"subject"`
	Body    string    `bson:"body" json:"body"`
	Link    string    `bson:"link,omitempty" json:"link,omitempty"` // a path in Dossier, such as /contracts/42
	Created time.Time `bson:"created" json:"created"`
	Read    bool      `bson:"read" json:"read"`
}

// Limits on a notice. Notices are written by Dossier, not typed by people,
// so text over a limit is cut rather than refused.
const (
	InboxSize  = 50   // notices in a user's inbox: the list, and what the unread count counts
	maxSubject = 200  // characters
	maxBody    = 2000 // bytes
	maxLink    = 2000 // bytes
	maxID      = 64   // bytes
	// inboxAttempts bounds the rounds of a contended inbox rewrite; each
	// round one writer wins.
	inboxAttempts = 100
	// lookups is how many notices Notices reads at once.
	lookups = 4
)

// inbox is the ids of a user's latest notices, newest first, and which of
// them are unread; the navigation badge reads it with one lookup by _id.
// It holds ids rather than copies of the notices because the embedded
// engine decodes a whole document for every read, at about 90 µs per
// notice copied into it (measured: 9 ms for 100 copies, 2.4 ms for 100 ids
// and 100 unread ids, 0.6 ms for a document with one field). Notice
// contents are read by _id when the list is shown.
type inbox struct {
	UserID  string   `bson:"_id"`
	IDs     []string `bson:"ids"`
	Unread  []string `bson:"unread"` // a subset of IDs
	Version int64    `bson:"version"`
}

// Notify records n for n.UserID and puts it at the top of their inbox, and
// returns it as stored. ID may be given (Deliver derives it from its key,
// so a retried delivery does not notify twice: the notice already stored
// under the ID is returned instead); otherwise a random one is made.
// Created is now, and Read false.
func (s *Service) Notify(ctx context.Context, n Notice) (Notice, error) {
	n, err := s.clean(n)
	if err != nil {
		return Notice{}, err
	}
	// The notice first, then the inbox entry: a crash in between leaves a
	// notice outside the inbox (a retried Deliver puts it in), never an
	// inbox entry without its notice.
	err = s.notices.Insert(ctx, n)
	if errs.Is(err, errs.Conflict) {
		var old Notice
		if err := s.notices.Get(ctx, bson.M{"_id": n.ID}, &old); err != nil {
			return Notice{}, err
		}
		if old.UserID != n.UserID {
			return Notice{}, errs.E(errs.Conflict, "Another notice has the id %s.", n.ID)
		}
		n, err = old, nil
	}
	if err != nil {
		return Notice{}, err
	}
	err = s.rewriteInbox(ctx, n.UserID, func(in *inbox) bool {
		if slices.Contains(in.IDs, n.ID) {
			return false
		}
		in.IDs = slices.Insert(in.IDs, 0, n.ID)
		if !n.Read {
			in.Unread = slices.Insert(in.Unread, 0, n.ID)
		}
		return true
	})
	if err != nil {
		return Notice{}, err
	}
	return n, nil
}

// Notices returns the user's latest notices (at most InboxSize), newest
// first; with unreadOnly, only the unread ones. A user with no notices has
// an empty list.
func (s *Service) Notices(ctx context.Context, userID string, unreadOnly bool) ([]Notice, error) {
	var in inbox
	err := s.inboxes.Get(ctx, bson.M{"_id": userID}, &in)
	if errs.Is(err, errs.NotFound) {
		return []Notice{}, nil
	}
	if err != nil {
		return nil, err
	}
	ids := in.IDs
	if unreadOnly {
		ids = in.Unread
	}
	found := make([]Notice, len(ids))
	ok := make([]bool, len(ids))
	errc := make(chan error, lookups)
	var wg sync.WaitGroup
	for w := range lookups {
		wg.Go(func() {
			for i := w; i < len(ids); i += lookups {
				err := s.notices.Get(ctx, bson.M{"_id": ids[i]}, &found[i])
				if errs.Is(err, errs.NotFound) {
					continue // cannot happen: notices go in before their ids
				}
				if err != nil {
					errc <- err
					return
				}
				ok[i] = true
			}
		})
	}
	wg.Wait()
	close(errc)
	if err := <-errc; err != nil {
		return nil, err
	}
	out := make([]Notice, 0, len(ids))
	for i, n := range found {
		if ok[i] {
			// The inbox says what is read: MarkRead changes it last.
			n.Read = !slices.Contains(in.Unread, n.ID)
			out = append(out, n)
		}
	}
	return out, nil
}

// Unread returns how many of the user's latest InboxSize notices are
// unread: the navigation badge (show "50+" at InboxSize). It reads one
// small document.
func (s *Service) Unread(ctx context.Context, userID string) (int, error) {
	var in inbox
	err := s.inboxes.Get(ctx, bson.M{"_id": userID}, &in, options.FindOne().SetProjection(bson.M{"unread": 1}))
	if errs.Is(err, errs.NotFound) {
		return 0, nil
	}
	return len(in.Unread), err
}

// MarkRead marks the user's notice id read. Another user's notice is
// NotFound, as a missing one is. Marking a read notice again is no error,
// and repairs an inbox a crash left behind the notice.
func (s *Service) MarkRead(ctx context.Context, userID, id string) error {
	var n Notice
	err := s.notices.Get(ctx, bson.M{"_id": id}, &n, options.FindOne().SetProjection(bson.M{"user_id": 1, "read": 1}))
	if errs.Is(err, errs.NotFound) || err == nil && (userID == "" || n.UserID != userID) {
		return errs.E(errs.NotFound, "No such notice.")
	}
	if err != nil {
		return err
	}
	if !n.Read {
		// A notice's owner never changes, so the check above still holds.
		if _, err := s.notices.Update(ctx, bson.M{"_id": id}, bson.M{"$set": bson.M{"read": true}}); err != nil {
			return err
		}
	}
	// One atomic update; the version moves so a rewrite in flight starts over.
	_, err = s.inboxes.Update(ctx, bson.M{"_id": userID}, bson.M{"$pull": bson.M{"unread": id}, "$inc": bson.M{"version": 1}})
	return err
}

// rewriteInbox applies change to the user's inbox and writes it back,
// trimmed to InboxSize, under its version; a concurrent change makes it
// start again from a fresh read. change reports whether it changed
// anything.
func (s *Service) rewriteInbox(ctx context.Context, userID string, change func(*inbox) bool) error {
	for range inboxAttempts {
		in := inbox{UserID: userID}
		err := s.inboxes.Get(ctx, bson.M{"_id": userID}, &in)
		fresh := errs.Is(err, errs.NotFound)
		if err != nil && !fresh {
			return err
		}
		if !change(&in) {
			return nil
		}
		if len(in.IDs) > InboxSize {
			in.IDs = in.IDs[:InboxSize]
		}
		in.Unread = slices.DeleteFunc(in.Unread, func(id string) bool { return !slices.Contains(in.IDs, id) })
		if fresh {
			err = s.inboxes.Insert(ctx, in)
		} else {
			err = s.inboxes.UpdateVersion(ctx, userID, in.Version, bson.M{"$set": bson.M{"ids": in.IDs, "unread": in.Unread}})
		}
		if !errs.Is(err, errs.Conflict) {
			return err
		}
		// Another writer got there first; let the others through.
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(time.Duration(rand.IntN(5)) * time.Millisecond):
		}
	}
	return errs.E(errs.Unavailable, "The notices are busy; try again.")
}

// clean checks and tidies a notice about to be stored.
func (s *Service) clean(n Notice) (Notice, error) {
	if n.UserID == "" {
		return Notice{}, errs.E(errs.Invalid, "A notice needs a user.")
	}
	if n.ID == "" {
		n.ID = randomHex(12)
	}
	if len(n.ID) > maxID {
		return Notice{}, errs.E(errs.Invalid, "A notice id is at most %d bytes.", maxID)
	}
	n.Subject = text.Shorten(oneLine(n.Subject), maxSubject)
	if n.Subject == "" {
		return Notice{}, errs.E(errs.Invalid, "A notice needs a subject.")
	}
	n.Body = text.Clip(n.Body, maxBody)
	if !validLink(n.Link) {
		return Notice{}, errs.E(errs.Invalid, "A notice's link must be a path in Dossier or an http(s) address.")
	}
	n.Created, n.Read = s.now(), false
	return n, nil
}

// oneLine makes s valid UTF-8 on one line, runs of spaces and control
// characters made one space.
func oneLine(s string) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	return strings.Join(strings.FieldsFunc(s, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) }), " ")
}

// validLink accepts "", a path in Dossier ("/contracts/42", not
// "//elsewhere"), or an absolute http(s) URL: never javascript: and the
// like, as the link becomes an href.
func validLink(l string) bool {
	if l == "" {
		return true
	}
	if len(l) > maxLink || strings.ContainsFunc(l, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) || r == '\\' }) {
		return false
	}
	if strings.HasPrefix(l, "/") {
		return !strings.HasPrefix(l, "//")
	}
	u, err := url.Parse(l)
	return err == nil && (u.Scheme == "https" || u.Scheme == "http") && u.Host != ""
}
