package access_test

import (
	"strings"
	"testing"

	"go.mongodb.org/mongo-driver/bson"

	"dossier/internal/access"
	"dossier/internal/errs"
)

func TestCreateUser(t *testing.T) {
	e := newEnv(t)
	t.Run("OK", func(t *testing.T) {
		u, err := e.svc.CreateUser(e.ctx, "  Alice.Moreau@Hospital.example.org ", " Alice   Moreau ")
		if err != nil {
			t.Fatal(err)
		}
		if u.Email != "alice.moreau@hospital.example.org" || u.Name != "Alice Moreau" || u.Status != access.Active || u.HasPassword() || len(u.ID) != 24 {
			t.Fatalf("got %+v", u)
		}
		got, err := e.svc.UserByEmail(e.ctx, "ALICE.MOREAU@hospital.example.org")
		if err != nil || got.ID != u.ID {
			t.Fatalf("UserByEmail: %+v, %v", got, err)
		}
		if a := e.audit.Last(t, "user.create"); a.ObjectID != u.ID || a.Details["email"] != u.Email {
			t.Fatalf("audit %+v", a)
		}
	})
	t.Run("ErrDuplicate", func(t *testing.T) {
		_, err := e.svc.CreateUser(e.ctx, "ALICE.moreau@HOSPITAL.example.org", "Another Alice")
		wantCode(t, err, errs.Conflict)
		if errs.Message(err) != "A user with this email already exists." || errs.FieldOf(err) != "email" {
			t.Fatalf("got %v", err)
		}
		if n, _ := e.svc.CountUsers(e.ctx); n != 1 {
			t.Fatalf("%d users, want 1", n)
		}
	})
	t.Run("ErrInvalidEmail", func(t *testing.T) {
		for _, bad := range []string{"", "alice", "alice@", "@hospital.org", "a b@hospital.org", "Alice <a@hospital.org>", "a@localhost", "a@@hospital.org", "a@hospital..org"} {
			_, err := e.svc.CreateUser(e.ctx, bad, "Someone")
			if !errs.Is(err, errs.Invalid) || errs.FieldOf(err) != "email" {
				t.Errorf("%q: got %v, want invalid email", bad, err)
			}
		}
	})
	t.Run("ErrInvalidName", func(t *testing.T) {
		for _, bad := range []string{"", "   ", strings.Repeat("x", 101), "Bob\x00"} {
			_, err := e.svc.CreateUser(e.ctx, "bob@hospital.org", bad)
			if !errs.Is(err, errs.Invalid) || errs.FieldOf(err) != "name" {
				t.Errorf("%q: got %v, want invalid name", bad, err)
			}
		}
	})
	t.Run("ErrNotFound", func(t *testing.T) {
		_, err := e.svc.UserByEmail(e.ctx, "nobody@hospital.org")
		wantCode(t, err, errs.NotFound)
		_, err = e.svc.User(e.ctx, "")
		wantCode(t, err, errs.NotFound)
	})
	t.Run("ListSortedByName", func(t *testing.T) {
		if _, err := e.svc.CreateUser(e.ctx, "zed@hospital.org", "aaron Zed"); err != nil {
			t.Fatal(err)
		}
		us, err := e.svc.Users(e.ctx)
		if err != nil || len(us) != 2 || us[0].Name != "aaron Zed" || us[1].Name != "Alice Moreau" {
			t.Fatalf("got %+v, %v", us, err)
		}
	})
	t.Run("SetName", func(t *testing.T) {
		u, _ := e.svc.UserByEmail(e.ctx, "zed@hospital.org")
		if err := e.svc.SetName(e.ctx, u.ID, "Aaron Zed"); err != nil {
			t.Fatal(err)
		}
		if got, _ := e.svc.User(e.ctx, u.ID); got.Name != "Aaron Zed" || got.Version != u.Version+1 {
			t.Fatalf("got %+v", got)
		}
	})
}

// An email claim whose user was never inserted (a crash between the two
// inserts) must not block the email for ever.
func TestCreateUserReclaimsOrphanedEmail(t *testing.T) {
	e := newEnv(t)
	orphan := bson.M{"_id": "carol@hospital.org", "user": "000000000000000000000000", "created": e.clock.Now()}
	if err := e.db.Collection("user_emails").Insert(e.ctx, orphan); err != nil {
		t.Fatal(err)
	}
	t.Run("ErrConflictWhileFresh", func(t *testing.T) {
		_, err := e.svc.CreateUser(e.ctx, "carol@hospital.org", "Carol")
		wantCode(t, err, errs.Conflict)
	})
	t.Run("OK", func(t *testing.T) {
		e.clock.Advance(2 * 60e9)
		u, err := e.svc.CreateUser(e.ctx, "carol@hospital.org", "Carol")
		if err != nil {
			t.Fatal(err)
		}
		if got, err := e.svc.UserByEmail(e.ctx, "carol@hospital.org"); err != nil || got.ID != u.ID {
			t.Fatalf("got %+v, %v", got, err)
		}
	})
}

func TestPasswordPolicy(t *testing.T) {
	const email, name = "amoreau@hospital.example.org", "Alice Moreau"
	for _, tc := range []struct {
		name, password string
		ok             bool
	}{
		{"OK", "correct horse battery staple", true},
		{"OKShortNameWordsIgnored", "al-is-in-the-kitchen", true},
		{"ErrShort", "Tr0ub4dor&3", false},
		{"ErrLong", strings.Repeat("ab", 129), false},
		{"ErrContainsName", "moreau likes long walks", false},
		{"ErrContainsNameAnyCase", "ALICE in wonderland!", false},
		{"ErrContainsEmailLocalPart", "xx-AMoreau-2026-xx", false},
		{"ErrContainsEmail", "amoreau@hospital.example.org!", false},
		{"ErrRepeated", "aaaaaaaaaaaaaaaa", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := access.CheckPassword(tc.password, email, name)
			if tc.ok && err != nil {
				t.Fatalf("refused: %v", err)
			}
			if !tc.ok && (!errs.Is(err, errs.Invalid) || errs.FieldOf(err) != "password") {
				t.Fatalf("got %v, want an invalid password", err)
			}
		})
	}
	t.Run("SetPasswordApplies", func(t *testing.T) {
		e := newEnv(t)
		u, err := e.svc.CreateUser(e.ctx, email, name)
		if err != nil {
			t.Fatal(err)
		}
		wantCode(t, e.svc.SetPassword(e.ctx, u.ID, "moreau likes long walks"), errs.Invalid)
		if err := e.svc.SetPassword(e.ctx, u.ID, password); err != nil {
			t.Fatal(err)
		}
		got, _ := e.svc.User(e.ctx, u.ID)
		if !got.HasPassword() || !strings.HasPrefix(got.PasswordHash, "$argon2id$v=19$m=19456,t=2,p=1$") {
			t.Fatalf("hash %q", got.PasswordHash)
		}
		if raw := e.raw(t, "users"); strings.Contains(raw, password) {
			t.Fatal("the password is stored")
		}
	})
}
