package contract

import (
	"strings"
	"time"

	"dossier/internal/errs"
)

// Type is what kind of agreement a contract is.
type Type string

// Contract types.
const (
	MSA   Type = "msa"
	BAA   Type = "baa"
	DPA   Type = "dpa"
	NDA   Type = "nda"
	SOW   Type = "sow"
	SLA   Type = "sla"
	Other Type = "other"
)

// Types lists every type, in the order forms offer them.
func Types() []Type { return []Type{MSA, BAA, DPA, NDA, SOW, SLA, Other} }

// Label is the type in words.
func (t Type) Label() string {
	switch t {
	case MSA:
		return "Master services agreement (MSA)"
	case BAA:
		return "Business associate agreement (BAA)"
	case DPA:
		return "Data processing agreement (DPA)"
	case NDA:
		return "Non-disclosure agreement (NDA)"
	case SOW:
		return "Statement of work (SOW)"
	case SLA:
		return "Service level agreement (SLA)"
	case Other:
		return "Other agreement"
	}
	return string(t)
}

// Short is the type's abbreviation: "BAA"; "Other" for other.
func (t Type) Short() string {
	if t == Other {
		return "Other"
	}
	return strings.ToUpper(string(t))
}

func (t Type) valid() bool {
	for _, x := range Types() {
		if x == t {
			return true
		}
	}
	return false
}

// Status is where a contract stands.
type Status string

// Statuses. A contract is created as a draft, put in force by Activate,
// and ends expired (by the daily job, when its expiry passed without
// auto-renewal) or terminated (by Terminate).
const (
	Draft      Status = "draft"
	InForce    Status = "in_force"
	Expired    Status = "expired"
	Terminated Status = "terminated"
)

// Statuses lists every status, in lifecycle order.
func Statuses() []Status { return []Status{Draft, InForce, Expired, Terminated} }

// Label is the status in words.
func (s Status) Label() string {
	switch s {
	case Draft:
		return "Draft"
	case InForce:
		return "In force"
	case Expired:
		return "Expired"
	case Terminated:
		return "Terminated"
	}
	return string(s)
}

// Ended reports whether the contract is no longer in force for good.
func (s Status) Ended() bool { return s == Expired || s == Terminated }

// RetentionYears is how long after a contract was last in effect its files
// are kept: HIPAA 45 CFR 164.316(b)(2)(i), six years from creation or from
// when last in effect, whichever is later.
const RetentionYears = 6

// Contract is one agreement with one vendor, with its signed files.
type Contract struct {
	ID         string `bson:"_id" json:"id"`
	Domain     string `bson:"domain" json:"domain"`
	VendorID   string `bson:"vendor_id" json:"vendor_id"`
	VendorName string `bson:"vendor_name" json:"vendor_name"` // copied at save
	Type       Type   `bson:"type" json:"type"`
	Title      string `bson:"title" json:"title"`
	// CounterpartySignatory is who signed for the vendor.
	CounterpartySignatory string `bson:"signatory,omitempty" json:"counterparty_signatory"`
	// Effective and Expiry are dates (midnight UTC). The contract is in
	// effect from Effective through Expiry, both included. Expiry is zero
	// for an evergreen contract.
	Effective time.Time `bson:"effective,omitempty" json:"effective"`
	Expiry    time.Time `bson:"expiry,omitempty" json:"expiry"`
	Evergreen bool      `bson:"evergreen,omitempty" json:"evergreen"`
	// AutoRenewMonths is the renewal term: at expiry the contract renews
	// for this many months unless notice was given. 0: no auto-renewal.
	AutoRenewMonths int `bson:"auto_renew,omitempty" json:"auto_renew_months"`
	// NoticeDays is the notice needed before expiry to end the contract or
	// stop its renewal. 0: none.
	NoticeDays      int    `bson:"notice_days,omitempty" json:"notice_days"`
	Owner           string `bson:"owner,omitempty" json:"owner"` // user id of the internal owner
	Status          Status `bson:"status" json:"status"`
	RelatedServices string `bson:"services,omitempty" json:"related_services"`
	Notes           string `bson:"notes,omitempty" json:"notes"`
	// BAA is the 164.504(e) checklist; set for type baa only.
	BAA         *BAATerms     `bson:"baa,omitempty" json:"baa,omitempty"`
	Files       []FileVersion `bson:"files,omitempty" json:"files"`
	FileSeq     int           `bson:"file_seq,omitempty" json:"-"` // the last file version number given
	Hold        LegalHold     `bson:"hold,omitempty" json:"legal_hold"`
	Termination *Termination  `bson:"termination,omitempty" json:"termination,omitempty"`
	// LastInEffect is the last day the contract was in force, set when it
	// expires or is terminated; RetainUntil is six years after it.
	LastInEffect time.Time `bson:"last_in_effect,omitempty" json:"last_in_effect"`
	RetainUntil  time.Time `bson:"retain_until,omitempty" json:"retain_until"`
	// Disposed is set once the contract's files were disposed of; the
	// record stays as the trace of the disposition.
	Disposed  *Disposal `bson:"disposed,omitempty" json:"disposed,omitempty"`
	CreatedBy string    `bson:"created_by" json:"created_by"`
	CreatedAt time.Time `bson:"created_at" json:"created_at"`
	UpdatedAt time.Time `bson:"updated_at" json:"updated_at"`
	Version   int64     `bson:"version" json:"version"`
}

