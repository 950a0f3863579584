package document

import (
	"context"
	"fmt"
	"reflect"
	"strings"
	"time"

	"go.mongodb.org/mongo-driver/bson"

	"dossier/internal/audit"
	"dossier/internal/errs"
	"dossier/internal/text"
)

// Uniqueness of document numbers without transactions: each number is
// claimed as a document of its own in document_numbers, _id =
// domain|NUMBER, inserted before the document is written (an insert of an
// existing _id fails on every engine), so of two creates racing for one
// number exactly one wins. A failed write gives the claim back; a crash in
// between leaves a claim whose document does not hold the number, taken
// over by the next claimant once it is claimStale old.

const (
	claimStale = time.Minute
	claimWait  = 50 * time.Millisecond
	claimLooks = 20
)

type claimDoc struct {
	ID      string    `bson:"_id"`
	Doc     string    `bson:"doc"`
	Domain  string    `bson:"domain"`
	Created time.Time `bson:"created"`
}

func numberKey(domain, number string) string { return domain + "|" + number }

// DuplicateError says another document in the domain has the number. It
// is a conflict on the field "number"; Existing is that document.
type DuplicateError struct{ Existing Document }

func (e *DuplicateError) Error() string { return e.Unwrap().Error() }

// Unwrap gives the errs.Error the HTTP layer maps and shows.
func (e *DuplicateError) Unwrap() error {
	return &errs.Error{Code: errs.Conflict, Field: "number",
		Message: fmt.Sprintf("Document number %s is already used by %q.", e.Existing.Number, e.Existing.Title)}
}

// claim makes doc the holder of number.
func (s *Service) claim(ctx context.Context, domain, number, doc string) error {
	id := numberKey(domain, number)
	for range claimLooks {
		err := s.numbers.Insert(ctx, claimDoc{ID: id, Doc: doc, Domain: domain, Created: s.now()})
		if !errs.Is(err, errs.Conflict) {
			return err
		}
		var c claimDoc
		err = s.numbers.Get(ctx, bson.M{"_id": id}, &c)
		switch {
		case errs.Is(err, errs.NotFound):
			continue
		case err != nil:
			return err
		case c.Doc == doc:
			return nil
		}
		holder, err := s.Get(ctx, domain, c.Doc)
		switch {
		case err == nil && holder.Number == number:
			return &DuplicateError{Existing: holder}
		case err != nil && !errs.Is(err, errs.NotFound):
			return err
		}
		if s.now().Sub(c.Created) >= claimStale {
			ok, err := s.numbers.Update(ctx, bson.M{"_id": id, "doc": c.Doc}, bson.M{"$set": bson.M{"doc": doc, "created": s.now()}})
			if err != nil || ok {
				return err
			}
			continue
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(claimWait):
		}
	}
	return &errs.Error{Code: errs.Conflict, Field: "number",
		Message: "Another document with this number is being saved right now. Check the register, or try again in a minute."}
}

// release gives back a claim held by doc, even after the request ended.
func (s *Service) release(ctx context.Context, domain, number, doc string) {
	_ = s.numbers.Delete(context.WithoutCancel(ctx), bson.M{"_id": numberKey(domain, number), "doc": doc})
}

// Create adds a document to the register, with no revision yet. Every
// problem with the fields is reported at once; a number already in use is
// a conflict naming the document that has it.
func (s *Service) Create(ctx context.Context, domain string, f Fields) (Document, error) {
	if err := checkDomain(domain); err != nil {
		return Document{}, err
	}
	var chk checker
	f = clean(&chk, f)
	if err := chk.err(); err != nil {
		return Document{}, err
	}
	now := s.now()
	d := Document{ID: newID(), Domain: domain, Revisions: []Revision{}, CreatedBy: audit.ActorFrom(ctx).ID, CreatedAt: now, UpdatedAt: now, Version: 1}
	d.apply(f)
	if err := s.claim(ctx, domain, d.Number, d.ID); err != nil {
		return Document{}, err
	}
	if err := s.docs.Insert(ctx, d); err != nil {
		s.release(ctx, domain, d.Number, d.ID)
		return Document{}, err
	}
	s.indexed(ctx, d)
	return d, s.record(ctx, "document.create", domain, d.ID, map[string]string{
		"number": d.Number, "type": string(d.Type), "title": text.Shorten(d.Title, 200), "owner": d.Owner})
}

// Update saves new register fields over the version the editor opened. A
// new number is claimed first and the old one given back after.
func (s *Service) Update(ctx context.Context, domain, id string, version int64, f Fields) (Document, error) {
	old, err := s.editable(ctx, domain, id, version)
	if err != nil {
		return Document{}, err
	}
	var chk checker
	f = clean(&chk, f)
	if err := chk.err(); err != nil {
		return Document{}, err
	}
	d := old
	d.apply(f)
	details := changes(old, d)
	if details == nil {
		return old, nil
	}
	renumbered := d.Number != old.Number
	if renumbered {
		if err := s.claim(ctx, domain, d.Number, d.ID); err != nil {
			return Document{}, err
		}
	}
	d.UpdatedAt = s.now()
	if err := s.save(ctx, &d, version); err != nil {
		if renumbered {
			s.release(ctx, domain, d.Number, d.ID)
		}
		return Document{}, err
	}
	if renumbered {
		s.release(ctx, domain, old.Number, d.ID)
	}
	return d, s.record(ctx, "document.update", domain, id, details)
}

// changes describes an update for the audit trail; nil when nothing changed.
func changes(old, d Document) map[string]string {
	a, b := old.Fields(), d.Fields()
	va, vb := reflect.ValueOf(a), reflect.ValueOf(b)
	out := map[string]string{}
	var names []string
	for i := range va.NumField() {
		x, y := va.Field(i).Interface(), vb.Field(i).Interface()
		if reflect.DeepEqual(x, y) {
			continue
		}
		name, _, _ := strings.Cut(va.Type().Field(i).Tag.Get("json"), ",")
		names = append(names, name)
		out[name] = text.Shorten(fmt.Sprintf("%v → %v", x, y), 500)
	}
	if len(names) == 0 {
		return nil
	}
	out["changed"] = strings.Join(names, ",")
	return out
}
