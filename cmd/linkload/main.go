// Command linkload measures vendors autosaving questionnaire answers at
// once through their links, on the embedded default (FerretDB on SQLite
// and the embedded S3 server, in a temporary folder).
//
//	go run ./cmd/linkload -vendors 200 -answers 20
//
// It starts Dossier in-process on 127.0.0.1, sends one questionnaire to
// each of -vendors vendors, and has every vendor save -answers answers one
// after the other, all vendors at once, each from its own loopback address
// (127.0.0.2, 127.0.0.3, …) as separate vendors would. It then reads every
// assessment back and counts answers that were not stored as sent. It
// prints the latency percentiles, the errors and lost answers, and the
// process's peak memory. Counts and the run time are bounded.
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"mime/multipart"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"runtime/pprof"
	"slices"
	"strings"
	"sync"
	"time"

	"dossier/internal/app"
	"dossier/internal/assessment"
	"dossier/internal/audit"
	"dossier/internal/config"
	"dossier/internal/memstat"
	"dossier/internal/pdfdoc"
	"dossier/internal/questionnaire"
	"dossier/internal/supplier"
)

func main() {
	if err := run(context.Background(), os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "linkload:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("linkload", flag.ContinueOnError)
	vendors := fs.Int("vendors", 200, "vendors answering at once (1–250: one loopback address each)")
	answers := fs.Int("answers", 20, "answers each vendor saves (1–40)")
	timeout := fs.Duration("timeout", 10*time.Minute, "give up after this long")
	template := fs.String("template", "hospital-baseline", "questionnaire to send")
	profile := fs.String("cpuprofile", "", "write a CPU profile of the load phase to this file")
	pause := fs.Duration("pause", 0, "each vendor's pause between answers (0: none, all answers back to back)")
	uploadMiB := fs.Int("upload-mib", 0, "instead of autosaves, upload one PDF evidence file of this many MiB (1–100) and report memory")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *vendors < 1 || *vendors > 250 || *answers < 1 || *answers > 40 || *pause < 0 || *pause > time.Minute || *uploadMiB < 0 || *uploadMiB > 100 {
		return errors.New("-vendors must be 1–250, -answers 1–40, -pause at most 1m and -upload-mib at most 100")
	}
	ctx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()

	dir, err := os.MkdirTemp("", "linkload-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	cfg, _, err := config.Parse("serve", nil, func(string) string { return "" }, io.Discard)
	if err != nil {
		return err
	}
	cfg.DataDir, cfg.Addr = dir, "127.0.0.1:0"
	if up := int64(*uploadMiB+1) << 20; up > cfg.UploadLimit {
		cfg.UploadLimit = up
		cfg.BodyLimit = max(cfg.BodyLimit, up+(1<<20))
	}
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelError}))
	a, err := app.Open(ctx, cfg, log, "linkload", time.Now)
	if err != nil {
		return err
	}
	defer a.Shutdown(context.Background())
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	go a.Serve(ln)
	base := "http://" + ln.Addr().String()

	t, err := a.Assessments.Template(ctx, *template)
	if err != nil {
		return err
	}
	plan := answerPlan(t, *answers)
	if len(plan) < *answers {
		return fmt.Errorf("%s has only %d questions answerable without conditions", *template, len(plan))
	}

	if *uploadMiB > 0 {
		*vendors = 1
	}
	start := time.Now()
	sys := audit.WithActor(ctx, audit.System)
	links := make([]assessment.Invitation, *vendors)
	for i := range links {
		v, err := a.Suppliers.Create(sys, cfg.Domain, supplier.Fields{LegalName: fmt.Sprintf("Load Test Vendor %03d, Inc.", i+1),
			Data: []string{supplier.DataPHI}, Access: []string{supplier.AccessRemote}})
		if err != nil {
			return err
		}
		links[i], err = a.Assessments.Send(sys, cfg.Domain, assessment.SendInput{VendorID: v.ID, Template: *template,
			Due: time.Now().AddDate(0, 0, 30), ContactName: "Load Tester", ContactEmail: fmt.Sprintf("vendor%03d@load.example", i+1)})
		if err != nil {
			return err
		}
	}
	fmt.Fprintf(out, "set-up: %d vendors and assessments in %s\n", *vendors, time.Since(start).Round(time.Millisecond))
	if *uploadMiB > 0 {
		return uploadOnce(ctx, out, base, links[0].Token, t, int64(*uploadMiB)<<20)
	}

	var (
		mu        sync.Mutex
		latencies []time.Duration
		failures  []string
		wg        sync.WaitGroup
	)
	if *profile != "" {
		f, err := os.Create(*profile)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	begin := time.Now()
	for i := range links {
		wg.Add(1)
		go func() {
			defer wg.Done()
			lat, errs := vendor(ctx, base, i, links[i].Token, plan, *pause)
			mu.Lock()
			latencies = append(latencies, lat...)
			failures = append(failures, errs...)
			mu.Unlock()
		}()
	}
	wg.Wait()
	took := time.Since(begin)

	lost := 0
	for _, l := range links {
		got, err := a.Assessments.Get(ctx, cfg.Domain, l.Assessment.ID)
		if err != nil {
			return err
		}
		for _, p := range plan {
			if !slices.Equal(got.Answers[p.question].Values, p.want) {
				lost++
			}
		}
	}
	slices.Sort(latencies)
	pct := func(p float64) time.Duration {
		if len(latencies) == 0 {
			return 0
		}
		return latencies[min(len(latencies)-1, int(p*float64(len(latencies))))]
	}
	fmt.Fprintf(out, "%d vendors × %d answers = %d autosaves in %s (%.0f/s)\n", *vendors, *answers, len(latencies)+len(failures),
		took.Round(time.Millisecond), float64(len(latencies))/took.Seconds())
	fmt.Fprintf(out, "latency p50 %s, p90 %s, p99 %s, max %s\n", pct(.50).Round(time.Millisecond), pct(.90).Round(time.Millisecond),
		pct(.99).Round(time.Millisecond), pct(1).Round(time.Millisecond))
	fmt.Fprintf(out, "errors %d, lost answers %d\n", len(failures), lost)
	if rss := memstat.Peak(); rss > 0 {
		fmt.Fprintf(out, "peak RSS of this process (server and load together): %s\n", memstat.MiB(rss))
	}
	for i, f := range failures {
		if i == 5 {
			fmt.Fprintf(out, "… and %d more errors\n", len(failures)-5)
			break
		}
		fmt.Fprintln(out, "error:", f)
	}
	if len(failures) > 0 || lost > 0 {
		return errors.New("answers were refused or lost")
	}
	return nil
}

