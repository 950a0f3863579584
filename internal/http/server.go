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

	"dossier/templates"
)

// Config holds what the HTTP layer needs from the settings.
type Config struct {
	Hospital     string
	Version      string
	BodyLimit    int64
	ReadTimeout  time.Duration
	WriteTimeout time.Duration
}

// Check is one store that must answer for Dossier to be ready.
type Check struct {
	Name  string // short machine name: mongodb, s3
	Label string // for people: "Database (MongoDB)"
	Ping  func(context.Context) error
}

// Server is the Fiber app with its routes.
type Server struct {
	app     *fiber.App
	cfg     Config
	log     *slog.Logger
	views   *views
	checks  []Check
	metrics *metrics
	now     func() time.Time
}

// New builds the app. Templates are parsed here: a broken template stops
// the start, not a request. reg receives the HTTP metrics.
func New(cfg Config, log *slog.Logger, reg *prometheus.Registry, checks []Check, now func() time.Time) (*Server, error) {
	v, err := parseViews(templates.FS)
	if err != nil {
		return nil, err
	}
	s := &Server{cfg: cfg, log: log, views: v, checks: checks, metrics: newMetrics(reg), now: now}
	s.app = fiber.New(fiber.Config{
		AppName:               "dossier",
		ErrorHandler:          s.handleError,
		BodyLimit:             int(cfg.BodyLimit),
		ReadTimeout:           cfg.ReadTimeout,
		WriteTimeout:          cfg.WriteTimeout,
		IdleTimeout:           2 * time.Minute,
		DisableStartupMessage: true,
		ReadBufferSize:        16 << 10,
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

	app.Get("/healthz", s.healthz)
	app.Get("/readyz", s.readyz)
	app.Get("/metrics", metricsHandler(reg))
	app.Get("/static/:file", s.static)

	app.Get("/", s.home)
	app.Get("/status", s.status)

	api := app.Group("/api/v1")
	api.Get("/openapi.json", s.openAPI)
	api.Get("/version", s.version)
	api.Use(s.apiNotFound)

	app.Use(s.notFound)
}

// withContext gives handlers a context that ends with the request.
func (s *Server) withContext(c *fiber.Ctx) error {
	ctx, cancel := context.WithTimeout(context.Background(), s.cfg.WriteTimeout)
	defer cancel()
	c.SetUserContext(ctx)
	return c.Next()
}

// Serve answers requests on ln until Shutdown.
func (s *Server) Serve(ln net.Listener) error { return s.app.Listener(ln) }

// Shutdown stops accepting connections and waits for in-flight requests,
// at most until ctx ends.
func (s *Server) Shutdown(ctx context.Context) error { return s.app.ShutdownWithContext(ctx) }

// App exposes the Fiber app for in-process tests (app.Test) and for the
// route listing the OpenAPI test checks.
func (s *Server) App() *fiber.App { return s.app }
