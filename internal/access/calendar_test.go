package access_test

import (
	"testing"

	"dossier/internal/errs"
)

func TestCalendarLink(t *testing.T) {
	e := newEnv(t)
	u := e.user(t, "legal@hospital.example.org", "Lee Legal")
	first, err := e.svc.NewCalendarLink(e.ctx, u.ID)
	if err != nil {
		t.Fatal(err)
	}
	e.secret(first)
	if got, err := e.svc.CalendarUser(e.ctx, first); err != nil || got.ID != u.ID {
		t.Fatalf("calendar user %v %v", got, err)
	}
	if created, _ := e.svc.CalendarLinkCreated(e.ctx, u.ID); created.IsZero() {
		t.Fatal("no creation time")
	}
	t.Run("ErrReplaced", func(t *testing.T) {
		second, err := e.svc.NewCalendarLink(e.ctx, u.ID)
		if err != nil {
			t.Fatal(err)
		}
		e.secret(second)
		if _, err := e.svc.CalendarUser(e.ctx, first); errs.Code(err) != errs.NotFound {
			t.Fatalf("the replaced address still works: %v", err)
		}
		if _, err := e.svc.CalendarUser(e.ctx, second); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("ErrRevoked", func(t *testing.T) {
		third, _ := e.svc.NewCalendarLink(e.ctx, u.ID)
		e.secret(third)
		if err := e.svc.RevokeCalendarLink(e.ctx, u.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := e.svc.CalendarUser(e.ctx, third); errs.Code(err) != errs.NotFound {
			t.Fatalf("the revoked address still works: %v", err)
		}
	})
	t.Run("ErrDisabledUser", func(t *testing.T) {
		fourth, _ := e.svc.NewCalendarLink(e.ctx, u.ID)
		e.secret(fourth)
		if err := e.svc.Disable(e.ctx, u.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := e.svc.CalendarUser(e.ctx, fourth); errs.Code(err) != errs.NotFound {
			t.Fatalf("a disabled user's address still works: %v", err)
		}
	})
	t.Run("ErrUnknown", func(t *testing.T) {
		if _, err := e.svc.CalendarUser(e.ctx, "short"); errs.Code(err) != errs.NotFound {
			t.Fatal(err)
		}
	})
}
