package contract

import (
	"context"
	"fmt"
	"strings"
	"time"
)

// Reminder kinds.
const (
	RemindExpiry = "expiry" // before and on the expiry date
	RemindNotice = "notice" // before the notice deadline
)

// Thresholds are the days before a date reminders go out, largest first.
func Thresholds() []int { return []int{90, 60, 30, 7} }

// expiredGrace is how many days after expiry the "expired" reminder stays
// due, so a job that missed the day still sends it.
const expiredGrace = 7

// Reminder is one reminder due to a contract's owner. Key identifies it
// for good — contract, kind, threshold and the date it is about — so the
// sender sends each once, however many days it stays due and however many
// instances run; a moved expiry date makes new keys and fresh reminders.
type Reminder struct {
	Key        string    `json:"key"` // "contract:<id>:<kind>:<days>d:<date>", a notify.Delivery key
	ContractID string    `json:"contract_id"`
	Domain     string    `json:"domain"`
	Kind       string    `json:"kind"` // RemindExpiry or RemindNotice
	Days       int       `json:"days"` // the threshold: 90, 60, 30, 7; 0 for "on expiry"
	Date       time.Time `json:"date"` // the expiry date or notice deadline it is about
	To         string    `json:"to"`   // user id of the contract's owner
	Subject    string    `json:"subject"`
	Body       string    `json:"body"` // plain text
	Link       string    `json:"link"` // the contract's page, a path in Dossier
}

// Due lists the reminders due for c on the day of today, at most one per
// kind. The reminder for a threshold of N days before a date is due from
// N days before it until the next threshold's day, so a job that missed a
// day catches up and a contract put in force late gets the reminder for
// where it stands, never the ones already behind it: before the expiry
// date at 90, 60, 30 and 7 days, on it (and for a week after, while the
// contract is not yet marked expired or just was); before the notice
// deadline at 90, 60, 30 and 7 days, through the deadline itself. Drafts,
// ended contracts (but for the week after expiry) and evergreen contracts
// get none; nor do contracts without an owner.
func Due(c Contract, today time.Time) []Reminder {
	today = Day(today)
	if c.Owner == "" || c.Evergreen || c.Disposed != nil || (c.Status != InForce && c.Status != Expired) {
		return nil
	}
	expiry := c.ExpiryOn(today)
	if expiry.IsZero() {
		return nil
	}
	var out []Reminder
	if c.Status == InForce {
		if d := c.deadline(expiry); !d.IsZero() {
			if n, ok := threshold(today, d, true); ok {
				out = append(out, reminder(c, RemindNotice, n, d, expiry, today))
			}
		}
	}
	left := days(today, expiry)
	switch {
	case left > 0:
		if n, ok := threshold(today, expiry, false); ok && c.Status == InForce {
			out = append(out, reminder(c, RemindExpiry, n, expiry, expiry, today))
		}
	case left > -expiredGrace:
		out = append(out, reminder(c, RemindExpiry, 0, expiry, expiry, today))
	}
	return out
}

// threshold finds the threshold whose window holds today, for a date.
// Windows run from N days before to the next threshold's day; the last
// (7) runs up to the day before the date, or through it when through is
// set (a notice deadline is the last day to act).
func threshold(today, date time.Time, through bool) (int, bool) {
	left := days(today, date)
	ts := Thresholds()
	for i, n := range ts {
		next := 0
		if i+1 < len(ts) {
			next = ts[i+1]
		}
		if left <= n && (left > next || (next == 0 && through && left == 0)) {
			return n, true
		}
	}
	return 0, false
}

