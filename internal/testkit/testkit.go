// Package testkit starts the real engines for tests: the embedded
// MongoDB-compatible engine and the embedded S3 server, or the servers named
// by DOSSIER_TEST_MONGO_URI and DOSSIER_TEST_S3_ENDPOINT (CI points the
// latter at a real MinIO).
package testkit

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"dossier/internal/blob"
	"dossier/internal/embedded"
	"dossier/internal/store"
)

// startDir is where the test binary started. The embedded S3 server moves
// the process's working directory, so relative paths are resolved against
// this instead.
var startDir, _ = os.Getwd()

// Path returns rel (such as "testdata/x.pdf") as an absolute path in the
// package under test.
func Path(rel string) string { return filepath.Join(startDir, rel) }

// Strict reports whether a missing tool must fail a test instead of
// skipping it. .ci/run sets DOSSIER_TEST_STRICT=1 after installing
// everything.
func Strict() bool { return os.Getenv("DOSSIER_TEST_STRICT") == "1" }

// Need skips the test with why, or fails it under DOSSIER_TEST_STRICT.
func Need(tb testing.TB, why string) {
	tb.Helper()
	if Strict() {
		tb.Fatalf("DOSSIER_TEST_STRICT is set but this test cannot run: %s", why)
	}
	tb.Skip(why)
}

// Logger returns a logger that writes to the test's log at warn and above.
func Logger(tb testing.TB) *slog.Logger {
	return slog.New(slog.NewTextHandler(tbWriter{tb}, &slog.HandlerOptions{Level: slog.LevelWarn}))
}

type tbWriter struct{ tb testing.TB }

func (w tbWriter) Write(p []byte) (int, error) {
	w.tb.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

// RandomName returns prefix followed by random lower-case hex.
func RandomName(prefix string) string {
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	return prefix + hex.EncodeToString(b)
}

// MongoEngine is an embedded MongoDB-compatible engine for one test.
type MongoEngine struct {
	URI string
	Dir string
	m   *embedded.MongoDB
}

// StartMongo starts an embedded engine on dir at addr (127.0.0.1:0 for any
// port) and stops it when the test ends.
func StartMongo(tb testing.TB, dir, addr string) *MongoEngine {
	tb.Helper()
	m, err := embedded.StartMongoDB(context.Background(), dir, addr, Logger(tb))
	if err != nil {
		tb.Fatalf("start embedded MongoDB: %v", err)
	}
	e := &MongoEngine{URI: m.URI(), Dir: dir, m: m}
	tb.Cleanup(func() { _ = e.Stop() })
	return e
}

// Stop stops the engine; stopping twice is harmless.
func (e *MongoEngine) Stop() error {
	if e.m == nil {
		return nil
	}
	err := e.m.Close()
	e.m = nil
	return err
}

// MustOpenDB returns a store on a database of its own: a fresh embedded
// engine in a temporary folder, or a fresh database on
// DOSSIER_TEST_MONGO_URI, dropped when the test ends.
func MustOpenDB(tb testing.TB) *store.Store {
	tb.Helper()
	uri, serialize := getenv("DOSSIER_TEST_MONGO_URI"), false
	if uri == "" {
		uri, serialize = StartMongo(tb, tb.TempDir(), "127.0.0.1:0").URI, true
	}
	return MustOpenStore(tb, uri, serialize)
}

// MustOpenStore opens a store on a fresh database at uri.
func MustOpenStore(tb testing.TB, uri string, serialize bool) *store.Store {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	s, err := store.Open(ctx, store.Options{URI: uri, Database: RandomName("t"), Serialize: serialize})
	if err != nil {
		tb.Fatalf("open store: %v", err)
	}
	tb.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = s.Drop(ctx)
		_ = s.Close(ctx)
	})
	return s
}

// S3Server is an S3 endpoint for tests.
type S3Server struct {
	Endpoint  string
	AccessKey string
	SecretKey string
	TLS       bool
	Embedded  bool
}

var shared struct {
	once sync.Once
	srv  S3Server
	dir  string
	s3   *embedded.S3
	err  error
}

// S3 returns the test S3 server: DOSSIER_TEST_S3_ENDPOINT with
// DOSSIER_TEST_S3_ACCESS_KEY and DOSSIER_TEST_S3_SECRET_KEY when set, or one
// embedded server per test binary (versitygw allows one per process).
func S3(tb testing.TB) S3Server {
	tb.Helper()
	if ep := os.Getenv("DOSSIER_TEST_S3_ENDPOINT"); ep != "" {
		return S3Server{Endpoint: ep, AccessKey: os.Getenv("DOSSIER_TEST_S3_ACCESS_KEY"), SecretKey: os.Getenv("DOSSIER_TEST_S3_SECRET_KEY"), TLS: os.Getenv("DOSSIER_TEST_S3_TLS") == "true"}
	}
	shared.once.Do(func() {
		shared.dir, shared.err = os.MkdirTemp("", "dossier-test-s3-")
		if shared.err != nil {
			return
		}
		shared.s3, shared.err = embedded.StartS3(context.Background(), shared.dir, "127.0.0.1:0")
		if shared.err == nil {
			shared.srv = S3Server{Endpoint: shared.s3.Endpoint, AccessKey: shared.s3.AccessKey, SecretKey: shared.s3.SecretKey, Embedded: true}
		}
	})
	if shared.err != nil {
		tb.Fatalf("start embedded S3: %v", shared.err)
	}
	return shared.srv
}

// EmbeddedS3Dir is the data folder of the shared embedded S3 server, or ""
// when tests use an external one.
func EmbeddedS3Dir() string { return shared.dir }

// Main runs a package's tests and then stops the shared embedded S3 server
// and removes its folder. Call it from TestMain in packages that use S3.
func Main(m interface{ Run() int }) int {
	code := m.Run()
	if shared.s3 != nil {
		_ = shared.s3.Close()
		_ = os.RemoveAll(shared.dir)
	}
	return code
}

// MustOpenS3 returns a blob store on a new bucket of its own, with
// versioning and object lock.
func MustOpenS3(tb testing.TB) *blob.Store {
	tb.Helper()
	srv := S3(tb)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	b, err := blob.Open(ctx, blob.Options{Endpoint: srv.Endpoint, AccessKey: srv.AccessKey, SecretKey: srv.SecretKey, TLS: srv.TLS, Region: "us-east-1", Bucket: RandomName("t-")})
	if err != nil {
		tb.Fatalf("open S3: %v", err)
	}
	return b
}

func getenv(k string) string { return os.Getenv(k) }
