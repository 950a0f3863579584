package http

import (
	"bytes"
	"io"

	"github.com/gofiber/fiber/v2"

	"dossier/internal/upload"
)

// readUpload reads a multipart form whose files arrive in field, spooling
// them to temporary files as the body streams in (see limitBody), so
// memory stays flat whatever the size; each file is bounded by limit. The
// caller removes the form's files. Upload forms carry their CSRF token in
// the query string: nothing reads the body before this.
func (s *Server) readUpload(c *fiber.Ctx, field string, limit int64) (*upload.Form, error) {
	var body io.Reader
	if b, ok := c.Locals(streamKey).(*trackedBody); ok {
		body = b
	} else {
		body = bytes.NewReader(c.Body())
	}
	return upload.ReadMultipart(body, c.Get(fiber.HeaderContentType), upload.MultipartOptions{FileField: field, Limit: limit})
}
