// Command contractload measures the contract area at scale on the embedded
// default (FerretDB on SQLite and the embedded S3 server, in a temporary
// folder):
//
//	go run ./cmd/contractload -contracts 20000      # the expiry page and the daily job
//	go run ./cmd/contractload -upload-mib 50        # one signed PDF upload, peak memory
//
// It starts Dossier in-process on 127.0.0.1 and writes -contracts
// contracts in bulk (mostly in force, expiries spread over the past year
// and the next three, owners among five legal users, one signed file
// version each), then builds the contract index as the daily job would.
// It then requests the expiry page as legal -requests times for each of a
// few views and prints p50 and p95, runs the daily expiry job twice (the
// first run delivers the day's reminders in the app, the second finds
// them sent) and prints what each did and how long it took. With
// -upload-mib it instead uploads one PDF of that size to a draft contract
// through the API, generated as it streams, and prints the process's peak
// resident memory before and during the upload.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"mime/multipart"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"slices"
	"strconv"
	"time"

	"dossier/internal/access"
	"dossier/internal/app"
	"dossier/internal/audit"
	"dossier/internal/authz"
	"dossier/internal/config"
	"dossier/internal/contract"
	"dossier/internal/memstat"
	"dossier/internal/pdfdoc"
	"dossier/internal/supplier"
)

func main() {
	if err := run(context.Background(), os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "contractload:", err)
		os.Exit(1)
	}
}

// views are the expiry page's most used views: everything, the 30-day
// window, and a search with a type filter on a later page.
var views = []struct{ name, path string }{
	{"all, first page", "/contracts"},
	{"expiring within 30 days", "/contracts?window=30"},
	{"search + type, page 2", "/contracts?q=imaging&type=msa&page=2"},
}

func run(ctx context.Context, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("contractload", flag.ContinueOnError)
	contracts := fs.Int("contracts", 20000, "contracts to write (1–100,000)")
	requests := fs.Int("requests", 40, "requests of each view of the expiry page (1–1,000)")
	uploadMiB := fs.Int("upload-mib", 0, "instead, upload one signed PDF of this many MiB (1–200) and report memory")
	timeout := fs.Duration("timeout", 20*time.Minute, "give up after this long")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *contracts < 1 || *contracts > 100000 || *requests < 1 || *requests > 1000 || *uploadMiB < 0 || *uploadMiB > 200 {
		return errors.New("-contracts must be 1–100,000, -requests 1–1,000 and -upload-mib at most 200")
	}
	ctx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()

	dir, err := os.MkdirTemp("", "contractload-")
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
	a, err := app.Open(ctx, cfg, log, "contractload", time.Now)
	if err != nil {
		return err
	}
	defer a.Shutdown(context.Background())
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	go a.Serve(ln)
	l := &load{a: a, domain: cfg.Domain, base: "http://" + ln.Addr().String(), out: out,
		client: &http.Client{Timeout: 10 * time.Minute}}
	if err := l.people(ctx); err != nil {
		return err
	}
	if *uploadMiB > 0 {
		return l.upload(ctx, int64(*uploadMiB)<<20)
	}
	if err := l.seed(ctx, *contracts); err != nil {
		return err
	}
	for _, v := range views {
		if err := l.page(ctx, v.name, v.path, *requests); err != nil {
			return err
		}
	}
	for _, run := range []string{"first run (sends the day's reminders)", "second run (all already sent)"} {
		start := time.Now()
		res, err := a.Jobs.RunNow(ctx, app.ExpiryJob)
		if err != nil {
			return fmt.Errorf("daily job: %w", err)
		}
		fmt.Fprintf(out, "daily job, %s: %s; %v\n", run, time.Since(start).Round(time.Millisecond), res.Counts)
	}
	fmt.Fprintf(out, "peak RSS of this process (server and load together): %s\n", memstat.MiB(memstat.Peak()))
	return nil
}

type load struct {
	a       *app.App
	domain  string
	base    string
	out     io.Writer
	client  *http.Client
	token   string       // legal's API token, for the API
	pages   *http.Client // signed in as legal, for the pages
	owners  []access.User
	vendors []supplier.Vendor
}

