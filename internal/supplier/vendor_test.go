package supplier_test

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/bson"

	"dossier/internal/errs"
	"dossier/internal/risk"
	"dossier/internal/supplier"
)

func TestCreate(t *testing.T) {
	e := newEnv(t, false)
	t.Run("OK", func(t *testing.T) {
		f := e.pacs()
		f.Tags = []string{" imaging ", "Imaging", "", "24x7   support"}
		f.Systems = []string{"Clinical Laboratory", "pacs", "PACS"}
		f.Website = "www.acme-imaging.example"
		v := e.mustCreate(t, f)
		if v.Status != supplier.Prospect || v.Version != 0 || v.Domain != domain || v.CreatedBy != e.owner.ID {
			t.Fatalf("got %+v", v)
		}
		if v.Risk.Tier != 1 || v.Risk.Score != 100 || len(v.Risk.Reasons) != 5 ||
			v.Risk.Reasons[0].Text != "Handles protected health information (PHI): +35" {
			t.Fatalf("risk %+v", v.Risk)
		}
		if !v.NextDue.Equal(v.CreatedAt) || !v.LastAssessed.IsZero() {
			t.Fatalf("a never-assessed vendor is due at once: next due %s, created %s", v.NextDue, v.CreatedAt)
		}
		if !slices.Equal(v.Tags, []string{"imaging", "24x7 support"}) {
			t.Fatalf("tags %q", v.Tags)
		}
		if !slices.Equal(v.Systems, []string{supplier.SystemPACS, supplier.SystemLab}) {
			t.Fatalf("systems %q", v.Systems)
		}
		if v.Website != "https://www.acme-imaging.example" || !v.HandlesPHI() || v.Label() != "Acme PACS" {
			t.Fatalf("got %+v", v)
		}
		got, err := e.svc.Get(e.ctx, domain, v.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.LegalName != v.LegalName || got.Risk.Tier != 1 || !got.NextDue.Equal(v.NextDue) || len(got.Contacts) != 2 {
			t.Fatalf("stored %+v", got)
		}
		a := e.audit.Last(t, "vendor.create")
		if a.ObjectID != v.ID || a.ObjectType != "vendor" || a.Domain != domain || a.Actor.ID != e.owner.ID || a.Details["tier"] != "1" {
			t.Fatalf("audit %+v", a)
		}
	})
	t.Run("StoredLean", func(t *testing.T) {
		// The embedded engine decodes every document on every query, so
		// empty fields and derived values are not stored.
		v := e.mustCreate(t, isp("Lean Storage Ltd"))
		var raw bson.M
		if err := e.db.Collection("vendors").Get(e.ctx, bson.M{"_id": v.ID}, &raw); err != nil {
			t.Fatal(err)
		}
		for _, k := range []string{"trading_name", "notes", "offboarding", "last_assessed", "contacts", "records", "risk.reasons"} {
			top, sub, _ := strings.Cut(k, ".")
			_, has := raw[top]
			if sub != "" && has {
				_, has = raw[top].(bson.M)[sub]
			}
			if has {
				t.Errorf("%s is stored: %v", k, raw)
			}
		}
		if raw["phi"] != false || raw["owner"] != "" || raw["search"] != "lean storage ltd\n\n\n" {
			t.Errorf("query fields %v", raw)
		}
	})
	t.Run("ErrNotFoundOtherDomain", func(t *testing.T) {
		v := e.mustCreate(t, isp("Domain Check Networks"))
		_, err := e.svc.Get(e.ctx, "other", v.ID)
		wantCode(t, err, errs.NotFound)
		_, err = e.svc.Get(e.ctx, domain, "nope")
		wantCode(t, err, errs.NotFound)
	})

	disabled, err := e.users.CreateUser(e.ctx, "gone@hospital.example.org", "Gone Person")
	if err != nil {
		t.Fatal(err)
	}
	if err := e.users.Disable(e.ctx, disabled.ID); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name   string
		change func(*supplier.Fields)
		fields []string
	}{
		{"ErrLegalNameRequired", func(f *supplier.Fields) { f.LegalName = "  " }, []string{"legal_name"}},
		{"ErrLegalNameTooLong", func(f *supplier.Fields) { f.LegalName = strings.Repeat("a", 201) }, []string{"legal_name"}},
		{"ErrWebsiteScheme", func(f *supplier.Fields) { f.Website = "ftp://acme.example" }, []string{"website"}},
		{"ErrWebsiteJavascript", func(f *supplier.Fields) { f.Website = "javascript:alert(1)" }, []string{"website"}},
		{"ErrContactEmail", func(f *supplier.Fields) { f.Contacts[0].Email = "not-an-email" }, []string{"contacts.0.email"}},
		{"ErrContactRole", func(f *supplier.Fields) { f.Contacts[1].Role = "boss" }, []string{"contacts.1.role"}},
		{"ErrContactPhone", func(f *supplier.Fields) { f.Contacts[0].Phone = "call me maybe" }, []string{"contacts.0.phone"}},
		{"ErrSystem", func(f *supplier.Fields) { f.Systems = []string{"pacs", "toaster"} }, []string{"systems"}},
		{"ErrOtherSystemUnnamed", func(f *supplier.Fields) { f.Systems = []string{"other"} }, []string{"systems_other"}},
		{"ErrData", func(f *supplier.Fields) { f.Data = []string{"dna"} }, []string{"data"}},
		{"ErrDataNoneAndPHI", func(f *supplier.Fields) { f.Data = []string{"none", "phi"} }, []string{"data"}},
		{"ErrAccess", func(f *supplier.Fields) { f.Access = []string{"telepathy"} }, []string{"access"}},
		{"ErrClinical", func(f *supplier.Fields) { f.Clinical = "extreme" }, []string{"clinical"}},
		{"ErrRecords", func(f *supplier.Fields) { f.Records = -1 }, []string{"records"}},
		{"ErrDowntime", func(f *supplier.Fields) { f.DowntimeHours = -3 }, []string{"downtime_hours"}},
		{"ErrOwnerUnknown", func(f *supplier.Fields) { f.Owner = "nobody" }, []string{"owner"}},
		{"ErrOwnerDisabled", func(f *supplier.Fields) { f.Owner = disabled.ID }, []string{"owner"}},
		{"ErrFourthPartyUnknown", func(f *supplier.Fields) {
			f.FourthParties = []supplier.FourthParty{{Name: "Cloud Co"}, {VendorID: "nope"}}
		}, []string{"fourth_parties.1.vendor_id"}},
		{"ErrControlCharacters", func(f *supplier.Fields) { f.TradingName = "Acme\x00PACS" }, []string{"trading_name"}},
		{"ErrSeveralAtOnce", func(f *supplier.Fields) {
			f.LegalName, f.Website, f.Contacts[0].Email = "", "nope", "x@"
		}, []string{"contacts.0.email", "legal_name", "website"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			f := e.pacs()
			f.LegalName, f.RegistrationID = "Validation Vendor "+tt.name, ""
			tt.change(&f)
			_, err := e.svc.Create(e.ctx, domain, f)
			wantCode(t, err, errs.Invalid)
			if got := fieldsOf(err); !slices.Equal(got, tt.fields) {
				t.Fatalf("fields %v, want %v (%v)", got, tt.fields, err)
			}
			if errs.FieldOf(err) != tt.fields[0] && len(tt.fields) == 1 {
				t.Fatalf("errs.FieldOf = %q", errs.FieldOf(err))
			}
			if errs.Message(err) == "" || errs.Message(err) == "Internal error" {
				t.Fatalf("message %q", errs.Message(err))
			}
		})
	}
	t.Run("FourthPartyLinkTakesTheVendorsName", func(t *testing.T) {
		sub := e.mustCreate(t, isp("Subcontracted Hosting Ltd"))
		f := isp("Prime Contractor Ltd")
		f.FourthParties = []supplier.FourthParty{{VendorID: sub.ID, TouchesPHI: true}, {Name: "  Small  Co "}}
		v := e.mustCreate(t, f)
		if v.FourthParties[0].Name != "Subcontracted Hosting Ltd" || v.FourthParties[1].Name != "Small Co" {
			t.Fatalf("fourth parties %+v", v.FourthParties)
		}
	})
}

