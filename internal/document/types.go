package document

import (
	"fmt"
	"slices"
	"time"
)

// Type is what kind of controlled document a document is.
type Type string

// Document types. An external document (a standard, a vendor's manual, a
// law) is controlled by its source and version.
const (
	Policy    Type = "policy"
	Procedure Type = "procedure"
	Standard  Type = "standard"
	Guideline Type = "guideline"
	Form      Type = "form"
	Record    Type = "record"
	External  Type = "external"
)

// Types lists every type, in the order forms offer them.
func Types() []Type { return []Type{Policy, Procedure, Standard, Guideline, Form, Record, External} }

// Classification is how sensitive a document is.
type Classification string

// Classifications, least sensitive first.
const (
	Public       Classification = "public"
	Internal     Classification = "internal"
	Confidential Classification = "confidential"
	Restricted   Classification = "restricted"
)

// Classifications lists every classification, least sensitive first.
func Classifications() []Classification {
	return []Classification{Public, Internal, Confidential, Restricted}
}

// State is where a revision stands.
type State string

// Revision states: draft → in_review → approved → effective → superseded
// or retired. A rejected revision returns to draft. An approved revision
// published for a future date stays approved, with EffectiveFrom set,
// until that day (EffectiveOn tells what is in effect on a day; Sweep
// records the switch).
const (
	Draft      State = "draft"
	InReview   State = "in_review"
	Approved   State = "approved"
	Effective  State = "effective"
	Superseded State = "superseded"
	Retired    State = "retired"
)

// States lists every state, in lifecycle order.
func States() []State { return []State{Draft, InReview, Approved, Effective, Superseded, Retired} }

// Meaning is what a signature means.
type Meaning string

// Signature meanings (21 CFR 11.50: the meaning is shown with the record).
const (
	Approve          Meaning = "approve"
	Reject           Meaning = "reject"
	ReviewedNoChange Meaning = "reviewed_no_change"
)

// Format is the source of a revision.
type Format string

// Revision formats: an uploaded PDF, or Markdown written in Dossier. Both
// are stored as a file in S3 with its SHA-256.
const (
	PDF      Format = "pdf"
	Markdown Format = "markdown"
)

// ApprovalRule says who approves a document's revisions: the named
// approvers and holders of the roles; Required 0 means every named
// approver and one holder of each role, N means any N distinct eligible
// approvers.
type ApprovalRule struct {
	Approvers []string `bson:"approvers" json:"approvers"` // user ids
	Roles     []string `bson:"roles" json:"roles"`
	Required  int      `bson:"required" json:"required"`
}

// Audiences are who must read and acknowledge a document's effective
// revision: holders of the roles and the users named.
type Audiences struct {
	Roles []string `bson:"roles" json:"roles"`
	Users []string `bson:"users" json:"users"`
}

// Comment kinds.
const (
	KindComment   = "comment"   // a reviewer's remark
	KindRejection = "rejection" // an approver's reason for rejecting
)

// Comment is a reviewer's remark on a revision, or an approver's reason
// for rejecting it. Comments are records of their own (document_comments),
// added without touching the document, so a review never makes someone
// editing the document start again.
type Comment struct {
	ID       string    `bson:"_id" json:"id"`
	Domain   string    `bson:"domain" json:"-"`
	DocID    string    `bson:"doc_id" json:"doc_id"`
	Revision int       `bson:"revision" json:"revision"` // the revision's N
	Round    int       `bson:"round" json:"round"`       // the review round it was made in
	Kind     string    `bson:"kind" json:"kind"`         // KindComment or KindRejection
	By       string    `bson:"by" json:"by"`
	ByName   string    `bson:"by_name" json:"by_name"`
	At       time.Time `bson:"at" json:"at"`
	Text     string    `bson:"text" json:"text"`
}

// Signature is an electronic signature on a revision: who (id and printed
// name), when, what it means, and the SHA-256 of the file signed, bound
// together with the document's number and domain as they were at signing
// by Digest (see Verify). An approval fills one slot of the revision's
// rule.
type Signature struct {
	Domain     string    `bson:"domain" json:"-"`
	Number     string    `bson:"number" json:"number"` // the document's number when signed
	Slot       string    `bson:"slot" json:"slot"`     // approvals: "approver:<id>", "role:<name>" or "any"
	SignerID   string    `bson:"signer_id" json:"signer_id"`
	SignerName string    `bson:"signer_name" json:"signer_name"`
	At         time.Time `bson:"at" json:"at"`
	Meaning    Meaning   `bson:"meaning" json:"meaning"`
	Reason     string    `bson:"reason" json:"reason"`
	Round      int       `bson:"round" json:"round"`
	FileSHA256 string    `bson:"file_sha256" json:"file_sha256"`
	Digest     string    `bson:"digest" json:"digest"`
}

