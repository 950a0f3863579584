package assessment

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"strings"
	"time"

	"go.mongodb.org/mongo-driver/bson"
	"go.mongodb.org/mongo-driver/mongo/options"

	"dossier/internal/access"
	"dossier/internal/audit"
	"dossier/internal/errs"
	"dossier/internal/mail"
	"dossier/internal/questionnaire"
	"dossier/internal/supplier"
	"dossier/internal/text"
)

// SendInput is what a sender chooses.
type SendInput struct {
	VendorID     string    `json:"vendor_id"`
	Template     string    `json:"template"` // template id; the current version is sent
	Due          time.Time `json:"due"`
	ContactName  string    `json:"contact_name"`
	ContactEmail string    `json:"contact_email"`
	// Prefill copies the answers of the vendor's last submitted assessment
	// of the same questionnaire, for the vendor to confirm or change.
	Prefill bool `json:"prefill"`
}

// Invitation is a new assessment with its link. Token is shown once, to the
// sender; only its hash is stored.
type Invitation struct {
	Assessment Assessment
	Token      string
	URL        string
	Mailed     bool
	MailError  error // set when mail is on but sending failed
}

// linkDoc maps a link's hash to its assessment. The link's expiry and
// revocation live on the assessment (Assessment.Link), so one update
// changes them.
type linkDoc struct {
	Hash         string    `bson:"_id"`
	AssessmentID string    `bson:"assessment_id"`
	CreatedAt    time.Time `bson:"created_at"`
}

// Send creates an assessment for a vendor and its external link, and mails
// the link to the contact when mail is configured.
func (s *Service) Send(ctx context.Context, domain string, in SendInput) (Invitation, error) {
	v, err := s.o.Vendors.Get(ctx, domain, in.VendorID)
	if err != nil {
		return Invitation{}, err
	}
	fields := map[string]string{}
	in.ContactName = strings.TrimSpace(in.ContactName)
	in.ContactEmail = strings.TrimSpace(in.ContactEmail)
	t, terr := s.Template(ctx, in.Template)
	if in.Template == "" {
		fields["template"] = "Choose a questionnaire."
	} else if terr != nil || strings.Contains(in.Template, "@") {
		fields["template"] = "Choose one of the listed questionnaires."
	}
	today := s.now().Truncate(24 * time.Hour)
	switch {
	case in.Due.IsZero():
		fields["due"] = "Give the date the answers are due."
	case in.Due.Before(today):
		fields["due"] = "The due date is in the past."
	case in.Due.After(today.AddDate(1, 0, 0)):
		fields["due"] = "The due date is more than a year away."
	}
	if in.ContactName == "" {
		fields["contact_name"] = "Give the name of the person who will answer."
	} else if len(in.ContactName) > 200 {
		fields["contact_name"] = "The name is too long (200 characters at most)."
	}
	if !access.ValidEmail(in.ContactEmail) {
		fields["contact_email"] = "Give the contact's e-mail address, like name@vendor.com."
	}
	if len(fields) > 0 {
		return Invitation{}, errs.Fields(fields)
	}
	if v.Status == supplier.Terminated {
		return Invitation{}, errs.E(errs.Conflict, "%s is terminated; reopen it before sending a questionnaire.", v.LegalName)
	}
	mine, err := s.ForVendor(ctx, domain, v.ID)
	if err != nil {
		return Invitation{}, err
	}
	var last *Assessment
	for i := range mine {
		a := &mine[i]
		if a.TemplateID != t.ID {
			continue
		}
		if a.State != Decided && a.State != Cancelled {
			return Invitation{}, errs.E(errs.Conflict, "%s already has an open %q assessment (sent %s). Finish or cancel it first.",
				v.LegalName, a.TemplateTitle, a.CreatedAt.Format("2 Jan 2006"))
		}
		if last == nil && !a.SubmittedAt.IsZero() {
			last = a // ForVendor lists newest first
		}
	}
	now := s.now()
	actor := audit.ActorFrom(ctx)
	a := Assessment{
		ID: newID(), Domain: domain, VendorID: v.ID, VendorName: v.LegalName,
		Template: t.Key(), TemplateID: t.ID, TemplateTitle: t.Title,
		Contact: Contact{Name: in.ContactName, Email: in.ContactEmail},
		Due:     in.Due.UTC().Truncate(24 * time.Hour), State: Sent,
		Answers: map[string]Answer{}, Reviews: map[string]AnswerReview{},
		CreatedBy: actor.ID, CreatedByName: actor.Name, CreatedAt: now, UpdatedAt: now, Version: 1,
	}
	var carried []any // evidence carried over with prefilled answers
	if in.Prefill && last != nil {
		a.PrefilledFrom = last.ID
		files, err := s.evidenceByQuestion(ctx, last.ID)
		if err != nil {
			return Invitation{}, err
		}
		for _, q := range t.Questions() {
			old, ok := last.Answers[q.ID]
			if !ok || len(old.Values) == 0 {
				continue
			}
			var copies []any
			renamed := map[string]string{} // old evidence id → its copy's
			for _, e := range files[q.ID] {
				if e.Expires != nil && e.Expires.Before(now) {
					continue // expired evidence is asked for afresh
				}
				copied := e
				copied.ID, copied.AssessmentID, copied.Version = newID(), a.ID, 1
				renamed[e.ID] = copied.ID
				copies = append(copies, copied)
			}
			values := old.Values
			if q.Type == questionnaire.File {
				values = nil
				for _, id := range old.Values {
					if to := renamed[id]; to != "" {
						values = append(values, to)
					}
				}
			}
			vals, err := q.Normalize(values)
			if err != nil || len(vals) == 0 {
				continue // the question changed: the vendor answers afresh
			}
			a.Answers[q.ID] = Answer{Values: vals, Comment: old.Comment, SavedAt: now, Prefilled: true}
			carried = append(carried, copies...)
		}
	}
	token, hash := newToken()
	a.Link = Link{Hash: hash, CreatedAt: now, Expires: now.Add(s.o.LinkTTL)}
	if err := s.links.Insert(ctx, linkDoc{Hash: hash, AssessmentID: a.ID, CreatedAt: now}); err != nil {
		return Invitation{}, err
	}
	// Evidence first: a crash between the two leaves unreferenced copies,
	// never answers pointing at files that are not there.
	if len(carried) > 0 {
		if err := s.evidence.InsertMany(ctx, carried); err != nil {
			return Invitation{}, err
		}
	}
	if err := s.assessments.Insert(ctx, a); err != nil {
		return Invitation{}, err
	}
	out := Invitation{Assessment: a, Token: token, URL: s.linkURL(token)}
	if s.o.Mailer.Enabled() {
		out.MailError = s.mailLink(ctx, a, out.URL)
		out.Mailed = out.MailError == nil
		if out.MailError != nil {
			s.o.Log.Warn("questionnaire link not mailed", "assessment", a.ID, "err", out.MailError)
		}
	}
	details := map[string]string{"vendor": v.ID, "template": a.Template, "contact": a.Contact.Email,
		"due": a.Due.Format(time.DateOnly), "mailed": fmt.Sprint(out.Mailed)}
	if a.PrefilledFrom != "" {
		details["prefilled_from"] = a.PrefilledFrom
	}
	return out, s.record(ctx, "assessment.send", "assessment", domain, a.ID, details)
}

