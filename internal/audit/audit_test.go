package audit_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/csv"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"
	"go.mongodb.org/mongo-driver/bson"

	"dossier/internal/audit"
	"dossier/internal/blob"
	"dossier/internal/errs"
	"dossier/internal/store"
	"dossier/internal/testkit"
)

func TestMain(m *testing.M) { os.Exit(testkit.Main(m)) }

func newClock() *testkit.Clock {
	return testkit.NewClock(time.Now().UTC().Truncate(time.Second).Add(123456789))
}

type env struct {
	log   *audit.Log
	db    *store.Store
	files *blob.Store
	clock *testkit.Clock
}

func newEnv(t testing.TB) env {
	t.Helper()
	db := testkit.MustOpenDB(t)
	if err := audit.Migrate(context.Background(), db); err != nil {
		t.Fatal(err)
	}
	files := testkit.MustOpenS3(t)
	c := newClock()
	return env{log: audit.New(db, files, c.Now), db: db, files: files, clock: c}
}

func (e env) events() *store.Collection { return e.db.Collection(audit.EventsCollection) }

var reviewer = audit.Actor{ID: "u_7", Name: "reviewer@stmary.example", IP: "10.1.2.3"}

// appendN records n document approvals and returns them.
func appendN(t testing.TB, l *audit.Log, n int) []audit.Event {
	t.Helper()
	ctx := audit.WithActor(context.Background(), reviewer)
	var out []audit.Event
	for i := range n {
		ev, err := l.Append(ctx, audit.Entry{
			Action: "revision.approve", ObjectType: "revision", ObjectID: fmt.Sprintf("ISMS-POL-%03d", i%3),
			Domain: "stmary", Details: map[string]string{"version": fmt.Sprintf("1.%d", i), "note": "ok <&> ✓"},
		})
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, ev)
	}
	return out
}

