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

	"go.mongodb.org/mongo-driver/bson"
	"go.mongodb.org/mongo-driver/mongo/options"

	"dossier/internal/audit"
	"dossier/internal/errs"
	"dossier/internal/store"
	"dossier/internal/text"
)

// Comment adds a reviewer's comment to a revision in draft or in review.
// A comment is a record of its own: it does not change the document, so
// nobody editing it has to start again.
func (s *Service) Comment(ctx context.Context, domain, id string, n int, body string) (Comment, error) {
	var chk checker
	body = chk.text("comment", "The comment", body, MaxComment, true)
	if err := chk.err(); err != nil {
		return Comment{}, err
	}
	d, err := s.Get(ctx, domain, id)
	if err != nil {
		return Comment{}, err
	}
	r, ok := d.Revision(n)
	switch {
	case d.Retired != nil:
		return Comment{}, errs.E(errs.Conflict, "Document %s is retired.", d.Number)
	case !ok:
		return Comment{}, noRevision(n)
	case r.State != Draft && r.State != InReview:
		return Comment{}, errs.E(errs.Conflict, "Revision %s is %s; comments are made on drafts and revisions in review.", r.Label(), label(r.State))
	}
	actor := audit.ActorFrom(ctx)
	c := Comment{ID: newID(), Domain: domain, DocID: id, Revision: n, Round: r.Round, Kind: KindComment,
		By: actor.ID, ByName: actor.Name, At: s.now(), Text: body}
	if err := s.comments.Insert(ctx, c); err != nil {
		return Comment{}, err
	}
	return c, s.record(ctx, "document.comment", domain, id, map[string]string{"revision": r.Label(), "comment": text.Shorten(body, 500)})
}

// Comments lists a document's comments and rejection reasons, oldest first.
func (s *Service) Comments(ctx context.Context, domain, id string) ([]Comment, error) {
	out := []Comment{}
	err := store.Each(ctx, s.comments, bson.M{"domain": domain, "doc_id": id}, func(c Comment) error {
		out = append(out, c)
		return nil
	}, options.Find().SetSort(bson.D{{Key: "at", Value: 1}, {Key: "_id", Value: 1}}))
	return out, err
}

// SignInput is a signature: its meaning (Approve or Reject for a revision
// in review), the reason (required to reject), what the signer was shown —
// the file's SHA-256 and the review round — and their re-authentication.
type SignInput struct {
	Meaning  Meaning `json:"meaning"`
	Reason   string  `json:"reason"`
	SHA256   string  `json:"sha256"` // of the revision's file, as shown to the signer
	Round    int     `json:"round"`  // the review round shown to the signer
	Password string  `json:"password"`
	Code     string  `json:"code"` // TOTP code when the signer has two-step sign-in
}

// Sign records an approver's signature on a revision in review. The
// signer re-authenticates; they must be eligible under the revision's
// rule (the document's rule when it was submitted), must not be its
// author, and must have been shown the file and round still under review.
// The signature binds their id and printed name, the time, the meaning,
// the slot of the rule it fills, the document's number and the SHA-256 of
// the revision's file. An approval that completes the rule makes the
// revision approved; a rejection returns it to draft, its reason recorded
// as a comment, for the author to change and submit again.
func (s *Service) Sign(ctx context.Context, domain, id string, n int, in SignInput) (Document, Signature, error) {
	var chk checker
	if in.Meaning != Approve && in.Meaning != Reject {
		chk.add("meaning", "A revision in review is approved or rejected.")
	}
	reason := chk.text("reason", "The reason", in.Reason, MaxReason, in.Meaning == Reject)
	seen := seenFile(&chk, in.SHA256)
	d, err := s.Get(ctx, domain, id)
	if err != nil {
		return Document{}, Signature{}, err
	}
	r, ok := d.Revision(n)
	if !ok {
		return Document{}, Signature{}, noRevision(n)
	}
	if in.Round < 1 && r.State == InReview {
		chk.add("round", "Say which review round you read (the revision's page shows it).")
	}
	if err := chk.err(); err != nil {
		return Document{}, Signature{}, err
	}
	if _, err := s.maySign(ctx, d, r, Reject); err != nil {
		return Document{}, Signature{}, err // not in review, not an approver, the author
	}
	if r.File.SHA256 != seen || r.Round != in.Round {
		return Document{}, Signature{}, changedSince(r)
	}
	if _, err := s.maySign(ctx, d, r, in.Meaning); err != nil {
		return Document{}, Signature{}, err
	}
	name, err := s.reauth(ctx, in.Password, in.Code)
	if err != nil {
		return Document{}, Signature{}, err
	}
	return s.sign(ctx, d, r, in.Meaning, reason, name)
}

