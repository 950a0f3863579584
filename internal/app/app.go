// Package app wires Dossier together: the stores (embedded or external),
// the migrations, the domain services and the HTTP server. cmd/dossier
// parses settings and calls it; tests start the whole program in-process
// through it.
package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"dossier/internal/access"
	"dossier/internal/assessment"
	"dossier/internal/audit"
	"dossier/internal/authz"
	"dossier/internal/blob"
	"dossier/internal/config"
	"dossier/internal/contract"
	"dossier/internal/document"
	"dossier/internal/embedded"
	dhttp "dossier/internal/http"
	"dossier/internal/notify"
	"dossier/internal/ratelimit"
	"dossier/internal/stamp"
	"dossier/internal/store"
	"dossier/internal/supplier"
	"dossier/internal/upload"
)

// App is a running Dossier: its stores, its services and, when serving,
// its HTTP server.
type App struct {
	cfg         config.Config
	log         *slog.Logger
	now         func() time.Time
	DB          *store.Store
	Files       *blob.Store
	Audit       *audit.Log
	Access      *access.Service
	Authz       *authz.Authorizer
	Suppliers   *supplier.Service
	Assessments *assessment.Service
	Contracts   *contract.Service
	Documents   *document.Service
	Notify      *notify.Service
	Jobs        *notify.Runner
	Limits      *ratelimit.Limiter
	HTTP        *dhttp.Server // nil in a command-line tool

	mongo     *embedded.MongoDB
	s3        *embedded.S3
	lock      *dataLock
	handshake bool // this process wrote engines.json
	stopBG    context.CancelFunc
	bg        sync.WaitGroup
	reg       *prometheus.Registry
	storeErrs *prometheus.CounterVec
}

// Migrations are the database migrations, in order. Areas add theirs here.
func Migrations() []store.Migration {
	return []store.Migration{
		{Version: 1, Name: "users, sessions, tokens and sign-in limits", Up: access.Migrate},
		{Version: 2, Name: "authorization rules and built-in roles", Up: authz.Migrate},
		{Version: 3, Name: "audit trail", Up: audit.Migrate},
		{Version: 4, Name: "supplier register", Up: supplier.Migrate},
		{Version: 5, Name: "assessments, findings and evidence", Up: assessment.Migrate},
		{Version: 6, Name: "approvers sign risk acceptances; reviewers no longer do", Up: authz.Migrate},
		{Version: 7, Name: "rate limits of vendor links", Up: ratelimit.Migrate},
		{Version: 8, Name: "contracts, BAAs and the contract index", Up: contract.Migrate},
		{Version: 9, Name: "notices, reminders and job leases", Up: notify.Migrate},
		{Version: 10, Name: "calendar feed addresses", Up: access.Migrate},
		{Version: 11, Name: "controlled documents, acknowledgements and controlled copies", Up: document.Migrate},
	}
}

// Open starts or connects to both stores, runs migrations, builds the
// services and the HTTP server, and starts the background work (policy
// reload, daily audit seal). Errors name the store and say how to fix it.
// On error everything already started is stopped again.
func Open(ctx context.Context, cfg config.Config, log *slog.Logger, version string, now func() time.Time) (_ *App, err error) {
	a := newApp(cfg, log, now)
	defer func() {
		if err != nil {
			a.closeStores(context.Background())
		}
	}()
	if err := a.lockAndStart(ctx); err != nil {
		return nil, err
	}
	if err := a.openStores(ctx, a.cfg); err != nil {
		return nil, err
	}
	// Stored tiers and due dates follow the rubric in the settings.
	if n, err := a.Suppliers.Rescore(audit.WithActor(ctx, audit.System)); err != nil {
		return nil, fmt.Errorf("rescore vendors: %w", err)
	} else if n > 0 {
		log.Info("vendors rescored with the configured risk rubric", "vendors", n)
	}
	if a.mongo != nil || a.s3 != nil {
		if err := writeEngines(cfg.DataDir, a.handshakeInfo()); err != nil {
			return nil, fmt.Errorf("data folder %s: %w", cfg.DataDir, err)
		}
		a.handshake = true
	}
	checks := []dhttp.Check{
		{Name: "mongodb", Label: "Database (MongoDB)", Ping: a.DB.Ping},
		{Name: "s3", Label: "File storage (S3)", Ping: a.Files.Ping},
	}
	a.HTTP, err = dhttp.New(dhttp.Config{
		Hospital: cfg.HospitalName, Version: version, BodyLimit: cfg.BodyLimit,
		ReadTimeout: cfg.ReadTimeout, WriteTimeout: cfg.WriteTimeout,
		Domain: cfg.Domain, SecureCookies: cfg.SecureCookies(), TrustedProxies: cfg.TrustedProxies, PublicURL: cfg.PublicURL,
		UploadLimit: cfg.UploadLimit,
	}, dhttp.Services{Access: a.Access, Authz: a.Authz, Audit: a.Audit, Suppliers: a.Suppliers,
		Assessments: a.Assessments, Contracts: a.Contracts, Documents: a.Documents, Notify: a.Notify, Jobs: a.Jobs, Limits: a.Limits}, log, a.reg, checks, now)
	if err != nil {
		return nil, err
	}
	a.background()
	return a, nil
}