func mustVerify(t *testing.T, l *audit.Log) audit.Report {
	t.Helper()
	r, err := l.Verify(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func wantBroken(t *testing.T, r audit.Report, firstBad int64, problem string) {
	t.Helper()
	if r.OK || r.FirstBad != firstBad || !strings.Contains(r.Problem, problem) {
		t.Fatalf("verify: ok=%v first bad %d %q; want broken at %d with %q", r.OK, r.FirstBad, r.Problem, firstBad, problem)
	}
}

func TestAppend(t *testing.T) {
	ctx := context.Background()

	t.Run("OK", func(t *testing.T) {
		e := newEnv(t)
		evs := appendN(t, e.log, 3)
		prev := strings.Repeat("0", 64)
		for i, ev := range evs {
			if ev.Seq != int64(i+1) || ev.Prev != prev || ev.Hash != ev.ComputeHash() || len(ev.Hash) != 64 {
				t.Fatalf("event %d = %+v, want seq %d linked to %s", i, ev, i+1, prev)
			}
			if ev.ActorID != reviewer.ID || ev.ActorName != reviewer.Name || ev.ActorIP != reviewer.IP {
				t.Fatalf("actor %q %q %q, want the context's", ev.ActorID, ev.ActorName, ev.ActorIP)
			}
			prev = ev.Hash
		}
		want := e.clock.Now().Truncate(time.Millisecond)
		if !evs[0].Time.Equal(want) || evs[0].Time.Location() != time.UTC {
			t.Fatalf("time %v, want %v in UTC", evs[0].Time, want)
		}
		var stored audit.Event
		if err := e.events().Get(ctx, bson.M{"_id": 2}, &stored); err != nil {
			t.Fatal(err)
		}
		if stored.Hash != evs[1].Hash || stored.ComputeHash() != stored.Hash {
			t.Fatalf("stored event 2 rehashes to %s, want %s", stored.ComputeHash(), evs[1].Hash)
		}
		r := mustVerify(t, e.log)
		if !r.OK || r.Events != 3 || r.HeadSeq != 3 || r.HeadHash != evs[2].Hash || r.FirstBad != 0 || r.Problem != "" {
			t.Fatalf("verify = %+v, want OK through event 3", r)
		}
	})

	t.Run("OKActorAndDefaults", func(t *testing.T) {
		e := newEnv(t)
		ctx := audit.WithActor(ctx, reviewer)
		ev, err := e.log.Append(ctx, audit.Entry{Action: "auth.signin_failed", ObjectType: "user", Actor: &audit.Actor{Name: strings.Repeat("x", 10000) + "\xff"}})
		if err != nil {
			t.Fatal(err)
		}
		if ev.ActorID != "anonymous" || len(ev.ActorName) != 256 || ev.Details != nil {
			t.Fatalf("got actor %q and a %d-byte name, details %v; want anonymous, cut to 256, none", ev.ActorID, len(ev.ActorName), ev.Details)
		}
		ev, err = e.log.Append(context.Background(), audit.Entry{Action: "job.run", ObjectType: "job"})
		if err != nil || ev.ActorID != audit.System.ID {
			t.Fatalf("no actor anywhere: %v, actor %q; want system", err, ev.ActorID)
		}
		if r := mustVerify(t, e.log); !r.OK {
			t.Fatal(r.Problem)
		}
	})

	t.Run("OKNewInstanceContinues", func(t *testing.T) {
		e := newEnv(t)
		appendN(t, e.log, 4)
		later := audit.New(e.db, e.files, e.clock.Now) // a restarted server
		ev := appendN(t, later, 1)[0]
		if ev.Seq != 5 {
			t.Fatalf("a new Log appended seq %d, want 5", ev.Seq)
		}
		if r := mustVerify(t, later); !r.OK || r.Events != 5 {
			t.Fatalf("verify = %+v", r)
		}
	})

	for name, entry := range map[string]audit.Entry{
		"ErrInvalidNoAction":       {ObjectType: "user"},
		"ErrInvalidNoObjectType":   {Action: "user.create"},
		"ErrInvalidActionSpaces":   {Action: "user create", ObjectType: "user"},
		"ErrInvalidDetailKey":      {Action: "user.create", ObjectType: "user", Details: map[string]string{"a.b": "x"}},
		"ErrInvalidDetailOperator": {Action: "user.create", ObjectType: "user", Details: map[string]string{"$set": "x"}},
		"ErrInvalidDetailValue":    {Action: "user.create", ObjectType: "user", Details: map[string]string{"note": strings.Repeat("x", audit.MaxDetailValue+1)}},
		"ErrInvalidTooManyDetails": {Action: "user.create", ObjectType: "user", Details: func() map[string]string {
			d := map[string]string{}
			for i := range audit.MaxDetails + 1 {
				d["k"+strconv.Itoa(i)] = "v"
			}
			return d
		}()},
	} {
		t.Run(name, func(t *testing.T) {
			e := newEnv(t)
			if _, err := e.log.Append(ctx, entry); !errs.Is(err, errs.Invalid) {
				t.Fatalf("got %v, want invalid", err)
			}
			if n, _ := e.events().Count(ctx, bson.M{}); n != 0 {
				t.Fatalf("%d events stored after a refused entry", n)
			}
		})
	}
}

// TestConcurrentAppends races 8 goroutines on each of two Logs (two server
// instances) sharing one database: the result must be one unbroken chain.
func TestConcurrentAppends(t *testing.T) {
	e := newEnv(t)
	logs := []*audit.Log{e.log, audit.New(e.db, e.files, e.clock.Now)}
	const perGoroutine = 12
	var wg sync.WaitGroup
	var mu sync.Mutex
	seen := map[int64]bool{}
	for _, l := range logs {
		for g := range 8 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				ctx := audit.WithActor(context.Background(), audit.Actor{ID: "u_" + strconv.Itoa(g)})
				for i := range perGoroutine {
					ev, err := l.Append(ctx, audit.Entry{Action: "file.download", ObjectType: "file", ObjectID: strconv.Itoa(i)})
					if err != nil {
						t.Error(err)
						return
					}
					mu.Lock()
					if seen[ev.Seq] {
						t.Errorf("sequence %d handed out twice", ev.Seq)
					}
					seen[ev.Seq] = true
					mu.Unlock()
				}
			}()
		}
	}
	wg.Wait()
	const total = 2 * 8 * perGoroutine
	if len(seen) != total {
		t.Fatalf("%d events appended, want %d", len(seen), total)
	}
	r := mustVerify(t, e.log)
	if !r.OK || r.Events != total || r.HeadSeq != total {
		t.Fatalf("verify = %+v, want one intact chain of %d", r, total)
	}
}

