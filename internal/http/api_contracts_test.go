package http_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"mime/multipart"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"dossier/internal/audit"
	"dossier/internal/authz"
	"dossier/internal/config"
	"dossier/internal/contract"
	"dossier/internal/pdfdoc"
	"dossier/internal/supplier"
	"dossier/internal/testkit"
	"dossier/internal/upload"
)

// apiContract is as much of a contract as the tests read.
type apiContract struct {
	ID, Type, Title, Status, Window string
	VendorID                        string `json:"vendor_id"`
	Effective, Expiry               string
	NoticeDeadline                  string `json:"notice_deadline"`
	DaysToExpiry                    *int   `json:"days_to_expiry"`
	Owner                           string
	MissingTerms                    []string `json:"missing_terms"`
	Files                           []struct {
		N                 int
		Name, SHA256, URL string
		ContentType       string `json:"content_type"`
		Size              int64
		Pages             int
		Signed            bool
	}
	LegalHold struct {
		On     bool
		Reason string
	} `json:"legal_hold"`
	Termination    *struct{ Date, Reason string }
	RetainUntil    string `json:"retain_until"`
	DisposableFrom string `json:"disposable_from"`
	Version        int64
}

type apiContractList struct {
	Contracts []struct {
		ID, Window   string
		DaysToExpiry *int `json:"days_to_expiry"`
	}
	Counts struct {
		All      int
		InForce  int `json:"in_force"`
		Within30 int `json:"within_30"`
		Within60 int `json:"within_60"`
		Within90 int `json:"within_90"`
	}
	Total, Page, Pages int
	PerPage            int `json:"per_page"`
}

func (l apiContractList) has(id string) bool {
	for _, c := range l.Contracts {
		if c.ID == id {
			return true
		}
	}
	return false
}

// contractBody is a create or update body for a BAA with vendor, every
// required term ticked.
func contractBody(vendorID, owner, effective, expiry string, extra string) string {
	return fmt.Sprintf(`{"vendor_id":%q,"type":"baa","title":"Business associate agreement","counterparty_signatory":"Dana Reyes, CEO",`+
		`"effective":%q,"expiry":%q,"notice_days":30,"owner":%q,"baa":{"permitted_uses":true,"no_other_use":true,"safeguards":true,`+
		`"report_incidents":true,"notice_window_days":30,"subcontractors":true,"individual_rights":true,"hhs_access":true,"return_or_destroy":true}%s}`,
		vendorID, effective, expiry, owner, extra)
}

