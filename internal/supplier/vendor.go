package supplier

import (
	"context"
	"fmt"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"go.mongodb.org/mongo-driver/bson"

	"dossier/internal/audit"
	"dossier/internal/errs"
	"dossier/internal/risk"
	"dossier/internal/store"

	"dossier/internal/text"
)

// Vendor is one supplier in the register.
type Vendor struct {
	ID             string            `bson:"_id" json:"id"`
	Domain         string            `bson:"domain" json:"domain"`
	LegalName      string            `bson:"legal_name" json:"legal_name"`
	TradingName    string            `bson:"trading_name,omitempty" json:"trading_name"`
	RegistrationID string            `bson:"registration_id,omitempty" json:"registration_id"` // tax or company registration id
	Website        string            `bson:"website,omitempty" json:"website"`
	Address        string            `bson:"address,omitempty" json:"address"`
	Description    string            `bson:"description,omitempty" json:"description"`
	Services       string            `bson:"services,omitempty" json:"services"`
	Systems        []string          `bson:"systems,omitempty" json:"systems"` // SystemPACS…
	SystemsOther   string            `bson:"systems_other,omitempty" json:"systems_other"`
	Data           []string          `bson:"data,omitempty" json:"data"`         // DataPHI…
	Records        int64             `bson:"records,omitempty" json:"records"`   // approximate record volume; 0: none or unknown
	Access         []string          `bson:"access,omitempty" json:"access"`     // AccessRemote…
	Clinical       string            `bson:"clinical,omitempty" json:"clinical"` // ClinicalHigh…; "": not assessed
	DowntimeHours  int               `bson:"downtime_hours,omitempty" json:"downtime_hours"`
	Owner          string            `bson:"owner" json:"owner"` // user id of the internal owner; "": none
	Contacts       []Contact         `bson:"contacts,omitempty" json:"contacts"`
	FourthParties  []FourthParty     `bson:"fourth_parties,omitempty" json:"fourth_parties"`
	Notes          string            `bson:"notes,omitempty" json:"notes"`
	Tags           []string          `bson:"tags,omitempty" json:"tags"`
	Status         string            `bson:"status" json:"status"`
	OnboardingBy   string            `bson:"onboarding_by,omitempty" json:"onboarding_by,omitempty"` // who started onboarding: not its approver
	Risk           risk.Assessment   `bson:"risk" json:"risk"`
	LastAssessed   time.Time         `bson:"last_assessed,omitempty" json:"last_assessed"` // zero: never assessed
	NextDue        time.Time         `bson:"next_due" json:"next_due"`                     // zero once terminated
	Offboarding    OffboardingRecord `bson:"offboarding,omitempty" json:"offboarding"`
	CreatedAt      time.Time         `bson:"created_at" json:"created_at"`
	UpdatedAt      time.Time         `bson:"updated_at" json:"updated_at"`
	CreatedBy      string            `bson:"created_by" json:"created_by"`
	Version        int64             `bson:"version" json:"version"`
}

// Contact is a person at the vendor.
type Contact struct {
	Name  string `bson:"name" json:"name"`
	Email string `bson:"email,omitempty" json:"email"`
	Phone string `bson:"phone,omitempty" json:"phone"`
	Role  string `bson:"role" json:"role"` // RoleSecurity…
}

// FourthParty is a vendor's subcontractor: another vendor in the register
// (VendorID, with its name copied at save) or just a name.
type FourthParty struct {
	VendorID   string `bson:"vendor_id,omitempty" json:"vendor_id"`
	Name       string `bson:"name" json:"name"`
	TouchesPHI bool   `bson:"touches_phi,omitempty" json:"touches_phi"`
}

// OffboardingRecord is the offboarding checklist as recorded. (The status
// constant Offboarding takes the shorter name.)
type OffboardingRecord struct {
	AccessRevokedBy  string    `bson:"access_revoked_by,omitempty" json:"access_revoked_by"`
	AccessRevokedAt  time.Time `bson:"access_revoked_at,omitempty" json:"access_revoked_at"`
	Certificate      *File     `bson:"certificate,omitempty" json:"certificate"` // of PHI return or destruction
	ContractsEndedBy string    `bson:"contracts_ended_by,omitempty" json:"contracts_ended_by"`
	ContractsEndedAt time.Time `bson:"contracts_ended_at,omitempty" json:"contracts_ended_at"`
}

