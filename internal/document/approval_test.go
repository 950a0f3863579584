package document_test

import (
	"errors"
	"slices"
	"strings"
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
		cur, _ := d.Revision(r.N)
		_, _, err := e.svc.Sign(as(approver1), domain, d.ID, r.N, document.SignInput{Meaning: document.Approve,
			SHA256: cur.File.SHA256, Round: cur.Round, Password: "guess", Code: "123456"})
		wantCode(t, err, errs.Unauthorized)
	})
	t.Run("ErrNotWhatWasRead", func(t *testing.T) {
		cur, _ := d.Revision(r.N)
		_, _, err := e.svc.Sign(as(approver1), domain, d.ID, r.N, document.SignInput{Meaning: document.Approve,
			SHA256: cur.File.SHA256, Round: cur.Round + 1, Password: "pw-" + approver1, Code: "123456"})
		wantCode(t, err, errs.Conflict)
		wantMessage(t, err, "changed since you opened it")
		_, _, err = e.svc.Sign(as(approver1), domain, d.ID, r.N, document.SignInput{Meaning: document.Approve,
			SHA256: strings.Repeat("0", 64), Round: cur.Round, Password: "pw-" + approver1, Code: "123456"})
		wantCode(t, err, errs.Conflict)
		_, _, err = e.svc.Sign(as(approver1), domain, d.ID, r.N, document.SignInput{Meaning: document.Approve, Password: "pw-" + approver1, Code: "123456"})
		wantFields(t, err, "sha256", "round")
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
		before, _ := e.svc.Get(as(staff2), domain, d.ID)
		c, err := e.svc.Comment(as(staff2), domain, d.ID, r.N, "Section 4 should cite A.5.1.")
		if err != nil {
			t.Fatal(err)
		}
		after, _ := e.svc.Get(as(staff2), domain, d.ID)
		if c.By != staff2 || c.Kind != document.KindComment || c.Revision != r.N || after.Version != before.Version {
			t.Fatalf("comment %+v; document version %d → %d (a comment must not change the document)", c, before.Version, after.Version)
		}
	})
	t.Run("OKReject", func(t *testing.T) {
		got, err := e.sign(d, r.N, approver1, document.Reject, "Cite A.5.1 in section 4.")
		if err != nil {
			t.Fatal(err)
		}
		nr, _ := got.Revision(r.N)
		cs, err := e.svc.Comments(as(controller), domain, d.ID)
		i := slices.IndexFunc(cs, func(c document.Comment) bool { return c.Kind == document.KindRejection })
		if err != nil || nr.State != document.Draft || len(cs) != 2 || i < 0 || cs[i].Text != "Cite A.5.1 in section 4." {
			t.Fatalf("after rejection %s %+v %v", nr.State, cs, err)
		}
		if err := document.Verify(got, nr, nr.Signatures[0]); err != nil || nr.Signatures[0].Meaning != document.Reject {
			t.Fatalf("rejection signature %+v %v", nr.Signatures[0], err)
		}
		d = got
	})
	t.Run("OKApproveNOfM", func(t *testing.T) {
		rejected, _ := d.Revision(r.N)
		d, _ = e.svc.EditDraft(as(controller), domain, d.ID, d.Version, r.N, document.RevisionInput{ChangeSummary: "First issue", Markdown: "# Policy\n\nSee A.5.1."})
		edited, _ := d.Revision(r.N)
		if len(edited.PriorFiles) != 1 || edited.PriorFiles[0].SHA256 != rejected.File.SHA256 || document.Verify(d, edited, edited.Signatures[0]) != nil {
			t.Fatalf("the file the rejection was signed on is not kept: %+v", edited.PriorFiles)
		}
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
	if m := e.svc.Missing(d, r.N); len(m) != 1 || m[0] != "approver Name of "+approver1 {
		t.Fatalf("missing %v", m)
	}
	_, err = e.svc.Publish(as(controller), domain, d.ID, d.Version, r.N, time.Time{})
	var missing *document.MissingError
	if !errors.As(err, &missing) || !errs.Is(err, errs.Conflict) || missing.Revision != "1.0" || len(missing.Missing) != 1 {
		t.Fatalf("publish without approvals: %v", err)
	}
	wantMessage(t, err, "approver Name of "+approver1)
	d, err = e.sign(d, r.N, approver1, document.Approve, "")
	if err != nil {
		t.Fatal(err)
	}
	if nr, _ := d.Revision(r.N); nr.State != document.Approved {
		t.Fatalf("state %s", nr.State)
	}
}

// A revision is approved under the rule it was submitted with: a change
// of the rule afterwards applies from the next submission.
func TestRuleCopiedAtSubmit(t *testing.T) {
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
	if m := e.svc.Missing(d, r.N); len(m) != 0 {
		t.Fatalf("the new rule reached an approved revision: %v", m)
	}
	if _, err = e.svc.Publish(as(controller), domain, d.ID, d.Version, r.N, time.Time{}); err != nil {
		t.Fatal(err)
	}
	d, _ = e.svc.Get(as(controller), domain, d.ID)
	d, r2 := e.mustRevise(t, d, true, "Second issue")
	if d, err = e.svc.Submit(as(controller), domain, d.ID, d.Version, r2.N); err != nil {
		t.Fatal(err)
	}
	if got, _ := d.Revision(r2.N); len(got.Rule.Approvers) != 3 {
		t.Fatalf("rule copied at submit: %+v", got.Rule)
	}
	if m := e.svc.Missing(d, r2.N); len(m) != 3 {
		t.Fatalf("missing under the new rule: %v", m)
	}
}

// In "all" mode each slot of the rule is one signature: someone who is a
// named approver and holds a role of the rule fills one slot, not two.
func TestSignOneSlotEach(t *testing.T) {
	e := newEnv(t)
	f := policy("ISMS-POL-001")
	f.Approval = document.ApprovalRule{Approvers: []string{ciso}, Roles: []string{"ciso"}}
	d := e.mustCreate(t, f)
	d, r := e.mustRevise(t, d, false, "First issue")
	d, err := e.svc.Submit(as(controller), domain, d.ID, d.Version, r.N)
	if err != nil {
		t.Fatal(err)
	}
	if d, err = e.sign(d, r.N, ciso, document.Approve, ""); err != nil {
		t.Fatal(err)
	}
	got, _ := d.Revision(r.N)
	if got.State != document.InReview || got.Approvals()[0].Slot != "approver:"+ciso {
		t.Fatalf("one signer filled both slots: %s %+v", got.State, got.Approvals())
	}
	if m := e.svc.Missing(d, r.N); len(m) != 1 || m[0] != "a holder of role ciso" {
		t.Fatalf("missing %v", m)
	}
	_, err = e.sign(d, r.N, ciso, document.Approve, "")
	wantCode(t, err, errs.Conflict)
}

// Renumbering a document keeps its signatures valid.
func TestSignatureSurvivesRenumber(t *testing.T) {
	e := newEnv(t)
	d := e.mustCreate(t, policy("ISMS-POL-001"))
	d, r := e.mustRevise(t, d, false, "First issue")
	d = e.mustApprove(t, d, r.N)
	f := d.Fields()
	f.Number = "ISMS-POL-101"
	d, err := e.svc.Update(as(controller), domain, d.ID, d.Version, f)
	if err != nil {
		t.Fatal(err)
	}
	got, _ := d.Revision(r.N)
	for _, sg := range got.Approvals() {
		if err := document.Verify(d, got, sg); err != nil || sg.Number != "ISMS-POL-001" {
			t.Fatalf("after a renumber: %+v %v", sg, err)
		}
	}
}