// multipartBody is an upload form: the fields, then the file.
func multipartBody(t *testing.T, fields map[string]string, name string, data []byte) (string, string) {
	t.Helper()
	var b bytes.Buffer
	w := multipart.NewWriter(&b)
	for k, v := range fields {
		if err := w.WriteField(k, v); err != nil {
			t.Fatal(err)
		}
	}
	if name != "" {
		fw, err := w.CreateFormFile("file", name)
		if err != nil {
			t.Fatal(err)
		}
		fw.Write(data)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return b.String(), w.FormDataContentType()
}

// upload posts a file to a contract with the API token.
func (c *assessAPI) upload(path string, version int64, signed bool, name string, data []byte) testkit.Response {
	c.t.Helper()
	body, ct := multipartBody(c.t, map[string]string{"version": fmt.Sprint(version), "signed": fmt.Sprint(signed)}, name, data)
	return c.a.Browser(c.t).Do("POST", path, strings.NewReader(body),
		http.Header{"Authorization": {"Bearer " + c.token}, "Accept": {"application/json"}, "Content-Type": {ct}})
}

func signedPDF(title string) []byte {
	return pdfdoc.Text(title, "Signed by both parties.", "Effective on signature.")
}

func sha(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

var isoDate = regexp.MustCompile(`\d{4}-\d{2}-\d{2}`)

func TestContractAPI(t *testing.T) {
	a := testkit.StartApp(t)
	legal := a.User(t, authz.RoleLegal)
	api := newAssessAPI(t, a, legal)
	vendor := newVendor(t, a, a.User(t, authz.RoleProcurement), "Northwind Imaging, Inc.")
	pdf := signedPDF("Northwind Imaging BAA")

	var k apiContract
	r := api.want(201, "POST", "/api/v1/contracts", contractBody(vendor.ID, legal.ID, dueIn(-10), dueIn(45), ""), &k)
	path := "/api/v1/contracts/" + k.ID
	t.Run("CreateOK", func(t *testing.T) {
		if r.Header.Get("Location") != path || k.Status != "draft" || k.Version != 1 || k.Effective != dueIn(-10) || k.Expiry != dueIn(45) ||
			k.NoticeDeadline != dueIn(15) || k.Type != "baa" || len(k.MissingTerms) != 0 || k.Window != "draft" || len(k.Files) != 0 {
			t.Fatalf("created: %v %s", r.Header, r.Body)
		}
	})

	t.Run("UploadSigned", func(t *testing.T) {
		r := api.upload(path+"/files", k.Version, true, "northwind-baa.pdf", pdf)
		if r.Status != 201 {
			t.Fatalf("upload: %d %s", r.Status, r.Body)
		}
		if err := json.Unmarshal([]byte(r.Body), &k); err != nil {
			t.Fatal(err)
		}
		f := k.Files
		if r.Header.Get("Location") != path+"/files/1" || len(f) != 1 || f[0].N != 1 || !f[0].Signed || f[0].SHA256 != sha(pdf) ||
			f[0].Size != int64(len(pdf)) || f[0].Pages != 1 || f[0].ContentType != "application/pdf" || f[0].Name != "northwind-baa.pdf" ||
			f[0].URL != path+"/files/1" || k.Version != 2 {
			t.Fatalf("uploaded: %s", r.Body)
		}
		if strings.Contains(r.Body, `"contracts/`+k.ID) || strings.Contains(r.Body, `"key"`) || strings.Contains(r.Body, "version_id") {
			t.Fatalf("the answer shows a storage key: %s", r.Body)
		}
	})

	t.Run("Activate", func(t *testing.T) {
		api.want(200, "POST", path+"/activate", fmt.Sprintf(`{"version":%d}`, k.Version), &k)
		if k.Status != "in_force" || k.Window != "60" || k.DaysToExpiry == nil || *k.DaysToExpiry != 45 {
			t.Fatalf("activated: %+v", k)
		}
	})

	t.Run("ListWindows", func(t *testing.T) {
		for window, want := range map[string]bool{"": true, "in_force": true, "30": false, "60": true, "90": true,
			"past_notice": false, "expired": false, "draft": false, "terminated": false} {
			var l apiContractList
			api.want(200, "GET", "/api/v1/contracts?window="+window, "", &l)
			if l.has(k.ID) != want {
				t.Errorf("window %q: listed %v, want %v", window, l.has(k.ID), want)
			}
			if l.Counts.All != 1 || l.Counts.InForce != 1 || l.Counts.Within30 != 0 || l.Counts.Within60 != 1 || l.Counts.Within90 != 1 {
				t.Errorf("window %q: counts %+v", window, l.Counts)
			}
		}
		var l apiContractList
		api.want(200, "GET", "/api/v1/contracts?type=baa&vendor_id="+vendor.ID+"&owner="+legal.ID+"&q=northwind&sort=-expiry&page=1&per_page=10", "", &l)
		if !l.has(k.ID) || l.Total != 1 || l.Page != 1 || l.PerPage != 10 || l.Pages != 1 || l.Contracts[0].Window != "60" ||
			*l.Contracts[0].DaysToExpiry != 45 {
			t.Fatalf("filtered: %+v", l)
		}
		api.want(200, "GET", "/api/v1/contracts?type=msa", "", &l)
		if l.has(k.ID) || l.Total != 0 {
			t.Fatalf("type filter: %+v", l)
		}
	})

	t.Run("ErrListParameters", func(t *testing.T) {
		for query, field := range map[string]string{
			"window=45": "window", "type=lease": "type", "sort=size": "sort", "page=x": "page", "per_page=0": "per_page", "vendor=x": "vendor",
		} {
			r := api.call("GET", "/api/v1/contracts?"+query, "")
			e := errorOf(t, r)
			if r.Status != 400 || e.Error.Code != "malformed" || e.Error.Fields[field] == "" {
				t.Errorf("%s: %d %s", query, r.Status, r.Body)
			}
		}
	})

	t.Run("Get", func(t *testing.T) {
		var got apiContract
		api.want(200, "GET", path, "", &got)
		if got.ID != k.ID || got.Version != k.Version || got.Status != "in_force" || len(got.Files) != 1 {
			t.Fatalf("got: %+v", got)
		}
	})

	t.Run("ErrStaleUpdate", func(t *testing.T) {
		r := api.call("PUT", path, contractBody(vendor.ID, legal.ID, dueIn(-10), dueIn(45), `,"version":1`))
		if r.Status != 409 || errorOf(t, r).Error.Code != "conflict" {
			t.Fatalf("a stale update: %d %s", r.Status, r.Body)
		}
	})
	t.Run("UpdateInForce", func(t *testing.T) {
		api.want(200, "PUT", path, contractBody(vendor.ID, legal.ID, dueIn(-10), dueIn(45), fmt.Sprintf(`,"notes":"Renewal under discussion.","version":%d`, k.Version)), &k)
		var got struct{ Notes string }
		api.want(200, "GET", path, "", &got)
		if got.Notes != "Renewal under discussion." {
			t.Fatalf("notes: %q", got.Notes)
		}
	})

	t.Run("Hold", func(t *testing.T) {
		if r := api.call("POST", path+"/hold", fmt.Sprintf(`{"version":%d,"reason":"x"}`, k.Version)); r.Status != 422 || errorOf(t, r).Error.Field != "on" {
			t.Fatalf("a hold without on: %d %s", r.Status, r.Body)
		}
		api.want(200, "POST", path+"/hold", fmt.Sprintf(`{"version":%d,"on":true,"reason":"Litigation hold: Smith v. Hospital, requested by counsel."}`, k.Version), &k)
		if !k.LegalHold.On || !strings.Contains(k.LegalHold.Reason, "Smith") {
			t.Fatalf("held: %+v", k.LegalHold)
		}
		r := api.call("DELETE", path+"/files/1", fmt.Sprintf(`{"version":%d,"reason":"Duplicate upload."}`, k.Version))
		if r.Status != 409 || !strings.Contains(r.Body, "legal hold") || !isoDate.MatchString(errorOf(t, r).Error.Message) {
			t.Fatalf("deleting a held file: %d %s", r.Status, r.Body)
		}
		api.want(200, "POST", path+"/hold", fmt.Sprintf(`{"version":%d,"on":false,"reason":"Matter settled."}`, k.Version), &k)
		if k.LegalHold.On {
			t.Fatal("the hold is still on")
		}
		r = api.call("DELETE", path+"/files/1", fmt.Sprintf(`{"version":%d,"reason":"Duplicate upload."}`, k.Version))
		if r.Status != 409 || !isoDate.MatchString(errorOf(t, r).Error.Message) {
			t.Fatalf("deleting a retained file: %d %s", r.Status, r.Body)
		}
	})

	t.Run("Terminate", func(t *testing.T) {
		r := api.call("POST", path+"/terminate", fmt.Sprintf(`{"version":%d,"date":"yesterday","reason":"Vendor acquired."}`, k.Version))
		if e := errorOf(t, r); r.Status != 422 || e.Error.Field != "date" || !strings.Contains(e.Error.Message, "YYYY-MM-DD") {
			t.Fatalf("an unreadable date: %d %s", r.Status, r.Body)
		}
		// The date is refused before the service is asked: it never sees
		// an unreadable date as none, and says nothing of the reason.
		r = api.call("POST", path+"/terminate", fmt.Sprintf(`{"version":%d,"date":"31/12/2026"}`, k.Version))
		if e := errorOf(t, r); r.Status != 422 || e.Error.Field != "date" || e.Error.Fields["reason"] != "" || !strings.Contains(e.Error.Message, "31/12/2026") {
			t.Fatalf("an unreadable date without a reason: %d %s", r.Status, r.Body)
		}
		api.want(200, "POST", path+"/terminate", fmt.Sprintf(`{"version":%d,"date":%q,"reason":"Vendor acquired; services moved in-house."}`, k.Version, dueIn(0)), &k)
		today := time.Now().UTC()
		if k.Status != "terminated" || k.Termination == nil || k.Termination.Date != dueIn(0) ||
			k.RetainUntil != today.AddDate(6, 0, 0).Format(time.DateOnly) {
			t.Fatalf("terminated: %+v", k)
		}
		r = api.call("POST", path+"/dispose", fmt.Sprintf(`{"version":%d,"reason":"Retention schedule."}`, k.Version))
		// The files' retention, set at upload from the expiry then, may
		// run past the contract's own six years: the later date rules.
		if r.Status != 409 || k.DisposableFrom < k.RetainUntil || !strings.Contains(errorOf(t, r).Error.Message, k.DisposableFrom) {
			t.Fatalf("disposing within retention: %d %s", r.Status, r.Body)
		}
		if r := api.call("PUT", path, contractBody(vendor.ID, legal.ID, dueIn(-10), dueIn(45), fmt.Sprintf(`,"version":%d`, k.Version))); r.Status != 409 {
			t.Fatalf("edited an ended contract: %d %s", r.Status, r.Body)
		}
	})

	t.Run("DownloadVerified", func(t *testing.T) {
		var files struct {
			ContractID string `json:"contract_id"`
			Files      []struct {
				N           int
				SHA256, URL string
			}
		}
		api.want(200, "GET", path+"/files", "", &files)
		if files.ContractID != k.ID || len(files.Files) != 1 || files.Files[0].SHA256 != sha(pdf) {
			t.Fatalf("files: %+v", files)
		}
		before := len(auditEvents(t, a, "contract.file_download"))
		r := api.want(200, "GET", files.Files[0].URL, "", nil)
		if sha([]byte(r.Body)) != files.Files[0].SHA256 || r.Header.Get("Content-Type") != "application/pdf" ||
			!strings.HasPrefix(r.Header.Get("Content-Disposition"), "attachment") || !strings.Contains(r.Header.Get("Content-Disposition"), "northwind-baa.pdf") {
			t.Fatalf("download: %d %v", r.Status, r.Header)
		}
		if len(auditEvents(t, a, "contract.file_download")) != before+1 {
			t.Fatal("the download was not audited")
		}
	})

	t.Run("ErrNotFound", func(t *testing.T) {
		for _, p := range []string{"/api/v1/contracts/no-such-contract", "/api/v1/contracts/no-such-contract/files", path + "/files/2", path + "/files/x", path + "/files/0"} {
			if r := api.call("GET", p, ""); r.Status != 404 {
				t.Errorf("GET %s: %d %s", p, r.Status, r.Body)
			}
		}
	})

	t.Run("ErrAnotherDomain", func(t *testing.T) {
		ctx := audit.WithActor(t.Context(), audit.Actor{ID: legal.ID, Name: legal.Email})
		v, err := a.App.Suppliers.Create(ctx, "other-hospital", supplier.Fields{LegalName: "Elsewhere Labs", Systems: []string{"lab"},
			Data: []string{"phi"}, Access: []string{"remote"}, Clinical: "high"})
		if err != nil {
			t.Fatal(err)
		}
		other, err := a.App.Contracts.Create(ctx, "other-hospital", contract.Fields{VendorID: v.ID, Type: contract.MSA, Title: "Lab services"})
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range []struct{ method, path, body string }{
			{"GET", "/api/v1/contracts/" + other.ID, ""},
			{"GET", "/api/v1/contracts/" + other.ID + "/files", ""},
			{"PUT", "/api/v1/contracts/" + other.ID, `{"vendor_id":"x","type":"msa","title":"Mine now","version":1}`},
		} {
			if r := api.call(c.method, c.path, c.body); r.Status != 404 {
				t.Errorf("%s %s: %d %s", c.method, c.path, r.Status, r.Body)
			}
		}
	})

	t.Run("ErrUnauthenticated", func(t *testing.T) {
		r := a.Browser(t).Do("GET", "/api/v1/contracts", nil, http.Header{"Accept": {"application/json"}})
		if r.Status != 401 {
			t.Fatalf("%d %s", r.Status, r.Body)
		}
	})
}

// TestContractAPIBadInput: what the API refuses, and that nothing is
// stored when it does.
func TestContractAPIBadInput(t *testing.T) {
	a := testkit.StartApp(t)
	legal := a.User(t, authz.RoleLegal)
	api := newAssessAPI(t, a, legal)
	vendor := newVendor(t, a, legal, "Harbor Lab Analytics")
	total := func() int {
		var l apiContractList
		api.want(200, "GET", "/api/v1/contracts", "", &l)
		return l.Total
	}

	t.Run("ErrExpiryBeforeEffective", func(t *testing.T) {
		r := api.call("POST", "/api/v1/contracts", contractBody(vendor.ID, legal.ID, dueIn(30), dueIn(10), ""))
		if e := errorOf(t, r); r.Status != 422 || e.Error.Code != "invalid" || !strings.Contains(e.Error.Fields["expiry"], "before the effective date") {
			t.Fatalf("%d %s", r.Status, r.Body)
		}
		if n := total(); n != 0 {
			t.Fatalf("%d contracts stored", n)
		}
	})
	t.Run("ErrBadDates", func(t *testing.T) {
		r := api.call("POST", "/api/v1/contracts", contractBody(vendor.ID, legal.ID, "31/12/2026", "next year", ""))
		if e := errorOf(t, r); r.Status != 422 || !strings.Contains(e.Error.Fields["effective"], "YYYY-MM-DD") || e.Error.Fields["expiry"] == "" {
			t.Fatalf("%d %s", r.Status, r.Body)
		}
		if n := total(); n != 0 {
			t.Fatalf("%d contracts stored", n)
		}
	})
	t.Run("ErrEveryField", func(t *testing.T) {
		r := api.call("POST", "/api/v1/contracts", `{"vendor_id":"no-such-vendor","type":"lease","title":"","notice_days":-1,"owner":"nobody"}`)
		e := errorOf(t, r)
		for _, f := range []string{"vendor_id", "type", "title", "notice_days", "owner"} {
			if e.Error.Fields[f] == "" {
				t.Errorf("%s is not named: %s", f, r.Body)
			}
		}
		if r.Status != 422 {
			t.Fatalf("%d", r.Status)
		}
	})
	t.Run("ErrMalformedJSON", func(t *testing.T) {
		for _, body := range []string{`{"vendor_id":`, `[]`, ``} {
			if r := api.call("POST", "/api/v1/contracts", body); r.Status != 400 || errorOf(t, r).Error.Code != "malformed" {
				t.Errorf("%q: %d %s", body, r.Status, r.Body)
			}
		}
	})
	t.Run("ErrUnknownField", func(t *testing.T) {
		r := api.call("POST", "/api/v1/contracts", contractBody(vendor.ID, legal.ID, "", "", `,"status":"in_force"`))
		if e := errorOf(t, r); r.Status != 422 || e.Error.Field != "status" {
			t.Fatalf("%d %s", r.Status, r.Body)
		}
	})
	t.Run("ErrContentType", func(t *testing.T) {
		r := a.Browser(t).Do("POST", "/api/v1/contracts", strings.NewReader("vendor_id=x"),
			http.Header{"Authorization": {"Bearer " + api.token}, "Content-Type": {"application/x-www-form-urlencoded"}})
		if r.Status != 415 || errorOf(t, r).Error.Code != "unsupported" {
			t.Fatalf("%d %s", r.Status, r.Body)
		}
	})

	var k apiContract
	api.want(201, "POST", "/api/v1/contracts", contractBody(vendor.ID, legal.ID, "", "", ""), &k)
	path := "/api/v1/contracts/" + k.ID
	t.Run("ErrActivateIncomplete", func(t *testing.T) {
		r := api.call("POST", path+"/activate", fmt.Sprintf(`{"version":%d}`, k.Version))
		e := errorOf(t, r)
		if r.Status != 422 || e.Error.Fields["files"] == "" || e.Error.Fields["effective"] == "" || e.Error.Fields["expiry"] == "" {
			t.Fatalf("%d %s", r.Status, r.Body)
		}
	})
	pdf := signedPDF("Harbor BAA")
	for _, c := range []struct {
		name string
		file string
		data []byte
	}{
		{"ErrZeroBytes", "empty.pdf", nil},
		{"ErrNotPDF", "baa.pdf", []byte("This is a plain text file pretending to be a PDF.\n")},
		{"ErrCorruptPDF", "baa.pdf", append([]byte("%PDF-1.7\n1 0 obj\n<< /Type /Catalog /Pages 9 0 R >>\n"), pdf[len(pdf)/2:]...)},
		{"ErrTruncatedPDF", "baa.pdf", pdf[:len(pdf)/2]},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := api.upload(path+"/files", k.Version, true, c.file, c.data)
			if e := errorOf(t, r); r.Status != 422 || e.Error.Field != "file" {
				t.Fatalf("%d %s", r.Status, r.Body)
			}
			var got apiContract
			api.want(200, "GET", path, "", &got)
			if len(got.Files) != 0 || got.Version != k.Version {
				t.Fatalf("a refused file was recorded: %+v", got)
			}
		})
	}
	t.Run("ErrUploadForm", func(t *testing.T) {
		body, ct := multipartBody(t, map[string]string{"signed": "maybe"}, "", nil)
		r := a.Browser(t).Do("POST", path+"/files", strings.NewReader(body), http.Header{"Authorization": {"Bearer " + api.token}, "Content-Type": {ct}})
		e := errorOf(t, r)
		if r.Status != 422 || e.Error.Fields["version"] == "" || e.Error.Fields["signed"] == "" || e.Error.Fields["file"] == "" {
			t.Fatalf("%d %s", r.Status, r.Body)
		}
		r = api.call("POST", path+"/files", `{"file":"x"}`)
		if r.Status != 415 {
			t.Fatalf("an upload as JSON: %d %s", r.Status, r.Body)
		}
		if r := api.upload(path+"/files", k.Version+5, true, "baa.pdf", pdf); r.Status != 409 {
			t.Fatalf("an upload on a stale version: %d %s", r.Status, r.Body)
		}
	})
	t.Run("WorkingCopy", func(t *testing.T) {
		r := api.upload(path+"/files", k.Version, false, "draft.pdf", pdf)
		if r.Status != 201 {
			t.Fatalf("%d %s", r.Status, r.Body)
		}
		var got apiContract
		json.Unmarshal([]byte(r.Body), &got)
		if len(got.Files) != 1 || got.Files[0].Signed {
			t.Fatalf("%s", r.Body)
		}
	})
}