// people creates five legal users (the contract owners; the first one
// requests the pages) and ten vendors.
func (l *load) people(ctx context.Context) error {
	sys := audit.WithActor(ctx, audit.System)
	for i := range 5 {
		u, err := l.a.Access.CreateUser(sys, fmt.Sprintf("legal%d@hospital.example.org", i+1), fmt.Sprintf("Legal Counsel %d", i+1))
		if err != nil {
			return err
		}
		if err := l.a.Authz.AddRole(sys, u.ID, authz.RoleLegal, l.domain); err != nil {
			return err
		}
		l.owners = append(l.owners, u)
	}
	var err error
	if l.token, _, err = l.a.Access.CreateToken(sys, l.owners[0].ID, "contractload"); err != nil {
		return err
	}
	if err := l.signIn(ctx, l.owners[0]); err != nil {
		return err
	}
	for i := range 10 {
		v, err := l.a.Suppliers.Create(sys, l.domain, supplier.Fields{LegalName: fmt.Sprintf("Load Test Vendor %02d, Inc.", i+1),
			Data: []string{supplier.DataPHI}, Access: []string{supplier.AccessRemote}})
		if err != nil {
			return err
		}
		l.vendors = append(l.vendors, v)
	}
	return nil
}

// signIn gives u a password and signs in through the sign-in page, as a
// browser would, for the page requests.
func (l *load) signIn(ctx context.Context, u access.User) error {
	const password = "load test correct horse battery"
	if err := l.a.Access.SetPassword(ctx, u.ID, password); err != nil {
		return err
	}
	jar, _ := cookiejar.New(nil)
	l.pages = &http.Client{Jar: jar, Timeout: 10 * time.Minute,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := l.pages.Get(l.base + "/signin")
	if err != nil {
		return err
	}
	resp.Body.Close()
	base, _ := url.Parse(l.base)
	csrf := ""
	for _, c := range jar.Cookies(base) {
		if c.Name == "dossier_csrf" {
			csrf = c.Value
		}
	}
	resp, err = l.pages.PostForm(l.base+"/signin", url.Values{"email": {u.Email}, "password": {password}, "_csrf": {csrf}})
	if err != nil {
		return err
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther {
		return fmt.Errorf("sign in as %s: %d", u.Email, resp.StatusCode)
	}
	return nil
}

// seed writes n contracts in batches of 1,000 and builds the index.
func (l *load) seed(ctx context.Context, n int) error {
	start := time.Now()
	words := []string{"Imaging", "Laboratory", "Hosting", "Payroll", "Network", "Radiology", "Dictation", "Pharmacy"}
	types := contract.Types()
	statuses := []contract.Status{contract.InForce, contract.InForce, contract.InForce, contract.InForce, contract.InForce,
		contract.InForce, contract.InForce, contract.Draft, contract.Expired, contract.Terminated}
	today := contract.Day(time.Now())
	coll := l.a.DB.Collection(contract.Collection)
	var batch []any
	for i := range n {
		typ, status := types[i%len(types)], statuses[i%len(statuses)]
		expiry := today.AddDate(0, 0, (i*37)%1460-365)
		if status == contract.InForce && expiry.Before(today) {
			expiry = expiry.AddDate(2, 0, 0) // in force means not yet expired: nothing for the job to catch up
		}
		v := l.vendors[i%len(l.vendors)]
		c := contract.Contract{
			ID: fmt.Sprintf("%024x", i+1), Domain: l.domain, VendorID: v.ID, VendorName: v.LegalName, Type: typ,
			Title:                 fmt.Sprintf("%s %s agreement %d", words[(i/3)%len(words)], typ.Short(), i),
			CounterpartySignatory: "Authorized signatory", Effective: expiry.AddDate(-3, 0, 0), Expiry: expiry,
			AutoRenewMonths: []int{0, 0, 12, 0, 24}[i%5], NoticeDays: []int{30, 60, 90, 0}[i%4], Owner: l.owners[i%len(l.owners)].ID,
			Status: status, RelatedServices: "Services as described in the order form.", CreatedBy: l.owners[0].ID,
			CreatedAt: today, UpdatedAt: today, Version: 3,
			// Retention beyond any date the job asks for: no S3 calls on made-up keys.
			Files: []contract.FileVersion{{N: 1, Key: fmt.Sprintf("contracts/%024x/1-%016x", i+1, i), VersionID: "v1",
				SHA256: fmt.Sprintf("%064x", i), Name: "signed.pdf", ContentType: "application/pdf", Size: 180000, Pages: 12,
				Signed: true, UploadedBy: l.owners[0].Email, UploadedAt: today,
				RetainUntil: today.AddDate(10, 0, 0), RetentionMode: "GOVERNANCE"}},
			FileSeq: 1,
		}
		if i%11 == 0 {
			c.Evergreen, c.Expiry, c.AutoRenewMonths = true, time.Time{}, 0
		}
		if typ == contract.BAA {
			t := contract.AllTerms(30)
			t.HHSAccess = i%3 != 0
			c.BAA = &t
		}
		if status.Ended() {
			c.LastInEffect, c.RetainUntil = expiry, expiry.AddDate(contract.RetentionYears, 0, 0)
		}
		batch = append(batch, c)
		if len(batch) == 1000 || i == n-1 {
			if err := coll.InsertMany(ctx, batch); err != nil {
				return err
			}
			batch = batch[:0]
		}
	}
	written := time.Since(start)
	if err := l.a.Contracts.Reindex(ctx, l.domain); err != nil {
		return err
	}
	fmt.Fprintf(l.out, "set-up: %d contracts written in %s, index built in %s\n", n, written.Round(time.Millisecond),
		(time.Since(start) - written).Round(time.Millisecond))
	return nil
}

// page requests path n times, one after another, and prints p50 and p95.
func (l *load) page(ctx context.Context, name, path string, n int) error {
	var times []time.Duration
	size := 0
	for range n {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, l.base+path, nil)
		req.Header.Set("Accept", "text/html")
		start := time.Now()
		resp, err := l.pages.Do(req)
		if err != nil {
			return err
		}
		body, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		times = append(times, time.Since(start))
		if err != nil {
			return err
		}
		if resp.StatusCode != http.StatusOK {
			return fmt.Errorf("GET %s: %d: %.300s", path, resp.StatusCode, body)
		}
		size = len(body)
	}
	slices.Sort(times)
	pct := func(p float64) time.Duration {
		return times[min(len(times)-1, int(p*float64(len(times))))].Round(time.Millisecond)
	}
	fmt.Fprintf(l.out, "expiry page, %s (GET %s, %d KiB): p50 %s, p95 %s over %d requests\n", name, path, size>>10, pct(.50), pct(.95), n)
	return nil
}

// upload sends one signed PDF of size bytes to a new draft contract
// through the API, generating it as it streams.
func (l *load) upload(ctx context.Context, size int64) error {
	c, err := l.a.Contracts.Create(audit.WithActor(ctx, audit.Actor{ID: l.owners[0].ID, Name: l.owners[0].Email}), l.domain,
		contract.Fields{VendorID: l.vendors[0].ID, Type: contract.MSA, Title: "Master services agreement", Owner: l.owners[0].ID})
	if err != nil {
		return err
	}
	memstat.ResetPeak()
	before := memstat.Peak()
	pr, pw := io.Pipe()
	mw := multipart.NewWriter(pw)
	go func() {
		err := mw.WriteField("signed", "true")
		if err == nil {
			err = mw.WriteField("version", strconv.FormatInt(c.Version, 10))
		}
		var fw io.Writer
		if err == nil {
			fw, err = mw.CreateFormFile("file", "signed-master-agreement.pdf")
		}
		if err == nil {
			err = pdfdoc.WriteLarge(fw, size)
		}
		if err == nil {
			err = mw.Close()
		}
		pw.CloseWithError(err)
	}()
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, l.base+"/api/v1/contracts/"+c.ID+"/files", pr)
	req.Header.Set("Authorization", "Bearer "+l.token)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	start := time.Now()
	resp, err := l.client.Do(req)
	if err != nil {
		return err
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	took := time.Since(start)
	if resp.StatusCode != http.StatusCreated {
		return fmt.Errorf("upload answered %d: %.300s", resp.StatusCode, body)
	}
	fmt.Fprintf(l.out, "uploaded a %d MiB signed PDF (streamed, checked by pdfcpu, stored with its SHA-256 under retention) in %s\n",
		size>>20, took.Round(time.Millisecond))
	fmt.Fprintf(l.out, "peak RSS of this process (server and client together): %s before the upload, %s during it\n",
		memstat.MiB(before), memstat.MiB(memstat.Peak()))
	return nil
}
