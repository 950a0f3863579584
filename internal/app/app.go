// Package app wires Dossier together: the stores (embedded or external),
// the migrations and the HTTP server. cmd/dossier parses settings and calls
// it; tests start the whole program in-process through it.
package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"path/filepath"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"dossier/internal/blob"
	"dossier/internal/config"
	"dossier/internal/embedded"
	dhttp "dossier/internal/http"
	"dossier/internal/store"
)

// App is a running Dossier: its stores and its HTTP server.
type App struct {
	cfg   config.Config
	log   *slog.Logger
	DB    *store.Store
	Files *blob.Store
	HTTP  *dhttp.Server

	mongo *embedded.MongoDB
	s3    *embedded.S3
	lock  *dataLock
}

// Migrations are the database migrations, in order. Areas add theirs here.
func Migrations() []store.Migration { return nil }

// Open starts or connects to both stores, runs migrations and builds the
// HTTP server. Errors name the store and say how to fix it. On error
// everything already started is stopped again.
func Open(ctx context.Context, cfg config.Config, log *slog.Logger, version string, now func() time.Time) (_ *App, err error) {
	a := &App{cfg: cfg, log: log}
	defer func() {
		if err != nil {
			a.closeStores(context.Background())
		}
	}()
	if !filepath.IsAbs(cfg.DataDir) {
		return nil, fmt.Errorf("data folder %q must be absolute", cfg.DataDir)
	}
	if cfg.EmbeddedMongo() || cfg.EmbeddedS3() {
		if a.lock, err = lockDataDir(cfg.DataDir); err != nil {
			return nil, err
		}
	}
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	storeErrors := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "dossier_store_errors_total",
		Help: "Failed store operations that were not the caller's fault, by store and operation.",
	}, []string{"store", "op"})
	reg.MustRegister(storeErrors)

	mongoURI := cfg.MongoURI
	if cfg.EmbeddedMongo() {
		a.mongo, err = embedded.StartMongoDB(ctx, filepath.Join(cfg.DataDir, "db"), "127.0.0.1:0", log)
		if err != nil {
			return nil, fmt.Errorf("%w (or set DOSSIER_MONGO_URI to use a MongoDB server)", err)
		}
		mongoURI = a.mongo.URI()
		log.Info("embedded MongoDB-compatible engine started", "uri", mongoURI, "dir", filepath.Join(cfg.DataDir, "db"))
	}
	a.DB, err = store.Open(ctx, store.Options{
		URI: mongoURI, Database: cfg.MongoDatabase, Serialize: cfg.EmbeddedMongo(),
		OnError: func(op string) { storeErrors.WithLabelValues("mongodb", op).Inc() },
	})
	if err != nil {
		return nil, fmt.Errorf("%w: check DOSSIER_MONGO_URI and that the server is running and reachable", err)
	}
	log.Info("database connected", "hosts", a.DB.Hosts(), "database", cfg.MongoDatabase)
	if err := a.DB.Migrate(ctx, Migrations(), now); err != nil {
		return nil, fmt.Errorf("database migrations: %w", err)
	}

	s3 := cfg.S3
	if cfg.EmbeddedS3() {
		a.s3, err = embedded.StartS3(ctx, cfg.DataDir, "127.0.0.1:0")
		if err != nil {
			return nil, fmt.Errorf("%w (or set DOSSIER_S3_ENDPOINT to use MinIO)", err)
		}
		s3 = config.S3{Endpoint: a.s3.Endpoint, AccessKey: a.s3.AccessKey, SecretKey: a.s3.SecretKey, Region: cfg.S3.Region, Bucket: cfg.S3.Bucket}
		log.Info("embedded S3 server started", "endpoint", "http://"+a.s3.Endpoint, "dir", filepath.Join(cfg.DataDir, "objects"),
			"credentials", filepath.Join(cfg.DataDir, "s3-credentials.json"))
	}
	a.Files, err = blob.Open(ctx, blob.Options{
		Endpoint: s3.Endpoint, AccessKey: s3.AccessKey, SecretKey: s3.SecretKey, Region: s3.Region, TLS: s3.TLS, Bucket: s3.Bucket,
		OnError: func(op string) { storeErrors.WithLabelValues("s3", op).Inc() },
	})
	if err != nil {
		return nil, fmt.Errorf("%w: check DOSSIER_S3_ENDPOINT, its keys, and that the server is running and reachable", err)
	}
	log.Info("file storage connected", "endpoint", s3.Endpoint, "bucket", s3.Bucket, "tls", s3.TLS)

	checks := []dhttp.Check{
		{Name: "mongodb", Label: "Database (MongoDB)", Ping: a.DB.Ping},
		{Name: "s3", Label: "File storage (S3)", Ping: a.Files.Ping},
	}
	a.HTTP, err = dhttp.New(dhttp.Config{
		Hospital: cfg.HospitalName, Version: version, BodyLimit: cfg.BodyLimit,
		ReadTimeout: cfg.ReadTimeout, WriteTimeout: cfg.WriteTimeout,
	}, log, reg, checks, now)
	if err != nil {
		return nil, err
	}
	return a, nil
}

// Serve answers HTTP requests on ln until Shutdown.
func (a *App) Serve(ln net.Listener) error { return a.HTTP.Serve(ln) }

// Shutdown drains HTTP requests (at most until ctx ends), then closes the
// stores and stops the embedded engines.
func (a *App) Shutdown(ctx context.Context) error {
	err := a.HTTP.Shutdown(ctx)
	a.closeStores(ctx)
	return err
}

func (a *App) closeStores(ctx context.Context) {
	if a.DB != nil {
		if err := a.DB.Close(ctx); err != nil && !errors.Is(err, context.Canceled) {
			a.log.Warn("close database", "err", err)
		}
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
