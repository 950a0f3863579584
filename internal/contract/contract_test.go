package contract_test

import (
	"strings"
	"testing"
	"time"

	"dossier/internal/contract"
	"dossier/internal/errs"
)

func TestCreate(t *testing.T) {
	e := newEnv(t)
	t.Run("OK", func(t *testing.T) {
		c := e.mustCreate(t, e.msa())
		if c.Status != contract.Draft || c.VendorName != "Acme Imaging, Inc." || c.Version != 1 || c.CreatedBy != e.legal.ID {
			t.Fatalf("created %+v", c)
		}
		got, err := e.svc.Get(e.ctx, domain, c.ID)
		if err != nil || got.Title != c.Title || !got.Expiry.Equal(e.date(335)) || got.NoticeDays != 60 {
			t.Fatalf("read back %+v, %v", got, err)
		}
		if a := e.audit.Last(t, "contract.create"); a.ObjectType != "contract" || a.ObjectID != c.ID || a.Details["vendor"] != e.pacs.ID {
			t.Fatalf("audit %+v", a)
		}
	})
	t.Run("OKDraftLeavesDatesOpen", func(t *testing.T) {
		c := e.mustCreate(t, contract.Fields{VendorID: e.isp.ID, Type: "NDA", Title: "  Mutual   NDA "})
		if c.Type != contract.NDA || c.Title != "Mutual NDA" || !c.Expiry.IsZero() || c.Owner != "" {
			t.Fatalf("created %+v", c)
		}
	})
	t.Run("OKDatesAreDays", func(t *testing.T) {
		f := e.msa()
		f.Effective = time.Date(2026, 4, 1, 17, 30, 0, 0, time.FixedZone("EST", -5*3600)) // 22:30 UTC
		c := e.mustCreate(t, f)
		if !c.Effective.Equal(time.Date(2026, 4, 1, 0, 0, 0, 0, time.UTC)) {
			t.Fatalf("effective %v", c.Effective)
		}
	})
	t.Run("ErrInvalidEverythingAtOnce", func(t *testing.T) {
		_, err := e.svc.Create(e.ctx, domain, contract.Fields{Type: "lease", NoticeDays: 4000, AutoRenewMonths: 121, Owner: "nobody"})
		wantCode(t, err, errs.Invalid)
		wantFields(t, err, "vendor_id", "type", "title", "notice_days", "auto_renew_months", "owner")
	})
	t.Run("ErrExpiryBeforeEffective", func(t *testing.T) {
		f := e.msa()
		f.Expiry = f.Effective.AddDate(0, 0, -1)
		_, err := e.svc.Create(e.ctx, domain, f)
		wantCode(t, err, errs.Invalid)
		wantFields(t, err, "expiry")
		wantMessage(t, err, "before the effective date")
	})
	t.Run("ErrEvergreenWithExpiry", func(t *testing.T) {
		f := e.msa()
		f.Evergreen = true
		_, err := e.svc.Create(e.ctx, domain, f)
		wantFields(t, err, "evergreen")
		f.Expiry, f.AutoRenewMonths = time.Time{}, 12
		_, err = e.svc.Create(e.ctx, domain, f)
		wantFields(t, err, "auto_renew_months")
	})
	t.Run("ErrUnknownVendor", func(t *testing.T) {
		f := e.msa()
		f.VendorID = "0123456789abcdef01234567"
		_, err := e.svc.Create(e.ctx, domain, f)
		wantFields(t, err, "vendor_id")
		other := e.msa()
		if _, err := e.svc.Create(e.ctx, "other-hospital", other); !errs.Is(err, errs.Invalid) || fieldsOf(err)[0] != "vendor_id" {
			t.Fatalf("a vendor of another domain was accepted: %v", err)
		}
	})
	t.Run("ErrNotFoundInOtherDomain", func(t *testing.T) {
		c := e.mustCreate(t, e.msa())
		_, err := e.svc.Get(e.ctx, "other-hospital", c.ID)
		wantCode(t, err, errs.NotFound)
	})
}

