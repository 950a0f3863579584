package authz

import (
	"github.com/casbin/casbin/v2/persist"

	"dossier/internal/store"
)

// NewAdapter gives tests the store adapter the Authorizer uses.
func NewAdapter(db *store.Store) persist.BatchAdapter { return newAdapter(db) }

// InvalidateCache drops every cached decision, for cold benchmarks.
func InvalidateCache(a *Authorizer) { a.invalidate() }
