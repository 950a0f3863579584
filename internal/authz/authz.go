// Package authz decides who may do what in Dossier, with Casbin: RBAC with
// domains (a user holds roles per hospital) plus object groups (a document
// or vendor joins groups, so one grant can cover "all policies").
//
// The policy lives in MongoDB (collection casbin_rules, one document per
// rule) and in memory in a cached Casbin enforcer. Changes are written rule
// by rule, clear the decision cache, and bump a version counter that every
// other instance polls (Watch), so they reload within seconds.
package authz

import (
	"context"
	_ "embed"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/casbin/casbin/v2"
	"github.com/casbin/casbin/v2/model"
	"go.mongodb.org/mongo-driver/bson"

	"dossier/internal/audit"
	"dossier/internal/errs"
	"dossier/internal/store"
)

//go:embed model.conf
var modelText string

const (
	stateCollection = "authz_state"
	stateID         = "policy"

	// DefaultWatchInterval is how often Watch polls when given no interval:
	// other instances see a change within about twice this.
	DefaultWatchInterval = 2 * time.Second
	// pollTimeout bounds one poll and reload, so a hung database does not
	// hold the Authorizer's lock for long.
	pollTimeout = 30 * time.Second
)

// policyState is the authz_state document whose counter moves after every
// policy change.
type policyState struct {
	ID      string `bson:"_id"`
	Version int64  `bson:"version"`
}

// Rule is one grant: subject (a user id or "role:<name>") may do action to
// object (one object or "group:<name>") in domain.
type Rule struct {
	Subject string
	Domain  string
	Object  string
	Action  string
}

// Authorizer answers permission questions and changes the policy. It is
// safe for concurrent use.
type Authorizer struct {
	audit Auditor // nil: changes are not recorded (tests of the policy alone)
	e     *casbin.SyncedCachedEnforcer
	ad    *adapter
	state *store.Collection

	mu   sync.Mutex // serializes changes and reloads; guards seen and ad.ctx
	seen int64      // the policy version the enforcer holds

	// gen moves after every change to the enforcer's policy. Casbin caches
	// a decision after computing it, so a decision computed on the old
	// policy can land in the cache just after a change cleared it; Can
	// notices the move and clears the cache again.
	gen atomic.Uint64
}

// Auditor records permission changes in the audit trail.
type Auditor interface {
	Append(ctx context.Context, e audit.Entry) (audit.Event, error)
}

// Open loads the policy. Run Migrate first so the built-in roles exist.
// Every role, grant and group change is recorded through aud.
func Open(ctx context.Context, db *store.Store, aud Auditor) (*Authorizer, error) {
	m, err := model.NewModelFromString(modelText)
	if err != nil {
		return nil, fmt.Errorf("authorization model: %w", err)
	}
	a := &Authorizer{audit: aud, ad: newAdapter(db), state: db.Collection(stateCollection)}
	a.mu.Lock()
	defer a.mu.Unlock()
	// Read the version before the rules: a change made in between is then
	// loaded now and, its version being newer, loaded again by Watch.
	v, err := a.version(ctx)
	if err != nil {
		return nil, err
	}
	a.ad.ctx = ctx
	e, err := casbin.NewSyncedCachedEnforcer(m, a.ad)
	a.ad.ctx = nil
	if err != nil {
		return nil, fmt.Errorf("load authorization policy: %w", err)
	}
	e.EnableAutoSave(true)
	e.SetCache(newBoundedCache(maxCached))
	a.e, a.seen = e, v
	return a, nil
}

// Can reports whether user may do action to object in domain. It answers
// false for any malformed request and on any error, so pages can use it to
// hide what a user may not do. object is "<class>:<id>", "<class>:*" for
// the class as a whole, or "group:<name>".
func (a *Authorizer) Can(user, domain, object, action string) bool {
	if a == nil || !okRequest(user, domain, object, action) {
		return false
	}
	gen := a.gen.Load()
	ok, err := a.e.Enforce(user, domain, object, action)
	if a.gen.Load() != gen {
		_ = a.e.InvalidateCache()
	}
	return err == nil && ok
}

