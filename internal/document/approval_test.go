package document_test

import (
	"testing"
	"time"

	"dossier/internal/document"
	"dossier/internal/errs"
)

func TestSign(t *testing.T) {
	e := newEnv(t)
	f := policy("ISMS-POL-001")
	f.Approval.Approvers = append(f.Approval.Approvers, controller)
	f.Approval.Required = 2
	d := e.mustCreate(t, f)
	d, r := e.mustRevise(t, d, false, "First issue")
	t.Run("ErrDraft", func(t *testing.T) {
		_, err := e.sign(d, r.N, approver1, document.Approve, "")
		wantCode(t, err, errs.Conflict)
	})
	d, err := e.svc.Submit(as(controller), domain, d.ID, d.Version, r.N)
	if err != nil {
		t.Fatal(err)
	}
	t.Run("ErrOwnRevision", func(t *testing.T) {
		_, err := e.sign(d, r.N, controller, document.Approve, "")
		wantCode(t, err, errs.Forbidden)
		wantMessage(t, err, "You wrote revision 1.0", "segregation of duties")
	})
	t.Run("ErrNotApprover", func(t *testing.T) {
		_, err := e.sign(d, r.N, staff1, document.Approve, "")
		wantCode(t, err, errs.Forbidden)
		wantMessage(t, err, "not an approver")
	})
	t.Run("ErrWrongPassword", func(t *testing.T) {
		_, _, err := e.svc.Sign(as(approver1), domain, d.ID, r.N, document.SignInput{Meaning: document.Approve, Password: "guess", Code: "123456"})
		wantCode(t, err, errs.Unauthorized)
	})
	t.Run("ErrRejectWithoutReason", func(t *testing.T) {
		_, err := e.sign(d, r.N, approver1, document.Reject, " ")
		wantFields(t, err, "reason")
	})
	t.Run("ErrPublishMissing", func(t *testing.T) {
		_, err := e.svc.Publish(as(controller), domain, d.ID, d.Version, r.N, time.Time{})
		wantCode(t, err, errs.Conflict)
		wantMessage(t, err, "cannot be published", "2 more approval(s) of 2")
	})
	t.Run("OKComment", func(t *testing.T) {
		got, err := e.svc.Comment(as(staff2), domain, d.ID, r.N, "Section 4 should cite A.5.1.")
		if err != nil {
			t.Fatal(err)
		}
		if nr, _ := got.Revision(r.N); len(nr.Comments) != 1 || nr.Comments[0].By != staff2 {
			t.Fatalf("comments %+v", nr.Comments)
		}
	})
	t.Run("OKReject", func(t *testing.T) {
		got, err := e.sign(d, r.N, approver1, document.Reject, "Cite A.5.1 in section 4.")
		if err != nil {
			t.Fatal(err)
		}
		nr, _ := got.Revision(r.N)
		if nr.State != document.Draft || len(nr.Comments) != 2 || nr.Comments[1].Text != "Rejected: Cite A.5.1 in section 4." {
			t.Fatalf("after rejection %s %+v", nr.State, nr.Comments)
		}
		if err := document.Verify(got, nr, nr.Signatures[0]); err != nil || nr.Signatures[0].Meaning != document.Reject {
			t.Fatalf("rejection signature %+v %v", nr.Signatures[0], err)
		}
		d = got
	})
	t.Run("OKApproveNOfM", func(t *testing.T) {
		d, _ = e.svc.EditDraft(as(controller), domain, d.ID, d.Version, r.N, document.RevisionInput{ChangeSummary: "First issue", Markdown: "# Policy\n\nSee A.5.1."})
		d, err = e.svc.Submit(as(controller), domain, d.ID, d.Version, r.N)
		if err != nil {
			t.Fatal(err)
		}
		d, err = e.sign(d, r.N, approver1, document.Approve, "")
		if err != nil {
			t.Fatal(err)
		}
		if nr, _ := d.Revision(r.N); nr.State != document.InReview || len(e.svc.Missing(d, r.N)) != 1 {
			t.Fatalf("after one of two: %s %v", nr.State, e.svc.Missing(d, r.N))
		}
		_, err = e.sign(d, r.N, approver1, document.Approve, "")
		wantCode(t, err, errs.Conflict) // twice by the same approver
		d, err = e.sign(d, r.N, approver2, document.Approve, "")
		if err != nil {
			t.Fatal(err)
		}
		nr, _ := d.Revision(r.N)
		if nr.State != document.Approved || len(nr.Approvals()) != 2 {
			t.Fatalf("state %s approvals %d", nr.State, len(nr.Approvals()))
		}
		for _, sg := range nr.Approvals() {
			if err := document.Verify(d, nr, sg); err != nil || sg.FileSHA256 != nr.File.SHA256 || sg.SignerName == "" || sg.Round != 2 {
				t.Fatalf("signature %+v: %v", sg, err)
			}
		}
		tampered := nr.Approvals()[0]
		tampered.SignerName = "Someone Else"
		wantCode(t, document.Verify(d, nr, tampered), errs.Conflict)
		other := nr
		other.File.SHA256 = "00" + nr.File.SHA256[2:]
		wantCode(t, document.Verify(d, other, nr.Approvals()[0]), errs.Conflict)
		e.audit.Last(t, "document.approve")
	})
}

