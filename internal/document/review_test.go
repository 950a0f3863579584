package document_test

import (
	"testing"

	"dossier/internal/document"
	"dossier/internal/errs"
)

func TestPeriodicReview(t *testing.T) {
	e := newEnv(t)
	f := policy("ISMS-POL-001")
	f.ReviewMonths = 6
	d := e.mustCreate(t, f)
	d, r := e.mustEffective(t, d, false, "First issue")
	start := e.today()
	if want := start.AddDate(0, 6, 0); !d.NextReview.Equal(want) || !d.NextReviewOn(e.today()).Equal(want) {
		t.Fatalf("next review %v, want %v", d.NextReview, want)
	}
	list := func(due bool) int {
		t.Helper()
		var ds []document.Row
		var err error
		if due {
			ds, err = e.svc.DueSoon(as(controller), domain, 30)
		} else {
			ds, err = e.svc.Overdue(as(controller), domain)
		}
		if err != nil {
			t.Fatal(err)
		}
		return len(ds)
	}
	if list(true) != 0 || list(false) != 0 {
		t.Fatal("due at once")
	}
	e.days(170)
	if list(true) != 1 || list(false) != 0 {
		t.Fatalf("due soon %d, overdue %d", list(true), list(false))
	}
	e.days(20)
	if list(true) != 0 || list(false) != 1 {
		t.Fatalf("due soon %d, overdue %d", list(true), list(false))
	}
	t.Run("ErrAuthor", func(t *testing.T) {
		_, _, err := e.svc.ReviewedNoChange(as(controller), domain, d.ID, document.ReviewInput{Revision: r.N, SHA256: r.File.SHA256, Password: "pw-" + controller, Code: "123456"})
		wantCode(t, err, errs.Forbidden)
	})
	t.Run("ErrBadCode", func(t *testing.T) {
		_, _, err := e.svc.ReviewedNoChange(as(approver1), domain, d.ID, document.ReviewInput{Revision: r.N, SHA256: r.File.SHA256, Password: "pw-" + approver1, Code: "000000"})
		wantCode(t, err, errs.Unauthorized)
	})
	t.Run("OK", func(t *testing.T) {
		got, sig, err := e.svc.ReviewedNoChange(as(approver1), domain, d.ID, document.ReviewInput{Revision: r.N, SHA256: r.File.SHA256, Reason: "Still accurate", Password: "pw-" + approver1, Code: "123456"})
		if err != nil {
			t.Fatal(err)
		}
		if want := e.today().AddDate(0, 6, 0); !got.NextReview.Equal(want) {
			t.Fatalf("next review %v, want %v", got.NextReview, want)
		}
		nr, _ := got.Revision(r.N)
		if sig.Meaning != document.ReviewedNoChange || len(got.Revisions) != 1 || document.Verify(got, nr, sig) != nil {
			t.Fatalf("signature %+v", sig)
		}
		if list(false) != 0 {
			t.Fatal("still overdue")
		}
		e.audit.Last(t, "document.review_no_change")
	})
}