// File is a revision's stored source.
type File struct {
	Key         string    `bson:"key" json:"-"`
	VersionID   string    `bson:"version_id" json:"version_id"`
	SHA256      string    `bson:"sha256" json:"sha256"`
	Size        int64     `bson:"size" json:"size"`
	ContentType string    `bson:"content_type" json:"content_type"`
	Pages       int       `bson:"pages" json:"pages"` // PDFs
	Name        string    `bson:"name" json:"name"`
	RetainUntil time.Time `bson:"retain_until" json:"retain_until"`
	Mode        string    `bson:"mode" json:"mode"` // retention mode
}

// Disposal records the deletion of a revision's file after its retention.
type Disposal struct {
	By     string    `bson:"by" json:"by"`
	ByName string    `bson:"by_name" json:"by_name"`
	At     time.Time `bson:"at" json:"at"`
	Reason string    `bson:"reason" json:"reason"`
}

// Revision is one revision of a document. Its content (File) is fixed once
// it is submitted for review; its state, comments and signatures change
// with the document.
type Revision struct {
	N             int          `bson:"n" json:"n"` // 1, 2, 3… in creation order
	Major         int          `bson:"major" json:"major"`
	Minor         int          `bson:"minor" json:"minor"`
	State         State        `bson:"state" json:"state"`
	Format        Format       `bson:"format" json:"format"`
	File          File         `bson:"file" json:"file"`
	ChangeSummary string       `bson:"change_summary" json:"change_summary"`
	Author        string       `bson:"author" json:"author"`
	AuthorName    string       `bson:"author_name" json:"author_name"`
	CreatedAt     time.Time    `bson:"created_at" json:"created_at"`
	UpdatedAt     time.Time    `bson:"updated_at" json:"updated_at"`
	Round         int          `bson:"round" json:"round"` // review rounds started; signatures count in the current one
	SubmittedAt   time.Time    `bson:"submitted_at" json:"submitted_at"`
	ApprovedAt    time.Time    `bson:"approved_at" json:"approved_at"`
	EffectiveFrom time.Time    `bson:"effective_from" json:"effective_from"` // set when published (a day)
	PublishedBy   string       `bson:"published_by" json:"published_by"`
	LastInEffect  time.Time    `bson:"last_in_effect" json:"last_in_effect"` // superseded or retired: its last day in effect
	RetiredOn     time.Time    `bson:"retired_on" json:"retired_on"`         // retired: the day
	Rule          ApprovalRule `bson:"rule" json:"rule"`                     // the document's rule when submitted; it decides this revision's approval
	Signatures    []Signature  `bson:"signatures" json:"signatures"`
	PriorFiles    []File       `bson:"prior_files" json:"prior_files"` // files replaced after someone signed them, kept with their signatures
	Disposed      *Disposal    `bson:"disposed" json:"disposed"`
}

// Label is the revision number: "2.1".
func (r Revision) Label() string { return fmt.Sprintf("%d.%d", r.Major, r.Minor) }

// Scheduled reports whether the revision is approved and published for a
// day not yet recorded as reached.
func (r Revision) Scheduled() bool { return r.State == Approved && !r.EffectiveFrom.IsZero() }

// Approvals are the signatures approving the revision in its current round.
func (r Revision) Approvals() []Signature {
	var out []Signature
	for _, sg := range r.Signatures {
		if sg.Round == r.Round && sg.Meaning == Approve && sg.FileSHA256 == r.File.SHA256 {
			out = append(out, sg)
		}
	}
	return out
}

// Retirement records that a document was retired.
type Retirement struct {
	By     string    `bson:"by" json:"by"`
	At     time.Time `bson:"at" json:"at"`
	On     time.Time `bson:"on" json:"on"`
	Reason string    `bson:"reason" json:"reason"`
}