// FileVersion is one stored file of a contract: the signed copy (a PDF) or
// a working copy (a DOCX or an unsigned PDF). Versions are never rewritten.
type FileVersion struct {
	N           int       `bson:"n" json:"n"` // 1, 2, 3… in upload order
	Key         string    `bson:"key" json:"-"`
	VersionID   string    `bson:"version_id" json:"-"`
	SHA256      string    `bson:"sha256" json:"sha256"`
	Name        string    `bson:"name" json:"name"` // as uploaded; never a key
	ContentType string    `bson:"content_type" json:"content_type"`
	Size        int64     `bson:"size" json:"size"`
	Pages       int       `bson:"pages,omitempty" json:"pages,omitempty"`
	Encrypted   bool      `bson:"encrypted,omitempty" json:"encrypted,omitempty"`
	Signed      bool      `bson:"signed,omitempty" json:"signed"`
	UploadedBy  string    `bson:"uploaded_by" json:"uploaded_by"`
	UploadedAt  time.Time `bson:"uploaded_at" json:"uploaded_at"`
	// RetainUntil and RetentionMode are the object-lock retention set on
	// the stored version, as Dossier last set it.
	RetainUntil   time.Time `bson:"retain_until,omitempty" json:"retain_until"`
	RetentionMode string    `bson:"retention_mode,omitempty" json:"retention_mode,omitempty"`
}

// IsPDF reports whether the file is a PDF.
func (f FileVersion) IsPDF() bool { return f.ContentType == "application/pdf" }

// LegalHold is a hold placed on a contract and all its files, for
// litigation or an investigation: nothing is disposed of while it is on.
type LegalHold struct {
	On     bool      `bson:"on" json:"on"`
	By     string    `bson:"by" json:"by"`
	At     time.Time `bson:"at" json:"at"`
	Reason string    `bson:"reason" json:"reason"`
}

// IsZero reports whether no hold is recorded, so none is stored.
func (h LegalHold) IsZero() bool { return !h.On && h.By == "" && h.At.IsZero() && h.Reason == "" }

// Termination records how a contract was ended early.
type Termination struct {
	Date   time.Time `bson:"date" json:"date"` // the last day in force
	Reason string    `bson:"reason" json:"reason"`
	By     string    `bson:"by" json:"by"`
	At     time.Time `bson:"at" json:"at"`
}

// Disposal records that a contract's files were disposed of.
type Disposal struct {
	By     string    `bson:"by" json:"by"`
	At     time.Time `bson:"at" json:"at"`
	Reason string    `bson:"reason" json:"reason"`
	Files  int       `bson:"files" json:"files"` // how many file versions were deleted
}