// IsZero reports whether nothing is recorded, so it is not stored at all.
func (o OffboardingRecord) IsZero() bool {
	return o.AccessRevokedBy == "" && o.AccessRevokedAt.IsZero() && o.Certificate == nil &&
		o.ContractsEndedBy == "" && o.ContractsEndedAt.IsZero()
}

// File is a stored file's record.
type File struct {
	Key         string    `bson:"key" json:"-"`
	VersionID   string    `bson:"version_id" json:"-"`
	SHA256      string    `bson:"sha256" json:"sha256"`
	Name        string    `bson:"name" json:"name"` // as uploaded; never used as a key
	ContentType string    `bson:"content_type" json:"content_type"`
	Size        int64     `bson:"size" json:"size"`
	UploadedBy  string    `bson:"uploaded_by" json:"uploaded_by"`
	UploadedAt  time.Time `bson:"uploaded_at" json:"uploaded_at"`
}

// HandlesPHI reports whether the vendor handles protected health information.
func (v Vendor) HandlesPHI() bool { return slices.Contains(v.Data, DataPHI) }

// Label is the name people know the vendor by: its trading name, or its
// legal name.
func (v Vendor) Label() string {
	if v.TradingName != "" {
		return v.TradingName
	}
	return v.LegalName
}

// Fields returns the vendor's editable fields, to fill an edit form.
func (v Vendor) Fields() Fields {
	return Fields{
		LegalName: v.LegalName, TradingName: v.TradingName, RegistrationID: v.RegistrationID, Website: v.Website,
		Address: v.Address, Description: v.Description, Services: v.Services,
		Systems: slices.Clone(v.Systems), SystemsOther: v.SystemsOther, Data: slices.Clone(v.Data), Records: v.Records,
		Access: slices.Clone(v.Access), Clinical: v.Clinical, DowntimeHours: v.DowntimeHours, Owner: v.Owner,
		Contacts: slices.Clone(v.Contacts), FourthParties: slices.Clone(v.FourthParties), Notes: v.Notes, Tags: slices.Clone(v.Tags),
	}
}

// ContactFor returns the vendor's first contact with this role.
func (v Vendor) ContactFor(role string) (Contact, bool) {
	for _, c := range v.Contacts {
		if c.Role == role {
			return c, true
		}
	}
	return Contact{}, false
}

// riskInput is what the rubric scores of this vendor.
func (v Vendor) riskInput() risk.Input {
	return risk.Input{Data: v.Data, Access: v.Access, Clinical: v.Clinical, DowntimeHours: v.DowntimeHours, Records: v.Records}
}

func (v *Vendor) apply(f Fields) {
	v.LegalName, v.TradingName, v.RegistrationID, v.Website = f.LegalName, f.TradingName, f.RegistrationID, f.Website
	v.Address, v.Description, v.Services = f.Address, f.Description, f.Services
	v.Systems, v.SystemsOther, v.Data, v.Records = f.Systems, f.SystemsOther, f.Data, f.Records
	v.Access, v.Clinical, v.DowntimeHours, v.Owner = f.Access, f.Clinical, f.DowntimeHours, f.Owner
	v.Contacts, v.FourthParties, v.Notes, v.Tags = f.Contacts, f.FourthParties, f.Notes, f.Tags
}

// rescore recomputes the inherent risk and the next assessment date.
//
// A vendor never assessed is due at once: NextDue is its creation time, so
// the register shows it as due (and overdue) until its first assessment is
// recorded. A terminated vendor is never due.
func (s *Service) rescore(v *Vendor) {
	v.Risk = s.o.Rubric.Assess(v.riskInput())
	switch {
	case v.Status == Terminated:
		v.NextDue = time.Time{}
	case v.LastAssessed.IsZero():
		v.NextDue = v.CreatedAt
	default:
		v.NextDue = s.o.Rubric.NextDue(v.Risk.Tier, v.LastAssessed)
	}
}

