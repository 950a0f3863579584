package contract_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"
	"go.mongodb.org/mongo-driver/bson"

	"dossier/internal/contract"
	"dossier/internal/errs"
)

// listEnv has one contract in each situation the expiry page tells apart.
func listEnv(t *testing.T) (*env, map[string]contract.Contract) {
	e := newEnv(t)
	other, err := e.users.CreateUser(e.ctx, "counsel@hospital.example.org", "Casey Counsel")
	if err != nil {
		t.Fatal(err)
	}
	mk := func(title string, edit func(f *contract.Fields)) contract.Fields {
		f := e.msa()
		f.Title = title
		edit(&f)
		return f
	}
	cs := map[string]contract.Contract{}
	cs["past_notice"] = e.mustActivate(t, mk("Imaging MSA", func(f *contract.Fields) { f.Expiry, f.NoticeDays = e.date(20), 30 }))
	cs["60"] = e.mustActivate(t, mk("Support SLA", func(f *contract.Fields) { f.Type, f.Expiry, f.NoticeDays = contract.SLA, e.date(50), 30 }))
	cs["90"] = e.mustActivate(t, mk("Upgrade SOW", func(f *contract.Fields) { f.Type, f.Expiry, f.VendorID = contract.SOW, e.date(80), e.isp.ID }))
	cs["in_force"] = e.mustActivate(t, mk("Hosting MSA", func(f *contract.Fields) { f.Expiry, f.Owner = e.date(200), other.ID }))
	cs["draft"] = e.mustCreate(t, mk("Draft NDA", func(f *contract.Fields) { f.Type = contract.NDA }))
	cs["lapsed"] = e.mustActivate(t, mk("Old MSA", func(f *contract.Fields) { f.Effective, f.Expiry = e.date(-400), e.date(-3) }))
	term := e.mustActivate(t, mk("Cancelled SOW", func(f *contract.Fields) { f.Type = contract.SOW }))
	term, err = e.svc.Terminate(e.ctx, domain, term.ID, term.Version, e.today(), "Cancelled.")
	if err != nil {
		t.Fatal(err)
	}
	cs["terminated"] = term
	b := e.baa()
	b.BAA.HHSAccess = false
	cs["baa"] = e.mustActivate(t, b)
	return e, cs
}

func titles(rows []contract.Row) []string {
	var out []string
	for _, r := range rows {
		out = append(out, r.Title)
	}
	return out
}

