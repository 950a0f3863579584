package notify

import (
	"context"
	"errors"
	"time"

	"go.mongodb.org/mongo-driver/bson"

	"dossier/internal/errs"
)

// lease is who may run a job, until when. Released leases are deleted, so
// the usual way to take one is an insert.
type lease struct {
	Job    string    `bson:"_id"`
	Holder string    `bson:"holder"`
	Until  time.Time `bson:"until"`
	Taken  time.Time `bson:"taken"`
}

// Lease takes the lease on job for holder for ttl, or renews it when holder
// has it, and reports whether holder holds it now. A lease held by another
// holder is taken over only once it has expired.
//
// Each step is one single-document write whose condition is checked by the
// database: inserting the lease (the unique _id lets only one insert win),
// renewing it ({_id, holder}), or taking over an expired one ({_id, until
// ≤ now}). A lease is a promise in time, not a lock: a holder that pauses
// past its ttl may find it gone, so long work renews it (Runner does) and
// stops when a renewal fails.
func (s *Service) Lease(ctx context.Context, job, holder string, ttl time.Duration) (held bool, err error) {
	if job == "" || holder == "" || ttl <= 0 {
		return false, errors.New("notify: a lease needs a job, a holder and a positive ttl")
	}
	// Three rounds: a lease released between a failed insert and the
	// updates is free again, and the next round's insert takes it.
	for range 3 {
		now := s.now()
		until := now.Add(ttl)
		err := s.leases.Insert(ctx, lease{Job: job, Holder: holder, Until: until, Taken: now})
		if err == nil {
			return true, nil
		}
		if !errs.Is(err, errs.Conflict) {
			return false, err
		}
		ok, err := s.leases.Update(ctx, bson.M{"_id": job, "holder": holder},
			bson.M{"$set": bson.M{"until": until}})
		if err != nil || ok {
			return ok, err
		}
		ok, err = s.leases.Update(ctx, bson.M{"_id": job, "until": bson.M{"$lte": now}},
			bson.M{"$set": bson.M{"holder": holder, "until": until, "taken": now}})
		if err != nil || ok {
			return ok, err
		}
		n, err := s.leases.Count(ctx, bson.M{"_id": job})
		if err != nil || n > 0 {
			return false, err // held by someone else
		}
	}
	return false, nil
}

// Release gives up holder's lease on job, so the next taker need not wait
// for it to expire. Releasing a lease holder no longer has is no error.
func (s *Service) Release(ctx context.Context, job, holder string) error {
	err := s.leases.Delete(ctx, bson.M{"_id": job, "holder": holder})
	if errs.Is(err, errs.NotFound) {
		return nil
	}
	return err
}

// LeaseHolder returns who holds the lease on job and until when; NotFound
// when nobody does. An expired lease is reported as nobody's.
func (s *Service) LeaseHolder(ctx context.Context, job string) (holder string, until time.Time, err error) {
	var l lease
	if err := s.leases.Get(ctx, bson.M{"_id": job}, &l); err != nil {
		return "", time.Time{}, err
	}
	if !l.Until.After(s.now()) {
		return "", time.Time{}, errs.E(errs.NotFound, "Nobody holds the %s lease.", job)
	}
	return l.Holder, l.Until, nil
}
