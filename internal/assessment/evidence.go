package assessment

import (
	"context"
	"fmt"
	"strings"
	"time"

	"go.mongodb.org/mongo-driver/bson"
	"go.mongodb.org/mongo-driver/mongo/options"

	"dossier/internal/audit"
	"dossier/internal/blob"
	"dossier/internal/errs"
	"dossier/internal/questionnaire"
	"dossier/internal/text"
	"dossier/internal/upload"
)

// Evidence kinds.
const (
	SOC2Type2   = "soc2_type2"
	ISO27001    = "iso27001"
	PenTest     = "pentest"
	Insurance   = "insurance"
	Policy      = "policy"
	OtherKind   = "other"
	expiryAhead = 60 * 24 * time.Hour
)

// EvidenceKinds lists the kinds with their labels, in display order.
func EvidenceKinds() [][2]string {
	return [][2]string{
		{SOC2Type2, "SOC 2 Type II report"},
		{ISO27001, "ISO/IEC 27001 certificate"},
		{PenTest, "Penetration test letter"},
		{Insurance, "Cyber insurance certificate"},
		{Policy, "Policy or procedure"},
		{OtherKind, "Other evidence"},
	}
}

// KindLabel is an evidence kind in words.
func KindLabel(kind string) string {
	for _, k := range EvidenceKinds() {
		if k[0] == kind {
			return k[1]
		}
	}
	return kind
}

// EvidenceTypes are the file kinds accepted as evidence.
func EvidenceTypes() []upload.Kind {
	return []upload.Kind{upload.PDF, upload.PNG, upload.JPEG, upload.DOCX, upload.XLSX}
}

// Evidence is a file a vendor gave as proof: attached to an answer, or on
// the vendor's record, with what it is and how long it holds.
type Evidence struct {
	ID           string     `bson:"_id" json:"id"`
	Domain       string     `bson:"domain" json:"domain"`
	VendorID     string     `bson:"vendor_id" json:"vendor_id"`
	VendorName   string     `bson:"vendor_name" json:"vendor_name"`
	AssessmentID string     `bson:"assessment_id,omitempty" json:"assessment_id,omitempty"`
	Question     string     `bson:"question,omitempty" json:"question,omitempty"`
	Kind         string     `bson:"kind" json:"kind"`
	Title        string     `bson:"title" json:"title"`
	PeriodStart  *time.Time `bson:"period_start,omitempty" json:"period_start,omitempty"`
	PeriodEnd    *time.Time `bson:"period_end,omitempty" json:"period_end,omitempty"`
	Expires      *time.Time `bson:"expires,omitempty" json:"expires,omitempty"`
	File         File       `bson:"file" json:"file"`
	UploadedBy   string     `bson:"uploaded_by" json:"uploaded_by"`
	UploadedAt   time.Time  `bson:"uploaded_at" json:"uploaded_at"`
	Removed      bool       `bson:"removed,omitempty" json:"removed,omitempty"`
	Version      int64      `bson:"version" json:"version"`
}

// File is a stored file version.
type File struct {
	Key         string `bson:"key" json:"-"`
	VersionID   string `bson:"version_id" json:"-"`
	SHA256      string `bson:"sha256" json:"sha256"`
	Name        string `bson:"name" json:"name"`
	ContentType string `bson:"content_type" json:"content_type"`
	Size        int64  `bson:"size" json:"size"`
	Pages       int    `bson:"pages,omitempty" json:"pages,omitempty"`
	Encrypted   bool   `bson:"encrypted,omitempty" json:"encrypted,omitempty"`
}

// EvidenceInput describes an uploaded file. All optional for a vendor's
// attachment to an answer.
type EvidenceInput struct {
	Kind        string     `json:"kind"`
	Title       string     `json:"title"`
	PeriodStart *time.Time `json:"period_start"`
	PeriodEnd   *time.Time `json:"period_end"`
	Expires     *time.Time `json:"expires"`
}