// step is one answer a vendor saves.
type step struct {
	question string
	send     []string
	want     []string // normalized, as it must be stored
}

// answerPlan picks n questions shown whatever else is answered, with a
// valid answer for each.
func answerPlan(t *questionnaire.Template, n int) []step {
	var out []step
	for _, q := range t.Questions() {
		if len(out) == n {
			break
		}
		if q.When != "" {
			continue
		}
		var vals []string
		switch q.Type {
		case questionnaire.YesNo:
			vals = []string{questionnaire.Yes}
		case questionnaire.Single:
			vals = []string{q.Choices[len(q.Choices)-1].Value}
		case questionnaire.Multi:
			vals = []string{q.Choices[0].Value}
		case questionnaire.Text, questionnaire.LongText:
			vals = []string{"Answered by the load test for " + q.ID}
		case questionnaire.Number:
			v := 1.0
			if q.Min != nil {
				v = *q.Min
			}
			vals = []string{fmt.Sprint(v)}
		case questionnaire.Date:
			vals = []string{"2026-01-15"}
		default:
			continue
		}
		want, err := q.Normalize(vals)
		if err != nil {
			continue
		}
		out = append(out, step{question: q.ID, send: vals, want: want})
	}
	return out
}

// vendor opens its link from its own loopback address and saves every
// answer of the plan, one after the other, as the page's script does.
func vendor(ctx context.Context, base string, i int, token string, plan []step, pause time.Duration) ([]time.Duration, []string) {
	jar, _ := cookiejar.New(nil)
	local := &net.TCPAddr{IP: net.IPv4(127, 0, byte((i+2)/256), byte((i+2)%256))}
	client := &http.Client{Jar: jar, Timeout: time.Minute, Transport: &http.Transport{
		DialContext: (&net.Dialer{LocalAddr: local, Timeout: 10 * time.Second}).DialContext,
	}}
	var lat []time.Duration
	var failed []string
	page := base + "/q/" + token
	resp, err := get(ctx, client, page)
	if err != nil {
		return nil, []string{fmt.Sprintf("vendor %d: open the link: %v", i+1, err)}
	}
	resp.Body.Close()
	u, _ := url.Parse(base)
	csrf := ""
	for _, c := range jar.Cookies(u) {
		if c.Name == "dossier_csrf" {
			csrf = c.Value
		}
	}
	for n, s := range plan {
		if pause > 0 && n > 0 {
			// a person's pace, jittered so vendors do not march in step
			time.Sleep(pause/2 + time.Duration(rand.Int64N(int64(pause))))
		}
		body, _ := json.Marshal(map[string]any{"question": s.question, "values": s.send})
		req, _ := http.NewRequestWithContext(ctx, http.MethodPost, page+"/autosave", bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Accept", "application/json")
		req.Header.Set("X-CSRF-Token", csrf)
		t0 := time.Now()
		resp, err := client.Do(req)
		if err != nil {
			failed = append(failed, fmt.Sprintf("vendor %d, %s: %v", i+1, s.question, err))
			continue
		}
		msg, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			failed = append(failed, fmt.Sprintf("vendor %d, %s: %d %s", i+1, s.question, resp.StatusCode, strings.TrimSpace(string(msg))))
			continue
		}
		lat = append(lat, time.Since(t0))
	}
	return lat, failed
}

