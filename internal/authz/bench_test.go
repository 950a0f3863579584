package authz_test

import (
	"context"
	"fmt"
	"testing"

	"go.mongodb.org/mongo-driver/bson"

	"dossier/internal/authz"
)

// benchUsers is how many role holders the benchmark policy has: a large
// hospital's staff.
const benchUsers = 5000

// openBench returns an Authorizer over a policy of realistic size: the
// built-in roles, benchUsers users each holding one role in the hospital,
// 200 documents in group:policies and a few grants.
func openBench(b *testing.B) *authz.Authorizer {
	b.Helper()
	db, a := open(b)
	ctx := context.Background()
	roles := a.RoleNames()
	// Written straight into the collection: going through AddRole would
	// take minutes on the embedded engine. The _id only has to be unique.
	var docs []any
	for i := range benchUsers {
		docs = append(docs, bson.M{"_id": fmt.Sprintf("bench-g-%d", i), "ptype": "g",
			"v0": fmt.Sprintf("u%d", i), "v1": authz.RoleSubject(roles[i%len(roles)]), "v2": hospital})
	}
	for i := range 200 {
		docs = append(docs, bson.M{"_id": fmt.Sprintf("bench-g2-%d", i), "ptype": "g2",
			"v0": fmt.Sprintf("document:%d", i), "v1": "group:policies", "v2": hospital})
	}
	if err := db.Collection("casbin_rules").InsertMany(ctx, docs); err != nil {
		b.Fatal(err)
	}
	must(b, a.Reload(ctx))
	must(b, a.AddRole(ctx, "sam", authz.RoleStaff, hospital))
	must(b, a.Grant(ctx, "role:staff", hospital, "group:policies", authz.Review))
	for i := range 10 {
		must(b, a.Grant(ctx, fmt.Sprintf("u%d", i), hospital, fmt.Sprintf("vendor:%d", i), authz.Approve))
	}
	return a
}

// BenchmarkCanWarm asks the same question again and again: the cached path
// every page takes for its buttons.
func BenchmarkCanWarm(b *testing.B) {
	a := openBench(b)
	if !a.Can("sam", hospital, "document:7", authz.View) {
		b.Fatal("setup: denied")
	}
	for b.Loop() {
		a.Can("sam", hospital, "document:7", authz.View)
	}
}

// BenchmarkCanCold clears the decision cache before every question, so each
// one runs Casbin's matcher over the rules: an allow from a built-in role,
// an allow through a group grant, and a deny (which scans every rule).
func BenchmarkCanCold(b *testing.B) {
	a := openBench(b)
	for _, c := range []struct {
		name           string
		object, action string
		want           bool
	}{
		{"RoleAllow", "document:7", authz.View, true},
		{"GroupAllow", "document:7", authz.Review, true},
		{"Deny", "document:7", authz.Approve, false},
	} {
		b.Run(c.name, func(b *testing.B) {
			if a.Can("sam", hospital, c.object, c.action) != c.want {
				b.Fatal("setup: wrong decision")
			}
			for b.Loop() {
				authz.InvalidateCache(a)
				a.Can("sam", hospital, c.object, c.action)
			}
		})
	}
}

// BenchmarkViewerLookups is what every signed-in request asks besides Can:
// the user's domains and roles.
func BenchmarkViewerLookups(b *testing.B) {
	a := openBench(b)
	for b.Loop() {
		a.Domains("sam")
		a.Roles("sam", hospital)
	}
}
