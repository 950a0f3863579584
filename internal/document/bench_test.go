package document_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/bson"

	"dossier/internal/blob"
	"dossier/internal/document"
)

// Issue 7's figure: the register with 1,000 documents of 10 revisions
// each on the embedded engine.
const (
	benchDocs      = 1000
	benchRevisions = 10
)

// The lists the register page shows most: the first page of everything,
// a search, a type with a state, the documents overdue for review, a sort
// on a computed column, and staff's view (only effective revisions).
var benchQueries = []struct {
	name string
	q    document.Query
}{
	{"FirstPage", document.Query{}},
	{"Search", document.Query{Search: "access"}},
	{"TypeState", document.Query{Type: document.Procedure, State: document.Effective}},
	{"ReviewOverdue", document.Query{ReviewDue: document.OverdueFilter}},
	{"ReviewDueSoon", document.Query{ReviewDue: document.DueSoonFilter}},
	{"SortNextReview", document.Query{Sort: "-next_review", Page: 3}},
	{"StaffSight", document.Query{Sight: func(string) document.Sight { return document.EffectiveOnly }}},
}

// BenchmarkRegister lists 1,000 documents × 10 revisions: every list is
// one pass over the domain's register index (64 bucket documents of
// compressed lines), filtered, counted, sorted and paged in Go. Each
// sub-benchmark reports p50 and p95.
func BenchmarkRegister(b *testing.B) {
	e, _ := benchEnv(b)
	for _, bq := range benchQueries {
		b.Run(bq.name, func(b *testing.B) {
			p, err := e.svc.List(e.ctx(), domain, bq.q)
			if err != nil || len(p.Rows) == 0 {
				b.Fatalf("%d rows, %v", len(p.Rows), err)
			}
			b.Logf("%d of %d matching; counts %+v", len(p.Rows), p.Total, p.Counts)
			var times []time.Duration
			for b.Loop() {
				start := time.Now()
				if _, err := e.svc.List(e.ctx(), domain, bq.q); err != nil {
					b.Fatal(err)
				}
				times = append(times, time.Since(start))
			}
			reportPercentiles(b, times)
		})
	}
}

// BenchmarkPending lists staff1's acknowledgement tasks: all 1,000
// documents are for the role staff, and staff1 acknowledged every other
// one, so the index gives 1,000 candidates and each one's acknowledgement
// is looked up by _id.
func BenchmarkPending(b *testing.B) {
	e, _ := benchEnv(b)
	ts, err := e.svc.Pending(e.ctx(), domain, staff1)
	if err != nil || len(ts) != benchDocs/2 {
		b.Fatalf("%d tasks, %v", len(ts), err)
	}
	var times []time.Duration
	for b.Loop() {
		start := time.Now()
		if _, err := e.svc.Pending(e.ctx(), domain, staff1); err != nil {
			b.Fatal(err)
		}
		times = append(times, time.Since(start))
	}
	reportPercentiles(b, times)
}

// BenchmarkDueSoon lists the documents due for review within 30 days, and
// those overdue, as the review dashboard does.
func BenchmarkDueSoon(b *testing.B) {
	e, _ := benchEnv(b)
	for _, list := range []struct {
		name string
		fn   func() ([]document.Row, error)
	}{
		{"DueSoon", func() ([]document.Row, error) { return e.svc.DueSoon(e.ctx(), domain, 30) }},
		{"Overdue", func() ([]document.Row, error) { return e.svc.Overdue(e.ctx(), domain) }},
	} {
		b.Run(list.name, func(b *testing.B) {
			rows, err := list.fn()
			if err != nil || len(rows) == 0 {
				b.Fatalf("%d rows, %v", len(rows), err)
			}
			b.Logf("%d rows", len(rows))
			var times []time.Duration
			for b.Loop() {
				start := time.Now()
				if _, err := list.fn(); err != nil {
					b.Fatal(err)
				}
				times = append(times, time.Since(start))
			}
			reportPercentiles(b, times)
		})
	}
}

// BenchmarkReminders computes a day's reminders for the domain: review
// reminders from the index, and for the documents 7 or 14 days in effect
// one query each over their acknowledgements.
func BenchmarkReminders(b *testing.B) {
	e, _ := benchEnv(b)
	rs, err := e.svc.Reminders(e.ctx(), domain, e.today())
	if err != nil || len(rs) == 0 {
		b.Fatalf("%d reminders, %v", len(rs), err)
	}
	b.Logf("%d reminders", len(rs))
	var times []time.Duration
	for b.Loop() {
		start := time.Now()
		if _, err := e.svc.Reminders(e.ctx(), domain, e.today()); err != nil {
			b.Fatal(err)
		}
		times = append(times, time.Since(start))
	}
	reportPercentiles(b, times)
}

