package supplier_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/csv"
	"encoding/hex"
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"
	"go.mongodb.org/mongo-driver/bson"

	"dossier/internal/errs"
	"dossier/internal/supplier"
	"dossier/internal/testkit"
)

const importHeader = "Legal Name,trading_name,registration_id,website,systems,data,records,access,clinical_impact,downtime_hours,owner_email,security_contact_name,security_contact_email,legal_contact_name,legal_contact_email,tags\n"

const goodCSV = importHeader +
	`"Vista Imaging, Inc.",Vista PACS,11-1111111,https://vista.example,PACS; RIS,PHI,"1,500,000",Remote access; Medical device on our network,High,4,procurement@hospital.example.org,Sue Sec,sec@vista.example,Len Law,law@vista.example,imaging` + "\n" +
	`Payroll Partners LLC,,22-2222222,www.payroll-partners.example,financial,pii;financial,8000,hosts_data,none,72,,,,,,finance; hr` + "\n" +
	"\n" + // blank rows are left out
	`Quick Fiber Inc,,,,Internet Access,None,,On-site staff,Low,8,,,,,,` + "\n"

func (e *env) count(t testing.TB) int64 {
	t.Helper()
	p, err := e.svc.List(e.ctx, domain, supplier.Query{})
	if err != nil {
		t.Fatal(err)
	}
	return p.Total
}

