package authz_test

import (
	"context"
	"fmt"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/bson"

	"dossier/internal/audit"
	"dossier/internal/authz"
	"dossier/internal/errs"
	"dossier/internal/store"
	"dossier/internal/testkit"
)

const (
	hospital = "hospital"
	clinic   = "clinic"
)

// The vocabulary, written out here so a change to the package's lists
// shows up as a failing test.
var (
	classes = []string{"vendor", "assessment", "contract", "document", "user", "grant", "audit"}
	actions = []string{"view", "edit", "approve", "review", "revise", "publish", "retire", "acknowledge", "manage", "export"}
)

// allowed is the authorization matrix: for each built-in role and object
// class, the actions the role allows. Everything not listed is denied.
var allowed = map[string]map[string]string{
	"admin":               {"user": "view manage", "grant": "view manage", "audit": "view"},
	"procurement":         {"vendor": "view edit", "assessment": "view edit", "contract": "view edit", "document": "view acknowledge"},
	"security_reviewer":   {"vendor": "view approve", "assessment": "view edit review", "contract": "view", "document": "view acknowledge"},
	"legal":               {"vendor": "view", "contract": "view edit manage", "document": "view acknowledge"},
	"document_controller": {"document": "view revise publish retire manage acknowledge"},
	"approver":            {"vendor": "view", "assessment": "view approve", "document": "view review approve acknowledge"},
	"staff":               {"document": "view acknowledge"},
	"auditor": {"vendor": "view", "assessment": "view", "contract": "view", "document": "view",
		"user": "view", "grant": "view", "audit": "view export"},
}

