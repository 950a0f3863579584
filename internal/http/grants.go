package http

import (
	"net/url"
	"strings"

	"github.com/gofiber/fiber/v2"

	"dossier/internal/authz"
	"dossier/internal/errs"
)

func (s *Server) grantRoutes(app *fiber.App) {
	g := app.Group("/admin/grants", s.signedIn, s.require(authz.View, authz.Every(authz.ClassGrant)))
	manage := s.require(authz.Manage, authz.Every(authz.ClassGrant))
	g.Get("/", s.grants)
	g.Post("/", manage, s.addGrant)
	g.Post("/revoke", manage, s.revokeGrant)
	g.Post("/groups", manage, s.addToGroup)
	g.Post("/groups/remove", manage, s.removeFromGroup)
}

// GrantsView shows and edits the grants on one object or object group:
// one document, one vendor, "all policies".
type GrantsView struct {
	Page
	Object    string
	Named     ObjectName // the object as people know it
	Grants    []GrantRow
	Groups    []string     // groups the object belongs to
	Members   []ObjectName // objects in the group, when Object is a group
	Actions   []string
	Roles     []authz.Role
	CanManage bool
	Errors    map[string]string
	Form      GrantForm
}

// GrantRow is one grant with its subject in words.
type GrantRow struct {
	authz.Rule
	Who string
}

// GrantForm is what the admin typed.
type GrantForm struct{ Subject, Action, Group string }

func (s *Server) grantsView(c *fiber.Ctx, object string) (GrantsView, error) {
	v := viewer(c)
	view := GrantsView{Page: s.page(c, "Permissions"), Object: object, Actions: authz.Actions, Roles: authz.BuiltinRoles(),
		CanManage: s.can(c, authz.Manage, authz.Every(authz.ClassGrant)), Errors: map[string]string{}}
	if object == "" {
		return view, nil
	}
	for _, r := range s.authz.GrantsOn(v.Domain, object) {
		view.Grants = append(view.Grants, GrantRow{Rule: r, Who: s.subjectName(c, r.Subject)})
	}
	view.Named = s.objectName(c, object)
	view.Groups = s.authz.Groups(object, v.Domain)
	if strings.HasPrefix(object, "group:") {
		for _, m := range s.authz.GroupMembers(object, v.Domain) {
			view.Members = append(view.Members, s.objectName(c, m))
		}
	}
	return view, nil
}

// ObjectName is a Casbin object with the name people know it by and its
// page, when it is a vendor, contract or document that exists.
type ObjectName struct {
	Object string // "document:7f3a…"
	Label  string // "ISMS-POL-001 Information security policy"; "" when unknown
	Link   string // "/documents/7f3a…"; "" when unknown
}

// objectName looks up what a grant's object is, for the permissions page.
func (s *Server) objectName(c *fiber.Ctx, object string) ObjectName {
	n := ObjectName{Object: object}
	class, id, _ := strings.Cut(object, ":")
	ctx, domain := c.UserContext(), viewer(c).Domain
	switch class {
	case authz.ClassDocument:
		if d, err := s.documents.Get(ctx, domain, id); err == nil {
			n.Label, n.Link = d.Number+" "+d.Title, "/documents/"+d.ID
		}
	case authz.ClassVendor:
		if v, err := s.suppliers.Get(ctx, domain, id); err == nil {
			n.Label, n.Link = v.LegalName, "/vendors/"+v.ID
		}
	case authz.ClassContract:
		if k, err := s.contracts.Get(ctx, domain, id); err == nil {
			n.Label, n.Link = k.Title+" ("+k.VendorName+")", "/contracts/"+k.ID
		}
	}
	return n
}

// subjectName shows a grant's subject as people know it.
func (s *Server) subjectName(c *fiber.Ctx, subject string) string {
	if role, ok := strings.CutPrefix(subject, "role:"); ok {
		return "everyone with the role " + role
	}
	u, err := s.access.User(c.UserContext(), subject)
	if err != nil {
		return "user " + subject
	}
	return u.Name + " <" + u.Email + ">"
}

func (s *Server) grants(c *fiber.Ctx) error {
	view, err := s.grantsView(c, strings.TrimSpace(c.Query("object")))
	if err != nil {
		return err
	}
	return s.render(c, "admin_grants", view)
}

// subjectFor reads the subject field: a role name or a user's e-mail.
func (s *Server) subjectFor(c *fiber.Ctx, in string) (string, error) {
	in = strings.TrimSpace(in)
	if s.authz.IsRole(strings.TrimPrefix(in, "role:")) {
		return "role:" + strings.TrimPrefix(in, "role:"), nil
	}
	u, err := s.access.UserByEmail(c.UserContext(), in)
	if errs.Is(err, errs.NotFound) || errs.Is(err, errs.Invalid) {
		return "", errs.Field("subject", "No user has the e-mail %q and no role is called that.", in)
	}
	return u.ID, err
}

func (s *Server) grantsBack(c *fiber.Ctx, object, note string) error {
	return s.redirect(c, "/admin/grants?object="+url.QueryEscape(object), note)
}

// grantFailed shows the form again with the message beside its field.
func (s *Server) grantFailed(c *fiber.Ctx, object string, form GrantForm, err error, field string) error {
	if !errs.Is(err, errs.Invalid) && !errs.Is(err, errs.NotFound) {
		return err
	}
	view, verr := s.grantsView(c, object)
	if verr != nil {
		return verr
	}
	view.Form, view.Errors[fieldOf(err, field)] = form, errs.Message(err)
	c.Status(fiber.StatusUnprocessableEntity)
	return s.render(c, "admin_grants", view)
}

func (s *Server) addGrant(c *fiber.Ctx) error {
	object := strings.TrimSpace(c.FormValue("object"))
	form := GrantForm{Subject: c.FormValue("subject"), Action: c.FormValue("action")}
	subject, err := s.subjectFor(c, form.Subject)
	if err == nil {
		err = s.authz.Grant(c.UserContext(), subject, viewer(c).Domain, object, form.Action)
	}
	if err != nil {
		return s.grantFailed(c, object, form, err, "subject")
	}
	return s.grantsBack(c, object, "Granted "+form.Action+" on "+object+".")
}

func (s *Server) revokeGrant(c *fiber.Ctx) error {
	object := c.FormValue("object")
	if err := s.authz.Revoke(c.UserContext(), c.FormValue("subject"), viewer(c).Domain, object, c.FormValue("action")); err != nil {
		return err
	}
	return s.grantsBack(c, object, "Grant removed.")
}

func (s *Server) addToGroup(c *fiber.Ctx) error {
	object, group := strings.TrimSpace(c.FormValue("object")), strings.TrimSpace(c.FormValue("group"))
	if group != "" && !strings.HasPrefix(group, "group:") {
		group = "group:" + group
	}
	if err := s.authz.AddToGroup(c.UserContext(), object, group, viewer(c).Domain); err != nil {
		return s.grantFailed(c, object, GrantForm{Group: c.FormValue("group")}, err, "group")
	}
	return s.grantsBack(c, object, object+" is now in "+group+".")
}

func (s *Server) removeFromGroup(c *fiber.Ctx) error {
	object := c.FormValue("object")
	if err := s.authz.RemoveFromGroup(c.UserContext(), object, c.FormValue("group"), viewer(c).Domain); err != nil {
		return err
	}
	return s.grantsBack(c, object, "Removed from the group.")
}
