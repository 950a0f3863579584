package authz

import (
	"context"
	"fmt"

	"go.mongodb.org/mongo-driver/bson"

	"dossier/internal/store"
)

// Migrate makes the stored built-in role rules equal the built-in table:
// it adds the missing ones and removes those the table no longer has, then
// bumps the policy version if anything changed. It is idempotent; run it
// again (as a new migration step) whenever the table changes. Rules made
// with AddRole, Grant or AddToGroup are left alone: built-in rules are the
// only ones with domain "*".
func Migrate(ctx context.Context, db *store.Store) error {
	ad := newAdapter(db)
	var have []ruleDoc
	if err := ad.coll.Find(ctx, bson.M{"ptype": "p", "v1": anyDomain}, &have); err != nil {
		return fmt.Errorf("read built-in role rules: %w", err)
	}
	want := map[string]bool{}
	changed := false
	for _, r := range builtinRules() {
		d, err := newRuleDoc("p", r)
		if err != nil {
			return err
		}
		want[d.ID] = true
	}
	stored := map[string]bool{}
	for _, d := range have {
		stored[d.ID] = true
		if !want[d.ID] {
			if err := ad.removeID(ctx, d.ID); err != nil {
				return fmt.Errorf("remove built-in role rule %v: %w", d.values(), err)
			}
			changed = true
		}
	}
	for _, r := range builtinRules() {
		d, _ := newRuleDoc("p", r)
		if stored[d.ID] {
			continue
		}
		if err := ad.add(ctx, "p", r); err != nil {
			return fmt.Errorf("add built-in role rule %v: %w", r, err)
		}
		changed = true
	}
	if !changed {
		return nil
	}
	if _, err := bumpVersion(ctx, db.Collection(stateCollection)); err != nil {
		return fmt.Errorf("bump the policy version: %w", err)
	}
	return nil
}
