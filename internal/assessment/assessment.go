// Package assessment runs vendor security assessments: a questionnaire
// template sent to a vendor contact through an external link, the vendor's
// answers and evidence, the score, the reviewer's findings and the
// decision on the residual risk, signed by an approver when high.
//
// One assessment is one document. Each answer is its own field
// (answers.<question>) set by one conditional update, so an answer saved
// in one browser tab never erases another saved in a second tab. External
// links are stored under the SHA-256 of their token (the embedded engine's
// one fast lookup is by string _id). Findings and evidence files are
// documents of their own.
//
// At start-up call Migrate, then New (which records the templates it was
// given, refusing a template whose content changed under a version already
// stored), then Register to add the onboarding check.
package assessment

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"io"
	"log/slog"
	"sync"
	"time"

	"go.mongodb.org/mongo-driver/bson"
	"go.mongodb.org/mongo-driver/mongo"
	"go.mongodb.org/mongo-driver/mongo/options"

	"dossier/internal/access"
	"dossier/internal/audit"
	"dossier/internal/blob"
	"dossier/internal/mail"
	"dossier/internal/questionnaire"
	"dossier/internal/store"
	"dossier/internal/supplier"
	"dossier/internal/upload"
)

// Collections this package owns.
const (
	collAssessments = "assessments"
	collLinks       = "assessment_links"
	collFindings    = "findings"
	collEvidence    = "evidence"
	collTemplates   = "questionnaire_versions"
)

// Auditor records audit entries; *audit.Log is one.
type Auditor interface {
	Append(ctx context.Context, e audit.Entry) (audit.Event, error)
}

// Vendors reads vendors and records finished assessments on them;
// *supplier.Service is one.
type Vendors interface {
	Get(ctx context.Context, domain, id string) (supplier.Vendor, error)
	RecordAssessment(ctx context.Context, domain, id string, at time.Time) (supplier.Vendor, error)
}

// Reauthenticator checks a signer's password and second factor and
// gives their printed name; *access.Service is one.
type Reauthenticator interface {
	Reauthenticate(ctx context.Context, userID, password, code string) error
	User(ctx context.Context, id string) (access.User, error)
}

// Checker validates an uploaded file's content; *upload.Checker is one.
type Checker interface {
	Check(ctx context.Context, f *upload.File, field string, kinds ...upload.Kind) error
}

// Files stores evidence; *blob.Store is one.
type Files interface {
	Put(ctx context.Context, key string, r io.Reader, size int64, o blob.PutOptions) (blob.Object, error)
	Get(ctx context.Context, key, versionID, sha256hex string) (*blob.Reader, error)
}

// Options configures a Service.
type Options struct {
	Templates []*questionnaire.Template // the current templates, one per id
	Vendors   Vendors
	Audit     Auditor         // nil: nothing audited (tests of other packages)
	Reauth    Reauthenticator // nil: no decision can be signed
	Files     Files           // nil: no evidence can be uploaded
	Checker   Checker         // nil: no evidence can be uploaded
	Mailer    *mail.Mailer    // nil or off: links are only shown to the sender
	Hospital  string          // the hospital's name, in mails to vendors
	PublicURL string          // base of the links in mails: "https://dossier.hospital.org"
	LinkTTL   time.Duration   // how long a new link stays valid; zero: 30 days
	Log       *slog.Logger
	Now       func() time.Time
}

// Service runs assessments.
type Service struct {
	o           Options
	db          *store.Store
	assessments *store.Collection
	links       *store.Collection
	findings    *store.Collection
	evidence    *store.Collection
	catalog     *catalog

	linkMu  sync.Mutex
	linkIDs map[string]string // link hash → assessment id
}

// New returns a Service after recording every template's exact source
// under its id and version. A template whose content differs from what is
// stored under the same version is refused: assessments sent with that
// version must keep reading what the vendor was asked.
func New(ctx context.Context, db *store.Store, o Options) (*Service, error) {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.LinkTTL <= 0 {
		o.LinkTTL = 30 * 24 * time.Hour
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	s := &Service{
		o: o, db: db,
		assessments: db.Collection(collAssessments),
		links:       db.Collection(collLinks),
		findings:    db.Collection(collFindings),
		evidence:    db.Collection(collEvidence),
		linkIDs:     map[string]string{},
	}
	c, err := newCatalog(ctx, db.Collection(collTemplates), o.Templates, s.now)
	if err != nil {
		return nil, err
	}
	s.catalog = c
	return s, nil
}

// Migrate creates the indexes the production database uses for lists.
func Migrate(ctx context.Context, db *store.Store) error {
	idx := func(name string, keys ...string) mongo.IndexModel {
		d := bson.D{}
		for _, k := range keys {
			d = append(d, bson.E{Key: k, Value: 1})
		}
		return mongo.IndexModel{Keys: d, Options: options.Index().SetName(name)}
	}
	for _, c := range []struct {
		coll string
		idx  mongo.IndexModel
	}{
		{collAssessments, idx("by_vendor", "domain", "vendor_id", "created_at")},
		{collAssessments, idx("by_state", "domain", "state", "updated_at")},
		{collLinks, idx("by_assessment", "assessment_id")},
		{collFindings, idx("by_assessment", "assessment_id", "raised_at")},
		{collFindings, idx("by_state", "domain", "state", "due")},
		{collEvidence, idx("by_vendor", "domain", "vendor_id", "uploaded_at")},
		{collEvidence, idx("by_expiry", "domain", "expires")},
	} {
		if err := db.Collection(c.coll).EnsureIndexes(ctx, c.idx); err != nil {
			return err
		}
	}
	return nil
}

func (s *Service) now() time.Time { return s.o.Now().UTC().Truncate(time.Millisecond) }

func newID() string {
	b := make([]byte, 12)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// record appends an audit entry when an auditor is set.
func (s *Service) record(ctx context.Context, action, objectType, domain, id string, details map[string]string) error {
	if s.o.Audit == nil {
		return nil
	}
	_, err := s.o.Audit.Append(ctx, audit.Entry{Action: action, ObjectType: objectType, ObjectID: id, Domain: domain, Details: details})
	return err
}