// Day is t's date at midnight UTC: the form every contract date is kept in.
func Day(t time.Time) time.Time {
	if t.IsZero() {
		return time.Time{}
	}
	y, m, d := t.UTC().Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

// addMonths moves a date on by n months, keeping the day of the month or
// the month's last day when it is shorter (31 January + 1 month is
// 28 or 29 February, not 3 March).
func addMonths(t time.Time, n int) time.Time {
	y, m, d := t.Date()
	first := time.Date(y, m+time.Month(n), 1, 0, 0, 0, 0, time.UTC)
	last := first.AddDate(0, 1, -1).Day()
	return time.Date(first.Year(), first.Month(), min(d, last), 0, 0, 0, 0, time.UTC)
}

// addYears is addMonths by whole years (29 February + 6 years is 28 February).
func addYears(t time.Time, n int) time.Time { return addMonths(t, 12*n) }

// days counts the days from a to b (negative when b is before a).
func days(a, b time.Time) int { return int(Day(b).Sub(Day(a)).Hours() / 24) }

// NoticeDeadline is the last day notice can be given to end the contract
// at its expiry — for an auto-renewing contract, the last day to stop the
// renewal: Expiry − NoticeDays. It is zero for an evergreen contract, one
// without an expiry date, or one that needs no notice.
func (c Contract) NoticeDeadline() time.Time { return c.deadline(c.Expiry) }

func (c Contract) deadline(expiry time.Time) time.Time {
	if c.Evergreen || expiry.IsZero() || c.NoticeDays <= 0 {
		return time.Time{}
	}
	return expiry.AddDate(0, 0, -c.NoticeDays)
}

// ExpiryOn is the expiry date as it stands on the day of now: the stored
// expiry, or for an auto-renewing contract in force whose expiry passed
// before the daily job renewed it, the end of the renewal term now
// running. Zero for an evergreen contract.
func (c Contract) ExpiryOn(now time.Time) time.Time {
	today := Day(now)
	e := c.Expiry
	if c.Status != InForce || c.AutoRenewMonths <= 0 || e.IsZero() {
		return e
	}
	for today.After(e) {
		e = addMonths(e, c.AutoRenewMonths)
	}
	return e
}

// lapsed reports whether an in-force contract's expiry passed with no
// renewal to follow: the daily job will mark it expired.
func (c Contract) lapsed(today time.Time) bool {
	return c.Status == InForce && !c.Evergreen && c.AutoRenewMonths <= 0 && !c.Expiry.IsZero() && today.After(c.Expiry)
}

// InForce reports whether the contract binds on the day of now: in force,
// its effective date reached, and its expiry not passed (an auto-renewing
// contract renews instead).
func (c Contract) InForce(now time.Time) bool {
	today := Day(now)
	return c.Status == InForce && !c.Effective.After(today) && !c.lapsed(today)
}

// Window names.
const (
	WindowInForce    = "in_force"    // in force (signed; its effective date may be ahead)
	Window30         = "30"          // in force, expiring within 30 days
	Window60         = "60"          // … within 60 days (the 30 included)
	Window90         = "90"          // … within 90 days (the 30 and 60 included)
	WindowPastNotice = "past_notice" // in force, its notice deadline passed
	WindowExpired    = "expired"     // expired, or in force with its expiry passed and no renewal
	WindowDraft      = "draft"
	WindowTerminated = "terminated"
)

// Windows lists the windows, in the order the expiry page shows them.
func Windows() []string {
	return []string{WindowInForce, Window30, Window60, Window90, WindowPastNotice, WindowExpired, WindowDraft, WindowTerminated}
}

// WindowLabel is a window in words.
func WindowLabel(w string) string {
	switch w {
	case WindowInForce:
		return "In force"
	case Window30:
		return "Expiring within 30 days"
	case Window60:
		return "Expiring within 60 days"
	case Window90:
		return "Expiring within 90 days"
	case WindowPastNotice:
		return "Past notice deadline"
	case WindowExpired:
		return "Expired"
	case WindowDraft:
		return "Draft"
	case WindowTerminated:
		return "Terminated"
	}
	return w
}

// In reports whether the contract belongs to window w on the day of now.
// Windows overlap: a contract expiring in 20 days is in force, and within
// 30, 60 and 90 days, and past its notice deadline if that passed.
func (c Contract) In(w string, now time.Time) bool { return c.windows(Day(now)).has(w) }

// Window is the one window that best describes the contract on the day of
// now, the most urgent first: expired, past notice, 30, 60, 90, in force;
// draft and terminated otherwise.
func (c Contract) Window(now time.Time) string { return c.windows(Day(now)).first() }

// windowSet is the windows a contract is in, one bit each.
type windowSet uint8

// windowBit is a window's bit: its position in Windows().
func windowBit(w string) windowSet {
	switch w {
	case WindowInForce:
		return 1 << 0
	case Window30:
		return 1 << 1
	case Window60:
		return 1 << 2
	case Window90:
		return 1 << 3
	case WindowPastNotice:
		return 1 << 4
	case WindowExpired:
		return 1 << 5
	case WindowDraft:
		return 1 << 6
	case WindowTerminated:
		return 1 << 7
	}
	return 0
}

func (s windowSet) has(w string) bool { b := windowBit(w); return b != 0 && s&b != 0 }

func (s windowSet) first() string {
	for _, w := range []string{WindowExpired, WindowPastNotice, Window30, Window60, Window90, WindowInForce, WindowDraft, WindowTerminated} {
		if s.has(w) {
			return w
		}
	}
	return ""
}

// windows works out every window the contract is in on today (a date).
func (c Contract) windows(today time.Time) windowSet {
	var s windowSet
	switch c.Status {
	case Draft:
		return windowBit(WindowDraft)
	case Terminated:
		return windowBit(WindowTerminated)
	case Expired:
		return windowBit(WindowExpired)
	case InForce:
	default:
		return 0
	}
	if c.lapsed(today) {
		return windowBit(WindowExpired)
	}
	s = windowBit(WindowInForce)
	e := c.ExpiryOn(today)
	if c.Evergreen || e.IsZero() {
		return s
	}
	left := days(today, e)
	for _, n := range []struct {
		days int
		w    string
	}{{30, Window30}, {60, Window60}, {90, Window90}} {
		if left <= n.days {
			s |= windowBit(n.w)
		}
	}
	if d := c.deadline(e); !d.IsZero() && today.After(d) {
		s |= windowBit(WindowPastNotice)
	}
	return s
}

// File returns the file version numbered n.
func (c Contract) File(n int) (FileVersion, bool) {
	for _, f := range c.Files {
		if f.N == n {
			return f, true
		}
	}
	return FileVersion{}, false
}

// SignedCopy returns the newest signed PDF.
func (c Contract) SignedCopy() (FileVersion, bool) {
	for i := len(c.Files) - 1; i >= 0; i-- {
		if f := c.Files[i]; f.Signed && f.IsPDF() {
			return f, true
		}
	}
	return FileVersion{}, false
}

// MissingTerms lists the 164.504(e) terms a BAA lacks, in display order;
// nil for other types.
func (c Contract) MissingTerms() []BAATerm {
	if c.Type != BAA {
		return nil
	}
	var t BAATerms
	if c.BAA != nil {
		t = *c.BAA
	}
	return t.MissingTerms()
}

// Flagged reports whether the contract is a BAA missing a term HIPAA
// requires.
func (c Contract) Flagged() bool { return len(c.MissingTerms()) > 0 }

// DisposableFrom is the first day the contract's files may be disposed of:
// the later of RetainUntil and the retention set on each file. Zero while
// the contract has not ended.
func (c Contract) DisposableFrom() time.Time {
	if !c.Status.Ended() || c.RetainUntil.IsZero() {
		return time.Time{}
	}
	d := c.RetainUntil
	for _, f := range c.Files {
		if f.RetainUntil.After(d) {
			d = Day(f.RetainUntil)
		}
	}
	return d
}

// Disposable reports whether the contract's files may be disposed of on
// the day of now: it ended, its files are still here, it is not held, and
// its retention (DisposableFrom) has passed.
func (c Contract) Disposable(now time.Time) bool {
	from := c.DisposableFrom()
	return c.Disposed == nil && !c.Hold.On && !from.IsZero() && !Day(now).Before(from)
}

// Problem is one thing that stands in the way of a step, by the field it
// is about.
type Problem struct {
	Field, Message string
}

// ActivationNeeds lists what the contract lacks to be put in force, with
// the messages Activate refuses it with: a signed PDF among its files and
// what a contract in force must keep (inForceNeeds).
func (c Contract) ActivationNeeds() []Problem {
	var out []Problem
	if _, ok := c.SignedCopy(); !ok {
		out = append(out, Problem{"files", "Upload the signed copy as a PDF, marked signed, before putting the contract in force."})
	}
	return append(out, c.Fields().inForceNeeds()...)
}

// inForceNeeds lists what fields of a contract in force must hold: an
// effective date, an expiry date or evergreen, and an owner to remind.
func (f Fields) inForceNeeds() []Problem {
	var out []Problem
	if f.Effective.IsZero() {
		out = append(out, Problem{"effective", "Give the date the contract takes effect."})
	}
	if f.Expiry.IsZero() && !f.Evergreen {
		out = append(out, Problem{"expiry", "Give the expiry date, or mark the contract evergreen."})
	}
	if strings.TrimSpace(f.Owner) == "" {
		out = append(out, Problem{"owner", "Name the internal owner, who is reminded before the contract expires."})
	}
	return out
}

// Editable refuses a change to the contract's fields that its status does
// not allow: an ended contract is a record (a disposed one has ended too),
// and past the draft only someone who manages contracts (canManage) may
// change it.
func (c Contract) Editable(canManage bool) error {
	switch {
	case c.Status.Ended():
		return errs.E(errs.Conflict, "This contract is %s; it is kept as it ended and can no longer be changed.", strings.ToLower(c.Status.Label()))
	case !canManage && c.Status != Draft:
		return errs.E(errs.Forbidden, "This contract is in force: only someone who manages contracts can change it. You can edit drafts and upload their files.")
	}
	return nil
}
