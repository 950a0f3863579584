package main

import (
	"context"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/bson"

	"dossier/internal/testkit"
)

// runTool runs a dossier command to completion, as an operator would.
func runTool(t *testing.T, stdin string, env []string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	cmd := exec.Command(binary, args...)
	cmd.Env = append(os.Environ(), env...)
	cmd.Stdin = strings.NewReader(stdin)
	var out, errOut strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &errOut
	done := make(chan error, 1)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { done <- cmd.Wait() }()
	select {
	case <-done:
	case <-time.After(2 * time.Minute):
		_ = cmd.Process.Kill()
		t.Fatalf("dossier %v did not finish\n%s", args, errOut.String())
	}
	return cmd.ProcessState.ExitCode(), out.String(), errOut.String()
}

// browser is a cookie-keeping client that does not follow redirects.
func browser() *http.Client {
	jar, _ := cookiejar.New(nil)
	return &http.Client{Jar: jar, Timeout: 30 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

// postForm sends a form with the CSRF token the page's cookie carries.
func postForm(t *testing.T, c *http.Client, base, path string, form url.Values) *http.Response {
	t.Helper()
	resp, err := c.Get(base + "/signin")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	u, _ := url.Parse(base)
	for _, ck := range c.Jar.Cookies(u) {
		if ck.Name == "dossier_csrf" {
			form.Set("_csrf", ck.Value)
		}
	}
	resp, err = c.PostForm(base+path, form)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp
}

func apiStatus(t *testing.T, base, token string) int {
	t.Helper()
	req, _ := http.NewRequest("GET", base+"/api/v1/me", nil)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

// TestUserCommandsBesideRunningServer adds a user, makes a token and
// disables the user from the command line while the server runs on the
// same data folder.
func TestUserCommandsBesideRunningServer(t *testing.T) {
	dir := t.TempDir()
	env := []string{"DOSSIER_DATA_DIR=" + dir}
	p := start(t, env...)

	code, out, errOut := runTool(t, "correct horse battery staple\n", env, "user", "add", "Ann.Lee@Hospital.example.org", "--name", "Ann Lee", "--role", "security_reviewer")
	if code != 0 || !strings.Contains(out, "ann.lee@hospital.example.org") {
		t.Fatalf("user add: exit %d\n%s\n%s", code, out, errOut)
	}
	resp := postForm(t, browser(), p.URL, "/signin", url.Values{"email": {"ann.lee@hospital.example.org"}, "password": {"correct horse battery staple"}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("sign in with the password given on stdin: %d", resp.StatusCode)
	}

	code, out, _ = runTool(t, "", env, "user", "token", "ann.lee@hospital.example.org", "--name", "nightly")
	token := strings.TrimSpace(out)
	if code != 0 || !strings.HasPrefix(token, "dos_") || apiStatus(t, p.URL, token) != 200 {
		t.Fatalf("user token: exit %d %q", code, out)
	}

	if code, out, errOut := runTool(t, "", env, "user", "disable", "ann.lee@hospital.example.org"); code != 0 {
		t.Fatalf("user disable: exit %d\n%s\n%s", code, out, errOut)
	}
	// The server serves a token check from memory for at most 5 s.
	deadline := time.Now().Add(15 * time.Second)
	for apiStatus(t, p.URL, token) != 401 {
		if time.Now().After(deadline) {
			t.Fatal("the disabled user's token still works")
		}
		time.Sleep(200 * time.Millisecond)
	}

	code, out, _ = runTool(t, "", env, "audit", "verify")
	if code != 0 || !strings.HasPrefix(out, "OK:") {
		t.Fatalf("audit verify: exit %d %s", code, out)
	}
	code, out, _ = runTool(t, "", env, "audit", "export", "--format", "csv")
	if code != 0 || !strings.Contains(out, "user.disable") || !strings.Contains(out, "command line") {
		t.Fatalf("audit export: exit %d\n%s", code, out)
	}
	if p.stop(t) != 0 {
		t.Fatal("server did not stop cleanly")
	}
	if _, err := os.Stat(filepath.Join(dir, "engines.json")); !os.IsNotExist(err) {
		t.Fatalf("engines.json left behind: %v", err)
	}
}

// TestAuditVerifyNamesTamperedEvent works without a server: the tool opens
// the data folder itself; then one event is changed behind its back.
func TestAuditVerifyNamesTamperedEvent(t *testing.T) {
	dir := t.TempDir()
	env := []string{"DOSSIER_DATA_DIR=" + dir}
	code, out, errOut := runTool(t, "", env, "user", "add", "bo@hospital.example.org", "--name", "Bo Diaz", "--role", "staff")
	if code != 0 || !strings.Contains(out, "/password/") {
		t.Fatalf("user add without a password should print a link: exit %d\n%s\n%s", code, out, errOut)
	}
	if code, out, _ := runTool(t, "", env, "audit", "seal"); code != 0 || !strings.Contains(out, "Sealed event") {
		t.Fatalf("audit seal: exit %d %s", code, out)
	}
	if code, out, _ := runTool(t, "", env, "audit", "verify"); code != 0 {
		t.Fatalf("audit verify before tampering: exit %d %s", code, out)
	}

	engine := testkit.StartMongo(t, filepath.Join(dir, "db"), "127.0.0.1:0")
	c := mongoClient(t, context.Background(), engine.URI)
	res, err := c.Database("dossier").Collection("audit_events").UpdateOne(context.Background(),
		bson.M{"_id": int64(1)}, bson.M{"$set": bson.M{"actor_name": "someone else"}})
	if err != nil || res.MatchedCount != 1 {
		t.Fatalf("tamper: %v %+v", err, res)
	}
	_ = c.Disconnect(context.Background())
	if err := engine.Stop(); err != nil {
		t.Fatal(err)
	}

	code, out, errOut = runTool(t, "", env, "audit", "verify")
	if code != 1 || !regexp.MustCompile(`BROKEN at event 1\b`).MatchString(out) {
		t.Fatalf("audit verify after tampering: exit %d\n%s\n%s", code, out, errOut)
	}
}

func TestUserCommandErrors(t *testing.T) {
	env := []string{"DOSSIER_DATA_DIR=" + t.TempDir()}
	cases := []struct {
		name string
		args []string
		code int
		want string
	}{
		{"ErrUnknownRole", []string{"user", "add", "x@hospital.example.org", "--name", "X Y", "--role", "king"}, 2, `unknown role "king"`},
		{"ErrNoName", []string{"user", "add", "x@hospital.example.org", "--role", "staff"}, 2, "needs --name"},
		{"ErrNoEmail", []string{"user", "add", "--name", "X", "--role", "staff"}, 2, "takes 1 argument"},
		{"ErrBadEmail", []string{"user", "add", "not-an-email", "--name", "X Y", "--role", "staff"}, 1, "mail"},
		{"ErrUnknownUser", []string{"user", "token", "nobody@hospital.example.org"}, 1, "No user"},
		{"ErrBadFormat", []string{"audit", "export", "--format", "xml"}, 2, "jsonl or csv"},
		{"ErrBadSince", []string{"audit", "export", "--since", "last week"}, 2, "--since"},
		{"ErrUnknownSubcommand", []string{"user", "promote"}, 2, `unknown user command "promote"`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			code, _, errOut := runTool(t, "", env, tc.args...)
			if code != tc.code || !strings.Contains(errOut, tc.want) {
				t.Fatalf("exit %d, stderr %q", code, errOut)
			}
		})
	}
}

// TestFirstAdminLinkAndDemo: a fresh data folder prints the set-up link;
// once an administrator exists it is never printed again. --demo seeds
// one user per role once.
func TestFirstAdminLinkAndDemo(t *testing.T) {
	t.Run("SetupLinkOnce", func(t *testing.T) {
		dir := t.TempDir()
		p := start(t, "DOSSIER_DATA_DIR="+dir)
		link := regexp.MustCompile(`http://\S+/setup/\S+`).FindString(p.stdout.waitFor(t, "/setup/"))
		path := strings.TrimPrefix(link, p.URL)
		resp := postForm(t, browser(), p.URL, path, url.Values{"email": {"ciso@hospital.example.org"}, "name": {"Cara Ciso"},
			"password": {"a long enough passphrase"}, "confirm": {"a long enough passphrase"}})
		if resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("set-up form: %d", resp.StatusCode)
		}
		if resp := postForm(t, browser(), p.URL, path, url.Values{"email": {"eve@hospital.example.org"}, "name": {"Eve"},
			"password": {"a long enough passphrase"}, "confirm": {"a long enough passphrase"}}); resp.StatusCode != http.StatusNotFound {
			t.Fatalf("set-up link used twice: %d", resp.StatusCode)
		}
		p.stop(t)
		again := start(t, "DOSSIER_DATA_DIR="+dir)
		time.Sleep(500 * time.Millisecond) // let any late output arrive before looking for its absence
		if strings.Contains(again.stdout.String(), "/setup/") {
			t.Fatalf("the set-up link was printed although an administrator exists:\n%s", again.stdout)
		}
		again.stop(t)
	})
	t.Run("Demo", func(t *testing.T) {
		dir := t.TempDir()
		p := startArgs(t, []string{"serve", "--demo"}, "DOSSIER_DATA_DIR="+dir)
		out := p.stdout.waitFor(t, "auditor@demo.example.org")
		m := regexp.MustCompile(`procurement\s+(procurement@demo\.example\.org)\s+(\S+)`).FindStringSubmatch(out)
		if m == nil {
			t.Fatalf("no procurement demo user:\n%s", out)
		}
		c := browser()
		if resp := postForm(t, c, p.URL, "/signin", url.Values{"email": {m[1]}, "password": {m[2]}}); resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("demo sign-in: %d", resp.StatusCode)
		}
		resp, err := c.Get(p.URL + "/assessments")
		if err != nil {
			t.Fatal(err)
		}
		list, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		for _, state := range []string{"Sent", "In progress", "Submitted", "Under review", "Decided"} {
			if !strings.Contains(string(list), ">"+state+"<") {
				t.Errorf("no demo assessment %s", state)
			}
		}
		// Legal finds contracts in every window, a PHI vendor without a BAA
		// and the day's reminders.
		m = regexp.MustCompile(`legal\s+(legal@demo\.example\.org)\s+(\S+)`).FindStringSubmatch(out)
		if m == nil {
			t.Fatalf("no legal demo user:\n%s", out)
		}
		lc := browser()
		if resp := postForm(t, lc, p.URL, "/signin", url.Values{"email": {m[1]}, "password": {m[2]}}); resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("demo sign-in as legal: %d", resp.StatusCode)
		}
		read := func(path string) string {
			resp, err := lc.Get(p.URL + path)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			b, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != 200 {
				t.Fatalf("%s: %d", path, resp.StatusCode)
			}
			return string(b)
		}
		for _, w := range []string{"30", "60", "90", "expired", "past_notice"} {
			if page := read("/contracts?window=" + w); strings.Contains(page, "No contract") || !strings.Contains(page, `href="/contracts/`) {
				t.Errorf("no demo contract in the window %s", w)
			}
		}
		if gaps := read("/contracts/baa-gaps"); strings.Count(gaps, `href="/contracts/new?vendor=`) != 1 {
			t.Errorf("the demo should leave exactly one PHI vendor without a BAA:\n%s", gaps)
		}
		if notices := read("/notices"); !strings.Contains(notices, "/contracts/") {
			t.Errorf("no contract reminder among legal's notices:\n%s", notices)
		}
		out = p.stdout.waitFor(t, "/q/")
		link := regexp.MustCompile(`(http://\S+/q/\S+)`).FindString(out)
		if resp, err := http.Get(link); err != nil || resp.StatusCode != 200 {
			t.Fatalf("the printed vendor link %q: %v %v", link, resp, err)
		}
		p.stop(t)
		again := startArgs(t, []string{"serve", "--demo"}, "DOSSIER_DATA_DIR="+dir)
		time.Sleep(500 * time.Millisecond)
		if strings.Contains(again.stdout.String(), "@demo.example.org") {
			t.Fatal("demo users printed a second time")
		}
		again.stop(t)
	})
}
