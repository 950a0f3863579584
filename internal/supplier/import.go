package supplier

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/csv"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"unicode/utf8"

	"go.mongodb.org/mongo-driver/bson"
	"go.mongodb.org/mongo-driver/mongo/options"

	"dossier/internal/access"
	"dossier/internal/errs"
	"dossier/internal/store"
	"dossier/internal/text"
)

// The supplier CSV, as procurement keeps it and as ExportCSV writes it.
//
// The first row names the columns, in any order and letter case ("Legal
// name" and "legal_name" are the same column). Only legal_name is
// required:
//
//	legal_name              the vendor's legal name (required, unique)
//	trading_name            the name it trades under
//	registration_id         tax or company registration id (unique when given)
//	website                 https://… (a bare www.example.com is taken as https)
//	address                 postal address
//	description             what the vendor is
//	services                the services it provides the hospital
//	systems                 hospital systems touched: EMR; Financial; PACS; RIS;
//	                        Clinical Laboratory; Internet Access; Other
//	systems_other           the other systems, when Other
//	data                    data handled: PHI; PII; Payment card; Financial; None
//	records                 approximate number of records (1,200,000 is fine)
//	access                  On-site staff; Remote access; Hosts our data;
//	                        Medical device on our network; Software only
//	clinical_impact         None, Low, Moderate or High
//	downtime_hours          how many hours the hospital can do without it
//	owner_email             the internal owner's Dossier sign-in email
//	security_contact_name   the vendor's security contact
//	security_contact_email
//	security_contact_phone
//	legal_contact_name      the vendor's legal contact
//	legal_contact_email
//	legal_contact_phone
//	tags                    separated by ";"
//	notes
//
// Lists are separated by ";" (or ","), and take the words above or their
// codes (pacs, lab, phi, remote…). Export adds status, tier, score and
// next_due, which import ignores. Files are UTF-8 (a byte-order mark is
// fine), at most 5 MiB and 10,000 rows. A row whose legal name or
// registration id is already in the register is skipped as "exists"; a
// row repeating another row's name or id is an error.
var importColumns = []string{
	"legal_name", "trading_name", "registration_id", "website", "address", "description", "services",
	"systems", "systems_other", "data", "records", "access", "clinical_impact", "downtime_hours", "owner_email",
	"security_contact_name", "security_contact_email", "security_contact_phone",
	"legal_contact_name", "legal_contact_email", "legal_contact_phone", "tags", "notes",
}

// exportColumns are written by ExportCSV after the import columns and
// ignored by import.
var exportColumns = []string{"status", "tier", "score", "next_due"}

// Import limits.
const (
	MaxImportBytes = 5 << 20
	MaxImportRows  = 10000
	importBatch    = 500 // documents per bulk insert
)

// Row outcomes.
const (
	OutcomeNew    = "new"
	OutcomeExists = "exists"
	OutcomeError  = "error"
)

// ImportResult is what an import did, or would do, row by row.
type ImportResult struct {
	Rows                  []RowResult
	New, Existing, Errors int
}

// RowResult is one row of the file.
type RowResult struct {
	Line      int    // line in the file where the row starts; the header is line 1
	LegalName string //
	Outcome   string // OutcomeNew, OutcomeExists or OutcomeError
	Problems  []string
	VendorID  string // the vendor made (after Import) or already there ("exists")
	Existing  string // for "exists": the vendor already in the register, "Acme PACS (Active)"
	Tier      int    // for "new": the tier the vendor will get; 0 when not computable
}

// Preview reads a supplier CSV and reports, row by row, what Import would
// do, changing nothing. A file that cannot be read as a whole (too large,
// not UTF-8, no legal_name column) is an error; problems with single rows
// are in the result.
func (s *Service) Preview(ctx context.Context, domain string, r io.Reader) (ImportResult, error) {
	res, _, err := s.preview(ctx, domain, r)
	return res, err
}

