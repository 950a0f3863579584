// Package supplier keeps the hospital's supplier register: vendors, what
// they touch (systems, data, access), their contacts, internal owner and
// fourth parties; their inherent-risk tier and reassessment date; their
// lifecycle from prospect to terminated with onboarding and offboarding
// checklists; CSV import and CSV/XLSX export.
//
// Every change is one conditional single-document update under the
// vendor's version (optimistic concurrency), and every change is audited.
// Legal names and registration ids are unique per domain through claim
// documents in vendor_keys, keyed by the normalized value as _id, claimed
// before the vendor is written (see keys.go).
//
// At start-up call Migrate, then New, then each area's AddOnboardingCheck
// and AddOffboardingCheck, then Rescore (which brings stored tiers in line
// with a rubric whose configuration changed).
package supplier

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"sync"
	"time"

	"go.mongodb.org/mongo-driver/bson"
	"go.mongodb.org/mongo-driver/mongo"
	"go.mongodb.org/mongo-driver/mongo/options"

	"dossier/internal/access"
	"dossier/internal/audit"
	"dossier/internal/blob"
	"dossier/internal/errs"
	"dossier/internal/risk"
	"dossier/internal/store"
)

// Collections this package owns.
const (
	collVendors = "vendors"
	collKeys    = "vendor_keys"
)

// Auditor records audit entries; *audit.Log is one.
type Auditor interface {
	Append(ctx context.Context, e audit.Entry) (audit.Event, error)
}

// Users finds the people who own vendors; *access.Service is one.
type Users interface {
	User(ctx context.Context, id string) (access.User, error)
	UserByEmail(ctx context.Context, email string) (access.User, error)
}

// Options configures a Service.
type Options struct {
	Rubric risk.Rubric // zero: risk.Default()
	Audit  Auditor     // nil: nothing is audited (tests of other packages)
	Users  Users       // nil: no vendor can have an owner
	// Staff, when set, limits owners to people holding a role in the
	// vendor's hospital (authz.Authorizer answers it).
	Staff interface {
		Roles(user, domain string) []string
	}
	Now func() time.Time
}

// Service is the supplier register.
type Service struct {
	vendors *store.Collection
	keys    *store.Collection
	files   *blob.Store
	o       Options

	mu          sync.RWMutex
	onboarding  []Check
	offboarding []Check
}

// New returns the register kept in db, with offboarding certificates in
// files. It does no I/O. The register's own onboarding and offboarding
// checks are registered; other areas add theirs with AddOnboardingCheck and
// AddOffboardingCheck at start-up.
func New(db *store.Store, files *blob.Store, o Options) *Service {
	if o.Rubric == (risk.Rubric{}) {
		o.Rubric = risk.Default()
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	s := &Service{vendors: db.Collection(collVendors), keys: db.Collection(collKeys), files: files, o: o}
	s.registerBuiltinChecks()
	return s
}

// Rubric is the rubric the register scores with.
func (s *Service) Rubric() risk.Rubric { return s.o.Rubric }

// Migrate creates the indexes the register's lists read by. Running it
// again is harmless. (The embedded engine scans anyway; production MongoDB
// uses them.)
func Migrate(ctx context.Context, db *store.Store) error {
	idx := func(name string, keys ...string) mongo.IndexModel {
		d := bson.D{{Key: "domain", Value: 1}}
		for _, k := range keys {
			d = append(d, bson.E{Key: k, Value: 1})
		}
		return mongo.IndexModel{Keys: d, Options: options.Index().SetName(name)}
	}
	if err := db.Collection(collVendors).EnsureIndexes(ctx,
		idx("by_name", "sort_name", "_id"),
		idx("by_tier", "risk.tier", "sort_name"),
		idx("by_status", "status_rank", "sort_name"),
		idx("by_due", "next_due", "sort_name"),
		idx("by_updated", "updated_at"),
		idx("by_owner", "owner"),
	); err != nil {
		return err
	}
	return db.Collection(collKeys).EnsureIndexes(ctx,
		mongo.IndexModel{Keys: bson.D{{Key: "vendor", Value: 1}}, Options: options.Index().SetName("vendor")})
}

func (s *Service) now() time.Time { return s.o.Now().UTC().Truncate(time.Millisecond) }

func newID() string {
	b := make([]byte, 12)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// record appends an audit entry about a vendor when an auditor is set.
func (s *Service) record(ctx context.Context, action, domain, id string, details map[string]string) error {
	if s.o.Audit == nil {
		return nil
	}
	_, err := s.o.Audit.Append(ctx, audit.Entry{Action: action, ObjectType: "vendor", ObjectID: id, Domain: domain, Details: details})
	return err
}

// conflict is the message for a save that lost to another.
func conflict() error {
	return errs.E(errs.Conflict, "Someone else saved this vendor since you opened it; your changes are not saved. Review theirs and apply yours again.")
}
