package document

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"dossier/internal/audit"
	"dossier/internal/errs"
	"dossier/internal/text"
)

// Comment adds a reviewer's comment to a revision in draft or in review.
// It does not depend on what the reviewer saw, so a concurrent change is
// absorbed by reading the document again.
func (s *Service) Comment(ctx context.Context, domain, id string, n int, body string) (Document, error) {
	var chk checker
	body = chk.text("comment", "The comment", body, MaxComment, true)
	if err := chk.err(); err != nil {
		return Document{}, err
	}
	actor := audit.ActorFrom(ctx)
	var rl string
	d, err := s.retry(ctx, domain, id, func(d *Document) error {
		if d.Retired != nil {
			return errs.E(errs.Conflict, "Document %s is retired.", d.Number)
		}
		d.Revisions = slices.Clone(d.Revisions)
		r := d.rev(n)
		if r == nil {
			return noRevision(n)
		}
		if r.State != Draft && r.State != InReview {
			return errs.E(errs.Conflict, "Revision %s is %s; comments are made on drafts and revisions in review.", r.Label(), label(r.State))
		}
		r.Comments = append(slices.Clone(r.Comments), Comment{By: actor.ID, ByName: actor.Name, At: s.now(), Round: r.Round, Text: body})
		d.UpdatedAt, rl = s.now(), r.Label()
		return nil
	})
	if err != nil {
		return Document{}, err
	}
	return d, s.record(ctx, "document.comment", domain, id, map[string]string{"revision": rl, "comment": text.Shorten(body, 500)})
}

// SignInput is a signature: its meaning (Approve or Reject for a revision
// in review), the reason (required to reject), and the signer's
// re-authentication.
type SignInput struct {
	Meaning  Meaning `json:"meaning"`
	Reason   string  `json:"reason"`
	Password string  `json:"password"`
	Code     string  `json:"code"` // TOTP code when the signer has two-step sign-in
}

// Sign records an approver's signature on a revision in review. The
// signer re-authenticates; they must be eligible under the document's
// approval rule and must not be the revision's author. The signature binds
// their id and printed name, the time, the meaning and the SHA-256 of the
// revision's file. An approval that completes the rule makes the revision
// approved; a rejection returns it to draft with its comments (the reason
// becomes one), for the author to change and submit again.
func (s *Service) Sign(ctx context.Context, domain, id string, n int, in SignInput) (Document, Signature, error) {
	if in.Meaning != Approve && in.Meaning != Reject {
		return Document{}, Signature{}, errs.Field("meaning", "A revision in review is approved or rejected.")
	}
	var chk checker
	reason := chk.text("reason", "The reason", in.Reason, MaxReason, in.Meaning == Reject)
	if err := chk.err(); err != nil {
		return Document{}, Signature{}, err
	}
	d, err := s.Get(ctx, domain, id)
	if err != nil {
		return Document{}, Signature{}, err
	}
	r, ok := d.Revision(n)
	if !ok {
		return Document{}, Signature{}, noRevision(n)
	}
	if err := s.maySign(ctx, d, r); err != nil {
		return Document{}, Signature{}, err
	}
	name, err := s.reauth(ctx, in.Password, in.Code)
	if err != nil {
		return Document{}, Signature{}, err
	}
	return s.sign(ctx, d, r, in.Meaning, reason, name)
}

