package http_test

import (
	"io"
	"net/http"
	"testing"

	"dossier/internal/testkit"
)

// BenchmarkSignedInOverhead measures the same handler (GET /api/v1/version)
// anonymous, with a session cookie and with an API token, over one
// keep-alive connection: the difference is what authenticating costs.
func BenchmarkSignedInOverhead(b *testing.B) {
	a := testkit.StartApp(b)
	u := a.User(b, "staff")
	br := a.Browser(b)
	br.SignIn(u)
	token, _, err := a.App.Access.CreateToken(b.Context(), u.ID, "bench")
	if err != nil {
		b.Fatal(err)
	}
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 1}}
	cases := []struct {
		name   string
		header http.Header
	}{
		{"Anonymous", http.Header{}},
		{"Session", http.Header{"Cookie": {"dossier_session=" + br.Cookie("dossier_session")}}},
		{"Token", http.Header{"Authorization": {"Bearer " + token}}},
	}
	for _, bc := range cases {
		b.Run(bc.name, func(b *testing.B) {
			req, _ := http.NewRequest("GET", a.URL+"/api/v1/version", nil)
			req.Header = bc.header
			for b.Loop() {
				resp, err := client.Do(req)
				if err != nil {
					b.Fatal(err)
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode != 200 {
					b.Fatalf("status %d", resp.StatusCode)
				}
			}
		})
	}
}