func (in *EvidenceInput) check(f *upload.File) error {
	fields := map[string]string{}
	if in.Kind == "" {
		in.Kind = OtherKind
	}
	if KindLabel(in.Kind) == in.Kind {
		fields["kind"] = "Choose what kind of evidence this is."
	}
	in.Title = text.Clip(strings.TrimSpace(in.Title), 200)
	if in.Title == "" && f != nil {
		in.Title = f.Name
	}
	if in.PeriodStart != nil && in.PeriodEnd != nil && in.PeriodEnd.Before(*in.PeriodStart) {
		fields["period_end"] = "The period ends before it starts."
	}
	if in.Expires != nil && in.PeriodStart != nil && in.Expires.Before(*in.PeriodStart) {
		fields["expires"] = "The expiry is before the period starts."
	}
	if len(fields) > 0 {
		return errs.Fields(fields)
	}
	return nil
}

// store checks a spooled upload and puts it in file storage. Nothing is
// stored when the file is refused.
func (s *Service) store(ctx context.Context, vendorID string, f *upload.File, field string) (File, error) {
	if s.o.Files == nil || s.o.Checker == nil {
		return File{}, errs.E(errs.Unavailable, "File storage is not configured.")
	}
	if err := s.o.Checker.Check(ctx, f, field, EvidenceTypes()...); err != nil {
		return File{}, err
	}
	r, err := f.Open()
	if err != nil {
		return File{}, fmt.Errorf("open spooled upload: %w", err)
	}
	defer r.Close()
	obj, err := s.o.Files.Put(ctx, "vendors/"+vendorID+"/evidence/"+newID(), r, f.Size, blob.PutOptions{ContentType: f.ContentType})
	if err != nil {
		return File{}, err
	}
	if obj.SHA256 != f.SHA256 {
		return File{}, errs.E(errs.Internal, "The file changed while it was stored; upload it again.")
	}
	return File{Key: obj.Key, VersionID: obj.VersionID, SHA256: obj.SHA256, Name: f.Name, ContentType: f.ContentType,
		Size: obj.Size, Pages: f.Pages, Encrypted: f.Encrypted}, nil
}

// UploadEvidence attaches a vendor's file to a question through the link.
// The file's id joins the answer of a file question.
func (s *Service) UploadEvidence(ctx context.Context, token, question string, in EvidenceInput, f *upload.File) (Evidence, error) {
	a, err := s.OpenLink(ctx, token)
	if err != nil {
		return Evidence{}, err
	}
	if !a.State.Open() {
		return Evidence{}, errs.E(errs.Conflict, "These answers were submitted; files can no longer be added.")
	}
	t, err := s.catalog.get(ctx, a.Template)
	if err != nil {
		return Evidence{}, err
	}
	q, ok := t.Question(question)
	if !ok || (q.Type != questionnaire.File && !q.Evidence) {
		return Evidence{}, errs.Field("question", "This question takes no files.")
	}
	if err := in.check(f); err != nil {
		return Evidence{}, err
	}
	ctx = vendorContext(ctx, a)
	file, err := s.store(ctx, a.VendorID, f, "file")
	if err != nil {
		return Evidence{}, err
	}
	e := Evidence{ID: newID(), Domain: a.Domain, VendorID: a.VendorID, VendorName: a.VendorName, AssessmentID: a.ID, Question: question,
		Kind: in.Kind, Title: in.Title, PeriodStart: in.PeriodStart, PeriodEnd: in.PeriodEnd, Expires: in.Expires,
		File: file, UploadedBy: a.Contact.Name + " <" + a.Contact.Email + ">", UploadedAt: s.now(), Version: 1}
	if err := s.evidence.Insert(ctx, e); err != nil {
		return Evidence{}, err
	}
	// The check and the upload took a while: the file counts only if the
	// answers are still open now, which one conditional update of the
	// assessment settles (a submission racing it conflicts and retries).
	if err := s.attach(ctx, token, q, e.ID); err != nil {
		if _, rerr := s.evidence.Update(ctx, bson.M{"_id": e.ID}, bson.M{"$set": bson.M{"removed": true}}); rerr != nil {
			return Evidence{}, rerr
		}
		return Evidence{}, err
	}
	return e, s.record(ctx, "evidence.upload", "assessment", a.Domain, a.ID, map[string]string{
		"evidence": e.ID, "question": question, "sha256": file.SHA256, "size": fmt.Sprint(file.Size)})
}