// sign records a signature by the actor, named name, on revision r as it
// was read (its round and file), reading the document again when another
// change raced it.
func (s *Service) sign(ctx context.Context, d Document, seen Revision, meaning Meaning, reason, name string) (Document, Signature, error) {
	actor := audit.ActorFrom(ctx)
	var sig Signature
	var completed bool
	d, err := s.retry(ctx, d.Domain, d.ID, func(d *Document) error {
		d.Revisions = slices.Clone(d.Revisions)
		r := d.rev(seen.N)
		if r == nil {
			return noRevision(seen.N)
		}
		if r.Round != seen.Round || r.File.SHA256 != seen.File.SHA256 {
			return errs.E(errs.Conflict, "Revision %s changed while you signed; read it again before signing.", r.Label())
		}
		if err := s.maySign(ctx, *d, *r); err != nil {
			return err
		}
		sig = Signature{SignerID: actor.ID, SignerName: name, At: s.now(), Meaning: meaning, Reason: reason, Round: r.Round, FileSHA256: r.File.SHA256}
		sig.Digest = signatureDigest(*d, *r, sig)
		r.Signatures = append(slices.Clone(r.Signatures), sig)
		r.UpdatedAt, d.UpdatedAt = sig.At, sig.At
		completed = false
		switch meaning {
		case Reject:
			r.State = Draft
			r.Comments = append(slices.Clone(r.Comments), Comment{By: actor.ID, ByName: name, At: sig.At, Round: r.Round, Text: "Rejected: " + reason})
		case Approve:
			if len(s.missing(*d, *r)) == 0 && r.State != Approved {
				r.State, r.ApprovedAt, completed = Approved, sig.At, true
			}
		}
		return nil
	})
	if err != nil {
		return Document{}, Signature{}, err
	}
	r, _ := d.Revision(seen.N)
	details := map[string]string{"revision": r.Label(), "meaning": string(meaning), "signer": name, "sha256": sig.FileSHA256, "digest": sig.Digest}
	if reason != "" {
		details["reason"] = text.Shorten(reason, 500)
	}
	if err := s.record(ctx, "document.sign", d.Domain, d.ID, details); err != nil {
		return d, sig, err
	}
	if completed {
		err = s.record(ctx, "document.approve", d.Domain, d.ID, map[string]string{"revision": r.Label(), "approvals": strconv.Itoa(len(r.Approvals()))})
	}
	return d, sig, err
}

// maySign checks the actor may sign revision r of d now: it is in review,
// they are an eligible approver, not its author, and have not signed this
// round.
func (s *Service) maySign(ctx context.Context, d Document, r Revision) error {
	actor := audit.ActorFrom(ctx)
	if d.Retired != nil {
		return errs.E(errs.Conflict, "Document %s is retired.", d.Number)
	}
	// An approved revision whose rule changed since (an approver added)
	// takes the approvals it now lacks before it is published.
	reopened := r.State == Approved && !r.Scheduled() && len(s.missing(d, r)) > 0
	if r.State != InReview && !reopened {
		return errs.E(errs.Conflict, "Revision %s is %s; only a revision in review is approved or rejected.", r.Label(), label(r.State))
	}
	if actor.ID == r.Author {
		return errs.E(errs.Forbidden, "You wrote revision %s, so you cannot approve or reject it: another approver must (segregation of duties).", r.Label())
	}
	if !s.eligible(actor.ID, d) {
		return errs.E(errs.Forbidden, "You are not an approver of %s: its approval rule names %s.", d.Number, describeRule(d.Approval))
	}
	for _, sg := range r.Signatures {
		if sg.Round == r.Round && sg.SignerID == actor.ID && sg.Meaning == Approve {
			return errs.E(errs.Conflict, "You already approved revision %s on %s.", r.Label(), sg.At.Format(time.DateOnly))
		}
	}
	return nil
}

// reauth re-authenticates the actor and returns their printed name.
func (s *Service) reauth(ctx context.Context, password, code string) (string, error) {
	if s.o.Reauth == nil {
		return "", errs.E(errs.Unavailable, "Signatures are not available.")
	}
	actor := audit.ActorFrom(ctx)
	if err := s.o.Reauth.Reauthenticate(ctx, actor.ID, password, code); err != nil {
		return "", err
	}
	u, err := s.o.Reauth.User(ctx, actor.ID)
	if err != nil {
		return "", err
	}
	name := u.Name
	if u.Email != "" {
		name += " <" + u.Email + ">"
	}
	return strings.TrimSpace(name), nil
}