// setEvent overwrites the stored contents of event seq with ev's, as a
// database administrator could.
func setEvent(t *testing.T, c *store.Collection, seq int64, ev audit.Event) {
	t.Helper()
	ok, err := c.Update(context.Background(), bson.M{"_id": seq}, bson.M{"$set": bson.M{
		"time": ev.Time, "actor": ev.ActorID, "actor_name": ev.ActorName, "actor_ip": ev.ActorIP,
		"action": ev.Action, "object_type": ev.ObjectType, "object_id": ev.ObjectID, "domain": ev.Domain,
		"details": ev.Details, "prev": ev.Prev, "hash": ev.Hash,
	}})
	if err != nil || !ok {
		t.Fatalf("tamper with event %d: matched %v, %v", seq, ok, err)
	}
}

func TestVerifyTampering(t *testing.T) {
	ctx := context.Background()

	t.Run("ErrModified", func(t *testing.T) {
		e := newEnv(t)
		appendN(t, e.log, 10)
		if ok, err := e.events().Update(ctx, bson.M{"_id": 4}, bson.M{"$set": bson.M{"details.version": "9.9"}}); err != nil || !ok {
			t.Fatalf("tamper: %v %v", ok, err)
		}
		r := mustVerify(t, e.log)
		wantBroken(t, r, 4, "event 4 was modified (its hash does not match its contents)")
		if r.Events != 10 || r.HeadSeq != 10 {
			t.Fatalf("verify stopped early: %+v", r)
		}
	})

	t.Run("ErrModifiedAndRehashed", func(t *testing.T) {
		e := newEnv(t)
		evs := appendN(t, e.log, 10)
		ev := evs[3]
		ev.ActorID = "someone-else"
		ev.Hash = ev.ComputeHash()
		setEvent(t, e.events(), 4, ev)
		wantBroken(t, mustVerify(t, e.log), 5, "event 5 does not follow event 4 (chain broken or reordered)")
	})

	t.Run("ErrDeleted", func(t *testing.T) {
		e := newEnv(t)
		appendN(t, e.log, 10)
		if err := e.events().Delete(ctx, bson.M{"_id": 5}); err != nil {
			t.Fatal(err)
		}
		wantBroken(t, mustVerify(t, e.log), 5, "event 5 is missing")
	})

	t.Run("ErrDeletedFirst", func(t *testing.T) {
		e := newEnv(t)
		appendN(t, e.log, 3)
		for _, seq := range []int64{1, 2} {
			if err := e.events().Delete(ctx, bson.M{"_id": seq}); err != nil {
				t.Fatal(err)
			}
		}
		wantBroken(t, mustVerify(t, e.log), 1, "events 1 to 2 are missing")
	})

	t.Run("ErrReordered", func(t *testing.T) {
		e := newEnv(t)
		evs := appendN(t, e.log, 10)
		setEvent(t, e.events(), 6, evs[6])
		setEvent(t, e.events(), 7, evs[5])
		wantBroken(t, mustVerify(t, e.log), 6, "event 6 does not follow event 5 (chain broken or reordered)")
	})

	t.Run("ErrTruncatedAfterSeal", func(t *testing.T) {
		e := newEnv(t)
		appendN(t, e.log, 10)
		s, err := e.log.Seal(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, seq := range []int64{9, 10} {
			if err := e.events().Delete(ctx, bson.M{"_id": seq}); err != nil {
				t.Fatal(err)
			}
		}
		r := mustVerify(t, e.log)
		wantBroken(t, r, 9, "names event 10 but the log ends at 8 (events were deleted from the end)")
		if r.BadSeal != s.Key {
			t.Fatalf("report names seal %q, want %q", r.BadSeal, s.Key)
		}
	})

	t.Run("ErrRewrittenBeforeSeal", func(t *testing.T) {
		// A consistent rewrite of the tail (every hash recomputed) leaves
		// the chain intact; only the seal can tell.
		e := newEnv(t)
		appendN(t, e.log, 6)
		s, err := e.log.Seal(ctx)
		if err != nil {
			t.Fatal(err)
		}
		var ev audit.Event
		if err := e.events().Get(ctx, bson.M{"_id": 6}, &ev); err != nil {
			t.Fatal(err)
		}
		ev.Details["version"] = "0.0"
		ev.Hash = ev.ComputeHash()
		setEvent(t, e.events(), 6, ev)
		r := mustVerify(t, e.log)
		wantBroken(t, r, 6, "names event 6 with hash "+s.Hash[:12])
		if r.BadSeal != s.Key {
			t.Fatalf("report names seal %q, want %q", r.BadSeal, s.Key)
		}
	})

	t.Run("ErrForgedSeal", func(t *testing.T) {
		e := newEnv(t)
		appendN(t, e.log, 8)
		key := putSeal(t, e.files, 5, strings.Repeat("ab", 32), e.clock.Now())
		r := mustVerify(t, e.log)
		wantBroken(t, r, 5, "names event 5 with hash abababababab… but the log has")
		if r.BadSeal != key || r.Seals != 1 {
			t.Fatalf("report names seal %q of %d, want %q of 1", r.BadSeal, r.Seals, key)
		}
	})

	t.Run("ErrAlteredSeal", func(t *testing.T) {
		e := newEnv(t)
		evs := appendN(t, e.log, 3)
		body := sealBody(3, evs[2].Hash, e.clock.Now())
		key := fmt.Sprintf("audit/seals/%020d-%s.json", 3, sum([]byte("what it said before")))
		if _, err := e.files.Put(ctx, key, bytes.NewReader(body), int64(len(body)), blob.PutOptions{}); err != nil {
			t.Fatal(err)
		}
		r := mustVerify(t, e.log)
		if r.OK || r.FirstBad != 0 || r.BadSeal != key || !strings.Contains(r.Problem, "was altered") {
			t.Fatalf("verify = %+v, want the altered seal named", r)
		}
		if _, err := e.log.Seals(ctx); !errs.Is(err, errs.Conflict) {
			t.Fatalf("listing seals with a damaged one: %v, want conflict", err)
		}
	})

	t.Run("ErrHiddenSeal", func(t *testing.T) {
		// A plain DELETE on a versioned bucket leaves a delete marker: the
		// locked seal survives but vanishes from an ordinary listing.
		e := newEnv(t)
		appendN(t, e.log, 2)
		e.log.SealRetention = time.Hour
		s, err := e.log.Seal(ctx)
		if err != nil {
			t.Fatal(err)
		}
		srv := testkit.S3(t)
		raw, err := minio.New(srv.Endpoint, &minio.Options{Creds: credentials.NewStaticV4(srv.AccessKey, srv.SecretKey, ""), Secure: srv.TLS, Region: "us-east-1"})
		if err != nil {
			t.Fatal(err)
		}
		if err := raw.RemoveObject(ctx, e.files.Bucket(), s.Key, minio.RemoveObjectOptions{}); err != nil {
			t.Fatal(err)
		}
		r := mustVerify(t, e.log)
		if r.OK || r.BadSeal != s.Key || !strings.Contains(r.Problem, "was deleted") {
			t.Fatalf("verify = %+v, want the hidden seal named", r)
		}
	})

	t.Run("ErrNotASeal", func(t *testing.T) {
		e := newEnv(t)
		appendN(t, e.log, 2)
		if _, err := e.files.Put(ctx, "audit/seals/latest.json", strings.NewReader("{}"), -1, blob.PutOptions{}); err != nil {
			t.Fatal(err)
		}
		r := mustVerify(t, e.log)
		if r.OK || r.BadSeal != "audit/seals/latest.json" || !strings.Contains(r.Problem, "not a seal") {
			t.Fatalf("verify = %+v, want the stray object named", r)
		}
	})
}

func sum(b []byte) string {
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:])
}

