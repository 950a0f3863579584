package document

import (
	"cmp"
	"context"
	"slices"
	"strconv"
	"time"

	"go.mongodb.org/mongo-driver/bson"
	"go.mongodb.org/mongo-driver/mongo/options"

	"dossier/internal/errs"
)

// Ack is a user's acknowledgement that they read a document's effective
// revision. It is kept under _id domain|document|major|user: one insert,
// and a major revision asks again while a minor one does not (an
// acknowledgement of 2.0 covers 2.1).
type Ack struct {
	ID       string    `bson:"_id" json:"-"`
	Domain   string    `bson:"domain" json:"domain"`
	DocID    string    `bson:"doc_id" json:"doc_id"`
	Number   string    `bson:"number" json:"number"`
	Major    int       `bson:"major" json:"major"`
	Revision string    `bson:"revision" json:"revision"` // the revision read: "2.1"
	User     string    `bson:"user" json:"user"`
	At       time.Time `bson:"at" json:"at"`
}

func ackID(domain, docID string, major int, user string) string {
	return domain + "|" + docID + "|" + strconv.Itoa(major) + "|" + user
}

// Acknowledge records that user read and acknowledges the revision of the
// document in effect today. Acknowledging again is a no-op that returns
// the first acknowledgement.
func (s *Service) Acknowledge(ctx context.Context, domain, docID, user string) (Ack, error) {
	if user == "" || len(user) > maxID {
		return Ack{}, errs.Field("user", "No such user.")
	}
	d, err := s.Get(ctx, domain, docID)
	if err != nil {
		return Ack{}, err
	}
	r, ok := d.EffectiveOn(s.today())
	if !ok {
		return Ack{}, errs.E(errs.Conflict, "Document %s has no revision in effect to acknowledge.", d.Number)
	}
	a := Ack{ID: ackID(domain, docID, r.Major, user), Domain: domain, DocID: docID, Number: d.Number, Major: r.Major,
		Revision: r.Label(), User: user, At: s.now()}
	err = s.acks.Insert(ctx, a)
	if errs.Is(err, errs.Conflict) {
		var old Ack
		if err := s.acks.Get(ctx, bson.M{"_id": a.ID}, &old); err != nil {
			return Ack{}, err
		}
		return old, nil
	}
	if err != nil {
		return Ack{}, err
	}
	return a, s.record(ctx, "document.acknowledge", domain, docID, map[string]string{"revision": a.Revision, "user": user})
}

// acked reports whether user acknowledged major version of a document.
func (s *Service) acked(ctx context.Context, domain, docID string, major int, user string) (bool, error) {
	var a Ack
	err := s.acks.Get(ctx, bson.M{"_id": ackID(domain, docID, major, user)}, &a)
	if errs.Is(err, errs.NotFound) {
		return false, nil
	}
	return err == nil, err
}

// Task is a document a user is to read and acknowledge.
type Task struct {
	DocID         string    `json:"doc_id"`
	Number        string    `json:"number"`
	Title         string    `json:"title"`
	Revision      string    `json:"revision"`
	EffectiveFrom time.Time `json:"effective_from"`
}