func get(ctx context.Context, c *http.Client, u string) (*http.Response, error) {
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	req.Header.Set("Accept", "text/html")
	resp, err := c.Do(req)
	if err == nil && resp.StatusCode != http.StatusOK {
		resp.Body.Close()
		return nil, fmt.Errorf("status %d", resp.StatusCode)
	}
	return resp, err
}

// uploadOnce uploads one PDF of size bytes to the questionnaire's first
// file question, generating it as it streams, and reports the
// process's peak memory before and during the upload.
func uploadOnce(ctx context.Context, out io.Writer, base, token string, t *questionnaire.Template, size int64) error {
	jar, _ := cookiejar.New(nil)
	client := &http.Client{Jar: jar, Timeout: 5 * time.Minute}
	page := base + "/q/" + token
	resp, err := get(ctx, client, page)
	if err != nil {
		return err
	}
	resp.Body.Close()
	u, _ := url.Parse(base)
	csrf := ""
	for _, c := range jar.Cookies(u) {
		if c.Name == "dossier_csrf" {
			csrf = c.Value
		}
	}
	question := ""
	for _, q := range t.Questions() {
		if q.Type == questionnaire.File && q.When == "" {
			question = q.ID
			break
		}
	}
	if question == "" {
		return fmt.Errorf("%s has no file question shown to every vendor", t.ID)
	}
	memstat.ResetPeak()
	before := memstat.Peak()
	pr, pw := io.Pipe()
	mw := multipart.NewWriter(pw)
	go func() {
		_ = mw.WriteField("question", question)
		fw, err := mw.CreateFormFile("file", "pentest-letter.pdf")
		if err == nil {
			err = pdfdoc.WriteLarge(fw, size)
		}
		if err == nil {
			err = mw.Close()
		}
		pw.CloseWithError(err)
	}()
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, page+"/evidence?question="+question+"&_csrf="+url.QueryEscape(csrf), pr)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.Header.Set("Accept", "text/html")
	client.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	t0 := time.Now()
	resp, err = client.Do(req)
	if err != nil {
		return err
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	took := time.Since(t0)
	if resp.StatusCode != http.StatusSeeOther {
		return fmt.Errorf("upload answered %d: %.300s", resp.StatusCode, body)
	}
	fmt.Fprintf(out, "uploaded a %d MiB PDF (streamed, checked by pdfcpu, stored with its SHA-256) in %s\n", size>>20, took.Round(time.Millisecond))
	fmt.Fprintf(out, "peak RSS of this process (server and client together): %s before the upload, %s after\n", memstat.MiB(before), memstat.MiB(memstat.Peak()))
	return nil
}
