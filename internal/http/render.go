package http

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"html/template"
	"io/fs"
	"mime"
	"net/url"
	"path"
	"slices"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"dossier/internal/assessment"
	"dossier/internal/authz"
	"dossier/internal/risk"
)

// pages lists every page template; each is parsed with the layout at start.
var pages = []string{"home", "status", "error",
	"signin", "signin_mfa", "setup", "password",
	"account", "account_mfa", "recovery_codes",
	"admin_users", "admin_user", "admin_security", "admin_grants",
	"audit",
	"vendors", "vendor", "vendor_form", "vendor_import",
	"assessments", "assessment", "assessment_send", "evidence", "questionnaires", "questionnaire_preview",
	"link",
	"contracts", "contract", "contract_form", "baa_gaps",
	"documents", "document", "document_form", "document_revision", "document_upload", "document_diff",
	"notices"}

// Page is what the layout needs; every view-model embeds it.
type Page struct {
	Title    string
	Hospital string
	Version  string
	Nav      []NavItem
	User     *PageUser // nil when nobody is signed in
	CSRF     string    // goes into every form as _csrf
	Flash    string    // a one-time note after a change: "Password changed."
	// External pages are for people outside the hospital (a vendor's
	// questionnaire link): no navigation, no sign-in.
	External bool
	Unread   int // the signed-in user's unread notices, for the badge
}

// PageUser is the signed-in person as the layout shows them.
type PageUser struct {
	Name   string
	Email  string
	Domain string
	Roles  []string
}

// FieldView is one labelled input with its error, for the "input" template.
type FieldView struct {
	Name, ID, Label, Value, Error string
}

// NavItem is one entry of the main navigation.
type NavItem struct {
	Label   string
	Href    string
	Current bool
}

type asset struct {
	name        string // hashed: app.3f2a9c1b.css
	body        []byte
	contentType string
}

type views struct {
	pages  map[string]*template.Template
	assets map[string]asset // by hashed name
	byName map[string]string
}

// parseViews reads the embedded static files, giving each a name that
// carries its content hash, and parses every page with the layout.
func parseViews(files fs.FS) (*views, error) {
	v := &views{pages: map[string]*template.Template{}, assets: map[string]asset{}, byName: map[string]string{}}
	err := fs.WalkDir(files, "static", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		body, err := fs.ReadFile(files, p)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(body)
		name := path.Base(p)
		ext := path.Ext(name)
		hashed := strings.TrimSuffix(name, ext) + "." + hex.EncodeToString(sum[:4]) + ext
		v.assets[hashed] = asset{name: hashed, body: body, contentType: mime.TypeByExtension(ext)}
		v.byName[name] = "/static/" + hashed
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("static assets: %w", err)
	}
	funcs := template.FuncMap{
		"asset": func(name string) (string, error) {
			if p, ok := v.byName[name]; ok {
				return p, nil
			}
			return "", fmt.Errorf("no static asset %q", name)
		},
		// when shows a time in UTC to the minute; the zero time is "never".
		"when": func(t time.Time) string {
			if t.IsZero() {
				return "never"
			}
			return t.UTC().Format("2006-01-02 15:04 UTC")
		},
		// date shows a day; the zero time is "—".
		"date": func(t time.Time) string {
			if t.IsZero() {
				return "—"
			}
			return t.UTC().Format("2 Jan 2006")
		},
		"join": strings.Join,
		// words shows a code in words: "in_review" → "in review".
		"words": func(code any) string { return strings.ReplaceAll(fmt.Sprint(code), "_", " ") },
		// has reports whether a list of strings holds one.
		"has": func(list []string, s string) bool { return slices.Contains(list, s) },
		// outcome and kind name an assessment's outcome and an evidence kind.
		"outcome": assessment.OutcomeLabel,
		"kind":    assessment.KindLabel,
		// days counts whole days from now to t (negative: past).
		"days": func(now, t time.Time) int { return int(t.Sub(now).Hours() / 24) },
		// tier shows a risk tier in words: "Tier 1 · critical".
		"tier": func(t int) string {
			if t == 0 {
				return "Not yet tiered"
			}
			return fmt.Sprintf("Tier %d · %s", t, risk.TierName(t))
		},
		// field bundles what the "input" template needs for one labelled
		// input: its name, label, value and the error beside it.
		"field": func(name, label string, value any, errors map[string]string) FieldView {
			return FieldView{Name: name, ID: strings.NewReplacer(".", "-", "_", "-").Replace(name), Label: label, Value: fmt.Sprint(value), Error: errors[name]}
		},
	}
	for _, name := range pages {
		t, err := template.New(name).Funcs(funcs).ParseFS(files, "layout.html", name+".html")
		if err != nil {
			return nil, fmt.Errorf("template %s: %w", name, err)
		}
		if t.Lookup("layout") == nil || t.Lookup("content") == nil {
			return nil, fmt.Errorf("template %s: needs a layout and a content block", name)
		}
		v.pages[name] = t
	}
	return v, nil
}