// open returns a migrated database and an Authorizer on it.
func open(t testing.TB) (*store.Store, *authz.Authorizer) {
	t.Helper()
	db := testkit.MustOpenDB(t)
	ctx := context.Background()
	if err := authz.Migrate(ctx, db); err != nil {
		t.Fatal(err)
	}
	a, err := authz.Open(ctx, db, nil)
	if err != nil {
		t.Fatal(err)
	}
	return db, a
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func TestMatrix(t *testing.T) {
	_, a := open(t)
	ctx := context.Background()

	if !slices.Equal(authz.Actions, actions) || !slices.Equal(authz.Classes, classes) {
		t.Fatalf("vocabulary changed: actions %v, classes %v; update this test's matrix", authz.Actions, authz.Classes)
	}
	var names []string
	for _, r := range authz.BuiltinRoles() {
		names = append(names, r.Name)
		if r.Label == "" || r.Description == "" {
			t.Errorf("role %s has no label or description", r.Name)
		}
	}
	if !slices.Equal(names, a.RoleNames()) || len(names) != len(allowed) {
		t.Fatalf("built-in roles %v, matrix has %d", names, len(allowed))
	}

	for _, role := range names {
		must(t, a.AddRole(ctx, "u-"+role, role, hospital))
	}
	for _, role := range names {
		t.Run(role, func(t *testing.T) {
			user := "u-" + role
			if got := a.Roles(user, hospital); !slices.Equal(got, []string{role}) {
				t.Errorf("roles %v", got)
			}
			for _, class := range classes {
				for _, action := range actions {
					want := slices.Contains(strings.Fields(allowed[role][class]), action)
					for _, obj := range []string{class + ":42", class + ":*"} {
						if got := a.Can(user, hospital, obj, action); got != want {
							t.Errorf("%s %s %s: allowed=%v, want %v", role, action, obj, got, want)
						}
						if err := a.Check(user, hospital, obj, action); (err == nil) != want || (err != nil && !errs.Is(err, errs.Forbidden)) {
							t.Errorf("Check %s %s %s: %v", role, action, obj, err)
						}
						if a.Can(user, clinic, obj, action) {
							t.Errorf("%s may %s %s in a domain where the role was not given", role, action, obj)
						}
						if a.Can("u-nobody", hospital, obj, action) {
							t.Errorf("a user with no role may %s %s", action, obj)
						}
					}
				}
			}
		})
	}
}

func TestCheckMessage(t *testing.T) {
	_, a := open(t)
	must(t, a.AddRole(context.Background(), "u1", authz.RoleStaff, hospital))
	for _, c := range []struct{ object, action, want string }{
		{"document:7", authz.Approve, "You may not approve this document."},
		{"audit:*", authz.Export, "You may not export the audit trail."},
		{"vendor:*", authz.Edit, "You may not edit vendors."},
		{"group:policies", authz.Manage, "You may not manage this group."},
		{"document:7", "fly", "You may not do that."},
	} {
		err := a.Check("u1", hospital, c.object, c.action)
		if !errs.Is(err, errs.Forbidden) || errs.Message(err) != c.want {
			t.Errorf("%s %s: %v, want %q", c.action, c.object, err, c.want)
		}
	}
}

func TestGrants(t *testing.T) {
	db, a := open(t)
	ctx := context.Background()

	t.Run("OKDirectGrant", func(t *testing.T) {
		must(t, a.Grant(ctx, "ann", hospital, "document:7", authz.Approve))
		if !a.Can("ann", hospital, "document:7", authz.Approve) {
			t.Error("ann may not approve document:7 after the grant")
		}
		for _, c := range []struct{ domain, object, action string }{
			{hospital, "document:8", authz.Approve},
			{hospital, "document:*", authz.Approve}, // one object, not the class
			{hospital, "document:7", authz.View},
			{clinic, "document:7", authz.Approve},
		} {
			if a.Can("ann", c.domain, c.object, c.action) {
				t.Errorf("ann may %s %s in %s", c.action, c.object, c.domain)
			}
		}
		want := []authz.Rule{{Subject: "ann", Domain: hospital, Object: "document:7", Action: authz.Approve}}
		if got := a.GrantsOn(hospital, "document:7"); !slices.Equal(got, want) {
			t.Errorf("grants on document:7: %v", got)
		}
	})

	t.Run("OKGroupGrant", func(t *testing.T) {
		must(t, a.AddRole(ctx, "sam", authz.RoleStaff, hospital))
		must(t, a.AddRole(ctx, "sam", authz.RoleStaff, clinic))
		if a.Can("sam", hospital, "document:7", authz.Review) {
			t.Fatal("staff may review before any grant")
		}
		must(t, a.AddToGroup(ctx, "document:7", "group:policies", hospital))
		must(t, a.Grant(ctx, "role:staff", hospital, "group:policies", authz.Review))
		if !a.Can("sam", hospital, "document:7", authz.Review) {
			t.Error("staff may not review document:7 in group:policies")
		}
		if a.Can("sam", hospital, "document:9", authz.Review) {
			t.Error("staff may review document:9, which is in no group")
		}
		if a.Can("sam", clinic, "document:7", authz.Review) {
			t.Error("the group and the grant belong to the hospital, not the clinic")
		}
		if a.Can("sam", hospital, "document:7", authz.Approve) {
			t.Error("the group grant gave more than review")
		}
		if got := a.Groups("document:7", hospital); !slices.Equal(got, []string{"group:policies"}) {
			t.Errorf("groups of document:7: %v", got)
		}
		if got := a.GroupMembers("group:policies", hospital); !slices.Equal(got, []string{"document:7"}) {
			t.Errorf("members of group:policies: %v", got)
		}
		want := []authz.Rule{{Subject: "role:staff", Domain: hospital, Object: "group:policies", Action: authz.Review}}
		if got := a.GrantsOn(hospital, "group:policies"); !slices.Equal(got, want) {
			t.Errorf("grants on group:policies: %v", got)
		}
	})

	// Each check below runs once before the change so the decision is
	// cached: the change must clear it.
	t.Run("OKRevokeAtOnce", func(t *testing.T) {
		if !a.Can("ann", hospital, "document:7", authz.Approve) {
			t.Fatal("setup: ann may not approve")
		}
		must(t, a.Revoke(ctx, "ann", hospital, "document:7", authz.Approve))
		if a.Can("ann", hospital, "document:7", authz.Approve) {
			t.Error("ann may still approve after the revoke")
		}
		must(t, a.Revoke(ctx, "ann", hospital, "document:7", authz.Approve)) // again: not an error
	})

	t.Run("OKRemoveFromGroupAtOnce", func(t *testing.T) {
		if !a.Can("sam", hospital, "document:7", authz.Review) {
			t.Fatal("setup: sam may not review")
		}
		must(t, a.RemoveFromGroup(ctx, "document:7", "group:policies", hospital))
		if a.Can("sam", hospital, "document:7", authz.Review) {
			t.Error("sam may still review document:7 after it left the group")
		}
	})

	t.Run("OKRoleChangesAtOnce", func(t *testing.T) {
		if a.Can("kim", hospital, "vendor:1", authz.Edit) {
			t.Fatal("setup: kim may edit without a role")
		}
		must(t, a.AddRole(ctx, "kim", authz.RoleProcurement, hospital))
		if !a.Can("kim", hospital, "vendor:1", authz.Edit) {
			t.Error("kim may not edit vendors right after getting procurement")
		}
		must(t, a.RemoveRole(ctx, "kim", authz.RoleProcurement, hospital))
		if a.Can("kim", hospital, "vendor:1", authz.Edit) {
			t.Error("kim may still edit vendors after losing procurement")
		}
	})

	t.Run("OKSurvivesReopen", func(t *testing.T) {
		must(t, a.Grant(ctx, "ann", hospital, "vendor:3", authz.Approve))
		b, err := authz.Open(ctx, db, nil)
		must(t, err)
		if !b.Can("ann", hospital, "vendor:3", authz.Approve) || !b.Can("sam", clinic, "document:1", authz.View) {
			t.Error("a fresh Authorizer does not see the stored grants and roles")
		}
		if b.Can("ann", hospital, "document:7", authz.Approve) {
			t.Error("a fresh Authorizer sees a revoked grant")
		}
	})
}

func TestRoles(t *testing.T) {
	_, a := open(t)
	ctx := context.Background()
	must(t, a.AddRole(ctx, "u1", authz.RoleStaff, hospital))
	must(t, a.AddRole(ctx, "u1", authz.RoleApprover, hospital))
	must(t, a.AddRole(ctx, "u1", authz.RoleAuditor, clinic))
	must(t, a.AddRole(ctx, "u1", authz.RoleStaff, hospital)) // again: not an error
	must(t, a.AddRole(ctx, "u2", authz.RoleStaff, hospital))
	must(t, a.AddToGroup(ctx, "vendor:1", "group:pacs", "lab"))

	for _, c := range []struct {
		name      string
		got, want []string
	}{
		{"roles in hospital", a.Roles("u1", hospital), []string{"approver", "staff"}},
		{"roles in clinic", a.Roles("u1", clinic), []string{"auditor"}},
		{"roles nowhere", a.Roles("u3", hospital), nil},
		{"domains", a.Domains("u1"), []string{clinic, hospital}},
		{"staff members", a.Members(authz.RoleStaff, hospital), []string{"u1", "u2"}},
	} {
		if !slices.Equal(c.got, c.want) {
			t.Errorf("%s: %v, want %v", c.name, c.got, c.want)
		}
	}
	if !a.IsRole("staff") || a.IsRole("role:staff") || a.IsRole("boss") {
		t.Error("IsRole")
	}
	must(t, a.RemoveRole(ctx, "u1", authz.RoleAuditor, clinic))
	if got := a.Domains("u1"); !slices.Equal(got, []string{hospital}) {
		t.Errorf("domains after the last clinic role went: %v", got)
	}
	if got := a.Roles("u1", clinic); got != nil {
		t.Errorf("roles in clinic after removal: %v", got)
	}
}

// TestConcurrent runs questions alongside changes and reloads; run with
// -race. Afterwards the answers match the last change.
func TestConcurrent(t *testing.T) {
	_, a := open(t)
	ctx := context.Background()
	stop := make(chan struct{})
	var readers sync.WaitGroup
	for i := range 4 {
		readers.Add(1)
		go func() {
			defer readers.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				a.Can("u1", hospital, fmt.Sprintf("document:%d", i), authz.View)
				a.Roles("u1", hospital)
				a.Domains("u1")
				a.GrantsOn(hospital, "vendor:1")
			}
		}()
	}
	for i := range 20 {
		must(t, a.AddRole(ctx, "u1", authz.RoleStaff, hospital))
		must(t, a.Grant(ctx, "u1", hospital, "vendor:1", authz.Approve))
		if i%5 == 0 {
			must(t, a.Reload(ctx))
		}
		must(t, a.RemoveRole(ctx, "u1", authz.RoleStaff, hospital))
		must(t, a.Revoke(ctx, "u1", hospital, "vendor:1", authz.Approve))
	}
	close(stop)
	readers.Wait()
	for i := range 4 {
		if a.Can("u1", hospital, fmt.Sprintf("document:%d", i), authz.View) {
			t.Errorf("document:%d: a decision from before the last change survived", i)
		}
	}
	if a.Can("u1", hospital, "vendor:1", authz.Approve) || a.Roles("u1", hospital) != nil {
		t.Error("the last change is not in force")
	}
}

