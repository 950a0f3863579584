package document

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"go.mongodb.org/mongo-driver/bson"
	"go.mongodb.org/mongo-driver/mongo/options"
)

// Reminder kinds.
const (
	RemindReview      = "review"      // to the owner, before and after the next review date
	RemindAcknowledge = "acknowledge" // to audience members who have not acknowledged the effective revision
)

// ReviewThresholds are the days before the next review date the owner is
// reminded, largest first; once the date has passed, once more (overdue).
func ReviewThresholds() []int { return []int{30, 7} }

// AckThresholds are the days after a revision took effect an audience
// member who has not acknowledged it is reminded, smallest first.
func AckThresholds() []int { return []int{7, 14} }

// ackGrace is how many days the last acknowledgement reminder stays due,
// so a job that missed a day still sends it, while someone who joins the
// audience months later is not told a revision is "14 days" in effect.
const ackGrace = 7

// Reminder is one reminder due about a document. Key identifies it for
// good, so the sender (notify's once-only delivery) sends each once
// however many days it stays due and however many instances run:
//
//	document:<id>:review:<30d|7d|overdue>:<next review date>
//	document:<id>:acknowledge:<7d|14d>:<revision>:<user>
//
// A moved review date or a new revision in effect makes new keys.
type Reminder struct {
	Key      string    `json:"key"`
	DocID    string    `json:"doc_id"`
	Domain   string    `json:"domain"`
	Kind     string    `json:"kind"`     // RemindReview or RemindAcknowledge
	Days     int       `json:"days"`     // the threshold: 30 or 7 days before review (0 once overdue); 7 or 14 days in effect
	Date     time.Time `json:"date"`     // review: the next review date; acknowledge: the day the revision took effect
	Revision string    `json:"revision"` // the revision in effect: "2.0"
	To       string    `json:"to"`       // user id
	Subject  string    `json:"subject"`
	Body     string    `json:"body"` // plain text
	Link     string    `json:"link"` // the document's page, a path in Dossier
}

// Due lists the reminders due about d on the day of today. To the owner:
// the review reminder of 30 days before the next review date (due from
// then until 8 days before), of 7 days (from then through the date
// itself), and overdue (every day after it, under one key per date). To
// each user in unacked — the audience members who have not acknowledged
// the effective revision's major version; the caller finds them — the
// acknowledgement reminder of 7 days after the revision took effect (due
// until day 13) and of 14 days (due for a week). A retired document, or
// one with nothing in effect, gets none. d may be a document as the
// register index has it.
func Due(d Document, today time.Time, unacked []string) []Reminder {
	today = Day(today)
	eff, ok := d.EffectiveOn(today)
	if !ok || d.Retired != nil {
		return nil
	}
	var out []Reminder
	if next := d.nextReview(today); d.Owner != "" && !next.IsZero() {
		left := days(today, next)
		n, key := -1, ""
		switch {
		case left < 0:
			n, key = 0, "overdue"
		case left <= 7:
			n = 7
		case left <= 30:
			n = 30
		}
		if n >= 0 {
			if key == "" {
				key = fmt.Sprintf("%dd", n)
			}
			out = append(out, reviewReminder(d, eff, n, key, next, left))
		}
	}
	if n, ok := ackThreshold(eff, today); ok {
		for _, u := range slices.Sorted(slices.Values(unacked)) {
			out = append(out, ackReminder(d, eff, n, u, today))
		}
	}
	return out
}

// ackThreshold is the acknowledgement threshold whose window holds today
// for the revision in effect.
func ackThreshold(eff Revision, today time.Time) (int, bool) {
	since := days(eff.EffectiveFrom, today)
	ts := AckThresholds()
	for i, n := range ts {
		end := n + ackGrace
		if i+1 < len(ts) {
			end = ts[i+1]
		}
		if since >= n && since < end {
			return n, true
		}
	}
	return 0, false
}

func ackDue(eff Revision, today time.Time) bool { _, ok := ackThreshold(eff, today); return ok }

// days counts the days from a to b (negative when b is earlier).
func days(a, b time.Time) int { return int(Day(b).Sub(Day(a)).Hours() / 24) }