// Document is one controlled document with its revisions.
type Document struct {
	ID              string         `bson:"_id" json:"id"`
	Domain          string         `bson:"domain" json:"domain"`
	Number          string         `bson:"number" json:"number"` // upper case, unique in the domain
	Title           string         `bson:"title" json:"title"`
	Type            Type           `bson:"type" json:"type"`
	Source          string         `bson:"source" json:"source"`                     // external documents
	ExternalVersion string         `bson:"external_version" json:"external_version"` // external documents
	Owner           string         `bson:"owner" json:"owner"`
	Classification  Classification `bson:"classification" json:"classification"`
	Clauses         []string       `bson:"clauses" json:"clauses"`   // ISO 27001:2022 clauses: "7.5.3"
	Controls        []string       `bson:"controls" json:"controls"` // Annex A: "A.5.1"
	ReviewMonths    int            `bson:"review_months" json:"review_months"`
	Approval        ApprovalRule   `bson:"approval" json:"approval"`
	Audiences       Audiences      `bson:"audiences" json:"audiences"`
	Revisions       []Revision     `bson:"revisions" json:"revisions"`
	LastReviewed    time.Time      `bson:"last_reviewed" json:"last_reviewed"` // "reviewed, no change"
	NextReview      time.Time      `bson:"next_review" json:"next_review"`     // as of the last save; see NextReviewOn
	Retired         *Retirement    `bson:"retired" json:"retired"`
	CreatedBy       string         `bson:"created_by" json:"created_by"`
	CreatedAt       time.Time      `bson:"created_at" json:"created_at"`
	UpdatedAt       time.Time      `bson:"updated_at" json:"updated_at"`
	Version         int64          `bson:"version" json:"version"`

	// switched is the switch current recorded and save audits: the
	// revision that took effect, then those it superseded.
	switched []string
}

// Revision returns revision n.
func (d Document) Revision(n int) (Revision, bool) {
	for _, r := range d.Revisions {
		if r.N == n {
			return r, true
		}
	}
	return Revision{}, false
}

func (d *Document) rev(n int) *Revision {
	for i := range d.Revisions {
		if d.Revisions[i].N == n {
			return &d.Revisions[i]
		}
	}
	return nil
}

// Latest is the revision with the highest number, the base of the next.
func (d Document) Latest() (Revision, bool) {
	var best Revision
	found := false
	for _, r := range d.Revisions {
		if !found || r.Major > best.Major || r.Major == best.Major && r.Minor > best.Minor {
			best, found = r, true
		}
	}
	return best, found
}

// EffectiveOn is the revision in effect on day: of the revisions published
// for that day or before and neither retired by then nor superseded before
// it, the one published for the latest day (the higher number on a tie).
// There is one, or none before the first takes effect or once the
// document is retired — whether or not Sweep has yet recorded the switch.
func (d Document) EffectiveOn(day time.Time) (Revision, bool) {
	day = Day(day)
	if d.Retired != nil && !d.Retired.On.After(day) {
		return Revision{}, false
	}
	var best Revision
	found := false
	for _, r := range d.Revisions {
		switch {
		case r.EffectiveFrom.IsZero() || r.EffectiveFrom.After(day):
			continue
		case r.State == Retired && !r.RetiredOn.After(day):
			continue
		case r.State == Superseded && r.LastInEffect.Before(day):
			continue
		}
		if !found || r.EffectiveFrom.After(best.EffectiveFrom) || r.EffectiveFrom.Equal(best.EffectiveFrom) && r.N > best.N {
			best, found = r, true
		}
	}
	return best, found
}

// Visible lists the revisions a viewer sees on day: everything when they
// may do more than view (revise, review, approve, publish, audit); only
// the effective revision otherwise — none for a retired document.
func (d Document) Visible(day time.Time, viewOnly bool) []Revision {
	if !viewOnly {
		return slices.Clone(d.Revisions)
	}
	if r, ok := d.EffectiveOn(day); ok {
		return []Revision{r}
	}
	return nil
}

// NextReviewOn is the date the document is next due for review, as of
// day: ReviewMonths after the later of its effective revision's effective
// date and its last "reviewed, no change"; zero when nothing is in effect.
func (d Document) NextReviewOn(day time.Time) time.Time { return d.nextReview(day) }

func (d Document) nextReview(day time.Time) time.Time {
	r, ok := d.EffectiveOn(day)
	if !ok {
		return time.Time{}
	}
	base := r.EffectiveFrom
	if d.LastReviewed.After(base) {
		base = d.LastReviewed
	}
	return addMonths(base, d.ReviewMonths)
}

// Day is t's date at midnight UTC; zero stays zero.
func Day(t time.Time) time.Time {
	if t.IsZero() {
		return time.Time{}
	}
	y, m, d := t.UTC().Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

// addMonths moves a date on by n months, keeping the day of the month or
// the month's last day when it is shorter.
func addMonths(t time.Time, n int) time.Time {
	y, m, d := t.Date()
	first := time.Date(y, m+time.Month(n), 1, 0, 0, 0, 0, time.UTC)
	last := first.AddDate(0, 1, -1).Day()
	return time.Date(first.Year(), first.Month(), min(d, last), 0, 0, 0, 0, time.UTC)
}

func dateOr(t time.Time, none string) string {
	if t.IsZero() {
		return none
	}
	return t.Format(time.DateOnly)
}
