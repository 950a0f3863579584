package document

import (
	"context"
	"slices"

	"dossier/internal/audit"
	"dossier/internal/errs"
)

// ReviewInput is the signature of a periodic review that found nothing to
// change.
type ReviewInput struct {
	Revision int    `json:"revision"` // the effective revision's N, as shown to the signer
	SHA256   string `json:"sha256"`   // its file's SHA-256, as shown
	Reason   string `json:"reason"`   // optional note
	Password string `json:"password"`
	Code     string `json:"code"`
}

// ReviewedNoChange records a periodic review that leaves the document as
// it is: a signature (meaning reviewed_no_change) on the effective revision
// by a re-authenticated eligible approver who is not its author. It resets
// the next review date to ReviewMonths from today, without a new revision.
func (s *Service) ReviewedNoChange(ctx context.Context, domain, id string, in ReviewInput) (Document, Signature, error) {
	var chk checker
	reason := chk.text("reason", "The note", in.Reason, MaxReason, false)
	seen := seenFile(&chk, in.SHA256)
	if in.Revision < 1 {
		chk.add("revision", "Say which revision you reviewed (the document's page shows it).")
	}
	if err := chk.err(); err != nil {
		return Document{}, Signature{}, err
	}
	d, err := s.Get(ctx, domain, id)
	if err != nil {
		return Document{}, Signature{}, err
	}
	if err := s.mayReview(ctx, d, in.Revision, seen); err != nil {
		return Document{}, Signature{}, err
	}
	name, err := s.reauth(ctx, in.Password, in.Code)
	if err != nil {
		return Document{}, Signature{}, err
	}
	actor := audit.ActorFrom(ctx)
	var sig Signature
	var rl string
	d, err = s.retry(ctx, domain, id, func(d *Document) error {
		if err := s.mayReview(ctx, *d, in.Revision, seen); err != nil {
			return err
		}
		eff, _ := d.EffectiveOn(s.today())
		d.Revisions = slices.Clone(d.Revisions)
		r := d.rev(eff.N)
		sig = Signature{Domain: d.Domain, Number: d.Number, SignerID: actor.ID, SignerName: name, At: s.now(), Meaning: ReviewedNoChange,
			Reason: reason, Round: r.Round, FileSHA256: r.File.SHA256}
		sig.Digest = signatureDigest(d.ID, *r, sig)
		r.Signatures = append(slices.Clone(r.Signatures), sig)
		d.LastReviewed, d.UpdatedAt, rl = s.today(), sig.At, r.Label()
		return nil
	})
	if err != nil {
		return Document{}, Signature{}, err
	}
	return d, sig, s.record(ctx, "document.review_no_change", domain, id, map[string]string{
		"revision": rl, "signer": name, "digest": sig.Digest, "next_review": dateOr(d.NextReview, "")})
}

// CanReview tells whether the actor may sign a periodic review of d's
// effective revision now; the error says why not.
func (s *Service) CanReview(ctx context.Context, d Document) error {
	eff, ok := d.EffectiveOn(s.today())
	if !ok {
		return errs.E(errs.Conflict, "Document %s has no revision in effect to review.", d.Number)
	}
	return s.mayReview(ctx, d, eff.N, eff.File.SHA256)
}

// mayReview checks the actor may sign a periodic review of d now, having
// been shown revision n with the file seen.
func (s *Service) mayReview(ctx context.Context, d Document, n int, seen string) error {
	actor := audit.ActorFrom(ctx)
	eff, ok := d.EffectiveOn(s.today())
	switch {
	case d.Retired != nil:
		return errs.E(errs.Conflict, "Document %s is retired.", d.Number)
	case !ok:
		return errs.E(errs.Conflict, "Document %s has no revision in effect to review.", d.Number)
	case eff.N != n || eff.File.SHA256 != seen:
		return errs.E(errs.Conflict, "Revision %s is in effect now, not the one you reviewed; read it before signing.", eff.Label())
	case actor.ID == eff.Author:
		return errs.E(errs.Forbidden, "You wrote revision %s, so another approver must sign its review (segregation of duties).", eff.Label())
	case !s.eligible(actor.ID, d.Domain, d.Approval):
		return errs.E(errs.Forbidden, "You are not an approver of %s: its approval rule names %s.", d.Number, describeRule(d.Approval))
	}
	return nil
}

// DueSoon lists the documents whose next review falls within days from
// today (today included; 0: 30), soonest first, from the register index.
func (s *Service) DueSoon(ctx context.Context, domain string, days int) ([]Row, error) {
	return s.reviewList(ctx, domain, Query{ReviewDue: DueSoonFilter, DueWithin: days})
}

// Overdue lists the documents whose next review date has passed, most
// overdue first, from the register index.
func (s *Service) Overdue(ctx context.Context, domain string) ([]Row, error) {
	return s.reviewList(ctx, domain, Query{ReviewDue: OverdueFilter})
}

func (s *Service) reviewList(ctx context.Context, domain string, q Query) ([]Row, error) {
	q.Sort = "next_review"
	q, err := checkQuery(q)
	if err != nil {
		return nil, err
	}
	items, _, err := s.items(ctx, domain, q)
	if err != nil {
		return nil, err
	}
	sortItems(items, q.Sort)
	out := make([]Row, 0, len(items))
	for _, it := range items {
		out = append(out, it.row)
	}
	return out, nil
}
