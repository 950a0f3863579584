package http

import (
	"net/url"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"dossier/internal/access"
	"dossier/internal/authz"
	"dossier/internal/errs"
)

func (s *Server) signInRoutes(app *fiber.App) {
	app.Get("/signin", s.signInForm)
	app.Post("/signin", s.signIn)
	app.Get("/signin/mfa", s.mfaForm)
	app.Post("/signin/mfa", s.mfaSubmit)
	app.Post("/signout", s.signOut)
	app.Get("/setup/:token", s.setupForm)
	app.Post("/setup/:token", s.setupSubmit)
	app.Get("/password/:token", s.passwordForm)
	app.Post("/password/:token", s.passwordSubmit)
}

// SignInView is the sign-in page.
type SignInView struct {
	Page
	Email string
	Next  string
	Error string
}

func (s *Server) signInForm(c *fiber.Ctx) error {
	next := safeNext(c.Query("next"))
	if viewer(c) != nil {
		return c.Redirect(next, fiber.StatusSeeOther)
	}
	return s.render(c, "signin", SignInView{Page: s.page(c, "Sign in"), Next: next})
}

func (s *Server) signIn(c *fiber.Ctx) error {
	email, password, next := strings.TrimSpace(c.FormValue("email")), c.FormValue("password"), safeNext(c.FormValue("next"))
	res, err := s.access.SignIn(c.UserContext(), email, password, s.client(c))
	if err != nil {
		if !errs.Is(err, errs.Unauthorized) {
			return err
		}
		c.Status(fiber.StatusUnauthorized)
		return s.render(c, "signin", SignInView{Page: s.page(c, "Sign in"), Email: email, Next: next, Error: errs.Message(err)})
	}
	if res.NeedMFA {
		s.setCookie(c, mfaCookie, res.Token, s.now().Add(5*time.Minute), fiber.CookieSameSiteStrictMode)
		return c.Redirect("/signin/mfa?next="+url.QueryEscape(next), fiber.StatusSeeOther)
	}
	s.startSession(c, res)
	return c.Redirect(next, fiber.StatusSeeOther)
}

// startSession hands the browser its new session. The id is new at every
// sign-in and the CSRF token is renewed with it.
func (s *Server) startSession(c *fiber.Ctx, res access.SignIn) {
	s.setCookie(c, sessionCookie, res.Token, res.Session.Expires, fiber.CookieSameSiteLaxMode)
	s.newCSRF(c)
}

func (s *Server) client(c *fiber.Ctx) access.Client {
	return access.Client{IP: c.IP(), UserAgent: strings.Clone(c.Get(fiber.HeaderUserAgent))}
}

// MFAView asks for the second factor.
type MFAView struct {
	Page
	Next  string
	Error string
}

func (s *Server) mfaForm(c *fiber.Ctx) error {
	if c.Cookies(mfaCookie) == "" {
		return s.redirect(c, "/signin", "Your sign-in took too long. Please start again.")
	}
	return s.render(c, "signin_mfa", MFAView{Page: s.page(c, "Second factor"), Next: safeNext(c.Query("next"))})
}

func (s *Server) mfaSubmit(c *fiber.Ctx) error {
	next := safeNext(c.FormValue("next"))
	challenge := c.Cookies(mfaCookie)
	if challenge == "" {
		return s.redirect(c, "/signin", "Your sign-in took too long. Please start again.")
	}
	res, err := s.access.CompleteMFA(c.UserContext(), challenge, strings.TrimSpace(c.FormValue("code")), s.client(c))
	if err != nil {
		if !errs.Is(err, errs.Unauthorized) {
			return err
		}
		c.Status(fiber.StatusUnauthorized)
		return s.render(c, "signin_mfa", MFAView{Page: s.page(c, "Second factor"), Next: next, Error: errs.Message(err)})
	}
	s.clearCookie(c, mfaCookie)
	s.startSession(c, res)
	return c.Redirect(next, fiber.StatusSeeOther)
}

