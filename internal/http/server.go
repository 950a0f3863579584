// Package http serves Dossier's HTML pages and JSON API from one Fiber app.
// Handlers are thin: parse, authorize, call the domain service, render.
package http

import (
	"context"
	"log/slog"
	"net"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/middleware/helmet"
	"github.com/gofiber/fiber/v2/middleware/recover"
	"github.com/gofiber/fiber/v2/middleware/requestid"
	"github.com/prometheus/client_golang/prometheus"

	"dossier/internal/access"
	"dossier/internal/assessment"
	"dossier/internal/audit"
	"dossier/internal/authz"
	"dossier/internal/contract"
	"dossier/internal/document"
	"dossier/internal/notify"
	"dossier/internal/ratelimit"
	"dossier/internal/supplier"
	"dossier/templates"
)

// Config holds what the HTTP layer needs from the settings.
type Config struct {
	Hospital     string
	Version      string
	BodyLimit    int64
	ReadTimeout  time.Duration
	WriteTimeout time.Duration
	// Domain is the hospital a viewer works in unless they chose another
	// of theirs.
	Domain string
	// SecureCookies marks cookies Secure: people reach Dossier over https.
	SecureCookies bool
	// PublicURL is where people reach Dossier (links shown to be passed
	// on); empty: the address Dossier listens on.
	PublicURL string
	// TrustedProxies may name the client in X-Real-IP; without them
	// the client is the connection's peer.
	TrustedProxies []string
	// UploadLimit is the largest file accepted in one upload.
	UploadLimit int64
}

// Services are the domain services handlers call.
type Services struct {
	Access      *access.Service
	Authz       *authz.Authorizer
	Audit       *audit.Log
	Suppliers   *supplier.Service
	Assessments *assessment.Service
	Contracts   *contract.Service
	Documents   *document.Service
	Notify      *notify.Service    // in-app notices
	Jobs        *notify.Runner     // scheduled jobs, for their status
	Limits      *ratelimit.Limiter // rate limits of the vendors' links
}

// Check is one store that must answer for Dossier to be ready.
type Check struct {
	Name  string // short machine name: mongodb, s3
	Label string // for people: "Database (MongoDB)"
	Ping  func(context.Context) error
}

// Server is the Fiber app with its routes.
type Server struct {
	app         *fiber.App
	cfg         Config
	log         *slog.Logger
	views       *views
	checks      []Check
	metrics     *metrics
	now         func() time.Time
	access      *access.Service
	authz       *authz.Authorizer
	audit       *audit.Log
	suppliers   *supplier.Service
	assessments *assessment.Service
	contracts   *contract.Service
	documents   *document.Service
	notify      *notify.Service
	jobs        *notify.Runner
	limits      *ratelimit.Limiter
	listen      string // the address Serve listens on
}

// New builds the app. Templates are parsed here: a broken template stops
// the start, not a request. reg receives the HTTP metrics.
func New(cfg Config, svc Services, log *slog.Logger, reg *prometheus.Registry, checks []Check, now func() time.Time) (*Server, error) {
	v, err := parseViews(templates.FS)
	if err != nil {
		return nil, err
	}
	s := &Server{cfg: cfg, log: log, views: v, checks: checks, metrics: newMetrics(reg), now: now,
		access: svc.Access, authz: svc.Authz, audit: svc.Audit, suppliers: svc.Suppliers,
		assessments: svc.Assessments, contracts: svc.Contracts, documents: svc.Documents, notify: svc.Notify, jobs: svc.Jobs, limits: svc.Limits}
	s.app = fiber.New(fiber.Config{
		AppName:      "dossier",
		ErrorHandler: s.handleError,
		BodyLimit:    int(cfg.BodyLimit),
		// Bodies stream: uploads go to temporary files as they arrive.
		// limitBody enforces BodyLimit, which fasthttp then does not.
		StreamRequestBody:            true,
		DisablePreParseMultipartForm: true,
		ReadTimeout:                  cfg.ReadTimeout,
		WriteTimeout:                 cfg.WriteTimeout,
		IdleTimeout:                  2 * time.Minute,
		DisableStartupMessage:        true,
		ReadBufferSize:               16 << 10,
		// Handlers hand form values, cookies and parameters to services that
		// may keep them (caches, audit details); copy them out of fasthttp's
		// reused buffers once, here, instead of at every call.
		Immutable: true,
		// Sign-in limits and the audit trail need the real client address.
		EnableTrustedProxyCheck: len(cfg.TrustedProxies) > 0,
		TrustedProxies:          cfg.TrustedProxies,
		ProxyHeader:             proxyHeader(cfg.TrustedProxies),
		EnableIPValidation:      true,
	})
	s.routes(reg)
	return s, nil
}