func TestImport(t *testing.T) {
	e := newEnv(t, false)
	t.Run("Preview", func(t *testing.T) {
		res, err := e.svc.Preview(e.ctx, domain, strings.NewReader(goodCSV))
		if err != nil {
			t.Fatal(err)
		}
		if res.New != 3 || res.Existing != 0 || res.Errors != 0 || len(res.Rows) != 3 {
			t.Fatalf("result %+v", res)
		}
		if r := res.Rows[2]; r.Line != 5 || r.LegalName != "Quick Fiber Inc" || r.Outcome != supplier.OutcomeNew || r.Tier != 3 {
			t.Fatalf("row %+v", r)
		}
		if res.Rows[0].Tier != 1 || res.Rows[1].Tier != 2 {
			t.Fatalf("tiers %d %d", res.Rows[0].Tier, res.Rows[1].Tier)
		}
		if n := e.count(t); n != 0 {
			t.Fatalf("preview created %d vendors", n)
		}
	})
	t.Run("Import", func(t *testing.T) {
		res, err := e.svc.Import(e.ctx, domain, strings.NewReader(goodCSV))
		if err != nil {
			t.Fatal(err)
		}
		if res.New != 3 || e.count(t) != 3 {
			t.Fatalf("result %+v", res)
		}
		v, err := e.svc.Get(e.ctx, domain, res.Rows[0].VendorID)
		if err != nil {
			t.Fatal(err)
		}
		if v.LegalName != "Vista Imaging, Inc." || v.Owner != e.owner.ID || v.Records != 1_500_000 || v.Risk.Tier != 1 ||
			!slices.Equal(v.Systems, []string{"pacs", "ris"}) || !slices.Equal(v.Access, []string{"remote", "medical_device"}) ||
			len(v.Contacts) != 2 || v.Contacts[1].Role != supplier.RoleLegal || v.Status != supplier.Prospect {
			t.Fatalf("imported %+v", v)
		}
		p, _ := e.svc.Get(e.ctx, domain, res.Rows[1].VendorID)
		if p.Website != "https://www.payroll-partners.example" || !slices.Equal(p.Tags, []string{"finance", "hr"}) {
			t.Fatalf("imported %+v", p)
		}
		a := e.audit.Last(t, "vendor.import")
		sum := sha256.Sum256([]byte(goodCSV))
		if a.Details["new"] != "3" || a.Details["existing"] != "0" || a.Details["sha256"] != hex.EncodeToString(sum[:]) || len(e.audit.Find("vendor.create")) != 3 ||
			e.audit.Last(t, "vendor.create").Details["source"] != "import" {
			t.Fatalf("audit %+v", a)
		}
	})
	t.Run("ReimportCreatesNothing", func(t *testing.T) {
		res, err := e.svc.Import(e.ctx, domain, strings.NewReader(goodCSV))
		if err != nil {
			t.Fatal(err)
		}
		if res.New != 0 || res.Existing != 3 || e.count(t) != 3 {
			t.Fatalf("result %+v", res)
		}
		if r := res.Rows[0]; r.Outcome != supplier.OutcomeExists || r.Existing != "Vista PACS (Prospect)" || r.VendorID == "" {
			t.Fatalf("row %+v", r)
		}
	})
	t.Run("ExistingByRegistrationID", func(t *testing.T) {
		file := importHeader + "Vista Renamed Corp,,11 111 1111,,,,,,,,,,,,,\nBrand New Ltd,,,,,,,,,,,,,,,\n"
		res, err := e.svc.Import(e.ctx, domain, strings.NewReader(file))
		if err != nil || res.Existing != 1 || res.New != 1 || e.count(t) != 4 {
			t.Fatalf("result %+v %v", res, err)
		}
	})
	t.Run("ErrRowsNothingImported", func(t *testing.T) {
		file := importHeader +
			"Good Row Ltd,,,,,,,,,,,,,,,\n" +
			"Bad Email Ltd,,,notaurl,Toaster,,lots,,,,nobody@hospital.example.org,Sam,not-an-email,,,\n" +
			"good row ltd.,,,,,,,,,,,,,,,\n" +
			"Short Row Ltd,,\n" +
			`Vista Imaging Inc,,22-2222222,,,,,,,,,,,,,` + "\n"
		res, err := e.svc.Import(e.ctx, domain, strings.NewReader(file))
		wantCode(t, err, errs.Invalid)
		if errs.Message(err) != "4 rows have errors; nothing was imported." {
			t.Fatalf("message %q", errs.Message(err))
		}
		if e.count(t) != 4 || res.New != 1 || res.Errors != 4 {
			t.Fatalf("count %d, result %+v", e.count(t), res)
		}
		bad := strings.Join(res.Rows[1].Problems, "\n")
		for _, want := range []string{"records: \"lots\" is not a whole number", "owner_email: no one on this hospital's staff has the email", "website: Enter a web address",
			"systems: \"Toaster\" is not one of the hospital systems", "security_contact_email: Enter a valid email address"} {
			if !strings.Contains(bad, want) {
				t.Errorf("problems lack %q:\n%s", want, bad)
			}
		}
		if p := res.Rows[2].Problems; len(p) != 1 || p[0] != "legal_name: the same vendor as line 2." {
			t.Errorf("duplicate in file: %q", p)
		}
		if p := res.Rows[3].Problems; len(p) != 1 || !strings.Contains(p[0], "has 3 cells but the header has 16") {
			t.Errorf("ragged row: %q", p)
		}
		if p := res.Rows[4].Problems; len(p) != 1 || !strings.Contains(p[0], "Vista PACS (Prospect)") || !strings.Contains(p[0], "Payroll Partners LLC (Prospect)") {
			t.Errorf("name of one vendor, id of another: %q", p)
		}
	})
	t.Run("StaleClaimTakenOver", func(t *testing.T) {
		// Debris of a crash: a claim on a name whose vendor was never written.
		err := e.db.Collection("vendor_keys").Insert(e.ctx, bson.M{"_id": domain + "|name|crashedvendorltd", "vendor": "gone", "domain": domain, "created": e.clock.Now().Add(-time.Hour)})
		if err != nil {
			t.Fatal(err)
		}
		res, err := e.svc.Import(e.ctx, domain, strings.NewReader(importHeader+"Crashed Vendor Ltd,,,,,,,,,,,,,,,\nAfter Crash Ltd,,,,,,,,,,,,,,,\n"))
		if err != nil || res.New != 2 || e.count(t) != 6 {
			t.Fatalf("result %+v %v", res, err)
		}
	})
	for _, tt := range []struct {
		name, file, code, want string
	}{
		{"ErrEmpty", "", errs.Invalid, "The file is empty"},
		{"ErrNoLegalName", "name,website\nAcme,\n", errs.Invalid, "“name”"},
		{"ErrNoLegalNameColumn", "trading_name\nAcme\n", errs.Invalid, "no legal_name column"},
		{"ErrColumnTwice", "legal_name,Legal Name\nA,B\n", errs.Invalid, "twice"},
		{"ErrEncoding", "legal_name\nAcme\nCaf\xe9 Ltd\n", errs.Invalid, "Line 3 is not UTF-8"},
		{"ErrQuotes", "legal_name,notes\nAcme,\"unclosed\nBeta,x\n", errs.Invalid, "Line 2 could not be read as CSV"},
		{"ErrTooLarge", "legal_name\n" + strings.Repeat("x", supplier.MaxImportBytes), errs.TooLarge, "5 MiB"},
		{"ErrTooManyRows", "legal_name\n" + strings.Repeat("a\n", supplier.MaxImportRows+1), errs.Invalid, "more than 10000 rows"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := e.svc.Preview(e.ctx, domain, strings.NewReader(tt.file))
			wantCode(t, err, tt.code)
			if !strings.Contains(errs.Message(err), strings.Trim(tt.want, "“”")) {
				t.Fatalf("message %q, want %q", errs.Message(err), tt.want)
			}
		})
	}
	t.Run("ByteOrderMark", func(t *testing.T) {
		res, err := e.svc.Preview(e.ctx, domain, strings.NewReader("\xef\xbb\xbflegal_name\nBOM Ltd\n"))
		if err != nil || res.New != 1 {
			t.Fatalf("%+v %v", res, err)
		}
	})
}