// seenFile checks the SHA-256 a signer says they were shown.
func seenFile(chk *checker, sum string) string {
	sum = strings.ToLower(strings.TrimSpace(sum))
	if b, err := hex.DecodeString(sum); err != nil || len(b) != sha256.Size {
		chk.add("sha256", "Say which file you read: its SHA-256, 64 hexadecimal digits (the revision's page shows it).")
	}
	return sum
}

func changedSince(r Revision) error {
	return errs.E(errs.Conflict, "Revision %s changed since you opened it (its file or review round is not the one you read); read it again before signing.", r.Label())
}

// CanSign tells whether the actor may approve or reject revision n of d
// now; the error says why not.
func (s *Service) CanSign(ctx context.Context, d Document, n int) error {
	r, ok := d.Revision(n)
	if !ok {
		return noRevision(n)
	}
	_, err := s.maySign(ctx, d, r, Approve)
	return err
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
			return changedSince(*r)
		}
		slot, err := s.maySign(ctx, *d, *r, meaning)
		if err != nil {
			return err
		}
		sig = Signature{Domain: d.Domain, Number: d.Number, Slot: slot, SignerID: actor.ID, SignerName: name, At: s.now(),
			Meaning: meaning, Reason: reason, Round: r.Round, FileSHA256: r.File.SHA256}
		sig.Digest = signatureDigest(d.ID, *r, sig)
		r.Signatures = append(slices.Clone(r.Signatures), sig)
		r.UpdatedAt, d.UpdatedAt = sig.At, sig.At
		completed = false
		switch meaning {
		case Reject:
			r.State = Draft
		case Approve:
			if len(s.missing(d.Domain, *r)) == 0 {
				r.State, r.ApprovedAt, completed = Approved, sig.At, true
			}
		}
		return nil
	})
	if err != nil {
		return Document{}, Signature{}, err
	}
	r, _ := d.Revision(seen.N)
	details := map[string]string{"revision": r.Label(), "meaning": string(meaning), "signer": name, "slot": sig.Slot, "sha256": sig.FileSHA256, "digest": sig.Digest}
	if reason != "" {
		details["reason"] = text.Shorten(reason, 500)
	}
	if err := s.record(ctx, "document.sign", d.Domain, d.ID, details); err != nil {
		return d, sig, err
	}
	if meaning == Reject {
		c := Comment{ID: newID(), Domain: d.Domain, DocID: d.ID, Revision: r.N, Round: r.Round, Kind: KindRejection,
			By: actor.ID, ByName: name, At: sig.At, Text: reason}
		if err := s.comments.Insert(ctx, c); err != nil {
			return d, sig, err
		}
	}
	if completed {
		err = s.record(ctx, "document.approve", d.Domain, d.ID, map[string]string{"revision": r.Label(), "approvals": strconv.Itoa(len(r.Approvals()))})
	}
	return d, sig, err
}

