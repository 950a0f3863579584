package http

import (
	"fmt"
	"io"
	"net/http/httptest"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/gofiber/fiber/v2"

	"dossier/internal/blob"
)

// TestSendVerified: the file's headers go out only with a file that passed
// its check, so a failed one is never saved under the file's name.
func TestSendVerified(t *testing.T) {
	for name, tc := range map[string]struct {
		body       io.Reader
		status     int
		attachment bool
	}{
		"OK":           {strings.NewReader("%PDF-1.7 signed"), 200, true},
		"ErrIntegrity": {io.MultiReader(strings.NewReader("%PDF-1.7 tam"), iotest.ErrReader(fmt.Errorf("read: %w", blob.ErrIntegrity))), 500, false},
	} {
		t.Run(name, func(t *testing.T) {
			app := fiber.New()
			app.Get("/", func(c *fiber.Ctx) error {
				return sendVerified(c, tc.body, func() {
					c.Set(fiber.HeaderContentType, "application/pdf")
					attachment(c, "baa.pdf")
				})
			})
			res, err := app.Test(httptest.NewRequest("GET", "/", nil))
			if err != nil {
				t.Fatal(err)
			}
			cd := res.Header.Get(fiber.HeaderContentDisposition)
			if res.StatusCode != tc.status || (cd != "") != tc.attachment || (res.Header.Get(fiber.HeaderContentType) == "application/pdf") != tc.attachment {
				t.Fatalf("%d, Content-Disposition %q, Content-Type %q", res.StatusCode, cd, res.Header.Get(fiber.HeaderContentType))
			}
		})
	}
}
