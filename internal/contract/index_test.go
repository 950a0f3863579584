package contract_test

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"dossier/internal/contract"
	"dossier/internal/testkit"
)

// TestIndexRoundTrip: what the index keeps of a contract reads back as it
// was, separators in names made spaces.
func TestIndexRoundTrip(t *testing.T) {
	s := contract.New(testkit.MustOpenDB(t), contract.Options{})
	ctx := context.Background()
	terms := contract.AllTerms(10)
	terms.HHSAccess = false
	now := time.Now().UTC().Truncate(time.Millisecond)
	c := contract.Contract{ID: "c1", Domain: "general", Version: 7, VendorID: "v1", VendorName: "Acme\x1fImaging\x1e Inc.", Type: contract.BAA,
		Title: "PACS BAA", CounterpartySignatory: "Pat", Status: contract.InForce, Effective: contract.Day(now),
		Expiry: contract.Day(now).AddDate(1, 0, 0), AutoRenewMonths: 12, NoticeDays: 30, Owner: "u1", BAA: &terms,
		Hold: contract.LegalHold{On: true, Reason: "x"}, UpdatedAt: now}
	if err := contract.IndexOf(ctx, s, c); err != nil {
		t.Fatal(err)
	}
	got, missing, err := contract.Indexed(ctx, s, "general")
	if err != nil {
		t.Fatal(err)
	}
	want := c
	want.VendorName, want.BAA, want.Hold = "Acme Imaging  Inc.", nil, contract.LegalHold{On: true}
	if g := got["c1"]; !equalContracts(g, want) || !slices.Equal(missing["c1"], []string{"hhs_access"}) {
		t.Fatalf("got  %+v %v\nwant %+v", g, missing["c1"], want)
	}
	if err := contract.ParseLine("c1\x1f7\x1fv1"); err == nil {
		t.Fatal("a short line parsed")
	}
	c2 := c
	c2.ID, c2.Domain = "c2", "clinic"
	if err := contract.IndexOf(ctx, s, c2); err != nil {
		t.Fatal(err)
	}
	if d, err := s.Domains(ctx); err != nil || !slices.Equal(d, []string{"clinic", "general"}) {
		t.Fatalf("domains %v, %v", d, err)
	}
}

func equalContracts(a, b contract.Contract) bool {
	return a.ID == b.ID && a.Domain == b.Domain && a.Version == b.Version && a.VendorID == b.VendorID && a.VendorName == b.VendorName &&
		a.Type == b.Type && a.Title == b.Title && a.CounterpartySignatory == b.CounterpartySignatory && a.Status == b.Status &&
		a.Effective.Equal(b.Effective) && a.Expiry.Equal(b.Expiry) && a.Evergreen == b.Evergreen && a.AutoRenewMonths == b.AutoRenewMonths &&
		a.NoticeDays == b.NoticeDays && a.Owner == b.Owner && a.Hold == b.Hold && a.UpdatedAt.Equal(b.UpdatedAt)
}

// TestIndexKeepsNewerLines: a writer that lost a race never puts an older
// state of a contract back; a disposed contract leaves the index.
func TestIndexKeepsNewerLines(t *testing.T) {
	s := contract.New(testkit.MustOpenDB(t), contract.Options{})
	ctx := context.Background()
	titles := func() map[string]string {
		cs, _, err := contract.Indexed(ctx, s, "general")
		if err != nil {
			t.Fatal(err)
		}
		out := map[string]string{}
		for id, c := range cs {
			out[id] = c.Title
		}
		return out
	}
	c := contract.Contract{ID: "c1", Domain: "general", Version: 5, Title: "Newer", Status: contract.Draft}
	if err := contract.IndexOf(ctx, s, c); err != nil {
		t.Fatal(err)
	}
	old := c
	old.Version, old.Title = 4, "Older"
	other := contract.Contract{ID: "c2", Domain: "general", Version: 1, Title: "Other", Status: contract.Draft}
	if err := contract.IndexOf(ctx, s, old, other); err != nil {
		t.Fatal(err)
	}
	if got := titles(); got["c1"] != "Newer" || got["c2"] != "Other" || len(got) != 2 {
		t.Fatalf("index %v", got)
	}
	gone := c
	gone.Version, gone.Disposed = 6, &contract.Disposal{}
	if err := contract.IndexOf(ctx, s, gone); err != nil {
		t.Fatal(err)
	}
	if got := titles(); len(got) != 1 || got["c2"] != "Other" {
		t.Fatalf("a disposed contract stays listed: %v", got)
	}
}

// TestIndexConcurrentWriters: thirty contracts of one bucket written at
// once all end up in it.
func TestIndexConcurrentWriters(t *testing.T) {
	s := contract.New(testkit.MustOpenDB(t), contract.Options{})
	ctx := context.Background()
	var ids []string
	for i := 0; len(ids) < 30; i++ {
		id := fmt.Sprintf("c%d", i)
		if contract.BucketOf("general", id) == contract.BucketOf("general", "c0") {
			ids = append(ids, id)
		}
	}
	var wg sync.WaitGroup
	for _, id := range ids {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := contract.IndexOf(ctx, s, contract.Contract{ID: id, Domain: "general", Version: 1, Title: id, Status: contract.Draft}); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	cs, _, err := contract.Indexed(ctx, s, "general")
	if err != nil {
		t.Fatal(err)
	}
	if len(cs) != len(ids) {
		t.Fatalf("%d lines, want %d", len(cs), len(ids))
	}
}