func TestUpdate(t *testing.T) {
	e := newEnv(t)
	t.Run("OKDraftWithoutManage", func(t *testing.T) {
		c := e.mustCreate(t, e.msa())
		f := c.Fields()
		f.Title, f.NoticeDays = "PACS MSA (second draft)", 90
		u, err := e.svc.Update(e.ctx, domain, c.ID, c.Version, f, false)
		if err != nil || u.Title != f.Title || u.NoticeDays != 90 || u.Version != c.Version+1 {
			t.Fatalf("updated %+v, %v", u, err)
		}
		a := e.audit.Last(t, "contract.update")
		if a.Details["changed"] != "title,notice_days" || a.Details["notice_days"] != "60 → 90" {
			t.Fatalf("audit %v", a.Details)
		}
		if same, err := e.svc.Update(e.ctx, domain, c.ID, u.Version, u.Fields(), false); err != nil || same.Version != u.Version {
			t.Fatalf("an unchanged save wrote a version: %v %v", same.Version, err)
		}
	})
	t.Run("OKTermSwapped", func(t *testing.T) {
		// One term unticked and another ticked keeps the number of terms
		// and their values: the embedded engine, which compares documents
		// by values only, must still store the new checklist.
		f := e.msa()
		f.Type, f.Title = contract.BAA, "PACS business associate agreement"
		f.BAA = &contract.BAATerms{PermittedUses: true, NoticeWindowDays: 10}
		c := e.mustCreate(t, f)
		f.BAA = &contract.BAATerms{NoOtherUse: true, NoticeWindowDays: 10}
		if _, err := e.svc.Update(e.ctx, domain, c.ID, c.Version, f, true); err != nil {
			t.Fatal(err)
		}
		got, err := e.svc.Get(e.ctx, domain, c.ID)
		if err != nil || got.BAA == nil || *got.BAA != *f.BAA {
			t.Fatalf("stored %+v, want %+v: %v", got.BAA, f.BAA, err)
		}
	})
	t.Run("ErrConflictStaleVersion", func(t *testing.T) {
		c := e.mustCreate(t, e.msa())
		if _, err := e.svc.Update(e.ctx, domain, c.ID, c.Version, c.Fields(), true); err != nil {
			t.Fatal(err)
		}
		f := c.Fields()
		f.Title = "Another title"
		if _, err := e.svc.Update(e.ctx, domain, c.ID, c.Version, f, true); err != nil {
			t.Fatal(err) // nothing changed the first time, so the version still matches
		}
		_, err := e.svc.Update(e.ctx, domain, c.ID, c.Version, f, true)
		wantCode(t, err, errs.Conflict)
	})
	t.Run("ErrExpiryBeforeEffective", func(t *testing.T) {
		c := e.mustCreate(t, e.msa())
		f := c.Fields()
		f.Expiry = f.Effective.AddDate(-1, 0, 0)
		_, err := e.svc.Update(e.ctx, domain, c.ID, c.Version, f, true)
		wantCode(t, err, errs.Invalid)
		wantFields(t, err, "expiry")
	})
	t.Run("ErrForbiddenInForceWithoutManage", func(t *testing.T) {
		c := e.mustActivate(t, e.msa())
		f := c.Fields()
		f.Notes = "A procurement note."
		_, err := e.svc.Update(e.ctx, domain, c.ID, c.Version, f, false)
		wantCode(t, err, errs.Forbidden)
		wantMessage(t, err, "only someone who manages contracts")
		_, err = e.upload(t, c, "amendment.pdf", signedPDF("Amendment"), true, false)
		wantCode(t, err, errs.Forbidden)
		if u, err := e.svc.Update(e.ctx, domain, c.ID, c.Version, f, true); err != nil || u.Notes != f.Notes {
			t.Fatalf("legal's update: %v", err)
		}
	})
	t.Run("ErrInForceNeedsOwner", func(t *testing.T) {
		c := e.mustActivate(t, e.msa())
		f := c.Fields()
		f.Owner, f.Expiry = "", time.Time{}
		_, err := e.svc.Update(e.ctx, domain, c.ID, c.Version, f, true)
		wantFields(t, err, "owner", "expiry")
	})
	t.Run("ErrEnded", func(t *testing.T) {
		c := e.mustActivate(t, e.msa())
		c, err := e.svc.Terminate(e.ctx, domain, c.ID, c.Version, e.today(), "Replaced by the 2026 agreement.")
		if err != nil {
			t.Fatal(err)
		}
		_, err = e.svc.Update(e.ctx, domain, c.ID, c.Version, c.Fields(), true)
		wantCode(t, err, errs.Conflict)
	})
}