func TestSignAllAndRoles(t *testing.T) {
	e := newEnv(t)
	f := policy("ISMS-POL-001")
	f.Approval = document.ApprovalRule{Approvers: []string{approver1}, Roles: []string{"ciso"}} // all: approver1 and a CISO
	d := e.mustCreate(t, f)
	d, r := e.mustRevise(t, d, false, "First issue")
	d, err := e.svc.Submit(as(controller), domain, d.ID, d.Version, r.N)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.sign(d, r.N, approver2, document.Approve, ""); !errs.Is(err, errs.Forbidden) {
		t.Fatalf("approver2 is not named and holds no role: %v", err)
	}
	d, err = e.sign(d, r.N, ciso, document.Approve, "")
	if err != nil {
		t.Fatal(err)
	}
	if m := e.svc.Missing(d, r.N); len(m) != 1 || m[0] != "approver "+approver1 {
		t.Fatalf("missing %v", m)
	}
	_, err = e.svc.Publish(as(controller), domain, d.ID, d.Version, r.N, time.Time{})
	wantMessage(t, err, "approver "+approver1)
	d, err = e.sign(d, r.N, approver1, document.Approve, "")
	if err != nil {
		t.Fatal(err)
	}
	if nr, _ := d.Revision(r.N); nr.State != document.Approved {
		t.Fatalf("state %s", nr.State)
	}
}

// An approved revision whose rule gained an approver takes the missing
// approval before it is published.
func TestRuleChangedAfterApproval(t *testing.T) {
	e := newEnv(t)
	d := e.mustCreate(t, policy("ISMS-POL-001"))
	d, r := e.mustRevise(t, d, false, "First issue")
	d = e.mustApprove(t, d, r.N)
	f := d.Fields()
	f.Approval.Approvers = append(f.Approval.Approvers, ciso)
	d, err := e.svc.Update(as(controller), domain, d.ID, d.Version, f)
	if err != nil {
		t.Fatal(err)
	}
	_, err = e.svc.Publish(as(controller), domain, d.ID, d.Version, r.N, time.Time{})
	wantCode(t, err, errs.Conflict)
	wantMessage(t, err, "approver "+ciso)
	if d, err = e.sign(d, r.N, ciso, document.Approve, ""); err != nil {
		t.Fatal(err)
	}
	if _, err = e.svc.Publish(as(controller), domain, d.ID, d.Version, r.N, time.Time{}); err != nil {
		t.Fatal(err)
	}
}