// OpenTool opens the same data a server would, for a command-line tool.
// When a server already runs on the data folder, the tool reaches its
// embedded engines through the handshake it published, so the database
// files are never opened by two processes.
func OpenTool(ctx context.Context, cfg config.Config, log *slog.Logger, now func() time.Time) (_ *App, err error) {
	a := newApp(cfg, log, now)
	defer func() {
		if err != nil {
			a.closeStores(context.Background())
		}
	}()
	cfg, err = a.shareOrStart(ctx)
	if err != nil {
		return nil, err
	}
	if err := a.openStores(ctx, cfg); err != nil {
		return nil, err
	}
	return a, nil
}

func newApp(cfg config.Config, log *slog.Logger, now func() time.Time) *App {
	a := &App{cfg: cfg, log: log, now: now, reg: prometheus.NewRegistry()}
	a.reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	a.storeErrs = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "dossier_store_errors_total",
		Help: "Failed store operations that were not the caller's fault, by store and operation.",
	}, []string{"store", "op"})
	a.reg.MustRegister(a.storeErrs)
	return a
}

// lockAndStart takes the data folder and starts the embedded engines the
// settings ask for.
func (a *App) lockAndStart(ctx context.Context) (err error) {
	cfg := a.cfg
	if !filepath.IsAbs(cfg.DataDir) {
		return fmt.Errorf("data folder %q must be absolute", cfg.DataDir)
	}
	if !cfg.EmbeddedMongo() && !cfg.EmbeddedS3() {
		return nil
	}
	if a.lock, err = lockDataDir(cfg.DataDir); err != nil {
		return err
	}
	if cfg.EmbeddedMongo() {
		a.mongo, err = embedded.StartMongoDB(ctx, filepath.Join(cfg.DataDir, "db"), "127.0.0.1:0", a.log)
		if err != nil {
			return fmt.Errorf("%w (or set DOSSIER_MONGO_URI to use a MongoDB server)", err)
		}
		a.cfg.MongoURI = a.mongo.URI()
		a.log.Info("embedded MongoDB-compatible engine started", "uri", a.mongo.URI(), "dir", filepath.Join(cfg.DataDir, "db"))
	}
	if cfg.EmbeddedS3() {
		a.s3, err = embedded.StartS3(ctx, cfg.DataDir, "127.0.0.1:0")
		if err != nil {
			return fmt.Errorf("%w (or set DOSSIER_S3_ENDPOINT to use MinIO)", err)
		}
		a.cfg.S3 = config.S3{Endpoint: a.s3.Endpoint, AccessKey: a.s3.AccessKey, SecretKey: a.s3.SecretKey, Region: cfg.S3.Region, Bucket: cfg.S3.Bucket}
		a.log.Info("embedded S3 server started", "endpoint", "http://"+a.s3.Endpoint, "dir", filepath.Join(cfg.DataDir, "objects"),
			"credentials", filepath.Join(cfg.DataDir, "s3-credentials.json"))
	}
	return nil
}

