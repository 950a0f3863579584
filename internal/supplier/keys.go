package supplier

import (
	"context"
	"strings"
	"time"
	"unicode"

	"go.mongodb.org/mongo-driver/bson"

	"dossier/internal/errs"
)

// Uniqueness without transactions or unique indexes the embedded engine
// could be trusted with: each legal name and registration id is claimed as
// a document of its own in vendor_keys, _id = domain|name|<normalized> or
// domain|reg|<normalized>, inserted before the vendor is written (an insert
// of an existing _id fails on every engine). If the vendor write fails the
// claim is given back. A crash in between leaves a claim whose vendor does
// not hold that key; after claimStale it is stale and the next claimant
// takes it over. A younger one may belong to a save still in flight, so
// the claimant waits briefly and then reports a conflict.

const (
	claimStale = time.Minute
	claimWait  = 50 * time.Millisecond // between looks at a claim in flight
	claimLooks = 20                    // about a second in all
)

type claimDoc struct {
	ID      string    `bson:"_id"`
	Vendor  string    `bson:"vendor"`
	Domain  string    `bson:"domain"`
	Created time.Time `bson:"created"`
}

// key is one unique value of a vendor.
type key struct {
	Field string // "legal_name" or "registration_id"
	ID    string // the claim's _id
}

// nameKey normalizes a legal name for duplicate detection: only letters
// and digits count, in lower case, so "Acme Imaging, Inc.", "acme imaging
// inc" and "ACME-Imaging Inc" are one name, as are "L.L.C." and "LLC".
func nameKey(s string) string {
	return strings.Map(func(r rune) rune {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			return unicode.ToLower(r)
		}
		return -1
	}, s)
}

// regKey normalizes a registration id: only letters and digits count, in
// upper case ("12-3456789" is "123456789").
func regKey(s string) string {
	return strings.Map(func(r rune) rune {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			return unicode.ToUpper(r)
		}
		return -1
	}, s)
}

func keysOf(v Vendor) []key {
	var ks []key
	if k := nameKey(v.LegalName); k != "" {
		ks = append(ks, key{"legal_name", v.Domain + "|name|" + k})
	}
	if k := regKey(v.RegistrationID); k != "" {
		ks = append(ks, key{"registration_id", v.Domain + "|reg|" + k})
	}
	return ks
}

func holds(v Vendor, k key) bool {
	for _, h := range keysOf(v) {
		if h == k {
			return true
		}
	}
	return false
}

// minus returns the keys of a that are not in b.
func minus(a, b []key) []key {
	var out []key
	for _, k := range a {
		found := false
		for _, x := range b {
			found = found || x == k
		}
		if !found {
			out = append(out, k)
		}
	}
	return out
}

// DuplicateError says a vendor with the same legal name or registration id
// is already in the register. It is a conflict (errs.Code gives
// errs.Conflict, errs.FieldOf the field); Existing is the vendor, to link to.
type DuplicateError struct {
	Field    string // "legal_name" or "registration_id"
	Existing Vendor
}

func (e *DuplicateError) Error() string { return e.Unwrap().Error() }

// Unwrap gives the errs.Error the HTTP layer maps and shows.
func (e *DuplicateError) Unwrap() error {
	what := "legal name"
	if e.Field == "registration_id" {
		what = "registration id"
	}
	return &errs.Error{Code: errs.Conflict, Field: e.Field,
		Message: "A vendor with this " + what + " is already in the register: " + e.Existing.Label() + " (" + Label(e.Existing.Status) + ")."}
}

// claimAll claims every key for v, giving back the ones it got when one
// fails. It returns the keys claimed.
func (s *Service) claimAll(ctx context.Context, v Vendor, ks []key) ([]key, error) {
	var got []key
	for _, k := range ks {
		if err := s.claim(ctx, v, k); err != nil {
			s.release(ctx, v.ID, got)
			return nil, err
		}
		got = append(got, k)
	}
	return got, nil
}

// claim makes v the holder of k.
func (s *Service) claim(ctx context.Context, v Vendor, k key) error {
	for range claimLooks {
		err := s.keys.Insert(ctx, claimDoc{ID: k.ID, Vendor: v.ID, Domain: v.Domain, Created: s.now()})
		if !errs.Is(err, errs.Conflict) {
			return err
		}
		var c claimDoc
		err = s.keys.Get(ctx, bson.M{"_id": k.ID}, &c)
		switch {
		case errs.Is(err, errs.NotFound):
			continue // given back meanwhile: try again
		case err != nil:
			return err
		case c.Vendor == v.ID:
			return nil // ours already, such as renaming back
		}
		holder, err := s.byID(ctx, c.Vendor)
		switch {
		case err == nil && holder.Domain == v.Domain && holds(holder, k):
			return &DuplicateError{Field: k.Field, Existing: holder}
		case err != nil && !errs.Is(err, errs.NotFound):
			return err
		}
		if s.now().Sub(c.Created) >= claimStale {
			// Debris of a crash, or of a rename that did not give the
			// old name back: take it over, unless someone else just did.
			ok, err := s.keys.Update(ctx, bson.M{"_id": k.ID, "vendor": c.Vendor},
				bson.M{"$set": bson.M{"vendor": v.ID, "domain": v.Domain, "created": s.now()}})
			if err != nil || ok {
				return err
			}
			continue
		}
		// A save still in flight: its vendor appears in a moment.
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(claimWait):
		}
	}
	what := "legal name"
	if k.Field == "registration_id" {
		what = "registration id"
	}
	return &errs.Error{Code: errs.Conflict, Field: k.Field,
		Message: "Another vendor with this " + what + " is being saved right now. Open the register to check, or try again in a minute."}
}

// release gives back claims held by vendorID. It runs even when the
// request's context has ended; a claim it fails to delete becomes stale.
func (s *Service) release(ctx context.Context, vendorID string, ks []key) {
	ctx = context.WithoutCancel(ctx)
	for _, k := range ks {
		_ = s.keys.Delete(ctx, bson.M{"_id": k.ID, "vendor": vendorID})
	}
}

// releaseUnheld gives back the claims of a save that failed, except those
// the vendor holds as it is now stored: a concurrent save may have set the
// same name, and its claim is the one this save found already there.
func (s *Service) releaseUnheld(ctx context.Context, vendorID string, ks []key) {
	v, err := s.byID(context.WithoutCancel(ctx), vendorID)
	if err != nil && !errs.Is(err, errs.NotFound) {
		return // keep them; stale claims are taken over later
	}
	var free []key
	for _, k := range ks {
		if err != nil || !holds(v, k) {
			free = append(free, k)
		}
	}
	s.release(ctx, vendorID, free)
}
