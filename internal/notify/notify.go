// Package notify tells people about things that fall due: in-app notices,
// e-mail through the hospital's SMTP server, and the scheduled jobs that
// find what is due (contract expiry, reassessments, document reviews).
//
// Several Dossier instances share one MongoDB, so everything here is made
// of single-document conditional writes that hold across processes:
//
//   - A job runs under a lease, one job_leases document per job (Lease).
//     Free or released, a lease is taken by inserting its document, which
//     a unique _id makes atomic everywhere; an expired one is taken over,
//     and a held one renewed, by one conditional update.
//   - A message that must go out once (a reminder at a threshold) is sent
//     through Once, which claims its key by inserting a sent_notices
//     document under it before sending, so two instances, or a run after a
//     restart, never send it twice. A failed send releases the claim by
//     marking it so under its version (one conditional update; a
//     conditional delete would scan the collection on the embedded
//     engine), and the next Once takes it again.
//   - In-app notices are kept one document each in notices, and the ids of
//     each user's latest ones, with which are unread, in a per-user inbox
//     document (notice_inboxes) that the navigation badge reads with one
//     lookup by _id: the only lookup the embedded engine does without a
//     scan, and so the only kind this package makes on a hot path.
//
// On the embedded engine a conditional update is atomic only among the
// writers of one process (the store serializes them; FerretDB applies an
// update as read-modify-write). The engine is owned by one server process,
// so that holds, except for a command-line tool attached to a running
// server: there the inserts above still exclude each other, and only the
// takeover of an expired lease, or of a released or abandoned claim, could
// race (measured with two stores on one embedded engine: two holders of an
// expired lease in 4 races of 30; a free lease or a new key, never).
package notify

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"log/slog"
	"os"
	"strconv"
	"time"

	"dossier/internal/access"
	"dossier/internal/mail"
	"dossier/internal/store"
)

// Collections this package owns.
const (
	LeasesCollection  = "job_leases"     // one document per job: who runs it, until when
	JobsCollection    = "jobs"           // one document per job: its last run
	SentCollection    = "sent_notices"   // one document per once-only key: its claim and outcome
	NoticesCollection = "notices"        // one document per in-app notice
	InboxCollection   = "notice_inboxes" // one document per user: the ids of the latest notices, and of the unread ones
)

// Defaults for Options.
const (
	DefaultClaimStale = 15 * time.Minute
)

// Users finds the people notices are for; *access.Service is one.
type Users interface {
	User(ctx context.Context, id string) (access.User, error)
}

// Mailer sends e-mail; *mail.Mailer is one. Off (or nil), Deliver notifies
// in-app only.
type Mailer interface {
	Enabled() bool
	Send(ctx context.Context, m mail.Message) error
}

// Options configures a Service. Zero values take the defaults.
type Options struct {
	Users     Users  // whom Deliver notifies; needed by Deliver only
	Mailer    Mailer // nil or off: no e-mail
	PublicURL string // base of the links in e-mail, such as https://dossier.hospital.org
	// Holder names this instance in leases and claims; default host name,
	// process id and a random suffix, so two Services never share one.
	Holder string
	// ClaimStale is how long a once-only claim may stay "sending" before
	// it is taken to be a crashed sender's and may be taken over. A send
	// gets half of it as its deadline, so a live sender's claim is never
	// taken from it. Default DefaultClaimStale.
	ClaimStale time.Duration
	Log        *slog.Logger
	Now        func() time.Time
}

// Service is the notify area. It is safe for concurrent use, and several
// Services (one per instance) may share one database.
type Service struct {
	o       Options
	log     *slog.Logger
	leases  *store.Collection
	jobs    *store.Collection
	sent    *store.Collection
	notices *store.Collection
	inboxes *store.Collection
}

// New returns the notify service on db. It does no I/O.
func New(db *store.Store, o Options) *Service {
	if o.Holder == "" {
		o.Holder = defaultHolder()
	}
	if o.ClaimStale <= 0 {
		o.ClaimStale = DefaultClaimStale
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	log := o.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Service{
		o: o, log: log,
		leases:  db.Collection(LeasesCollection),
		jobs:    db.Collection(JobsCollection),
		sent:    db.Collection(SentCollection),
		notices: db.Collection(NoticesCollection),
		inboxes: db.Collection(InboxCollection),
	}
}

// Holder is the name this instance takes leases and claims under.
func (s *Service) Holder() string { return s.o.Holder }

// Migrate prepares the area's collections on a new or older database.
// Every lookup here is by _id, which MongoDB indexes by itself, so there is
// no index to create yet; the migration list names the area all the same,
// and a later index goes here.
func Migrate(ctx context.Context, db *store.Store) error { return nil }

// now is the clock at the database's precision, so values read back equal
// the ones written.
func (s *Service) now() time.Time { return s.o.Now().UTC().Truncate(time.Millisecond) }

func defaultHolder() string {
	host, err := os.Hostname()
	if err != nil || host == "" {
		host = "dossier"
	}
	return host + ":" + strconv.Itoa(os.Getpid()) + ":" + randomHex(4)
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// detached is ctx without its cancellation, bounded: for recording the
// outcome of work already done when the caller has gone.
func detached(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
}
