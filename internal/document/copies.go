package document

import (
	"context"
	"time"

	"go.mongodb.org/mongo-driver/bson"
	"go.mongodb.org/mongo-driver/mongo/options"

	"dossier/internal/audit"
	"dossier/internal/errs"
	"dossier/internal/store"
)

// Copy records one controlled copy issued: who, when, which revision. The
// stamping is another package's; the original file is never rewritten.
type Copy struct {
	ID       string    `bson:"_id" json:"id"`
	Domain   string    `bson:"domain" json:"domain"`
	DocID    string    `bson:"doc_id" json:"doc_id"`
	Number   string    `bson:"number" json:"number"`
	N        int       `bson:"n" json:"n"`
	Revision string    `bson:"revision" json:"revision"`
	SHA256   string    `bson:"sha256" json:"sha256"` // of the original
	User     string    `bson:"user" json:"user"`
	By       string    `bson:"by" json:"by"` // who issued it (the actor)
	At       time.Time `bson:"at" json:"at"`
}

// IssueCopy records that a controlled copy of revision n, which must be
// in effect today, is issued to user.
func (s *Service) IssueCopy(ctx context.Context, domain, docID string, n int, user string) (Copy, error) {
	if user == "" || len(user) > maxID {
		return Copy{}, errs.Field("user", "No such user.")
	}
	d, err := s.Get(ctx, domain, docID)
	if err != nil {
		return Copy{}, err
	}
	r, ok := d.Revision(n)
	if !ok {
		return Copy{}, noRevision(n)
	}
	if eff, ok := d.EffectiveOn(s.today()); !ok || eff.N != n {
		return Copy{}, errs.E(errs.Conflict, "Revision %s of %s is not in effect; controlled copies are issued of the effective revision only.", r.Label(), d.Number)
	}
	c := Copy{ID: newID(), Domain: domain, DocID: docID, Number: d.Number, N: n, Revision: r.Label(), SHA256: r.File.SHA256,
		User: user, By: audit.ActorFrom(ctx).ID, At: s.now()}
	if err := s.copies.Insert(ctx, c); err != nil {
		return Copy{}, err
	}
	return c, s.record(ctx, "document.copy_issue", domain, docID, map[string]string{"revision": c.Revision, "user": user, "copy": c.ID})
}

// Copies lists the controlled copies issued of a document, oldest first.
func (s *Service) Copies(ctx context.Context, domain, docID string) ([]Copy, error) {
	out := []Copy{}
	err := store.Each(ctx, s.copies, bson.M{"domain": domain, "doc_id": docID}, func(c Copy) error {
		out = append(out, c)
		return nil
	}, options.Find().SetSort(bson.D{{Key: "at", Value: 1}, {Key: "_id", Value: 1}}))
	return out, err
}