// maySign checks the actor may sign revision r of d now with meaning: it
// is in review, they are eligible under its rule, not its author, and —
// to approve — a slot of the rule is left for them. It returns that slot
// ("" to reject).
func (s *Service) maySign(ctx context.Context, d Document, r Revision, meaning Meaning) (string, error) {
	actor := audit.ActorFrom(ctx)
	switch {
	case d.Retired != nil:
		return "", errs.E(errs.Conflict, "Document %s is retired.", d.Number)
	case r.State != InReview:
		return "", errs.E(errs.Conflict, "Revision %s is %s; only a revision in review is approved or rejected.", r.Label(), label(r.State))
	case actor.ID == r.Author:
		return "", errs.E(errs.Forbidden, "You wrote revision %s, so you cannot approve or reject it: another approver must (segregation of duties).", r.Label())
	case len(s.slotsFor(actor.ID, d.Domain, r.Rule)) == 0:
		return "", errs.E(errs.Forbidden, "You are not an approver of revision %s of %s: its approval rule names %s.", r.Label(), d.Number, describeRule(r.Rule))
	}
	for _, sg := range r.Approvals() {
		if sg.SignerID == actor.ID {
			return "", errs.E(errs.Conflict, "You already approved revision %s on %s.", r.Label(), sg.At.Format(time.DateOnly))
		}
	}
	if meaning != Approve {
		return "", nil
	}
	slot := s.openSlot(actor.ID, d.Domain, r)
	if slot == "" {
		return "", errs.E(errs.Conflict, "Revision %s needs no more approvals from you: it still needs %s.", r.Label(), strings.Join(s.missing(d.Domain, r), "; "))
	}
	return slot, nil
}

// reauth re-authenticates the actor and returns their printed name.
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

// eligible reports whether user may approve under rule in domain.
func (s *Service) eligible(user, domain string, rule ApprovalRule) bool {
	return len(s.slotsFor(user, domain, rule)) > 0
}

// Slots.
const (
	slotAny      = "any"
	slotApprover = "approver:"
	slotRole     = "role:"
)

// slotsFor lists the slots of rule user may fill: in N-of-M mode "any";
// otherwise their own named-approver slot first, then the slot of each of
// the rule's roles they hold.
func (s *Service) slotsFor(user, domain string, rule ApprovalRule) []string {
	var own []string
	if slices.Contains(rule.Approvers, user) {
		own = append(own, slotApprover+user)
	}
	if s.o.Roles != nil && len(rule.Roles) > 0 {
		for _, role := range rule.Roles {
			if slices.Contains(s.o.Roles.Roles(user, domain), role) {
				own = append(own, slotRole+role)
			}
		}
	}
	if rule.Required > 0 && len(own) > 0 {
		return []string{slotAny}
	}
	return own
}

// openSlot is the first slot of r's rule that user may fill and nobody
// has filled in this round; "" when none is left for them.
func (s *Service) openSlot(user, domain string, r Revision) string {
	filled := map[string]bool{}
	for _, sg := range r.Approvals() {
		filled[sg.Slot] = true
	}
	for _, slot := range s.slotsFor(user, domain, r.Rule) {
		if slot == slotAny && len(r.Approvals()) < r.Rule.Required || slot != slotAny && !filled[slot] {
			return slot
		}
	}
	return ""
}

// MissingError says a revision cannot be published yet: the approvals its
// rule still needs, in words. It is a conflict.
type MissingError struct {
	Revision string   // "2.0"
	Missing  []string // "approver Dana Reyes", "a holder of role approver"
}

func (e *MissingError) Error() string { return e.Unwrap().Error() }

// Unwrap gives the errs.Error the HTTP layer maps and shows.
func (e *MissingError) Unwrap() error {
	return errs.E(errs.Conflict, "Revision %s cannot be published: it still needs %s.", e.Revision, strings.Join(e.Missing, "; "))
}

// Items are the approvals missing, for an error response to list.
func (e *MissingError) Items() []string { return e.Missing }

