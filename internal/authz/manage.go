package authz

import (
	"context"
	"slices"
	"strings"

	"github.com/casbin/casbin/v2/rbac"

	"dossier/internal/audit"
	"dossier/internal/errs"
)

// IsRole reports whether name is a built-in role ("staff", not "role:staff").
func (a *Authorizer) IsRole(name string) bool {
	_, ok := builtinRole(name)
	return ok
}

// RoleNames lists the built-in role names in display order.
func (a *Authorizer) RoleNames() []string { return roleNames() }

// AddRole gives user the built-in role in domain. Giving it again is not an
// error.
func (a *Authorizer) AddRole(ctx context.Context, user, role, domain string) error {
	if err := first(checkUser(user), checkRole(role), checkDomain(domain)); err != nil {
		return err
	}
	if err := a.add(ctx, "g", user, RoleSubject(role), domain); err != nil {
		return err
	}
	return a.record(ctx, "role.add", "user", user, domain, map[string]string{"role": role})
}

// RemoveRole takes the role in domain away from user. Removing a role the
// user does not hold is not an error.
func (a *Authorizer) RemoveRole(ctx context.Context, user, role, domain string) error {
	if err := first(checkUser(user), checkRole(role), checkDomain(domain)); err != nil {
		return err
	}
	if err := a.remove(ctx, "g", user, RoleSubject(role), domain); err != nil {
		return err
	}
	return a.record(ctx, "role.remove", "user", user, domain, map[string]string{"role": role})
}

// Roles lists the roles user holds in domain, by name, sorted.
func (a *Authorizer) Roles(user, domain string) []string {
	var roles []string
	a.withRoleManager("g", func(rm rbac.RoleManager) {
		links, _ := rm.GetRoles(user, domain)
		for _, r := range links {
			if name, ok := strings.CutPrefix(r, rolePrefix); ok {
				roles = append(roles, name)
			}
		}
	})
	return sortedUnique(roles)
}

// Domains lists the domains in which user holds any role, sorted.
func (a *Authorizer) Domains(user string) []string {
	var ds []string
	a.withRoleManager("g", func(rm rbac.RoleManager) {
		ds, _ = rm.GetDomains(user)
	})
	return sortedUnique(ds)
}

// Members lists the users who hold role in domain, sorted.
func (a *Authorizer) Members(role, domain string) []string {
	var users []string
	for _, r := range a.filtered("g", 1, RoleSubject(role), domain) {
		users = append(users, r[0])
	}
	return sortedUnique(users)
}

// Grant lets subject — a user id or "role:<name>" — do action to object in
// domain, where object is one object ("document:7") or one group
// ("group:policies"). What built-in roles may do to whole classes is fixed.
func (a *Authorizer) Grant(ctx context.Context, subject, domain, object, action string) error {
	if err := checkGrant(subject, domain, object, action); err != nil {
		return err
	}
	if err := a.add(ctx, "p", subject, domain, object, action); err != nil {
		return err
	}
	return a.record(ctx, "grant.add", "grant", object, domain, map[string]string{"subject": subject, "action": action})
}

// Revoke removes a grant made with Grant. Revoking what was never granted
// is not an error.
func (a *Authorizer) Revoke(ctx context.Context, subject, domain, object, action string) error {
	if err := checkGrant(subject, domain, object, action); err != nil {
		return err
	}
	if err := a.remove(ctx, "p", subject, domain, object, action); err != nil {
		return err
	}
	return a.record(ctx, "grant.remove", "grant", object, domain, map[string]string{"subject": subject, "action": action})
}

func checkGrant(subject, domain, object, action string) error {
	if strings.HasPrefix(subject, rolePrefix) && (domain == anyDomain || strings.HasSuffix(object, ":*")) {
		return errs.Field("object", "Built-in roles are fixed; create a grant on an object or group instead.")
	}
	return first(checkSubject(subject), checkDomain(domain), checkTarget(object), checkAction(action))
}

// GrantsOn lists the grants that name object (one object or a group) in
// domain, sorted by subject and action. Grants through the object's groups
// are listed on the groups.
func (a *Authorizer) GrantsOn(domain, object string) []Rule {
	var rules []Rule
	for _, r := range a.filtered("p", 1, domain, object) {
		rules = append(rules, Rule{Subject: r[0], Domain: r[1], Object: r[2], Action: r[3]})
	}
	slices.SortFunc(rules, func(x, y Rule) int {
		if c := strings.Compare(x.Subject, y.Subject); c != 0 {
			return c
		}
		return strings.Compare(x.Action, y.Action)
	})
	return rules
}

// AddToGroup puts object ("document:7") into group ("group:policies") in
// domain. Groups do not nest.
func (a *Authorizer) AddToGroup(ctx context.Context, object, group, domain string) error {
	if err := first(checkObject(object), checkGroup(group), checkDomain(domain)); err != nil {
		return err
	}
	if err := a.add(ctx, "g2", object, group, domain); err != nil {
		return err
	}
	return a.record(ctx, "group.add", "grant", object, domain, map[string]string{"group": group})
}