// Import adds the new rows of a supplier CSV to the register, all or
// nothing: when any row has an error nothing is imported, and the result
// says why (the error is errs.Invalid). Rows already in the register are
// skipped, so importing the same file again creates nothing.
//
// Without transactions "nothing" is made true in this order: every name
// and registration id is claimed first (a claim lost to someone else gives
// all of them back), then the vendors are written; should the database
// fail midway, the vendors already written are deleted again.
func (s *Service) Import(ctx context.Context, domain string, r io.Reader) (ImportResult, error) {
	// The file's SHA-256 goes into the trail, so the import can be matched
	// to the spreadsheet it came from.
	sum := sha256.New()
	res, vendors, err := s.preview(ctx, domain, io.TeeReader(r, sum))
	if err != nil {
		return res, err
	}
	if res.Errors > 0 {
		return res, errs.E(errs.Invalid, "%s; nothing was imported.", plural(res.Errors, "row has errors", "rows have errors"))
	}
	var fresh []Vendor
	for i, r := range res.Rows {
		if v, ok := vendors[r.Line]; ok {
			fresh = append(fresh, v)
			res.Rows[i].VendorID = v.ID
		}
	}
	if err := s.insertAll(ctx, fresh); err != nil {
		for i := range res.Rows {
			if res.Rows[i].Outcome == OutcomeNew {
				res.Rows[i].VendorID = ""
			}
		}
		return res, err
	}
	for _, v := range fresh {
		if err := s.record(ctx, "vendor.create", domain, v.ID, createDetails(v, "import")); err != nil {
			return res, err
		}
	}
	return res, s.record(ctx, "vendor.import", domain, "", map[string]string{
		"rows": strconv.Itoa(len(res.Rows)), "new": strconv.Itoa(res.New), "existing": strconv.Itoa(res.Existing),
		"sha256": hex.EncodeToString(sum.Sum(nil))})
}

func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return strconv.Itoa(n) + " " + many
}

// insertAll claims the keys of vendors and writes them in bulk, undoing
// what it did when any step fails.
func (s *Service) insertAll(ctx context.Context, vendors []Vendor) error {
	if len(vendors) == 0 {
		return nil
	}
	var claims []any
	for _, v := range vendors {
		for _, k := range keysOf(v) {
			claims = append(claims, claimDoc{ID: k.ID, Vendor: v.ID, Domain: v.Domain, Created: s.now()})
		}
	}
	undoClaims := func() {
		for _, c := range claims {
			c := c.(claimDoc)
			s.release(ctx, c.Vendor, []key{{ID: c.ID}})
		}
	}
	if err := insertBatches(ctx, s.keys, claims); err != nil {
		// Some key is taken: a vendor added since the preview, or debris
		// of a crash. Give back what was claimed and claim one by one,
		// which tells the two apart.
		undoClaims()
		if !errs.Is(err, errs.Conflict) {
			return err
		}
		for _, v := range vendors {
			if _, err := s.claimAll(ctx, v, keysOf(v)); err != nil {
				undoClaims()
				var dup *DuplicateError
				if errors.As(err, &dup) {
					return &errs.Error{Code: errs.Conflict, Field: dup.Field, Err: dup,
						Message: fmt.Sprintf("%s was added to the register while the file was being imported; nothing was imported. Preview the file again.", dup.Existing.Label())}
				}
				return err
			}
		}
	}
	docs := make([]any, len(vendors))
	for i, v := range vendors {
		docs[i] = toRecord(v)
	}
	if err := insertBatches(ctx, s.vendors, docs); err != nil {
		bg := context.WithoutCancel(ctx)
		for _, v := range vendors {
			_ = s.vendors.Delete(bg, bson.M{"_id": v.ID})
		}
		undoClaims()
		return err
	}
	return nil
}

func insertBatches(ctx context.Context, c *store.Collection, docs []any) error {
	for i := 0; i < len(docs); i += importBatch {
		if err := c.InsertMany(ctx, docs[i:min(i+importBatch, len(docs))]); err != nil {
			return err
		}
	}
	return nil
}

// existing is what duplicate detection needs of a vendor in the register.
type existing struct {
	ID        string `bson:"_id"`
	LegalName string `bson:"legal_name"`
	Trading   string `bson:"trading_name"`
	Status    string `bson:"status"`
	RegID     string `bson:"registration_id"`
}

