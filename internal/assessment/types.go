package assessment

import (
	"time"

	"dossier/internal/questionnaire"
)

// State is where an assessment stands.
type State string

// States, in the order an assessment usually moves through them.
const (
	Sent             State = "sent"              // link issued, nothing answered yet
	InProgress       State = "in_progress"       // the vendor has saved answers
	Submitted        State = "submitted"         // the vendor submitted; answers are read-only
	UnderReview      State = "under_review"      // a reviewer has accepted answers or raised findings
	AwaitingApproval State = "awaiting_approval" // a high or critical risk acceptance waits for a signature
	Decided          State = "decided"           // outcome recorded
	Cancelled        State = "cancelled"         // withdrawn before a decision
)

// States lists every state, for filters.
func States() []State {
	return []State{Sent, InProgress, Submitted, UnderReview, AwaitingApproval, Decided, Cancelled}
}

// Label is the state in words.
func (s State) Label() string {
	switch s {
	case Sent:
		return "Sent"
	case InProgress:
		return "In progress"
	case Submitted:
		return "Submitted"
	case UnderReview:
		return "Under review"
	case AwaitingApproval:
		return "Awaiting approval"
	case Decided:
		return "Decided"
	case Cancelled:
		return "Cancelled"
	}
	return string(s)
}

// Open reports whether the vendor may still change answers.
func (s State) Open() bool { return s == Sent || s == InProgress }

// Reviewable reports whether a reviewer may accept answers, raise findings
// and decide.
func (s State) Reviewable() bool { return s == Submitted || s == UnderReview }

// Outcomes of a decision.
const (
	Accept               = "accept"
	AcceptWithConditions = "accept_with_conditions"
	Reject               = "reject"
)

// OutcomeLabel is an outcome in words.
func OutcomeLabel(o string) string {
	switch o {
	case Accept:
		return "Accepted"
	case AcceptWithConditions:
		return "Accepted with conditions"
	case Reject:
		return "Rejected"
	}
	return o
}

// Levels are the residual risk levels, least to worst.
func Levels() []string { return []string{"low", "medium", "high", "critical"} }

func levelRank(l string) int {
	for i, x := range Levels() {
		if x == l {
			return i
		}
	}
	return -1
}

// Assessment is one questionnaire sent to one vendor.
type Assessment struct {
	ID         string `bson:"_id" json:"id"`
	Domain     string `bson:"domain" json:"domain"`
	VendorID   string `bson:"vendor_id" json:"vendor_id"`
	VendorName string `bson:"vendor_name" json:"vendor_name"`
	// Template is id@version: the exact questionnaire the vendor was asked.
	Template      string    `bson:"template" json:"template"`
	TemplateID    string    `bson:"template_id" json:"template_id"`
	TemplateTitle string    `bson:"template_title" json:"template_title"`
	Contact       Contact   `bson:"contact" json:"contact"`
	Due           time.Time `bson:"due" json:"due"`
	State         State     `bson:"state" json:"state"`
	// Answers and Reviews are keyed by question id.
	Answers map[string]Answer       `bson:"answers" json:"answers"`
	Reviews map[string]AnswerReview `bson:"reviews,omitempty" json:"reviews"`
	// PrefilledFrom is the assessment whose answers were copied in.
	PrefilledFrom string    `bson:"prefilled_from,omitempty" json:"prefilled_from,omitempty"`
	Link          Link      `bson:"link" json:"link"`
	Score         *int      `bson:"score,omitempty" json:"score"` // set at submission and kept current through review
	Flags         FlagCount `bson:"flags" json:"flags"`
	Returned      string    `bson:"returned,omitempty" json:"returned,omitempty"`           // the reviewer's note when sent back to the vendor
	CancelReason  string    `bson:"cancel_reason,omitempty" json:"cancel_reason,omitempty"` // internal: why it was cancelled
	Proposed      *Decision `bson:"proposed,omitempty" json:"proposed,omitempty"`           // awaiting an approver's signature
	Decision      *Decision `bson:"decision,omitempty" json:"decision,omitempty"`
	CreatedBy     string    `bson:"created_by" json:"created_by"`
	CreatedByName string    `bson:"created_by_name" json:"created_by_name"`
	CreatedAt     time.Time `bson:"created_at" json:"created_at"`
	SubmittedAt   time.Time `bson:"submitted_at,omitempty" json:"submitted_at"`
	UpdatedAt     time.Time `bson:"updated_at" json:"updated_at"`
	Version       int64     `bson:"version" json:"version"`
}

// Contact is the person at the vendor who answers.
type Contact struct {
	Name  string `bson:"name" json:"name"`
	Email string `bson:"email" json:"email"`
}

// Answer is one question's answer.
type Answer struct {
	Values  []string  `bson:"values" json:"values"`
	Comment string    `bson:"comment,omitempty" json:"comment,omitempty"`
	SavedAt time.Time `bson:"saved_at" json:"saved_at"`
	// Prefilled answers were copied from the last assessment and wait for
	// the vendor to confirm or change them.
	Prefilled bool `bson:"prefilled,omitempty" json:"prefilled,omitempty"`
}

