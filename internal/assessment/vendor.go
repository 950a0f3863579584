package assessment

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"sort"
	"strings"
	"unicode/utf8"

	"go.mongodb.org/mongo-driver/bson"

	"dossier/internal/audit"
	"dossier/internal/errs"
	"dossier/internal/questionnaire"
)

// notFoundLink is the one answer for unknown, expired and revoked links,
// so a guess learns nothing.
func notFoundLink() error {
	return errs.E(errs.NotFound, "This questionnaire link is not valid. It may have expired or been replaced; ask your contact at the hospital for a new one.")
}

// maxComment is the longest comment a vendor may add to an answer.
const maxComment = 4000

// OpenLink returns the assessment a vendor's link opens. Unknown, expired
// and revoked links, and links of cancelled assessments, are all the same
// not-found error.
func (s *Service) OpenLink(ctx context.Context, token string) (Assessment, error) {
	if len(token) != 43 {
		return Assessment{}, notFoundLink()
	}
	hash := hashToken(token)
	id, err := s.linkTarget(ctx, hash)
	if err != nil {
		return Assessment{}, err
	}
	var a Assessment
	if err := s.assessments.Get(ctx, bson.M{"_id": id}, &a); err != nil {
		if errs.Is(err, errs.NotFound) {
			return Assessment{}, notFoundLink()
		}
		return Assessment{}, err
	}
	if a.Link.Hash != hash || !a.Link.Active(s.now()) || a.State == Cancelled {
		return Assessment{}, notFoundLink()
	}
	return a, nil
}

// linkTarget returns the assessment a link hash belongs to. The mapping
// never changes once made (whether the link still works is on the
// assessment), so it is cached; the cache is bounded by starting afresh
// when full.
func (s *Service) linkTarget(ctx context.Context, hash string) (string, error) {
	s.linkMu.Lock()
	id, ok := s.linkIDs[hash]
	s.linkMu.Unlock()
	if ok {
		return id, nil
	}
	var l linkDoc
	if err := s.links.Get(ctx, bson.M{"_id": hash}, &l); err != nil {
		if errs.Is(err, errs.NotFound) {
			return "", notFoundLink()
		}
		return "", err
	}
	s.linkMu.Lock()
	if len(s.linkIDs) >= maxCachedLinks {
		s.linkIDs = map[string]string{}
	}
	s.linkIDs[hash] = l.AssessmentID
	s.linkMu.Unlock()
	return l.AssessmentID, nil
}

// maxCachedLinks bounds the link cache (about 150 bytes an entry).
const maxCachedLinks = 20000

// vendorContext records the vendor's contact as the actor, keeping the
// client address the HTTP layer put there.
func vendorContext(ctx context.Context, a Assessment) context.Context {
	actor := audit.ActorFrom(ctx)
	return audit.WithActor(ctx, audit.Actor{ID: "link:" + a.ID, Name: a.Contact.Email, IP: actor.IP})
}

// AnswerInput is one answer as a vendor sends it.
type AnswerInput struct {
	Values  []string `json:"values"`
	Comment string   `json:"comment"`
	// Was is the Fingerprint of the answer as the vendor's page showed it.
	// A page that saves a whole section sends it, so answers the vendor
	// did not touch on that page are left as they are (another tab may
	// have changed them meanwhile). Empty: always save.
	Was string `json:"was,omitempty"`
}

// Fingerprint identifies an answer's content, for AnswerInput.Was.
func Fingerprint(a Answer) string {
	h := sha256.New()
	for _, v := range a.Values {
		fmt.Fprintf(h, "%d:%s;", len(v), v)
	}
	fmt.Fprintf(h, "|%s", a.Comment)
	return hex.EncodeToString(h.Sum(nil))[:16]
}

// Progress is where the vendor stands after a save.
type Progress struct {
	Answered int      `json:"answered"`
	Total    int      `json:"total"`
	Visible  []string `json:"visible"` // the questions shown now, in order
	Version  int64    `json:"version"`
	// Assessment is the assessment as saved, so a caller need not read it
	// again.
	Assessment Assessment `json:"-"`
}

func progress(t *questionnaire.Template, a Assessment) Progress {
	vals := a.Values()
	answered, total := t.Progress(vals)
	p := Progress{Answered: answered, Total: total, Version: a.Version, Visible: []string{}, Assessment: a}
	for _, q := range t.Visible(vals) {
		p.Visible = append(p.Visible, q.ID)
	}
	return p
}

// SaveAnswer saves one answer through a vendor's link. Empty values clear
// the answer. Answers to other questions are never touched.
func (s *Service) SaveAnswer(ctx context.Context, token, question string, in AnswerInput) (Progress, error) {
	in.Was = ""
	return s.SaveAnswers(ctx, token, map[string]AnswerInput{question: in})
}

