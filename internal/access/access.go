// Package access is who may use Dossier and how they prove it: users,
// argon2id passwords, sessions, sign-in lockout, the TOTP second factor,
// re-authentication before signatures, API tokens and set-password links.
// What a signed-in user may do is decided elsewhere (internal/authz); HTTP
// is internal/http's business.
//
// No secret is stored. Sessions, API tokens and links live under the hex
// SHA-256 of their token as _id, so checking one is a single _id lookup (the
// only fast lookup on the embedded engine) and a copy of the database yields
// no usable token. Sign-in goes through user_emails, keyed by the
// normalized email, for the same reason.
//
// Authenticate and AuthenticateToken answer from memory for up to
// Options.CacheFor. Every change made through a Service (disable, sign-out,
// sign-out everywhere, password change, token revocation, MFA reset) evicts
// the affected entries at once, so the instance that made the change
// refuses on the very next request. Other instances keep serving their
// cached answer for at most CacheFor (5 s by default), and notice sooner
// when they next write the session's last-seen time (once a minute).
package access

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"runtime"
	"strings"
	"time"

	"go.mongodb.org/mongo-driver/bson"
	"go.mongodb.org/mongo-driver/mongo"
	"go.mongodb.org/mongo-driver/mongo/options"

	"dossier/internal/audit"
	"dossier/internal/errs"
	"dossier/internal/store"
)

// Auditor records audit entries; *audit.Log is one.
type Auditor interface {
	Append(ctx context.Context, e audit.Entry) (audit.Event, error)
}

// Options configures a Service. Zero values take the defaults.
type Options struct {
	Issuer          string        // shown in authenticator apps: the hospital's name; default "Dossier"
	SessionIdle     time.Duration // a session unused this long ends; default 30 min
	SessionAbsolute time.Duration // a session ends this long after sign-in; default 12 h
	CacheFor        time.Duration // how long a checked session or token is trusted from memory; default 5 s, negative: never
	Audit           Auditor       // nil: nothing is audited (tests of other packages)
	Now             func() time.Time
}

// Collections this package owns.
const (
	collUsers    = "users"
	collEmails   = "user_emails"
	collSessions = "sessions"
	collTokens   = "api_tokens"
	collLimits   = "signin_limits"
	collLinks    = "password_links"
	collCalendar = "calendar_links"
	collSettings = "access_settings"
)

const (
	challengeLife  = 5 * time.Minute // a sign-in waiting for its second factor
	touchEvery     = time.Minute     // last-seen and last-used writes, at most
	DefaultLinkTTL = 72 * time.Hour  // set-password and setup links
	cacheSize      = 10000           // entries per cache; beyond it, some are dropped
	claimStale     = time.Minute     // an email claim without its user this old is debris of a crash
	maxTokenLen    = 128             // longer "tokens" are refused before hashing
	maxTypedEmail  = 100             // bytes of a typed email kept in audit details
	maxLabel       = 100             // runes of an API token label
	maxName        = 100             // runes of a display name
)

// Defaults for Options.
const (
	defaultIssuer  = "Dossier"
	defaultIdle    = 30 * time.Minute
	defaultMaxLife = 12 * time.Hour
	defaultCache   = 5 * time.Second
)

// Service is the access area. It is safe for concurrent use.
type Service struct {
	o        Options
	users    *store.Collection
	emails   *store.Collection
	sessions *store.Collection
	tokens   *store.Collection
	limits   *store.Collection
	links    *store.Collection
	settings *store.Collection
	calendar *store.Collection

	sessionCache *cache[sessionEntry]
	tokenCache   *cache[tokenEntry]
	mfaRoles     *cache[[]string]

	// hashSlots bounds concurrent argon2 work: each hash holds 19 MiB, so a
	// burst of sign-ins must queue rather than exhaust memory.
	hashSlots chan struct{}
}

