package supplier

import (
	"context"
	"slices"
	"strings"

	"dossier/internal/access"
	"dossier/internal/audit"
	"dossier/internal/authz"
	"dossier/internal/errs"
)

// moves are the lifecycle's allowed transitions, in the order pages offer
// them.
var moves = map[string][]string{
	Prospect:    {Onboarding, Terminated}, // terminated: dropped before onboarding
	Onboarding:  {Active, Prospect},
	Active:      {Offboarding},
	Offboarding: {Terminated, Active}, // active: offboarding cancelled
	Terminated:  nil,
}

// NextStates lists the statuses a vendor in status may move to.
func NextStates(status string) []string { return slices.Clone(moves[status]) }

// ActionFor is the authorization action a move from one status to another
// needs: approving onboarding (onboarding → active) is authz.Approve, every
// other move, cancelling offboarding included, authz.Edit. The handler
// authorizes with it before calling Transition.
func ActionFor(from, to string) string {
	if from == Onboarding && to == Active {
		return authz.Approve
	}
	return authz.Edit
}

const maxNote = 1000

// Transition moves a vendor along its lifecycle. Moving to active runs the
// onboarding checklist and moving from offboarding to terminated the
// offboarding checklist; either refuses with a *ChecklistError listing what
// is missing. Cancelling offboarding (back to active) clears the
// offboarding record, since the vendor keeps its access after all.
func (s *Service) Transition(ctx context.Context, domain, id string, version int64, to, note string) (Vendor, error) {
	var c checker
	note = c.Line("note", "The note", note, maxNote, false)
	if err := c.Err(); err != nil {
		return Vendor{}, err
	}
	v, err := s.Get(ctx, domain, id)
	if err != nil {
		return Vendor{}, err
	}
	if v.Version != version {
		return Vendor{}, conflict()
	}
	from := v.Status
	if !slices.Contains(moves[from], to) {
		return Vendor{}, moveRefused(from, to)
	}
	// Segregation of duties: whoever started onboarding does not approve it.
	actor := audit.ActorFrom(ctx)
	if from == Onboarding && to == Active && v.OnboardingBy != "" && v.OnboardingBy == actor.ID {
		return Vendor{}, errs.E(errs.Forbidden, "You started this vendor's onboarding, so someone else must approve it.")
	}
	results, err := s.Checklist(ctx, v, to)
	if err != nil {
		return Vendor{}, err
	}
	for _, r := range results {
		if !r.OK {
			return Vendor{}, &ChecklistError{To: to, Results: results}
		}
	}
	details := map[string]string{"from": from, "to": to}
	if note != "" {
		details["note"] = note
	}
	v, err = s.commit(ctx, v, func(v *Vendor) error {
		v.Status = to
		if to == Onboarding {
			v.OnboardingBy = actor.ID
		}
		if from == Offboarding && to == Active {
			if c := v.Offboarding.Certificate; c != nil {
				// The file stays in storage; the trail says where.
				details["cleared_certificate"] = c.Key + " sha256:" + c.SHA256
			}
			v.Offboarding = OffboardingRecord{}
		}
		return nil
	})
	if err != nil {
		return Vendor{}, err
	}
	return v, s.record(ctx, "vendor.transition", domain, id, details)
}

func moveRefused(from, to string) error {
	next := moves[from]
	if len(next) == 0 {
		return errs.Field("to", "A %s vendor stays %s; it cannot move to %s.", strings.ToLower(Label(from)), strings.ToLower(Label(from)), Label(to))
	}
	words := make([]string, len(next))
	for i, n := range next {
		words[i] = Label(n)
	}
	return errs.Field("to", "A vendor in %s cannot move to %s; it can move to %s.", Label(from), Label(to), strings.Join(words, " or "))
}

// commit saves a change to v, a vendor as read at v.Version.
func (s *Service) commit(ctx context.Context, v Vendor, change func(v *Vendor) error) (Vendor, error) {
	version := v.Version
	if err := change(&v); err != nil {
		return Vendor{}, err
	}
	v.UpdatedAt = s.now()
	s.rescore(&v)
	if err := s.save(ctx, &v, version); err != nil {
		return Vendor{}, err
	}
	return v, nil
}

// Check is one item of a checklist. Areas register theirs at start-up.
type Check struct {
	ID    string // unique within its checklist, such as "baa_in_force"
	Label string // what must be true, as a checklist line: "Security contact on file"
	// Applies, when set, says whether the check concerns this vendor at
	// all; a check that does not apply is left off the list.
	Applies func(v Vendor) bool
	// Run reports whether the vendor passes, and if not what is missing in
	// a sentence ("Add a contact with the Security role.").
	Run func(ctx context.Context, v Vendor) (ok bool, missing string, err error)
}

// CheckResult is one line of a checklist as run.
type CheckResult struct {
	ID      string `json:"id"`
	Label   string `json:"label"`
	OK      bool   `json:"ok"`
	Missing string `json:"missing,omitempty"`
}

// ChecklistError refuses a move because checklist items are missing. It is
// invalid input (errs.Code gives errs.Invalid) whose message lists them;
// Results holds the whole checklist for the page.
type ChecklistError struct {
	To      string
	Results []CheckResult
}

// Missing returns the items not yet done.
func (e *ChecklistError) Missing() []CheckResult {
	var out []CheckResult
	for _, r := range e.Results {
		if !r.OK {
			out = append(out, r)
		}
	}
	return out
}

func (e *ChecklistError) Error() string { return e.Unwrap().Error() }

