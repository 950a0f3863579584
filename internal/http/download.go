package http

import (
	"errors"
	"io"
	"mime"
	"strings"

	"github.com/gofiber/fiber/v2"

	"dossier/internal/blob"
	"dossier/internal/errs"
)

// sendVerified reads a stored file to its end, where the blob reader checks
// its SHA-256, before sending a byte: a file that fails the check becomes
// an error page, never a download that looks complete. headers sets the
// file's own headers (type, disposition, policy) only once it passed, so
// the error page is never saved as the file. Files sent this way are
// capped by their upload limits, so holding one in memory is bounded.
func sendVerified(c *fiber.Ctx, r io.Reader, headers func()) error {
	b, err := io.ReadAll(r)
	if errors.Is(err, blob.ErrIntegrity) {
		return errs.Wrap(errs.Internal, err, "stored file failed its integrity check")
	}
	if err != nil {
		return err
	}
	headers()
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.Send(b)
}

// attachment makes the browser save the response as name. The header is
// built by mime.FormatMediaType, which quotes plain names and encodes
// others as RFC 2231 filename*.
func attachment(c *fiber.Ctx, name string) {
	c.Set(fiber.HeaderContentDisposition, mime.FormatMediaType("attachment", map[string]string{"filename": safeFilename(name)}))
}

// inlineFile shows the response in the browser. The browser's PDF viewer
// needs its own scripts; the file itself may run none.
func inlineFile(c *fiber.Ctx) {
	c.Set(fiber.HeaderContentDisposition, "inline")
	c.Set("Content-Security-Policy", "sandbox; default-src 'none'; img-src 'self'; style-src 'unsafe-inline'")
}

// safeFilename keeps a download name printable and free of quotes and
// path separators.
func safeFilename(name string) string {
	name = strings.Map(func(r rune) rune {
		switch {
		case r < 0x20, r == 0x7f, r == '"', r == '\\', r == '/':
			return '_'
		}
		return r
	}, name)
	if name == "" {
		return "download"
	}
	return name
}
