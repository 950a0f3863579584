package http

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/gofiber/fiber/v2"

	"dossier/internal/authz"
	"dossier/internal/errs"
	"dossier/internal/supplier"
)

func (s *Server) vendorAPIRoutes(api fiber.Router) {
	g := api.Group("/vendors", s.signedIn, s.require(authz.View, authz.Every(authz.ClassVendor)))
	edit := s.require(authz.Edit, authz.Every(authz.ClassVendor))
	g.Get("/", s.apiVendorList)
	g.Post("/", edit, s.apiVendorCreate)
	g.Get("/:id", s.apiVendorGet)
	g.Put("/:id", edit, s.apiVendorUpdate)
	g.Post("/:id/transitions", s.apiVendorTransition)
}

// decodeJSON reads a JSON body into out, refusing unknown fields and
// trailing data, with messages a person understands.
func decodeJSON(c *fiber.Ctx, out any) error {
	dec := json.NewDecoder(bytes.NewReader(c.Body()))
	dec.DisallowUnknownFields()
	err := dec.Decode(out)
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case err == nil:
		if dec.Decode(&struct{}{}) != io.EOF {
			return errs.E(errs.Invalid, "The body must hold one JSON object.")
		}
		return nil
	case errors.Is(err, io.EOF):
		return errs.E(errs.Invalid, "The body is empty; send a JSON object.")
	case errors.As(err, &syn):
		return errs.E(errs.Invalid, "The body is not valid JSON (at byte %d).", syn.Offset)
	case errors.As(err, &typ):
		return errs.Field(typ.Field, "%s must be a %s.", typ.Field, typ.Type)
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		f := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
		return errs.Field(f, "There is no field %q.", f)
	}
	return errs.E(errs.Invalid, "The body could not be read: %v", err)
}

// VendorList is GET /api/v1/vendors.
type VendorList struct {
	Vendors []supplier.Vendor `json:"vendors"`
	Total   int64             `json:"total"`
	Page    int               `json:"page"`
	PerPage int               `json:"per_page"`
	Pages   int               `json:"pages"`
}

func (s *Server) apiVendorList(c *fiber.Ctx) error {
	q, _, err := s.vendorQuery(c)
	if err != nil {
		return err
	}
	if pp := c.QueryInt("per_page", 0); pp != 0 {
		q.PerPage = pp
	}
	res, err := s.suppliers.List(c.UserContext(), viewer(c).Domain, q)
	if err != nil {
		return err
	}
	out := VendorList{Vendors: res.Vendors, Total: res.Total, Page: res.Page, PerPage: res.PerPage, Pages: res.Pages}
	if out.Vendors == nil {
		out.Vendors = []supplier.Vendor{}
	}
	return c.JSON(out)
}

func (s *Server) apiVendorGet(c *fiber.Ctx) error {
	v, err := s.suppliers.Get(c.UserContext(), viewer(c).Domain, c.Params("id"))
	if err != nil {
		return err
	}
	return c.JSON(v)
}

func (s *Server) apiVendorCreate(c *fiber.Ctx) error {
	var f supplier.Fields
	if err := decodeJSON(c, &f); err != nil {
		return err
	}
	v, err := s.suppliers.Create(c.UserContext(), viewer(c).Domain, f)
	if err != nil {
		return apiDuplicate(err)
	}
	c.Location("/api/v1/vendors/" + v.ID)
	return c.Status(fiber.StatusCreated).JSON(v)
}

// VendorUpdate is the body of PUT /api/v1/vendors/{id}: every editable
// field, and the version the client read.
type VendorUpdate struct {
	Version int64 `json:"version"`
	supplier.Fields
}

func (s *Server) apiVendorUpdate(c *fiber.Ctx) error {
	var body VendorUpdate
	if err := decodeJSON(c, &body); err != nil {
		return err
	}
	v, err := s.suppliers.Update(c.UserContext(), viewer(c).Domain, c.Params("id"), body.Version, body.Fields)
	if err != nil {
		return apiDuplicate(err)
	}
	return c.JSON(v)
}

// apiDuplicate adds where the existing vendor is to a duplicate's message.
func apiDuplicate(err error) error {
	var dup *supplier.DuplicateError
	if errors.As(err, &dup) {
		return &errs.Error{Code: errs.Conflict, Field: dup.Field,
			Message: fmt.Sprintf("%s It is at /api/v1/vendors/%s.", errs.Message(err), dup.Existing.ID)}
	}
	return err
}

// TransitionBody is the body of POST /api/v1/vendors/{id}/transitions.
type TransitionBody struct {
	To      string `json:"to"`
	Note    string `json:"note"`
	Version int64  `json:"version"`
	// Approving onboarding is a signature: the approver's password, and
	// their TOTP code when enrolled.
	Password string `json:"password"`
	Code     string `json:"code"`
}

func (s *Server) apiVendorTransition(c *fiber.Ctx) error {
	var body TransitionBody
	if err := decodeJSON(c, &body); err != nil {
		return err
	}
	if err := s.authorizeMove(c, body.To, body.Password, body.Code); err != nil {
		return err
	}
	vd, err := s.suppliers.Transition(c.UserContext(), viewer(c).Domain, c.Params("id"), body.Version, body.To, body.Note)
	if err != nil {
		return err
	}
	return c.JSON(vd)
}