// TestWatch: a change made through one instance reaches another through
// Watch, including one the other had cached a decision about.
func TestWatch(t *testing.T) {
	db, a1 := open(t)
	a2, err := authz.Open(context.Background(), db, nil)
	must(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan struct{})
	go func() {
		defer close(done)
		a1.Watch(ctx, 20*time.Millisecond)
	}()
	defer func() { cancel(); <-done }()

	if a1.Can("lee", hospital, "contract:5", authz.Manage) {
		t.Fatal("setup: lee may manage contracts")
	}
	must(t, a2.AddRole(ctx, "lee", authz.RoleLegal, hospital))
	waitFor(t, "a role given elsewhere", func() bool { return a1.Can("lee", hospital, "contract:5", authz.Manage) })

	must(t, a2.Grant(ctx, "lee", hospital, "document:3", authz.Approve))
	waitFor(t, "a grant made elsewhere", func() bool { return a1.Can("lee", hospital, "document:3", authz.Approve) })

	must(t, a2.RemoveRole(ctx, "lee", authz.RoleLegal, hospital))
	waitFor(t, "a role removed elsewhere", func() bool { return !a1.Can("lee", hospital, "contract:5", authz.Manage) })
}

// waitFor polls cond with a generous deadline; it asserts an outcome, not
// how fast it came.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s did not arrive", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestStaleMemory: an instance whose memory still holds a rule another
// instance removed must store the rule again when asked to add it.
func TestStaleMemory(t *testing.T) {
	db, a1 := open(t)
	ctx := context.Background()
	must(t, a1.AddRole(ctx, "max", authz.RoleStaff, hospital))
	a2, err := authz.Open(ctx, db, nil)
	must(t, err)
	must(t, a2.RemoveRole(ctx, "max", authz.RoleStaff, hospital))
	must(t, a1.AddRole(ctx, "max", authz.RoleStaff, hospital)) // a1 has not reloaded
	a3, err := authz.Open(ctx, db, nil)
	must(t, err)
	if !a3.Can("max", hospital, "document:1", authz.View) {
		t.Error("the role added again through a stale instance was not stored")
	}
	must(t, a1.Reload(ctx))
	if !a1.Can("max", hospital, "document:1", authz.View) {
		t.Error("after reload")
	}
}

