// Package contract keeps the hospital's contracts with its vendors and its
// business associate agreements: what was agreed, with whom, from when to
// when, the notice needed to end or stop a renewal, the signed files in S3
// under object-lock retention, legal holds, the HIPAA 164.504(e) checklist
// of a BAA, the vendors that handle PHI with no BAA in force, the expiry
// lists legal works from, and which reminders are due on a day.
//
// One contract is one document, its file versions included, so each change
// is one conditional single-document update under the contract's version
// (optimistic concurrency), and each change is audited (object type
// "contract"). Work that touches S3 and the record goes files first,
// record second, so a crash or a lost race leaves at worst objects no record
// points at (garbage for a reconciler under contracts/<id>/), or files
// protected longer than their record says — never a record pointing at a
// file that is not there, nor a file less protected than its record says.
//
// Permissions are decided in HTTP with Casbin. One rule is the domain's:
// a person without the manage right may create drafts, edit drafts and
// upload files to drafts, nothing more; Update and UploadFile take that
// right as canManage. Every other change (Activate, Terminate, SetHold,
// DeleteFile, Dispose) is a manage action the handler authorizes.
//
// At start-up call Migrate, then New, then Register to add the onboarding
// check "BAA in force when the vendor handles PHI".
package contract

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"io"
	"log/slog"
	"time"

	"go.mongodb.org/mongo-driver/bson"
	"go.mongodb.org/mongo-driver/mongo"
	"go.mongodb.org/mongo-driver/mongo/options"

	"dossier/internal/access"
	"dossier/internal/audit"
	"dossier/internal/blob"
	"dossier/internal/errs"
	"dossier/internal/index"
	"dossier/internal/store"
	"dossier/internal/supplier"
	"dossier/internal/upload"
)

// Collection is where contracts are kept: the collection this package
// owns besides its index. Tools that write contracts in bulk
// (cmd/contractload) write here and then call Reindex.
const Collection = "contracts"

// Auditor records audit entries; *audit.Log is one.
type Auditor interface {
	Append(ctx context.Context, e audit.Entry) (audit.Event, error)
}

// Vendors reads the supplier register; *supplier.Service is one.
type Vendors interface {
	Get(ctx context.Context, domain, id string) (supplier.Vendor, error)
	All(ctx context.Context, domain string, q supplier.Query, fn func(supplier.Vendor) error) error
}

// Users finds contract owners; *access.Service is one.
type Users interface {
	User(ctx context.Context, id string) (access.User, error)
}

// Checker validates an uploaded file's content; *upload.Checker is one.
type Checker interface {
	Check(ctx context.Context, f *upload.File, field string, kinds ...upload.Kind) error
}

// Files keeps contract files under object lock; *blob.Store is one.
type Files interface {
	Put(ctx context.Context, key string, r io.Reader, size int64, o blob.PutOptions) (blob.Object, error)
	Get(ctx context.Context, key, versionID, sha256hex string) (*blob.Reader, error)
	SetRetention(ctx context.Context, key, versionID string, r blob.Retention) error
	SetLegalHold(ctx context.Context, key, versionID string, on bool) error
	Delete(ctx context.Context, key, versionID string) error
}

// Options configures a Service.
type Options struct {
	Vendors Vendors // required
	Audit   Auditor // nil: nothing audited (tests of other packages)
	Users   Users   // nil: owners are not checked against the user directory, and lists show no owner names
	// MayOwn reports whether a user may own the domain's contracts: read
	// them, since reminders and the calendar feed tell the owner about
	// the contract. nil: any active user may.
	MayOwn  func(userID, domain string) bool
	Files   Files   // nil: no file can be stored
	Checker Checker // nil: no file can be stored
	// ComplianceRetention locks files in compliance mode, which nobody can
	// shorten or lift; the default is governance mode, which a privileged
	// storage administrator can.
	ComplianceRetention bool
	Log                 *slog.Logger // nil: discard
	Now                 func() time.Time
}

// Service keeps contracts.
type Service struct {
	o         Options
	contracts *store.Collection
	idx       *index.Index // the contract index (index.go)
}

// New returns the contracts kept in db. It does no I/O.
func New(db *store.Store, o Options) *Service {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	return &Service{o: o, contracts: db.Collection(Collection), idx: newIndex(db)}
}

// Migrate creates the indexes production MongoDB uses: contracts by
// domain and expiry, vendor, and status (the daily sweep, a vendor's
// contracts), and the contract index's buckets by domain (lists, reminders,
// the BAA gap). Running it again is harmless. (The embedded engine scans
// anyway.)
func Migrate(ctx context.Context, db *store.Store) error {
	idx := func(name string, keys ...string) mongo.IndexModel {
		d := bson.D{{Key: "domain", Value: 1}}
		for _, k := range keys {
			d = append(d, bson.E{Key: k, Value: 1})
		}
		return mongo.IndexModel{Keys: d, Options: options.Index().SetName(name)}
	}
	if err := db.Collection(Collection).EnsureIndexes(ctx,
		idx("by_expiry", "expiry"),
		idx("by_vendor", "vendor_id", "type"),
		idx("by_status", "status", "expiry"),
	); err != nil {
		return err
	}
	return newIndex(db).Migrate(ctx)
}

func (s *Service) now() time.Time { return s.o.Now().UTC().Truncate(time.Millisecond) }

// today is the current date, at midnight UTC.
func (s *Service) today() time.Time { return Day(s.o.Now()) }

func (s *Service) mode() blob.Mode {
	if s.o.ComplianceRetention {
		return blob.Compliance
	}
	return blob.Governance
}

func newID() string {
	b := make([]byte, 12)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// record appends an audit entry about a contract when an auditor is set.
func (s *Service) record(ctx context.Context, action, domain, id string, details map[string]string) error {
	if s.o.Audit == nil {
		return nil
	}
	_, err := s.o.Audit.Append(ctx, audit.Entry{Action: action, ObjectType: "contract", ObjectID: id, Domain: domain, Details: details})
	return err
}

// conflict is the message for a change that lost to another.
func conflict() error {
	return errs.E(errs.Conflict, "Someone else saved this contract since you opened it; your change is not saved. Reload it and apply yours again.")
}

// noFiles is the error when file storage is not wired in.
func noFiles() error { return errs.E(errs.Unavailable, "File storage is not configured.") }