// Unwrap gives the errs.Error the HTTP layer maps and shows.
func (e *ChecklistError) Unwrap() error {
	var items []string
	for _, r := range e.Missing() {
		if r.Missing != "" {
			items = append(items, strings.TrimSuffix(r.Missing, "."))
		} else {
			items = append(items, r.Label)
		}
	}
	return &errs.Error{Code: errs.Invalid, Field: "to",
		Message: "This vendor cannot become " + strings.ToLower(Label(e.To)) + " yet: " + strings.Join(items, "; ") + "."}
}

// AddOnboardingCheck adds a check every move to active must pass. Call it
// at start-up, before the service is used; a check with no id, no Run, or
// the id of one already added is a programming error and panics.
func (s *Service) AddOnboardingCheck(c Check) { s.addCheck(&s.onboarding, c) }

// AddOffboardingCheck adds a check a move from offboarding to terminated
// must pass. The rules of AddOnboardingCheck apply.
func (s *Service) AddOffboardingCheck(c Check) { s.addCheck(&s.offboarding, c) }

func (s *Service) addCheck(list *[]Check, c Check) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if c.ID == "" || c.Label == "" || c.Run == nil {
		panic("supplier: a check needs an ID, a Label and Run")
	}
	for _, x := range *list {
		if x.ID == c.ID {
			panic("supplier: check " + c.ID + " added twice")
		}
	}
	*list = append(*list, c)
}

// Checklist runs the checklist a move of v to status to must pass: the
// onboarding checks for a move to active, the offboarding checks for a
// move from offboarding to terminated; other moves have none (nil).
func (s *Service) Checklist(ctx context.Context, v Vendor, to string) ([]CheckResult, error) {
	s.mu.RLock()
	var checks []Check
	switch {
	case to == Active:
		checks = slices.Clone(s.onboarding)
	case to == Terminated && v.Status == Offboarding:
		checks = slices.Clone(s.offboarding)
	}
	s.mu.RUnlock()
	var out []CheckResult
	for _, c := range checks {
		if c.Applies != nil && !c.Applies(v) {
			continue
		}
		ok, missing, err := c.Run(ctx, v)
		if err != nil {
			return nil, err
		}
		r := CheckResult{ID: c.ID, Label: c.Label, OK: ok}
		if !ok {
			r.Missing = missing
		}
		out = append(out, r)
	}
	return out, nil
}

func (s *Service) registerBuiltinChecks() {
	s.AddOnboardingCheck(Check{ID: "owner", Label: "Internal owner named", Run: s.ownerCheck})
	s.AddOnboardingCheck(Check{ID: "security_contact", Label: "Security contact on file", Run: contactCheck(RoleSecurity)})
	s.AddOnboardingCheck(Check{ID: "legal_contact", Label: "Legal contact on file", Run: contactCheck(RoleLegal)})
	s.AddOnboardingCheck(Check{ID: "tier", Label: "Inherent risk tier computed",
		Run: func(_ context.Context, v Vendor) (bool, string, error) {
			if v.Risk.Computed() {
				return true, "", nil
			}
			need := v.Risk.Missing
			if len(need) == 0 {
				need = []string{"the data it handles", "how it accesses our systems", "its clinical impact"}
			}
			return false, "Record " + joinWords(need) + " so the tier can be computed.", nil
		}})

	s.AddOffboardingCheck(Check{ID: "access_revoked", Label: "Access revoked, confirmed by a person",
		Run: func(_ context.Context, v Vendor) (bool, string, error) {
			return !v.Offboarding.AccessRevokedAt.IsZero(), "Confirm that every account and remote access of the vendor is removed.", nil
		}})
	s.AddOffboardingCheck(Check{ID: "phi_certificate", Label: "PHI returned or destroyed, certificate uploaded",
		Applies: Vendor.HandlesPHI,
		Run: func(_ context.Context, v Vendor) (bool, string, error) {
			return v.Offboarding.Certificate != nil, "Upload the vendor's certificate that our PHI was returned or destroyed.", nil
		}})
	s.AddOffboardingCheck(Check{ID: "contracts_ended", Label: "Contracts ended",
		Run: func(_ context.Context, v Vendor) (bool, string, error) {
			return !v.Offboarding.ContractsEndedAt.IsZero(), "Confirm that the vendor's contracts have ended.", nil
		}})
}

func (s *Service) ownerCheck(ctx context.Context, v Vendor) (bool, string, error) {
	if v.Owner == "" {
		return false, "Name an internal owner.", nil
	}
	if s.o.Users == nil {
		return true, "", nil
	}
	u, err := s.o.Users.User(ctx, v.Owner)
	switch {
	case errs.Is(err, errs.NotFound):
		return false, "The internal owner's account no longer exists; name another owner.", nil
	case err != nil:
		return false, "", err
	case u.Status != access.Active:
		return false, "The internal owner's account is disabled; name another owner.", nil
	}
	return true, "", nil
}

func contactCheck(role string) func(context.Context, Vendor) (bool, string, error) {
	return func(_ context.Context, v Vendor) (bool, string, error) {
		if _, ok := v.ContactFor(role); ok {
			return true, "", nil
		}
		return false, "Add a contact with the " + Label(role) + " role.", nil
	}
}

// joinWords joins ["a", "b", "c"] as "a, b and c".
func joinWords(ws []string) string {
	switch len(ws) {
	case 0:
		return ""
	case 1:
		return ws[0]
	}
	return strings.Join(ws[:len(ws)-1], ", ") + " and " + ws[len(ws)-1]
}
