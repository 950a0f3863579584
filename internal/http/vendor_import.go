package http

import (
	"bytes"
	"encoding/base64"
	"io"

	"github.com/gofiber/fiber/v2"

	"dossier/internal/audit"
	"dossier/internal/errs"
	"dossier/internal/supplier"
)

// importLimit caps an uploaded register spreadsheet.
const importLimit = 5 << 20

// VendorImportView uploads a CSV, previews it row by row, and imports it.
type VendorImportView struct {
	Page
	Result  *supplier.ImportResult
	Payload string // the previewed file, carried to the import button
	Name    string
	Error   string
	Applied bool
}

func (s *Server) vendorImportForm(c *fiber.Ctx) error {
	return s.render(c, "vendor_import", VendorImportView{Page: s.page(c, "Import suppliers")})
}

// vendorImportPreview runs the import as a dry run and shows what each row
// would do. The file travels back in the page so the import needs no
// server-side state.
func (s *Server) vendorImportPreview(c *fiber.Ctx) error {
	view := VendorImportView{Page: s.page(c, "Import suppliers")}
	form, err := s.readUpload(c, "file", importLimit)
	if err != nil {
		return err
	}
	defer form.Remove()
	if len(form.Files) == 0 {
		view.Error = "Choose the CSV file to import."
		c.Status(fiber.StatusUnprocessableEntity)
		return s.render(c, "vendor_import", view)
	}
	f, err := form.Files[0].Open()
	if err != nil {
		return err
	}
	defer f.Close()
	data, err := io.ReadAll(f)
	if err != nil {
		return err
	}
	res, err := s.suppliers.Preview(c.UserContext(), viewer(c).Domain, bytes.NewReader(data))
	if err != nil && !errs.Is(err, errs.Invalid) {
		return err
	}
	view.Name = form.Files[0].Name
	if err != nil && len(res.Rows) == 0 {
		view.Error = errs.Message(err)
		c.Status(fiber.StatusUnprocessableEntity)
		return s.render(c, "vendor_import", view)
	}
	view.Result = &res
	if res.Errors == 0 && res.New > 0 {
		view.Payload = base64.StdEncoding.EncodeToString(data)
	}
	return s.render(c, "vendor_import", view)
}

func (s *Server) vendorImportApply(c *fiber.Ctx) error {
	data, err := base64.StdEncoding.DecodeString(c.FormValue("payload"))
	if err != nil || len(data) == 0 || len(data) > importLimit {
		return errs.E(errs.Invalid, "The previewed file did not come back intact; upload it again.")
	}
	res, err := s.suppliers.Import(c.UserContext(), viewer(c).Domain, bytes.NewReader(data))
	view := VendorImportView{Page: s.page(c, "Import suppliers"), Result: &res, Name: c.FormValue("name"), Applied: err == nil}
	if err != nil {
		if !errs.Is(err, errs.Invalid) {
			return err
		}
		view.Error = errs.Message(err)
		c.Status(fiber.StatusUnprocessableEntity)
	}
	return s.render(c, "vendor_import", view)
}

// vendorExport downloads the register, with the list's filters, as CSV or
// XLSX.
func (s *Server) vendorExport(format string) fiber.Handler {
	return func(c *fiber.Ctx) error {
		q, _, err := s.vendorQuery(c)
		if err != nil {
			return err
		}
		var buf bytes.Buffer
		name := "supplier-register-" + s.now().UTC().Format("20060102") + "." + format
		if format == "csv" {
			err = s.suppliers.ExportCSV(c.UserContext(), viewer(c).Domain, q, &buf)
			c.Set(fiber.HeaderContentType, "text/csv; charset=utf-8")
		} else {
			err = s.suppliers.ExportXLSX(c.UserContext(), viewer(c).Domain, q, &buf)
			c.Set(fiber.HeaderContentType, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
		}
		if err != nil {
			return err
		}
		// The register holds contacts' personal data: who took it is recorded.
		if _, err := s.audit.Append(c.UserContext(), audit.Entry{Action: "vendor.export", ObjectType: "vendor", Domain: viewer(c).Domain,
			Details: map[string]string{"format": format, "filters": string(c.Request().URI().QueryString())}}); err != nil {
			return err
		}
		attachment(c, name)
		c.Set(fiber.HeaderCacheControl, "no-store")
		return c.Send(buf.Bytes())
	}
}
