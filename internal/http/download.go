package http

import (
	"errors"
	"io"
	"strings"

	"github.com/gofiber/fiber/v2"

	"dossier/internal/blob"
	"dossier/internal/errs"
)

// sendVerified reads a stored file to its end, where the blob reader checks
// its SHA-256, before sending a byte: a file that fails the check becomes
// an error page, never a download that looks complete. Files sent this way
// are capped by their upload limits, so holding one in memory is bounded.
func sendVerified(c *fiber.Ctx, r io.Reader) error {
	b, err := io.ReadAll(r)
	if errors.Is(err, blob.ErrIntegrity) {
		return errs.Wrap(errs.Internal, err, "stored file failed its integrity check")
	}
	if err != nil {
		return err
	}
	return c.Send(b)
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
