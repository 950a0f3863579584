package http

import (
	"io"
	"regexp"
	"strings"

	"github.com/gofiber/fiber/v2"

	"dossier/internal/errs"
	"dossier/internal/upload"
)

// The server streams request bodies (fiber's StreamRequestBody) so that an
// upload goes to a temporary file as it arrives instead of into memory.
// In that mode fasthttp enforces no body limit, so limitBody does: it
// refuses compressed bodies and a declared oversize body at once, lets the
// body of an upload route stream to its handler (readUpload, which bounds
// it by the upload limit), and reads any other body — multipart included —
// into memory, at most the body limit, so c.Body, c.FormValue and
// c.BodyParser work as before and can never spool an unbounded form.

// uploadRoute matches the routes whose handlers read their body with
// readUpload, in any letter case and with or without a trailing slash,
// as Fiber routes them.
var uploadRoute = regexp.MustCompile(`(?i)^/(q/[^/]+/evidence|vendors/[^/]+/evidence|vendors/[^/]+/offboarding/certificate|vendors/import|contracts/[^/]+/files|api/v1/contracts/[^/]+/files|documents/[^/]+/revisions(/[0-9]+/edit)?|api/v1/documents/[^/]+/revisions(/[0-9]+)?)/?$`)

const streamKey = "body-stream"

// trackedBody remembers whether the handler read the body to its end.
type trackedBody struct {
	r   io.Reader
	eof bool
}

func (b *trackedBody) Read(p []byte) (int, error) {
	if b.eof {
		return 0, io.EOF // a finished chunked stream must not be read again
	}
	n, err := b.r.Read(p)
	if err == io.EOF {
		b.eof = true
	}
	return n, err
}

func (s *Server) limitBody(c *fiber.Ctx) error {
	stream := c.Context().RequestBodyStream()
	if stream == nil {
		return c.Next()
	}
	if enc := c.Get(fiber.HeaderContentEncoding); enc != "" && !strings.EqualFold(enc, "identity") {
		c.Context().SetConnectionClose()
		return errs.E(errs.Unsupported, "Compressed request bodies are not accepted; send the body as it is.")
	}
	limit := int(s.cfg.BodyLimit)
	streamed := strings.HasPrefix(c.Get(fiber.HeaderContentType), fiber.MIMEMultipartForm) && uploadRoute.MatchString(c.Path())
	if c.Request().Header.ContentLength() > limit {
		c.Context().SetConnectionClose()
		if streamed {
			return upload.TooLargeError(s.cfg.UploadLimit)
		}
		return fiber.ErrRequestEntityTooLarge
	}
	if streamed {
		body := &trackedBody{r: stream}
		c.Locals(streamKey, body)
		err := c.Next()
		if !body.eof {
			// A refused upload: read the rest (at most the body limit) so
			// the browser, still sending, gets the answer instead of a
			// reset; bytes left unread would be parsed as the next request
			// on this connection, so it closes.
			_, _ = io.Copy(io.Discard, io.LimitReader(body, int64(limit)))
			c.Context().SetConnectionClose()
		}
		return err
	}
	b, err := io.ReadAll(io.LimitReader(stream, int64(limit)+1))
	if err != nil {
		c.Context().SetConnectionClose()
		return fiber.ErrBadRequest
	}
	if len(b) > limit {
		c.Context().SetConnectionClose()
		return fiber.ErrRequestEntityTooLarge
	}
	c.Request().SetBodyRaw(b)
	return c.Next()
}
