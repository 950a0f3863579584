package http

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"strings"

	"github.com/gofiber/fiber/v2"

	"dossier/internal/errs"
)

const (
	csrfCookie = "dossier_csrf"
	csrfField  = "_csrf"
	csrfHeader = "X-CSRF-Token"
	csrfKey    = "csrf"
)

// csrf guards every state-changing request made with a browser's cookies:
// the form (or the X-CSRF-Token header) must carry the value of the
// visitor's CSRF cookie, which another site can neither read nor set
// (HttpOnly, SameSite=Strict). This is the double-submit pattern; it needs
// no server-side state, so every instance checks it alike. API calls with a
// bearer token carry no ambient credentials and are exempt.
func (s *Server) csrf(c *fiber.Ctx) error {
	safe := c.Method() == fiber.MethodGet || c.Method() == fiber.MethodHead || c.Method() == fiber.MethodOptions
	if safe && strings.HasPrefix(c.Path(), "/api/") {
		return c.Next() // no form will follow; API clients need no cookie
	}
	token := c.Cookies(csrfCookie)
	if len(token) < 32 {
		token = s.newCSRF(c)
	}
	c.Locals(csrfKey, token)
	if safe {
		return c.Next()
	}
	if _, ok := bearerToken(c); ok && strings.HasPrefix(c.Path(), "/api/") {
		return c.Next()
	}
	sent := c.Get(csrfHeader)
	switch {
	case sent != "":
	case strings.HasPrefix(c.Get(fiber.HeaderContentType), fiber.MIMEMultipartForm):
		// An upload's body streams to its handler: reading a form value
		// here would load it whole. Upload forms put the token in their
		// action's query string instead.
		sent = c.Query(csrfField)
	default:
		sent = c.FormValue(csrfField)
	}
	// Compare with the token checked above: a short cookie planted by
	// someone else has just been replaced and matches nothing.
	if sent == "" || subtle.ConstantTimeCompare([]byte(sent), []byte(token)) != 1 {
		return errs.E(errs.Forbidden, "This form has expired or was sent from another site. Go back, reload the page and try again.")
	}
	return c.Next()
}

// newCSRF gives the visitor a fresh token; sign-in calls it too, so a
// token planted before sign-in is not carried into the session.
func (s *Server) newCSRF(c *fiber.Ctx) string {
	b := make([]byte, 32)
	rand.Read(b)
	token := base64.RawURLEncoding.EncodeToString(b)
	c.Cookie(&fiber.Cookie{Name: csrfCookie, Value: token, Path: "/", HTTPOnly: true, Secure: s.cfg.SecureCookies, SameSite: fiber.CookieSameSiteStrictMode})
	c.Locals(csrfKey, token)
	return token
}

func csrfToken(c *fiber.Ctx) string {
	t, _ := c.Locals(csrfKey).(string)
	return t
}
