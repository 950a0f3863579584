package http

import (
	"slices"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"dossier/internal/access"
	"dossier/internal/authz"
	"dossier/internal/errs"
)

func (s *Server) adminRoutes(app *fiber.App) {
	users := app.Group("/admin/users", s.signedIn, s.require(authz.View, authz.Every(authz.ClassUser)))
	manage := s.require(authz.Manage, authz.Every(authz.ClassUser))
	users.Get("/", s.adminUsers)
	users.Post("/", manage, s.inviteUser)
	users.Get("/:id", s.adminUser)
	users.Post("/:id/roles", manage, s.addRole)
	users.Post("/:id/roles/remove", manage, s.removeRole)
	users.Post("/:id/disable", manage, s.disableUser)
	users.Post("/:id/enable", manage, s.enableUser)
	users.Post("/:id/mfa/reset", manage, s.resetMFA)
	users.Post("/:id/password-link", manage, s.passwordLink)
	users.Post("/:id/signout-all", manage, s.adminSignOutAll)

	sec := app.Group("/admin/security", s.signedIn, s.require(authz.View, authz.Every(authz.ClassUser)))
	sec.Get("/", s.adminSecurity)
	sec.Post("/", manage, s.saveSecurity)

	s.grantRoutes(app)
}

// UserRow is one line of the users table.
type UserRow struct {
	access.User
	Roles []string
}

// AdminUsersView lists users with their roles in the viewer's domain and
// offers to invite one.
type AdminUsersView struct {
	Page
	Users     []UserRow
	Roles     []authz.Role
	CanManage bool
	Query     string
	Status    string
	Invite    InviteForm
	Errors    map[string]string
}

// InviteForm is what the admin typed to invite someone.
type InviteForm struct{ Email, Name, Role string }

func (s *Server) adminUsersView(c *fiber.Ctx) (AdminUsersView, error) {
	v := viewer(c)
	all, err := s.access.Users(c.UserContext())
	if err != nil {
		return AdminUsersView{}, err
	}
	q, st := strings.ToLower(strings.TrimSpace(c.Query("q"))), c.Query("status")
	view := AdminUsersView{Page: s.page(c, "Users"), Roles: authz.BuiltinRoles(), CanManage: s.can(c, authz.Manage, authz.Every(authz.ClassUser)),
		Query: c.Query("q"), Status: st, Errors: map[string]string{}}
	for _, u := range all {
		if q != "" && !strings.Contains(strings.ToLower(u.Email+" "+u.Name), q) || st != "" && u.Status != st {
			continue
		}
		// People of this hospital, and people with no role anywhere yet;
		// other hospitals' staff are theirs to manage.
		roles := s.authz.Roles(u.ID, v.Domain)
		if len(roles) == 0 && len(s.authz.Domains(u.ID)) > 0 {
			continue
		}
		view.Users = append(view.Users, UserRow{User: u, Roles: roles})
	}
	return view, nil
}

func (s *Server) adminUsers(c *fiber.Ctx) error {
	view, err := s.adminUsersView(c)
	if err != nil {
		return err
	}
	return s.render(c, "admin_users", view)
}

// inviteUser adds a user with a role and shows the one-time link that lets
// them choose a password.
func (s *Server) inviteUser(c *fiber.Ctx) error {
	ctx := c.UserContext()
	form := InviteForm{Email: strings.TrimSpace(c.FormValue("email")), Name: strings.TrimSpace(c.FormValue("name")), Role: c.FormValue("role")}
	var err error
	if !s.authz.IsRole(form.Role) {
		err = errs.Field("role", "Choose a role.")
	}
	var u access.User
	if err == nil {
		u, err = s.access.CreateUser(ctx, form.Email, form.Name)
	}
	if err != nil {
		if !errs.Is(err, errs.Invalid) && !errs.Is(err, errs.Conflict) {
			return err
		}
		view, verr := s.adminUsersView(c)
		if verr != nil {
			return verr
		}
		view.Invite, view.Errors[fieldOf(err, "email")] = form, errs.Message(err)
		c.Status(status(errs.Code(err)))
		return s.render(c, "admin_users", view)
	}
	if err := s.authz.AddRole(ctx, u.ID, form.Role, viewer(c).Domain); err != nil {
		return err
	}
	return s.showPasswordLink(c, u, "Invited "+u.Email+".")
}