// Check is Can for handlers: nil when allowed, otherwise a Forbidden error
// that says what was refused ("You may not approve this document.").
func (a *Authorizer) Check(user, domain, object, action string) error {
	if a.Can(user, domain, object, action) {
		return nil
	}
	return errs.E(errs.Forbidden, "%s", deniedMessage(object, action))
}

// Reload loads the whole policy again.
func (a *Authorizer) Reload(ctx context.Context) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	v, err := a.version(ctx)
	if err != nil {
		return err
	}
	return a.reloadLocked(ctx, v)
}

// Watch reloads the policy whenever another instance changed it, polling
// the version every interval (DefaultWatchInterval when every ≤ 0) until ctx
// ends. A failed poll is tried again at the next tick. Run it in a goroutine.
func (a *Authorizer) Watch(ctx context.Context, every time.Duration) {
	if every <= 0 {
		every = DefaultWatchInterval
	}
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		pctx, cancel := context.WithTimeout(ctx, pollTimeout)
		_ = a.poll(pctx)
		cancel()
	}
}

// poll reloads when the stored version differs from the one loaded. It
// compares for difference, not order, so a reset counter also reloads.
func (a *Authorizer) poll(ctx context.Context) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	v, err := a.version(ctx)
	if err != nil || v == a.seen {
		return err
	}
	return a.reloadLocked(ctx, v)
}

// reloadLocked loads the policy read after version v was seen. Casbin's
// synchronized LoadPolicy builds the new policy aside and swaps it in, so a
// failed load keeps the old one. (A watcher's default callback would call
// the unsynchronized one.)
func (a *Authorizer) reloadLocked(ctx context.Context, v int64) error {
	a.ad.ctx = ctx
	err := a.e.LoadPolicy()
	a.ad.ctx = nil
	if err != nil {
		return fmt.Errorf("reload authorization policy: %w", err)
	}
	// LoadPolicy clears the cache before it swaps the policy in, so a
	// decision made in between could survive; clear it after as well.
	a.invalidate()
	a.seen = v
	return nil
}

// invalidate drops every cached decision. Casbin clears only the cache key
// equal to an added or removed p rule, and nothing for g and g2 changes.
func (a *Authorizer) invalidate() {
	a.gen.Add(1)
	_ = a.e.InvalidateCache()
}

// version reads the policy version; a database that never had a policy
// change has version 0.
func (a *Authorizer) version(ctx context.Context) (int64, error) {
	var s policyState
	err := a.state.Get(ctx, bson.M{"_id": stateID}, &s)
	if errs.Is(err, errs.NotFound) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("read the policy version: %w", err)
	}
	return s.Version, nil
}

// change runs apply, which changes the enforcer's policy through the
// adapter, then clears the decision cache and bumps the stored version.
func (a *Authorizer) change(ctx context.Context, apply func() error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	a.ad.ctx = ctx
	err := apply()
	a.ad.ctx = nil
	// Clear even after a failure: Casbin may have changed its memory
	// before the step that failed.
	a.invalidate()
	if err != nil {
		return err
	}
	v, err := bumpVersion(ctx, a.state)
	if err != nil {
		return errs.Wrap(errs.Code(err), err, "The change is saved, but other servers may not see it yet; make any change again to tell them.")
	}
	// Only when nobody else changed the policy meanwhile is the loaded
	// policy now exactly version v; otherwise Watch reloads.
	if v == a.seen+1 {
		a.seen = v
	}
	return nil
}

// bumpVersion increments the policy version and returns the new one.
func bumpVersion(ctx context.Context, state *store.Collection) (int64, error) {
	inc := bson.M{"$inc": bson.M{"version": int64(1)}}
	var s policyState
	err := state.FindAndUpdate(ctx, bson.M{"_id": stateID}, inc, &s)
	if errs.Is(err, errs.NotFound) {
		// First change on this database: create the document. Two
		// instances racing here both increment, which is all that matters.
		if err := state.Upsert(ctx, bson.M{"_id": stateID}, inc); err != nil {
			return 0, err
		}
		return 0, nil // unknown: Watch reloads once
	}
	return s.Version, err
}