func reminder(c Contract, kind string, n int, date, expiry, today time.Time) Reminder {
	r := Reminder{
		Key:        fmt.Sprintf("contract:%s:%s:%dd:%s", c.ID, kind, n, date.Format(time.DateOnly)),
		ContractID: c.ID, Domain: c.Domain, Kind: kind, Days: n, Date: date, To: c.Owner,
		Link: "/contracts/" + c.ID,
	}
	left := days(today, date)
	when := fmt.Sprintf("in %d days", left)
	switch {
	case left == 1:
		when = "tomorrow"
	case left == 0:
		when = "today"
	case left < 0:
		when = fmt.Sprintf("%d days ago", -left)
	}
	name := fmt.Sprintf("%s (%s, %s)", c.Title, c.Type.Short(), c.VendorName)
	noticeDue := c.deadline(expiry)
	tooLate := !noticeDue.IsZero() && today.After(noticeDue) // to stop the renewal
	switch {
	case kind == RemindNotice && c.AutoRenewMonths > 0:
		r.Subject = fmt.Sprintf("Notice deadline to stop the renewal %s: %s", when, name)
	case kind == RemindNotice:
		r.Subject = fmt.Sprintf("Notice deadline %s: %s", when, name)
	case left < 0 || (left == 0 && c.Status == Expired):
		r.Subject = fmt.Sprintf("Contract expired %s: %s", dateWords(date), name)
	case c.AutoRenewMonths > 0 && tooLate:
		r.Subject = fmt.Sprintf("Contract renews %s: %s", when, name)
	case c.AutoRenewMonths > 0:
		r.Subject = fmt.Sprintf("Contract renews %s unless ended: %s", when, name)
	default:
		r.Subject = fmt.Sprintf("Contract expires %s: %s", when, name)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%s\n\n", c.Title)
	fmt.Fprintf(&b, "Vendor: %s\nType: %s\n", c.VendorName, c.Type.Label())
	fmt.Fprintf(&b, "Expiry: %s\n", dateWords(expiry))
	if !noticeDue.IsZero() {
		fmt.Fprintf(&b, "Notice deadline: %s (%d days' notice)\n", dateWords(noticeDue), c.NoticeDays)
	}
	b.WriteString("\n")
	switch {
	case kind == RemindNotice && c.AutoRenewMonths > 0:
		fmt.Fprintf(&b, "The contract renews automatically for %d months at expiry unless notice is given by %s. If it should not renew, give notice now.\n",
			c.AutoRenewMonths, dateWords(date))
	case kind == RemindNotice:
		fmt.Fprintf(&b, "Notice to end or renegotiate the contract must be given by %s. Decide now whether to renew, renegotiate or let it end.\n", dateWords(date))
	case left <= 0 && c.AutoRenewMonths > 0:
		fmt.Fprintf(&b, "The term ends %s and the contract renews automatically for %d months.\n", dateWords(date), c.AutoRenewMonths)
	case left <= 0:
		fmt.Fprintf(&b, "The contract expires at the end of %s. If the vendor still provides the service, a new contract is needed.\n", dateWords(date))
	case c.AutoRenewMonths > 0 && tooLate:
		fmt.Fprintf(&b, "The notice deadline has passed: the contract renews automatically for %d months at expiry.\n", c.AutoRenewMonths)
	case c.AutoRenewMonths > 0 && !noticeDue.IsZero():
		fmt.Fprintf(&b, "The contract renews automatically for %d months at expiry unless notice is given by %s.\n", c.AutoRenewMonths, dateWords(noticeDue))
	case c.AutoRenewMonths > 0:
		fmt.Fprintf(&b, "The contract renews automatically for %d months at expiry unless it is ended before.\n", c.AutoRenewMonths)
	default:
		b.WriteString("The contract does not renew automatically: renew or replace it before it expires, or plan the vendor's offboarding.\n")
	}
	if c.Type == BAA {
		b.WriteString("This is a business associate agreement: without one in force the vendor may not handle PHI.\n")
	}
	b.WriteString("\nYou receive this as the contract's owner.\n")
	r.Body = b.String()
	return r
}

// dateWords writes a date for people: "Friday 30 April 2027".
func dateWords(t time.Time) string { return t.Format("Monday 2 January 2006") }

// DueFrom hands every reminder due on the day of today in a domain to fn,
// with its contract as the index has it (no files, checklist or notes),
// walking the contracts in force and those just expired. fn's error stops
// the walk and is returned. The daily job sends what it is handed, once
// per Key.
func (s *Service) DueFrom(ctx context.Context, domain string, today time.Time, fn func(Contract, Reminder) error) error {
	return s.digests(ctx, domain, func(d digest) error {
		if d.Status != InForce && d.Status != Expired {
			return nil
		}
		c := d.contract(domain)
		for _, r := range Due(c, today) {
			if err := fn(c, r); err != nil {
				return err
			}
		}
		return nil
	})
}