// contractKit makes contracts in a given state through the service, as
// legal, for the permission matrix.
type contractKit struct {
	t      *testing.T
	a      *testkit.TestApp
	ctx    context.Context
	vendor supplier.Vendor
	owner  testkit.User
}

func (k *contractKit) draft(signed bool) contract.Contract {
	k.t.Helper()
	c, err := k.a.App.Contracts.Create(k.ctx, k.a.Config.Domain, contract.Fields{VendorID: k.vendor.ID, Type: contract.MSA,
		Title: "Imaging services agreement", Owner: k.owner.ID, Effective: contract.Day(time.Now().AddDate(0, -1, 0)),
		Expiry: contract.Day(time.Now().AddDate(1, 0, 0)), NoticeDays: 60})
	if err != nil {
		k.t.Fatal(err)
	}
	if !signed {
		return c
	}
	f, err := upload.Spool(bytes.NewReader(signedPDF("Imaging services agreement")), 1<<20, k.t.TempDir())
	if err != nil {
		k.t.Fatal(err)
	}
	f.Name = "msa.pdf"
	defer f.Remove()
	if c, err = k.a.App.Contracts.UploadFile(k.ctx, k.a.Config.Domain, c.ID, c.Version, f, true, true); err != nil {
		k.t.Fatal(err)
	}
	return c
}

