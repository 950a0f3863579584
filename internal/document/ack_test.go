package document_test

import (
	"slices"
	"testing"

	"dossier/internal/document"
	"dossier/internal/errs"
)

func TestAcknowledge(t *testing.T) {
	e := newEnv(t)
	f := policy("ISMS-POL-001")
	f.Audiences = document.Audiences{Roles: []string{"staff"}, Users: []string{approver2}}
	d := e.mustCreate(t, f)
	t.Run("ErrNothingInEffect", func(t *testing.T) {
		_, err := e.svc.Acknowledge(as(staff1), domain, d.ID, staff1)
		wantCode(t, err, errs.Conflict)
	})
	d, _ = e.mustEffective(t, d, false, "First issue")
	other := e.mustCreate(t, policy("ISMS-POL-002"))
	other, _ = e.mustEffective(t, other, false, "First issue")

	pending := func(user string) []string {
		t.Helper()
		ts, err := e.svc.Pending(as(user), domain, user)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, x := range ts {
			out = append(out, x.Number+"@"+x.Revision)
		}
		return out
	}
	if got := pending(staff1); !slices.Equal(got, []string{"ISMS-POL-001@1.0", "ISMS-POL-002@1.0"}) {
		t.Fatalf("pending %v", got)
	}
	if got := pending(ciso); len(got) != 0 {
		t.Fatalf("ciso is in no audience: %v", got)
	}
	rate, err := e.svc.Rate(as(controller), domain, d.ID)
	if err != nil || rate.Expected != 3 || rate.Acknowledged != 0 || !slices.Equal(rate.Missing, []string{approver2, staff1, staff2}) {
		t.Fatalf("rate %+v %v", rate, err)
	}
	t.Run("OK", func(t *testing.T) {
		a, err := e.svc.Acknowledge(as(staff1), domain, d.ID, staff1)
		if err != nil || a.Revision != "1.0" || a.Major != 1 {
			t.Fatalf("ack %+v %v", a, err)
		}
		again, err := e.svc.Acknowledge(as(staff1), domain, d.ID, staff1)
		if err != nil || !again.At.Equal(a.At) || len(e.audit.Find("document.acknowledge")) != 1 {
			t.Fatalf("second ack %+v %v", again, err)
		}
		if got := pending(staff1); !slices.Equal(got, []string{"ISMS-POL-002@1.0"}) {
			t.Fatalf("pending %v", got)
		}
		rate, _ := e.svc.Rate(as(controller), domain, d.ID)
		if rate.Acknowledged != 1 || !slices.Equal(rate.Missing, []string{approver2, staff2}) {
			t.Fatalf("rate %+v", rate)
		}
	})
	t.Run("MinorDoesNotAskAgain", func(t *testing.T) {
		d, _ = e.svc.Get(as(controller), domain, d.ID)
		d, _ = e.mustEffective(t, d, false, "Editorial")
		if got := pending(staff1); !slices.Equal(got, []string{"ISMS-POL-002@1.0"}) {
			t.Fatalf("pending after 1.1 %v", got)
		}
	})
	t.Run("MajorAsksAgain", func(t *testing.T) {
		d, _ = e.mustEffective(t, d, true, "Substantive")
		if got := pending(staff1); !slices.Equal(got, []string{"ISMS-POL-001@2.0", "ISMS-POL-002@1.0"}) {
			t.Fatalf("pending after 2.0 %v", got)
		}
		rate, _ := e.svc.Rate(as(controller), domain, d.ID)
		if rate.Revision != "2.0" || rate.Acknowledged != 0 || rate.Expected != 3 {
			t.Fatalf("rate %+v", rate)
		}
	})
}

func TestCopies(t *testing.T) {
	e := newEnv(t)
	d := e.mustCreate(t, policy("ISMS-POL-001"))
	d, r1 := e.mustEffective(t, d, false, "First issue")
	d, r2 := e.mustRevise(t, d, true, "Draft")
	c, err := e.svc.IssueCopy(as(staff1), domain, d.ID, r1.N, staff1)
	if err != nil || c.Revision != "1.0" || c.SHA256 != r1.File.SHA256 || c.User != staff1 {
		t.Fatalf("copy %+v %v", c, err)
	}
	_, err = e.svc.IssueCopy(as(staff1), domain, d.ID, r2.N, staff1)
	wantCode(t, err, errs.Conflict)
	e.days(1)
	if _, err := e.svc.IssueCopy(as(staff2), domain, d.ID, r1.N, staff2); err != nil {
		t.Fatal(err)
	}
	cs, err := e.svc.Copies(as(controller), domain, d.ID)
	if err != nil || len(cs) != 2 || cs[0].User != staff1 || cs[1].User != staff2 {
		t.Fatalf("copies %+v %v", cs, err)
	}
	e.audit.Last(t, "document.copy_issue")
}
