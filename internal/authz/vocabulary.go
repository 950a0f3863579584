package authz

import (
	"strings"

	"dossier/internal/errs"
)

// Actions a request may name. Workflow state (which revision is in review,
// who wrote it) is checked by the domain packages, not here.
const (
	View        = "view"
	Edit        = "edit"
	Approve     = "approve"
	Review      = "review"
	Revise      = "revise"
	Publish     = "publish"
	Retire      = "retire"
	Acknowledge = "acknowledge"
	Manage      = "manage"
	Export      = "export"
)

// Object classes. An object is "<class>:<id>"; "<class>:*" is the class as
// a whole (ask it for lists and for creating new objects).
const (
	ClassVendor     = "vendor"
	ClassAssessment = "assessment"
	ClassContract   = "contract"
	ClassDocument   = "document"
	ClassUser       = "user"
	ClassGrant      = "grant"
	ClassAudit      = "audit"
)

// Actions and Classes list every action and class, for forms and tests.
// Treat them as read-only: authorization never reads them, so changing
// them changes no decision.
var (
	Actions = actionList()
	Classes = classList()
)

const (
	rolePrefix  = "role:"
	groupPrefix = "group:"
	anyDomain   = "*" // the domain of built-in role rules
	maxText     = 256
)

// Object names one object of a class: Object("document", "7") is "document:7".
func Object(class, id string) string { return class + ":" + id }

// Every names a class as a whole: Every("vendor") is "vendor:*".
func Every(class string) string { return class + ":*" }

// Group names an object group: Group("policies") is "group:policies".
func Group(name string) string { return groupPrefix + name }

// RoleSubject names a role as the subject of a grant: "role:staff".
func RoleSubject(role string) string { return rolePrefix + role }

// isAction and isClass use their own switch, not Actions and Classes, so
// that nothing a caller does to those slices widens what is allowed.
func isAction(s string) bool {
	switch s {
	case View, Edit, Approve, Review, Revise, Publish, Retire, Acknowledge, Manage, Export:
		return true
	}
	return false
}

func isClass(s string) bool {
	switch s {
	case ClassVendor, ClassAssessment, ClassContract, ClassDocument, ClassUser, ClassGrant, ClassAudit:
		return true
	}
	return false
}

// plain reports whether s is usable as a name in a rule or request. Casbin
// keys its rule index by the fields joined with "," and its decision cache
// by the fields joined with "$$", so neither may appear; "*" is reserved for
// built-in rules; ":" separates a class from an id.
func plain(s string, colonOK bool) bool {
	if s == "" || len(s) > maxText {
		return false
	}
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c < 0x20, c == 0x7f, c == ',', c == '$', c == '*':
			return false
		case c == ':' && !colonOK:
			return false
		}
	}
	return true
}

// okRequest is the cheap shape check Can runs before asking Casbin.
func okRequest(user, domain, object, action string) bool {
	if !plain(user, false) || !plain(domain, false) || !plain(action, false) {
		return false
	}
	class, id, ok := strings.Cut(object, ":")
	if !ok || !plain(class, false) {
		return false
	}
	return id == "*" || plain(id, true)
}

// The check… functions validate what callers write into the policy.

func checkUser(user string) error {
	if !plain(user, false) || strings.TrimSpace(user) != user {
		return errs.Field("user", "A user id must be plain text without spaces at its ends, \":\", \",\", \"$\" or \"*\".")
	}
	return nil
}

func checkDomain(domain string) error {
	if !plain(domain, false) || strings.TrimSpace(domain) != domain {
		return errs.Field("domain", "A domain must be a hospital id: plain text without \":\", \",\", \"$\" or \"*\".")
	}
	return nil
}

func checkRole(role string) error {
	if _, ok := builtinRole(role); !ok {
		return errs.Field("role", "There is no role %q; the roles are %s.", role, strings.Join(roleNames(), ", "))
	}
	return nil
}

func checkAction(action string) error {
	if !isAction(action) {
		return errs.Field("action", "There is no action %q; the actions are %s.", action, strings.Join(actionList(), ", "))
	}
	return nil
}

// checkSubject accepts a user id or "role:<built-in role>".
func checkSubject(subject string) error {
	if role, ok := strings.CutPrefix(subject, rolePrefix); ok {
		if err := checkRole(role); err != nil {
			return errs.Field("subject", "%s", errs.Message(err))
		}
		return nil
	}
	if err := checkUser(subject); err != nil {
		return errs.Field("subject", "A grant is for a user or a role (\"role:staff\"); %q is neither.", subject)
	}
	return nil
}

// checkObject accepts one object of a known class ("document:7").
func checkObject(object string) error {
	class, id, ok := strings.Cut(object, ":")
	if !ok || !isClass(class) {
		return errs.Field("object", "%q is not an object: write <class>:<id>, such as document:7, where the class is one of %s.", object, strings.Join(classList(), ", "))
	}
	if id == "*" {
		return errs.Field("object", "Grants name one object or one group, not every %s; to give someone rights on every %s, give them a role.", class, class)
	}
	if !plain(id, true) || strings.TrimSpace(id) != id {
		return errs.Field("object", "The id in %q must be plain text without \",\", \"$\" or \"*\".", object)
	}
	return nil
}

// checkGroup accepts "group:<name>".
func checkGroup(group string) error {
	name, ok := strings.CutPrefix(group, groupPrefix)
	if !ok || !plain(name, true) || strings.TrimSpace(name) != name {
		return errs.Field("group", "A group is written group:<name>, such as group:policies, with a name in plain text without \",\", \"$\" or \"*\".")
	}
	return nil
}

// checkTarget accepts what a grant may be on: one object or one group.
func checkTarget(object string) error {
	if strings.HasPrefix(object, groupPrefix) {
		if err := checkGroup(object); err != nil {
			return errs.Field("object", "%s", errs.Message(err))
		}
		return nil
	}
	return checkObject(object)
}

func actionList() []string {
	return []string{View, Edit, Approve, Review, Revise, Publish, Retire, Acknowledge, Manage, Export}
}

func classList() []string {
	return []string{ClassVendor, ClassAssessment, ClassContract, ClassDocument, ClassUser, ClassGrant, ClassAudit}
}

// nouns are the words for one object of a class ("this document") and for
// the class as a whole ("documents"), for messages and the README table.
func nouns(class string) (one, every string) {
	switch class {
	case ClassVendor:
		return "this vendor", "vendors"
	case ClassAssessment:
		return "this assessment", "vendor assessments"
	case ClassContract:
		return "this contract", "contracts and BAAs"
	case ClassDocument:
		return "this document", "controlled documents"
	case ClassUser:
		return "this user account", "user accounts"
	case ClassGrant:
		return "this permission", "roles and permissions"
	case ClassAudit:
		return "this audit record", "the audit trail"
	case "group":
		return "this group", "groups"
	}
	return "this item", "these items"
}

// deniedMessage says in plain words what was refused.
func deniedMessage(object, action string) string {
	if !isAction(action) {
		return "You may not do that."
	}
	class, id, _ := strings.Cut(object, ":")
	one, every := nouns(class)
	if id == "*" {
		return "You may not " + action + " " + every + "."
	}
	return "You may not " + action + " " + one + "."
}