func (e existing) describe() string {
	label := e.Trading
	if label == "" {
		label = e.LegalName
	}
	return label + " (" + Label(e.Status) + ")"
}

// preview parses and checks a file. It returns the result and the vendors
// the new rows would become, by line.
func (s *Service) preview(ctx context.Context, domain string, r io.Reader) (ImportResult, map[int]Vendor, error) {
	var res ImportResult
	if err := checkDomain(domain); err != nil {
		return res, nil, err
	}
	rows, err := readCSV(r)
	if err != nil {
		return res, nil, err
	}
	// One read of the register's names and ids, instead of a lookup per row.
	byName, byReg := map[string]existing{}, map[string]existing{}
	err = store.Each(ctx, s.vendors, bson.M{"domain": domain}, func(e existing) error {
		byName[nameKey(e.LegalName)] = e
		if k := regKey(e.RegID); k != "" {
			byReg[k] = e
		}
		return nil
	}, options.Find().SetProjection(bson.M{"legal_name": 1, "trading_name": 1, "status": 1, "registration_id": 1}))
	if err != nil {
		return res, nil, err
	}
	owners := map[string]ownerLookup{}
	seenName, seenReg := map[string]int{}, map[string]int{}
	vendors := map[int]Vendor{}
	for _, row := range rows {
		rr := RowResult{Line: row.line, LegalName: strings.TrimSpace(row.get("legal_name"))}
		f, problems := row.fields()
		nk, rk := nameKey(f.LegalName), regKey(f.RegistrationID)
		en, nameTaken := byName[nk]
		er, regTaken := byReg[rk]
		switch {
		case row.ragged != "":
			problems = append(problems, row.ragged)
		case nk != "" && nameTaken && rk != "" && regTaken && en.ID != er.ID:
			problems = append(problems, fmt.Sprintf("The legal name is %s's but the registration id is %s's.", en.describe(), er.describe()))
		case nk != "" && nameTaken:
			rr.Outcome, rr.VendorID, rr.Existing = OutcomeExists, en.ID, en.describe()
		case rk != "" && regTaken:
			rr.Outcome, rr.VendorID, rr.Existing = OutcomeExists, er.ID, er.describe()
		}
		if rr.Outcome == OutcomeExists {
			res.Existing++
			res.Rows = append(res.Rows, rr)
			continue
		}
		if line, ok := seenName[nk]; ok && nk != "" {
			problems = append(problems, fmt.Sprintf("legal_name: the same vendor as line %d.", line))
		} else if nk != "" {
			seenName[nk] = row.line
		}
		if line, ok := seenReg[rk]; ok && rk != "" {
			problems = append(problems, fmt.Sprintf("registration_id: the same registration id as line %d.", line))
		} else if rk != "" {
			seenReg[rk] = row.line
		}
		if email := strings.TrimSpace(row.get("owner_email")); email != "" && row.ragged == "" {
			o, err := s.lookupOwner(ctx, owners, domain, email)
			if err != nil {
				return res, nil, err
			}
			if o.problem != "" {
				problems = append(problems, "owner_email: "+o.problem)
			}
			f.Owner = o.id
		}
		if row.ragged == "" {
			id := newID()
			clean, err := s.clean(ctx, domain, id, f, f.Owner)
			var fe errs.FieldErrors
			switch {
			case errors.As(err, &fe):
				for _, p := range fe {
					problems = append(problems, row.column(p.Field)+": "+p.Message)
				}
			case err != nil:
				return res, nil, err
			}
			if len(problems) == 0 {
				v := s.newVendor(ctx, domain, id, clean)
				vendors[row.line] = v
				rr.Tier = v.Risk.Tier
			}
		}
		if len(problems) > 0 {
			rr.Outcome, rr.Problems = OutcomeError, problems
			res.Errors++
		} else {
			rr.Outcome = OutcomeNew
			res.New++
		}
		res.Rows = append(res.Rows, rr)
	}
	return res, vendors, nil
}

