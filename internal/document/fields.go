package document

import (
	"regexp"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"dossier/internal/errs"
	"dossier/internal/field"
	"dossier/internal/questionnaire"
)

// Fields are a document's editable register fields.
type Fields struct {
	Number          string         `json:"number"`
	Title           string         `json:"title"`
	Type            Type           `json:"type"`
	Source          string         `json:"source"`           // external documents: the publisher or origin
	ExternalVersion string         `json:"external_version"` // external documents
	Owner           string         `json:"owner"`
	Classification  Classification `json:"classification"`
	Clauses         []string       `json:"clauses"`
	Controls        []string       `json:"controls"`
	ReviewMonths    int            `json:"review_months"` // 0: DefaultReviewMonths
	Approval        ApprovalRule   `json:"approval"`
	Audiences       Audiences      `json:"audiences"`
}

// Limits.
const (
	DefaultReviewMonths = 12
	MaxReviewMonths     = 60
	MaxTitle            = 200
	MaxNumber           = 40
	MaxSource           = 200
	MaxList             = 100 // clauses, controls, approvers, roles, users
	MaxSummary          = 4000
	MaxComment          = 8000
	MaxReason           = 1000
	MaxMarkdown         = 1 << 20
	maxID               = 64
	DefaultPerPage      = 25
	MaxPerPage          = 100
)

// Fields returns the document's editable fields, to fill an edit form.
func (d Document) Fields() Fields {
	return Fields{Number: d.Number, Title: d.Title, Type: d.Type, Source: d.Source, ExternalVersion: d.ExternalVersion,
		Owner: d.Owner, Classification: d.Classification, Clauses: slices.Clone(d.Clauses), Controls: slices.Clone(d.Controls),
		ReviewMonths: d.ReviewMonths, Approval: d.Approval, Audiences: d.Audiences}
}

func (d *Document) apply(f Fields) {
	d.Number, d.Title, d.Type, d.Source, d.ExternalVersion = f.Number, f.Title, f.Type, f.Source, f.ExternalVersion
	d.Owner, d.Classification, d.Clauses, d.Controls = f.Owner, f.Classification, f.Clauses, f.Controls
	d.ReviewMonths, d.Approval, d.Audiences = f.ReviewMonths, f.Approval, f.Audiences
}

// checker is the shared field checker with the two checks this package
// adds: required free text, and lists of ids.
type checker struct{ field.Checker }

func (c *checker) add(name, format string, args ...any) { c.Add(name, format, args...) }

func (c *checker) err() error { return c.Err() }

func (c *checker) line(name, label, s string, max int, required bool) string {
	return c.Line(name, label, s, max, required)
}

// text cleans free text: line breaks kept, other control characters
// refused; required refuses an empty one.
func (c *checker) text(name, label, s string, max int, required bool) string {
	s = c.Text(name, label, s, max)
	if required && s == "" {
		c.Add(name, "Enter %s.", strings.ToLower(label[:1])+label[1:])
	}
	return s
}

// ids cleans a list of identifiers: trimmed, empty ones dropped, no
// duplicates, order kept.
func (c *checker) ids(field, label string, in []string) []string {
	out := []string{}
	for _, s := range in {
		s = strings.TrimSpace(s)
		switch {
		case s == "":
			continue
		case len(s) > maxID || !utf8.ValidString(s) || strings.IndexFunc(s, unicode.IsControl) >= 0:
			c.add(field, "%q is not a valid %s.", s, label)
		case !slices.Contains(out, s):
			out = append(out, s)
		}
	}
	if len(out) > MaxList {
		c.add(field, "At most %d %ss.", MaxList, label)
	}
	return out
}

var (
	numberRe = regexp.MustCompile(`^[A-Z0-9][A-Z0-9._/-]*$`)
	clauseRe = regexp.MustCompile(`^([4-9]|10)(\.[1-9][0-9]?){0,2}$`)
)

// NormalizeNumber is a document number as stored: trimmed, upper case.
func NormalizeNumber(s string) string { return strings.ToUpper(strings.TrimSpace(s)) }

// NormalizeControl reads an Annex A control id as "A.5.1": "5.1",
// "a.5.1" and "A 5.1" are the same control. ok is false when there is no
// such control in ISO/IEC 27001:2022 Annex A.
func NormalizeControl(s string) (string, bool) {
	s = strings.ToUpper(strings.TrimSpace(s))
	s = strings.TrimPrefix(strings.TrimPrefix(s, "A"), ".")
	s = strings.TrimSpace(s)
	if _, ok := questionnaire.ControlName(s); !ok {
		return "", false
	}
	return "A." + s, true
}

