package http

import (
	"encoding/base64"
	"html/template"
	"slices"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"dossier/internal/access"
	"dossier/internal/errs"
)

func (s *Server) accountRoutes(app *fiber.App) {
	g := app.Group("/account", s.signedIn)
	g.Get("/", s.account)
	g.Post("/password", s.changePassword)
	g.Post("/signout-all", s.signOutAll)
	g.Post("/sessions/:id/signout", s.signOutSession)
	g.Post("/name", s.changeName)
	g.Post("/domain", s.switchDomain)
	g.Post("/tokens", s.createToken)
	g.Post("/tokens/:id/revoke", s.revokeToken)
	g.Post("/calendar", s.createCalendarLink)
	g.Post("/calendar/revoke", s.revokeCalendarLink)
	g.Get("/mfa", s.mfaPage)
	g.Post("/mfa", s.mfaConfirm)
}

// AccountView is the signed-in person's own page: password, second
// factor, sessions, API tokens and the calendar feed.
type AccountView struct {
	Page
	Me          access.User
	Domains     []string
	Sessions    []access.Session
	CurrentID   string
	Tokens      []access.Token
	NewToken    string // shown once, right after creation
	TokenLabel  string
	Errors      map[string]string
	MFARequired bool
	Calendar    CalendarView
}

func (s *Server) accountView(c *fiber.Ctx) (AccountView, error) {
	ctx, v := c.UserContext(), viewer(c)
	sessions, err := s.access.Sessions(ctx, v.User.ID)
	if err != nil {
		return AccountView{}, err
	}
	tokens, err := s.access.Tokens(ctx, v.User.ID)
	if err != nil {
		return AccountView{}, err
	}
	cal, err := s.calendarView(c)
	if err != nil {
		return AccountView{}, err
	}
	view := AccountView{Page: s.page(c, "Your account"), Me: v.User, Domains: v.Domains, Sessions: sessions, Tokens: tokens,
		Errors: map[string]string{}, Calendar: cal}
	if v.Session != nil {
		view.CurrentID = v.Session.ID
	}
	return view, nil
}

func (s *Server) account(c *fiber.Ctx) error {
	view, err := s.accountView(c)
	if err != nil {
		return err
	}
	return s.render(c, "account", view)
}

func (s *Server) changePassword(c *fiber.Ctx) error {
	v := viewer(c)
	current, next := c.FormValue("current"), c.FormValue("password")
	field, err := "confirm", errs.E(errs.Invalid, "The two new passwords differ.")
	if next == c.FormValue("confirm") {
		field, err = "password", s.access.ChangePassword(c.UserContext(), v.User.ID, current, next)
	}
	if err == nil {
		return s.redirect(c, "/account", "Password changed. Your other sessions have ended.")
	}
	if !errs.Is(err, errs.Invalid) && !errs.Is(err, errs.Unauthorized) {
		return err
	}
	if errs.Is(err, errs.Unauthorized) {
		field = "current"
	}
	view, verr := s.accountView(c)
	if verr != nil {
		return verr
	}
	view.Errors[fieldOf(err, field)] = errs.Message(err)
	c.Status(status(errs.Code(err)))
	return s.render(c, "account", view)
}

func (s *Server) signOutAll(c *fiber.Ctx) error {
	if err := s.access.SignOutEverywhere(c.UserContext(), viewer(c).User.ID); err != nil {
		return err
	}
	s.clearCookie(c, sessionCookie)
	return s.redirect(c, "/signin", "You have signed out on every device.")
}

// signOutSession ends one of the viewer's other sessions: a browser left
// signed in elsewhere.
func (s *Server) signOutSession(c *fiber.Ctx) error {
	if err := s.access.SignOutSession(c.UserContext(), viewer(c).User.ID, c.Params("id")); err != nil {
		return err
	}
	return s.redirect(c, "/account", "That session has ended.")
}