type ownerLookup struct {
	id      string
	problem string
}

func (s *Service) lookupOwner(ctx context.Context, cache map[string]ownerLookup, domain, email string) (ownerLookup, error) {
	k := strings.ToLower(email)
	if o, ok := cache[k]; ok {
		return o, nil
	}
	var o ownerLookup
	if s.o.Users == nil {
		o.problem = "no user directory is configured, so no owner can be named."
	} else {
		u, err := s.o.Users.UserByEmail(ctx, email)
		switch {
		case errs.Is(err, errs.NotFound) || err == nil && !s.onStaff(u.ID, domain):
			o.problem = fmt.Sprintf("no one on this hospital's staff has the email %q.", text.Shorten(email, 100))
		case err != nil:
			return o, err
		case u.Status != access.Active:
			o.problem = fmt.Sprintf("%s's account is disabled; name an active user.", u.Email)
		default:
			o.id = u.ID
		}
	}
	cache[k] = o
	return o, nil
}

// csvRow is one row of the file, by column.
type csvRow struct {
	line   int
	cells  map[string]string
	ragged string // a problem with the row's shape
}

func (r csvRow) get(col string) string { return r.cells[col] }

// column names the CSV column a field error is about.
func (r csvRow) column(field string) string {
	switch field {
	case "clinical":
		return "clinical_impact"
	case "owner":
		return "owner_email"
	}
	if rest, ok := strings.CutPrefix(field, "contacts."); ok {
		idx, sub, _ := strings.Cut(rest, ".")
		i, _ := strconv.Atoi(idx)
		roles := r.contactRoles()
		if i < len(roles) {
			return roles[i] + "_contact_" + sub
		}
	}
	return field
}

// contactRoles lists, in order, the roles of the contacts the row has.
func (r csvRow) contactRoles() []string {
	var roles []string
	for _, role := range []string{RoleSecurity, RoleLegal} {
		p := role + "_contact_"
		if r.get(p+"name")+r.get(p+"email")+r.get(p+"phone") != "" {
			roles = append(roles, role)
		}
	}
	return roles
}

// fields turns a row into vendor fields; problems are cells that are not
// even of the right kind (a number that is not one).
func (r csvRow) fields() (Fields, []string) {
	var problems []string
	f := Fields{
		LegalName: r.get("legal_name"), TradingName: r.get("trading_name"), RegistrationID: r.get("registration_id"),
		Website: r.get("website"), Address: r.get("address"), Description: r.get("description"), Services: r.get("services"),
		Systems: splitList(r.get("systems"), ";,"), SystemsOther: r.get("systems_other"), Data: splitList(r.get("data"), ";,"),
		Access: splitList(r.get("access"), ";,"), Clinical: r.get("clinical_impact"), Tags: splitList(r.get("tags"), ";"),
		Notes: r.get("notes"),
	}
	if n, err := parseCount(r.get("records")); err != nil {
		problems = append(problems, "records: "+err.Error())
	} else {
		f.Records = n
	}
	if n, err := parseCount(r.get("downtime_hours")); err != nil {
		problems = append(problems, "downtime_hours: "+err.Error())
	} else if n > MaxDowntimeHours {
		problems = append(problems, fmt.Sprintf("downtime_hours: at most %d.", MaxDowntimeHours))
	} else {
		f.DowntimeHours = int(n)
	}
	for _, role := range r.contactRoles() {
		p := role + "_contact_"
		f.Contacts = append(f.Contacts, Contact{Name: r.get(p + "name"), Email: r.get(p + "email"), Phone: r.get(p + "phone"), Role: role})
	}
	return f, problems
}