// attach records a new file on the assessment while its answers are open:
// a file question's answer lists it; any other question's answer is left
// as it is.
func (s *Service) attach(ctx context.Context, token string, q *questionnaire.Question, id string) error {
	for attempt := 0; ; attempt++ {
		a, err := s.OpenLink(ctx, token)
		if err != nil {
			return err
		}
		if !a.State.Open() {
			return errs.E(errs.Conflict, "These answers were submitted while the file was checked; it was not added.")
		}
		now := s.now()
		set := bson.M{"state": InProgress, "updated_at": now}
		if q.Type == questionnaire.File {
			ans := a.Answers[q.ID]
			ans.Values = append(append([]string(nil), ans.Values...), id)
			ans.SavedAt, ans.Prefilled = now, false
			set["answers."+q.ID] = ans
		}
		err = s.assessments.UpdateVersion(ctx, a.ID, a.Version, bson.M{"$set": set})
		if errs.Is(err, errs.Conflict) && attempt < 10 {
			continue
		}
		return err
	}
}

// RemoveEvidence takes a vendor's attachment off before submission. The
// stored file stays (file storage keeps every version); the record is
// marked removed.
func (s *Service) RemoveEvidence(ctx context.Context, token, id string) error {
	a, err := s.OpenLink(ctx, token)
	if err != nil {
		return err
	}
	if !a.State.Open() {
		return errs.E(errs.Conflict, "These answers were submitted; files can no longer be removed.")
	}
	e, err := s.Evidence(ctx, a.Domain, id)
	if err != nil || e.AssessmentID != a.ID || e.Removed {
		return errs.E(errs.NotFound, "No such file.")
	}
	ctx = vendorContext(ctx, a)
	t, err := s.catalog.get(ctx, a.Template)
	if err != nil {
		return err
	}
	// A file question's answer lists its files: take the file off the
	// answer first (refused once the answers are submitted), then mark it.
	if q, ok := t.Question(e.Question); ok && q.Type == questionnaire.File {
		ans := a.Answers[e.Question]
		keep := []string{}
		for _, v := range ans.Values {
			if v != id {
				keep = append(keep, v)
			}
		}
		if _, err := s.SaveAnswers(ctx, token, map[string]AnswerInput{e.Question: {Values: keep, Comment: ans.Comment}}); err != nil {
			return err
		}
	}
	if err := s.evidence.UpdateVersion(ctx, e.ID, e.Version, bson.M{"$set": bson.M{"removed": true}}); err != nil {
		return err
	}
	return s.record(ctx, "evidence.remove", "assessment", a.Domain, a.ID, map[string]string{"evidence": e.ID})
}

// AddEvidence files evidence on a vendor's record, from a staff member.
func (s *Service) AddEvidence(ctx context.Context, domain, vendorID string, in EvidenceInput, f *upload.File) (Evidence, error) {
	v, err := s.o.Vendors.Get(ctx, domain, vendorID)
	if err != nil {
		return Evidence{}, err
	}
	if err := in.check(f); err != nil {
		return Evidence{}, err
	}
	file, err := s.store(ctx, v.ID, f, "file")
	if err != nil {
		return Evidence{}, err
	}
	actor := audit.ActorFrom(ctx)
	e := Evidence{ID: newID(), Domain: domain, VendorID: v.ID, VendorName: v.LegalName, Kind: in.Kind, Title: in.Title,
		PeriodStart: in.PeriodStart, PeriodEnd: in.PeriodEnd, Expires: in.Expires, File: file,
		UploadedBy: actor.Name, UploadedAt: s.now(), Version: 1}
	if err := s.evidence.Insert(ctx, e); err != nil {
		return Evidence{}, err
	}
	return e, s.record(ctx, "evidence.upload", "vendor", domain, v.ID, map[string]string{
		"evidence": e.ID, "kind": e.Kind, "sha256": file.SHA256, "size": fmt.Sprint(file.Size)})
}

