package notify_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/bson"

	"dossier/internal/errs"
	"dossier/internal/notify"
)

func TestNotices(t *testing.T) {
	e := newEnv(t)
	svc := e.service(notify.Options{})
	ctx := e.ctx
	var ids []string
	for i, subject := range []string{"BAA with Acme PACS expires in 90 days", "MSA with Beta Lab: notice deadline in 30 days", "NDA with Gamma RIS has expired"} {
		n, err := svc.Notify(ctx, notify.Notice{Domain: domain, UserID: "ann", Subject: subject, Body: "Body " + fmt.Sprint(i), Link: fmt.Sprintf("/contracts/%d", i)})
		if err != nil {
			t.Fatal(err)
		}
		if n.ID == "" || n.Read || !n.Created.Equal(e.clock.Now()) {
			t.Fatalf("stored notice %+v", n)
		}
		ids = append(ids, n.ID)
		e.clock.Advance(time.Minute)
	}
	unread := func(user string, want int) {
		t.Helper()
		if n, err := svc.Unread(ctx, user); err != nil || n != want {
			t.Fatalf("Unread(%s) = %d, %v; want %d", user, n, err, want)
		}
	}

	t.Run("OKNewestFirst", func(t *testing.T) {
		ns, err := svc.Notices(ctx, "ann", false)
		if err != nil || len(ns) != 3 {
			t.Fatalf("%d notices, %v", len(ns), err)
		}
		if ns[0].ID != ids[2] || ns[2].ID != ids[0] || ns[0].Subject != "NDA with Gamma RIS has expired" || ns[0].Link != "/contracts/2" || ns[0].Body != "Body 2" {
			t.Fatalf("order or content: %+v", ns)
		}
		unread("ann", 3)
	})
	t.Run("OKMarkRead", func(t *testing.T) {
		if err := svc.MarkRead(ctx, "ann", ids[1]); err != nil {
			t.Fatal(err)
		}
		unread("ann", 2)
		ns, _ := svc.Notices(ctx, "ann", true)
		if len(ns) != 2 || ns[0].ID != ids[2] || ns[1].ID != ids[0] {
			t.Fatalf("unread notices %+v", ns)
		}
		if err := svc.MarkRead(ctx, "ann", ids[1]); err != nil {
			t.Fatalf("marking a read notice again: %v", err)
		}
		unread("ann", 2)
	})
	t.Run("ErrNotFoundOtherUsersNotice", func(t *testing.T) {
		for _, user := range []string{"bob", ""} {
			if err := svc.MarkRead(ctx, user, ids[0]); !errs.Is(err, errs.NotFound) {
				t.Fatalf("%q marked ann's notice: %v", user, err)
			}
		}
		if err := svc.MarkRead(ctx, "ann", "no-such-id"); !errs.Is(err, errs.NotFound) {
			t.Fatalf("missing notice: %v", err)
		}
		unread("ann", 2)
	})
	t.Run("OKNoNoticesIsEmpty", func(t *testing.T) {
		ns, err := svc.Notices(ctx, "bob", false)
		if err != nil || ns == nil || len(ns) != 0 {
			t.Fatalf("%#v %v", ns, err)
		}
		unread("bob", 0)
	})
	t.Run("OKSameIDNotifiesOnce", func(t *testing.T) {
		n := notify.Notice{ID: "fixed", UserID: "carol", Subject: "Once"}
		first, err := svc.Notify(ctx, n)
		if err != nil {
			t.Fatal(err)
		}
		e.clock.Advance(time.Hour)
		again, err := svc.Notify(ctx, n)
		if err != nil || !again.Created.Equal(first.Created) {
			t.Fatalf("again: %+v %v", again, err)
		}
		if ns, _ := svc.Notices(ctx, "carol", false); len(ns) != 1 {
			t.Fatalf("%d notices, want 1", len(ns))
		}
		if _, err := svc.Notify(ctx, notify.Notice{ID: "fixed", UserID: "dave", Subject: "Not yours"}); !errs.Is(err, errs.Conflict) {
			t.Fatalf("another user's notice id: %v", err)
		}
	})
	t.Run("OKMarkReadRepairsInbox", func(t *testing.T) {
		// A MarkRead that stopped after marking the notice left the inbox
		// counting it as unread; marking it again repairs the inbox.
		if _, err := e.db.Collection(notify.NoticesCollection).Update(ctx, bson.M{"_id": ids[0]}, bson.M{"$set": bson.M{"read": true}}); err != nil {
			t.Fatal(err)
		}
		unread("ann", 2)
		if err := svc.MarkRead(ctx, "ann", ids[0]); err != nil {
			t.Fatal(err)
		}
		unread("ann", 1)
	})
	t.Run("OKTextTidied", func(t *testing.T) {
		n, err := svc.Notify(ctx, notify.Notice{UserID: "erin", Subject: "Two\r\nlines\tand\x00 more", Body: "bad \xff byte"})
		if err != nil {
			t.Fatal(err)
		}
		if n.Subject != "Two lines and more" || n.Body != "bad \uFFFD byte" {
			t.Fatalf("subject %q body %q", n.Subject, n.Body)
		}
	})
	t.Run("ErrInvalid", func(t *testing.T) {
		for name, n := range map[string]notify.Notice{
			"no user":         {Subject: "x"},
			"no subject":      {UserID: "ann", Subject: " \n "},
			"javascript link": {UserID: "ann", Subject: "x", Link: "javascript:alert(1)"},
			"other site":      {UserID: "ann", Subject: "x", Link: "//evil.example/x"},
			"backslash":       {UserID: "ann", Subject: "x", Link: `/\evil.example`},
			"long id":         {ID: fmt.Sprintf("%065d", 0), UserID: "ann", Subject: "x"},
		} {
			if _, err := svc.Notify(ctx, n); !errs.Is(err, errs.Invalid) {
				t.Errorf("%s: %v", name, err)
			}
		}
	})
}

