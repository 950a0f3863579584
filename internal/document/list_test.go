package document_test

import (
	"context"
	"slices"
	"testing"

	"go.mongodb.org/mongo-driver/bson"

	"dossier/internal/document"
	"dossier/internal/errs"
)

// register makes four documents: ISMS-POL-001 in effect (1.0) with 2.0 in
// review, ISMS-POL-002 with a draft only, ISMS-PRO-001 (owned by
// approver1) retired after being in effect, and ISMS-STD-001 with no
// revision.
func (e *env) register(t *testing.T) map[string]document.Document {
	t.Helper()
	out := map[string]document.Document{}
	a := e.mustCreate(t, policy("ISMS-POL-001"))
	a, _ = e.mustEffective(t, a, false, "First issue")
	a, r := e.mustRevise(t, a, true, "Second issue")
	a, err := e.svc.Submit(as(controller), domain, a.ID, a.Version, r.N)
	if err != nil {
		t.Fatal(err)
	}
	out[a.Number] = a
	b := e.mustCreate(t, policy("ISMS-POL-002"))
	b, _ = e.mustRevise(t, b, false, "Draft")
	out[b.Number] = b
	f := policy("ISMS-PRO-001")
	f.Type, f.Title, f.Owner = document.Procedure, "Supplier security procedure", approver1
	c := e.mustCreate(t, f)
	c, _ = e.mustEffective(t, c, false, "First issue")
	if c, err = e.svc.Retire(as(controller), domain, c.ID, c.Version, "Merged into the policy"); err != nil {
		t.Fatal(err)
	}
	out[c.Number] = c
	f = policy("ISMS-STD-001")
	f.Type, f.Title = document.Standard, "Cryptography standard"
	out["ISMS-STD-001"] = e.mustCreate(t, f)
	return out
}

func numbers(rows []document.Row) []string {
	out := []string{}
	for _, r := range rows {
		out = append(out, r.Number)
	}
	return out
}