// eligible reports whether user may approve d's revisions under its rule.
func (s *Service) eligible(user string, d Document) bool {
	if slices.Contains(d.Approval.Approvers, user) {
		return true
	}
	return len(s.sharedRoles(user, d)) > 0
}

func (s *Service) sharedRoles(user string, d Document) []string {
	if s.o.Roles == nil || len(d.Approval.Roles) == 0 {
		return nil
	}
	var out []string
	for _, r := range s.o.Roles.Roles(user, d.Domain) {
		if slices.Contains(d.Approval.Roles, r) {
			out = append(out, r)
		}
	}
	return out
}

// Missing lists, in words, the approvals revision n still needs under the
// document's rule; empty when the rule is met.
func (s *Service) Missing(d Document, n int) []string {
	r, ok := d.Revision(n)
	if !ok {
		return []string{"the revision"}
	}
	return s.missing(d, r)
}

func (s *Service) missing(d Document, r Revision) []string {
	var signers []string
	for _, sg := range r.Approvals() {
		if sg.SignerID != r.Author && s.eligible(sg.SignerID, d) {
			signers = append(signers, sg.SignerID)
		}
	}
	rule := d.Approval
	var out []string
	if rule.Required > 0 {
		if k := len(signers); k < rule.Required {
			out = append(out, fmt.Sprintf("%d more approval(s) of %d from %s (%d given)", rule.Required-k, rule.Required, describeRule(rule), k))
		}
		return out
	}
	for _, a := range rule.Approvers {
		if !slices.Contains(signers, a) {
			if a == r.Author {
				out = append(out, "approver "+a+" (the author, who cannot approve: change the rule)")
			} else {
				out = append(out, "approver "+a)
			}
		}
	}
	for _, role := range rule.Roles {
		found := false
		for _, sg := range signers {
			found = found || slices.Contains(s.sharedRoles(sg, Document{Domain: d.Domain, Approval: ApprovalRule{Roles: []string{role}}}), role)
		}
		if !found {
			out = append(out, "a holder of role "+role)
		}
	}
	return out
}

func describeRule(r ApprovalRule) string {
	var parts []string
	if len(r.Approvers) > 0 {
		parts = append(parts, "approvers "+strings.Join(r.Approvers, ", "))
	}
	if len(r.Roles) > 0 {
		parts = append(parts, "holders of "+strings.Join(r.Roles, ", "))
	}
	return strings.Join(parts, " and ")
}

// signatureDigest is the SHA-256 binding a signature to its document and
// revision: document id and number, revision number, signer id and name,
// time, meaning, reason, round and the file's SHA-256, in a fixed order,
// each field length-prefixed so no two inputs run together.
func signatureDigest(d Document, r Revision, sg Signature) string {
	h := sha256.New()
	for _, f := range []string{"dossier-document-signature-v1", d.ID, d.Number, strconv.Itoa(r.N), r.Label(),
		sg.SignerID, sg.SignerName, sg.At.UTC().Format(time.RFC3339Nano), string(sg.Meaning), sg.Reason,
		strconv.Itoa(sg.Round), sg.FileSHA256} {
		fmt.Fprintf(h, "%d:%s\n", len(f), f)
	}
	return hex.EncodeToString(h.Sum(nil))
}

// Verify checks a signature on revision r of d: its digest matches its
// fields, and the file it signed is the revision's file.
func Verify(d Document, r Revision, sg Signature) error {
	if sg.Digest != signatureDigest(d, r, sg) {
		return errs.E(errs.Conflict, "The signature of %s on revision %s does not match its record: it was altered.", sg.SignerName, r.Label())
	}
	if sg.FileSHA256 != r.File.SHA256 {
		return errs.E(errs.Conflict, "The signature of %s was made on other content than revision %s's file.", sg.SignerName, r.Label())
	}
	return nil
}