// BenchmarkGet reads documents spread over the 1,000 by id.
func BenchmarkGet(b *testing.B) {
	e, docs := benchEnv(b)
	var times []time.Duration
	for i := 0; b.Loop(); i++ {
		id := docs[(i*7919)%len(docs)].ID
		start := time.Now()
		d, err := e.svc.Get(e.ctx(), domain, id)
		if err != nil || len(d.Revisions) != benchRevisions {
			b.Fatalf("%d revisions, %v", len(d.Revisions), err)
		}
		times = append(times, time.Since(start))
	}
	reportPercentiles(b, times)
}

// BenchmarkPublish publishes an approved 11th revision of one of the
// 1,000, superseding the 10th: the read, the checks and the conditional
// update writing the whole revisions array. Before each run the document
// is put back as it was (not timed). The superseded file's retention
// already reaches beyond six years, so no S3 call is made.
func BenchmarkPublish(b *testing.B) {
	e, docs := benchEnv(b)
	ctx := context.Background()
	coll := e.db.Collection(document.Collection)
	d := docs[benchDocs/2]
	today := e.today()
	r := benchRevision(d, benchRevisions+1, today)
	r.State, r.ApprovedAt, r.EffectiveFrom, r.LastInEffect = document.Approved, today, time.Time{}, time.Time{}
	d.Revisions = append(d.Revisions, r)
	raw, _ := bson.Marshal(d)
	b.Logf("document of %d revisions: %d bytes", len(d.Revisions), len(raw))
	var times []time.Duration
	for b.Loop() {
		b.StopTimer()
		if err := coll.Delete(ctx, bson.M{"_id": d.ID}); err != nil {
			b.Fatal(err)
		}
		if err := coll.Insert(ctx, d); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		start := time.Now()
		got, err := e.svc.Publish(as(controller), domain, d.ID, d.Version, r.N, time.Time{})
		if err != nil {
			b.Fatal(err)
		}
		times = append(times, time.Since(start))
		if s := states(got); !strings.HasSuffix(s, "5.1:superseded 6.0:effective") {
			b.Fatalf("after publishing: %s", s)
		}
	}
	reportPercentiles(b, times)
}

func (e *env) ctx() context.Context { return as(staff1) }

var (
	benchOwners   = []string{controller, approver1, approver2, ciso, "u-owner5"}
	benchSubjects = []string{"Access control", "Acceptable use", "Asset management", "Backup and restore", "Business continuity",
		"Change management", "Cryptography", "Incident response", "Logging and monitoring", "Mobile devices",
		"Network security", "Patch management", "Physical security", "Remote access", "Supplier security",
		"Vulnerability management", "Data classification", "Secure development", "Privileged access", "Clinical systems"}
	benchClauses  = []string{"4.3", "5.2", "6.1.2", "6.1.3", "7.2", "7.5.3", "8.1", "9.2", "10.2"}
	benchControls = []string{"A.5.1", "A.5.9", "A.5.10", "A.5.12", "A.5.15", "A.5.19", "A.5.23", "A.5.24", "A.5.30",
		"A.6.3", "A.7.4", "A.8.2", "A.8.5", "A.8.8", "A.8.13", "A.8.15", "A.8.20", "A.8.24", "A.8.32"}
	benchPrefix = map[document.Type]string{document.Policy: "POL", document.Procedure: "PRO", document.Standard: "STD",
		document.Guideline: "GDL", document.Form: "FRM", document.Record: "REC", document.External: "EXT"}
)

