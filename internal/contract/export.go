package contract

import (
	"encoding/csv"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/xuri/excelize/v2"

	"dossier/internal/errs"
)

// ExportColumns are the columns of the CSV and XLSX exports.
func ExportColumns() []string {
	return []string{"title", "vendor", "type", "status", "window", "effective", "expiry", "evergreen", "auto_renew_months",
		"notice_days", "notice_deadline", "days_to_expiry", "owner", "counterparty_signatory", "baa_missing_terms", "legal_hold", "id"}
}

// exportCells is a row in the export's columns: strings, and for the XLSX
// numbers and dates as such (nil for an empty cell).
func exportCells(r Row) []any {
	date := func(t time.Time) any {
		if t.IsZero() {
			return nil
		}
		return t
	}
	num := func(n int) any {
		if n == 0 {
			return nil
		}
		return n
	}
	var left any
	if r.DaysToExpiry != nil {
		left = *r.DaysToExpiry
	}
	owner := r.OwnerName
	if owner == "" {
		owner = r.Owner
	}
	yes := func(b bool) string {
		if b {
			return "yes"
		}
		return "no"
	}
	return []any{r.Title, r.VendorName, r.Type.Short(), r.Status.Label(), WindowLabel(r.Window), date(r.Effective), date(r.Expiry),
		yes(r.Evergreen), num(r.AutoRenewMonths), num(r.NoticeDays), date(r.NoticeDeadline), left, owner, r.Signatory,
		strings.Join(r.MissingTerms, "; "), yes(r.Held), r.ID}
}

// ExportCSV writes rows (from Rows) as CSV with a header row. Dates are
// written 2006-01-02. Cells a spreadsheet would run as a formula get a
// leading quote.
func ExportCSV(w io.Writer, rows []Row) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(ExportColumns()); err != nil {
		return err
	}
	for _, r := range rows {
		cells := exportCells(r)
		out := make([]string, len(cells))
		for i, c := range cells {
			switch c := c.(type) {
			case nil:
			case string:
				out[i] = escapeCell(c)
			case int:
				out[i] = strconv.Itoa(c)
			case time.Time:
				out[i] = c.Format(time.DateOnly)
			}
		}
		if err := cw.Write(out); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

// ExportXLSX writes rows (from Rows) as an Excel workbook with one sheet,
// "Contracts": the ExportCSV columns under a bold header row that stays in
// view, numbers as numbers and dates as dates.
func ExportXLSX(w io.Writer, rows []Row) error {
	f := excelize.NewFile()
	defer f.Close()
	const sheet = "Contracts"
	wrap := func(err error) error { return errs.Wrap(errs.Internal, err, "xlsx export") }
	if err := f.SetSheetName("Sheet1", sheet); err != nil {
		return wrap(err)
	}
	sw, err := f.NewStreamWriter(sheet)
	if err != nil {
		return wrap(err)
	}
	bold, err := f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true}})
	if err != nil {
		return wrap(err)
	}
	dateFmt := "yyyy-mm-dd"
	dateStyle, err := f.NewStyle(&excelize.Style{CustomNumFmt: &dateFmt})
	if err != nil {
		return wrap(err)
	}
	cols := ExportColumns()
	if err := sw.SetColWidth(1, len(cols), 18); err != nil {
		return wrap(err)
	}
	if err := sw.SetColWidth(1, 2, 36); err != nil {
		return wrap(err)
	}
	if err := sw.SetPanes(&excelize.Panes{Freeze: true, YSplit: 1, TopLeftCell: "A2", ActivePane: "bottomLeft"}); err != nil {
		return wrap(err)
	}
	header := make([]any, len(cols))
	for i, c := range cols {
		header[i] = excelize.Cell{StyleID: bold, Value: c}
	}
	if err := sw.SetRow("A1", header); err != nil {
		return wrap(err)
	}
	for i, r := range rows {
		cells := exportCells(r)
		for j, c := range cells {
			if t, ok := c.(time.Time); ok {
				cells[j] = excelize.Cell{StyleID: dateStyle, Value: t}
			}
		}
		ref, err := excelize.CoordinatesToCellName(1, i+2)
		if err != nil {
			return wrap(err)
		}
		if err := sw.SetRow(ref, cells); err != nil {
			return wrap(err)
		}
	}
	if err := sw.Flush(); err != nil {
		return wrap(err)
	}
	_, err = f.WriteTo(w)
	return err
}

// formulaStarts are the characters that make a spreadsheet treat a cell
// as a formula.
const formulaStarts = "=+-@\t\r"

// escapeCell puts a quote before a cell a spreadsheet would run as a
// formula (CSV injection).
func escapeCell(s string) string {
	if s == "" || !strings.ContainsRune(formulaStarts, rune(s[0])) {
		return s
	}
	return "'" + s
}
