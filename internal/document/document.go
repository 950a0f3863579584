// Package document keeps the hospital's controlled ISMS documents (ISO
// 27001:2022 clause 7.5, A.5.1; HIPAA 45 CFR 164.316): the register of
// documents, their immutable revisions (major.minor) with the file of each
// in S3, review and approval by re-authenticated signatures, publication on
// a date, acknowledgement by the audiences, periodic review, retention
// until six years after a revision was last in effect, and the record of
// controlled copies issued.
//
// One document is one MongoDB document holding its revisions as an array
// of fixed-key records (state, dates, file, comments, signatures), so every
// transition — publishing a revision and superseding the one it replaces
// included — is one conditional update under the document's version.
// Two people publishing at once: one wins, the other gets a conflict, and
// exactly one revision is effective. Files are stored first and recorded
// second, so a crash leaves only unreferenced objects under
// documents/<id>/, never a record pointing at nothing. Acknowledgements and
// controlled copies are documents of their own (an acknowledgement keyed
// by document, major version and user, so acknowledging is one insert).
//
// Permissions are decided in HTTP with Casbin (view, revise, review,
// approve, publish, retire, acknowledge, manage). Workflow rules and
// segregation of duties are this package's: the author of a revision never
// signs it, and only an eligible approver (named by the document's rule, or
// holding one of its roles) signs at all. Every change is audited with
// object type "document".
package document

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"io"
	"log/slog"
	"slices"
	"strings"
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
	"dossier/internal/upload"
)

// Collections this package owns.
const (
	Collection     = "documents"
	collNumbers    = "document_numbers" // one claim per domain|NUMBER (keys.go)
	collAcks       = "document_acks"
	collCopies     = "document_copies"
	collComments   = "document_comments"
	objectType     = "document"
	RetentionYears = 6 // 45 CFR 164.316(b)(2)(i)
)

// Auditor records audit entries; *audit.Log is one.
type Auditor interface {
	Append(ctx context.Context, e audit.Entry) (audit.Event, error)
}

// Reauthenticator checks a signer's password and second factor and gives
// their printed name; *access.Service is one.
type Reauthenticator interface {
	Reauthenticate(ctx context.Context, userID, password, code string) error
	User(ctx context.Context, id string) (access.User, error)
}

// Roles tells the roles a user holds in a domain; *authz.Authorizer is one.
type Roles interface {
	Roles(user, domain string) []string
}

// Members tells who holds a role in a domain; *authz.Authorizer is one.
type Members interface {
	Members(role, domain string) []string
}

// Checker validates an uploaded file's content; *upload.Checker is one.
type Checker interface {
	Check(ctx context.Context, f *upload.File, field string, kinds ...upload.Kind) error
}

// Files keeps revision files under object lock; *blob.Store is one.
type Files interface {
	Put(ctx context.Context, key string, r io.Reader, size int64, o blob.PutOptions) (blob.Object, error)
	Get(ctx context.Context, key, versionID, sha256hex string) (*blob.Reader, error)
	SetRetention(ctx context.Context, key, versionID string, r blob.Retention) error
	Delete(ctx context.Context, key, versionID string) error
}

// Options configures a Service.
type Options struct {
	Files   Files   // required for revisions
	Checker Checker // required for PDF revisions
	Audit   Auditor // nil: nothing audited
	Reauth  Reauthenticator
	Roles   Roles   // nil: only approvers named in a rule are eligible; audiences by role match nobody
	Members Members // nil: audiences by role have no members
	// ComplianceRetention locks files in compliance mode, which nobody can
	// shorten or lift; the default is governance mode.
	ComplianceRetention bool
	Stamper             Stamper // makes controlled copies; nil: none
	Log                 *slog.Logger
	Now                 func() time.Time
}

// Service keeps controlled documents.
type Service struct {
	o        Options
	docs     *store.Collection
	numbers  *store.Collection
	acks     *store.Collection
	copies   *store.Collection
	comments *store.Collection
	idx      *index.Index // the register index (index.go)
}

// New returns the documents kept in db. It does no I/O.
func New(db *store.Store, o Options) *Service {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	return &Service{o: o, docs: db.Collection(Collection), numbers: db.Collection(collNumbers),
		acks: db.Collection(collAcks), copies: db.Collection(collCopies), comments: db.Collection(collComments), idx: newIndex(db)}
}

// Migrate creates the indexes production MongoDB uses. Running it again is
// harmless. (The embedded engine scans anyway; hot paths go by _id.)
func Migrate(ctx context.Context, db *store.Store) error {
	idx := func(name string, keys ...string) mongo.IndexModel {
		d := bson.D{{Key: "domain", Value: 1}}
		for _, k := range keys {
			d = append(d, bson.E{Key: k, Value: 1})
		}
		return mongo.IndexModel{Keys: d, Options: options.Index().SetName(name)}
	}
	for _, c := range []struct {
		coll   string
		models []mongo.IndexModel
	}{
		{Collection, []mongo.IndexModel{idx("by_number", "number"), idx("by_owner", "owner"), idx("by_next_review", "next_review")}},
		{collAcks, []mongo.IndexModel{idx("by_document", "doc_id", "major")}},
		{collCopies, []mongo.IndexModel{idx("by_document", "doc_id", "at")}},
		{collComments, []mongo.IndexModel{idx("by_document", "doc_id", "at")}},
	} {
		if err := db.Collection(c.coll).EnsureIndexes(ctx, c.models...); err != nil {
			return err
		}
	}
	return newIndex(db).Migrate(ctx)
}