// AnswerReview is a reviewer's acceptance of one answer.
type AnswerReview struct {
	By     string    `bson:"by" json:"by"`
	ByName string    `bson:"by_name" json:"by_name"`
	At     time.Time `bson:"at" json:"at"`
}

// Link describes the assessment's current external link; its token is
// never stored, only the hash (which is the link document's _id).
type Link struct {
	Hash      string    `bson:"hash" json:"-"`
	CreatedAt time.Time `bson:"created_at" json:"created_at"`
	Expires   time.Time `bson:"expires" json:"expires"`
	Revoked   bool      `bson:"revoked,omitempty" json:"revoked"`
}

// Active reports whether the link still opens the questionnaire.
func (l Link) Active(now time.Time) bool {
	return l.Hash != "" && !l.Revoked && now.Before(l.Expires)
}

// FlagCount counts flagged answers by severity.
type FlagCount struct {
	Critical int `bson:"critical" json:"critical"`
	High     int `bson:"high" json:"high"`
	Medium   int `bson:"medium" json:"medium"`
	Low      int `bson:"low" json:"low"`
}

// Decision is the reviewer's conclusion on the residual risk.
type Decision struct {
	Outcome   string     `bson:"outcome" json:"outcome"`
	Residual  string     `bson:"residual" json:"residual"`
	Reason    string     `bson:"reason" json:"reason"`
	By        string     `bson:"by" json:"by"`
	ByName    string     `bson:"by_name" json:"by_name"`
	At        time.Time  `bson:"at" json:"at"`
	Signature *Signature `bson:"signature,omitempty" json:"signature,omitempty"`
}

// NeedsSignature reports whether this decision accepts a risk so high that
// an approver must sign it.
func (d Decision) NeedsSignature() bool {
	return d.Outcome != Reject && levelRank(d.Residual) >= levelRank("high")
}

// Signature is an approver's re-authenticated sign-off, bound to the
// answers and decision it approved by their SHA-256.
type Signature struct {
	SignerID   string    `bson:"signer_id" json:"signer_id"`
	SignerName string    `bson:"signer_name" json:"signer_name"`
	Meaning    string    `bson:"meaning" json:"meaning"`
	At         time.Time `bson:"at" json:"at"`
	SHA256     string    `bson:"sha256" json:"sha256"`
}

// Values returns the answers as the questionnaire package reads them.
// Prefilled answers not yet confirmed count as given.
func (a Assessment) Values() questionnaire.Answers {
	out := questionnaire.Answers{}
	for q, ans := range a.Answers {
		if len(ans.Values) > 0 {
			out[q] = ans.Values
		}
	}
	return out
}

// Finding states.
const (
	FindingOpen      = "open"
	FindingResponded = "responded"
	FindingClosed    = "closed"
)

// Finding is a weakness the reviewer asks the vendor to remedy.
type Finding struct {
	ID           string     `bson:"_id" json:"id"`
	Domain       string     `bson:"domain" json:"domain"`
	AssessmentID string     `bson:"assessment_id" json:"assessment_id"`
	VendorID     string     `bson:"vendor_id" json:"vendor_id"`
	Question     string     `bson:"question,omitempty" json:"question,omitempty"`
	Title        string     `bson:"title" json:"title"`
	Severity     string     `bson:"severity" json:"severity"`
	Remediation  string     `bson:"remediation" json:"remediation"`
	Due          time.Time  `bson:"due" json:"due"`
	State        string     `bson:"state" json:"state"`
	Responses    []Response `bson:"responses,omitempty" json:"responses"`
	RaisedBy     string     `bson:"raised_by" json:"raised_by"`
	RaisedByName string     `bson:"raised_by_name" json:"raised_by_name"`
	RaisedAt     time.Time  `bson:"raised_at" json:"raised_at"`
	ClosedBy     string     `bson:"closed_by,omitempty" json:"closed_by,omitempty"`
	ClosedByName string     `bson:"closed_by_name,omitempty" json:"closed_by_name,omitempty"`
	ClosedAt     time.Time  `bson:"closed_at,omitempty" json:"closed_at"`
	CloseNote    string     `bson:"close_note,omitempty" json:"close_note,omitempty"`
	Version      int64      `bson:"version" json:"version"`
}

// Overdue reports whether an open finding is past its due date.
func (f Finding) Overdue(now time.Time) bool {
	return f.State != FindingClosed && !f.Due.IsZero() && now.After(f.Due.Add(24*time.Hour))
}

// Response is one message on a finding, from the vendor or a reviewer.
type Response struct {
	Vendor bool      `bson:"vendor" json:"vendor"`
	By     string    `bson:"by" json:"by"`
	Text   string    `bson:"text" json:"text"`
	At     time.Time `bson:"at" json:"at"`
}