func (s *Server) routes(reg *prometheus.Registry) {
	app := s.app
	app.Use(requestid.New())
	app.Use(s.observe)
	app.Use(recover.New(recover.Config{EnableStackTrace: true, StackTraceHandler: s.logPanic}))
	app.Use(helmet.New(helmet.Config{
		ContentSecurityPolicy: "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; " +
			"object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
		ReferrerPolicy:            "no-referrer",
		PermissionPolicy:          "camera=(), microphone=(), geolocation=(), payment=()",
		CrossOriginEmbedderPolicy: "require-corp",
		CrossOriginOpenerPolicy:   "same-origin",
		CrossOriginResourcePolicy: "same-origin",
		HSTSMaxAge:                63072000,
		XFrameOptions:             "DENY",
	}))
	app.Use(s.withContext)
	app.Use(s.limitBody)

	app.Get("/healthz", s.healthz)
	app.Get("/readyz", s.readyz)
	app.Get("/metrics", metricsHandler(reg))
	app.Get("/static/:file", s.static)
	s.calendarRoutes(app) // before sign-in: the feed's secret is its credential, and calendar clients get no cookies

	app.Use(s.authenticate, s.csrf, s.enforceMFA)
	app.Get("/", s.home)
	app.Get("/status", s.status)
	s.signInRoutes(app)
	s.accountRoutes(app)
	s.adminRoutes(app)
	s.auditRoutes(app)
	s.vendorRoutes(app)
	s.assessmentRoutes(app)
	s.contractRoutes(app)
	s.documentRoutes(app)
	s.linkRoutes(app)

	api := app.Group("/api/v1")
	api.Get("/openapi.json", s.openAPI)
	api.Get("/version", s.version)
	api.Get("/me", s.signedIn, s.apiMe)
	api.Get("/audit/events", s.signedIn, s.require(authz.Export, authz.Every(authz.ClassAudit)), s.apiAuditExport)
	s.vendorAPIRoutes(api)
	s.assessmentAPIRoutes(api)
	s.contractAPIRoutes(api)
	s.documentAPIRoutes(api)
	s.noticeRoutes(app, api)
	api.Use(s.apiNotFound)

	app.Use(s.notFound)
}

func proxyHeader(trusted []string) string {
	if len(trusted) == 0 {
		return ""
	}
	// X-Real-IP, not X-Forwarded-For: a proxy sets it to the peer it saw,
	// while X-Forwarded-For keeps whatever the client sent in front.
	return "X-Real-IP"
}

// withContext gives handlers a context that ends with the request.
func (s *Server) withContext(c *fiber.Ctx) error {
	ctx, cancel := context.WithTimeout(context.Background(), s.cfg.WriteTimeout)
	defer cancel()
	c.SetUserContext(ctx)
	return c.Next()
}

// Serve answers requests on ln until Shutdown.
func (s *Server) Serve(ln net.Listener) error {
	s.listen = ln.Addr().String() // before the first request is accepted
	return s.app.Listener(ln)
}

// Shutdown stops accepting connections and waits for in-flight requests,
// at most until ctx ends.
func (s *Server) Shutdown(ctx context.Context) error { return s.app.ShutdownWithContext(ctx) }

// App exposes the Fiber app for in-process tests (app.Test) and for the
// route listing the OpenAPI test checks.
func (s *Server) App() *fiber.App { return s.app }
