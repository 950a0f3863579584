package supplier_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"fmt"
	"os"
	"slices"
	"strconv"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/bson"
	"go.mongodb.org/mongo-driver/mongo"
	"go.mongodb.org/mongo-driver/mongo/options"

	"dossier/internal/audit"
	"dossier/internal/store"
	"dossier/internal/supplier"
	"dossier/internal/testkit"
)

const benchVendors = 2000

// The queries the list benchmarks run: what a person does most, a search
// with filters on a later page, and the first page of the register.
var benchQueries = []struct {
	name string
	q    supplier.Query
}{
	{"SearchFilterPage", supplier.Query{Search: "med", PHI: "yes", Status: supplier.Prospect, Sort: "-tier", Page: 2}},
	{"FirstPage", supplier.Query{}},
}

// BenchmarkList lists a register of 2,000 vendors through the service.
// Each sub-benchmark reports p50 and p95 next to ns/op; compare them with
// BenchmarkListRawDriver, the same find and count sent by the bare driver.
func BenchmarkList(b *testing.B) {
	e, _, _ := benchRegister(b)
	for _, bq := range benchQueries {
		b.Run(bq.name, func(b *testing.B) {
			p, err := e.svc.List(e.ctx, domain, bq.q)
			if err != nil || len(p.Vendors) == 0 {
				b.Fatalf("%d vendors, %v", len(p.Vendors), err)
			}
			b.Logf("%d of %d matching", len(p.Vendors), p.Total)
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

// BenchmarkListRawDriver sends List's exact filter, sort, skip and limit,
// and its count, through a mongo-driver client of its own, decoding to raw
// BSON: the engine's time without Dossier.
func BenchmarkListRawDriver(b *testing.B) {
	e, uri, dbName := benchRegister(b)
	ctx := context.Background()
	client, err := mongo.Connect(ctx, options.Client().ApplyURI(uri))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = client.Disconnect(context.Background()) })
	coll := client.Database(dbName).Collection("vendors")
	for _, bq := range benchQueries {
		b.Run(bq.name, func(b *testing.B) {
			filter, sort, skip, limit, err := supplier.ListQuery(e.svc, domain, bq.q)
			if err != nil {
				b.Fatal(err)
			}
			var times []time.Duration
			for b.Loop() {
				start := time.Now()
				if _, err := coll.CountDocuments(ctx, filter); err != nil {
					b.Fatal(err)
				}
				cur, err := coll.Find(ctx, filter, options.Find().SetSort(sort).SetSkip(skip).SetLimit(limit))
				if err != nil {
					b.Fatal(err)
				}
				var docs []bson.Raw
				if err := cur.All(ctx, &docs); err != nil || len(docs) == 0 {
					b.Fatalf("%d documents, %v", len(docs), err)
				}
				times = append(times, time.Since(start))
			}
			reportPercentiles(b, times)
		})
	}
}

// BenchmarkUpdate saves vendors spread over a 2,000-vendor register: a
// read by _id and the conditional update. The embedded engine cannot push
// the update's {_id, version} filter down; it decodes documents in stored
// order until it meets the vendor, so the cost grows with the vendor's
// position, and p95 is close to a whole scan.
func BenchmarkUpdate(b *testing.B) {
	e, _, _ := benchRegister(b)
	var vs []supplier.Vendor
	err := e.svc.All(e.ctx, domain, supplier.Query{Sort: "-name"}, func(v supplier.Vendor) error {
		if len(vs) < 40 && v.Records%50 == 0 {
			vs = append(vs, v)
		}
		return nil
	})
	if err != nil || len(vs) < 20 {
		b.Fatalf("%d vendors to update, %v", len(vs), err)
	}
	var times []time.Duration
	for i := 0; b.Loop(); i++ {
		v := vs[i%len(vs)]
		f := v.Fields()
		f.Notes = fmt.Sprintf("Revision %d of the notes.", i)
		start := time.Now()
		if vs[i%len(vs)], err = e.svc.Update(e.ctx, domain, v.ID, v.Version, f); err != nil {
			b.Fatal(err)
		}
		times = append(times, time.Since(start))
	}
	reportPercentiles(b, times)
}

// BenchmarkImport2000 imports a 2,000-row CSV into an empty register: the
// preview, the checks, the bulk inserts, and 2,001 events on the real
// audit trail.
func BenchmarkImport2000(b *testing.B) {
	var buf bytes.Buffer
	w := csv.NewWriter(&buf)
	_ = w.Write([]string{"legal_name", "registration_id", "website", "systems", "data", "records", "access", "clinical_impact",
		"downtime_hours", "owner_email", "security_contact_name", "security_contact_email", "legal_contact_name", "legal_contact_email", "tags"})
	for i, f := range benchFields(benchVendors, "") {
		_ = w.Write([]string{f.LegalName, f.RegistrationID, f.Website, labels(f.Systems), labels(f.Data), strconv.FormatInt(f.Records, 10),
			labels(f.Access), f.Clinical, strconv.Itoa(f.DowntimeHours), "procurement@hospital.example.org",
			"Security Desk", fmt.Sprintf("security@vendor%04d.example", i), "Legal Desk", fmt.Sprintf("legal@vendor%04d.example", i), "bench"})
	}
	w.Flush()
	data := buf.Bytes()
	uri := benchEngine(b)
	ctx := context.Background()
	for i := 0; b.Loop(); i++ {
		b.StopTimer()
		db, _ := openBenchDB(b, uri, fmt.Sprintf("import%d", i))
		log := audit.New(db, nil, time.Now)
		if err := audit.Migrate(ctx, db); err != nil {
			b.Fatal(err)
		}
		e := newEnvOn(b, db, false, log)
		b.StartTimer()
		res, err := e.svc.Import(e.ctx, domain, bytes.NewReader(data))
		if err != nil || res.New != benchVendors {
			b.Fatalf("%v: %d new, %d errors", err, res.New, res.Errors)
		}
	}
	b.ReportMetric(float64(benchVendors)/(b.Elapsed().Seconds()/float64(b.N)), "rows/s")
}

// benchRegister is a register of 2,000 vendors written in bulk, on an
// engine of its own; it returns the engine's URI and the database name for
// the raw driver.
func benchRegister(b *testing.B) (*env, string, string) {
	uri := benchEngine(b)
	db, name := openBenchDB(b, uri, "bench")
	e := newEnvOn(b, db, false, nil)
	if err := supplier.SeedBulk(e.ctx, e.svc, domain, benchFields(benchVendors, e.owner.ID)); err != nil {
		b.Fatal(err)
	}
	return e, uri, name
}

// benchEngine is DOSSIER_TEST_MONGO_URI, or a fresh embedded engine.
func benchEngine(b testing.TB) string {
	if uri := os.Getenv("DOSSIER_TEST_MONGO_URI"); uri != "" {
		return uri
	}
	return testkit.StartMongo(b, b.TempDir(), "127.0.0.1:0").URI
}

// openBenchDB opens a new database on the engine at uri and returns its
// name too.
func openBenchDB(b testing.TB, uri, prefix string) (*store.Store, string) {
	_, external := os.LookupEnv("DOSSIER_TEST_MONGO_URI")
	ctx := context.Background()
	name := testkit.RandomName(prefix)
	db, err := store.Open(ctx, store.Options{URI: uri, Database: name, Serialize: !external})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() {
		_ = db.Drop(context.Background())
		_ = db.Close(context.Background())
	})
	if err := supplier.Migrate(ctx, db); err != nil {
		b.Fatal(err)
	}
	return db, name
}

// benchFields makes n plausible, distinct vendors across every system,
// data kind, access mode and clinical impact.
func benchFields(n int, owner string) []supplier.Fields {
	words := []string{"Medical", "Imaging", "Health", "Systems", "Cloud", "Diagnostics", "Networks", "Billing", "Lab", "Care", "Medtech", "Data"}
	data := [][]string{{"phi"}, {"pii"}, {"payment_card", "pii"}, {"financial"}, {"none"}, {"phi", "pii"}}
	access := [][]string{{"remote"}, {"hosts_data"}, {"onsite"}, {"medical_device", "onsite"}, {"software_only"}}
	clinical := []string{"none", "low", "moderate", "high"}
	out := make([]supplier.Fields, n)
	for i := range out {
		name := fmt.Sprintf("%s %s Vendor %04d", words[i%len(words)], words[(i/len(words))%len(words)], i)
		out[i] = supplier.Fields{
			LegalName: name + " Inc.", RegistrationID: fmt.Sprintf("%02d-%07d", i%90+10, i),
			Website: fmt.Sprintf("https://vendor%04d.example", i), Systems: []string{supplier.Systems[i%6]},
			Data: data[i%len(data)], Records: int64(i * 997), Access: access[i%len(access)], Clinical: clinical[i%len(clinical)],
			DowntimeHours: []int{2, 8, 24, 72, 200}[i%5], Owner: owner,
			Description: "A vendor made up for the benchmark, with a description of typical length for the register.",
			Contacts: []supplier.Contact{
				{Name: "Security Desk", Email: fmt.Sprintf("security@vendor%04d.example", i), Role: supplier.RoleSecurity},
				{Name: "Legal Desk", Email: fmt.Sprintf("legal@vendor%04d.example", i), Role: supplier.RoleLegal},
			},
			Tags: []string{"bench"},
		}
	}
	return out
}

func labels(codes []string) string {
	var s string
	for i, c := range codes {
		if i > 0 {
			s += "; "
		}
		s += supplier.Label(c)
	}
	return s
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