// showPasswordLink makes a set-password link and shows it on the user's
// page, once, for the admin to pass on.
func (s *Server) showPasswordLink(c *fiber.Ctx, u access.User, note string) error {
	token, err := s.access.CreatePasswordLink(c.UserContext(), u.ID, 72*time.Hour)
	if err != nil {
		return err
	}
	view, err := s.adminUserView(c, u.ID)
	if err != nil {
		return err
	}
	view.Flash = note
	view.PasswordLink = s.baseURL(c) + "/password/" + token
	return s.render(c, "admin_user", view)
}

// mayManage checks that the viewer manages users in every hospital where
// the person holds a role, so an administrator of one hospital cannot take
// over another's staff, and that the person is not the viewer: changing
// one's own sign-in goes through the account page, which asks for the
// current password.
func (s *Server) mayManage(c *fiber.Ctx, userID string, self bool) error {
	v := viewer(c)
	if !self && userID == v.User.ID {
		return errs.E(errs.Forbidden, "Change your own account on your account page; another administrator can do this for you.")
	}
	for _, d := range append(s.authz.Domains(userID), v.Domain) {
		if !s.authz.Can(v.User.ID, d, authz.Every(authz.ClassUser), authz.Manage) {
			return errs.E(errs.Forbidden, "This person holds a role in %s, where you do not manage users.", d)
		}
	}
	return nil
}

// AdminUserView is one user: status, roles per domain, second factor.
type AdminUserView struct {
	Page
	Subject      access.User
	Roles        []DomainRoles
	AllRoles     []authz.Role
	Domain       string
	CanManage    bool
	IsSelf       bool
	PasswordLink string
	Sessions     int
}

// DomainRoles is a user's roles in one hospital.
type DomainRoles struct {
	Domain string
	Roles  []string
}

func (s *Server) adminUserView(c *fiber.Ctx, id string) (AdminUserView, error) {
	ctx, v := c.UserContext(), viewer(c)
	u, err := s.access.User(ctx, id)
	if err != nil {
		return AdminUserView{}, err
	}
	sessions, err := s.access.Sessions(ctx, u.ID)
	if err != nil {
		return AdminUserView{}, err
	}
	domains := s.authz.Domains(u.ID)
	if !slices.Contains(domains, v.Domain) {
		domains = append([]string{v.Domain}, domains...)
	}
	view := AdminUserView{Page: s.page(c, u.Name), Subject: u, AllRoles: authz.BuiltinRoles(), Domain: v.Domain,
		CanManage: s.can(c, authz.Manage, authz.Every(authz.ClassUser)), IsSelf: u.ID == v.User.ID, Sessions: len(sessions)}
	for _, d := range domains {
		if s.authz.Can(v.User.ID, d, authz.Every(authz.ClassUser), authz.View) {
			view.Roles = append(view.Roles, DomainRoles{Domain: d, Roles: s.authz.Roles(u.ID, d)})
		}
	}
	return view, nil
}

func (s *Server) adminUser(c *fiber.Ctx) error {
	view, err := s.adminUserView(c, c.Params("id"))
	if err != nil {
		return err
	}
	return s.render(c, "admin_user", view)
}

func (s *Server) userPath(c *fiber.Ctx) string { return "/admin/users/" + c.Params("id") }

func (s *Server) addRole(c *fiber.Ctx) error {
	u, err := s.access.User(c.UserContext(), c.Params("id"))
	if err != nil {
		return err
	}
	role, domain := c.FormValue("role"), c.FormValue("domain", viewer(c).Domain)
	if err := s.authz.Check(viewer(c).User.ID, domain, authz.Every(authz.ClassUser), authz.Manage); err != nil {
		return err
	}
	if err := s.authz.AddRole(c.UserContext(), u.ID, role, domain); err != nil {
		return err
	}
	return s.redirect(c, s.userPath(c), "Added the role "+role+" in "+domain+".")
}