func TestActivate(t *testing.T) {
	e := newEnv(t)
	t.Run("ErrNeedsSignedPDFAndDates", func(t *testing.T) {
		c := e.mustCreate(t, contract.Fields{VendorID: e.pacs.ID, Type: contract.MSA, Title: "Undated MSA"})
		_, err := e.svc.Activate(e.ctx, domain, c.ID, c.Version)
		wantCode(t, err, errs.Invalid)
		wantFields(t, err, "effective", "expiry", "files", "owner")
	})
	t.Run("ErrWorkingCopyIsNotSigned", func(t *testing.T) {
		c := e.mustCreate(t, e.msa())
		c = e.mustUpload(t, c, "draft.docx", docx(t), false)
		c = e.mustUpload(t, c, "unsigned.pdf", signedPDF("unsigned"), false)
		_, err := e.svc.Activate(e.ctx, domain, c.ID, c.Version)
		wantFields(t, err, "files")
		wantMessage(t, err, "signed copy as a PDF")
	})
	t.Run("OK", func(t *testing.T) {
		c := e.mustCreate(t, e.msa())
		c = e.mustUpload(t, c, "signed.pdf", signedPDF("MSA"), true)
		c, err := e.svc.Activate(e.ctx, domain, c.ID, c.Version)
		if err != nil || c.Status != contract.InForce || !c.InForce(e.clock.Now()) {
			t.Fatalf("activated %+v, %v", c, err)
		}
		e.audit.Last(t, "contract.activate")
		_, err = e.svc.Activate(e.ctx, domain, c.ID, c.Version)
		wantCode(t, err, errs.Conflict)
	})
}

func TestTerminate(t *testing.T) {
	e := newEnv(t)
	t.Run("ErrInvalid", func(t *testing.T) {
		c := e.mustActivate(t, e.msa())
		_, err := e.svc.Terminate(e.ctx, domain, c.ID, c.Version, e.date(10), "")
		wantFields(t, err, "date", "reason")
		if m := errs.ByField(err)["date"]; !strings.Contains(m, "in the future") {
			t.Fatalf("date: %q", m)
		}
		_, err = e.svc.Terminate(e.ctx, domain, c.ID, c.Version, e.date(-31), "Too early.")
		wantFields(t, err, "date")
	})
	t.Run("OKSetsRetainUntilAndRetention", func(t *testing.T) {
		c := e.mustActivate(t, e.msa())
		before := c.Files[0].RetainUntil
		if want := contract.Day(e.date(335)).AddDate(6, 0, 0); !before.Equal(want) {
			t.Fatalf("retention at upload %v, want expiry + 6 years %v", before, want)
		}
		end := e.date(-1)
		c, err := e.svc.Terminate(e.ctx, domain, c.ID, c.Version, end, "Vendor acquired; services moved to the new MSA.")
		if err != nil {
			t.Fatal(err)
		}
		if c.Status != contract.Terminated || !c.LastInEffect.Equal(end) || !c.RetainUntil.Equal(end.AddDate(6, 0, 0)) {
			t.Fatalf("terminated: status %s last %v retain %v", c.Status, c.LastInEffect, c.RetainUntil)
		}
		// Retention is only ever extended: the upload's (expiry + 6 years)
		// was later, so it stands, and disposal waits for it.
		if !c.Files[0].RetainUntil.Equal(before) || !c.DisposableFrom().Equal(before) {
			t.Fatalf("file retention %v, disposable from %v", c.Files[0].RetainUntil, c.DisposableFrom())
		}
		a := e.audit.Last(t, "contract.terminate")
		if a.Details["retain_until"] != c.RetainUntil.Format(time.DateOnly) || !strings.Contains(a.Details["reason"], "acquired") {
			t.Fatalf("audit %v", a.Details)
		}
	})
	t.Run("OKEvergreenRetentionExtended", func(t *testing.T) {
		f := e.msa()
		f.Expiry, f.Evergreen, f.Title = time.Time{}, true, "Evergreen support agreement"
		c := e.mustActivate(t, f)
		if want := e.today().AddDate(6, 0, 0); !c.Files[0].RetainUntil.Equal(want) {
			t.Fatalf("evergreen retention at upload %v, want today + 6 years", c.Files[0].RetainUntil)
		}
		e.clock.Advance(400 * 24 * time.Hour)
		c, err := e.svc.Terminate(e.ctx, domain, c.ID, c.Version, e.today(), "Service retired.")
		if err != nil {
			t.Fatal(err)
		}
		if want := e.today().AddDate(6, 0, 0); !c.Files[0].RetainUntil.Equal(want) || c.Files[0].RetentionMode != "GOVERNANCE" {
			t.Fatalf("retention after termination %v %s, want %v", c.Files[0].RetainUntil, c.Files[0].RetentionMode, want)
		}
	})
}