// benchEnv is an env with 1,000 documents written with InsertMany in
// batches of 100, as the service would have left them: revisions 1–9
// superseded and 10 effective, each with its PDF's record, a change
// summary, two approvals and one to three comments; the effective dates
// spread over the last 14 months, so some are due or overdue for review.
// staff1 acknowledged every other document. The register index is then
// built with Reindex, as after a bulk load.
func benchEnv(b *testing.B) (*env, []document.Document) {
	e := newEnv(b)
	ctx := context.Background()
	today := e.today()
	types := document.Types()
	coll := e.db.Collection(document.Collection)
	docs := make([]document.Document, 0, benchDocs)
	var batch []any
	var bytes int
	start := time.Now()
	for i := range benchDocs {
		typ := types[i%len(types)]
		subject := benchSubjects[(i/len(types))%len(benchSubjects)]
		effective := today.AddDate(0, 0, -((i*37)%425 + 1))
		d := document.Document{
			ID: fmt.Sprintf("%024x", i+1), Domain: domain, Number: fmt.Sprintf("ISMS-%s-%04d", benchPrefix[typ], i+1),
			Title: fmt.Sprintf("%s %s", subject, typ), Type: typ, Owner: benchOwners[i%len(benchOwners)],
			Classification: document.Classifications()[i%4],
			Clauses:        []string{benchClauses[i%len(benchClauses)], benchClauses[(i+3)%len(benchClauses)]},
			Controls: []string{benchControls[i%len(benchControls)], benchControls[(i+5)%len(benchControls)],
				benchControls[(i+11)%len(benchControls)]},
			ReviewMonths: 12,
			Approval:     document.ApprovalRule{Approvers: []string{approver1, approver2}, Roles: []string{}},
			Audiences:    document.Audiences{Roles: []string{"staff"}, Users: []string{}},
			CreatedBy:    controller, CreatedAt: effective.AddDate(-6, 0, 0), UpdatedAt: effective, Version: 40,
		}
		if typ == document.External {
			d.Source, d.ExternalVersion = "ISO/IEC", "2022"
		}
		for n := 1; n <= benchRevisions; n++ {
			d.Revisions = append(d.Revisions, benchRevision(d, n, effective))
		}
		d.NextReview = d.NextReviewOn(today)
		docs = append(docs, d)
		raw, err := bson.Marshal(d)
		if err != nil {
			b.Fatal(err)
		}
		bytes += len(raw)
		batch = append(batch, d)
		if len(batch) == 100 {
			if err := coll.InsertMany(ctx, batch); err != nil {
				b.Fatal(err)
			}
			batch = batch[:0]
		}
	}
	b.Logf("seeded %d documents × %d revisions in %v; average BSON size %d bytes (%.1f MB in all)",
		benchDocs, benchRevisions, time.Since(start).Round(time.Millisecond), bytes/benchDocs, float64(bytes)/1e6)
	batch = batch[:0]
	for i, d := range docs {
		if i%2 == 0 {
			r, _ := d.Latest()
			batch = append(batch, document.Ack{ID: fmt.Sprintf("%s|%s|%d|%s", domain, d.ID, r.Major, staff1), Domain: domain, DocID: d.ID,
				Number: d.Number, Major: r.Major, Revision: r.Label(), User: staff1, At: r.EffectiveFrom})
		}
	}
	if err := e.db.Collection("document_acks").InsertMany(ctx, batch); err != nil {
		b.Fatal(err)
	}
	start = time.Now()
	if err := e.svc.Reindex(ctx, domain); err != nil {
		b.Fatal(err)
	}
	b.Logf("indexed in %v", time.Since(start).Round(time.Millisecond))
	return e, docs
}

// benchRevision is revision n of d, the last (benchRevisions) in effect
// from effective, each earlier one superseded, in effect for 180 days.
func benchRevision(d document.Document, n int, effective time.Time) document.Revision {
	from := effective.AddDate(0, 0, -180*(benchRevisions-n))
	sum := sha256.Sum256([]byte(fmt.Sprintf("%s/%d", d.ID, n)))
	sha := hex.EncodeToString(sum[:])
	r := document.Revision{
		N: n, Major: (n + 1) / 2, Minor: (n + 1) % 2, State: document.Superseded, Format: document.PDF,
		File: document.File{Key: fmt.Sprintf("documents/%s/%d-%016x", d.ID, n, n*7919), VersionID: fmt.Sprintf("v%d-%s", n, d.ID[16:]),
			SHA256: sha, Size: 180000 + int64(n)*1024, ContentType: "application/pdf", Pages: 8 + n,
			Name: d.Number + ".pdf", RetainUntil: from.AddDate(20, 0, 0), Mode: string(blob.Governance)}, // beyond any date the steps ask for: no S3 calls on made-up keys
		ChangeSummary: fmt.Sprintf("Revision %d of %s: updated the scope to cover cloud services and suppliers, aligned the roles "+
			"with the current organisation chart, clarified the exceptions process and references to Annex A controls %s.",
			n, d.Number, strings.Join(d.Controls, ", ")),
		Author: controller, AuthorName: "Name of " + controller,
		CreatedAt: from.AddDate(0, 0, -30), UpdatedAt: from, Round: 1,
		SubmittedAt: from.AddDate(0, 0, -20), ApprovedAt: from.AddDate(0, 0, -5), EffectiveFrom: from, PublishedBy: controller,
		LastInEffect: from.AddDate(0, 0, 179), Signatures: []document.Signature{},
	}
	if n == benchRevisions {
		r.State, r.LastInEffect = document.Effective, time.Time{}
	}
	for k, u := range []string{approver1, approver2} {
		r.Signatures = append(r.Signatures, document.Signature{SignerID: u, SignerName: "Name of " + u, At: from.AddDate(0, 0, -6+k),
			Meaning: document.Approve, Reason: "", Round: 1, FileSHA256: r.File.SHA256, Digest: fmt.Sprintf("%062x%02x", n, k)})
	}
	return r
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
