package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"
	"go.mongodb.org/mongo-driver/bson"
	"go.mongodb.org/mongo-driver/mongo"
	"go.mongodb.org/mongo-driver/mongo/options"

	"dossier/internal/testkit"
)

// binary is dossier built once for the tests that run it as a separate
// process, exactly as an operator would.
var binary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "dossier-bin-")
	if err != nil {
		panic(err)
	}
	binary = filepath.Join(dir, "dossier")
	build := exec.Command("go", "build", "-o", binary, ".")
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "build dossier:", err)
		os.Exit(1)
	}
	code := testkit.Main(m)
	os.RemoveAll(dir)
	os.Exit(code)
}

// process is a running dossier.
type process struct {
	cmd    *exec.Cmd
	URL    string
	stdout *lockedBuilder
	stderr *strings.Builder
	done   chan error
}

// lockedBuilder collects a process's output while tests read it.
type lockedBuilder struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *lockedBuilder) WriteLine(s string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.b.WriteString(s + "\n")
}

func (l *lockedBuilder) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// waitFor waits until the output contains s, or fails the test. The
// bound is generous: --demo seeds every area before it prints, which took
// over 30 s on a CI machine running every package's tests at once.
func (l *lockedBuilder) waitFor(t *testing.T, s string) string {
	t.Helper()
	deadline := time.Now().Add(2 * time.Minute)
	for !strings.Contains(l.String(), s) {
		if time.Now().After(deadline) {
			t.Fatalf("output never contained %q:\n%s", s, l.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	return l.String()
}

func start(t *testing.T, env ...string) *process {
	t.Helper()
	return startArgs(t, nil, env...)
}

func startArgs(t *testing.T, args []string, env ...string) *process {
	t.Helper()
	cmd := exec.Command(binary, args...)
	cmd.Env = append(os.Environ(), "DOSSIER_ADDR=127.0.0.1:0")
	cmd.Env = append(cmd.Env, env...)
	stdout, _ := cmd.StdoutPipe()
	p := &process{cmd: cmd, stdout: &lockedBuilder{}, stderr: &strings.Builder{}, done: make(chan error, 1)}
	cmd.Stderr = syncWriter{p.stderr}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill() })
	lines := bufio.NewScanner(stdout)
	url := make(chan string, 1)
	go func() {
		for lines.Scan() {
			p.stdout.WriteLine(lines.Text())
			if m := regexp.MustCompile(`listening on (http://\S+)`).FindStringSubmatch(lines.Text()); m != nil {
				url <- m[1]
			}
		}
		p.done <- cmd.Wait()
	}()
	select {
	case p.URL = <-url:
		return p
	case err := <-p.done:
		t.Fatalf("dossier exited before listening: %v\n%s", err, p.stderr)
	case <-time.After(60 * time.Second):
		t.Fatalf("dossier did not start in 60s\n%s", p.stderr)
	}
	return nil
}

type syncWriter struct{ b *strings.Builder }

func (w syncWriter) Write(p []byte) (int, error) { return w.b.Write(p) }

// stop sends SIGTERM and returns the exit code.
func (p *process) stop(t *testing.T) int {
	t.Helper()
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(30 * time.Second):
		t.Fatalf("dossier did not stop within 30s of SIGTERM\n%s", p.stderr)
	}
	return p.cmd.ProcessState.ExitCode()
}

func (p *process) logged(re string) string {
	m := regexp.MustCompile(re).FindStringSubmatch(p.stderr.String())
	if m == nil {
		return ""
	}
	return m[1]
}

func getJSON(t *testing.T, url string, out any) int {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if out != nil {
		_ = json.NewDecoder(resp.Body).Decode(out)
	}
	return resp.StatusCode
}