// RemoveFromGroup takes object out of group in domain.
func (a *Authorizer) RemoveFromGroup(ctx context.Context, object, group, domain string) error {
	if err := first(checkObject(object), checkGroup(group), checkDomain(domain)); err != nil {
		return err
	}
	if err := a.remove(ctx, "g2", object, group, domain); err != nil {
		return err
	}
	return a.record(ctx, "group.remove", "grant", object, domain, map[string]string{"group": group})
}

// Groups lists the groups object belongs to in domain, sorted.
func (a *Authorizer) Groups(object, domain string) []string {
	var gs []string
	for _, r := range a.filtered("g2", 0, object, "", domain) {
		gs = append(gs, r[1])
	}
	return sortedUnique(gs)
}

// GroupMembers lists the objects in group in domain, sorted.
func (a *Authorizer) GroupMembers(group, domain string) []string {
	var objs []string
	for _, r := range a.filtered("g2", 1, group, domain) {
		objs = append(objs, r[0])
	}
	return sortedUnique(objs)
}

// Singled is the set of objects of class that grants or groups in domain
// single out: those a grant names, and those in a group. Any other object
// of the class is decided by roles alone, as the class as a whole is — so
// a list asks Casbin only about these.
func (a *Authorizer) Singled(domain, class string) map[string]bool {
	out := map[string]bool{}
	prefix := class + ":"
	for _, r := range a.filtered("p", 1, domain) {
		if strings.HasPrefix(r[2], prefix) {
			out[r[2]] = true
		}
	}
	for _, r := range a.filtered("g2", 2, domain) {
		if strings.HasPrefix(r[0], prefix) {
			out[r[0]] = true
		}
	}
	return out
}

// withRoleManager runs fn with Casbin's role manager for ptype. Every page
// asks for the viewer's roles and domains, and the role manager answers
// from its maps where a filtered policy query scans every rule (≈40 µs at
// 5,000 role holders). The enforcer's read lock keeps a reload from
// rebuilding the role manager underneath.
func (a *Authorizer) withRoleManager(ptype string, fn func(rbac.RoleManager)) {
	l := a.e.GetLock()
	l.RLock()
	defer l.RUnlock()
	// The unsynchronized getter: taking the read lock twice can deadlock
	// behind a waiting writer.
	if rm := a.e.Enforcer.GetNamedRoleManager(ptype); rm != nil {
		fn(rm)
	}
}

// filtered returns the in-memory rules of ptype whose fields from
// fieldIndex on equal values ("" matches anything).
func (a *Authorizer) filtered(ptype string, fieldIndex int, values ...string) [][]string {
	var rules [][]string
	var err error
	if ptype == "p" {
		rules, err = a.e.GetFilteredNamedPolicy(ptype, fieldIndex, values...)
	} else {
		rules, err = a.e.GetFilteredNamedGroupingPolicy(ptype, fieldIndex, values...)
	}
	if err != nil {
		return nil
	}
	return rules
}

// record appends a permission change to the audit trail. The change has
// been made; a failure to record it is returned so the caller reports it.
func (a *Authorizer) record(ctx context.Context, action, objectType, objectID, domain string, details map[string]string) error {
	if a.audit == nil {
		return nil
	}
	_, err := a.audit.Append(ctx, audit.Entry{Action: action, ObjectType: objectType, ObjectID: objectID, Domain: domain, Details: details})
	return err
}

// add writes one rule and applies it to the enforcer.
func (a *Authorizer) add(ctx context.Context, ptype string, rule ...string) error {
	return a.change(ctx, func() error {
		has, err := a.has(ptype, rule)
		if err != nil {
			return err
		}
		if has {
			// Casbin skips the store when its memory holds the rule, but
			// memory may lag: another instance may have removed the rule
			// and Watch not reloaded yet. Write it anyway; it is idempotent.
			return a.ad.add(ctx, ptype, rule)
		}
		if ptype == "p" {
			_, err = a.e.AddNamedPolicy(ptype, rule)
		} else {
			_, err = a.e.AddNamedGroupingPolicy(ptype, rule)
		}
		return err
	})
}

// remove deletes one rule from the store and the enforcer. Casbin deletes
// from the store even when its memory lacks the rule, which also covers a
// rule another instance added and Watch has not loaded yet.
func (a *Authorizer) remove(ctx context.Context, ptype string, rule ...string) error {
	return a.change(ctx, func() error {
		var err error
		if ptype == "p" {
			_, err = a.e.RemoveNamedPolicy(ptype, rule)
		} else {
			_, err = a.e.RemoveNamedGroupingPolicy(ptype, rule)
		}
		return err
	})
}

func (a *Authorizer) has(ptype string, rule []string) (bool, error) {
	if ptype == "p" {
		return a.e.HasNamedPolicy(ptype, rule)
	}
	return a.e.HasNamedGroupingPolicy(ptype, rule)
}

// first returns the first non-nil error.
func first(errors ...error) error {
	for _, err := range errors {
		if err != nil {
			return err
		}
	}
	return nil
}

func sortedUnique(s []string) []string {
	slices.Sort(s)
	return slices.Compact(s)
}
