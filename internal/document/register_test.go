package document_test

import (
	"errors"
	"sync"
	"testing"

	"dossier/internal/document"
	"dossier/internal/errs"
)

func TestCreate(t *testing.T) {
	e := newEnv(t)
	t.Run("OK", func(t *testing.T) {
		f := policy(" isms-pol-001 ")
		f.Controls = []string{"a.5.1", "5.37", "A.5.1"}
		d := e.mustCreate(t, f)
		if d.Number != "ISMS-POL-001" || d.ReviewMonths != 12 || d.Version != 1 || len(d.Revisions) != 0 {
			t.Fatalf("document %+v", d)
		}
		if got := d.Controls; len(got) != 2 || got[0] != "A.5.1" || got[1] != "A.5.37" {
			t.Fatalf("controls %v", got)
		}
		got, err := e.svc.Get(as(staff1), domain, d.ID)
		if err != nil || got.Number != d.Number || got.Version != 1 {
			t.Fatalf("get %+v %v", got, err)
		}
		if a := e.audit.Last(t, "document.create"); a.ObjectType != "document" || a.Details["number"] != "ISMS-POL-001" {
			t.Fatalf("audit %+v", a)
		}
	})
	t.Run("ErrEveryField", func(t *testing.T) {
		_, err := e.svc.Create(as(controller), domain, document.Fields{Number: "bad number!", Type: "memo", Classification: "secret",
			Clauses: []string{"11.1"}, Controls: []string{"A.9.1"}, ReviewMonths: 61})
		wantCode(t, err, errs.Invalid)
		wantFields(t, err, "number", "title", "type", "owner", "classification", "clauses", "controls", "review_months", "approval")
	})
	t.Run("ErrExternalNeedsSource", func(t *testing.T) {
		f := policy("EXT-001")
		f.Type = document.External
		_, err := e.svc.Create(as(controller), domain, f)
		wantFields(t, err, "source", "external_version")
		f.Source, f.ExternalVersion = "ISO", "2022"
		if d := e.mustCreate(t, f); d.Source != "ISO" {
			t.Fatalf("external %+v", d)
		}
	})
	t.Run("ErrRequiredOverNamed", func(t *testing.T) {
		f := policy("X-1")
		f.Approval.Required = 3
		_, err := e.svc.Create(as(controller), domain, f)
		wantFields(t, err, "approval.required")
	})
	t.Run("ErrDuplicateNumber", func(t *testing.T) {
		_, err := e.svc.Create(as(controller), domain, policy("Isms-Pol-001"))
		wantCode(t, err, errs.Conflict)
		var dup *document.DuplicateError
		if !errors.As(err, &dup) || dup.Existing.Number != "ISMS-POL-001" || errs.FieldOf(err) != "number" {
			t.Fatalf("error %v", err)
		}
		wantMessage(t, err, "ISMS-POL-001", "Information security policy")
	})
	t.Run("OKSameNumberOtherDomain", func(t *testing.T) {
		if _, err := e.svc.Create(as(controller), "other", policy("ISMS-POL-001")); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("ErrNotFound", func(t *testing.T) {
		d := e.mustCreate(t, policy("ISMS-POL-404"))
		_, err := e.svc.Get(as(controller), "other", d.ID)
		wantCode(t, err, errs.NotFound)
	})
}

func TestCreateRace(t *testing.T) {
	e := newEnv(t)
	var wg sync.WaitGroup
	results := make([]error, 6)
	for i := range results {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, results[i] = e.svc.Create(as(controller), domain, policy("ISMS-POL-007"))
		}()
	}
	wg.Wait()
	won := 0
	for _, err := range results {
		switch {
		case err == nil:
			won++
		case !errs.Is(err, errs.Conflict):
			t.Fatalf("unexpected %v", err)
		}
	}
	p, err := e.svc.List(as(controller), domain, document.Query{})
	if won != 1 || err != nil || p.Total != 1 {
		t.Fatalf("%d winners, %d documents (%v)", won, p.Total, err)
	}
}

func TestUpdate(t *testing.T) {
	e := newEnv(t)
	d := e.mustCreate(t, policy("ISMS-POL-001"))
	other := e.mustCreate(t, policy("ISMS-POL-002"))
	t.Run("OK", func(t *testing.T) {
		f := d.Fields()
		f.Title, f.Number, f.ReviewMonths = "Information security policy (hospital)", "ISMS-POL-010", 24
		got, err := e.svc.Update(as(controller), domain, d.ID, d.Version, f)
		if err != nil || got.Number != "ISMS-POL-010" || got.ReviewMonths != 24 || got.Version != d.Version+1 {
			t.Fatalf("update %+v %v", got, err)
		}
		if a := e.audit.Last(t, "document.update"); a.Details["changed"] != "number,title,review_months" {
			t.Fatalf("audit %v", a.Details)
		}
		// The old number is free again, the new one taken.
		e.mustCreate(t, policy("ISMS-POL-001"))
		_, err = e.svc.Create(as(controller), domain, policy("ISMS-POL-010"))
		wantCode(t, err, errs.Conflict)
		d = got
	})
	t.Run("ErrStale", func(t *testing.T) {
		f := d.Fields()
		f.Title = "Stale"
		_, err := e.svc.Update(as(controller), domain, d.ID, d.Version-1, f)
		wantCode(t, err, errs.Conflict)
	})
	t.Run("ErrEveryField", func(t *testing.T) {
		f := d.Fields()
		f.Title, f.ReviewMonths, f.Controls = "", -1, []string{"A.5.99"}
		_, err := e.svc.Update(as(controller), domain, d.ID, d.Version, f)
		wantFields(t, err, "title", "review_months", "controls")
	})
	t.Run("ErrNumberTaken", func(t *testing.T) {
		f := d.Fields()
		f.Number = other.Number
		_, err := e.svc.Update(as(controller), domain, d.ID, d.Version, f)
		wantCode(t, err, errs.Conflict)
		if got, _ := e.svc.Get(as(controller), domain, d.ID); got.Number != "ISMS-POL-010" {
			t.Fatalf("number %s", got.Number)
		}
	})
}

// The embedded engine skips a nested $set whose values match the stored
// ones under other keys; the document's nested records have fixed keys, so
// moving a value from one list to the other is written.
func TestUpdateNestedSwap(t *testing.T) {
	e := newEnv(t)
	f := policy("ISMS-POL-001")
	f.Audiences = document.Audiences{Roles: []string{"x"}, Users: []string{}}
	d := e.mustCreate(t, f)
	f = d.Fields()
	f.Audiences = document.Audiences{Roles: []string{}, Users: []string{"x"}}
	if _, err := e.svc.Update(as(controller), domain, d.ID, d.Version, f); err != nil {
		t.Fatal(err)
	}
	got, _ := e.svc.Get(as(controller), domain, d.ID)
	if len(got.Audiences.Roles) != 0 || len(got.Audiences.Users) != 1 {
		t.Fatalf("audiences %+v", got.Audiences)
	}
}