// TestEmbeddedDefault runs dossier on a bare data folder twice: it starts
// both embedded engines, is ready, stops cleanly on SIGTERM, and finds its
// data again after the restart.
func TestEmbeddedDefault(t *testing.T) {
	dataDir := t.TempDir()
	ctx := context.Background()

	first := start(t, "DOSSIER_DATA_DIR="+dataDir)
	var ready struct{ Status string }
	if st := getJSON(t, first.URL+"/readyz", &ready); st != 200 || ready.Status != "ready" {
		t.Fatalf("readyz %d %+v\n%s", st, ready, first.stderr)
	}
	mongoURI := first.logged(`uri=(mongodb://\S+)`)
	s3Endpoint := first.logged(`endpoint=http://(\S+)`)
	if mongoURI == "" || s3Endpoint == "" || !strings.Contains(mongoURI, "127.0.0.1") {
		t.Fatalf("engines not logged on loopback:\n%s", first.stderr)
	}
	info, err := os.Stat(filepath.Join(dataDir, "s3-credentials.json"))
	if err != nil || info.Mode().Perm() != 0o600 {
		t.Fatalf("credentials file: %v %v", info, err)
	}
	var creds struct{ AccessKey, SecretKey string }
	b, _ := os.ReadFile(filepath.Join(dataDir, "s3-credentials.json"))
	_ = json.Unmarshal(b, &struct {
		A *string `json:"access_key"`
		S *string `json:"secret_key"`
	}{&creds.AccessKey, &creds.SecretKey})
	if strings.Contains(first.stderr.String(), creds.SecretKey) {
		t.Fatal("the S3 secret key was logged")
	}

	// Write a record and a file through the engines Dossier started.
	writeRecord(t, ctx, mongoURI)
	s3c := s3Client(t, s3Endpoint, creds.AccessKey, creds.SecretKey)
	if _, err := s3c.PutObject(ctx, "dossier", "probe.txt", strings.NewReader("still here"), -1, minio.PutObjectOptions{}); err != nil {
		t.Fatal(err)
	}
	if code := first.stop(t); code != 0 {
		t.Fatalf("exit code %d after SIGTERM, want 0\n%s", code, first.stderr)
	}

	second := start(t, "DOSSIER_DATA_DIR="+dataDir)
	if st := getJSON(t, second.URL+"/readyz", nil); st != 200 {
		t.Fatalf("readyz after restart: %d\n%s", st, second.stderr)
	}
	readRecord(t, ctx, second.logged(`uri=(mongodb://\S+)`))
	s3c = s3Client(t, second.logged(`endpoint=http://(\S+)`), creds.AccessKey, creds.SecretKey)
	obj, err := s3c.GetObject(ctx, "dossier", "probe.txt", minio.GetObjectOptions{})
	if err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(obj)
	if err != nil || string(got) != "still here" {
		t.Fatalf("file after restart: %q %v", got, err)
	}
	if code := second.stop(t); code != 0 {
		t.Fatalf("exit code %d after SIGTERM, want 0", code)
	}
}

func writeRecord(t *testing.T, ctx context.Context, uri string) {
	c := mongoClient(t, ctx, uri)
	if _, err := c.Database("dossier").Collection("probe").InsertOne(ctx, bson.M{"_id": "p", "v": "kept"}); err != nil {
		t.Fatal(err)
	}
}

func readRecord(t *testing.T, ctx context.Context, uri string) {
	c := mongoClient(t, ctx, uri)
	var got bson.M
	if err := c.Database("dossier").Collection("probe").FindOne(ctx, bson.M{"_id": "p"}).Decode(&got); err != nil || got["v"] != "kept" {
		t.Fatalf("record after restart: %v %v", got, err)
	}
	var schema bson.M
	if err := c.Database("dossier").Collection("schema").FindOne(ctx, bson.M{"_id": "schema"}).Decode(&schema); err != nil {
		t.Fatalf("schema record: %v", err)
	}
}

func mongoClient(t *testing.T, ctx context.Context, uri string) *mongo.Client {
	t.Helper()
	c, err := mongo.Connect(ctx, options.Client().ApplyURI(uri))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Disconnect(context.Background()) })
	return c
}

