package http

import (
	"io"
	"strings"

	"github.com/gofiber/fiber/v2"
)

// The server streams request bodies (fiber's StreamRequestBody) so that an
// upload goes to a temporary file as it arrives instead of into memory.
// In that mode fasthttp enforces no body limit, so limitBody does: it
// refuses a declared oversize body at once, reads any other body (at most
// the limit) into memory so handlers use c.Body, c.FormValue and
// c.BodyParser as before, and leaves a multipart body to stream to its
// handler (readUpload), which bounds it by the upload limit.

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
	limit := int(s.cfg.BodyLimit)
	if c.Request().Header.ContentLength() > limit {
		c.Context().SetConnectionClose()
		return fiber.ErrRequestEntityTooLarge
	}
	if strings.HasPrefix(c.Get(fiber.HeaderContentType), fiber.MIMEMultipartForm) {
		body := &trackedBody{r: stream}
		c.Locals(streamKey, body)
		err := c.Next()
		if !body.eof {
			// Bytes left unread would be parsed as the next request on
			// this connection: close it instead.
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
