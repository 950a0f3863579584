package http_test

import (
	"bytes"
	"encoding/csv"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"dossier/internal/audit"
	"dossier/internal/authz"
	"dossier/internal/config"
	"dossier/internal/contract"
	"dossier/internal/pdfdoc"
	"dossier/internal/supplier"
	"dossier/internal/testkit"
)

// baaForm is the contract form for a BAA with vendorID, owned by owner,
// every required term ticked, in effect from a month ago for a year.
func baaForm(vendorID, owner string) url.Values {
	f := url.Values{"type": {"baa"}, "vendor_id": {vendorID}, "title": {"Business associate agreement"},
		"counterparty_signatory": {"Dana Reyes, CEO"}, "effective": {dueIn(-30)}, "expiry": {dueIn(365)},
		"notice_days": {"60"}, "owner": {owner}, "related_services": {"PACS hosting"}, "baa.notice_window_days": {"30"}}
	for _, term := range contract.BAATermList() {
		f.Set("baa."+term.Key, "on")
	}
	return f
}

// contractsOf lists the domain's contracts as the service has them.
func contractsOf(t *testing.T, a *testkit.TestApp) []contract.Row {
	t.Helper()
	rows, err := a.App.Contracts.Rows(t.Context(), a.Config.Domain, contract.Query{})
	if err != nil {
		t.Fatal(err)
	}
	return rows
}

// createContract posts the form and returns the contract page's path.
func createContract(t *testing.T, b *testkit.Browser, f url.Values) string {
	t.Helper()
	r := b.Post("/contracts", f)
	if r.Status != http.StatusSeeOther || !strings.HasPrefix(r.Header.Get("Location"), "/contracts/") {
		t.Fatalf("create: %d %s", r.Status, r.Body)
	}
	return r.Header.Get("Location")
}