func s3Client(t *testing.T, endpoint, ak, sk string) *minio.Client {
	t.Helper()
	c, err := minio.New(endpoint, &minio.Options{Creds: credentials.NewStaticV4(ak, sk, "")})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// runToExit runs dossier expecting it to fail at start, and returns the
// exit code and the last line it printed to stderr.
func runToExit(t *testing.T, env ...string) (int, string) {
	t.Helper()
	env = append([]string{"DOSSIER_ADDR=127.0.0.1:0", "DOSSIER_DATA_DIR=" + t.TempDir()}, env...)
	code, _, stderr := runTool(t, "", env)
	lines := strings.Split(strings.TrimSpace(stderr), "\n")
	return code, lines[len(lines)-1]
}

func TestStartRefused(t *testing.T) {
	t.Run("ErrMongoDBUnreachable", func(t *testing.T) {
		code, last := runToExit(t, "DOSSIER_MONGO_URI=mongodb://127.0.0.1:1/")
		if code != 1 || !strings.Contains(last, "MongoDB at 127.0.0.1:1 does not answer") || !strings.Contains(last, "DOSSIER_MONGO_URI") {
			t.Fatalf("exit %d: %s", code, last)
		}
	})
	t.Run("ErrS3Unreachable", func(t *testing.T) {
		code, last := runToExit(t, "DOSSIER_S3_ENDPOINT=127.0.0.1:1", "DOSSIER_S3_ACCESS_KEY=a", "DOSSIER_S3_SECRET_KEY=secret-never-shown")
		if code != 1 || !strings.Contains(last, "S3 at 127.0.0.1:1 does not answer") || !strings.Contains(last, "DOSSIER_S3_ENDPOINT") || strings.Contains(last, "secret-never-shown") {
			t.Fatalf("exit %d: %s", code, last)
		}
	})
	t.Run("ErrBucketWithoutObjectLock", func(t *testing.T) {
		srv := testkit.S3(t)
		bucket := testkit.RandomName("nolock-")
		c := s3Client(t, srv.Endpoint, srv.AccessKey, srv.SecretKey)
		if err := c.MakeBucket(context.Background(), bucket, minio.MakeBucketOptions{}); err != nil {
			t.Fatal(err)
		}
		code, last := runToExit(t, "DOSSIER_S3_ENDPOINT="+srv.Endpoint, "DOSSIER_S3_ACCESS_KEY="+srv.AccessKey,
			"DOSSIER_S3_SECRET_KEY="+srv.SecretKey, "DOSSIER_S3_BUCKET="+bucket)
		if code != 1 || !strings.Contains(last, "without object lock") || !strings.Contains(last, "DOSSIER_S3_BUCKET") {
			t.Fatalf("exit %d: %s", code, last)
		}
	})
	t.Run("ErrDataFolderInUse", func(t *testing.T) {
		dir := t.TempDir()
		p := start(t, "DOSSIER_DATA_DIR="+dir)
		code, last := runToExit(t, "DOSSIER_DATA_DIR="+dir)
		if code != 1 || !strings.Contains(last, "is in use by another Dossier process") {
			t.Fatalf("exit %d: %s", code, last)
		}
		if st := getJSON(t, p.URL+"/readyz", nil); st != 200 {
			t.Fatalf("the first process suffered: readyz %d", st)
		}
		p.stop(t)
	})
	t.Run("ErrBadQuestionnaire", func(t *testing.T) {
		dir := t.TempDir()
		bad := "id: ours\nversion: \"1\"\ntitle: Ours\nsections:\n  - id: s\n    title: S\n    questions:\n      - id: a\n        text: A?\n        type: yesno\n        when: b\n      - id: b\n        text: B?\n        type: yesno\n        when: a\n"
		if err := os.WriteFile(filepath.Join(dir, "ours.yaml"), []byte(bad), 0o600); err != nil {
			t.Fatal(err)
		}
		code, last := runToExit(t, "DOSSIER_QUESTIONNAIRES="+dir)
		if code != 1 || !strings.Contains(last, "ours.yaml:") || !strings.Contains(last, "cycle") {
			t.Fatalf("exit %d: %s", code, last)
		}
	})
	t.Run("ErrAddressInUse", func(t *testing.T) {
		p := start(t, "DOSSIER_DATA_DIR="+t.TempDir())
		addr := strings.TrimPrefix(p.URL, "http://")
		code, last := runToExit(t, "DOSSIER_ADDR="+addr)
		if code != 1 || !strings.Contains(last, "listen on "+addr) {
			t.Fatalf("exit %d: %s", code, last)
		}
		p.stop(t)
	})
}
