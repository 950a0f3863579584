package http

import (
	"errors"
	"fmt"
	"strings"

	"github.com/gofiber/fiber/v2"

	"dossier/internal/errs"
)

// status is the one place an error code becomes an HTTP status.
func status(code string) int {
	switch code {
	case errs.Invalid:
		return fiber.StatusUnprocessableEntity
	case errs.NotFound:
		return fiber.StatusNotFound
	case errs.Conflict:
		return fiber.StatusConflict
	case errs.Forbidden:
		return fiber.StatusForbidden
	case errs.Unauthorized:
		return fiber.StatusUnauthorized
	case errs.TooLarge:
		return fiber.StatusRequestEntityTooLarge
	case errs.Malformed:
		return fiber.StatusBadRequest
	case errs.Unsupported:
		return fiber.StatusUnsupportedMediaType
	case errs.TooMany:
		return fiber.StatusTooManyRequests
	case errs.Unavailable:
		return fiber.StatusServiceUnavailable
	}
	return fiber.StatusInternalServerError
}

// fromFiber turns Fiber's own errors (unknown route, body too large,
// timeouts) into errs codes with messages a person understands.
func (s *Server) fromFiber(fe *fiber.Error) error {
	switch fe.Code {
	case fiber.StatusNotFound:
		return errs.E(errs.NotFound, "There is no page at this address.")
	case fiber.StatusMethodNotAllowed:
		return errs.E(errs.Invalid, "This address does not accept that method.")
	case fiber.StatusRequestEntityTooLarge:
		return errs.E(errs.TooLarge, "The request is larger than the limit of %s.", humanBytes(s.cfg.BodyLimit))
	case fiber.StatusRequestTimeout:
		return errs.E(errs.Invalid, "The request took too long to arrive.")
	}
	if fe.Code >= 400 && fe.Code < 500 {
		return errs.E(errs.Invalid, "%s", fe.Message)
	}
	return errs.Wrap(errs.Internal, fe, "fiber error")
}

// errorBody is the JSON shape of every API error.
type errorBody struct {
	Error struct {
		Code      string            `json:"code"`
		Message   string            `json:"message"`
		Field     string            `json:"field,omitempty"`
		Fields    map[string]string `json:"fields,omitempty"`  // every invalid field with its message
		Missing   []string          `json:"missing,omitempty"` // what a step still needs (approvals before publishing)
		RequestID string            `json:"request_id,omitempty"`
	} `json:"error"`
}

// handleError is Fiber's error handler: JSON under /api/, an HTML page
// elsewhere. Internal errors are logged here, once, with their cause.
func (s *Server) handleError(c *fiber.Ctx, err error) error {
	var fe *fiber.Error
	if errors.As(err, &fe) {
		err = s.fromFiber(fe)
	}
	code := errs.Code(err)
	st := status(code)
	rid := requestID(c)
	switch code {
	case errs.Internal:
		s.log.Error("request failed", "request_id", rid, "method", c.Method(), "path", redactPath(c.Path()), "err", err)
	case errs.Unavailable:
		s.log.Warn("store unavailable", "request_id", rid, "path", redactPath(c.Path()), "err", err)
	}
	msg := errs.Message(err)
	if strings.HasPrefix(c.Path(), "/api/") || !acceptsHTML(c) {
		var body errorBody
		body.Error.Code, body.Error.Message, body.Error.Field, body.Error.RequestID = code, msg, errs.FieldOf(err), rid
		var many interface{ ByField() map[string]string }
		if errors.As(err, &many) {
			body.Error.Fields = many.ByField()
		}
		body.Error.Missing = missingItems(err)
		return c.Status(st).JSON(body)
	}
	page := s.page(c, headingFor(st))
	if strings.HasPrefix(c.Path(), "/q/") { // a vendor's link: no staff navigation
		page = s.linkPageFor(c, headingFor(st))
	}
	view := ErrorView{Page: page, Heading: headingFor(st), Message: msg, Missing: missingItems(err)}
	if code == errs.Internal || code == errs.Unavailable {
		view.RequestID = rid
	}
	c.Status(st)
	return s.render(c, "error", view)
}

// ErrorView is the error page.
type ErrorView struct {
	Page
	Heading   string
	Message   string
	Missing   []string // what the step still needs, listed under the message
	RequestID string
}

func headingFor(status int) string {
	switch status {
	case fiber.StatusNotFound:
		return "Page not found"
	case fiber.StatusForbidden:
		return "Not allowed"
	case fiber.StatusUnauthorized:
		return "Please sign in"
	case fiber.StatusConflict:
		return "Changed by someone else"
	case fiber.StatusRequestEntityTooLarge:
		return "Too large"
	case fiber.StatusServiceUnavailable:
		return "Temporarily unavailable"
	case fiber.StatusUnprocessableEntity:
		return "Please check what you sent"
	}
	return "Something went wrong"
}

func acceptsHTML(c *fiber.Ctx) bool {
	a := c.Get(fiber.HeaderAccept)
	return a == "" || strings.Contains(a, "text/html") || strings.Contains(a, "*/*")
}

func (s *Server) notFound(c *fiber.Ctx) error {
	return errs.E(errs.NotFound, "There is no page at this address.")
}

func (s *Server) apiNotFound(c *fiber.Ctx) error {
	return errs.E(errs.NotFound, "There is no API endpoint %s %s; see /api/v1/openapi.json.", c.Method(), c.Path())
}

func (s *Server) logPanic(c *fiber.Ctx, e any) {
	s.log.Error("panic", "request_id", requestID(c), "path", redactPath(c.Path()), "panic", fmt.Sprint(e))
}

func humanBytes(n int64) string {
	switch {
	case n >= 1<<30 && n%(1<<30) == 0:
		return fmt.Sprintf("%d GiB", n>>30)
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%d MiB", n>>20)
	case n >= 1<<10 && n%(1<<10) == 0:
		return fmt.Sprintf("%d KiB", n>>10)
	}
	return fmt.Sprintf("%d bytes", n)
}

// missingItems lists what an error says a step still needs, such as the
// approvals a revision lacks before it is published (document.MissingError).
func missingItems(err error) []string {
	var m interface{ Items() []string }
	if errors.As(err, &m) {
		return m.Items()
	}
	return nil
}