// UpdateEvidence sets what a file is and how long it holds, for a staff
// member classifying a vendor's upload.
func (s *Service) UpdateEvidence(ctx context.Context, domain, id string, version int64, in EvidenceInput) (Evidence, error) {
	e, err := s.Evidence(ctx, domain, id)
	if err != nil {
		return e, err
	}
	if in.Title == "" {
		in.Title = e.Title
	}
	if err := in.check(nil); err != nil {
		return e, err
	}
	if err := s.evidence.UpdateVersion(ctx, e.ID, version, bson.M{"$set": bson.M{
		"kind": in.Kind, "title": in.Title, "period_start": in.PeriodStart, "period_end": in.PeriodEnd, "expires": in.Expires}}); err != nil {
		return e, err
	}
	e.Kind, e.Title, e.PeriodStart, e.PeriodEnd, e.Expires, e.Version = in.Kind, in.Title, in.PeriodStart, in.PeriodEnd, in.Expires, e.Version+1
	details := map[string]string{"evidence": e.ID, "kind": e.Kind}
	if e.Expires != nil {
		details["expires"] = e.Expires.Format(time.DateOnly)
	}
	return e, s.record(ctx, "evidence.update", "vendor", domain, e.VendorID, details)
}

// Evidence returns one evidence record.
func (s *Service) Evidence(ctx context.Context, domain, id string) (Evidence, error) {
	var e Evidence
	if err := s.evidence.Get(ctx, bson.M{"_id": id}, &e); err != nil || e.Domain != domain {
		if err == nil || errs.Is(err, errs.NotFound) {
			return Evidence{}, errs.E(errs.NotFound, "No such evidence.")
		}
		return Evidence{}, err
	}
	return e, nil
}

// EvidenceFor lists a vendor's evidence, newest first.
func (s *Service) EvidenceFor(ctx context.Context, domain, vendorID string) ([]Evidence, error) {
	var out []Evidence
	err := s.evidence.Find(ctx, bson.M{"domain": domain, "vendor_id": vendorID, "removed": bson.M{"$ne": true}}, &out,
		options.Find().SetSort(bson.D{{Key: "uploaded_at", Value: -1}, {Key: "_id", Value: -1}}))
	return out, err
}

// Expiring lists a domain's evidence that expires within the next 60 days
// or has expired, soonest first.
func (s *Service) Expiring(ctx context.Context, domain string) ([]Evidence, error) {
	var out []Evidence
	err := s.evidence.Find(ctx, bson.M{"domain": domain, "removed": bson.M{"$ne": true},
		"expires": bson.M{"$lt": s.now().Add(expiryAhead)}}, &out,
		options.Find().SetSort(bson.D{{Key: "expires", Value: 1}, {Key: "_id", Value: 1}}))
	return out, err
}

// evidenceByQuestion returns an assessment's attachments by question.
func (s *Service) evidenceByQuestion(ctx context.Context, assessmentID string) (map[string][]Evidence, error) {
	var list []Evidence
	if err := s.evidence.Find(ctx, bson.M{"assessment_id": assessmentID, "removed": bson.M{"$ne": true}}, &list,
		options.Find().SetSort(bson.D{{Key: "uploaded_at", Value: 1}, {Key: "_id", Value: 1}})); err != nil {
		return nil, err
	}
	out := map[string][]Evidence{}
	for _, e := range list {
		out[e.Question] = append(out[e.Question], e)
	}
	return out, nil
}

// OpenEvidence reads an evidence file for a staff member; the read is
// verified against the stored SHA-256 and audited.
func (s *Service) OpenEvidence(ctx context.Context, domain, id string) (Evidence, *blob.Reader, error) {
	e, err := s.Evidence(ctx, domain, id)
	if err != nil {
		return e, nil, err
	}
	if s.o.Files == nil {
		return e, nil, errs.E(errs.Unavailable, "File storage is not configured.")
	}
	r, err := s.o.Files.Get(ctx, e.File.Key, e.File.VersionID, e.File.SHA256)
	if err != nil {
		return e, nil, err
	}
	object := "vendor"
	objectID := e.VendorID
	if e.AssessmentID != "" {
		object, objectID = "assessment", e.AssessmentID
	}
	if err := s.record(ctx, "evidence.download", object, domain, objectID, map[string]string{
		"evidence": e.ID, "sha256": e.File.SHA256}); err != nil {
		r.Close()
		return e, nil, err
	}
	return e, r, nil
}