func reviewReminder(d Document, eff Revision, n int, key string, next time.Time, left int) Reminder {
	r := Reminder{Key: fmt.Sprintf("document:%s:%s:%s:%s", d.ID, RemindReview, key, next.Format(time.DateOnly)),
		DocID: d.ID, Domain: d.Domain, Kind: RemindReview, Days: n, Date: next, Revision: eff.Label(), To: d.Owner, Link: "/documents/" + d.ID}
	name := fmt.Sprintf("%s %s", d.Number, d.Title)
	switch {
	case left < 0:
		r.Subject = fmt.Sprintf("Review overdue since %s: %s", dateWords(next), name)
	case left == 0:
		r.Subject = "Review due today: " + name
	case left == 1:
		r.Subject = "Review due tomorrow: " + name
	default:
		r.Subject = fmt.Sprintf("Review due in %d days: %s", left, name)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%s\n%s\n\n", d.Number, d.Title)
	fmt.Fprintf(&b, "Revision in effect: %s, since %s\n", eff.Label(), dateWords(eff.EffectiveFrom))
	fmt.Fprintf(&b, "Review interval: %d months\nNext review: %s\n\n", d.ReviewMonths, dateWords(next))
	if left < 0 {
		fmt.Fprintf(&b, "The periodic review is %d days overdue (ISO 27001:2022 clause 7.5.2 and A.5.1 ask for policies to be reviewed at planned intervals).\n", -left)
	} else {
		b.WriteString("The periodic review is coming up (ISO 27001:2022 clause 7.5.2 and A.5.1 ask for policies to be reviewed at planned intervals).\n")
	}
	b.WriteString("Review the document: start a new revision if it needs changes, or have an approver record \"reviewed, no change\".\n")
	b.WriteString("\nYou receive this as the document's owner.\n")
	r.Body = b.String()
	return r
}

func ackReminder(d Document, eff Revision, n int, user string, today time.Time) Reminder {
	r := Reminder{Key: fmt.Sprintf("document:%s:%s:%dd:%s:%s", d.ID, RemindAcknowledge, n, eff.Label(), user),
		DocID: d.ID, Domain: d.Domain, Kind: RemindAcknowledge, Days: n, Date: eff.EffectiveFrom, Revision: eff.Label(), To: user,
		Link: "/documents/" + d.ID}
	r.Subject = fmt.Sprintf("Please read and acknowledge %s %s (revision %s)", d.Number, d.Title, eff.Label())
	var b strings.Builder
	fmt.Fprintf(&b, "%s\n%s\n\n", d.Number, d.Title)
	fmt.Fprintf(&b, "Revision %s took effect on %s, %d days ago, and applies to you.\n", eff.Label(), dateWords(eff.EffectiveFrom), days(eff.EffectiveFrom, today))
	b.WriteString("Please read it and acknowledge that you have, on the document's page.\n")
	b.WriteString("\nYou receive this as a member of the document's audience.\n")
	r.Body = b.String()
	return r
}

// dateWords writes a date for people: "Friday 30 April 2027".
func dateWords(t time.Time) string { return t.Format("Monday 2 January 2006") }

// Reminders lists the reminders due in a domain on the day of today, in
// key order, from the register index: review reminders straight from it;
// for each document whose effective revision is in an acknowledgement
// window, its audience today, and one query over the acknowledgements. The
// daily job hands each to notify once per Key.
func (s *Service) Reminders(ctx context.Context, domain string, today time.Time) ([]Reminder, error) {
	today = Day(today)
	var docs []Document
	err := s.entries(ctx, domain, func(d Document) error {
		if _, ok := d.EffectiveOn(today); ok && d.Retired == nil {
			docs = append(docs, d)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	// Who acknowledged what, for the documents in an acknowledgement
	// window: one query for them all (each query scans the
	// acknowledgements on the embedded engine).
	var ids []string
	for _, d := range docs {
		if eff, _ := d.EffectiveOn(today); ackDue(eff, today) {
			ids = append(ids, d.ID)
		}
	}
	acked := map[string]bool{} // ackID
	if len(ids) > 0 {
		var acks []Ack
		err := s.acks.Find(ctx, bson.M{"domain": domain, "doc_id": bson.M{"$in": ids}}, &acks,
			options.Find().SetProjection(bson.M{"doc_id": 1, "major": 1, "user": 1}))
		if err != nil {
			return nil, err
		}
		for _, a := range acks {
			acked[ackID(domain, a.DocID, a.Major, a.User)] = true
		}
	}
	out := []Reminder{}
	for _, d := range docs {
		eff, _ := d.EffectiveOn(today)
		var unacked []string
		if ackDue(eff, today) {
			for _, u := range s.audience(d) {
				if !acked[ackID(domain, d.ID, eff.Major, u)] {
					unacked = append(unacked, u)
				}
			}
		}
		out = append(out, Due(d, today, unacked)...)
	}
	slices.SortFunc(out, func(a, b Reminder) int { return strings.Compare(a.Key, b.Key) })
	return out, nil
}