func (s *Server) removeRole(c *fiber.Ctx) error {
	v := viewer(c)
	u, err := s.access.User(c.UserContext(), c.Params("id"))
	if err != nil {
		return err
	}
	role, domain := c.FormValue("role"), c.FormValue("domain", v.Domain)
	if u.ID == v.User.ID && role == authz.RoleAdmin {
		return errs.E(errs.Forbidden, "You cannot remove your own administrator role; ask another administrator.")
	}
	if err := s.authz.Check(v.User.ID, domain, authz.Every(authz.ClassUser), authz.Manage); err != nil {
		return err
	}
	if err := s.authz.RemoveRole(c.UserContext(), u.ID, role, domain); err != nil {
		return err
	}
	return s.redirect(c, s.userPath(c), "Removed the role "+role+" in "+domain+".")
}

func (s *Server) disableUser(c *fiber.Ctx) error {
	if err := s.mayManage(c, c.Params("id"), false); err != nil {
		return err
	}
	if err := s.access.Disable(c.UserContext(), c.Params("id")); err != nil {
		return err
	}
	return s.redirect(c, s.userPath(c), "Account disabled; its sessions have ended and its API tokens are refused.")
}

func (s *Server) enableUser(c *fiber.Ctx) error {
	if err := s.mayManage(c, c.Params("id"), false); err != nil {
		return err
	}
	if err := s.access.Enable(c.UserContext(), c.Params("id")); err != nil {
		return err
	}
	return s.redirect(c, s.userPath(c), "Account enabled.")
}

func (s *Server) resetMFA(c *fiber.Ctx) error {
	if err := s.mayManage(c, c.Params("id"), false); err != nil {
		return err
	}
	if err := s.access.ResetMFA(c.UserContext(), c.Params("id")); err != nil {
		return err
	}
	return s.redirect(c, s.userPath(c), "Two-step sign-in reset; they enrol again at their next sign-in.")
}

func (s *Server) passwordLink(c *fiber.Ctx) error {
	if err := s.mayManage(c, c.Params("id"), false); err != nil {
		return err
	}
	u, err := s.access.User(c.UserContext(), c.Params("id"))
	if err != nil {
		return err
	}
	return s.showPasswordLink(c, u, "New set-password link made; earlier passwords still work until it is used.")
}

func (s *Server) adminSignOutAll(c *fiber.Ctx) error {
	if err := s.mayManage(c, c.Params("id"), true); err != nil {
		return err
	}
	if err := s.access.SignOutEverywhere(c.UserContext(), c.Params("id")); err != nil {
		return err
	}
	return s.redirect(c, s.userPath(c), "Signed out on every device.")
}

// AdminSecurityView sets which roles must use two-step sign-in.
type AdminSecurityView struct {
	Page
	Roles     []RoleChoice
	CanManage bool
}

// RoleChoice is one checkbox.
type RoleChoice struct {
	authz.Role
	Checked bool
}

func (s *Server) adminSecurity(c *fiber.Ctx) error {
	required, err := s.access.MFARequiredRoles(c.UserContext())
	if err != nil {
		return err
	}
	view := AdminSecurityView{Page: s.page(c, "Sign-in security"), CanManage: s.can(c, authz.Manage, authz.Every(authz.ClassUser))}
	for _, r := range authz.BuiltinRoles() {
		view.Roles = append(view.Roles, RoleChoice{Role: r, Checked: slices.Contains(required, r.Name)})
	}
	return s.render(c, "admin_security", view)
}

func (s *Server) saveSecurity(c *fiber.Ctx) error {
	var roles []string
	for _, r := range authz.BuiltinRoles() {
		if c.FormValue("mfa_"+r.Name) == "on" {
			roles = append(roles, r.Name)
		}
	}
	if err := s.access.SetMFARequiredRoles(c.UserContext(), roles); err != nil {
		return err
	}
	return s.redirect(c, "/admin/security", "Saved. People in those roles enrol a second factor at their next page.")
}