// SaveAnswers saves several answers through a vendor's link, each on its
// own: valid answers are saved even when others are not, and the problems
// come back as errs.FieldErrors keyed by question id. An input whose Was
// equals the fingerprint of the input itself was not touched on the
// vendor's page and is left alone, whatever is stored now. A file
// question's input with nil Values keeps its files.
func (s *Service) SaveAnswers(ctx context.Context, token string, in map[string]AnswerInput) (Progress, error) {
	for attempt := 0; ; attempt++ {
		a, err := s.OpenLink(ctx, token)
		if err != nil {
			return Progress{}, err
		}
		if !a.State.Open() {
			return Progress{}, errs.E(errs.Conflict, "These answers were submitted on %s and can no longer be changed.", a.SubmittedAt.Format("2 January 2006"))
		}
		t, err := s.catalog.get(ctx, a.Template)
		if err != nil {
			return Progress{}, err
		}
		set, problems := s.changes(t, a, in)
		if len(set) == 0 {
			if len(problems) > 0 {
				return progress(t, a), problems
			}
			return progress(t, a), nil
		}
		now := s.now()
		update := bson.M{"updated_at": now, "state": InProgress}
		unset := bson.M{}
		for q, ans := range set {
			ans.SavedAt = now
			update["answers."+q] = ans
			a.Answers[q] = ans
			if _, reviewed := a.Reviews[q]; reviewed {
				unset["reviews."+q] = "" // a changed answer is reviewed again
				delete(a.Reviews, q)
			}
		}
		change := bson.M{"$set": update}
		if len(unset) > 0 {
			change["$unset"] = unset
		}
		err = s.assessments.UpdateVersion(ctx, a.ID, a.Version, change)
		if errs.Is(err, errs.Conflict) && attempt < 10 {
			continue // another tab saved meanwhile: apply ours to theirs
		}
		if err != nil {
			return Progress{}, err
		}
		a.Version++
		a.State = InProgress
		qs := make([]string, 0, len(set))
		for q := range set {
			qs = append(qs, q)
		}
		sort.Strings(qs)
		if err := s.record(vendorContext(ctx, a), "assessment.answer", "assessment", a.Domain, a.ID,
			map[string]string{"questions": strings.Join(qs, " ")}); err != nil {
			return Progress{}, err
		}
		if len(problems) > 0 {
			return progress(t, a), problems
		}
		return progress(t, a), nil
	}
}

// changes checks the inputs against the template and returns the answers
// to store, by question, and the problems with the others.
func (s *Service) changes(t *questionnaire.Template, a Assessment, in map[string]AnswerInput) (map[string]Answer, errs.FieldErrors) {
	set := map[string]Answer{}
	var problems errs.FieldErrors
	fail := func(q, format string, args ...any) {
		problems = append(problems, &errs.Error{Code: errs.Invalid, Field: q, Message: fmt.Sprintf(format, args...)})
	}
	ids := make([]string, 0, len(in))
	for q := range in {
		ids = append(ids, q)
	}
	sort.Strings(ids)
	for _, id := range ids {
		input := in[id]
		q, ok := t.Question(id)
		if !ok {
			fail(id, "There is no question %q in this questionnaire.", id)
			continue
		}
		old := a.Answers[id]
		comment := strings.TrimSpace(strings.ReplaceAll(input.Comment, "\r\n", "\n"))
		if utf8.RuneCountInString(comment) > maxComment || strings.ContainsRune(comment, 0) {
			fail(id, "The comment is too long (%d characters at most).", maxComment)
			continue
		}
		values := make([]string, 0, len(input.Values))
		for _, v := range input.Values {
			if v = strings.ReplaceAll(v, "\r\n", "\n"); strings.TrimSpace(v) != "" {
				values = append(values, v)
			}
		}
		if q.Type == questionnaire.File {
			// Files are attached by upload; an answer can only keep or
			// drop files already attached, and one that names none (a
			// comment saved alone) keeps them all.
			if input.Values == nil {
				values = old.Values
			} else {
				values = keepKnown(old.Values, values)
			}
		}
		vals, err := q.Normalize(values)
		if err != nil {
			problems = append(problems, &errs.Error{Code: errs.Invalid, Field: id, Message: errs.Message(err)})
			continue
		}
		if input.Was != "" && input.Was == Fingerprint(Answer{Values: vals, Comment: comment}) {
			continue // untouched on the vendor's page: keep what is stored now
		}
		set[id] = Answer{Values: vals, Comment: comment}
	}
	return set, problems
}

// keepKnown keeps only file ids already attached: a vendor can detach a
// file through the answer but attaches one only by uploading it.
func keepKnown(have, want []string) []string {
	known := map[string]bool{}
	for _, id := range have {
		known[id] = true
	}
	var out []string
	for _, id := range want {
		if known[id] {
			out = append(out, id)
		}
	}
	return out
}