func (k *contractKit) inForce() contract.Contract {
	k.t.Helper()
	c := k.draft(true)
	c, err := k.a.App.Contracts.Activate(k.ctx, k.a.Config.Domain, c.ID, c.Version)
	if err != nil {
		k.t.Fatal(err)
	}
	return c
}

func (k *contractKit) terminated() contract.Contract {
	k.t.Helper()
	c := k.inForce()
	c, err := k.a.App.Contracts.Terminate(k.ctx, k.a.Config.Domain, c.ID, c.Version, time.Now(), "Services ended.")
	if err != nil {
		k.t.Fatal(err)
	}
	return c
}

// TestContractAPIRoles is the permission matrix: every route, every role.
// Each case gets a contract of its own in the state it needs, so that what
// one role changes never decides another's answer. Deleting a file and
// disposal are refused for legal too, by retention (409): past the
// permission check, unlike everyone else's 403.
func TestContractAPIRoles(t *testing.T) {
	a := testkit.StartApp(t)
	legal := a.User(t, authz.RoleLegal)
	kit := &contractKit{t: t, a: a, owner: legal, ctx: audit.WithActor(t.Context(), audit.Actor{ID: legal.ID, Name: legal.Email})}
	kit.vendor = newVendor(t, a, legal, "Northwind Imaging, Inc.")
	roles := []string{authz.RoleLegal, authz.RoleProcurement, authz.RoleSecurityReviewer, authz.RoleAuditor, authz.RoleStaff, authz.RoleAdmin}
	apis := map[string]*assessAPI{}
	for _, role := range roles {
		apis[role] = newAssessAPI(t, a, a.User(t, role))
	}
	readers := []string{authz.RoleLegal, authz.RoleProcurement, authz.RoleSecurityReviewer, authz.RoleAuditor}
	editors := []string{authz.RoleLegal, authz.RoleProcurement}
	managers := []string{authz.RoleLegal}
	shared := kit.inForce()
	one := "/api/v1/contracts/" + shared.ID
	update := func(c contract.Contract) string {
		return fmt.Sprintf(`{"vendor_id":%q,"type":"msa","title":"Imaging services agreement (amended)","effective":%q,"expiry":%q,"owner":%q,"version":%d}`,
			c.VendorID, c.Effective.Format(time.DateOnly), c.Expiry.Format(time.DateOnly), c.Owner, c.Version)
	}

	type request struct{ method, path, body string }
	for _, c := range []struct {
		name    string
		allowed []string
		ok      int // the allowed roles' answer
		// call makes the request, on a fresh contract when it changes one.
		call func() request
		// upload: the request is a multipart upload of a signed PDF.
		upload bool
	}{
		{"List", readers, 200, func() request { return request{"GET", "/api/v1/contracts", ""} }, false},
		{"Get", readers, 200, func() request { return request{"GET", one, ""} }, false},
		{"Files", readers, 200, func() request { return request{"GET", one + "/files", ""} }, false},
		{"Download", readers, 200, func() request { return request{"GET", one + "/files/1", ""} }, false},
		{"BAAGaps", readers, 200, func() request { return request{"GET", "/api/v1/baa-gaps", ""} }, false},
		{"VendorBAA", readers, 200, func() request { return request{"GET", "/api/v1/vendors/" + kit.vendor.ID + "/baa", ""} }, false},
		{"Create", editors, 201, func() request {
			return request{"POST", "/api/v1/contracts", fmt.Sprintf(`{"vendor_id":%q,"type":"nda","title":"Mutual NDA"}`, kit.vendor.ID)}
		}, false},
		{"UpdateDraft", editors, 200, func() request {
			d := kit.draft(false)
			return request{"PUT", "/api/v1/contracts/" + d.ID, update(d)}
		}, false},
		{"UploadToDraft", editors, 201, func() request {
			d := kit.draft(false)
			return request{"POST", "/api/v1/contracts/" + d.ID + "/files", fmt.Sprint(d.Version)}
		}, true},
		{"UpdateInForce", managers, 200, func() request {
			d := kit.inForce()
			return request{"PUT", "/api/v1/contracts/" + d.ID, update(d)}
		}, false},
		{"UploadInForce", managers, 201, func() request {
			d := kit.inForce()
			return request{"POST", "/api/v1/contracts/" + d.ID + "/files", fmt.Sprint(d.Version)}
		}, true},
		{"Activate", managers, 200, func() request {
			d := kit.draft(true)
			return request{"POST", "/api/v1/contracts/" + d.ID + "/activate", fmt.Sprintf(`{"version":%d}`, d.Version)}
		}, false},
		{"HoldOn", managers, 200, func() request {
			d := kit.inForce()
			return request{"POST", "/api/v1/contracts/" + d.ID + "/hold", fmt.Sprintf(`{"version":%d,"on":true,"reason":"Litigation."}`, d.Version)}
		}, false},
		{"Terminate", managers, 200, func() request {
			d := kit.inForce()
			return request{"POST", "/api/v1/contracts/" + d.ID + "/terminate", fmt.Sprintf(`{"version":%d,"date":%q,"reason":"Ended."}`, d.Version, dueIn(0))}
		}, false},
		{"DeleteFile", managers, 409, func() request {
			return request{"DELETE", one + "/files/1", fmt.Sprintf(`{"version":%d,"reason":"Duplicate."}`, shared.Version)}
		}, false},
		{"Dispose", managers, 409, func() request {
			d := kit.terminated()
			return request{"POST", "/api/v1/contracts/" + d.ID + "/dispose", fmt.Sprintf(`{"version":%d,"reason":"Schedule."}`, d.Version)}
		}, false},
	} {
		for _, role := range roles {
			want := 403
			for _, ok := range c.allowed {
				if ok == role {
					want = c.ok
				}
			}
			t.Run(c.name+"/"+role, func(t *testing.T) {
				req, api := c.call(), apis[role]
				var r testkit.Response
				if c.upload {
					var version int64
					fmt.Sscan(req.body, &version)
					r = api.upload(req.path, version, true, "signed.pdf", signedPDF("Signed copy"))
				} else {
					r = api.call(req.method, req.path, req.body)
				}
				if r.Status != want {
					t.Fatalf("%s %s as %s: %d, want %d\n%s", req.method, req.path, role, r.Status, want, r.Body)
				}
			})
		}
	}
}