// shareOrStart is lockAndStart for tools: when a server holds the folder,
// use its engines instead.
func (a *App) shareOrStart(ctx context.Context) (config.Config, error) {
	err := a.lockAndStart(ctx)
	var busy *inUseError
	if !errors.As(err, &busy) {
		return a.cfg, err
	}
	wait, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	e, err := readEngines(wait, a.cfg.DataDir)
	if err != nil {
		return a.cfg, err
	}
	cfg := a.cfg
	if cfg.EmbeddedMongo() {
		if e.MongoURI == "" {
			return cfg, fmt.Errorf("the Dossier process using %s did not publish its database address", cfg.DataDir)
		}
		cfg.MongoURI = e.MongoURI
	}
	if cfg.EmbeddedS3() {
		if e.S3Endpoint == "" {
			return cfg, fmt.Errorf("the Dossier process using %s did not publish its file storage address", cfg.DataDir)
		}
		cfg.S3.Endpoint, cfg.S3.AccessKey, cfg.S3.SecretKey = e.S3Endpoint, e.S3AccessKey, e.S3SecretKey
	}
	a.log.Debug("using the engines of the running server", "pid", e.PID)
	return cfg, nil
}

func (a *App) handshakeInfo() engines {
	e := engines{PID: os.Getpid()}
	if a.mongo != nil {
		e.MongoURI = a.mongo.URI()
	}
	if a.s3 != nil {
		e.S3Endpoint, e.S3AccessKey, e.S3SecretKey = a.s3.Endpoint, a.s3.AccessKey, a.s3.SecretKey
	}
	return e
}

// openStores connects to the database and file storage named by cfg
// (embedded ones already started), migrates, and builds the services.
func (a *App) openStores(ctx context.Context, cfg config.Config) (err error) {
	a.DB, err = store.Open(ctx, store.Options{
		URI: cfg.MongoURI, Database: cfg.MongoDatabase, Serialize: a.cfg.EmbeddedMongo() || a.mongo != nil,
		OnError: func(op string) { a.storeErrs.WithLabelValues("mongodb", op).Inc() },
	})
	if err != nil {
		return fmt.Errorf("%w: check DOSSIER_MONGO_URI and that the server is running and reachable", err)
	}
	a.log.Info("database connected", "hosts", a.DB.Hosts(), "database", cfg.MongoDatabase)
	if err := a.DB.Migrate(ctx, Migrations(), a.now); err != nil {
		return fmt.Errorf("database migrations: %w", err)
	}
	if a.mongo != nil {
		if err := a.mongo.IndexIDs(ctx); err != nil {
			return fmt.Errorf("embedded MongoDB: index _id lookups: %w", err)
		}
	}
	s3 := cfg.S3
	a.Files, err = blob.Open(ctx, blob.Options{
		Endpoint: s3.Endpoint, AccessKey: s3.AccessKey, SecretKey: s3.SecretKey, Region: s3.Region, TLS: s3.TLS, Bucket: s3.Bucket,
		OnError: func(op string) { a.storeErrs.WithLabelValues("s3", op).Inc() },
	})
	if err != nil {
		return fmt.Errorf("%w: check DOSSIER_S3_ENDPOINT, its keys, and that the server is running and reachable", err)
	}
	a.log.Info("file storage connected", "endpoint", s3.Endpoint, "bucket", s3.Bucket, "tls", s3.TLS)

	a.Audit = audit.New(a.DB, a.Files, a.now)
	a.Access = access.New(a.DB, access.Options{
		Issuer: a.cfg.HospitalName, SessionIdle: a.cfg.SessionIdle, SessionAbsolute: a.cfg.SessionMax,
		Audit: a.Audit, Now: a.now,
	})
	a.Authz, err = authz.Open(ctx, a.DB, a.Audit)
	if err != nil {
		return fmt.Errorf("authorization policy: %w", err)
	}
	a.Suppliers = supplier.New(a.DB, a.Files, supplier.Options{Rubric: a.cfg.Risk, Audit: a.Audit, Users: a.Access, Staff: a.Authz, Now: a.now})
	templates, err := loadQuestionnaires(cfg.QuestionnaireDir)
	if err != nil {
		return err
	}
	mailer, err := newMailer(cfg, a.log)
	if err != nil {
		return err
	}
	a.Limits = ratelimit.New(a.DB, a.now)
	checker := upload.NewChecker(upload.Options{}) // one PDF worker pool per process
	a.Assessments, err = assessment.New(ctx, a.DB, assessment.Options{
		Templates: templates, Vendors: a.Suppliers, Audit: a.Audit, Reauth: a.Access,
		Files: a.Files, Checker: checker, Mailer: mailer,
		Hospital: cfg.HospitalName, PublicURL: publicURL(cfg), LinkTTL: time.Duration(cfg.LinkDays) * 24 * time.Hour,
		Log: a.log, Now: a.now,
	})
	if err != nil {
		return err
	}
	a.Assessments.Register(a.Suppliers)
	a.Contracts = contract.New(a.DB, contract.Options{
		Vendors: a.Suppliers, Audit: a.Audit, Users: a.Access, Files: a.Files, Checker: checker,
		ComplianceRetention: cfg.S3.ComplianceRetention, Log: a.log, Now: a.now,
		MayOwn: func(user, domain string) bool {
			return a.Authz.Can(user, domain, authz.Every(authz.ClassContract), authz.View)
		},
	})
	a.Contracts.Register(a.Suppliers)
	a.Documents = document.New(a.DB, document.Options{
		Files: a.Files, Checker: checker, Audit: a.Audit, Reauth: a.Access, Roles: a.Authz, Members: a.Authz,
		Stamper: stamp.New(stamp.Options{Log: a.log}), ComplianceRetention: cfg.S3.ComplianceRetention, Log: a.log, Now: a.now,
	})
	a.Notify = notify.New(a.DB, notify.Options{Users: a.Access, Mailer: mailer, PublicURL: publicURL(cfg), Log: a.log, Now: a.now})
	a.Jobs = notify.NewRunner(a.Notify, notify.RunnerOptions{Log: a.log})
	return a.registerJobs()
}