func sealBody(seq int64, hash string, at time.Time) []byte {
	b, _ := json.Marshal(map[string]any{"format": "dossier.audit.seal/1", "seq": seq, "hash": hash, "time": at, "events": seq, "retain_until": at.Add(time.Hour)})
	return b
}

// putSeal plants a well-formed seal, as someone with write access to the
// bucket could, and returns its key.
func putSeal(t *testing.T, files *blob.Store, seq int64, hash string, at time.Time) string {
	t.Helper()
	body := sealBody(seq, hash, at)
	key := fmt.Sprintf("audit/seals/%020d-%s.json", seq, sum(body))
	if _, err := files.Put(context.Background(), key, bytes.NewReader(body), int64(len(body)), blob.PutOptions{}); err != nil {
		t.Fatal(err)
	}
	return key
}

func TestSeal(t *testing.T) {
	ctx := context.Background()

	t.Run("OK", func(t *testing.T) {
		e := newEnv(t)
		evs := appendN(t, e.log, 5)
		s, err := e.log.Seal(ctx)
		if err != nil {
			t.Fatal(err)
		}
		now := e.clock.Now().Truncate(time.Millisecond)
		if s.Seq != 5 || s.Hash != evs[4].Hash || s.Events != 5 || !s.Time.Equal(now) || !s.RetainUntil.Equal(now.AddDate(6, 0, 0)) {
			t.Fatalf("seal = %+v, want event 5 retained six years from %v", s, now)
		}
		if !strings.HasPrefix(s.Key, "audit/seals/00000000000000000005-") || s.VersionID == "" {
			t.Fatalf("seal stored as %q version %q", s.Key, s.VersionID)
		}
		if err := e.files.Delete(ctx, s.Key, s.VersionID); !errs.Is(err, errs.Conflict) {
			t.Fatalf("deleting a seal: %v, want conflict (compliance retention)", err)
		}
		seals, err := e.log.Seals(ctx)
		if err != nil || len(seals) != 1 || seals[0].Key != s.Key || seals[0].Hash != s.Hash || !seals[0].RetainUntil.Equal(s.RetainUntil) {
			t.Fatalf("seals = %+v, %v; want the one just made", seals, err)
		}
		r := mustVerify(t, e.log)
		if !r.OK || r.Seals != 1 {
			t.Fatalf("verify = %+v, want OK with one seal", r)
		}
	})

	t.Run("OKIdempotent", func(t *testing.T) {
		e := newEnv(t)
		appendN(t, e.log, 2)
		e.log.SealRetention = time.Hour
		first, err := e.log.Seal(ctx)
		if err != nil {
			t.Fatal(err)
		}
		e.clock.Advance(time.Minute)
		again, err := e.log.Seal(ctx)
		if err != nil || again.Key != first.Key {
			t.Fatalf("sealing an unchanged head again: %+v, %v; want the first seal back", again, err)
		}
		appendN(t, e.log, 1)
		next, err := e.log.Seal(ctx)
		if err != nil || next.Seq != 3 {
			t.Fatalf("sealing a moved head: %+v, %v", next, err)
		}
		seals, err := e.log.Seals(ctx)
		if err != nil || len(seals) != 2 || seals[0].Seq != 2 || seals[1].Seq != 3 {
			t.Fatalf("seals = %+v, %v; want events 2 and 3, oldest first", seals, err)
		}
	})

	t.Run("ErrEmpty", func(t *testing.T) {
		e := newEnv(t)
		if _, err := e.log.Seal(ctx); !errs.Is(err, errs.Invalid) {
			t.Fatalf("sealing an empty log: %v, want invalid", err)
		}
		if sealed, err := e.log.SealIfDue(ctx); sealed || err != nil {
			t.Fatalf("SealIfDue on an empty log: %v, %v", sealed, err)
		}
		if r := mustVerify(t, e.log); !r.OK || r.Events != 0 {
			t.Fatalf("verify of an empty log: %+v", r)
		}
	})

	t.Run("OKIfDue", func(t *testing.T) {
		e := newEnv(t)
		e.log.SealRetention = time.Hour
		due := func(want bool) {
			t.Helper()
			sealed, err := e.log.SealIfDue(ctx)
			if err != nil || sealed != want {
				t.Fatalf("SealIfDue = %v, %v; want %v", sealed, err, want)
			}
		}
		appendN(t, e.log, 3)
		due(true) // no seal yet
		due(false)
		appendN(t, e.log, 1)
		e.clock.Advance(23 * time.Hour)
		due(false) // the head moved, but the seal is not a day old
		e.clock.Advance(2 * time.Hour)
		due(true)
		e.clock.Advance(48 * time.Hour)
		due(false) // old seal, but nothing new
	})

	t.Run("OKIfDueDespitePlantedSeal", func(t *testing.T) {
		e := newEnv(t)
		e.log.SealRetention = time.Hour
		appendN(t, e.log, 3)
		if _, err := e.log.Seal(ctx); err != nil {
			t.Fatal(err)
		}
		appendN(t, e.log, 2)
		// A seal for the head with a wrong hash and a time far ahead must
		// not put off the real one.
		putSeal(t, e.files, 5, strings.Repeat("cd", 32), e.clock.Now().AddDate(1, 0, 0))
		e.clock.Advance(25 * time.Hour)
		if sealed, err := e.log.SealIfDue(ctx); err != nil || !sealed {
			t.Fatalf("SealIfDue with a planted seal: %v, %v; want sealed", sealed, err)
		}
	})

	t.Run("OKDaily", func(t *testing.T) {
		e := newEnv(t)
		e.log.SealRetention = time.Hour
		appendN(t, e.log, 2)
		ctx, cancel := context.WithCancel(ctx)
		done := make(chan struct{})
		go func() {
			defer close(done)
			e.log.SealDaily(ctx, 10*time.Millisecond, testkit.Logger(t))
		}()
		defer func() { cancel(); <-done }()
		deadline := time.Now().Add(20 * time.Second)
		for {
			seals, err := e.log.Seals(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			if len(seals) == 1 {
				break
			}
			if time.Now().After(deadline) {
				t.Fatal("the daily loop never sealed")
			}
			time.Sleep(5 * time.Millisecond)
		}
	})
}

func TestExport(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	early := appendN(t, e.log, 3)
	e.clock.Advance(24 * time.Hour)
	late := appendN(t, e.log, 2)
	all := append(append([]audit.Event(nil), early...), late...)

	t.Run("OKJSONL", func(t *testing.T) {
		var buf bytes.Buffer
		if err := e.log.Export(ctx, &buf, time.Time{}, "jsonl"); err != nil {
			t.Fatal(err)
		}
		got := decodeJSONL(t, &buf)
		if len(got) != len(all) {
			t.Fatalf("%d events exported, want %d", len(got), len(all))
		}
		for i, ev := range got {
			if ev.Seq != all[i].Seq || ev.Hash != all[i].Hash || ev.ComputeHash() != ev.Hash || ev.Details["note"] != "ok <&> ✓" {
				t.Fatalf("exported event %d = %+v, want %+v", i, ev, all[i])
			}
		}
	})

	t.Run("OKJSONLSince", func(t *testing.T) {
		var buf bytes.Buffer
		if err := e.log.Export(ctx, &buf, late[0].Time, "jsonl"); err != nil {
			t.Fatal(err)
		}
		got := decodeJSONL(t, &buf)
		if len(got) != 2 || got[0].Seq != 4 || got[1].Seq != 5 {
			t.Fatalf("exported %+v since %v, want events 4 and 5", got, late[0].Time)
		}
	})

	t.Run("OKCSV", func(t *testing.T) {
		var buf bytes.Buffer
		if err := e.log.Export(ctx, &buf, late[0].Time.Add(-time.Second), "csv"); err != nil {
			t.Fatal(err)
		}
		rows, err := csv.NewReader(&buf).ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		if strings.Join(rows[0], ",") != "seq,time,actor,actor_name,actor_ip,action,object_type,object_id,domain,details,prev,hash" || len(rows) != 3 {
			t.Fatalf("csv header %v and %d rows, want the header and 2 rows", rows[0], len(rows)-1)
		}
		for i, row := range rows[1:] {
			seq, _ := strconv.ParseInt(row[0], 10, 64)
			at, err := time.Parse(time.RFC3339Nano, row[1])
			if err != nil {
				t.Fatal(err)
			}
			ev := audit.Event{Seq: seq, Time: at, ActorID: row[2], ActorName: row[3], ActorIP: row[4], Action: row[5],
				ObjectType: row[6], ObjectID: row[7], Domain: row[8], Prev: row[10], Hash: row[11]}
			if err := json.Unmarshal([]byte(row[9]), &ev.Details); err != nil {
				t.Fatal(err)
			}
			if ev.Seq != late[i].Seq || ev.ComputeHash() != late[i].Hash || ev.Hash != late[i].Hash {
				t.Fatalf("csv row %d does not rehash to event %d: %v", i, late[i].Seq, row)
			}
		}
	})

	t.Run("ErrFormat", func(t *testing.T) {
		var buf bytes.Buffer
		if err := e.log.Export(ctx, &buf, time.Time{}, "xml"); !errs.Is(err, errs.Invalid) || buf.Len() != 0 {
			t.Fatalf("export as xml: %v, %d bytes written; want invalid and nothing", err, buf.Len())
		}
	})
}

func decodeJSONL(t *testing.T, r io.Reader) []audit.Event {
	t.Helper()
	var out []audit.Event
	dec := json.NewDecoder(r)
	for dec.More() {
		var ev audit.Event
		if err := dec.Decode(&ev); err != nil {
			t.Fatal(err)
		}
		out = append(out, ev)
	}
	return out
}

func TestList(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	appendN(t, e.log, 6) // objects ISMS-POL-000, -001, -002, -000, -001, -002
	e.clock.Advance(time.Hour)
	signin, err := e.log.Append(ctx, audit.Entry{Action: "auth.signin", ObjectType: "session", ObjectID: "s1", Actor: &audit.Actor{ID: "u_9"}})
	if err != nil {
		t.Fatal(err)
	}
	seqs := func(evs []audit.Event) string {
		var s []string
		for _, ev := range evs {
			s = append(s, strconv.FormatInt(ev.Seq, 10))
		}
		return strings.Join(s, " ")
	}
	for _, c := range []struct {
		name string
		q    audit.Query
		want string
	}{
		{"OKAll", audit.Query{}, "7 6 5 4 3 2 1"},
		{"OKObjectHistory", audit.Query{ObjectType: "revision", ObjectID: "ISMS-POL-001"}, "5 2"},
		{"OKPage", audit.Query{Limit: 3}, "7 6 5"},
		{"OKNextPage", audit.Query{Before: 5, Limit: 3}, "4 3 2"},
		{"OKActor", audit.Query{ActorID: "u_9"}, "7"},
		{"OKActionPrefix", audit.Query{Action: "revision."}, "6 5 4 3 2 1"},
		{"OKAction", audit.Query{Action: "auth.signin"}, "7"},
		{"OKActionPrefixNoMatch", audit.Query{Action: "auth.sign"}, ""},
		{"OKSince", audit.Query{Since: signin.Time}, "7"},
		{"OKUntil", audit.Query{Until: signin.Time, Domain: "stmary", Limit: 2}, "6 5"},
	} {
		t.Run(c.name, func(t *testing.T) {
			got, err := e.log.List(ctx, c.q)
			if err != nil {
				t.Fatal(err)
			}
			if seqs(got) != c.want {
				t.Fatalf("listed %q, want %q", seqs(got), c.want)
			}
		})
	}
	t.Run("ErrLimit", func(t *testing.T) {
		if _, err := e.log.List(ctx, audit.Query{Limit: audit.MaxListLimit + 1}); !errs.Is(err, errs.Invalid) {
			t.Fatalf("got %v, want invalid", err)
		}
	})
}

func TestMigrate(t *testing.T) {
	db := testkit.MustOpenDB(t)
	for range 2 {
		if err := audit.Migrate(context.Background(), db); err != nil {
			t.Fatal(err)
		}
	}
}

// BenchmarkAppend measures one instance appending on the embedded engine.
func BenchmarkAppend(b *testing.B) {
	e := newEnv(b)
	ctx := audit.WithActor(context.Background(), reviewer)
	entry := audit.Entry{Action: "file.download", ObjectType: "file", ObjectID: "evidence/soc2.pdf", Domain: "stmary", Details: map[string]string{"version": "3"}}
	for b.Loop() {
		if _, err := e.log.Append(ctx, entry); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkVerify walks a chain of 10,000 events; ns/op is one whole
// verification.
func BenchmarkVerify(b *testing.B) {
	e := newEnv(b)
	ctx := audit.WithActor(context.Background(), reviewer)
	entry := audit.Entry{Action: "file.download", ObjectType: "file", ObjectID: "evidence/soc2.pdf", Domain: "stmary"}
	for range 10_000 {
		if _, err := e.log.Append(ctx, entry); err != nil {
			b.Fatal(err)
		}
	}
	for b.Loop() {
		r, err := e.log.Verify(ctx)
		if err != nil || !r.OK || r.Events != 10_000 {
			b.Fatalf("%+v %v", r, err)
		}
	}
}

func TestCSVExportIsInertInSpreadsheets(t *testing.T) {
	e := newEnv(t)
	ctx := audit.WithActor(context.Background(), audit.Actor{ID: "anonymous", Name: "=HYPERLINK(\"http://evil.example\")"})
	if _, err := e.log.Append(ctx, audit.Entry{Action: "auth.signin_failed", ObjectType: "user"}); err != nil {
		t.Fatal(err)
	}
	var out strings.Builder
	if err := e.log.Export(ctx, &out, time.Time{}, "csv"); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(out.String(), ",\"=HYPERLINK") || !strings.Contains(out.String(), "'=HYPERLINK") {
		t.Fatalf("a formula reached the CSV as is:\n%s", out.String())
	}
}