// render writes a page. The whole page is rendered before anything is
// sent, so a template error becomes an error page, not half a page.
func (s *Server) render(c *fiber.Ctx, name string, view any) error {
	t, ok := s.views.pages[name]
	if !ok {
		return fmt.Errorf("no page template %q", name)
	}
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, "layout", view); err != nil {
		return fmt.Errorf("render %s: %w", name, err)
	}
	c.Set(fiber.HeaderCacheControl, "no-store")
	c.Type("html", "utf-8")
	return c.Send(buf.Bytes())
}

// page fills the layout's part of a view-model. The navigation offers
// only what the viewer may open.
func (s *Server) page(c *fiber.Ctx, title string) Page {
	nav := []NavItem{{Label: "Home", Href: "/"}}
	if s.can(c, authz.View, authz.Every(authz.ClassVendor)) {
		nav = append(nav, NavItem{Label: "Suppliers", Href: "/vendors"})
	}
	if s.can(c, authz.View, authz.Every(authz.ClassAssessment)) {
		nav = append(nav, NavItem{Label: "Assessments", Href: "/assessments"})
	}
	if s.can(c, authz.View, authz.Every(authz.ClassContract)) {
		nav = append(nav, NavItem{Label: "Contracts", Href: "/contracts"})
	}
	if s.can(c, authz.View, authz.Every(authz.ClassDocument)) {
		nav = append(nav, NavItem{Label: "Documents", Href: "/documents"})
	}
	if s.can(c, authz.View, authz.Every(authz.ClassUser)) {
		nav = append(nav, NavItem{Label: "Users", Href: "/admin/users"})
	}
	if s.can(c, authz.View, authz.Every(authz.ClassGrant)) {
		nav = append(nav, NavItem{Label: "Permissions", Href: "/admin/grants"})
	}
	if s.can(c, authz.View, authz.Every(authz.ClassAudit)) {
		nav = append(nav, NavItem{Label: "Audit trail", Href: "/audit"})
	}
	nav = append(nav, NavItem{Label: "Status", Href: "/status"}, NavItem{Label: "API", Href: "/api/v1/openapi.json"})
	for i := range nav {
		nav[i].Current = nav[i].Href == c.Path() || nav[i].Href != "/" && strings.HasPrefix(c.Path(), nav[i].Href+"/")
	}
	p := Page{Title: title, Hospital: s.cfg.Hospital, Version: s.cfg.Version, Nav: nav, CSRF: csrfToken(c), Flash: s.takeFlash(c)}
	if v := viewer(c); v != nil {
		p.User = &PageUser{Name: v.User.Name, Email: v.User.Email, Domain: v.Domain, Roles: v.Roles}
		p.Unread = s.unread(c, v.User.ID)
	}
	return p
}

const flashCookie = "dossier_flash"

// flash leaves a one-line note for the page the browser is sent to next.
func (s *Server) flash(c *fiber.Ctx, msg string) {
	s.setCookie(c, flashCookie, base64.RawURLEncoding.EncodeToString([]byte(msg)), s.now().Add(time.Minute), fiber.CookieSameSiteLaxMode)
}

func (s *Server) takeFlash(c *fiber.Ctx) string {
	v := c.Cookies(flashCookie)
	if v == "" {
		return ""
	}
	s.clearCookie(c, flashCookie)
	b, err := base64.RawURLEncoding.DecodeString(v)
	if err != nil || len(b) > 300 {
		return ""
	}
	return string(b)
}

// withQuery is path with q as its query string, when q has any values:
// a link built whole in Go, since a template escapes the "=" of a query
// string written into an attribute piece by piece.
func withQuery(path string, q url.Values) string {
	if len(q) == 0 {
		return path
	}
	return path + "?" + q.Encode()
}

// redirect sends the browser on after a change (post/redirect/get), with
// a note for the next page.
func (s *Server) redirect(c *fiber.Ctx, to, note string) error {
	if note != "" {
		s.flash(c, note)
	}
	return c.Redirect(to, fiber.StatusSeeOther)
}

// static serves an embedded asset by its hashed name, cacheable forever.
func (s *Server) static(c *fiber.Ctx) error {
	a, ok := s.views.assets[c.Params("file")]
	if !ok {
		return fiber.ErrNotFound
	}
	c.Set(fiber.HeaderCacheControl, "public, max-age=31536000, immutable")
	c.Set(fiber.HeaderContentType, a.contentType)
	return c.Send(a.body)
}