// Missing lists, in words, the approvals revision n still needs under its
// rule; empty when the rule is met. A draft never submitted is measured
// against the document's rule as it stands.
func (s *Service) Missing(d Document, n int) []string {
	r, ok := d.Revision(n)
	if !ok {
		return []string{"the revision"}
	}
	if r.Round == 0 {
		r.Rule = d.Approval
	}
	return s.missing(d.Domain, r)
}

// missing counts each slot of r's rule once, filled by the approvals of
// the current round on its current file, each signer once.
func (s *Service) missing(domain string, r Revision) []string {
	rule := r.Rule
	filled := map[string]bool{}
	n := 0
	for _, sg := range r.Approvals() {
		switch {
		case sg.SignerID == r.Author:
		case sg.Slot == slotAny:
			n++
		default:
			filled[sg.Slot] = true
		}
	}
	var out []string
	if rule.Required > 0 {
		if n < rule.Required {
			out = append(out, fmt.Sprintf("%d more approval(s) of %d from %s (%d given)", rule.Required-n, rule.Required, describeRule(rule), n))
		}
		return out
	}
	for _, a := range rule.Approvers {
		switch {
		case filled[slotApprover+a]:
		case a == r.Author:
			out = append(out, "approver "+s.name(a)+" (the author, who cannot approve: change the rule and submit again)")
		default:
			out = append(out, "approver "+s.name(a))
		}
	}
	for _, role := range rule.Roles {
		if !filled[slotRole+role] {
			out = append(out, "a holder of role "+role)
		}
	}
	return out
}

// name is a user's printed name when a directory is configured, else
// their id.
func (s *Service) name(user string) string {
	if s.o.Reauth != nil {
		if u, err := s.o.Reauth.User(context.Background(), user); err == nil && u.Name != "" {
			return u.Name
		}
	}
	return user
}

func describeRule(r ApprovalRule) string {
	var parts []string
	if len(r.Approvers) > 0 {
		parts = append(parts, "approvers "+strings.Join(r.Approvers, ", "))
	}
	if len(r.Roles) > 0 {
		parts = append(parts, "holders of "+strings.Join(r.Roles, ", "))
	}
	if len(parts) == 0 {
		return "nobody"
	}
	return strings.Join(parts, " and ")
}

// signatureDigest is the SHA-256 binding a signature to its document and
// revision: the document's id, and its domain and number as recorded on
// the signature, revision number and label, slot, signer id and name,
// time, meaning, reason, round and the file's SHA-256, in a fixed order,
// each field length-prefixed so no two inputs run together. A document
// renumbered since keeps its signatures valid.
func signatureDigest(docID string, r Revision, sg Signature) string {
	h := sha256.New()
	for _, f := range []string{"dossier-document-signature-v2", sg.Domain, docID, sg.Number, strconv.Itoa(r.N), r.Label(), sg.Slot,
		sg.SignerID, sg.SignerName, sg.At.UTC().Format(time.RFC3339Nano), string(sg.Meaning), sg.Reason,
		strconv.Itoa(sg.Round), sg.FileSHA256} {
		fmt.Fprintf(h, "%d:%s\n", len(f), f)
	}
	return hex.EncodeToString(h.Sum(nil))
}

// Verify checks a signature on revision r of d: its digest matches its
// fields, and the file it signed is the revision's file, or — for a
// rejection, or a signature before the file was replaced — one of its
// prior files.
func Verify(d Document, r Revision, sg Signature) error {
	if sg.Domain != d.Domain || sg.Digest != signatureDigest(d.ID, r, sg) {
		return errs.E(errs.Conflict, "The signature of %s on revision %s does not match its record: it was altered.", sg.SignerName, r.Label())
	}
	if sg.FileSHA256 == r.File.SHA256 {
		return nil
	}
	for _, f := range r.PriorFiles {
		if f.SHA256 == sg.FileSHA256 {
			return nil
		}
	}
	return errs.E(errs.Conflict, "The signature of %s was made on a file revision %s no longer has.", sg.SignerName, r.Label())
}
