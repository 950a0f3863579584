package document_test

import (
	"context"
	"testing"

	"dossier/internal/audit"
	"dossier/internal/document"
)

func TestSeedDemo(t *testing.T) {
	e := newEnv(t)
	ctl := audit.Actor{ID: controller, Name: "Dana Controller"}
	approvers := []audit.Actor{{ID: approver1, Name: "Ari Approver"}, {ID: approver2, Name: "Bo Approver"}}
	if err := e.svc.SeedDemo(context.Background(), domain, ctl, approvers); err != nil {
		t.Fatal(err)
	}
	p, err := e.svc.List(as(controller), domain, document.Query{})
	if err != nil || p.Total != 3 {
		t.Fatalf("%d documents, %v", p.Total, err)
	}
	want := map[string]string{
		"ISMS-POL-001": "1.0:superseded 2.0:effective",
		"ISMS-POL-005": "1.0:in_review",
		"ISMS-PRO-012": "1.0:effective",
	}
	for _, row := range p.Rows {
		d, err := e.svc.Get(as(controller), domain, row.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got := states(d); got != want[d.Number] {
			t.Errorf("%s: %s, want %s", d.Number, got, want[d.Number])
		}
		for _, r := range d.Revisions {
			for _, sg := range r.Signatures {
				if err := document.Verify(d, r, sg); err != nil {
					t.Errorf("%s %s: %v", d.Number, r.Label(), err)
				}
			}
		}
	}
	tasks, err := e.svc.Pending(as(staff1), domain, staff1)
	if err != nil || len(tasks) != 1 || tasks[0].Number != "ISMS-POL-001" || tasks[0].Revision != "2.0" {
		t.Fatalf("staff tasks %+v %v", tasks, err)
	}
	// Seeding again does nothing.
	if err := e.svc.SeedDemo(context.Background(), domain, ctl, approvers); err != nil {
		t.Fatal(err)
	}
	if p, _ := e.svc.List(as(controller), domain, document.Query{}); p.Total != 3 {
		t.Fatalf("%d documents after a second seed", p.Total)
	}
}
