package http

import (
	"bufio"
	"html/template"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"dossier/internal/audit"
	"dossier/internal/authz"
	"dossier/internal/errs"
)

func (s *Server) auditRoutes(app *fiber.App) {
	g := app.Group("/audit", s.signedIn, s.require(authz.View, authz.Every(authz.ClassAudit)))
	g.Get("/", s.auditTrail)
	g.Post("/verify", s.auditVerify)
	// A POST: the export itself is recorded, and a change must not be
	// triggered by a link.
	g.Post("/export", s.require(authz.Export, authz.Every(authz.ClassAudit)), s.auditExport)
}

// AuditView lists audit events newest first, filtered, a page at a time.
type AuditView struct {
	Page
	Events    []audit.Event
	Filter    AuditFilter
	NextPage  template.URL // the older page, "" at the end
	CanExport bool
	Report    *audit.Report
	Today     string
}

// AuditFilter is the filter form.
type AuditFilter struct {
	ObjectType, ObjectID, Actor, Since string
}

const auditPageSize = 50

func (s *Server) auditView(c *fiber.Ctx) (AuditView, error) {
	f := AuditFilter{ObjectType: strings.TrimSpace(c.Query("object_type")), ObjectID: strings.TrimSpace(c.Query("object_id")),
		Actor: strings.TrimSpace(c.Query("actor")), Since: strings.TrimSpace(c.Query("since"))}
	q := audit.Query{ObjectType: f.ObjectType, ObjectID: f.ObjectID, ActorID: f.Actor, Limit: auditPageSize + 1,
		Domains: viewerDomains(viewer(c))}
	if f.Since != "" {
		since, err := time.Parse(time.DateOnly, f.Since)
		if err != nil {
			return AuditView{}, errs.Field("since", "Give the date as YYYY-MM-DD.")
		}
		q.Since = since
	}
	if b := c.Query("before"); b != "" {
		n, err := strconv.ParseInt(b, 10, 64)
		if err != nil || n < 1 {
			return AuditView{}, errs.Field("before", "The page marker is not a sequence number.")
		}
		q.Before = n
	}
	events, err := s.audit.List(c.UserContext(), q)
	if err != nil {
		return AuditView{}, err
	}
	view := AuditView{Page: s.page(c, "Audit trail"), Filter: f, CanExport: s.can(c, authz.Export, authz.Every(authz.ClassAudit)),
		Today: s.now().UTC().Format(time.DateOnly)}
	if len(events) > auditPageSize {
		events = events[:auditPageSize]
		next := c.Context().QueryArgs()
		args := fiber.AcquireArgs()
		defer fiber.ReleaseArgs(args)
		next.CopyTo(args)
		args.Set("before", strconv.FormatInt(events[len(events)-1].Seq, 10))
		view.NextPage = template.URL("/audit?" + args.String()) // fasthttp encoded every argument
	}
	view.Events = events
	return view, nil
}

func (s *Server) auditTrail(c *fiber.Ctx) error {
	view, err := s.auditView(c)
	if err != nil {
		return err
	}
	return s.render(c, "audit", view)
}

// auditVerify walks the whole chain and checks the seals, then shows the
// result above the list.
func (s *Server) auditVerify(c *fiber.Ctx) error {
	r, err := s.audit.Verify(c.UserContext())
	if err != nil {
		return err
	}
	view, err := s.auditView(c)
	if err != nil {
		return err
	}
	view.Report = &r
	return s.render(c, "audit", view)
}

// auditExport downloads the trail from a date, as JSON lines or CSV.
func (s *Server) auditExport(c *fiber.Ctx) error {
	return s.exportAudit(c, true)
}

func (s *Server) apiAuditExport(c *fiber.Ctx) error {
	return s.exportAudit(c, false)
}

func (s *Server) exportAudit(c *fiber.Ctx, download bool) error {
	format := c.FormValue("format", c.Query("format", "jsonl"))
	if format != "jsonl" && format != "csv" {
		return errs.Field("format", "The format is jsonl or csv.")
	}
	var since time.Time
	if v := c.FormValue("since", c.Query("since")); v != "" {
		d, err := time.Parse(time.DateOnly, v)
		if err != nil {
			return errs.Field("since", "Give the date as YYYY-MM-DD.")
		}
		since = d
	}
	ctx := c.UserContext()
	if _, err := s.audit.Append(ctx, audit.Entry{Action: "audit.export", ObjectType: "audit", Domain: viewer(c).Domain,
		Details: map[string]string{"since": since.Format(time.DateOnly), "format": format}}); err != nil {
		return err
	}
	ctype := "application/x-ndjson"
	if format == "csv" {
		ctype = "text/csv; charset=utf-8"
	}
	c.Set(fiber.HeaderContentType, ctype)
	c.Set(fiber.HeaderCacheControl, "no-store")
	if download {
		name := "dossier-audit-" + s.now().UTC().Format("20060102") + "." + format
		attachment(c, name)
	}
	// Render into the response buffer: an error half-way still reaches the
	// error handler instead of a truncated file that looks complete.
	w := bufio.NewWriter(c.Response().BodyWriter())
	if err := s.audit.Export(ctx, w, since, format, viewerDomains(viewer(c))...); err != nil {
		c.Response().ResetBody()
		return err
	}
	return w.Flush()
}

// viewerDomains are the audit events a viewer may read: those of the
// hospital they work in, and deployment-wide ones (sign-ins, accounts).
func viewerDomains(v *Viewer) []string { return []string{v.Domain, ""} }

// MeBody is GET /api/v1/me.
type MeBody struct {
	ID      string   `json:"id"`
	Email   string   `json:"email"`
	Name    string   `json:"name"`
	Domain  string   `json:"domain"`
	Roles   []string `json:"roles"`
	Domains []string `json:"domains"`
}

func (s *Server) apiMe(c *fiber.Ctx) error {
	v := viewer(c)
	roles := v.Roles
	if roles == nil {
		roles = []string{}
	}
	return c.JSON(MeBody{ID: v.User.ID, Email: v.User.Email, Name: v.User.Name, Domain: v.Domain, Roles: roles, Domains: v.Domains})
}