func splitList(s, seps string) []string {
	var out []string
	for _, p := range strings.FieldsFunc(s, func(r rune) bool { return strings.ContainsRune(seps, r) }) {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// parseCount reads a whole number, allowing thousands separators.
func parseCount(s string) (int64, error) {
	s = strings.Map(func(r rune) rune {
		if r == ',' || r == '_' || r == ' ' || r == '\'' || r == '\u00a0' {
			return -1
		}
		return r
	}, s)
	if s == "" {
		return 0, nil
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n < 0 {
		return 0, fmt.Errorf("%q is not a whole number of 0 or more.", text.Shorten(s, 30))
	}
	return n, nil
}

// readCSV reads and checks the whole file: size, encoding, header; rows
// come back by column, blank rows left out.
func readCSV(r io.Reader) ([]csvRow, error) {
	data, err := io.ReadAll(io.LimitReader(r, MaxImportBytes+1))
	if err != nil {
		return nil, errs.Wrap(errs.Invalid, err, "The file could not be read.")
	}
	if len(data) > MaxImportBytes {
		return nil, errs.E(errs.TooLarge, "The file is larger than 5 MiB; split it into smaller files.")
	}
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	if !utf8.Valid(data) {
		bad := 0
		for len(data[bad:]) > 0 {
			r, size := utf8.DecodeRune(data[bad:])
			if r == utf8.RuneError && size <= 1 {
				break
			}
			bad += size
		}
		line := bytes.Count(data[:bad], []byte("\n")) + 1
		return nil, errs.E(errs.Invalid, "Line %d is not UTF-8 text. Save the spreadsheet as “CSV UTF-8” and import that file.", line)
	}
	cr := csv.NewReader(bytes.NewReader(data))
	cr.FieldsPerRecord = -1
	header, err := cr.Read()
	if errors.Is(err, io.EOF) {
		return nil, errs.E(errs.Invalid, "The file is empty. It needs a header row naming the columns, such as legal_name.")
	}
	if err != nil {
		return nil, csvError(err)
	}
	cols := make([]string, len(header))
	seen := map[string]bool{}
	for i, h := range header {
		c := strings.ToLower(strings.Join(strings.FieldsFunc(strings.TrimSpace(h), func(r rune) bool { return r == ' ' || r == '-' || r == '_' }), "_"))
		switch {
		case c == "":
			if i == len(header)-1 {
				continue // a trailing comma in the header
			}
			return nil, errs.E(errs.Invalid, "Column %d of the header row has no name.", i+1)
		case !contains(importColumns, c) && !contains(exportColumns, c):
			return nil, errs.E(errs.Invalid, "The header names a column %q that the register does not have. The columns are: %s.", text.Shorten(h, 40), strings.Join(importColumns, ", "))
		case seen[c]:
			return nil, errs.E(errs.Invalid, "The header names the column %q twice.", c)
		}
		seen[c] = true
		cols[i] = c
	}
	if !seen["legal_name"] {
		return nil, errs.E(errs.Invalid, "The header row has no legal_name column; the first row must name the columns.")
	}
	var rows []csvRow
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, csvError(err)
		}
		line, _ := cr.FieldPos(0)
		blank := true
		for _, cell := range rec {
			blank = blank && strings.TrimSpace(cell) == ""
		}
		if blank {
			continue
		}
		if len(rows) == MaxImportRows {
			return nil, errs.E(errs.Invalid, "The file has more than %d rows; split it into smaller files.", MaxImportRows)
		}
		row := csvRow{line: line, cells: map[string]string{}}
		if len(rec) != len(header) {
			row.ragged = fmt.Sprintf("The row has %d cells but the header has %d; check for a missing or extra separator.", len(rec), len(header))
		}
		for i, cell := range rec {
			if i < len(cols) && cols[i] != "" {
				row.cells[cols[i]] = unescapeCell(cell)
			}
		}
		rows = append(rows, row)
	}
	return rows, nil
}

func csvError(err error) error {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		return errs.Wrap(errs.Invalid, err, fmt.Sprintf("Line %d could not be read as CSV: %v. Check the quotes on that line.", pe.StartLine, pe.Err))
	}
	return errs.Wrap(errs.Invalid, err, "The file could not be read as CSV.")
}

// unescapeCell undoes the quote export puts before a cell that a
// spreadsheet would run as a formula.
func unescapeCell(s string) string {
	if len(s) >= 2 && s[0] == '\'' && strings.ContainsRune(formulaStarts, rune(s[1])) {
		return s[1:]
	}
	return s
}