func newToken() (token, hash string) {
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	token = base64.RawURLEncoding.EncodeToString(b)
	return token, hashToken(token)
}

func hashToken(token string) string {
	h := sha256.Sum256([]byte(token))
	return hex.EncodeToString(h[:])
}

func (s *Service) linkURL(token string) string {
	return strings.TrimSuffix(s.o.PublicURL, "/") + "/q/" + token
}

func (s *Service) mailLink(ctx context.Context, a Assessment, url string) error {
	hospital := s.o.Hospital
	body := fmt.Sprintf(`Hello %s,

%s asks %s to complete the security questionnaire "%s" by %s.

Open it here; no account is needed:
%s

You can save your answers and come back through the same link at any time
until %s. The link is for this questionnaire only: please do not forward it
outside your team.

If you did not expect this message, reply to %s at %s.
`, a.Contact.Name, hospital, a.VendorName, a.TemplateTitle, a.Due.Format("2 January 2006"), url,
		a.Link.Expires.Format("2 January 2006"), a.CreatedByName, hospital)
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	return s.o.Mailer.Send(ctx, mail.Message{
		To:      []string{a.Contact.Email},
		Subject: fmt.Sprintf("Security questionnaire from %s: %s", hospital, a.TemplateTitle),
		Text:    body,
	})
}

// Get returns one assessment of a domain.
func (s *Service) Get(ctx context.Context, domain, id string) (Assessment, error) {
	var a Assessment
	if err := s.assessments.Get(ctx, bson.M{"_id": id}, &a); err != nil {
		if errs.Is(err, errs.NotFound) {
			return a, errs.E(errs.NotFound, "No such assessment.")
		}
		return a, err
	}
	if a.Domain != domain {
		return Assessment{}, errs.E(errs.NotFound, "No such assessment.")
	}
	return a, nil
}

// Filter narrows List.
type Filter struct {
	VendorID string
	State    State
	Template string // template id
}

// List returns a domain's assessments, newest first, without their answers.
func (s *Service) List(ctx context.Context, domain string, f Filter) ([]Assessment, error) {
	q := bson.M{"domain": domain}
	if f.VendorID != "" {
		q["vendor_id"] = f.VendorID
	}
	if f.State != "" {
		q["state"] = f.State
	}
	if f.Template != "" {
		q["template_id"] = f.Template
	}
	var out []Assessment
	err := s.assessments.Find(ctx, q, &out, options.Find().
		SetSort(bson.D{{Key: "created_at", Value: -1}, {Key: "_id", Value: -1}}).
		SetProjection(bson.M{"answers": 0, "reviews": 0}))
	return out, err
}