// New returns the access service on db.
func New(db *store.Store, o Options) *Service {
	if o.Issuer = strings.ReplaceAll(strings.TrimSpace(o.Issuer), ":", " "); o.Issuer == "" {
		o.Issuer = defaultIssuer // authenticator URIs use ':' between issuer and account
	}
	if o.SessionIdle <= 0 {
		o.SessionIdle = defaultIdle
	}
	if o.SessionAbsolute <= 0 {
		o.SessionAbsolute = defaultMaxLife
	}
	if o.CacheFor == 0 {
		o.CacheFor = defaultCache
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	return &Service{
		o:            o,
		users:        db.Collection(collUsers),
		emails:       db.Collection(collEmails),
		sessions:     db.Collection(collSessions),
		tokens:       db.Collection(collTokens),
		limits:       db.Collection(collLimits),
		links:        db.Collection(collLinks),
		settings:     db.Collection(collSettings),
		calendar:     db.Collection(collCalendar),
		sessionCache: newCache[sessionEntry](o.CacheFor, cacheSize),
		tokenCache:   newCache[tokenEntry](o.CacheFor, cacheSize),
		mfaRoles:     newCache[[]string](o.CacheFor, 1),
		hashSlots:    make(chan struct{}, max(2, runtime.GOMAXPROCS(0))),
	}
}

// Migrate creates this package's indexes; running it again changes nothing.
// Hot lookups go by _id; these serve the per-user lists and, on MongoDB,
// back the email claim with a unique index on users.
func Migrate(ctx context.Context, db *store.Store) error {
	idx := func(name string, unique bool) mongo.IndexModel {
		o := options.Index().SetName(name)
		if unique {
			o.SetUnique(true)
		}
		return mongo.IndexModel{Keys: bson.D{{Key: name, Value: 1}}, Options: o}
	}
	for _, c := range []struct {
		coll string
		m    mongo.IndexModel
	}{
		{collSessions, idx("user", false)},
		{collTokens, idx("user", false)},
		{collCalendar, idx("user", false)},
		{collUsers, idx("email", true)},
	} {
		if err := db.Collection(c.coll).EnsureIndexes(ctx, c.m); err != nil {
			return err
		}
	}
	return nil
}

// now is the clock at the database's precision, so values read back from
// MongoDB equal the ones written and cached.
func (s *Service) now() time.Time { return s.o.Now().UTC().Truncate(time.Millisecond) }

// newSecret returns n random bytes as unpadded base64url.
func newSecret(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b) // never fails (Go 1.24+)
	return base64.RawURLEncoding.EncodeToString(b)
}

// newID returns a random record id: 12 bytes as hex.
func newID() string {
	b := make([]byte, 12)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// hashToken is the _id a session, API token or link is stored under.
func hashToken(token string) string {
	h := sha256.Sum256([]byte(token))
	return hex.EncodeToString(h[:])
}

// record appends an audit entry when an auditor is set. actor nil means
// the one carried by ctx.
func (s *Service) record(ctx context.Context, action, objectType, objectID string, details map[string]string, actor *audit.Actor) error {
	if s.o.Audit == nil {
		return nil
	}
	_, err := s.o.Audit.Append(ctx, audit.Entry{Action: action, ObjectType: objectType, ObjectID: objectID, Details: details, Actor: actor})
	return err
}

// sessionKey carries the request's session in a context.
type sessionKey struct{}

// WithSession returns ctx carrying the session the request came with.
// SetPassword and ChangePassword keep that one session (the person changing
// their password stays signed in) and end the user's others.
func WithSession(ctx context.Context, s Session) context.Context {
	return context.WithValue(ctx, sessionKey{}, s)
}

// SessionFrom returns the session WithSession put in ctx.
func SessionFrom(ctx context.Context) (Session, bool) {
	s, ok := ctx.Value(sessionKey{}).(Session)
	return s, ok
}

// wrapNotFound replaces the store's generic not-found message.
func wrapNotFound(err error, message string) error {
	if errs.Is(err, errs.NotFound) {
		return errs.Wrap(errs.NotFound, err, message)
	}
	return err
}