func TestMigrate(t *testing.T) {
	db, a := open(t)
	ctx := context.Background()
	rules := db.Collection("casbin_rules")
	want := 0
	for _, byClass := range allowed {
		for _, acts := range byClass {
			want += len(strings.Fields(acts))
		}
	}
	count := func() int {
		t.Helper()
		n, err := rules.Count(ctx, bson.M{})
		must(t, err)
		return int(n)
	}
	if n := count(); n != want {
		t.Fatalf("%d rules after Migrate, want %d", n, want)
	}
	must(t, a.AddRole(ctx, "u1", authz.RoleStaff, hospital))

	t.Run("OKTwice", func(t *testing.T) {
		var before, after bson.M
		must(t, db.Collection("authz_state").Get(ctx, bson.M{"_id": "policy"}, &before))
		must(t, authz.Migrate(ctx, db))
		must(t, db.Collection("authz_state").Get(ctx, bson.M{"_id": "policy"}, &after))
		if n := count(); n != want+1 {
			t.Errorf("%d rules after a second Migrate, want %d", n, want+1)
		}
		if before["version"] != after["version"] {
			t.Errorf("a Migrate that changed nothing moved the version from %v to %v", before["version"], after["version"])
		}
	})

	t.Run("OKRemovesStaleBuiltin", func(t *testing.T) {
		// A built-in rule an older release had and this one does not.
		must(t, rules.Insert(ctx, bson.M{"_id": "old", "ptype": "p", "v0": "role:staff", "v1": "*", "v2": "vendor:*", "v3": "edit"}))
		must(t, a.Reload(ctx))
		if !a.Can("u1", hospital, "vendor:1", authz.Edit) {
			t.Fatal("setup: the stale rule is not in force")
		}
		must(t, authz.Migrate(ctx, db))
		must(t, a.Reload(ctx))
		if a.Can("u1", hospital, "vendor:1", authz.Edit) {
			t.Error("the stale built-in rule is still in force")
		}
		if n := count(); n != want+1 {
			t.Errorf("%d rules, want %d", n, want+1)
		}
		if !a.Can("u1", hospital, "document:1", authz.View) {
			t.Error("Migrate removed a role given to a user")
		}
	})
}

