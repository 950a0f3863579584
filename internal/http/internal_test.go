package http

import (
	"testing"
	"testing/fstest"
)

func TestBrokenTemplateStopsStart(t *testing.T) {
	broken := fstest.MapFS{
		"layout.html":        {Data: []byte(`{{define "layout"}}{{template "content" .}}{{end}}`)},
		"home.html":          {Data: []byte(`{{define "content"}}{{.Oops}{{end}}`)},
		"status.html":        {Data: []byte(`{{define "content"}}ok{{end}}`)},
		"error.html":         {Data: []byte(`{{define "content"}}ok{{end}}`)},
		"static/app.css":     {Data: []byte(`body{}`)},
		"static/favicon.svg": {Data: []byte(`<svg/>`)},
	}
	if _, err := parseViews(broken); err == nil {
		t.Fatal("a broken template was accepted")
	}
	missing := fstest.MapFS{"layout.html": broken["layout.html"], "static/app.css": broken["static/app.css"]}
	if _, err := parseViews(missing); err == nil {
		t.Fatal("a missing page template was accepted")
	}
}

func TestRedactPath(t *testing.T) {
	cases := map[string]string{
		"/vendors/123": "/vendors/123",
		"/v/" + "Zm9vYmFyZm9vYmFyZm9vYmFyZm9vYmFyZm9vYmFy" + "/answers": "/v/[redacted]/answers",
		"/healthz": "/healthz",
		"/q/Zm9vYmFyZm9vYmFyZm9vYmFyZm9vYmFyZm9vYmFy-_a/autosave": "/q/[redacted]/autosave",
		"/q/Zm9vYmFy/evidence":                   "/q/[redacted]/evidence", // a mistyped, short token
		"/Q/Zm9vYmFy":                            "/q/[redacted]",
		"/calendar/Zm9vYmFy.ics":                 "/calendar/[redacted]",
		"/CALENDAR/Zm9vYmFyZm9vYmFyZm9vYmFy.ics": "/calendar/[redacted]",
	}
	for in, want := range cases {
		if got := redactPath(in); got != want {
			t.Errorf("redactPath(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestSafeNext(t *testing.T) {
	for in, want := range map[string]string{
		"/vendors?tier=1":      "/vendors?tier=1",
		"/account#tokens":      "/account#tokens",
		"":                     "/",
		"https://evil.example": "/",
		"//evil.example":       "/",
		"/\\evil.example":      "/",
		"/\t/evil.example":     "/",
		"/\n/evil.example":     "/",
		"/a\\b":                "/",
		"javascript:alert(1)":  "/",
		"/%09/evil.example":    "/%09/evil.example", // stays a path: the browser does not decode it into a host
	} {
		if got := safeNext(in); got != want {
			t.Errorf("safeNext(%q) = %q, want %q", in, got, want)
		}
	}
}
