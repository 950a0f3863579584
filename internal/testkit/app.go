package testkit

import (
	"context"
	"net"
	"testing"
	"time"

	"dossier/internal/app"
	"dossier/internal/config"
)

// TestApp is the whole program running in-process on a free port.
type TestApp struct {
	URL    string
	App    *app.App
	Config config.Config
}

// StartApp runs Dossier in-process on 127.0.0.1:0 with a fresh database
// (see MustOpenDB) and a fresh bucket on the test S3 server, and stops it
// when the test ends. change may adjust the settings before the start.
func StartApp(tb testing.TB, change ...func(*config.Config)) *TestApp {
	tb.Helper()
	cfg := DefaultConfig(tb)
	for _, f := range change {
		f(&cfg)
	}
	return StartAppWith(tb, cfg)
}

// DefaultConfig is the configuration StartApp uses: defaults, a temporary
// data folder (where the program starts its own embedded MongoDB-compatible
// engine, unless DOSSIER_TEST_MONGO_URI names a server), a free port and a
// fresh bucket on the test S3 server.
func DefaultConfig(tb testing.TB) config.Config {
	tb.Helper()
	cfg, _, err := config.Parse("serve", nil, func(string) string { return "" }, nil)
	if err != nil {
		tb.Fatal(err)
	}
	cfg.Addr = "127.0.0.1:0"
	cfg.DataDir = tb.TempDir()
	cfg.MongoURI = getenv("DOSSIER_TEST_MONGO_URI")
	cfg.MongoDatabase = RandomName("t")
	srv := S3(tb)
	cfg.S3 = config.S3{Endpoint: srv.Endpoint, AccessKey: srv.AccessKey, SecretKey: srv.SecretKey, TLS: srv.TLS, Region: "us-east-1", Bucket: RandomName("t-")}
	cfg.ShutdownTimeout = 5 * time.Second
	return cfg
}

// StartAppWith runs Dossier in-process with exactly cfg.
func StartAppWith(tb testing.TB, cfg config.Config) *TestApp {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	a, err := app.Open(ctx, cfg, Logger(tb), "test", time.Now)
	if err != nil {
		tb.Fatalf("start Dossier: %v", err)
	}
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		tb.Fatal(err)
	}
	go func() { _ = a.Serve(ln) }()
	tb.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = a.Shutdown(ctx)
	})
	return &TestApp{URL: "http://" + ln.Addr().String(), App: a, Config: cfg}
}