// record is a vendor as stored: the vendor and the fields lists filter and
// sort by.
//
// Documents are kept lean, because the embedded engine decodes every
// document of the collection for every query but a lookup by _id, at a cost
// that grows with the number of values in it (measured: about 9 µs a
// value). So empty optional fields are left out, and what is derived from
// the other fields — the risk reasons, the next due date — is computed
// when a vendor is read (fill) rather than stored; risk.score, risk.tier
// and next_due are stored for queries only, and Rescore brings them in line
// when the rubric changes.
type record struct {
	Vendor     `bson:",inline"`
	Search     string `bson:"search"` // lower-case names and registration id (as typed and bare), for $regex
	PHI        bool   `bson:"phi"`
	SortName   string `bson:"sort_name"`
	StatusRank int    `bson:"status_rank"`
}

func toRecord(v Vendor) record {
	v.Risk.Reasons, v.Risk.Missing = nil, nil
	if v.NextDue.IsZero() {
		v.NextDue = neverDue // so sorting by due date puts terminated vendors last
	}
	return record{
		Vendor:     v,
		Search:     strings.ToLower(v.LegalName + "\n" + v.TradingName + "\n" + v.RegistrationID + "\n" + regKey(v.RegistrationID)),
		PHI:        v.HandlesPHI(),
		SortName:   strings.ToLower(v.Label()),
		StatusRank: statusRank(v.Status),
	}
}

// optionalKeys are the vendor's fields stored only when not empty.
var optionalKeys = func() []string {
	var keys []string
	t := reflect.TypeFor[Vendor]()
	for i := range t.NumField() {
		name, opts, _ := strings.Cut(t.Field(i).Tag.Get("bson"), ",")
		if strings.Contains(opts, "omitempty") {
			keys = append(keys, name)
		}
	}
	return keys
}()

// fill completes a vendor as read: risk reasons and next due date from the
// current rubric, and empty lists rather than nil ones.
func (s *Service) fill(v *Vendor) {
	s.rescore(v)
	for _, l := range []*[]string{&v.Systems, &v.Data, &v.Access, &v.Tags} {
		if *l == nil {
			*l = []string{}
		}
	}
	if v.Contacts == nil {
		v.Contacts = []Contact{}
	}
	if v.FourthParties == nil {
		v.FourthParties = []FourthParty{}
	}
}

func checkDomain(domain string) error {
	if domain == "" || len(domain) > 128 || strings.ContainsAny(domain, "|\x00") || !utf8.ValidString(domain) {
		return errs.E(errs.Invalid, "A domain must be a hospital id.")
	}
	return nil
}

// Create adds a vendor to the register as a prospect. A vendor with the
// same legal name or registration id already in the domain is a
// *DuplicateError.
func (s *Service) Create(ctx context.Context, domain string, f Fields) (Vendor, error) {
	if err := checkDomain(domain); err != nil {
		return Vendor{}, err
	}
	id := newID()
	f, err := s.clean(ctx, domain, id, f, "")
	if err != nil {
		return Vendor{}, err
	}
	v := s.newVendor(ctx, domain, id, f)
	claimed, err := s.claimAll(ctx, v, keysOf(v))
	if err != nil {
		return Vendor{}, err
	}
	if err := s.vendors.Insert(ctx, toRecord(v)); err != nil {
		s.release(ctx, v.ID, claimed)
		return Vendor{}, err
	}
	return v, s.record(ctx, "vendor.create", domain, v.ID, createDetails(v, ""))
}

func (s *Service) newVendor(ctx context.Context, domain, id string, f Fields) Vendor {
	now := s.now()
	v := Vendor{ID: id, Domain: domain, Status: Prospect, CreatedAt: now, UpdatedAt: now, CreatedBy: audit.ActorFrom(ctx).ID}
	v.apply(f)
	s.rescore(&v)
	return v
}

func createDetails(v Vendor, source string) map[string]string {
	d := map[string]string{"legal_name": text.Shorten(v.LegalName, 200), "status": v.Status, "tier": strconv.Itoa(v.Risk.Tier), "score": strconv.Itoa(v.Risk.Score)}
	if v.RegistrationID != "" {
		d["registration_id"] = v.RegistrationID
	}
	if source != "" {
		d["source"] = source
	}
	return d
}