// publicURL is the base of the links Dossier mails.
func publicURL(cfg config.Config) string {
	if cfg.PublicURL != "" {
		return cfg.PublicURL
	}
	return "http://" + cfg.Addr
}

// background starts the work a server does on its own: picking up policy
// changes other instances make, sealing the audit trail daily, and the
// scheduled jobs (contract reminders and expiry).
func (a *App) background() {
	ctx, cancel := context.WithCancel(context.Background())
	a.stopBG = cancel
	a.bg.Add(4)
	go func() {
		defer a.bg.Done()
		a.Jobs.Run(ctx)
	}()
	go func() {
		defer a.bg.Done()
		a.Authz.Watch(ctx, authz.DefaultWatchInterval)
	}()
	go func() {
		defer a.bg.Done()
		a.sweep(ctx, time.Hour)
	}()
	go func() {
		defer a.bg.Done()
		a.Audit.SealDaily(ctx, time.Hour, a.log)
	}()
}

// sweep deletes expired sessions, sign-in limits and links every interval:
// the embedded engine has no TTL indexes to do it. Several instances
// sweeping at once only delete the same documents.
func (a *App) sweep(ctx context.Context, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		n, err := a.Access.Sweep(ctx)
		if m, lerr := a.Limits.Sweep(ctx); lerr == nil {
			n += m
		} else if err == nil {
			err = lerr
		}
		if err != nil && ctx.Err() == nil {
			a.log.Warn("sweep expired sessions and links", "err", err)
		} else if n > 0 {
			a.log.Info("swept expired sessions and links", "deleted", n)
		}
	}
}

// Config is the configuration the app runs with, embedded engines'
// addresses filled in.
func (a *App) Config() config.Config { return a.cfg }

// Serve answers HTTP requests on ln until Shutdown.
func (a *App) Serve(ln net.Listener) error { return a.HTTP.Serve(ln) }

// Shutdown drains HTTP requests (at most until ctx ends), stops the
// background work, then closes the stores and stops the embedded engines.
func (a *App) Shutdown(ctx context.Context) error {
	var err error
	if a.HTTP != nil {
		err = a.HTTP.Shutdown(ctx)
	}
	a.closeStores(ctx)
	return err
}

// Close ends a tool's use of the stores.
func (a *App) Close() { a.closeStores(context.Background()) }

func (a *App) closeStores(ctx context.Context) {
	if a.stopBG != nil {
		a.stopBG()
		a.bg.Wait()
	}
	if a.DB != nil {
		if err := a.DB.Close(ctx); err != nil && !errors.Is(err, context.Canceled) {
			a.log.Warn("close database", "err", err)
		}
	}
	if a.handshake {
		removeEngines(a.cfg.DataDir)
	}
	if a.s3 != nil {
		if err := a.s3.Close(); err != nil {
			a.log.Warn("stop embedded S3", "err", err)
		}
	}
	if a.mongo != nil {
		_ = a.mongo.Close()
	}
	if a.lock != nil {
		a.lock.release()
	}
}
