package supplier

import (
	"context"
	"encoding/csv"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/xuri/excelize/v2"

	"dossier/internal/errs"
)

// formulaStarts are the characters that make a spreadsheet treat a cell
// as a formula.
const formulaStarts = "=+-@\t\r"

// ExportCSV writes the vendors matching q as the supplier CSV: the import
// columns (so the file imports again as it is), then status, tier, score
// and next_due. Cells a spreadsheet would run as a formula get a leading
// quote, which import removes.
func (s *Service) ExportCSV(ctx context.Context, domain string, q Query, w io.Writer) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(append(append([]string{}, importColumns...), exportColumns...)); err != nil {
		return err
	}
	owners := map[string]string{}
	err := s.All(ctx, domain, q, func(v Vendor) error {
		row, err := s.exportRow(ctx, owners, v)
		if err != nil {
			return err
		}
		for i, cell := range row {
			row[i] = escapeCell(cell)
		}
		return cw.Write(row)
	})
	if err != nil {
		return err
	}
	cw.Flush()
	return cw.Error()
}

// ExportXLSX writes the vendors matching q as an Excel workbook with one
// sheet, "Vendors": the same columns as ExportCSV under a bold header row
// that stays in view. Rows stream to the workbook; the workbook is written
// to w at the end.
func (s *Service) ExportXLSX(ctx context.Context, domain string, q Query, w io.Writer) error {
	f := excelize.NewFile()
	defer f.Close()
	const sheet = "Vendors"
	if err := f.SetSheetName("Sheet1", sheet); err != nil {
		return errs.Wrap(errs.Internal, err, "xlsx export")
	}
	sw, err := f.NewStreamWriter(sheet)
	if err != nil {
		return errs.Wrap(errs.Internal, err, "xlsx export")
	}
	bold, err := f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true}})
	if err != nil {
		return errs.Wrap(errs.Internal, err, "xlsx export")
	}
	cols := append(append([]string{}, importColumns...), exportColumns...)
	if err := sw.SetColWidth(1, len(cols), 22); err != nil {
		return errs.Wrap(errs.Internal, err, "xlsx export")
	}
	if err := sw.SetPanes(&excelize.Panes{Freeze: true, YSplit: 1, TopLeftCell: "A2", ActivePane: "bottomLeft"}); err != nil {
		return errs.Wrap(errs.Internal, err, "xlsx export")
	}
	header := make([]any, len(cols))
	for i, c := range cols {
		header[i] = excelize.Cell{StyleID: bold, Value: c}
	}
	if err := sw.SetRow("A1", header); err != nil {
		return errs.Wrap(errs.Internal, err, "xlsx export")
	}
	owners := map[string]string{}
	rowNum := 1
	numeric := map[int]bool{}
	for i, c := range cols {
		numeric[i] = c == "records" || c == "downtime_hours" || c == "tier" || c == "score"
	}
	err = s.All(ctx, domain, q, func(v Vendor) error {
		row, err := s.exportRow(ctx, owners, v)
		if err != nil {
			return err
		}
		cells := make([]any, len(row))
		for i, cell := range row {
			cells[i] = cell
			if n, err := strconv.ParseInt(cell, 10, 64); err == nil && numeric[i] {
				cells[i] = n
			}
		}
		rowNum++
		ref, err := excelize.CoordinatesToCellName(1, rowNum)
		if err != nil {
			return err
		}
		if err := sw.SetRow(ref, cells); err != nil {
			return errs.Wrap(errs.Internal, err, "xlsx export")
		}
		return nil
	})
	if err != nil {
		return err
	}
	if err := sw.Flush(); err != nil {
		return errs.Wrap(errs.Internal, err, "xlsx export")
	}
	_, err = f.WriteTo(w)
	return err
}

// exportRow is one vendor in the export's columns. Owners' emails are
// looked up once per export.
func (s *Service) exportRow(ctx context.Context, owners map[string]string, v Vendor) ([]string, error) {
	ownerEmail := ""
	if v.Owner != "" && s.o.Users != nil {
		e, ok := owners[v.Owner]
		if !ok {
			u, err := s.o.Users.User(ctx, v.Owner)
			if err != nil && !errs.Is(err, errs.NotFound) {
				return nil, err
			}
			e = u.Email
			owners[v.Owner] = e
		}
		ownerEmail = e
	}
	sec, _ := v.ContactFor(RoleSecurity)
	legal, _ := v.ContactFor(RoleLegal)
	num := func(n int64) string {
		if n == 0 {
			return ""
		}
		return strconv.FormatInt(n, 10)
	}
	tier := ""
	if v.Risk.Tier > 0 {
		tier = strconv.Itoa(v.Risk.Tier)
	}
	due := ""
	if !v.NextDue.IsZero() {
		due = v.NextDue.Format(time.DateOnly)
	}
	return []string{
		v.LegalName, v.TradingName, v.RegistrationID, v.Website, v.Address, v.Description, v.Services,
		labelsOf(v.Systems), v.SystemsOther, labelsOf(v.Data), num(v.Records), labelsOf(v.Access), Label(v.Clinical),
		num(int64(v.DowntimeHours)), ownerEmail,
		sec.Name, sec.Email, sec.Phone, legal.Name, legal.Email, legal.Phone,
		strings.Join(v.Tags, "; "), v.Notes,
		Label(v.Status), tier, strconv.Itoa(v.Risk.Score), due,
	}, nil
}

func labelsOf(codes []string) string {
	ls := make([]string, len(codes))
	for i, c := range codes {
		ls[i] = Label(c)
	}
	return strings.Join(ls, "; ")
}

// escapeCell puts a quote before a cell a spreadsheet would run as a
// formula (CSV injection). Phone numbers such as "+1 617 555 0100" are
// left alone: digits and punctuation cannot call anything.
func escapeCell(s string) string {
	if s == "" || !strings.ContainsRune(formulaStarts, rune(s[0])) {
		return s
	}
	if strings.Trim(s, "0123456789 +-().x/") == "" && s[0] != '=' && s[0] != '@' {
		return s
	}
	return "'" + s
}