func TestAdapter(t *testing.T) {
	db, a := open(t)
	ctx := context.Background()
	ad := authz.NewAdapter(db)
	must(t, a.AddRole(ctx, "u1", authz.RoleStaff, hospital))
	n, err := db.Collection("casbin_rules").Count(ctx, bson.M{})
	must(t, err)

	t.Run("ErrSavePolicy", func(t *testing.T) {
		if err := ad.SavePolicy(nil); err == nil || !strings.Contains(err.Error(), "not supported") {
			t.Fatalf("SavePolicy: %v", err)
		}
		if m, _ := db.Collection("casbin_rules").Count(ctx, bson.M{}); m != n {
			t.Fatalf("%d rules after SavePolicy, want %d", m, n)
		}
	})
	t.Run("OKIdempotent", func(t *testing.T) {
		rule := []string{"u9", hospital, "document:1", "view"}
		for range 2 {
			must(t, ad.AddPolicy("p", "p", rule))
		}
		if m, _ := db.Collection("casbin_rules").Count(ctx, bson.M{}); m != n+1 {
			t.Fatalf("%d rules after adding one twice, want %d", m, n+1)
		}
		for range 2 {
			must(t, ad.RemovePolicy("p", "p", rule))
		}
		if m, _ := db.Collection("casbin_rules").Count(ctx, bson.M{}); m != n {
			t.Fatalf("%d rules after removing it twice, want %d", m, n)
		}
	})
	t.Run("OKRemoveFiltered", func(t *testing.T) {
		must(t, ad.AddPolicies("g", "g", [][]string{{"u7", "role:staff", clinic}, {"u7", "role:legal", clinic}, {"u8", "role:legal", clinic}}))
		must(t, ad.RemoveFilteredPolicy("g", "g", 0, "u7", "", clinic))
		if m, _ := db.Collection("casbin_rules").Count(ctx, bson.M{}); m != n+1 {
			t.Fatalf("%d rules, want %d", m, n+1)
		}
	})
	t.Run("ErrBadStoredRule", func(t *testing.T) {
		must(t, db.Collection("casbin_rules").Insert(ctx, bson.M{"_id": "bad", "ptype": "p", "v0": "x", "v1": "y"}))
		if err := a.Reload(ctx); err == nil {
			t.Fatal("a rule with two fields was loaded")
		}
		if !a.Can("u1", hospital, "document:1", authz.View) {
			t.Error("a failed reload dropped the policy in force")
		}
	})
}

