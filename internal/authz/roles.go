package authz

import "strings"

// Built-in role names. A user holds roles per domain (hospital).
const (
	RoleAdmin              = "admin"
	RoleProcurement        = "procurement"
	RoleSecurityReviewer   = "security_reviewer"
	RoleLegal              = "legal"
	RoleDocumentController = "document_controller"
	RoleApprover           = "approver"
	RoleStaff              = "staff"
	RoleAuditor            = "auditor"
)

// Role is a built-in role and what it grants.
type Role struct {
	Name        string // as stored and typed: "security_reviewer"
	Label       string // as shown: "Security reviewer"
	Description string // who holds it, in one sentence
	Grants      []Permission
}

// Permission is what a role may do to every object of one class.
type Permission struct {
	Class   string
	Actions []string
}

// builtins is the one table of built-in roles: Migrate seeds the policy from
// it and RoleTable renders it for the README. Least privilege: state rules
// ("staff see only effective revisions", "an author never approves their
// own revision") are the domain packages' job.
func builtins() []Role {
	return []Role{
		{Name: RoleAdmin, Label: "Administrator",
			Description: "Manages people and permissions. Holds no vendor, contract or document rights by default; giving itself a role is audited.",
			Grants: []Permission{
				{ClassUser, []string{View, Manage}},
				{ClassGrant, []string{View, Manage}},
				{ClassAudit, []string{View}},
			}},
		{Name: RoleProcurement, Label: "Procurement",
			Description: "Onboards vendors and keeps the supplier register; uploads contract drafts.",
			Grants: []Permission{
				{ClassVendor, []string{View, Edit}},
				{ClassAssessment, []string{View, Edit}},
				{ClassContract, []string{View, Edit}},
				{ClassDocument, []string{View, Acknowledge}},
			}},
		{Name: RoleSecurityReviewer, Label: "Security reviewer",
			Description: "Scores assessments, raises findings, sets residual risk and approves onboarding.",
			Grants: []Permission{
				{ClassVendor, []string{View, Approve}},
				{ClassAssessment, []string{View, Edit, Review}},
				{ClassContract, []string{View}},
				{ClassDocument, []string{View, Acknowledge}},
			}},
		{Name: RoleLegal, Label: "Legal",
			Description: "Keeps contracts and BAAs, their expiry and notice periods.",
			Grants: []Permission{
				{ClassVendor, []string{View}},
				{ClassContract, []string{View, Edit, Manage}},
				{ClassDocument, []string{View, Acknowledge}},
			}},
		{Name: RoleDocumentController, Label: "Document controller",
			Description: "Takes policy revisions through review and approval to publication, retires them, runs acknowledgement campaigns.",
			Grants: []Permission{
				{ClassDocument, []string{View, Revise, Publish, Retire, Manage, Acknowledge}},
			}},
		{Name: RoleApprover, Label: "Approver",
			Description: "CISO or department head: reviews and approves document revisions; signs acceptances of high vendor risk.",
			Grants: []Permission{
				{ClassVendor, []string{View}},
				{ClassAssessment, []string{View, Approve}},
				{ClassDocument, []string{View, Review, Approve, Acknowledge}},
			}},
		{Name: RoleStaff, Label: "Staff",
			Description: "Reads the policies in effect and acknowledges them.",
			Grants: []Permission{
				{ClassDocument, []string{View, Acknowledge}},
			}},
		{Name: RoleAuditor, Label: "Auditor",
			Description: "Reads everything, changes nothing, exports evidence.",
			Grants: []Permission{
				{ClassVendor, []string{View}},
				{ClassAssessment, []string{View}},
				{ClassContract, []string{View}},
				{ClassDocument, []string{View}},
				{ClassUser, []string{View}},
				{ClassGrant, []string{View}},
				{ClassAudit, []string{View, Export}},
			}},
	}
}

// BuiltinRoles returns the built-in roles in display order. The slice is the
// caller's own.
func BuiltinRoles() []Role { return builtins() }

func builtinRole(name string) (Role, bool) {
	for _, r := range builtins() {
		if r.Name == name {
			return r, true
		}
	}
	return Role{}, false
}

func roleNames() []string {
	var names []string
	for _, r := range builtins() {
		names = append(names, r.Name)
	}
	return names
}

// builtinRules are the policy rules of every built-in role: one per role,
// class and action, in any domain, on the class as a whole. Few rules keep
// Casbin's linear scan short.
func builtinRules() [][]string {
	var rules [][]string
	for _, r := range builtins() {
		for _, p := range r.Grants {
			for _, act := range p.Actions {
				rules = append(rules, []string{RoleSubject(r.Name), anyDomain, Every(p.Class), act})
			}
		}
	}
	return rules
}

// RoleTable renders the built-in roles as a Markdown table for the README:
// each role and, in plain words, what it may do.
func RoleTable() string {
	var b strings.Builder
	b.WriteString("| Role | Who holds it | May, in each hospital where they hold the role |\n")
	b.WriteString("|---|---|---|\n")
	for _, r := range builtins() {
		var may []string
		for _, p := range r.Grants {
			_, every := nouns(p.Class)
			may = append(may, wordList(p.Actions)+" "+every)
		}
		b.WriteString("| " + r.Label + " (`" + r.Name + "`) | " + r.Description + " | " + strings.Join(may, "; ") + " |\n")
	}
	b.WriteString("\nNothing else is allowed. Grants on one object or an object group (one document, all policies, one vendor) add to these, in one hospital.\n")
	return b.String()
}

// wordList joins words the way people write them: "a", "a and b", "a, b and c".
func wordList(words []string) string {
	switch len(words) {
	case 0:
		return ""
	case 1:
		return words[0]
	}
	return strings.Join(words[:len(words)-1], ", ") + " and " + words[len(words)-1]
}