// clean checks f, adding every problem to c, and returns it tidied.
func clean(c *checker, f Fields) Fields {
	f.Number = NormalizeNumber(f.Number)
	switch {
	case f.Number == "":
		c.add("number", "Enter the document number, such as ISMS-POL-001.")
	case len(f.Number) > MaxNumber || !numberRe.MatchString(f.Number):
		c.add("number", "A document number is letters, digits and . - _ / (at most %d), such as ISMS-POL-001.", MaxNumber)
	}
	f.Title = c.line("title", "The title", f.Title, MaxTitle, true)
	f.Type = Type(strings.ToLower(strings.TrimSpace(string(f.Type))))
	if !slices.Contains(Types(), f.Type) {
		c.add("type", "The type is one of policy, procedure, standard, guideline, form, record or external.")
	}
	f.Source = c.line("source", "The source", f.Source, MaxSource, false)
	f.ExternalVersion = c.line("external_version", "The external version", f.ExternalVersion, MaxSource, false)
	if f.Type == External {
		if f.Source == "" {
			c.add("source", "Name the source of the external document (publisher, regulator, vendor).")
		}
		if f.ExternalVersion == "" {
			c.add("external_version", "Give the version or date of the external document.")
		}
	} else {
		f.Source, f.ExternalVersion = "", ""
	}
	switch f.Owner = strings.TrimSpace(f.Owner); {
	case f.Owner == "":
		c.add("owner", "Name the document's owner.")
	case len(f.Owner) > maxID:
		c.add("owner", "There is no such user.")
	}
	f.Classification = Classification(strings.ToLower(strings.TrimSpace(string(f.Classification))))
	if f.Classification == "" {
		f.Classification = Internal
	}
	if !slices.Contains(Classifications(), f.Classification) {
		c.add("classification", "The classification is public, internal, confidential or restricted.")
	}
	clauses := []string{}
	for _, cl := range f.Clauses {
		if cl = strings.TrimSpace(cl); cl == "" {
			continue
		}
		if !clauseRe.MatchString(cl) {
			c.add("clauses", "%q is not an ISO 27001:2022 clause (4 to 10, such as 7.5.3).", cl)
		} else if !slices.Contains(clauses, cl) {
			clauses = append(clauses, cl)
		}
	}
	slices.SortFunc(clauses, compareDotted)
	f.Clauses = clauses
	controls := []string{}
	for _, ct := range f.Controls {
		if strings.TrimSpace(ct) == "" {
			continue
		}
		id, ok := NormalizeControl(ct)
		if !ok {
			c.add("controls", "%q is not an ISO/IEC 27001:2022 Annex A control (A.5.1 to A.8.34).", strings.TrimSpace(ct))
		} else if !slices.Contains(controls, id) {
			controls = append(controls, id)
		}
	}
	slices.SortFunc(controls, func(a, b string) int { return compareDotted(a[2:], b[2:]) })
	f.Controls = controls
	if len(f.Clauses) > MaxList || len(f.Controls) > MaxList {
		c.add("controls", "At most %d clauses and %d controls.", MaxList, MaxList)
	}
	if f.ReviewMonths == 0 {
		f.ReviewMonths = DefaultReviewMonths
	}
	if f.ReviewMonths < 1 || f.ReviewMonths > MaxReviewMonths {
		c.add("review_months", "The review interval is 1 to %d months.", MaxReviewMonths)
	}
	f.Approval.Approvers = c.ids("approval.approvers", "approver", f.Approval.Approvers)
	f.Approval.Roles = c.ids("approval.roles", "role", f.Approval.Roles)
	eligible := len(f.Approval.Approvers) + len(f.Approval.Roles)
	switch {
	case eligible == 0:
		c.add("approval", "Name the approvers, or the roles whose holders approve.")
	case f.Approval.Required < 0:
		c.add("approval.required", "The number of approvals needed is 0 (all of them) or more.")
	case f.Approval.Required > 0 && len(f.Approval.Roles) == 0 && f.Approval.Required > len(f.Approval.Approvers):
		c.add("approval.required", "%d approvals are needed but only %d approvers are named.", f.Approval.Required, len(f.Approval.Approvers))
	case f.Approval.Required > MaxList:
		c.add("approval.required", "At most %d approvals.", MaxList)
	}
	if f.Owner != "" && f.Approval.Required == 0 && slices.Contains(f.Approval.Approvers, f.Owner) && len(f.Approval.Approvers) == 1 && len(f.Approval.Roles) == 0 {
		c.add("approval.approvers", "The owner is the only approver; the author of a revision cannot approve it, so name another approver too.")
	}
	f.Audiences.Roles = c.ids("audiences.roles", "role", f.Audiences.Roles)
	f.Audiences.Users = c.ids("audiences.users", "user", f.Audiences.Users)
	return f
}

// compareDotted orders dotted numbers numerically: 5.2 before 5.10.
func compareDotted(a, b string) int {
	as, bs := strings.Split(a, "."), strings.Split(b, ".")
	for i := 0; i < len(as) && i < len(bs); i++ {
		x, _ := strconv.Atoi(as[i])
		y, _ := strconv.Atoi(bs[i])
		if x != y {
			return x - y
		}
	}
	return len(as) - len(bs)
}

func checkDomain(domain string) error {
	if domain == "" || len(domain) > 128 || strings.ContainsAny(domain, "|\x00") || !utf8.ValidString(domain) {
		return errs.E(errs.Invalid, "A domain must be a hospital id.")
	}
	return nil
}
