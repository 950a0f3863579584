package http

import (
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"dossier/internal/access"
	"dossier/internal/audit"
	"dossier/internal/errs"
)

// Viewer is who is making a request: a person signed in through the
// browser, or an API client with a token.
type Viewer struct {
	User    access.User
	Domain  string   // the hospital they are working in
	Domains []string // every hospital where they hold a role
	Roles   []string // their roles in Domain
	Session *access.Session
	Token   *access.Token
}

const (
	sessionCookie = "dossier_session"
	mfaCookie     = "dossier_mfa" // a sign-in waiting for its second factor
	domainCookie  = "dossier_domain"
	viewerKey     = "viewer"
)

// viewer returns the signed-in viewer, or nil.
func viewer(c *fiber.Ctx) *Viewer {
	v, _ := c.Locals(viewerKey).(*Viewer)
	return v
}

// authenticate finds who is asking: a bearer token on the API, else the
// session cookie. A bad token is refused; a stale session cookie is just
// dropped. Either way the request context carries the actor for the
// audit trail.
func (s *Server) authenticate(c *fiber.Ctx) error {
	ctx := c.UserContext()
	actor := audit.Actor{ID: "anonymous", IP: c.IP()}
	var v *Viewer
	if bearer, ok := bearerToken(c); ok {
		if !strings.HasPrefix(c.Path(), "/api/") {
			return errs.E(errs.Unauthorized, "API tokens are accepted under /api/ only.")
		}
		tok, u, err := s.access.AuthenticateToken(ctx, bearer)
		if err != nil {
			return err
		}
		v = &Viewer{User: u, Token: &tok}
	} else if cookie := c.Cookies(sessionCookie); cookie != "" {
		sess, u, err := s.access.Authenticate(ctx, cookie)
		switch {
		case err == nil:
			v = &Viewer{User: u, Session: &sess}
			// A password change then keeps this session and ends the others.
			ctx = access.WithSession(ctx, sess)
		case errs.Is(err, errs.Unauthorized):
			s.clearCookie(c, sessionCookie)
		default:
			return err
		}
	}
	if v != nil {
		v.Domains = s.authz.Domains(v.User.ID)
		v.Domain = s.cfg.Domain
		if d := c.Cookies(domainCookie); d != "" && slices.Contains(v.Domains, d) {
			v.Domain = d
		}
		v.Roles = s.authz.Roles(v.User.ID, v.Domain)
		c.Locals(viewerKey, v)
		actor = audit.Actor{ID: v.User.ID, Name: v.User.Email, IP: c.IP()}
	}
	c.SetUserContext(audit.WithActor(ctx, actor))
	return c.Next()
}

func bearerToken(c *fiber.Ctx) (string, bool) {
	h := c.Get(fiber.HeaderAuthorization)
	if len(h) > 7 && strings.EqualFold(h[:7], "bearer ") {
		return strings.TrimSpace(h[7:]), true
	}
	return "", false
}

// signedIn lets only signed-in viewers through: pages send others to the
// sign-in page and come back afterwards; the API answers 401.
func (s *Server) signedIn(c *fiber.Ctx) error {
	if viewer(c) != nil {
		return c.Next()
	}
	if strings.HasPrefix(c.Path(), "/api/") {
		return errs.E(errs.Unauthorized, "Sign in, or send an API token as \"Authorization: Bearer …\".")
	}
	if c.Method() != fiber.MethodGet {
		return errs.E(errs.Unauthorized, "Your session has ended. Sign in again and repeat the change.")
	}
	return c.Redirect("/signin?next="+url.QueryEscape(safeNext(c.OriginalURL())), fiber.StatusSeeOther)
}

// require lets the request through only when the viewer may do action to
// object; it must follow signedIn.
func (s *Server) require(action, object string) fiber.Handler {
	return func(c *fiber.Ctx) error {
		v := viewer(c)
		if v == nil {
			return errs.E(errs.Unauthorized, "Please sign in.")
		}
		if err := s.authz.Check(v.User.ID, v.Domain, object, action); err != nil {
			return err
		}
		return c.Next()
	}
}

// can tells pages whether to offer something to the viewer.
func (s *Server) can(c *fiber.Ctx, action, object string) bool {
	v := viewer(c)
	return v != nil && s.authz.Can(v.User.ID, v.Domain, object, action)
}

// enforceMFA keeps a browser user who holds a role that requires a second
// factor, and has none yet, on the enrolment page until they enrol.
func (s *Server) enforceMFA(c *fiber.Ctx) error {
	v := viewer(c)
	if v == nil || v.Session == nil || v.User.MFAEnrolled() {
		return c.Next()
	}
	p := c.Path()
	if p == "/account/mfa" || p == "/signout" || p == "/status" {
		return c.Next()
	}
	required, err := s.access.MFARequiredRoles(c.UserContext())
	if err != nil {
		return err
	}
	for _, r := range v.Roles {
		if slices.Contains(required, r) {
			if strings.HasPrefix(p, "/api/") {
				return errs.E(errs.Forbidden, "Your role requires two-step sign-in: enrol on your account page first.")
			}
			return c.Redirect("/account/mfa?required=1", fiber.StatusSeeOther)
		}
	}
	return c.Next()
}

// safeNext keeps a post-sign-in redirect on this site: a path, never a
// scheme or host, and no control characters or backslashes (browsers drop
// tabs and read "\\" as "/", which would turn "/\t/evil" into "//evil").
func safeNext(next string) string {
	if !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") || strings.ContainsAny(next, "\\") {
		return "/"
	}
	for _, r := range next {
		if r < 0x20 || r == 0x7f {
			return "/"
		}
	}
	u, err := url.Parse(next)
	if err != nil || u.Scheme != "" || u.Host != "" || u.User != nil {
		return "/"
	}
	return next
}

// baseURL is where people reach Dossier, for links shown to be passed on:
// the configured public address, never the request's Host header, which a
// client chooses.
func (s *Server) baseURL(c *fiber.Ctx) string {
	if s.cfg.PublicURL != "" {
		return s.cfg.PublicURL
	}
	return "http://" + s.listen
}

func (s *Server) setCookie(c *fiber.Ctx, name, value string, expires time.Time, sameSite string) {
	c.Cookie(&fiber.Cookie{
		Name: name, Value: value, Path: "/", Expires: expires,
		HTTPOnly: true, Secure: s.cfg.SecureCookies, SameSite: sameSite,
	})
}

func (s *Server) clearCookie(c *fiber.Ctx, name string) {
	s.setCookie(c, name, "", time.Unix(1, 0), fiber.CookieSameSiteLaxMode)
}