func TestInvalid(t *testing.T) {
	db, a := open(t)
	ctx := context.Background()
	before, err := db.Collection("casbin_rules").Count(ctx, bson.M{})
	must(t, err)
	const fixed = "Built-in roles are fixed; create a grant on an object or group instead."
	for _, c := range []struct {
		name string
		call func() error
		msg  string // when set, the message expected
	}{
		{"EmptyUser", func() error { return a.AddRole(ctx, "", "staff", hospital) }, ""},
		{"UserWithComma", func() error { return a.AddRole(ctx, "a,b", "staff", hospital) }, ""},
		{"UserWithNewline", func() error { return a.AddRole(ctx, "a\nb", "staff", hospital) }, ""},
		{"UserWithColon", func() error { return a.AddRole(ctx, "role:admin", "staff", hospital) }, ""},
		{"UserStar", func() error { return a.AddRole(ctx, "*", "staff", hospital) }, ""},
		{"UnknownRole", func() error { return a.AddRole(ctx, "u1", "boss", hospital) }, ""},
		{"PrefixedRole", func() error { return a.AddRole(ctx, "u1", "role:staff", hospital) }, ""},
		{"EmptyDomain", func() error { return a.AddRole(ctx, "u1", "staff", "") }, ""},
		{"StarDomain", func() error { return a.AddRole(ctx, "u1", "staff", "*") }, ""},
		{"RemoveUnknownRole", func() error { return a.RemoveRole(ctx, "u1", "boss", hospital) }, ""},
		{"GrantBuiltinClass", func() error { return a.Grant(ctx, "role:staff", hospital, "document:*", "approve") }, fixed},
		{"GrantBuiltinDomain", func() error { return a.Grant(ctx, "role:staff", "*", "document:7", "approve") }, fixed},
		{"RevokeBuiltin", func() error { return a.Revoke(ctx, "role:staff", "*", "document:*", "view") }, fixed},
		{"GrantUserClass", func() error { return a.Grant(ctx, "u1", hospital, "document:*", "view") }, ""},
		{"GrantUnknownAction", func() error { return a.Grant(ctx, "u1", hospital, "document:7", "fly") }, ""},
		{"GrantStarAction", func() error { return a.Grant(ctx, "u1", hospital, "document:7", "*") }, ""},
		{"GrantUnknownClass", func() error { return a.Grant(ctx, "u1", hospital, "widget:7", "view") }, ""},
		{"GrantNoID", func() error { return a.Grant(ctx, "u1", hospital, "document:", "view") }, ""},
		{"GrantBareObject", func() error { return a.Grant(ctx, "u1", hospital, "document", "view") }, ""},
		{"GrantEmptyGroup", func() error { return a.Grant(ctx, "u1", hospital, "group:", "view") }, ""},
		{"GrantUnknownRole", func() error { return a.Grant(ctx, "role:boss", hospital, "document:7", "view") }, ""},
		{"GrantEmptySubject", func() error { return a.Grant(ctx, "", hospital, "document:7", "view") }, ""},
		{"GrantDollar", func() error { return a.Grant(ctx, "u1", hospital, "document:7$$x", "view") }, ""},
		{"NestedGroup", func() error { return a.AddToGroup(ctx, "group:a", "group:b", hospital) }, ""},
		{"GroupWithoutPrefix", func() error { return a.AddToGroup(ctx, "document:7", "policies", hospital) }, ""},
		{"GroupEveryObject", func() error { return a.AddToGroup(ctx, "document:*", "group:p", hospital) }, ""},
		{"GroupStar", func() error { return a.AddToGroup(ctx, "document:7", "group:*", hospital) }, ""},
	} {
		t.Run("Err"+c.name, func(t *testing.T) {
			err := c.call()
			if !errs.Is(err, errs.Invalid) {
				t.Fatalf("got %v, want invalid", err)
			}
			if c.msg != "" && errs.Message(err) != c.msg {
				t.Fatalf("message %q, want %q", errs.Message(err), c.msg)
			}
		})
	}
	if after, _ := db.Collection("casbin_rules").Count(ctx, bson.M{}); after != before {
		t.Errorf("refused changes changed the rules: %d, want %d", after, before)
	}

	t.Run("ErrMalformedRequest", func(t *testing.T) {
		must(t, a.AddRole(ctx, "u1", authz.RoleAuditor, hospital))
		for _, r := range [][4]string{
			{"", hospital, "vendor:1", "view"},
			{"u1", "", "vendor:1", "view"},
			{"u1", hospital, "", "view"},
			{"u1", hospital, "vendor:1", ""},
			{"u1", hospital, "vendor", "view"},
			{"u1", hospital, "vendor:", "view"},
			{"u1", hospital, "*", "view"},
			{"u1", hospital, "vendor:1*", "view"},
			{"u1", "*", "vendor:1", "view"},
			{"*", hospital, "vendor:1", "view"},
			{"role:auditor", hospital, "vendor:1", "view"}, // a role is not a user
			{"u1", hospital, "vendor:1", "*"},
			{"u1$", "$" + hospital, "vendor:1", "view"}, // would share a cache key with u1/hospital
		} {
			if a.Can(r[0], r[1], r[2], r[3]) {
				t.Errorf("Can%q allowed", r)
			}
		}
		var nilAuthorizer *authz.Authorizer
		if nilAuthorizer.Can("u1", hospital, "vendor:1", "view") {
			t.Error("a nil Authorizer allowed")
		}
		if !a.Can("u1", hospital, "vendor:1", "view") {
			t.Error("the well-formed request was refused")
		}
	})
}

