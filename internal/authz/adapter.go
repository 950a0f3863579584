package authz

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"

	"github.com/casbin/casbin/v2/model"
	"github.com/casbin/casbin/v2/persist"
	"go.mongodb.org/mongo-driver/bson"

	"dossier/internal/errs"
	"dossier/internal/store"
)

const rulesCollection = "casbin_rules"

// ruleDoc is one Casbin rule as stored. Its _id is derived from its content,
// so adding a rule is an idempotent upsert and removing one is an _id
// delete: the only lookups the embedded engine does without a scan.
type ruleDoc struct {
	ID    string `bson:"_id"`
	PType string `bson:"ptype"`
	V0    string `bson:"v0,omitempty"`
	V1    string `bson:"v1,omitempty"`
	V2    string `bson:"v2,omitempty"`
	V3    string `bson:"v3,omitempty"`
	V4    string `bson:"v4,omitempty"`
	V5    string `bson:"v5,omitempty"`
}

func newRuleDoc(ptype string, rule []string) (ruleDoc, error) {
	if len(rule) > 6 {
		return ruleDoc{}, fmt.Errorf("a %s rule has %d fields; at most 6 are stored", ptype, len(rule))
	}
	var v [6]string
	copy(v[:], rule)
	return ruleDoc{ID: ruleID(ptype, v), PType: ptype, V0: v[0], V1: v[1], V2: v[2], V3: v[3], V4: v[4], V5: v[5]}, nil
}

// ruleID is the hex SHA-256 of ptype and v0…v5 joined with NUL bytes.
func ruleID(ptype string, v [6]string) string {
	h := sha256.New()
	h.Write([]byte(ptype))
	for _, s := range v {
		h.Write([]byte{0})
		h.Write([]byte(s))
	}
	return hex.EncodeToString(h.Sum(nil))
}

// values returns the rule's fields without the unused trailing ones.
func (d ruleDoc) values() []string {
	v := []string{d.V0, d.V1, d.V2, d.V3, d.V4, d.V5}
	for len(v) > 0 && v[len(v)-1] == "" {
		v = v[:len(v)-1]
	}
	return v
}

// adapter keeps Casbin's policy in the casbin_rules collection. It never
// replaces the whole policy: SavePolicy is refused, every change is one rule.
type adapter struct {
	coll *store.Collection
	// ctx is the context of the Authorizer call in progress. Casbin's
	// adapter methods take none; the Authorizer sets this around each
	// enforcer call that reaches the store, under its own mutex, so the
	// caller's deadline and cancellation still apply.
	ctx context.Context
}

var _ persist.BatchAdapter = (*adapter)(nil)

func newAdapter(db *store.Store) *adapter { return &adapter{coll: db.Collection(rulesCollection)} }

func (a *adapter) context() context.Context {
	if a.ctx != nil {
		return a.ctx
	}
	return context.Background()
}

// LoadPolicy reads every rule into m. A rule of an unknown type or with the
// wrong number of fields fails the load: Casbin would otherwise refuse every
// request, and a failed reload keeps the policy already loaded.
func (a *adapter) LoadPolicy(m model.Model) error {
	var docs []ruleDoc
	if err := a.coll.Find(a.context(), bson.M{}, &docs); err != nil {
		return err
	}
	for _, d := range docs {
		rule := d.values()
		if d.PType == "" {
			return fmt.Errorf("policy rule %s has no type", d.ID)
		}
		ast, err := m.GetAssertion(d.PType[:1], d.PType)
		if err != nil {
			return fmt.Errorf("policy rule %s: %w", d.ID, err)
		}
		if len(rule) != len(ast.Tokens) {
			return fmt.Errorf("policy rule %s (%s) has %d fields, want %d", d.ID, d.PType, len(rule), len(ast.Tokens))
		}
		if err := persist.LoadPolicyArray(append([]string{d.PType}, rule...), m); err != nil {
			return fmt.Errorf("policy rule %s: %w", d.ID, err)
		}
	}
	return nil
}

// errSavePolicy is what SavePolicy answers: the usual MongoDB adapter drops
// the collection and writes it again, and a crash in between loses every rule.
var errSavePolicy = errors.New("authz: SavePolicy is not supported; add and remove rules one by one")

// SavePolicy is refused; see errSavePolicy.
func (a *adapter) SavePolicy(model.Model) error { return errSavePolicy }

// AddPolicy stores one rule; storing it again changes nothing.
func (a *adapter) AddPolicy(_, ptype string, rule []string) error {
	return a.add(a.context(), ptype, rule)
}

func (a *adapter) add(ctx context.Context, ptype string, rule []string) error {
	d, err := newRuleDoc(ptype, rule)
	if err != nil {
		return err
	}
	set := bson.M{"ptype": d.PType}
	for i, v := range rule {
		set[fmt.Sprintf("v%d", i)] = v
	}
	return a.coll.Upsert(ctx, bson.M{"_id": d.ID}, bson.M{"$set": set})
}

// RemovePolicy deletes one rule; a rule already gone is not an error.
func (a *adapter) RemovePolicy(_, ptype string, rule []string) error {
	d, err := newRuleDoc(ptype, rule)
	if err != nil {
		return err
	}
	return a.removeID(a.context(), d.ID)
}

func (a *adapter) removeID(ctx context.Context, id string) error {
	err := a.coll.Delete(ctx, bson.M{"_id": id})
	if errs.Is(err, errs.NotFound) {
		return nil
	}
	return err
}

// RemoveFilteredPolicy deletes the rules whose fields from fieldIndex on
// equal fieldValues ("" matches anything). It scans; nothing hot calls it.
func (a *adapter) RemoveFilteredPolicy(_, ptype string, fieldIndex int, fieldValues ...string) error {
	ctx := a.context()
	filter := bson.M{"ptype": ptype}
	for i, v := range fieldValues {
		if v != "" {
			filter[fmt.Sprintf("v%d", fieldIndex+i)] = v
		}
	}
	var docs []ruleDoc
	if err := a.coll.Find(ctx, filter, &docs); err != nil {
		return err
	}
	for _, d := range docs {
		if err := a.removeID(ctx, d.ID); err != nil {
			return err
		}
	}
	return nil
}

// AddPolicies stores rules one by one: not atomic, but every step is
// idempotent, so repeating a failed batch completes it. Casbin asserts a
// BatchAdapter without checking, so an adapter without these methods would
// make its batch calls panic.
func (a *adapter) AddPolicies(sec, ptype string, rules [][]string) error {
	for _, r := range rules {
		if err := a.AddPolicy(sec, ptype, r); err != nil {
			return err
		}
	}
	return nil
}

// RemovePolicies deletes rules one by one; see AddPolicies.
func (a *adapter) RemovePolicies(sec, ptype string, rules [][]string) error {
	for _, r := range rules {
		if err := a.RemovePolicy(sec, ptype, r); err != nil {
			return err
		}
	}
	return nil
}
