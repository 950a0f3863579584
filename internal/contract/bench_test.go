package contract_test

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"dossier/internal/contract"
)

const benchContracts = 20000

// The lists the expiry page shows most: the first page of everything,
// the 30-day window, and a search with a type filter on a later page.
var benchQueries = []struct {
	name string
	q    contract.Query
}{
	{"FirstPage", contract.Query{}},
	{"Within30", contract.Query{Window: contract.Window30}},
	{"SearchTypePage2", contract.Query{Search: "imaging", Type: contract.MSA, Page: 2}},
}

// BenchmarkExpiryList lists 20,000 contracts on the embedded engine: one
// pass over the domain's contract index (see index.go), windows counted,
// sorted and paged in Go. Each sub-benchmark reports p50 and p95.
func BenchmarkExpiryList(b *testing.B) {
	e := benchEnv(b)
	for _, bq := range benchQueries {
		b.Run(bq.name, func(b *testing.B) {
			p, err := e.svc.List(e.ctx, domain, bq.q)
			if err != nil || len(p.Rows) == 0 {
				b.Fatalf("%d rows, %v", len(p.Rows), err)
			}
			b.Logf("%d of %d matching; counts %+v", len(p.Rows), p.Total, p.Counts)
			var times []time.Duration
			for b.Loop() {
				start := time.Now()
				if _, err := e.svc.List(e.ctx, domain, bq.q); err != nil {
					b.Fatal(err)
				}
				times = append(times, time.Since(start))
			}
			reportPercentiles(b, times)
		})
	}
}

// BenchmarkSave saves contracts spread over the 20,000: a read by _id,
// the conditional update, and the rewrite of the contract's index bucket.
func BenchmarkSave(b *testing.B) {
	e := benchEnv(b)
	var times []time.Duration
	for i := 0; b.Loop(); i++ {
		id := fmt.Sprintf("%024x", (i*7919)%benchContracts+1)
		c, err := e.svc.Get(e.ctx, domain, id)
		if err != nil {
			b.Fatal(err)
		}
		if c.Status != contract.Draft && c.Status != contract.InForce {
			continue
		}
		f := c.Fields()
		f.Notes = fmt.Sprintf("Revision %d of the notes.", i)
		start := time.Now()
		if _, err := e.svc.Update(e.ctx, domain, c.ID, c.Version, f, true); err != nil {
			b.Fatal(err)
		}
		times = append(times, time.Since(start))
	}
	reportPercentiles(b, times)
}

// BenchmarkDailyJob runs the expiry job's two passes over 20,000
// contracts, on a day with nothing to expire or renew (the catch-up of
// the generated data is logged, not measured): the reminders due today
// (DueFrom, from the index) and the sweep (one pass over the contracts
// themselves, which also checks the index against them).
func BenchmarkDailyJob(b *testing.B) {
	e := benchEnv(b)
	// The first run catches up: the generated data has thousands of
	// contracts in force past their expiry.
	start := time.Now()
	res, err := e.svc.Sweep(e.ctx, domain)
	if err != nil {
		b.Fatal(err)
	}
	b.Logf("first sweep: %+v in %v", res, time.Since(start).Round(time.Millisecond))
	var times []time.Duration
	for b.Loop() {
		start := time.Now()
		n := 0
		if err := e.svc.DueFrom(e.ctx, domain, e.clock.Now(), func(contract.Contract, contract.Reminder) error { n++; return nil }); err != nil || n == 0 {
			b.Fatalf("%d reminders, %v", n, err)
		}
		if _, err := e.svc.Sweep(e.ctx, domain); err != nil {
			b.Fatal(err)
		}
		times = append(times, time.Since(start))
	}
	reportPercentiles(b, times)
}

// benchEnv is an env with 20,000 contracts written with InsertMany in
// batches of 1,000: mostly in force, expiries spread over the past year
// and the next three, each with one signed file version, BAAs with their
// checklist.
func benchEnv(b *testing.B) *env {
	e := newEnv(b)
	ctx := context.Background()
	owners := []string{e.legal.ID}
	for i := range 4 {
		u, err := e.users.CreateUser(ctx, fmt.Sprintf("owner%d@hospital.example.org", i), fmt.Sprintf("Owner %d", i))
		if err != nil {
			b.Fatal(err)
		}
		owners = append(owners, u.ID)
	}
	words := []string{"Imaging", "Laboratory", "Hosting", "Payroll", "Network", "Radiology", "Dictation", "Pharmacy"}
	types := contract.Types()
	statuses := []contract.Status{contract.InForce, contract.InForce, contract.InForce, contract.InForce, contract.InForce,
		contract.InForce, contract.InForce, contract.Draft, contract.Expired, contract.Terminated}
	today := e.today()
	coll := e.db.Collection(contract.Collection)
	var batch []any
	for i := range benchContracts {
		typ := types[i%len(types)]
		status := statuses[i%len(statuses)]
		expiry := today.AddDate(0, 0, (i*37)%1460-365)
		c := contract.Contract{
			ID: fmt.Sprintf("%024x", i+1), Domain: domain, VendorID: []string{e.pacs.ID, e.isp.ID}[i%2],
			VendorName: fmt.Sprintf("%s Vendor %04d, Inc.", words[i%len(words)], i%400), Type: typ,
			Title:                 fmt.Sprintf("%s %s agreement %d", words[(i/3)%len(words)], typ.Short(), i),
			CounterpartySignatory: "Authorized signatory", Effective: expiry.AddDate(-3, 0, 0), Expiry: expiry,
			AutoRenewMonths: []int{0, 0, 12, 0, 24}[i%5], NoticeDays: []int{30, 60, 90, 0}[i%4], Owner: owners[i%len(owners)],
			Status: status, RelatedServices: "Services as described in the order form.", CreatedBy: e.legal.ID,
			CreatedAt: today, UpdatedAt: today, Version: 3,
			Files: []contract.FileVersion{{N: 1, Key: fmt.Sprintf("contracts/%024x/1-%016x", i+1, i), VersionID: "v1",
				SHA256: fmt.Sprintf("%064x", i), Name: "signed.pdf", ContentType: "application/pdf", Size: 180000, Pages: 12,
				Signed: true, UploadedBy: "legal@hospital.example.org", UploadedAt: today,
				RetainUntil: today.AddDate(10, 0, 0), RetentionMode: "GOVERNANCE"}}, // beyond any date the steps ask for: no S3 calls on made-up keys
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
			c.LastInEffect, c.RetainUntil = expiry, expiry.AddDate(6, 0, 0)
		}
		batch = append(batch, c)
		if len(batch) == 1000 {
			if err := coll.InsertMany(ctx, batch); err != nil {
				b.Fatal(err)
			}
			batch = batch[:0]
		}
	}
	// Written behind the service's back: build the index as the daily
	// sweep would.
	start := time.Now()
	if err := e.svc.Reindex(ctx, domain); err != nil {
		b.Fatal(err)
	}
	b.Logf("index of %d contracts built in %v", benchContracts, time.Since(start).Round(time.Millisecond))
	return e
}

// reportPercentiles adds p50 and p95 in milliseconds to the benchmark's
// figures.
func reportPercentiles(b *testing.B, times []time.Duration) {
	if len(times) == 0 {
		return
	}
	slices.Sort(times)
	at := func(p float64) float64 {
		return float64(times[min(len(times)-1, int(p*float64(len(times))))].Microseconds()) / 1000
	}
	b.ReportMetric(at(0.50), "p50-ms")
	b.ReportMetric(at(0.95), "p95-ms")
}