func TestSampleCSVImportsCleanly(t *testing.T) {
	e := newEnv(t, false)
	data, err := os.ReadFile(testkit.Path("../../deploy/suppliers-sample.csv"))
	if err != nil {
		t.Fatal(err)
	}
	res, err := e.svc.Import(e.ctx, domain, bytes.NewReader(data))
	if err != nil {
		for _, r := range res.Rows {
			if r.Outcome == supplier.OutcomeError {
				t.Errorf("line %d: %v", r.Line, r.Problems)
			}
		}
		t.Fatal(err)
	}
	tiers := map[int]int{}
	for _, r := range res.Rows {
		tiers[r.Tier]++
	}
	if res.New != 10 || tiers[1] == 0 || tiers[2] == 0 || tiers[3] == 0 {
		t.Fatalf("%d new, tiers %v", res.New, tiers)
	}
	again, err := e.svc.Import(e.ctx, domain, bytes.NewReader(data))
	if err != nil || again.Existing != 10 || again.New != 0 {
		t.Fatalf("again: %+v %v", again, err)
	}
}

// TestExport writes the register as CSV, imports that into an empty
// register, exports again, and expects the same import columns; the XLSX
// holds the same rows.
func TestExport(t *testing.T) {
	e := newEnv(t, false)
	if err := e.svc.SeedDemo(e.ctx, domain, map[string]string{"procurement": e.owner.ID}); err != nil {
		t.Fatal(err)
	}
	f := isp("=HYPERLINK(\"http://evil.example\",\"click\")")
	f.Address = "Line one\nLine two, with \"quotes\""
	f.Notes = "@SUM(1+1)"
	f.Contacts = []supplier.Contact{{Name: "-Minus Person", Phone: "+1 555 0100 x12", Role: supplier.RoleSecurity}}
	e.mustCreate(t, f)

	var first bytes.Buffer
	if err := e.svc.ExportCSV(e.ctx, domain, supplier.Query{}, &first); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(first.String(), `"'=HYPERLINK(""http://evil.example"",""click"")"`) || !strings.Contains(first.String(), "'@SUM(1+1)") ||
		!strings.Contains(first.String(), ",+1 555 0100 x12,") || !strings.Contains(first.String(), "'-Minus Person") {
		t.Fatalf("formulas not neutralized:\n%s", first.String())
	}

	fresh := newEnv(t, false) // its user has the same email, so owners carry over
	res, err := fresh.svc.Import(fresh.ctx, domain, bytes.NewReader(first.Bytes()))
	if err != nil {
		t.Fatalf("%v: %+v", err, res)
	}
	if res.New != 7 {
		t.Fatalf("imported %+v", res)
	}
	var second bytes.Buffer
	if err := fresh.svc.ExportCSV(fresh.ctx, domain, supplier.Query{}, &second); err != nil {
		t.Fatal(err)
	}
	a, b := readRows(t, first.Bytes()), readRows(t, second.Bytes())
	if len(a) != 8 || len(a) != len(b) {
		t.Fatalf("%d and %d rows", len(a), len(b))
	}
	const importCols = 23
	for i := range a {
		if !slices.Equal(a[i][:importCols], b[i][:importCols]) {
			t.Errorf("row %d differs after the round trip:\n%q\n%q", i, a[i][:importCols], b[i][:importCols])
		}
	}
	if a[0][23] != "status" || a[1][importCols] == "" {
		t.Fatalf("export columns %q", a[0][importCols:])
	}

	t.Run("Filtered", func(t *testing.T) {
		var buf bytes.Buffer
		if err := e.svc.ExportCSV(e.ctx, domain, supplier.Query{Tier: 1}, &buf); err != nil {
			t.Fatal(err)
		}
		if n := len(readRows(t, buf.Bytes())); n != 5 {
			t.Fatalf("%d rows for tier 1", n)
		}
	})
	t.Run("XLSX", func(t *testing.T) {
		var buf bytes.Buffer
		if err := e.svc.ExportXLSX(e.ctx, domain, supplier.Query{}, &buf); err != nil {
			t.Fatal(err)
		}
		x, err := excelize.OpenReader(&buf)
		if err != nil {
			t.Fatal(err)
		}
		defer x.Close()
		rows, err := x.GetRows("Vendors")
		if err != nil {
			t.Fatal(err)
		}
		if len(rows) != 8 || !slices.Equal(rows[0], a[0]) {
			t.Fatalf("%d rows, header %q", len(rows), rows[0])
		}
		for i := range rows {
			if rows[i][0] != strings.TrimPrefix(a[i][0], "'") {
				t.Fatalf("row %d: %q, CSV has %q", i, rows[i][0], a[i][0])
			}
		}
		style, err := x.GetCellStyle("Vendors", "A1")
		if err != nil {
			t.Fatal(err)
		}
		st, err := x.GetStyle(style)
		if err != nil || st.Font == nil || !st.Font.Bold {
			t.Fatalf("header style %+v %v", st, err)
		}
		panes, err := x.GetPanes("Vendors")
		if err != nil || !panes.Freeze || panes.YSplit != 1 {
			t.Fatalf("panes %+v %v", panes, err)
		}
		row := slices.IndexFunc(a, func(r []string) bool { return r[10] != "" && r[10] != "records" })
		typ, err := x.GetCellType("Vendors", fmt.Sprintf("K%d", row+1))
		if err != nil || typ == excelize.CellTypeSharedString || typ == excelize.CellTypeInlineString {
			t.Fatalf("records cell is %v (%v), want a number", typ, err)
		}
	})
}