// Get returns the vendor with this id in the domain.
func (s *Service) Get(ctx context.Context, domain, id string) (Vendor, error) {
	v, err := s.byID(ctx, id)
	if err != nil {
		return Vendor{}, err
	}
	if v.Domain != domain {
		return Vendor{}, errs.E(errs.NotFound, "No such vendor.")
	}
	return v, nil
}

// byID reads a vendor by _id, the embedded engine's one fast lookup.
func (s *Service) byID(ctx context.Context, id string) (Vendor, error) {
	var v Vendor
	if id == "" || len(id) > 64 {
		return Vendor{}, errs.E(errs.NotFound, "No such vendor.")
	}
	if err := s.vendors.Get(ctx, bson.M{"_id": id}, &v); err != nil {
		if errs.Is(err, errs.NotFound) {
			return Vendor{}, errs.E(errs.NotFound, "No such vendor.")
		}
		return Vendor{}, err
	}
	s.fill(&v)
	return v, nil
}

// Update saves new editable fields over the version the editor opened. A
// save since is a conflict: nothing is silently overwritten. Renaming
// claims the new name before the save and frees the old one after.
func (s *Service) Update(ctx context.Context, domain, id string, version int64, f Fields) (Vendor, error) {
	old, err := s.Get(ctx, domain, id)
	if err != nil {
		return Vendor{}, err
	}
	if old.Version != version {
		return Vendor{}, conflict()
	}
	f, err = s.clean(ctx, domain, id, f, old.Owner)
	if err != nil {
		return Vendor{}, err
	}
	v := old
	v.apply(f)
	s.rescore(&v)
	details := changes(old, v)
	if details == nil {
		return old, nil
	}
	v.UpdatedAt = s.now()
	oldKeys, newKeys := keysOf(old), keysOf(v)
	added, removed := minus(newKeys, oldKeys), minus(oldKeys, newKeys)
	claimed, err := s.claimAll(ctx, v, added)
	if err != nil {
		return Vendor{}, err
	}
	if err := s.save(ctx, &v, version); err != nil {
		s.releaseUnheld(ctx, v.ID, claimed)
		return Vendor{}, err
	}
	s.release(ctx, v.ID, removed)
	return v, s.record(ctx, "vendor.update", domain, id, details)
}

// save writes every field of v under the version the change was based on
// and moves v to the next version.
func (s *Service) save(ctx context.Context, v *Vendor, version int64) error {
	raw, err := bson.Marshal(toRecord(*v))
	if err != nil {
		return errs.Wrap(errs.Internal, err, "encode vendor")
	}
	var set bson.D
	if err := bson.Unmarshal(raw, &set); err != nil {
		return errs.Wrap(errs.Internal, err, "encode vendor")
	}
	set = slices.DeleteFunc(set, func(e bson.E) bool { return e.Key == "_id" || e.Key == "version" })
	update := bson.M{"$set": set}
	// Fields left out because they are empty now must go from the stored
	// document too.
	unset := bson.M{}
	for _, k := range optionalKeys {
		if !slices.ContainsFunc(set, func(e bson.E) bool { return e.Key == k }) {
			unset[k] = ""
		}
	}
	if len(unset) > 0 {
		update["$unset"] = unset
	}
	if err := s.vendors.UpdateVersion(ctx, v.ID, version, update); err != nil {
		if errs.Is(err, errs.Conflict) {
			return conflict()
		}
		return err
	}
	v.Version = version + 1
	return nil
}

// RecordAssessment sets when the vendor's security assessment was last
// completed, which moves its next due date to that plus its tier's
// interval. The assessment area calls it on sign-off.
func (s *Service) RecordAssessment(ctx context.Context, domain, id string, at time.Time) (Vendor, error) {
	for range 5 {
		v, err := s.Get(ctx, domain, id)
		if err != nil {
			return Vendor{}, err
		}
		v, err = s.commit(ctx, v, func(v *Vendor) error {
			v.LastAssessed = at.UTC().Truncate(time.Millisecond)
			return nil
		})
		if errs.Is(err, errs.Conflict) {
			continue // an edit raced this system step: read again
		}
		if err != nil {
			return Vendor{}, err
		}
		return v, s.record(ctx, "vendor.assessed", domain, id, map[string]string{
			"assessed": v.LastAssessed.Format(time.DateOnly), "next_due": v.NextDue.Format(time.DateOnly)})
	}
	return Vendor{}, conflict()
}

