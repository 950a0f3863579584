package assessment

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"sync"
	"time"

	"go.mongodb.org/mongo-driver/bson"

	"dossier/internal/errs"
	"dossier/internal/questionnaire"
	"dossier/internal/store"
	"dossier/internal/supplier"
)

// storedTemplate is one template version exactly as it was first used.
type storedTemplate struct {
	Key      string    `bson:"_id"` // id@version
	ID       string    `bson:"id"`
	Version  string    `bson:"version"`
	Title    string    `bson:"title"`
	File     string    `bson:"file"`
	Source   string    `bson:"source"`
	Hash     string    `bson:"hash"`
	StoredAt time.Time `bson:"stored_at"`
}

// catalog holds the current templates and, read on demand and cached, the
// older versions assessments were sent with.
type catalog struct {
	coll    *store.Collection
	current []*questionnaire.Template // sorted by title
	mu      sync.Mutex
	byKey   map[string]*questionnaire.Template
}

func newCatalog(ctx context.Context, coll *store.Collection, templates []*questionnaire.Template, now func() time.Time) (*catalog, error) {
	c := &catalog{coll: coll, byKey: map[string]*questionnaire.Template{}}
	for _, t := range templates {
		var have storedTemplate
		err := coll.Get(ctx, bson.M{"_id": t.Key()}, &have)
		switch {
		case errs.Is(err, errs.NotFound):
			doc := storedTemplate{Key: t.Key(), ID: t.ID, Version: t.Version, Title: t.Title, File: t.File,
				Source: string(t.Source), Hash: t.Hash, StoredAt: now().UTC()}
			if err := coll.Insert(ctx, doc); err != nil && !errs.Is(err, errs.Conflict) {
				return nil, fmt.Errorf("record questionnaire %s: %w", t.Key(), err)
			}
		case err != nil:
			return nil, fmt.Errorf("read questionnaire %s: %w", t.Key(), err)
		case have.Hash != t.Hash:
			return nil, fmt.Errorf("%s: questionnaire %q version %q changed after it was first used (recorded from %s); give the changed template a new version",
				t.File, t.ID, t.Version, have.File)
		}
		c.byKey[t.Key()] = t
		c.current = append(c.current, t)
	}
	sort.Slice(c.current, func(i, j int) bool { return c.current[i].Title < c.current[j].Title })
	return c, nil
}

// get returns the template an assessment was sent with, current or older.
func (c *catalog) get(ctx context.Context, key string) (*questionnaire.Template, error) {
	c.mu.Lock()
	t, ok := c.byKey[key]
	c.mu.Unlock()
	if ok {
		return t, nil
	}
	var doc storedTemplate
	if err := c.coll.Get(ctx, bson.M{"_id": key}, &doc); err != nil {
		if errs.Is(err, errs.NotFound) {
			return nil, errs.E(errs.NotFound, "No such questionnaire.")
		}
		return nil, err
	}
	t, err := questionnaire.Parse(doc.File, []byte(doc.Source))
	if err != nil {
		return nil, fmt.Errorf("stored questionnaire %s no longer parses: %w", key, err)
	}
	c.mu.Lock()
	c.byKey[key] = t
	c.mu.Unlock()
	return t, nil
}

// Templates are the current questionnaire templates, by title.
func (s *Service) Templates() []*questionnaire.Template { return s.catalog.current }

// Template returns a template by id@version (any version ever used) or by
// id alone (the current version).
func (s *Service) Template(ctx context.Context, ref string) (*questionnaire.Template, error) {
	for _, t := range s.catalog.current {
		if t.ID == ref {
			return t, nil
		}
	}
	return s.catalog.get(ctx, ref)
}

// SuggestTemplate picks the current questionnaire that fits a vendor best:
// imaging for PACS, RIS and medical devices, laboratory for clinical-lab
// systems, cloud PHI for hosts of PHI, the hospital baseline otherwise.
// It returns "" when no questionnaire is loaded.
func (s *Service) SuggestTemplate(v supplier.Vendor) string {
	want := "hospital-baseline"
	switch {
	case slices.Contains(v.Systems, supplier.SystemPACS) || slices.Contains(v.Systems, supplier.SystemRIS) ||
		slices.Contains(v.Access, supplier.AccessMedicalDevice):
		want = "imaging"
	case slices.Contains(v.Systems, supplier.SystemLab):
		want = "laboratory"
	case slices.Contains(v.Access, supplier.AccessHostsData) && slices.Contains(v.Data, supplier.DataPHI):
		want = "cloud-phi"
	}
	for _, t := range s.catalog.current {
		if t.ID == want {
			return want
		}
	}
	if len(s.catalog.current) > 0 {
		return s.catalog.current[0].ID
	}
	return ""
}