func (s *Service) now() time.Time   { return s.o.Now().UTC().Truncate(time.Millisecond) }
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

// record appends an audit entry about a document when an auditor is set.
func (s *Service) record(ctx context.Context, action, domain, id string, details map[string]string) error {
	if s.o.Audit == nil {
		return nil
	}
	_, err := s.o.Audit.Append(ctx, audit.Entry{Action: action, ObjectType: objectType, ObjectID: id, Domain: domain, Details: details})
	return err
}

func conflict() error {
	return errs.E(errs.Conflict, "Someone else saved this document since you opened it; your change is not saved. Reload it and apply yours again.")
}

func noFiles() error { return errs.E(errs.Unavailable, "File storage is not configured.") }

// Get returns the document with this id in the domain.
func (s *Service) Get(ctx context.Context, domain, id string) (Document, error) {
	var d Document
	if id == "" || len(id) > maxID {
		return Document{}, errs.E(errs.NotFound, "No such document.")
	}
	if err := s.docs.Get(ctx, bson.M{"_id": id}, &d); err != nil || d.Domain != domain {
		if err == nil || errs.Is(err, errs.NotFound) {
			return Document{}, errs.E(errs.NotFound, "No such document.")
		}
		return Document{}, err
	}
	return d, nil
}

// current reads a document someone is about to change and brings its
// recorded states to today first: a revision published for a day that has
// come is recorded effective and the one it replaces superseded (and
// locked), so every change starts from what is in effect, whether or not
// the daily sweep has run yet. The caller's save records the switch and
// audits it.
func (s *Service) current(ctx context.Context, domain, id string) (Document, error) {
	d, err := s.Get(ctx, domain, id)
	if err != nil {
		return Document{}, err
	}
	before := ""
	for _, r := range d.Revisions {
		if r.State == Effective {
			before = r.Label()
		}
	}
	d.Revisions = slices.Clone(d.Revisions)
	sup, err := s.materialise(ctx, &d, s.today())
	if err != nil {
		return Document{}, err
	}
	if eff, ok := d.EffectiveOn(s.today()); ok && eff.Label() != before {
		d.switched = append([]string{eff.Label()}, sup...)
	}
	return d, nil
}

// save writes every field of d under the version the change was based on
// and moves d to the next version. The document has no optional keys: the
// revisions array is $set whole, with fixed keys in every record (see
// store.Collection on the embedded engine's nested $set).
func (s *Service) save(ctx context.Context, d *Document, version int64) error {
	d.NextReview = d.nextReview(s.today())
	raw, err := bson.Marshal(d)
	if err != nil {
		return errs.Wrap(errs.Internal, err, "encode document")
	}
	var all bson.D
	if err := bson.Unmarshal(raw, &all); err != nil {
		return errs.Wrap(errs.Internal, err, "encode document")
	}
	set := bson.D{}
	for _, e := range all {
		if e.Key != "_id" && e.Key != "version" {
			set = append(set, e)
		}
	}
	if err := s.docs.UpdateVersion(ctx, d.ID, version, bson.M{"$set": set}); err != nil {
		if errs.Is(err, errs.Conflict) {
			return versionConflict{conflict()}
		}
		return err
	}
	d.Version = version + 1
	s.indexed(ctx, *d)
	if len(d.switched) == 0 {
		return nil
	}
	details := map[string]string{"revision": d.switched[0], "effective_from": s.today().Format(time.DateOnly)}
	if len(d.switched) > 1 {
		details["superseded"] = strings.Join(d.switched[1:], ",")
	}
	d.switched = nil
	return s.record(ctx, "document.take_effect", d.Domain, d.ID, details)
}

// versionConflict marks the conflict save returns, so steps that retry on
// a lost race (comments, signatures, the sweep) tell it from a refusal.
type versionConflict struct{ error }

func (v versionConflict) Unwrap() error { return v.error }

// retry applies step to the document as it is now, reading it again when
// another change raced it: for changes that do not depend on what the
// person saw (a comment, a signature bound to the file's SHA-256).
func (s *Service) retry(ctx context.Context, domain, id string, step func(d *Document) error) (Document, error) {
	for range 8 {
		d, err := s.current(ctx, domain, id)
		if err != nil {
			return Document{}, err
		}
		version := d.Version
		if err := step(&d); err != nil {
			return Document{}, err
		}
		err = s.save(ctx, &d, version)
		if lost := (versionConflict{}); errors.As(err, &lost) {
			continue
		}
		return d, err
	}
	return Document{}, conflict()
}