func TestList(t *testing.T) {
	e, cs := listEnv(t)
	list := func(t *testing.T, q contract.Query) contract.Page {
		t.Helper()
		p, err := e.svc.List(e.ctx, domain, q)
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	t.Run("OKAllByExpiry", func(t *testing.T) {
		p := list(t, contract.Query{})
		// Cancelled SOW keeps its expiry (+335 days), the draft too; the
		// evergreen BAA has none and goes last; ties by title.
		order := []string{"Old MSA", "Imaging MSA", "Support SLA", "Upgrade SOW", "Hosting MSA", "Cancelled SOW", "Draft NDA", "PACS business associate agreement"}
		if got := titles(p.Rows); !slices.Equal(got, order) {
			t.Fatalf("order %q", got)
		}
		want := contract.Counts{All: 8, InForce: 5, Within30: 1, Within60: 2, Within90: 3, PastNotice: 1, Expired: 1, Draft: 1, Terminated: 1, Flagged: 1}
		if p.Counts != want {
			t.Fatalf("counts %+v, want %+v", p.Counts, want)
		}
		if p.Total != 8 || p.Pages != 1 || p.Page != 1 || p.PerPage != contract.DefaultPerPage {
			t.Fatalf("paging %+v", p)
		}
		r := p.Rows[1]
		if r.Window != contract.WindowPastNotice || *r.DaysToExpiry != 20 || !r.NoticeDeadline.Equal(e.date(-10)) || r.OwnerName != "Lee Legal" {
			t.Fatalf("row %+v", r)
		}
	})
	windows := []struct {
		window string
		want   []string
	}{
		{contract.Window30, []string{"Imaging MSA"}},
		{contract.Window60, []string{"Imaging MSA", "Support SLA"}},
		{contract.Window90, []string{"Imaging MSA", "Support SLA", "Upgrade SOW"}},
		{contract.WindowPastNotice, []string{"Imaging MSA"}},
		{contract.WindowExpired, []string{"Old MSA"}},
		{contract.WindowInForce, []string{"Imaging MSA", "Support SLA", "Upgrade SOW", "Hosting MSA", "PACS business associate agreement"}},
		{contract.WindowDraft, []string{"Draft NDA"}},
		{contract.WindowTerminated, []string{"Cancelled SOW"}},
	}
	for _, w := range windows {
		t.Run("Window"+w.window, func(t *testing.T) {
			p := list(t, contract.Query{Window: w.window})
			if got := titles(p.Rows); !slices.Equal(got, w.want) {
				t.Fatalf("%q", got)
			}
			if p.Counts.All != 8 {
				t.Fatalf("counts ignore the window: %+v", p.Counts)
			}
		})
	}
	t.Run("OKFilters", func(t *testing.T) {
		if got := titles(list(t, contract.Query{Type: "SOW"}).Rows); !slices.Equal(got, []string{"Upgrade SOW", "Cancelled SOW"}) {
			t.Fatalf("type %q", got)
		}
		if got := titles(list(t, contract.Query{VendorID: e.isp.ID}).Rows); !slices.Equal(got, []string{"Upgrade SOW"}) {
			t.Fatalf("vendor %q", got)
		}
		p := list(t, contract.Query{Owner: cs["in_force"].Owner})
		if got := titles(p.Rows); !slices.Equal(got, []string{"Hosting MSA"}) || p.Counts.All != 1 || p.Rows[0].OwnerName != "Casey Counsel" {
			t.Fatalf("owner %q %+v", got, p.Counts)
		}
		if got := titles(list(t, contract.Query{Search: "  bayline  "}).Rows); !slices.Equal(got, []string{"Upgrade SOW"}) {
			t.Fatalf("search by vendor %q", got)
		}
		if got := titles(list(t, contract.Query{Search: "msa", Window: contract.WindowInForce}).Rows); !slices.Equal(got, []string{"Imaging MSA", "Hosting MSA"}) {
			t.Fatalf("search %q", got)
		}
	})
	t.Run("OKSortAndPage", func(t *testing.T) {
		p := list(t, contract.Query{Sort: "-title", PerPage: 3, Page: 2})
		if got := titles(p.Rows); !slices.Equal(got, []string{"Old MSA", "Imaging MSA", "Hosting MSA"}) || p.Pages != 3 || p.Total != 8 {
			t.Fatalf("%q %+v", got, p)
		}
		if p := list(t, contract.Query{Page: 9}); len(p.Rows) != 0 || p.Total != 8 {
			t.Fatalf("beyond the last page: %+v", p)
		}
		p = list(t, contract.Query{Sort: "notice", Window: contract.WindowInForce})
		if p.Rows[0].Title != "Imaging MSA" {
			t.Fatalf("by notice deadline %q", titles(p.Rows))
		}
	})
	t.Run("ErrInvalidQuery", func(t *testing.T) {
		_, err := e.svc.List(e.ctx, domain, contract.Query{Window: "45", Sort: "price", Type: "lease", Page: -1})
		wantCode(t, err, errs.Invalid)
		wantFields(t, err, "window", "sort", "type", "page")
	})
}

func TestExport(t *testing.T) {
	e, _ := listEnv(t)
	f := e.msa()
	f.Title, f.CounterpartySignatory = `=HYPERLINK("http://evil.example","click")`, "@SUM(1+1)"
	e.mustCreate(t, f)
	rows, err := e.svc.Rows(e.ctx, domain, contract.Query{Sort: "title"})
	if err != nil || len(rows) != 9 {
		t.Fatalf("%d rows, %v", len(rows), err)
	}
	var buf bytes.Buffer
	if err := contract.ExportCSV(&buf, rows); err != nil {
		t.Fatal(err)
	}
	recs, err := csv.NewReader(bytes.NewReader(buf.Bytes())).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 10 || !slices.Equal(recs[0], contract.ExportColumns()) {
		t.Fatalf("%d records, header %q", len(recs), recs[0])
	}
	if !strings.Contains(buf.String(), `"'=HYPERLINK(""http://evil.example"",""click"")"`) || !strings.Contains(buf.String(), "'@SUM(1+1)") {
		t.Fatalf("formulas not neutralized:\n%s", buf.String())
	}
	col := func(name string) int { return slices.Index(contract.ExportColumns(), name) }
	var imaging []string
	for _, r := range recs {
		if r[0] == "Imaging MSA" {
			imaging = r
		}
	}
	if imaging == nil || imaging[col("expiry")] != e.date(20).Format(time.DateOnly) || imaging[col("days_to_expiry")] != "20" ||
		imaging[col("window")] != "Past notice deadline" || imaging[col("owner")] != "Lee Legal" || imaging[col("type")] != "MSA" {
		t.Fatalf("row %q", imaging)
	}

	t.Run("XLSX", func(t *testing.T) {
		var buf bytes.Buffer
		if err := contract.ExportXLSX(&buf, rows); err != nil {
			t.Fatal(err)
		}
		x, err := excelize.OpenReader(&buf)
		if err != nil {
			t.Fatal(err)
		}
		defer x.Close()
		got, err := x.GetRows("Contracts")
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 10 || !slices.Equal(got[0], contract.ExportColumns()) {
			t.Fatalf("%d rows, header %q", len(got), got[0])
		}
		for i := 1; i < len(got); i++ {
			if got[i][0] != strings.TrimPrefix(recs[i][0], "'") {
				t.Fatalf("row %d: %q, CSV has %q", i, got[i][0], recs[i][0])
			}
		}
		style, _ := x.GetCellStyle("Contracts", "A1")
		if st, err := x.GetStyle(style); err != nil || st.Font == nil || !st.Font.Bold {
			t.Fatalf("header style %+v %v", st, err)
		}
		if panes, err := x.GetPanes("Contracts"); err != nil || !panes.Freeze || panes.YSplit != 1 {
			t.Fatalf("panes %+v %v", panes, err)
		}
		row := slices.IndexFunc(got, func(r []string) bool { return r[0] == "Imaging MSA" }) + 1
		for _, c := range []string{"G", "L"} { // expiry, days_to_expiry
			typ, err := x.GetCellType("Contracts", fmt.Sprintf("%s%d", c, row))
			if err != nil || typ == excelize.CellTypeSharedString || typ == excelize.CellTypeInlineString {
				t.Fatalf("%s%d is %v (%v), want a number or date", c, row, typ, err)
			}
		}
		if v, _ := x.GetCellValue("Contracts", fmt.Sprintf("G%d", row)); v != e.date(20).Format(time.DateOnly) {
			t.Fatalf("expiry shows %q", v)
		}
	})
}

// TestIndexRepair takes the contract index away, as a crash between a
// save and its index write would for one contract: the daily sweep puts
// it back from the contracts.
func TestIndexRepair(t *testing.T) {
	e, _ := listEnv(t)
	before, err := e.svc.List(e.ctx, domain, contract.Query{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.db.Collection(contract.IndexCollection).UpdateMany(context.Background(), bson.M{}, bson.M{"$unset": bson.M{"packed": ""}}); err != nil {
		t.Fatal(err)
	}
	if p, _ := e.svc.List(e.ctx, domain, contract.Query{}); p.Total != 0 {
		t.Fatalf("%d rows with the index emptied", p.Total)
	}
	if _, err := e.svc.Sweep(e.ctx, domain); err != nil {
		t.Fatal(err)
	}
	after, err := e.svc.List(e.ctx, domain, contract.Query{})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(titles(after.Rows), titles(before.Rows)) || after.Counts != before.Counts {
		t.Fatalf("after the sweep %q %+v, before %q %+v", titles(after.Rows), after.Counts, titles(before.Rows), before.Counts)
	}
}