// auditCount counts the audit events with this action.
func auditCount(t *testing.T, a *testkit.TestApp, action string) int {
	t.Helper()
	events, err := a.App.Audit.List(t.Context(), audit.Query{Action: action, Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	return len(events)
}

func pageVersion(b *testkit.Browser, path string) string {
	return between(b.Get(path).Body, `name="version" value="`, `"`)
}

// TestContractPages walks legal through a BAA: the empty list, the gap
// page, the form, the signed upload, putting it in force, the expiry
// windows, a hold, a refused deletion, termination and the history.
func TestContractPages(t *testing.T) {
	a := testkit.StartApp(t)
	legal := a.User(t, authz.RoleLegal)
	vendor := newVendor(t, a, legal, "Northwind Imaging, Inc.")
	b := a.Browser(t)
	b.SignIn(legal)

	r := b.Get("/contracts")
	if r.Status != 200 || !strings.Contains(r.Body, "No contracts yet") || !strings.Contains(r.Body, `href="/contracts/new"`) ||
		!strings.Contains(r.Body, `href="/contracts/baa-gaps"`) {
		t.Fatalf("empty list: %d", r.Status)
	}
	r = b.Get("/contracts/baa-gaps")
	if r.Status != 200 || !strings.Contains(r.Body, `href="/vendors/`+vendor.ID+`"`) ||
		!strings.Contains(r.Body, `href="/contracts/new?vendor=`+vendor.ID+`&amp;type=baa"`) {
		t.Fatalf("gap page without the PHI vendor: %d", r.Status)
	}
	staff, reviewer := a.User(t, authz.RoleStaff), a.User(t, authz.RoleSecurityReviewer)
	r = b.Get("/contracts/new?vendor=" + vendor.ID + "&type=baa")
	owners := between(r.Body, `id="owner"`, "</select>")
	if !strings.Contains(owners, `value="`+legal.ID+`"`) || !strings.Contains(owners, `value="`+reviewer.ID+`"`) || strings.Contains(owners, `value="`+staff.ID+`"`) {
		t.Errorf("the owner picker does not offer exactly who may see contracts: %s", owners)
	}
	if r.Status != 200 || !strings.Contains(r.Body, `<option value="`+vendor.ID+`" selected>`) || !strings.Contains(r.Body, `<option value="baa" selected>`) ||
		!strings.Contains(r.Body, `name="baa.subcontractors"`) || !strings.Contains(r.Body, "164.504(e)") {
		t.Fatalf("new BAA form: %d", r.Status)
	}

	f := baaForm(vendor.ID, legal.ID)
	f.Set("expiry", dueIn(45))
	f.Set("notice_days", "30")
	path := createContract(t, b, f)
	page := b.Get(path)
	if page.Status != 200 || !strings.Contains(page.Body, "Draft") || !strings.Contains(page.Body, "Upload the signed copy as a PDF") ||
		!strings.Contains(page.Body, "Every required term is in the agreement") || !strings.Contains(page.Body, "Dana Reyes, CEO") {
		t.Fatalf("draft page: %d", page.Status)
	}

	pdf := pdfdoc.Text("Business associate agreement", "Signed by both parties.")
	r = b.Upload(path+"/files", map[string]string{"version": pageVersion(b, path), "signed": "on"}, "file", "baa-signed.pdf", pdf)
	if r.Status != http.StatusSeeOther {
		t.Fatalf("upload: %d %s", r.Status, r.Body)
	}
	page = b.Get(path)
	if !strings.Contains(page.Body, "signed copy") || !strings.Contains(page.Body, path+"/files/1/preview") || !strings.Contains(page.Body, sha(pdf)[:12]) ||
		!strings.Contains(page.Body, "locked when put in force") {
		t.Fatalf("the page does not list the signed copy with its preview, digest and retention:\n%s", between(page.Body, `id="files"`, "</table>"))
	}
	r = b.Get(path + "/files/1")
	if r.Status != 200 || r.Body != string(pdf) || !strings.HasPrefix(r.Header.Get("Content-Disposition"), "attachment") {
		t.Fatalf("download: %d %q", r.Status, r.Header.Get("Content-Disposition"))
	}
	r = b.Get(path + "/files/1/preview")
	if r.Status != 200 || r.Header.Get("Content-Disposition") != "inline" || r.Header.Get("Content-Type") != "application/pdf" {
		t.Fatalf("preview: %d %q", r.Status, r.Header.Get("Content-Disposition"))
	}
	if got := auditCount(t, a, "contract.file_download"); got != 2 {
		t.Errorf("%d downloads audited, want 2", got)
	}

	if r := b.Post(path+"/activate", url.Values{"version": {pageVersion(b, path)}}); r.Status != http.StatusSeeOther {
		t.Fatalf("activate: %d %s", r.Status, r.Body)
	}
	page = b.Get(path)
	if !strings.Contains(page.Body, "Expiring within 60 days") || !strings.Contains(page.Body, "in 45 days") {
		t.Fatalf("the page of a contract expiring in 45 days does not say so:\n%s", between(page.Body, `id="standing-h"`, "</dl>"))
	}
	if !strings.Contains(between(page.Body, `id="files"`, "</table>"), "governance mode") {
		t.Fatalf("the files of a contract in force are not shown under retention:\n%s", between(page.Body, `id="files"`, "</table>"))
	}

	t.Run("Windows", func(t *testing.T) {
		for window, want := range map[string]bool{"": true, "in_force": true, "60": true, "90": true, "30": false, "expired": false, "draft": false} {
			r := b.Get("/contracts?window=" + window)
			if r.Status != 200 || strings.Contains(r.Body, `href="`+path+`"`) != want {
				t.Errorf("window %q: %d, listed %v, want %v", window, r.Status, !want, want)
			}
		}
		r := b.Get("/contracts?window=60")
		if !strings.Contains(r.Body, `aria-current="page">Expiring within 60 days <span class="count">1</span>`) ||
			!strings.Contains(r.Body, `Expiring within 30 days <span class="count">0</span>`) {
			t.Error("the window tabs do not count the contract")
		}
		if !strings.Contains(b.Get("/contracts?window=30").Body, "No contract under “Expiring within 30 days”") {
			t.Error("an empty window does not say so")
		}
		if r := b.Get("/contracts?sort=-title&type=baa&q=associate"); r.Status != 200 || !strings.Contains(r.Body, `href="`+path+`"`) ||
			!strings.Contains(r.Body, `aria-sort="descending"`) {
			t.Errorf("filters and sort: %d", r.Status)
		}
		if r := b.Get("/contracts?type=nda"); strings.Contains(r.Body, `href="`+path+`"`) {
			t.Error("the type filter lets a BAA through as an NDA")
		}
	})
	t.Run("ErrQuery", func(t *testing.T) {
		for query, want := range map[string]string{
			"/contracts?page=x": "The page", "/contracts?page=0": "The page", "/contracts?window=45": "The window",
			"/contracts?type=lease": "The type", "/contracts/export.csv?type=lease": "The type", "/contracts/export.xlsx?sort=size": "Sort by",
		} {
			if r := b.Get(query); r.Status != 400 || !strings.Contains(r.Body, want) {
				t.Errorf("GET %s: %d, want 400 saying %q", query, r.Status, want)
			}
		}
	})
	t.Run("BAAGapClosed", func(t *testing.T) {
		r := b.Get("/contracts/baa-gaps")
		if strings.Contains(r.Body, `href="/vendors/`+vendor.ID+`"`) || !strings.Contains(r.Body, "Every vendor that handles PHI has a BAA in force.") {
			t.Fatal("the vendor stays on the gap page with a complete BAA in force")
		}
		v := b.Get("/vendors/" + vendor.ID)
		if !strings.Contains(v.Body, "BAA in force") || !strings.Contains(v.Body, `href="`+path+`"`) {
			t.Fatal("the vendor page does not show its BAA")
		}
	})
	t.Run("ErrStaleEditKeepsInput", func(t *testing.T) {
		edit := b.Get(path + "/edit")
		if edit.Status != 200 || !strings.Contains(edit.Body, `value="`+dueIn(45)+`"`) || !strings.Contains(edit.Body, `name="baa.hhs_access" checked`) {
			t.Fatalf("edit form: %d", edit.Status)
		}
		f := baaForm(vendor.ID, legal.ID)
		f.Set("expiry", dueIn(45))
		f.Set("notice_days", "30")
		f.Set("version", between(edit.Body, `name="version" value="`, `"`))
		f.Set("notes", "first editor")
		if r := b.Post(path, f); r.Status != http.StatusSeeOther {
			t.Fatalf("first save: %d %s", r.Status, r.Body)
		}
		f.Set("notes", "second editor's careful notes")
		r := b.Post(path, f)
		if r.Status != 409 || !strings.Contains(r.Body, "not saved") || !strings.Contains(r.Body, "second editor&#39;s careful notes") {
			t.Fatalf("stale save: %d", r.Status)
		}
		// A refused save keeps the form's title and the in-force notice.
		f.Set("version", pageVersion(b, path))
		f.Set("expiry", dueIn(-60))
		r = b.Post(path, f)
		if r.Status != 422 || !strings.Contains(r.Body, "<title>Edit Business associate agreement") || !strings.Contains(r.Body, "This contract is in force.") {
			t.Fatalf("refused save of a contract in force: %d %s", r.Status, between(r.Body, "<title>", "</title>"))
		}
	})
	t.Run("HoldAndRefusedDeletion", func(t *testing.T) {
		r := b.Post(path+"/hold", url.Values{"version": {pageVersion(b, path)}, "on": {"true"}, "reason": {"Litigation 2026-14, asked by counsel"}})
		if r.Status != http.StatusSeeOther {
			t.Fatalf("hold: %d %s", r.Status, r.Body)
		}
		if !strings.Contains(b.Get(path).Body, "Litigation 2026-14") || !strings.Contains(b.Get("/contracts").Body, "legal hold") {
			t.Fatal("the hold is not shown")
		}
		r = b.Post(path+"/files/1/delete", url.Values{"version": {pageVersion(b, path)}, "reason": {"duplicate"}})
		if r.Status != 409 || !strings.Contains(r.Body, "on legal hold since "+time.Now().UTC().Format(time.DateOnly)) {
			t.Fatalf("deleting a held file: %d", r.Status)
		}
		if r := b.Post(path+"/hold", url.Values{"version": {pageVersion(b, path)}, "on": {"true"}, "reason": {"again"}}); r.Status != 409 {
			t.Fatalf("a second hold: %d", r.Status)
		}
		if r := b.Post(path+"/hold", url.Values{"version": {pageVersion(b, path)}, "on": {"false"}, "reason": {"Settled"}}); r.Status != http.StatusSeeOther {
			t.Fatalf("lift: %d %s", r.Status, r.Body)
		}
		r = b.Post(path+"/files/1/delete", url.Values{"version": {pageVersion(b, path)}, "reason": {"duplicate"}})
		if r.Status != 409 || !isoDate.MatchString(between(r.Body, "disposal is possible from", "</p>")) {
			t.Fatalf("deleting a retained file: %d", r.Status)
		}
		if !strings.Contains(r.Body, "cannot be deleted") || strings.Contains(b.Get(path).Body, "On hold") {
			t.Fatal("the refusal or the lifted hold is not shown")
		}
	})
	t.Run("Terminate", func(t *testing.T) {
		if r := b.Post(path+"/terminate", url.Values{"version": {pageVersion(b, path)}, "date": {dueIn(0)}}); r.Status != 422 ||
			!strings.Contains(r.Body, "Say why the contract is terminated.") {
			t.Fatalf("terminate without a reason: %d", r.Status)
		}
		if r := b.Post(path+"/terminate", url.Values{"version": {pageVersion(b, path)}, "date": {dueIn(0)}, "reason": {"Service moved in-house"}}); r.Status != http.StatusSeeOther {
			t.Fatalf("terminate: %d %s", r.Status, r.Body)
		}
		page := b.Get(path)
		if !strings.Contains(page.Body, "Service moved in-house") || !strings.Contains(page.Body, "The files are kept until") ||
			strings.Contains(page.Body, path+"/edit") {
			t.Fatal("the terminated contract's page")
		}
		for _, action := range []string{"contract.create", "contract.file_upload", "contract.activate", "contract.hold", "contract.terminate"} {
			if !strings.Contains(page.Body, "<td>"+action+"</td>") {
				t.Errorf("the history lacks %s", action)
			}
		}
		if r := b.Get(path + "/edit"); r.Status != 409 {
			t.Errorf("the edit form of a terminated contract: %d", r.Status)
		}
	})
}

// TestContractFormErrors: input the service refuses comes back beside its
// field, as typed, and nothing is stored.
func TestContractFormErrors(t *testing.T) {
	a := testkit.StartApp(t)
	legal := a.User(t, authz.RoleLegal)
	vendor := newVendor(t, a, legal, "Northwind Imaging, Inc.")
	b := a.Browser(t)
	b.SignIn(legal)

	for name, tc := range map[string]struct {
		change      func(url.Values)
		field, want string
	}{
		"ErrExpiryBeforeEffective": {func(f url.Values) { f.Set("expiry", dueIn(-60)) }, "expiry", "is before the effective date"},
		"ErrUnreadableDate":        {func(f url.Values) { f.Set("effective", "31/12/2026") }, "effective", "Give the date as YYYY-MM-DD"},
		"ErrBreachWindow":          {func(f url.Values) { f.Set("baa.notice_window_days", "90") }, "baa-notice-window-days", "at most 60 days"},
		"ErrNoticeDays":            {func(f url.Values) { f.Set("notice_days", "sixty") }, "notice-days", "whole number"},
		"ErrNoVendor":              {func(f url.Values) { f.Set("vendor_id", "") }, "vendor-id", "Choose the vendor"},
		"ErrEvergreenWithExpiry":   {func(f url.Values) { f.Set("evergreen", "on") }, "evergreen", "An evergreen contract has no expiry date"},
	} {
		t.Run(name, func(t *testing.T) {
			f := baaForm(vendor.ID, legal.ID)
			f.Set("title", "Typed title to keep")
			tc.change(f)
			r := b.Post("/contracts", f)
			msg := between(r.Body, `<p class="error" id="`+tc.field+`-error">`, "</p>")
			if r.Status != 422 || !strings.Contains(msg, tc.want) || !strings.Contains(r.Body, `value="Typed title to keep"`) {
				t.Fatalf("got %d, message beside %s %q", r.Status, tc.field, msg)
			}
			if rows := contractsOf(t, a); len(rows) != 0 {
				t.Fatalf("%d contracts stored", len(rows))
			}
		})
	}
	t.Run("ErrActivateShowsWhatIsMissing", func(t *testing.T) {
		f := url.Values{"type": {"msa"}, "vendor_id": {vendor.ID}, "title": {"Imaging services"}}
		path := createContract(t, b, f)
		page := b.Get(path)
		for _, want := range []string{"Upload the signed copy as a PDF", "Give the date the contract takes effect.", "Name the internal owner"} {
			if !strings.Contains(between(page.Body, `id="activate"`, "</section>"), want) {
				t.Errorf("the draft page does not say %q", want)
			}
		}
		r := b.Post(path+"/activate", url.Values{"version": {pageVersion(b, path)}})
		if r.Status != 422 || !strings.Contains(r.Body, "Upload the signed copy as a PDF") || !strings.Contains(r.Body, "Give the date the contract takes effect.") {
			t.Fatalf("activating an empty draft: %d", r.Status)
		}
	})
}

// TestContractUploadRefusals: a file that is not what it says is refused
// on the contract page, and no file version is recorded.
func TestContractUploadRefusals(t *testing.T) {
	s3 := testkit.S3(t)
	s3Proxy := testkit.StartProxy(t, s3.Endpoint)
	a := testkit.StartApp(t, func(c *config.Config) {
		c.UploadLimit = 64 << 10
		c.S3.Endpoint = s3Proxy.Addr
	})
	legal := a.User(t, authz.RoleLegal)
	vendor := newVendor(t, a, legal, "Northwind Imaging, Inc.")
	b := a.Browser(t)
	b.SignIn(legal)
	path := createContract(t, b, baaForm(vendor.ID, legal.ID))
	pdf := pdfdoc.Text("Business associate agreement")

	for name, tc := range map[string]struct {
		file   string
		data   []byte
		status int
		want   string
		kept   bool // the form was read, so the signed box comes back ticked
	}{
		"ErrEmpty":      {"baa.pdf", nil, 422, "empty", true},
		"ErrTextAsPDF":  {"baa.pdf", []byte("This is only text, whatever its name says.\n"), 422, "PDF", true},
		"ErrCorruptPDF": {"baa.pdf", append(append([]byte{}, pdf[:len(pdf)/2]...), []byte("\n%%EOF\n")...), 422, "PDF", true},
		"ErrTooLarge":   {"baa.pdf", bytes.Repeat([]byte("x"), 80<<10), 413, "64 KiB", false},
	} {
		t.Run(name, func(t *testing.T) {
			r := b.Upload(path+"/files", map[string]string{"version": pageVersion(b, path), "signed": "on"}, "file", tc.file, tc.data)
			msg := between(r.Body, `<p class="error" id="file-error">`, "</p>")
			if r.Status != tc.status || !strings.Contains(msg, tc.want) || tc.kept != strings.Contains(r.Body, `id="signed" name="signed" checked`) {
				t.Fatalf("got %d, message beside the file %q", r.Status, msg)
			}
			k, err := a.App.Contracts.Get(t.Context(), a.Config.Domain, strings.TrimPrefix(path, "/contracts/"))
			if err != nil || len(k.Files) != 0 {
				t.Fatalf("files recorded: %v %v", k.Files, err)
			}
		})
	}
	t.Run("ErrStorageDown", func(t *testing.T) {
		version := pageVersion(b, path)
		s3Proxy.Cut()
		defer s3Proxy.Restore()
		r := b.Upload(path+"/files", map[string]string{"version": version, "signed": "on"}, "file", "baa.pdf", pdf)
		if r.Status != 503 || !strings.Contains(r.Body, "File storage is unavailable") {
			t.Fatalf("got %d %s", r.Status, between(r.Body, `role="alert"`, "</div>"))
		}
		k, err := a.App.Contracts.Get(t.Context(), a.Config.Domain, strings.TrimPrefix(path, "/contracts/"))
		if err != nil || len(k.Files) != 0 {
			t.Fatalf("files recorded: %v %v", k.Files, err)
		}
	})
}

// TestContractExports: the CSV and XLSX exports hold the rows the filters
// select, and taking one is audited.
func TestContractExports(t *testing.T) {
	a := testkit.StartApp(t)
	legal := a.User(t, authz.RoleLegal)
	imaging := newVendor(t, a, legal, "Northwind Imaging, Inc.")
	ctx := audit.WithActor(t.Context(), audit.Actor{ID: legal.ID, Name: legal.Email})
	payroll, err := a.App.Suppliers.Create(ctx, a.Config.Domain, supplier.Fields{LegalName: "Meridian Payroll", Systems: []string{supplier.SystemFinancial},
		Data: []string{supplier.DataPII}, Access: []string{supplier.AccessHostsData}, Clinical: supplier.ClinicalLow})
	if err != nil {
		t.Fatal(err)
	}
	b := a.Browser(t)
	b.SignIn(legal)
	createContract(t, b, baaForm(imaging.ID, legal.ID))
	createContract(t, b, url.Values{"type": {"msa"}, "vendor_id": {payroll.ID}, "title": {"Payroll =SUM(A1) services"}, "owner": {legal.ID}})

	r := b.Get("/contracts")
	if !strings.Contains(r.Body, `href="/contracts/export.csv"`) || !strings.Contains(b.Get("/contracts?type=msa").Body, `href="/contracts/export.xlsx?type=msa"`) {
		t.Fatalf("the export links do not carry the filters: %s", between(b.Get("/contracts?type=msa").Body, `class="actions"`, "</div>"))
	}
	r = b.Get("/contracts/export.csv?type=msa")
	if r.Status != 200 || !strings.HasPrefix(r.Header.Get("Content-Type"), "text/csv") || !strings.Contains(r.Header.Get("Content-Disposition"), ".csv") {
		t.Fatalf("csv: %d %v", r.Status, r.Header)
	}
	records, err := csv.NewReader(strings.NewReader(r.Body)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(records) != 2 || !strings.Contains(strings.Join(records[1], ","), "Meridian Payroll") || strings.Contains(r.Body, "Northwind") {
		t.Fatalf("csv rows: %q", records)
	}
	if !strings.Contains(r.Body, "'=SUM(A1)") && !strings.Contains(r.Body, "Payroll =SUM(A1)") {
		t.Errorf("csv: %q", r.Body)
	}

	r = b.Get("/contracts/export.xlsx?vendor=" + imaging.ID)
	if r.Status != 200 || !strings.Contains(r.Header.Get("Content-Disposition"), ".xlsx") {
		t.Fatalf("xlsx: %d", r.Status)
	}
	book, err := excelize.OpenReader(strings.NewReader(r.Body))
	if err != nil {
		t.Fatal(err)
	}
	defer book.Close()
	rows, err := book.GetRows("Contracts")
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 2 || !strings.Contains(strings.Join(rows[1], ","), "Northwind Imaging") || strings.Contains(strings.Join(rows[1], ","), "Meridian") {
		t.Fatalf("xlsx rows: %q", rows)
	}
	if got := auditCount(t, a, "contract.export"); got != 2 {
		t.Fatalf("%d exports audited, want 2", got)
	}
}

// TestContractPagePermissions: legal manages; procurement drafts and
// uploads to drafts but cannot put in force, hold, terminate or edit a
// contract in force; reviewers and auditors read; staff see nothing.
func TestContractPagePermissions(t *testing.T) {
	a := testkit.StartApp(t)
	legal := a.User(t, authz.RoleLegal)
	vendor := newVendor(t, a, legal, "Northwind Imaging, Inc.")
	lb := a.Browser(t)
	lb.SignIn(legal)
	pdf := pdfdoc.Text("Business associate agreement")

	// One contract in force, made by legal.
	inForce := createContract(t, lb, baaForm(vendor.ID, legal.ID))
	if r := lb.Upload(inForce+"/files", map[string]string{"version": pageVersion(lb, inForce), "signed": "on"}, "file", "baa.pdf", pdf); r.Status != http.StatusSeeOther {
		t.Fatalf("upload: %d", r.Status)
	}
	if r := lb.Post(inForce+"/activate", url.Values{"version": {pageVersion(lb, inForce)}}); r.Status != http.StatusSeeOther {
		t.Fatalf("activate: %d %s", r.Status, r.Body)
	}

	t.Run("Procurement", func(t *testing.T) {
		proc := a.User(t, authz.RoleProcurement)
		b := a.Browser(t)
		b.SignIn(proc)
		if r := b.Get("/contracts"); r.Status != 200 || !strings.Contains(r.Body, `href="/contracts/new"`) {
			t.Fatalf("list: %d", r.Status)
		}
		draft := createContract(t, b, baaForm(vendor.ID, legal.ID))
		if r := b.Upload(draft+"/files", map[string]string{"version": pageVersion(b, draft), "signed": "on"}, "file", "baa.pdf", pdf); r.Status != http.StatusSeeOther {
			t.Fatalf("upload to a draft: %d %s", r.Status, r.Body)
		}
		page := b.Get(draft)
		if strings.Contains(page.Body, draft+"/activate") || strings.Contains(page.Body, draft+"/hold") || !strings.Contains(page.Body, draft+"/edit") {
			t.Error("procurement is offered legal's steps, or not the edit form")
		}
		version := pageVersion(b, draft)
		for _, step := range []struct {
			path string
			form url.Values
		}{
			{draft + "/activate", url.Values{"version": {version}}},
			{draft + "/hold", url.Values{"version": {version}, "on": {"true"}, "reason": {"x"}}},
			{inForce + "/terminate", url.Values{"version": {pageVersion(lb, inForce)}, "date": {dueIn(0)}, "reason": {"x"}}},
			{draft + "/files/1/delete", url.Values{"version": {version}, "reason": {"x"}}},
			{draft + "/dispose", url.Values{"version": {version}, "reason": {"x"}}},
		} {
			if r := b.Post(step.path, step.form); r.Status != 403 {
				t.Errorf("POST %s: %d, want 403", step.path, r.Status)
			}
		}
		if r := b.Get(inForce + "/edit"); r.Status != 403 {
			t.Errorf("edit form of a contract in force: %d", r.Status)
		}
		f := baaForm(vendor.ID, legal.ID)
		f.Set("version", pageVersion(lb, inForce))
		if r := b.Post(inForce, f); r.Status != 403 || !strings.Contains(r.Body, "only someone who manages contracts") {
			t.Errorf("saving a contract in force: %d", r.Status)
		}
		if r := b.Upload(inForce+"/files", map[string]string{"version": pageVersion(lb, inForce)}, "file", "v2.pdf", pdf); r.Status != 403 {
			t.Errorf("upload to a contract in force: %d", r.Status)
		}
	})
	for _, role := range []string{authz.RoleSecurityReviewer, authz.RoleAuditor} {
		t.Run(role, func(t *testing.T) {
			b := a.Browser(t)
			b.SignIn(a.User(t, role))
			for _, p := range []string{"/contracts", "/contracts/baa-gaps", inForce, inForce + "/files/1", "/contracts/export.csv"} {
				if r := b.Get(p); r.Status != 200 {
					t.Errorf("GET %s: %d", p, r.Status)
				}
			}
			if r := b.Get("/contracts"); strings.Contains(r.Body, `href="/contracts/new"`) {
				t.Error("a reader is offered a new contract")
			}
			if r := b.Get("/contracts/new"); r.Status != 403 {
				t.Errorf("new form: %d", r.Status)
			}
			if r := b.Post("/contracts", baaForm(vendor.ID, legal.ID)); r.Status != 403 {
				t.Errorf("create: %d", r.Status)
			}
			if r := b.Post(inForce+"/hold", url.Values{"version": {pageVersion(lb, inForce)}, "on": {"true"}, "reason": {"x"}}); r.Status != 403 {
				t.Errorf("hold: %d", r.Status)
			}
			if r := b.Upload(inForce+"/files", map[string]string{"version": pageVersion(lb, inForce)}, "file", "v2.pdf", pdf); r.Status != 403 {
				t.Errorf("upload: %d", r.Status)
			}
		})
	}
	t.Run("Staff", func(t *testing.T) {
		b := a.Browser(t)
		b.SignIn(a.User(t, authz.RoleStaff))
		for _, p := range []string{"/contracts", "/contracts/baa-gaps", "/contracts/new", inForce, inForce + "/files/1", "/contracts/export.xlsx"} {
			if r := b.Get(p); r.Status != 403 {
				t.Errorf("GET %s: %d, want 403", p, r.Status)
			}
		}
		if home := b.Get("/"); strings.Contains(home.Body, `href="/contracts"`) {
			t.Error("staff see the Contracts navigation item")
		}
	})
}