// TestContractAPIObjectGrant: a grant on one contract opens that one and
// no other, and no list.
func TestContractAPIObjectGrant(t *testing.T) {
	a := testkit.StartApp(t)
	legal := a.User(t, authz.RoleLegal)
	kit := &contractKit{t: t, a: a, owner: legal, ctx: audit.WithActor(t.Context(), audit.Actor{ID: legal.ID, Name: legal.Email})}
	kit.vendor = newVendor(t, a, legal, "Quill Transcription Ltd")
	one, two := kit.inForce(), kit.inForce()
	staff := a.User(t, authz.RoleStaff)
	ctx := audit.WithActor(t.Context(), audit.Actor{ID: "test", Name: "test setup"})
	if err := a.App.Authz.Grant(ctx, staff.ID, a.Config.Domain, authz.Object(authz.ClassContract, one.ID), authz.View); err != nil {
		t.Fatal(err)
	}
	api := newAssessAPI(t, a, staff)
	p1, p2 := "/api/v1/contracts/"+one.ID, "/api/v1/contracts/"+two.ID
	api.want(200, "GET", p1, "", nil)
	api.want(200, "GET", p1+"/files", "", nil)
	api.want(200, "GET", p1+"/files/1", "", nil)
	api.want(403, "GET", p2, "", nil)
	api.want(403, "GET", p2+"/files/1", "", nil)
	api.want(403, "GET", "/api/v1/contracts", "", nil)
	api.want(403, "GET", "/api/v1/baa-gaps", "", nil)
	api.want(403, "PUT", p1, fmt.Sprintf(`{"vendor_id":%q,"type":"msa","title":"x","version":%d}`, one.VendorID, one.Version), nil)
	api.want(403, "POST", p1+"/hold", fmt.Sprintf(`{"version":%d,"on":true,"reason":"x"}`, one.Version), nil)
}