func TestChangesAreAudited(t *testing.T) {
	db := testkit.MustOpenDB(t)
	ctx := audit.WithActor(context.Background(), audit.Actor{ID: "admin-1", Name: "admin@hospital.example.org"})
	must(t, authz.Migrate(ctx, db))
	trail := audit.New(db, nil, time.Now)
	a, err := authz.Open(ctx, db, trail)
	must(t, err)
	must(t, a.AddRole(ctx, "u1", "legal", "hospital"))
	must(t, a.Grant(ctx, "u1", "hospital", "document:7", "approve"))
	must(t, a.AddToGroup(ctx, "document:7", "group:policies", "hospital"))
	must(t, a.RemoveFromGroup(ctx, "document:7", "group:policies", "hospital"))
	must(t, a.Revoke(ctx, "u1", "hospital", "document:7", "approve"))
	must(t, a.RemoveRole(ctx, "u1", "legal", "hospital"))
	events, err := trail.List(ctx, audit.Query{Limit: 10})
	must(t, err)
	var got []string
	for i := len(events) - 1; i >= 0; i-- {
		e := events[i]
		if e.ActorID != "admin-1" || e.Domain != "hospital" {
			t.Errorf("event %d: actor %q domain %q", e.Seq, e.ActorID, e.Domain)
		}
		got = append(got, e.Action+" "+e.ObjectID)
	}
	want := "role.add u1,grant.add document:7,group.add document:7,group.remove document:7,grant.remove document:7,role.remove u1"
	if strings.Join(got, ",") != want {
		t.Fatalf("audited %v, want %s", got, want)
	}
}

// TestREADMEListsRoles keeps the README's role table the one the code seeds.
func TestREADMEListsRoles(t *testing.T) {
	readme, err := os.ReadFile(testkit.Path("../../README.md"))
	must(t, err)
	if !strings.Contains(string(readme), authz.RoleTable()) {
		t.Fatal("README.md does not contain authz.RoleTable(); paste its output under \"What each built-in role may do\"")
	}
}

// Singled names exactly the objects grants and groups single out, in
// their domain.
func TestSingled(t *testing.T) {
	_, a := open(t)
	ctx := context.Background()
	must(t, a.Grant(ctx, "u-1", hospital, "document:7", authz.Review))
	must(t, a.AddToGroup(ctx, "document:8", "group:policies", hospital))
	must(t, a.Grant(ctx, "role:staff", hospital, "group:policies", authz.View))
	must(t, a.Grant(ctx, "u-1", hospital, "vendor:3", authz.View))
	must(t, a.Grant(ctx, "u-1", "other-hospital", "document:9", authz.View))
	got := a.Singled(hospital, authz.ClassDocument)
	if len(got) != 2 || !got["document:7"] || !got["document:8"] {
		t.Fatalf("singled %v", got)
	}
}