func readRows(t *testing.T, data []byte) [][]string {
	t.Helper()
	rows, err := csv.NewReader(bytes.NewReader(data)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	return rows
}

func TestSeedDemo(t *testing.T) {
	e := newEnv(t, false)
	owners := map[string]string{"procurement": e.owner.ID}
	for range 2 { // the second run finds vendors and does nothing
		if err := e.svc.SeedDemo(e.ctx, domain, owners); err != nil {
			t.Fatal(err)
		}
	}
	p, err := e.svc.List(e.ctx, domain, supplier.Query{})
	if err != nil {
		t.Fatal(err)
	}
	states, tiers := map[string]int{}, map[int]int{}
	var systems []string
	for _, v := range p.Vendors {
		states[v.Status]++
		tiers[v.Risk.Tier]++
		systems = append(systems, v.Systems...)
	}
	if p.Total != 6 || len(states) < 3 || tiers[1] == 0 || tiers[2] == 0 || tiers[3] == 0 {
		t.Fatalf("%d vendors, states %v, tiers %v: %s", p.Total, states, tiers, names(p.Vendors))
	}
	for _, s := range []string{"pacs", "ris", "lab", "emr", "financial", "internet"} {
		if !slices.Contains(systems, s) {
			t.Errorf("no demo vendor touches %s", s)
		}
	}
	ris, err := e.svc.List(e.ctx, domain, supplier.Query{Search: "Clearview"})
	if err != nil || len(ris.Vendors) != 1 {
		t.Fatal(err)
	}
	fp := ris.Vendors[0].FourthParties
	if len(fp) != 1 || fp[0].VendorID == "" || fp[0].Name != "Keystone EMR Hosting" {
		t.Fatalf("fourth parties %+v", fp)
	}
}