func (s *Server) signOut(c *fiber.Ctx) error {
	if token := c.Cookies(sessionCookie); token != "" {
		if err := s.access.SignOut(c.UserContext(), token); err != nil && !errs.Is(err, errs.NotFound) {
			return err
		}
	}
	s.clearCookie(c, sessionCookie)
	return s.redirect(c, "/signin", "You have signed out.")
}

// SetupView creates the first administrator through the link printed at
// start.
type SetupView struct {
	Page
	Email, Name string
	Errors      map[string]string
}

// adminExists refuses the set-up page once an administrator exists: a
// link printed earlier must not make a second one.
func (s *Server) adminExists() error {
	if len(s.authz.Members(authz.RoleAdmin, s.cfg.Domain)) > 0 {
		return errs.E(errs.NotFound, "This set-up link is no longer valid: an administrator already exists. Ask them for an account.")
	}
	return nil
}

func (s *Server) setupForm(c *fiber.Ctx) error {
	if err := s.adminExists(); err != nil {
		return err
	}
	if err := s.access.SetupLinkValid(c.UserContext(), c.Params("token")); err != nil {
		return err
	}
	return s.render(c, "setup", SetupView{Page: s.page(c, "Set up the first administrator")})
}

func (s *Server) setupSubmit(c *fiber.Ctx) error {
	ctx := c.UserContext()
	v := SetupView{Page: s.page(c, "Set up the first administrator"), Email: strings.TrimSpace(c.FormValue("email")),
		Name: strings.TrimSpace(c.FormValue("name")), Errors: map[string]string{}}
	if err := s.adminExists(); err != nil {
		return err
	}
	password := c.FormValue("password")
	if password != c.FormValue("confirm") {
		v.Errors["confirm"] = "The two passwords differ."
	}
	if len(v.Errors) == 0 {
		u, err := s.access.UseSetupLink(ctx, c.Params("token"), v.Email, v.Name, password)
		if err == nil {
			if err := s.authz.AddRole(ctx, u.ID, authz.RoleAdmin, s.cfg.Domain); err != nil {
				return err
			}
			return s.redirect(c, "/signin", "Administrator "+u.Email+" created. Sign in to continue.")
		}
		if !errs.Is(err, errs.Invalid) && !errs.Is(err, errs.Conflict) {
			return err
		}
		v.Errors[fieldOf(err, "email")] = errs.Message(err)
	}
	c.Status(fiber.StatusUnprocessableEntity)
	return s.render(c, "setup", v)
}

// PasswordView sets a password through an invitation or reset link.
type PasswordView struct {
	Page
	Email  string
	Errors map[string]string
}

func (s *Server) passwordForm(c *fiber.Ctx) error {
	u, err := s.access.PasswordLinkUser(c.UserContext(), c.Params("token"))
	if err != nil {
		return err
	}
	return s.render(c, "password", PasswordView{Page: s.page(c, "Choose your password"), Email: u.Email})
}

func (s *Server) passwordSubmit(c *fiber.Ctx) error {
	ctx := c.UserContext()
	u, err := s.access.PasswordLinkUser(ctx, c.Params("token"))
	if err != nil {
		return err
	}
	v := PasswordView{Page: s.page(c, "Choose your password"), Email: u.Email, Errors: map[string]string{}}
	password := c.FormValue("password")
	if password != c.FormValue("confirm") {
		v.Errors["confirm"] = "The two passwords differ."
	} else if _, err := s.access.UsePasswordLink(ctx, c.Params("token"), password); err != nil {
		if !errs.Is(err, errs.Invalid) {
			return err
		}
		v.Errors[fieldOf(err, "password")] = errs.Message(err)
	} else {
		return s.redirect(c, "/signin", "Your password is set. Sign in with it now.")
	}
	c.Status(fiber.StatusUnprocessableEntity)
	return s.render(c, "password", v)
}

// fieldOf is the form field an invalid-input error is about, or
// fallback when the error names none.
func fieldOf(err error, fallback string) string {
	if f := errs.FieldOf(err); f != "" {
		return f
	}
	return fallback
}