// Confirm marks prefilled answers as the vendor's own: they were copied
// from the last assessment and the vendor says they still hold.
func (s *Service) Confirm(ctx context.Context, token string, questions []string) (Progress, error) {
	for attempt := 0; ; attempt++ {
		a, err := s.OpenLink(ctx, token)
		if err != nil {
			return Progress{}, err
		}
		if !a.State.Open() {
			return Progress{}, errs.E(errs.Conflict, "These answers were submitted and can no longer be changed.")
		}
		t, err := s.catalog.get(ctx, a.Template)
		if err != nil {
			return Progress{}, err
		}
		set := bson.M{}
		for _, q := range questions {
			if ans, ok := a.Answers[q]; ok && ans.Prefilled {
				set["answers."+q+".prefilled"] = false
				ans.Prefilled = false
				a.Answers[q] = ans
			}
		}
		if len(set) == 0 {
			return progress(t, a), nil
		}
		set["updated_at"] = s.now()
		set["state"] = InProgress
		err = s.assessments.UpdateVersion(ctx, a.ID, a.Version, bson.M{"$set": set})
		if errs.Is(err, errs.Conflict) && attempt < 10 {
			continue
		}
		if err != nil {
			return Progress{}, err
		}
		a.Version++
		if err := s.record(vendorContext(ctx, a), "assessment.confirm", "assessment", a.Domain, a.ID,
			map[string]string{"questions": fmt.Sprint(len(set) - 2)}); err != nil {
			return Progress{}, err
		}
		return progress(t, a), nil
	}
}

// Missing is one reason a questionnaire cannot be submitted yet.
type Missing struct {
	Question string `json:"question"`
	Section  string `json:"section"`
	Text     string `json:"text"`
	Reason   string `json:"reason"`
}

// MissingError lists what stops a submission. It is invalid input.
type MissingError struct{ Items []Missing }

func (e *MissingError) Error() string {
	return fmt.Sprintf("invalid: %d questions still need an answer", len(e.Items))
}

// Unwrap makes errs.Code report invalid input with a readable message.
func (e *MissingError) Unwrap() error {
	n := len(e.Items)
	if n == 1 {
		return errs.E(errs.Invalid, "One question still needs your attention before you can submit.")
	}
	return errs.E(errs.Invalid, "%d questions still need your attention before you can submit.", n)
}

// ByField gives each missing question's reason, for forms and the API.
func (e *MissingError) ByField() map[string]string {
	m := map[string]string{}
	for _, it := range e.Items {
		m[it.Question] = it.Reason
	}
	return m
}

// Check lists what still stops the vendor from submitting: required
// questions shown and unanswered, answers that need evidence and have
// none, and prefilled answers not yet confirmed.
func (s *Service) Check(ctx context.Context, a Assessment) ([]Missing, error) {
	t, err := s.catalog.get(ctx, a.Template)
	if err != nil {
		return nil, err
	}
	have, err := s.evidenceByQuestion(ctx, a.ID)
	if err != nil {
		return nil, err
	}
	vals := a.Values()
	var out []Missing
	for _, sec := range t.Sections {
		for i := range sec.Questions {
			q := &sec.Questions[i]
			if !q.Shown(vals) {
				continue
			}
			ans, answered := vals[q.ID]
			reason := ""
			switch {
			case !answered && q.Required:
				reason = "Answer this question."
			case answered && a.Answers[q.ID].Prefilled:
				reason = "Confirm or change the answer copied from your last questionnaire."
			case answered && questionnaire.NeedsEvidence(q, ans) && len(have[q.ID]) == 0:
				reason = "Upload the evidence this answer needs."
			}
			if reason != "" {
				out = append(out, Missing{Question: q.ID, Section: sec.Title, Text: q.Text, Reason: reason})
			}
		}
	}
	return out, nil
}

// Submit hands the answers to the hospital: nothing is left unanswered,
// and from now on the answers are read-only.
func (s *Service) Submit(ctx context.Context, token string) (Assessment, error) {
	for attempt := 0; ; attempt++ {
		a, err := s.OpenLink(ctx, token)
		if err != nil {
			return a, err
		}
		if !a.State.Open() {
			return a, errs.E(errs.Conflict, "These answers were already submitted on %s.", a.SubmittedAt.Format("2 January 2006"))
		}
		missing, err := s.Check(ctx, a)
		if err != nil {
			return a, err
		}
		if len(missing) > 0 {
			return a, &MissingError{Items: missing}
		}
		card, err := s.Scorecard(ctx, a)
		if err != nil {
			return a, err
		}
		now := s.now()
		score := card.Result.Score
		err = s.assessments.UpdateVersion(ctx, a.ID, a.Version, bson.M{"$set": bson.M{
			"state": Submitted, "submitted_at": now, "updated_at": now, "score": score, "flags": card.Count, "returned": ""}})
		if errs.Is(err, errs.Conflict) && attempt < 10 {
			continue
		}
		if err != nil {
			return a, err
		}
		a.State, a.SubmittedAt, a.UpdatedAt, a.Score, a.Flags, a.Returned, a.Version = Submitted, now, now, &score, card.Count, "", a.Version+1
		return a, s.record(vendorContext(ctx, a), "assessment.submit", "assessment", a.Domain, a.ID,
			map[string]string{"score": fmt.Sprint(score)})
	}
}