func TestSweep(t *testing.T) {
	e := newEnv(t)
	f := e.msa()
	f.Title, f.Expiry = "Expiring MSA", e.date(10)
	ending := e.mustActivate(t, f)
	f.Title, f.AutoRenewMonths, f.Expiry = "Renewing MSA", 12, time.Date(2026, 3, 31, 0, 0, 0, 0, time.UTC)
	renewing := e.mustActivate(t, f)
	f.Title, f.AutoRenewMonths, f.Expiry = "Later MSA", 0, e.date(300)
	e.mustActivate(t, f)

	if res, err := e.svc.Sweep(e.ctx, domain); err != nil || res != (contract.SweepResult{}) {
		t.Fatalf("sweep before any expiry: %+v %v", res, err)
	}
	e.clock.Advance(40 * 24 * time.Hour) // 2026-04-11
	res, err := e.svc.Sweep(e.ctx, domain)
	if err != nil || res.Expired != 1 || res.Renewed != 1 {
		t.Fatalf("sweep: %+v %v", res, err)
	}
	c, _ := e.svc.Get(e.ctx, domain, ending.ID)
	if c.Status != contract.Expired || !c.LastInEffect.Equal(ending.Expiry) || !c.RetainUntil.Equal(ending.Expiry.AddDate(6, 0, 0)) {
		t.Fatalf("expired: %s last %v retain %v", c.Status, c.LastInEffect, c.RetainUntil)
	}
	r, _ := e.svc.Get(e.ctx, domain, renewing.ID)
	if r.Status != contract.InForce || !r.Expiry.Equal(time.Date(2027, 3, 31, 0, 0, 0, 0, time.UTC)) {
		t.Fatalf("renewed: %s expiry %v", r.Status, r.Expiry)
	}
	if !r.Files[0].RetainUntil.Equal(time.Date(2033, 3, 31, 0, 0, 0, 0, time.UTC)) {
		t.Fatalf("renewed file retention %v", r.Files[0].RetainUntil)
	}
	if a := e.audit.Last(t, "contract.renew"); a.Details["from"] != "2026-03-31" || a.Details["to"] != "2027-03-31" {
		t.Fatalf("audit %v", a.Details)
	}
	if res, err := e.svc.Sweep(e.ctx, domain); err != nil || res != (contract.SweepResult{}) {
		t.Fatalf("second sweep the same day: %+v %v", res, err)
	}
	t.Run("ErrExpireNotDue", func(t *testing.T) {
		_, err := e.svc.Expire(e.ctx, domain, renewing.ID)
		wantCode(t, err, errs.Conflict)
	})
	t.Run("RetentionToppedUp", func(t *testing.T) {
		f := e.msa()
		f.Title, f.Expiry, f.Evergreen = "Evergreen", time.Time{}, true
		c := e.mustActivate(t, f)
		e.clock.Advance(5*365*24*time.Hour + 48*time.Hour) // retention now ends within a year
		res, err := e.svc.Sweep(e.ctx, domain)
		if err != nil || res.Retention != 1 {
			t.Fatalf("sweep: %+v %v", res, err)
		}
		c, _ = e.svc.Get(e.ctx, domain, c.ID)
		if want := e.today().AddDate(6, 0, 0); !c.Files[0].RetainUntil.Equal(want) {
			t.Fatalf("retention %v, want %v", c.Files[0].RetainUntil, want)
		}
	})
}

// TestOwnerMayOwn refuses an owner who may not read contracts: reminders
// and the calendar feed would tell them about the contract.
func TestOwnerMayOwn(t *testing.T) {
	e := newEnv(t)
	staff, err := e.users.CreateUser(e.ctx, "nurse@hospital.example.org", "Nina Nurse")
	if err != nil {
		t.Fatal(err)
	}
	svc := contract.New(e.db, contract.Options{Vendors: e.vendors, Users: e.users, Now: e.clock.Now,
		MayOwn: func(user, d string) bool { return user == e.legal.ID && d == domain }})
	f := e.msa()
	f.Owner = staff.ID
	_, err = svc.Create(e.ctx, domain, f)
	wantCode(t, err, errs.Invalid)
	wantFields(t, err, "owner")
	wantMessage(t, err, "Nina Nurse may not see contracts")
	f.Owner = e.legal.ID
	if _, err := svc.Create(e.ctx, domain, f); err != nil {
		t.Fatal(err)
	}
}
