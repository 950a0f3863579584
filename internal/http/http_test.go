package http_test

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"dossier/internal/config"
	dhttp "dossier/internal/http"
	"dossier/internal/testkit"
)

func TestMain(m *testing.M) { os.Exit(testkit.Main(m)) }

type response struct {
	status int
	header http.Header
	body   string
}

func do(t *testing.T, method, url, accept string, body io.Reader) response {
	t.Helper()
	req, err := http.NewRequest(method, url, body)
	if err != nil {
		t.Fatal(err)
	}
	if accept != "" {
		req.Header.Set("Accept", accept)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return response{resp.StatusCode, resp.Header, string(b)}
}

func get(t *testing.T, url string) response { return do(t, "GET", url, "text/html", nil) }

func TestPages(t *testing.T) {
	a := testkit.StartApp(t)

	t.Run("OK", func(t *testing.T) {
		r := get(t, a.URL+"/")
		if r.status != 200 || !strings.Contains(r.body, "Dossier") || !strings.Contains(r.body, a.Config.HospitalName) {
			t.Fatalf("home: %d\n%s", r.status, r.body)
		}
		if !strings.Contains(r.body, "All stores are answering") {
			t.Fatal("home page does not say the stores are ready")
		}
		if r := get(t, a.URL+"/status"); r.status != 200 || !strings.Contains(r.body, "File storage (S3)") {
			t.Fatalf("status page: %d", r.status)
		}
	})

	t.Run("SecurityHeaders", func(t *testing.T) {
		r := get(t, a.URL+"/")
		want := map[string]string{
			"Content-Security-Policy": "default-src 'self'",
			"X-Frame-Options":         "DENY",
			"X-Content-Type-Options":  "nosniff",
			"Referrer-Policy":         "no-referrer",
			"Cache-Control":           "no-store",
		}
		for h, v := range want {
			if !strings.Contains(r.header.Get(h), v) {
				t.Errorf("%s = %q, want it to contain %q", h, r.header.Get(h), v)
			}
		}
		if r.header.Get("X-Request-Id") == "" {
			t.Error("no X-Request-Id")
		}
	})

	t.Run("StaticAssetsCacheBusted", func(t *testing.T) {
		home := get(t, a.URL+"/").body
		m := regexp.MustCompile(`/static/app\.[0-9a-f]{8}\.css`).FindString(home)
		if m == "" {
			t.Fatalf("home page links no hashed stylesheet:\n%s", home)
		}
		r := get(t, a.URL+m)
		if r.status != 200 || !strings.HasPrefix(r.header.Get("Content-Type"), "text/css") || !strings.Contains(r.header.Get("Cache-Control"), "immutable") {
			t.Fatalf("stylesheet: %d %v", r.status, r.header)
		}
		if strings.Contains(home, "http://") || strings.Contains(home, "https://") {
			t.Fatal("home page refers to an outside address")
		}
		if r := get(t, a.URL+"/static/app.00000000.css"); r.status != 404 {
			t.Fatalf("unknown asset: %d", r.status)
		}
	})

	t.Run("ErrNotFoundHTML", func(t *testing.T) {
		r := get(t, a.URL+"/no/such/page")
		if r.status != 404 || !strings.Contains(r.header.Get("Content-Type"), "text/html") || !strings.Contains(r.body, "Page not found") {
			t.Fatalf("%d %s\n%s", r.status, r.header.Get("Content-Type"), r.body)
		}
	})

	t.Run("ErrNotFoundJSON", func(t *testing.T) {
		r := get(t, a.URL+"/api/v1/no-such-thing")
		var body struct {
			Error struct{ Code, Message, RequestID string }
		}
		if err := json.Unmarshal([]byte(r.body), &body); err != nil || r.status != 404 || body.Error.Code != "not_found" || body.Error.Message == "" {
			t.Fatalf("%d %s (%v)", r.status, r.body, err)
		}
	})

	t.Run("Version", func(t *testing.T) {
		r := get(t, a.URL+"/api/v1/version")
		if r.status != 200 || !strings.Contains(r.body, `"version":"test"`) {
			t.Fatalf("%d %s", r.status, r.body)
		}
	})
}

func TestBodyLimit(t *testing.T) {
	a := testkit.StartApp(t, func(c *config.Config) { c.BodyLimit = 1 << 20 })
	// Announce a 2 MiB body, send the first 8 KiB (what the streaming
	// server reads before it calls a handler) and read the answer: the
	// server refuses on the declared length and closes the connection, so a
	// client still writing would see a reset instead of the refusal.
	conn, err := net.Dial("tcp", strings.TrimPrefix(a.URL, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	fmt.Fprintf(conn, "POST /api/v1/version HTTP/1.1\r\nHost: dossier\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s", 2<<20, strings.Repeat(" ", 8<<10))
	_ = conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 413 || !strings.Contains(string(b), `"too_large"`) || !strings.Contains(string(b), "1 MiB") {
		t.Fatalf("%d %s", resp.StatusCode, b)
	}
	if r := get(t, a.URL+"/healthz"); r.status != 200 {
		t.Fatalf("server unwell after a refused body: %d", r.status)
	}
	br := a.Browser(t)
	br.Get("/signin")
	t.Run("ErrCompressed", func(t *testing.T) {
		// fasthttp would inflate a gzip multipart form while spooling it:
		// a small body could fill the disk.
		r := br.Do("POST", "/signin?_csrf="+br.Cookie("dossier_csrf"), strings.NewReader("\x1f\x8b"), http.Header{
			"Content-Type": {"multipart/form-data; boundary=x"}, "Content-Encoding": {"gzip"}})
		if r.Status != http.StatusUnsupportedMediaType {
			t.Fatalf("%d %s", r.Status, r.Body)
		}
	})
	t.Run("ErrMultipartOverLimitOffUploadRoutes", func(t *testing.T) {
		// Off the upload routes a multipart form is read into memory under
		// the body limit, never spooled: a declared 2 MiB form is refused.
		conn, err := net.Dial("tcp", strings.TrimPrefix(a.URL, "http://"))
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		fmt.Fprintf(conn, "POST /signin?_csrf=%s HTTP/1.1\r\nHost: dossier\r\nCookie: dossier_csrf=%s\r\nContent-Type: multipart/form-data; boundary=x\r\nContent-Length: %d\r\n\r\n%s",
			br.Cookie("dossier_csrf"), br.Cookie("dossier_csrf"), 2<<20, strings.Repeat(" ", 8<<10))
		_ = conn.SetReadDeadline(time.Now().Add(10 * time.Second))
		resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusRequestEntityTooLarge {
			t.Fatalf("%d", resp.StatusCode)
		}
	})
}

func TestMetrics(t *testing.T) {
	a := testkit.StartApp(t)
	get(t, a.URL+"/healthz")
	get(t, a.URL+"/no/such/page")
	r := get(t, a.URL+"/metrics")
	for _, want := range []string{
		`dossier_http_requests_total{method="GET",route="/healthz",status="200"} 1`,
		`dossier_http_requests_total{method="GET",route="unmatched",status="404"} 1`,
		`dossier_http_request_duration_seconds_bucket{method="GET",route="/healthz"`,
		`go_goroutines`,
	} {
		if !strings.Contains(r.body, want) {
			t.Errorf("metrics lack %s", want)
		}
	}
}

// TestReadiness takes each store away from a running Dossier and gives it
// back: /readyz names what is down, and recovers without a restart.
func TestReadiness(t *testing.T) {
	mongo := testkit.StartMongo(t, t.TempDir(), "127.0.0.1:0")
	mongoProxy := testkit.StartProxy(t, strings.TrimSuffix(strings.TrimPrefix(mongo.URI, "mongodb://"), "/"))
	s3 := testkit.S3(t)
	s3Proxy := testkit.StartProxy(t, s3.Endpoint)
	a := testkit.StartApp(t, func(c *config.Config) {
		c.MongoURI = "mongodb://" + mongoProxy.Addr + "/"
		c.S3.Endpoint = s3Proxy.Addr
	})

	waitReady := func(t *testing.T, want int, wantBody ...string) {
		t.Helper()
		deadline := time.Now().Add(30 * time.Second)
		for {
			r := get(t, a.URL+"/readyz")
			ok := r.status == want
			for _, w := range wantBody {
				ok = ok && strings.Contains(r.body, w)
			}
			if ok {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("readyz: %d %s, want %d with %q", r.status, r.body, want, wantBody)
			}
			time.Sleep(200 * time.Millisecond)
		}
	}
	waitReady(t, 200, `"mongodb":"ok"`, `"s3":"ok"`)

	t.Run("MongoDBDown", func(t *testing.T) {
		mongoProxy.Cut()
		waitReady(t, 503, `"mongodb":"down: The database is unavailable`, `"s3":"ok"`)
		if r := get(t, a.URL+"/status"); r.status != 503 || !strings.Contains(r.body, "Not answering") {
			t.Fatalf("status page while MongoDB is down: %d", r.status)
		}
		if m := get(t, a.URL+"/metrics").body; !strings.Contains(m, `dossier_store_errors_total{op="ping",store="mongodb"}`) {
			t.Error("metrics do not count the database's failures")
		}
		mongoProxy.Restore()
		waitReady(t, 200, `"mongodb":"ok"`)
	})
	t.Run("S3Down", func(t *testing.T) {
		s3Proxy.Cut()
		waitReady(t, 503, `"s3":"down: File storage is unavailable`, `"mongodb":"ok"`)
		if m := get(t, a.URL+"/metrics").body; !strings.Contains(m, `dossier_store_errors_total{op="ping",store="s3"}`) {
			t.Error("metrics do not count file storage's failures")
		}
		s3Proxy.Restore()
		waitReady(t, 200, `"s3":"ok"`)
	})
}

// TestOpenAPICoversRoutes keeps the OpenAPI document true: every /api/v1
// route is documented, and every documented /api/v1 path exists.
func TestOpenAPICoversRoutes(t *testing.T) {
	a := testkit.StartApp(t)
	var doc struct {
		OpenAPI string                                `json:"openapi"`
		Paths   map[string]map[string]json.RawMessage `json:"paths"`
	}
	if err := json.Unmarshal(dhttp.OpenAPI(), &doc); err != nil {
		t.Fatalf("openapi.json is not JSON: %v", err)
	}
	if doc.OpenAPI != "3.1.0" {
		t.Fatalf("openapi version %q", doc.OpenAPI)
	}
	param := regexp.MustCompile(`:([A-Za-z0-9_]+)\??`)
	registered := map[string]bool{}
	for _, r := range a.App.HTTP.App().GetRoutes(true) {
		if !strings.HasPrefix(r.Path, "/api/v1/") || r.Method == "HEAD" || r.Method == "USE" {
			continue
		}
		// Fiber routes "/x/" and "/x" alike (no strict routing); groups
		// register their root with the slash.
		path := strings.TrimSuffix(param.ReplaceAllString(r.Path, "{$1}"), "/")
		method := strings.ToLower(r.Method)
		registered[method+" "+path] = true
		if _, ok := doc.Paths[path][method]; !ok {
			t.Errorf("%s %s is registered but not in openapi.json", r.Method, path)
		}
	}
	for path, ops := range doc.Paths {
		if !strings.HasPrefix(path, "/api/v1/") {
			continue
		}
		for method := range ops {
			if !registered[method+" "+path] {
				t.Errorf("openapi.json documents %s %s, which is not registered", method, path)
			}
		}
	}
	if len(registered) == 0 {
		t.Fatal("no /api/v1 routes found")
	}
	if r := get(t, a.URL+"/api/v1/openapi.json"); r.status != 200 || !strings.Contains(r.header.Get("Content-Type"), "application/json") {
		t.Fatalf("serving openapi.json: %d", r.status)
	}
}