// ForVendor returns a vendor's assessments, newest first, with answers.
func (s *Service) ForVendor(ctx context.Context, domain, vendorID string) ([]Assessment, error) {
	var out []Assessment
	err := s.assessments.Find(ctx, bson.M{"domain": domain, "vendor_id": vendorID}, &out,
		options.Find().SetSort(bson.D{{Key: "created_at", Value: -1}, {Key: "_id", Value: -1}}))
	return out, err
}

// ReissueLink revokes the current link and makes a new one, valid for the
// usual period; the new token is returned once (and mailed when mail is on).
func (s *Service) ReissueLink(ctx context.Context, domain, id string, version int64) (Invitation, error) {
	a, err := s.Get(ctx, domain, id)
	if err != nil {
		return Invitation{}, err
	}
	if a.State == Cancelled || a.State == Decided {
		return Invitation{}, errs.E(errs.Conflict, "This assessment is %s; it needs no link.", strings.ToLower(a.State.Label()))
	}
	now := s.now()
	token, hash := newToken()
	if err := s.links.Insert(ctx, linkDoc{Hash: hash, AssessmentID: a.ID, CreatedAt: now}); err != nil {
		return Invitation{}, err
	}
	link := Link{Hash: hash, CreatedAt: now, Expires: now.Add(s.o.LinkTTL)}
	if err := s.assessments.UpdateVersion(ctx, a.ID, version, bson.M{"$set": bson.M{"link": link, "updated_at": now}}); err != nil {
		return Invitation{}, err
	}
	a.Link, a.Version, a.UpdatedAt = link, a.Version+1, now
	out := Invitation{Assessment: a, Token: token, URL: s.linkURL(token)}
	if s.o.Mailer.Enabled() {
		out.MailError = s.mailLink(ctx, a, out.URL)
		out.Mailed = out.MailError == nil
	}
	return out, s.record(ctx, "assessment.link_reissue", "assessment", domain, a.ID,
		map[string]string{"expires": link.Expires.Format(time.RFC3339), "mailed": fmt.Sprint(out.Mailed)})
}

// ExtendLink moves the link's expiry to until (at most a year ahead).
func (s *Service) ExtendLink(ctx context.Context, domain, id string, version int64, until time.Time) (Assessment, error) {
	a, err := s.Get(ctx, domain, id)
	if err != nil {
		return a, err
	}
	now := s.now()
	switch {
	case a.Link.Revoked:
		return a, errs.E(errs.Conflict, "The link was revoked; issue a new one instead.")
	case !until.After(now):
		return a, errs.Field("until", "Choose a date in the future.")
	case until.After(now.AddDate(1, 0, 0)):
		return a, errs.Field("until", "A link can stay valid for a year at most.")
	}
	until = until.UTC()
	if err := s.assessments.UpdateVersion(ctx, a.ID, version, bson.M{"$set": bson.M{"link.expires": until, "updated_at": now}}); err != nil {
		return a, err
	}
	a.Link.Expires, a.Version, a.UpdatedAt = until, a.Version+1, now
	return a, s.record(ctx, "assessment.link_extend", "assessment", domain, a.ID, map[string]string{"expires": until.Format(time.RFC3339)})
}

// RevokeLink stops the current link from opening the questionnaire.
func (s *Service) RevokeLink(ctx context.Context, domain, id string, version int64) (Assessment, error) {
	a, err := s.Get(ctx, domain, id)
	if err != nil {
		return a, err
	}
	now := s.now()
	if err := s.assessments.UpdateVersion(ctx, a.ID, version, bson.M{"$set": bson.M{"link.revoked": true, "updated_at": now}}); err != nil {
		return a, err
	}
	a.Link.Revoked, a.Version, a.UpdatedAt = true, a.Version+1, now
	return a, s.record(ctx, "assessment.link_revoke", "assessment", domain, a.ID, nil)
}

// Cancel withdraws an assessment that has no decision yet; its link stops
// working.
func (s *Service) Cancel(ctx context.Context, domain, id string, version int64, reason string) (Assessment, error) {
	a, err := s.Get(ctx, domain, id)
	if err != nil {
		return a, err
	}
	if !a.State.Open() {
		// Submitted answers end with a decision (reject, if need be):
		// cancelling them would hide the review from the onboarding check.
		return a, errs.E(errs.Conflict, "This assessment is %s; only one still waiting for the vendor can be cancelled. Record a decision instead.", strings.ToLower(a.State.Label()))
	}
	reason = text.Clip(strings.TrimSpace(reason), 2000)
	if reason == "" {
		return a, errs.Field("reason", "Say why the assessment is cancelled.")
	}
	now := s.now()
	if err := s.assessments.UpdateVersion(ctx, a.ID, version, bson.M{"$set": bson.M{
		"state": Cancelled, "link.revoked": true, "cancel_reason": reason, "updated_at": now}}); err != nil {
		return a, err
	}
	a.State, a.Link.Revoked, a.CancelReason, a.Version, a.UpdatedAt = Cancelled, true, reason, a.Version+1, now
	return a, s.record(ctx, "assessment.cancel", "assessment", domain, a.ID, map[string]string{"reason": reason})
}

// MailOn reports whether links are mailed to vendors.
func (s *Service) MailOn() bool { return s.o.Mailer.Enabled() }