func TestDuplicate(t *testing.T) {
	e := newEnv(t, false)
	first := e.mustCreate(t, e.pacs())
	for _, tt := range []struct {
		name, legal, reg, field string
	}{
		{"ErrSameNameVariant", "  acme   imaging inc ", "", "legal_name"},
		{"ErrSameNamePunctuation", "ACME-Imaging (Inc.)", "99-0000000", "legal_name"},
		{"ErrSameRegistrationID", "Totally Different Ltd", "123456789", "registration_id"},
		{"ErrSameRegistrationIDSpaced", "Another Different Ltd", " 12 34 567-89 ", "registration_id"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			f := isp(tt.legal)
			f.RegistrationID = tt.reg
			_, err := e.svc.Create(e.ctx, domain, f)
			var dup *supplier.DuplicateError
			if !errors.As(err, &dup) {
				t.Fatalf("got %v, want a DuplicateError", err)
			}
			if dup.Field != tt.field || dup.Existing.ID != first.ID {
				t.Fatalf("got field %q existing %q", dup.Field, dup.Existing.ID)
			}
			wantCode(t, err, errs.Conflict)
			if errs.FieldOf(err) != tt.field || !strings.Contains(errs.Message(err), "Acme PACS (Prospect)") {
				t.Fatalf("field %q message %q", errs.FieldOf(err), errs.Message(err))
			}
		})
	}
	t.Run("OtherDomainMayUseTheName", func(t *testing.T) {
		if _, err := e.svc.Create(e.ctx, "other-hospital", e.pacs()); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("NameClaimFreedWhenRegistrationIDFails", func(t *testing.T) {
		f := isp("Fresh Name Ltd")
		f.RegistrationID = "12-3456789"
		if _, err := e.svc.Create(e.ctx, domain, f); !errs.Is(err, errs.Conflict) {
			t.Fatalf("got %v", err)
		}
		f.RegistrationID = ""
		e.mustCreate(t, f) // the name was given back
	})
}

// TestConcurrentCreates races creates of one name: exactly one wins and
// every other is told it is a duplicate.
func TestConcurrentCreates(t *testing.T) {
	e := newEnv(t, false)
	const n = 12
	var wg sync.WaitGroup
	var mu sync.Mutex
	var wins, dups int
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			f := isp([]string{"Race Networks, Inc.", "race networks inc", "RACE NETWORKS INC."}[i%3])
			f.RegistrationID = fmt.Sprintf("RACE-%02d", i)
			_, err := e.svc.Create(e.ctx, domain, f)
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err == nil:
				wins++
			case errs.Is(err, errs.Conflict):
				dups++
			default:
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if wins != 1 || dups != n-1 {
		t.Fatalf("%d wins and %d conflicts, want 1 and %d", wins, dups, n-1)
	}
	p, err := e.svc.List(e.ctx, domain, supplier.Query{Search: "race"})
	if err != nil || p.Total != 1 {
		t.Fatalf("register holds %d race vendors (%v)", p.Total, err)
	}
	// The losers gave their registration-id claims back.
	f := isp("Race Two Ltd")
	f.RegistrationID = "RACE-99"
	e.mustCreate(t, f)
}

func TestUpdate(t *testing.T) {
	e := newEnv(t, false)
	v := e.mustCreate(t, e.pacs())
	t.Run("OK", func(t *testing.T) {
		f := v.Fields()
		f.Website = "https://www.acme.example"
		f.Clinical = supplier.ClinicalNone
		f.DowntimeHours = 200
		f.Records = 0
		f.Notes = "Long private notes about the contract negotiation."
		e.clock.Advance(time.Hour)
		got, err := e.svc.Update(e.ctx, domain, v.ID, v.Version, f)
		if err != nil {
			t.Fatal(err)
		}
		if stored, _ := e.svc.Get(e.ctx, domain, v.ID); stored.Records != 0 || stored.Clinical != "none" {
			t.Fatalf("cleared fields still stored: %+v", stored)
		}
		if got.Version != v.Version+1 || got.Website != f.Website || got.Risk.Score != 60 || got.Risk.Tier != 2 || !got.UpdatedAt.After(v.UpdatedAt) {
			t.Fatalf("got version %d score %d tier %d", got.Version, got.Risk.Score, got.Risk.Tier)
		}
		a := e.audit.Last(t, "vendor.update")
		if a.Details["changed"] != "website,records,clinical,downtime_hours,notes" || a.Details["tier"] != "1 → 2" ||
			a.Details["website"] != "https://acme-imaging.example → https://www.acme.example" {
			t.Fatalf("details %v", a.Details)
		}
		if _, ok := a.Details["notes"]; ok {
			t.Fatal("long text copied into the audit trail")
		}
		v = got
	})
	t.Run("NothingChanged", func(t *testing.T) {
		got, err := e.svc.Update(e.ctx, domain, v.ID, v.Version, v.Fields())
		if err != nil || got.Version != v.Version {
			t.Fatalf("got version %d, %v", got.Version, err)
		}
	})
	t.Run("ErrConflictStaleVersion", func(t *testing.T) {
		f := v.Fields()
		f.Services = "Mine"
		if _, err := e.svc.Update(e.ctx, domain, v.ID, v.Version, f); err != nil {
			t.Fatal(err)
		}
		f.Services = "Theirs, saved on a stale form"
		_, err := e.svc.Update(e.ctx, domain, v.ID, v.Version, f)
		wantCode(t, err, errs.Conflict)
		if !strings.Contains(errs.Message(err), "Someone else saved this vendor") {
			t.Fatalf("message %q", errs.Message(err))
		}
		got, _ := e.svc.Get(e.ctx, domain, v.ID)
		if got.Services != "Mine" {
			t.Fatalf("stale save overwrote: %q", got.Services)
		}
		v = got
	})
	t.Run("RenameFreesTheOldName", func(t *testing.T) {
		f := v.Fields()
		f.LegalName, f.RegistrationID = "Acme Medical Imaging LLC", "98-7654321"
		got, err := e.svc.Update(e.ctx, domain, v.ID, v.Version, f)
		if err != nil {
			t.Fatal(err)
		}
		v = got
		e.mustCreate(t, e.pacs()) // the old name and id are free again
		other := isp("Acme Medical Imaging, L.L.C.")
		_, err = e.svc.Create(e.ctx, domain, other)
		var dup *supplier.DuplicateError
		if !errors.As(err, &dup) || dup.Existing.ID != v.ID {
			t.Fatalf("new name not claimed: %v", err)
		}
	})
	t.Run("ErrRenameOntoAnother", func(t *testing.T) {
		f := v.Fields()
		f.LegalName = "ACME IMAGING INC"
		_, err := e.svc.Update(e.ctx, domain, v.ID, v.Version, f)
		var dup *supplier.DuplicateError
		if !errors.As(err, &dup) || dup.Field != "legal_name" {
			t.Fatalf("got %v", err)
		}
		got, _ := e.svc.Get(e.ctx, domain, v.ID)
		if got.Version != v.Version || got.LegalName != "Acme Medical Imaging LLC" {
			t.Fatalf("refused rename changed the vendor: %+v", got)
		}
	})
	t.Run("RenameRacingAStaleSaveKeepsTheClaim", func(t *testing.T) {
		f := v.Fields()
		f.LegalName = "Acme Renamed Twice Ltd"
		got, err := e.svc.Update(e.ctx, domain, v.ID, v.Version, f)
		if err != nil {
			t.Fatal(err)
		}
		// A second editor, on the old version, makes the same rename: it
		// loses, and must not give back the name the first one holds.
		if _, err := e.svc.Update(e.ctx, domain, v.ID, v.Version, f); !errs.Is(err, errs.Conflict) {
			t.Fatalf("got %v", err)
		}
		_, err = e.svc.Create(e.ctx, domain, isp("Acme Renamed Twice Ltd."))
		var dup *supplier.DuplicateError
		if !errors.As(err, &dup) || dup.Existing.ID != v.ID {
			t.Fatalf("the name's claim was lost: %v", err)
		}
		v = got
	})
	t.Run("ErrValidation", func(t *testing.T) {
		f := v.Fields()
		f.Contacts = append(f.Contacts, supplier.Contact{Name: "X", Email: "bad", Role: "account"})
		_, err := e.svc.Update(e.ctx, domain, v.ID, v.Version, f)
		if got := fieldsOf(err); !slices.Equal(got, []string{"contacts.2.email"}) {
			t.Fatalf("got %v", err)
		}
	})
	t.Run("ErrNotFound", func(t *testing.T) {
		_, err := e.svc.Update(e.ctx, domain, "missing", 0, v.Fields())
		wantCode(t, err, errs.NotFound)
	})
}

func TestRecordAssessment(t *testing.T) {
	e := newEnv(t, false)
	v := e.mustCreate(t, e.pacs())
	at := e.clock.Now().AddDate(0, -2, 0)
	got, err := e.svc.RecordAssessment(e.ctx, domain, v.ID, at)
	if err != nil {
		t.Fatal(err)
	}
	if !got.LastAssessed.Equal(at) || !got.NextDue.Equal(at.AddDate(1, 0, 0)) {
		t.Fatalf("last %s next %s", got.LastAssessed, got.NextDue)
	}
	// A change of tier moves the due date: tier 3 waits 36 months.
	f := isp(got.LegalName)
	f.RegistrationID = got.RegistrationID
	got, err = e.svc.Update(e.ctx, domain, v.ID, got.Version, f)
	if err != nil {
		t.Fatal(err)
	}
	if got.Risk.Tier != 3 || !got.NextDue.Equal(at.AddDate(3, 0, 0)) {
		t.Fatalf("tier %d next %s", got.Risk.Tier, got.NextDue)
	}
}

func TestRescore(t *testing.T) {
	e := newEnv(t, false)
	e.mustCreate(t, e.pacs())
	f := isp("Rescored Networks Ltd")
	f.Clinical = supplier.ClinicalHigh // 0+15+20+6 = 41: tier 2 by default
	other := e.mustCreate(t, f)
	if other.Risk.Tier != 2 {
		t.Fatalf("tier %d", other.Risk.Tier)
	}
	// The hospital raises the tier 2 threshold to 50.
	r := supplier.New(e.db, nil, supplier.Options{Rubric: func() risk.Rubric { r := risk.Default(); r.Tier2 = 50; return r }(),
		Audit: e.audit, Users: e.users, Now: e.clock.Now})
	got, err := r.Get(e.ctx, domain, other.ID)
	if err != nil || got.Risk.Tier != 3 {
		t.Fatalf("read with the new rubric: tier %d, %v", got.Risk.Tier, err)
	}
	n, err := r.Rescore(e.ctx)
	if err != nil || n != 1 {
		t.Fatalf("rescored %d, %v", n, err)
	}
	if a := e.audit.Last(t, "vendor.rescore"); a.ObjectID != other.ID || a.Details["tier"] != "2 → 3" {
		t.Fatalf("audit %+v", a)
	}
	p, err := r.List(e.ctx, domain, supplier.Query{Tier: 3})
	if err != nil || len(p.Vendors) != 1 || p.Vendors[0].ID != other.ID {
		t.Fatalf("tier 3 list %v %v", names(p.Vendors), err)
	}
	if n, err := r.Rescore(e.ctx); err != nil || n != 0 {
		t.Fatalf("second rescore changed %d, %v", n, err)
	}
}