// changes describes what an update changes, for the audit trail: the names
// of the changed fields, and old → new for short ones. Long text and lists
// of people are named, not copied. nil when nothing changed.
func changes(old, v Vendor) map[string]string {
	type field struct {
		name     string
		old, new any
		long     bool
	}
	fs := []field{
		{"legal_name", old.LegalName, v.LegalName, false},
		{"trading_name", old.TradingName, v.TradingName, false},
		{"registration_id", old.RegistrationID, v.RegistrationID, false},
		{"website", old.Website, v.Website, false},
		{"address", old.Address, v.Address, true},
		{"description", old.Description, v.Description, true},
		{"services", old.Services, v.Services, true},
		{"systems", old.Systems, v.Systems, false},
		{"systems_other", old.SystemsOther, v.SystemsOther, false},
		{"data", old.Data, v.Data, false},
		{"records", old.Records, v.Records, false},
		{"access", old.Access, v.Access, false},
		{"clinical", old.Clinical, v.Clinical, false},
		{"downtime_hours", old.DowntimeHours, v.DowntimeHours, false},
		{"owner", old.Owner, v.Owner, false},
		{"contacts", old.Contacts, v.Contacts, true},
		{"fourth_parties", old.FourthParties, v.FourthParties, true},
		{"notes", old.Notes, v.Notes, true},
		{"tags", old.Tags, v.Tags, false},
	}
	d := map[string]string{}
	var names []string
	for _, f := range fs {
		if reflect.DeepEqual(f.old, f.new) || (isEmpty(f.old) && isEmpty(f.new)) {
			continue
		}
		names = append(names, f.name)
		if !f.long {
			d[f.name] = text.Shorten(show(f.old)+" → "+show(f.new), 500)
		}
	}
	if len(names) == 0 {
		return nil
	}
	d["changed"] = strings.Join(names, ",")
	if old.Risk.Tier != v.Risk.Tier {
		d["tier"] = fmt.Sprintf("%d → %d", old.Risk.Tier, v.Risk.Tier)
	}
	if old.Risk.Score != v.Risk.Score {
		d["score"] = fmt.Sprintf("%d → %d", old.Risk.Score, v.Risk.Score)
	}
	return d
}

func isEmpty(x any) bool {
	rv := reflect.ValueOf(x)
	return rv.Kind() == reflect.Slice && rv.Len() == 0
}

func show(x any) string {
	switch x := x.(type) {
	case []string:
		return "[" + strings.Join(x, ", ") + "]"
	case string:
		if x == "" {
			return `""`
		}
		return x
	}
	return fmt.Sprint(x)
}

// Rescore brings every vendor's stored score, tier and next due date —
// what lists filter and sort by — in line with the service's rubric. Run
// it at start-up: after the rubric's configuration changed, vendors read
// correctly at once (their risk is computed when read) but are found by
// their old tier until rescored. It returns how many vendors changed;
// when none did it costs one scan.
func (s *Service) Rescore(ctx context.Context) (int, error) {
	var stale []Vendor
	err := store.Each(ctx, s.vendors, bson.M{}, func(v Vendor) error {
		score, tier, due := v.Risk.Score, v.Risk.Tier, v.NextDue
		if due.Equal(neverDue) {
			due = time.Time{}
		}
		s.rescore(&v)
		if v.Risk.Score != score || v.Risk.Tier != tier || !v.NextDue.Equal(due) {
			v.Risk.Score, v.Risk.Tier = score, tier // what is stored, for the trail
			stale = append(stale, v)
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	n := 0
	for _, old := range stale {
		v, err := s.commit(ctx, old, func(*Vendor) error { return nil })
		if errs.Is(err, errs.Conflict) {
			continue // saved meanwhile, and so rescored
		}
		if err != nil {
			return n, err
		}
		n++
		err = s.record(ctx, "vendor.rescore", v.Domain, v.ID, map[string]string{
			"tier": fmt.Sprintf("%d → %d", old.Risk.Tier, v.Risk.Tier), "score": fmt.Sprintf("%d → %d", old.Risk.Score, v.Risk.Score)})
		if err != nil {
			return n, err
		}
	}
	return n, nil
}