// Pending lists the documents user is to acknowledge: those in effect
// today whose audiences include them (by name, or by a role they hold)
// and whose effective major version they have not acknowledged. Sorted by
// number. The register index gives the candidates; each one's
// acknowledgement is then looked up by _id.
func (s *Service) Pending(ctx context.Context, domain, user string) ([]Task, error) {
	var roles []string
	if s.o.Roles != nil {
		roles = s.o.Roles.Roles(user, domain)
	}
	today := s.today()
	var todo []Task
	var majors []int
	err := s.entries(ctx, domain, func(d Document) error {
		if !slices.Contains(d.Audiences.Users, user) && !slices.ContainsFunc(d.Audiences.Roles, func(r string) bool { return slices.Contains(roles, r) }) {
			return nil
		}
		if r, ok := d.EffectiveOn(today); ok {
			todo = append(todo, Task{DocID: d.ID, Number: d.Number, Title: d.Title, Revision: r.Label(), EffectiveFrom: r.EffectiveFrom})
			majors = append(majors, r.Major)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	// One lookup by _id per candidate, a few at a time: the engine answers
	// reads concurrently (only writes are serialized).
	done := make([]bool, len(todo))
	errc := make(chan error, ackLookups)
	next := make(chan int)
	for range ackLookups {
		go func() {
			var first error
			for i := range next {
				if first == nil {
					done[i], first = s.acked(ctx, domain, todo[i].DocID, majors[i], user)
				}
			}
			errc <- first
		}()
	}
	for i := range todo {
		next <- i
	}
	close(next)
	for range ackLookups {
		err = cmp.Or(err, <-errc)
	}
	if err != nil {
		return nil, err
	}
	out := []Task{}
	for i, t := range todo {
		if !done[i] {
			out = append(out, t)
		}
	}
	slices.SortFunc(out, func(a, b Task) int { return compareStrings(a.Number, b.Number) })
	return out, nil
}

// ackLookups is how many acknowledgement lookups Pending runs at once.
const ackLookups = 4

// AckRate is how far the acknowledgement of a document's effective
// revision has got.
type AckRate struct {
	Revision     string   `json:"revision"`
	Major        int      `json:"major"`
	Expected     int      `json:"expected"`
	Acknowledged int      `json:"acknowledged"`
	Missing      []string `json:"missing"` // user ids, sorted
}

// Rate counts the acknowledgements of the effective revision's major
// version by the document's audiences (the users named and the members of
// its roles today), and lists who has not acknowledged.
func (s *Service) Rate(ctx context.Context, domain, docID string) (AckRate, error) {
	d, err := s.Get(ctx, domain, docID)
	if err != nil {
		return AckRate{}, err
	}
	r, ok := d.EffectiveOn(s.today())
	if !ok {
		return AckRate{Missing: []string{}}, nil
	}
	users := s.audience(d)
	done, err := s.ackedBy(ctx, domain, docID, r.Major)
	if err != nil {
		return AckRate{}, err
	}
	rate := AckRate{Revision: r.Label(), Major: r.Major, Expected: len(users), Missing: []string{}}
	for _, u := range users {
		if done[u] {
			rate.Acknowledged++
		} else {
			rate.Missing = append(rate.Missing, u)
		}
	}
	return rate, nil
}

// ackedBy is who acknowledged major version of a document: one query
// over the acknowledgements.
func (s *Service) ackedBy(ctx context.Context, domain, docID string, major int) (map[string]bool, error) {
	var acks []struct {
		User string `bson:"user"`
	}
	err := s.acks.Find(ctx, bson.M{"domain": domain, "doc_id": docID, "major": major}, &acks, options.Find().SetProjection(bson.M{"user": 1}))
	if err != nil {
		return nil, err
	}
	out := make(map[string]bool, len(acks))
	for _, a := range acks {
		out[a.User] = true
	}
	return out, nil
}

// audience lists the users who must acknowledge d, sorted.
func (s *Service) audience(d Document) []string {
	users := slices.Clone(d.Audiences.Users)
	if s.o.Members != nil {
		for _, role := range d.Audiences.Roles {
			users = append(users, s.o.Members.Members(role, d.Domain)...)
		}
	}
	slices.Sort(users)
	return slices.Compact(users)
}

func compareStrings(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// AckStatus tells where user stands with the revision of d in effect
// today: whether its audiences include them, and their acknowledgement of
// its major version when they gave one (nil otherwise, and when nothing is
// in effect).
func (s *Service) AckStatus(ctx context.Context, d Document, user string) (inAudience bool, ack *Ack, err error) {
	inAudience = slices.Contains(s.audience(d), user)
	r, ok := d.EffectiveOn(s.today())
	if !ok {
		return inAudience, nil, nil
	}
	var a Ack
	switch err := s.acks.Get(ctx, bson.M{"_id": ackID(d.Domain, d.ID, r.Major, user)}, &a); {
	case errs.Is(err, errs.NotFound):
		return inAudience, nil, nil
	case err != nil:
		return inAudience, nil, err
	}
	return inAudience, &a, nil
}