// TestInboxBound: the inbox keeps the latest InboxSize notices, and counts
// the unread among them; older notices stay on record.
func TestInboxBound(t *testing.T) {
	e := newEnv(t)
	svc := e.service(notify.Options{})
	const extra = 5
	var ids []string
	for i := range notify.InboxSize + extra {
		n, err := svc.Notify(e.ctx, notify.Notice{UserID: "ann", Subject: fmt.Sprintf("Reminder %d", i)})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, n.ID)
		e.clock.Advance(time.Second)
	}
	ns, err := svc.Notices(e.ctx, "ann", false)
	if err != nil || len(ns) != notify.InboxSize {
		t.Fatalf("%d notices, %v", len(ns), err)
	}
	for i, n := range ns {
		if want := ids[len(ids)-1-i]; n.ID != want || n.Subject != fmt.Sprintf("Reminder %d", len(ids)-1-i) {
			t.Fatalf("notice %d is %s %q, want %s", i, n.ID, n.Subject, want)
		}
	}
	if n, _ := svc.Unread(e.ctx, "ann"); n != notify.InboxSize {
		t.Fatalf("unread %d, want %d", n, notify.InboxSize)
	}
	// A notice that fell out of the inbox can still be marked read.
	if err := svc.MarkRead(e.ctx, "ann", ids[0]); err != nil {
		t.Fatal(err)
	}
	if n, _ := e.db.Collection(notify.NoticesCollection).Count(e.ctx, bson.M{"user_id": "ann"}); n != int64(len(ids)) {
		t.Fatalf("%d notices on record, want %d", n, len(ids))
	}
}

// TestNotifyConcurrent: two instances notify one user at once; every notice
// reaches the inbox and the count.
func TestNotifyConcurrent(t *testing.T) {
	e := newEnv(t)
	services := []*notify.Service{e.service(notify.Options{}), e.service(notify.Options{})}
	var wg sync.WaitGroup
	for i := range 20 {
		svc := services[i%2]
		wg.Go(func() {
			for j := range 2 {
				if _, err := svc.Notify(context.Background(), notify.Notice{UserID: "ann", Subject: fmt.Sprintf("n%d-%d", i, j)}); err != nil {
					t.Error(err)
				}
			}
		})
	}
	wg.Wait()
	ns, err := services[0].Notices(e.ctx, "ann", true)
	if err != nil || len(ns) != 40 {
		t.Fatalf("%d notices in the inbox, %v; want 40", len(ns), err)
	}
	if n, _ := services[1].Unread(e.ctx, "ann"); n != 40 {
		t.Fatalf("unread %d, want 40", n)
	}
}