func (s *Server) changeName(c *fiber.Ctx) error {
	name := strings.TrimSpace(c.FormValue("name"))
	err := s.access.SetName(c.UserContext(), viewer(c).User.ID, name)
	if err == nil {
		return s.redirect(c, "/account", "Name saved.")
	}
	if !errs.Is(err, errs.Invalid) {
		return err
	}
	view, verr := s.accountView(c)
	if verr != nil {
		return verr
	}
	view.Errors["name"] = errs.Message(err)
	c.Status(fiber.StatusUnprocessableEntity)
	return s.render(c, "account", view)
}

func (s *Server) switchDomain(c *fiber.Ctx) error {
	d := c.FormValue("domain")
	if !slices.Contains(viewer(c).Domains, d) {
		return errs.Field("domain", "You hold no role in %q.", d)
	}
	s.setCookie(c, domainCookie, d, time.Time{}, fiber.CookieSameSiteLaxMode)
	return s.redirect(c, "/", "You are now working in "+d+".")
}

// createToken asks for the password (and code) again: a token outlives
// the session, so a stolen session must not be able to mint one.
func (s *Server) createToken(c *fiber.Ctx) error {
	ctx, v := c.UserContext(), viewer(c)
	label := strings.TrimSpace(c.FormValue("label"))
	err := s.access.Reauthenticate(ctx, v.User.ID, c.FormValue("password"), strings.TrimSpace(c.FormValue("code")))
	field := "token_password"
	var secret string
	if err == nil {
		secret, _, err = s.access.CreateToken(ctx, v.User.ID, label)
		field = "label"
	}
	if err != nil && !errs.Is(err, errs.Invalid) && !errs.Is(err, errs.Unauthorized) {
		return err
	}
	view, verr := s.accountView(c)
	if verr != nil {
		return verr
	}
	if err != nil {
		view.Errors[field] = errs.Message(err)
		view.TokenLabel = label
		c.Status(fiber.StatusUnprocessableEntity)
	} else {
		view.NewToken = secret
	}
	return s.render(c, "account", view)
}

func (s *Server) revokeToken(c *fiber.Ctx) error {
	if err := s.access.RevokeToken(c.UserContext(), viewer(c).User.ID, c.Params("id")); err != nil {
		return err
	}
	return s.redirect(c, "/account#tokens", "Token revoked; it no longer works.")
}

// MFAPageView enrols a second factor, or shows that one is enrolled.
type MFAPageView struct {
	Page
	Enrolled     bool
	Required     bool
	Secret       string
	QRCode       template.URL // data: URI of the PNG, made here, so trusted
	RecoveryLeft int
	Error        string
}

func (s *Server) mfaPage(c *fiber.Ctx) error {
	return s.renderMFA(c, "")
}

func (s *Server) renderMFA(c *fiber.Ctx, problem string) error {
	v := viewer(c)
	view := MFAPageView{Page: s.page(c, "Two-step sign-in"), Enrolled: v.User.MFAEnrolled(), Required: c.Query("required") == "1", Error: problem}
	if view.Enrolled {
		view.RecoveryLeft = v.User.RecoveryCodesLeft()
		return s.render(c, "account_mfa", view)
	}
	e, err := s.access.BeginMFA(c.UserContext(), v.User.ID)
	if err != nil {
		return err
	}
	view.Secret = e.Secret
	view.QRCode = template.URL("data:image/png;base64," + base64.StdEncoding.EncodeToString(e.QRCode))
	if problem != "" {
		c.Status(fiber.StatusUnprocessableEntity)
	}
	return s.render(c, "account_mfa", view)
}

// RecoveryView shows the recovery codes, once.
type RecoveryView struct {
	Page
	Codes []string
}

func (s *Server) mfaConfirm(c *fiber.Ctx) error {
	codes, err := s.access.ConfirmMFA(c.UserContext(), viewer(c).User.ID, strings.TrimSpace(c.FormValue("code")))
	if err != nil {
		if !errs.Is(err, errs.Invalid) && !errs.Is(err, errs.Unauthorized) {
			return err
		}
		return s.renderMFA(c, errs.Message(err))
	}
	return s.render(c, "recovery_codes", RecoveryView{Page: s.page(c, "Your recovery codes"), Codes: codes})
}