// TestBAAGapAPI: a PHI vendor is on the gap list until a BAA with every
// required term is in force; a vendor that handles no PHI never is.
func TestBAAGapAPI(t *testing.T) {
	a := testkit.StartApp(t)
	legal := a.User(t, authz.RoleLegal)
	api := newAssessAPI(t, a, legal)
	phi := newVendor(t, a, legal, "Northwind Imaging, Inc.")
	ctx := audit.WithActor(t.Context(), audit.Actor{ID: legal.ID, Name: legal.Email})
	plain, err := a.App.Suppliers.Create(ctx, a.Config.Domain, supplier.Fields{LegalName: "Bayline Fiber Networks",
		Systems: []string{supplier.SystemInternet}, Data: []string{supplier.DataNone}, Access: []string{supplier.AccessOnsite},
		Clinical: supplier.ClinicalLow})
	if err != nil {
		t.Fatal(err)
	}
	type gaps struct {
		Vendors []struct {
			ID, Name, Status, Owner, URL string
			Tier                         int
		}
		Total int
	}
	listed := func(id string) bool {
		var g gaps
		api.want(200, "GET", "/api/v1/baa-gaps", "", &g)
		for _, v := range g.Vendors {
			if v.ID == id {
				return true
			}
		}
		return false
	}
	type standing struct {
		NeedsBAA bool `json:"needs_baa"`
		Gap      bool
		Complete bool
		InForce  *struct{ ID string } `json:"in_force"`
		Missing  []struct{ Key, Label, Citation string }
		Others   []struct{ ID string }
	}
	var g gaps
	api.want(200, "GET", "/api/v1/baa-gaps", "", &g)
	if g.Total != 1 || len(g.Vendors) != 1 || g.Vendors[0].ID != phi.ID || g.Vendors[0].Name != phi.LegalName || g.Vendors[0].Tier == 0 ||
		g.Vendors[0].URL != "/api/v1/vendors/"+phi.ID+"/baa" || listed(plain.ID) {
		t.Fatalf("gaps: %+v", g)
	}
	var st standing
	api.want(200, "GET", "/api/v1/vendors/"+phi.ID+"/baa", "", &st)
	if !st.NeedsBAA || !st.Gap || st.Complete || st.InForce != nil || st.Missing == nil || st.Others == nil {
		t.Fatalf("standing: %+v", st)
	}

	// A draft BAA closes no gap; putting it in force does.
	var k apiContract
	api.want(201, "POST", "/api/v1/contracts", contractBody(phi.ID, legal.ID, dueIn(-1), dueIn(365), ""), &k)
	path := "/api/v1/contracts/" + k.ID
	if !listed(phi.ID) {
		t.Fatal("a draft BAA took the vendor off the gap list")
	}
	if r := api.upload(path+"/files", k.Version, true, "baa.pdf", signedPDF("BAA")); r.Status != 201 {
		t.Fatalf("%d %s", r.Status, r.Body)
	}
	api.want(200, "POST", path+"/activate", `{"version":2}`, &k)
	if listed(phi.ID) {
		t.Fatal("the vendor is still on the gap list with a complete BAA in force")
	}
	api.want(200, "GET", "/api/v1/vendors/"+phi.ID+"/baa", "", &st)
	if st.Gap || !st.Complete || st.InForce == nil || st.InForce.ID != k.ID || len(st.Missing) != 0 {
		t.Fatalf("standing: %+v", st)
	}
	api.want(200, "GET", "/api/v1/vendors/"+plain.ID+"/baa", "", &st)
	if st.NeedsBAA || st.Gap {
		t.Fatalf("a vendor without PHI: %+v", st)
	}
	api.want(404, "GET", "/api/v1/vendors/no-such-vendor/baa", "", nil)
}

// TestContractAPIUploadTooLarge: a file over the upload limit is 413, and
// nothing is recorded.
func TestContractAPIUploadTooLarge(t *testing.T) {
	a := testkit.StartApp(t, func(c *config.Config) { c.UploadLimit = 4 << 10 })
	legal := a.User(t, authz.RoleLegal)
	api := newAssessAPI(t, a, legal)
	vendor := newVendor(t, a, legal, "Meridian Payroll")
	var k apiContract
	api.want(201, "POST", "/api/v1/contracts", fmt.Sprintf(`{"vendor_id":%q,"type":"msa","title":"Payroll services"}`, vendor.ID), &k)
	path := "/api/v1/contracts/" + k.ID
	r := api.upload(path+"/files", k.Version, true, "large.pdf", pdfdoc.Blank(200))
	if e := errorOf(t, r); r.Status != 413 || e.Error.Code != "too_large" {
		t.Fatalf("%d %s", r.Status, r.Body)
	}
	var got apiContract
	api.want(200, "GET", path, "", &got)
	if len(got.Files) != 0 || got.Version != k.Version {
		t.Fatalf("a refused file was recorded: %+v", got)
	}
}
