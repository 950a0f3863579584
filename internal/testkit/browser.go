package testkit

import (
	"bytes"
	"context"
	"crypto/rand"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"testing"
	"time"

	"dossier/internal/audit"
)

// User is a person created for a test, with the password they sign in with.
type User struct {
	ID, Email, Name, Password string
}

// User creates an active user holding role in the app's default domain
// (no role when role is "").
func (a *TestApp) User(tb testing.TB, role string) User {
	tb.Helper()
	ctx := audit.WithActor(context.Background(), audit.Actor{ID: "test", Name: "test setup"})
	name := "Test " + strings.ReplaceAll(RandomName("u"), "-", "")
	email := strings.ToLower(strings.ReplaceAll(name, " ", ".")) + "@hospital.example.org"
	u, err := a.App.Access.CreateUser(ctx, email, name)
	if err != nil {
		tb.Fatal(err)
	}
	password := rand.Text()
	if err := a.App.Access.SetPassword(ctx, u.ID, password); err != nil {
		tb.Fatal(err)
	}
	if role != "" {
		if err := a.App.Authz.AddRole(ctx, u.ID, role, a.Config.Domain); err != nil {
			tb.Fatal(err)
		}
	}
	return User{ID: u.ID, Email: email, Name: name, Password: password}
}

// Browser is a test client with a cookie jar that does not follow
// redirects, so tests see each answer; Post adds the CSRF token a page
// would have put in its form.
type Browser struct {
	tb     testing.TB
	base   string
	client *http.Client
}

// Response is a fully read answer.
type Response struct {
	Status int
	Header http.Header
	Body   string
}

// Browser returns a fresh browser for the app.
func (a *TestApp) Browser(tb testing.TB) *Browser {
	jar, _ := cookiejar.New(nil)
	return &Browser{tb: tb, base: a.URL, client: &http.Client{
		Jar:           jar,
		Timeout:       30 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}}
}

// Cookie returns the value of a cookie the browser holds, or "".
func (b *Browser) Cookie(name string) string {
	u, _ := url.Parse(b.base)
	for _, c := range b.client.Jar.Cookies(u) {
		if c.Name == name {
			return c.Value
		}
	}
	return ""
}

// SetCookie replaces a cookie, as a tampering client would.
func (b *Browser) SetCookie(name, value string) {
	u, _ := url.Parse(b.base)
	b.client.Jar.SetCookies(u, []*http.Cookie{{Name: name, Value: value, Path: "/"}})
}

// Get fetches a page.
func (b *Browser) Get(path string) Response {
	b.tb.Helper()
	return b.Do("GET", path, nil, nil)
}

// Post sends a form with the browser's CSRF token.
func (b *Browser) Post(path string, form url.Values) Response {
	b.tb.Helper()
	if form == nil {
		form = url.Values{}
	}
	if b.Cookie("dossier_csrf") == "" {
		b.Get("/signin")
	}
	if !form.Has("_csrf") {
		form.Set("_csrf", b.Cookie("dossier_csrf"))
	}
	return b.PostRaw(path, form)
}

// Upload posts a multipart form as a browser's upload form does: the
// fields, then the file in fileField, with the CSRF token in the query
// string (upload bodies stream to their handler unread by the CSRF check).
func (b *Browser) Upload(path string, fields map[string]string, fileField, fileName string, data []byte) Response {
	b.tb.Helper()
	if b.Cookie("dossier_csrf") == "" {
		b.Get("/signin")
	}
	var body bytes.Buffer
	w := multipart.NewWriter(&body)
	for k, v := range fields {
		_ = w.WriteField(k, v)
	}
	if fileField != "" {
		fw, _ := w.CreateFormFile(fileField, fileName)
		_, _ = fw.Write(data)
	}
	_ = w.Close()
	sep := "?"
	if strings.Contains(path, "?") {
		sep = "&"
	}
	return b.Do("POST", path+sep+"_csrf="+url.QueryEscape(b.Cookie("dossier_csrf")), &body,
		http.Header{"Content-Type": {w.FormDataContentType()}})
}

// PostRaw sends a form exactly as given.
func (b *Browser) PostRaw(path string, form url.Values) Response {
	b.tb.Helper()
	return b.Do("POST", path, strings.NewReader(form.Encode()), http.Header{"Content-Type": {"application/x-www-form-urlencoded"}})
}

// Do sends any request.
func (b *Browser) Do(method, path string, body io.Reader, h http.Header) Response {
	b.tb.Helper()
	req, err := http.NewRequest(method, b.base+path, body)
	if err != nil {
		b.tb.Fatal(err)
	}
	for k, v := range h {
		req.Header[k] = v
	}
	if req.Header.Get("Accept") == "" {
		req.Header.Set("Accept", "text/html")
	}
	resp, err := b.client.Do(req)
	if err != nil {
		b.tb.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	return Response{Status: resp.StatusCode, Header: resp.Header, Body: string(data)}
}

// SignIn signs the user in with their password, failing the test if that
// does not end in a session.
func (b *Browser) SignIn(u User) {
	b.tb.Helper()
	r := b.Post("/signin", url.Values{"email": {u.Email}, "password": {u.Password}})
	if r.Status != http.StatusSeeOther || b.Cookie("dossier_session") == "" {
		b.tb.Fatalf("sign in as %s: %d\n%s", u.Email, r.Status, r.Body)
	}
}