func TestList(t *testing.T) {
	e := newEnv(t)
	docs := e.register(t)
	list := func(t *testing.T, q document.Query) document.Page {
		t.Helper()
		p, err := e.svc.List(as(controller), domain, q)
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	t.Run("OKRows", func(t *testing.T) {
		p := list(t, document.Query{})
		if got := numbers(p.Rows); !slices.Equal(got, []string{"ISMS-POL-001", "ISMS-POL-002", "ISMS-PRO-001", "ISMS-STD-001"}) {
			t.Fatalf("rows %v", got)
		}
		want := document.Counts{All: 4, Draft: 1, InReview: 1, Effective: 1, Retired: 1}
		if p.Counts != want || p.Total != 4 || p.Page != 1 || p.PerPage != document.DefaultPerPage {
			t.Fatalf("counts %+v total %d page %d/%d", p.Counts, p.Total, p.Page, p.PerPage)
		}
		a, d := p.Rows[0], docs["ISMS-POL-001"]
		if a.ID != d.ID || a.Effective != "1.0" || !a.EffectiveFrom.Equal(e.today()) || a.Latest != "2.0" || a.LatestState != document.InReview ||
			a.InReview != 1 || !a.NextReview.Equal(d.NextReview) || a.NextReview.IsZero() || a.Retired || !a.UpdatedAt.Equal(d.UpdatedAt) ||
			a.Version != d.Version || a.Title != d.Title || a.Type != document.Policy || a.Owner != controller || a.Classification != document.Internal {
			t.Fatalf("row %+v\ndocument version %d updated %v", a, d.Version, d.UpdatedAt)
		}
		if c := p.Rows[2]; !c.Retired || c.Effective != "" || !c.NextReview.IsZero() || c.LatestState != document.Retired {
			t.Fatalf("retired row %+v", c)
		}
		if s := p.Rows[3]; s.Latest != "" || s.LatestState != "" || s.Effective != "" {
			t.Fatalf("row without revisions %+v", s)
		}
	})
	t.Run("OKFilters", func(t *testing.T) {
		for name, tc := range map[string]struct {
			q    document.Query
			want []string
		}{
			"Search":         {document.Query{Search: "  SUPPLIER "}, []string{"ISMS-PRO-001"}},
			"SearchNumber":   {document.Query{Search: "pol-00"}, []string{"ISMS-POL-001", "ISMS-POL-002"}},
			"Type":           {document.Query{Type: document.Policy}, []string{"ISMS-POL-001", "ISMS-POL-002"}},
			"Owner":          {document.Query{Owner: approver1}, []string{"ISMS-PRO-001"}},
			"StateEffective": {document.Query{State: document.Effective}, []string{"ISMS-POL-001"}},
			"StateInReview":  {document.Query{State: document.InReview}, []string{"ISMS-POL-001"}},
			"StateRetired":   {document.Query{State: document.Retired}, []string{"ISMS-PRO-001"}},
			"Overdue":        {document.Query{ReviewDue: document.OverdueFilter}, []string{}},
			"DueSoon":        {document.Query{ReviewDue: document.DueSoonFilter, DueWithin: 366}, []string{"ISMS-POL-001"}},
			"Page2":          {document.Query{PerPage: 3, Page: 2}, []string{"ISMS-STD-001"}},
			"PastTheEnd":     {document.Query{Page: 9}, []string{}},
		} {
			t.Run(name, func(t *testing.T) {
				if got := numbers(list(t, tc.q).Rows); !slices.Equal(got, tc.want) {
					t.Fatalf("rows %v, want %v", got, tc.want)
				}
			})
		}
		// The counts leave out the state and review filters only.
		if p := list(t, document.Query{Type: document.Policy, State: document.Draft}); p.Counts != (document.Counts{All: 2, Draft: 1, InReview: 1, Effective: 1}) || p.Total != 1 {
			t.Fatalf("counts %+v total %d", p.Counts, p.Total)
		}
	})
	t.Run("OKSorts", func(t *testing.T) {
		for sort, want := range map[string][]string{
			"-number":     {"ISMS-STD-001", "ISMS-PRO-001", "ISMS-POL-002", "ISMS-POL-001"},
			"title":       {"ISMS-STD-001", "ISMS-POL-001", "ISMS-POL-002", "ISMS-PRO-001"},
			"state":       {"ISMS-STD-001", "ISMS-POL-002", "ISMS-POL-001", "ISMS-PRO-001"},
			"effective":   {"ISMS-POL-001", "ISMS-POL-002", "ISMS-PRO-001", "ISMS-STD-001"},
			"-owner":      {"ISMS-POL-001", "ISMS-POL-002", "ISMS-STD-001", "ISMS-PRO-001"},
			"type":        {"ISMS-POL-001", "ISMS-POL-002", "ISMS-PRO-001", "ISMS-STD-001"},
			"-type":       {"ISMS-STD-001", "ISMS-PRO-001", "ISMS-POL-001", "ISMS-POL-002"},
			"next_review": {"ISMS-POL-001", "ISMS-POL-002", "ISMS-PRO-001", "ISMS-STD-001"},
		} {
			if got := numbers(list(t, document.Query{Sort: sort}).Rows); !slices.Equal(got, want) {
				t.Errorf("sort %s: %v, want %v", sort, got, want)
			}
		}
	})
	t.Run("OKSight", func(t *testing.T) {
		sight := map[string]document.Sight{docs["ISMS-POL-001"].ID: document.EffectiveOnly, docs["ISMS-POL-002"].ID: document.Hidden,
			docs["ISMS-PRO-001"].ID: document.EffectiveOnly, docs["ISMS-STD-001"].ID: document.Whole}
		q := document.Query{Sight: func(id string) document.Sight { return sight[id] }}
		p := list(t, q)
		if got := numbers(p.Rows); !slices.Equal(got, []string{"ISMS-POL-001", "ISMS-STD-001"}) {
			t.Fatalf("rows %v", got)
		}
		if p.Counts != (document.Counts{All: 2, Effective: 1}) || p.Total != 2 {
			t.Fatalf("counts %+v total %d", p.Counts, p.Total)
		}
		if a := p.Rows[0]; a.Latest != "1.0" || a.LatestState != document.Effective || a.InReview != 0 || a.Effective != "1.0" {
			t.Fatalf("staff's row %+v", a)
		}
		q.State = document.InReview
		if p := list(t, q); p.Total != 0 {
			t.Fatalf("a revision in review shows to staff: %v", numbers(p.Rows))
		}
		q.State = document.Effective
		if p := list(t, q); !slices.Equal(numbers(p.Rows), []string{"ISMS-POL-001"}) {
			t.Fatalf("effective for staff: %v", numbers(p.Rows))
		}
	})
	t.Run("ErrQuery", func(t *testing.T) {
		_, err := e.svc.List(as(controller), domain, document.Query{Sort: "size", State: "published", Type: "memo", ReviewDue: "soon",
			DueWithin: -1, Page: -1, PerPage: -5})
		wantCode(t, err, errs.Invalid)
		wantFields(t, err, "sort", "state", "type", "review_due", "due_within", "page", "per_page")
		_, err = e.svc.List(as(controller), domain, document.Query{Sort: "-"})
		wantFields(t, err, "sort")
	})
}

// TestIndexRebuilt: the register reads the index; with it gone (a
// restore without it), Reindex and the daily Sweep put it back.
func TestIndexRebuilt(t *testing.T) {
	e := newEnv(t)
	e.register(t)
	total := func() int {
		t.Helper()
		p, err := e.svc.List(as(controller), domain, document.Query{})
		if err != nil {
			t.Fatal(err)
		}
		return p.Total
	}
	lose := func() {
		t.Helper()
		if _, err := e.db.Collection("document_index").UpdateMany(context.Background(), bson.M{}, bson.M{"$unset": bson.M{"packed": ""}}); err != nil {
			t.Fatal(err)
		}
		if total() != 0 {
			t.Fatal("the register does not read the index")
		}
	}
	lose()
	if err := e.svc.Reindex(context.Background(), domain); err != nil || total() != 4 {
		t.Fatalf("after Reindex: %d documents, %v", total(), err)
	}
	lose()
	if _, err := e.svc.Sweep(context.Background(), domain); err != nil || total() != 4 {
		t.Fatalf("after Sweep: %d documents, %v", total(), err)
	}
	if d, err := e.svc.Domains(context.Background()); err != nil || !slices.Equal(d, []string{domain}) {
		t.Fatalf("domains %v, %v", d, err)
	}
}

// TestIndexFollowsSaves: each kind of save updates the document's row.
func TestIndexFollowsSaves(t *testing.T) {
	e := newEnv(t)
	d := e.mustCreate(t, policy("ISMS-POL-001"))
	row := func() document.Row {
		t.Helper()
		p, err := e.svc.List(as(controller), domain, document.Query{})
		if err != nil || len(p.Rows) != 1 {
			t.Fatalf("%d rows, %v", len(p.Rows), err)
		}
		return p.Rows[0]
	}
	if r := row(); r.Version != 1 || r.Latest != "" {
		t.Fatalf("created %+v", r)
	}
	d, _ = e.mustEffective(t, d, false, "First issue")
	if r := row(); r.Version != d.Version || r.Effective != "1.0" || r.LatestState != document.Effective {
		t.Fatalf("published %+v (document version %d)", r, d.Version)
	}
	f := d.Fields()
	f.Title = "Information security policy (hospital)"
	d, err := e.svc.Update(as(controller), domain, d.ID, d.Version, f)
	if err != nil {
		t.Fatal(err)
	}
	if r := row(); r.Title != f.Title || r.Version != d.Version {
		t.Fatalf("updated %+v", r)
	}
}
