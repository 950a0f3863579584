// Package store is Dossier's one door to MongoDB. It keeps to the subset of
// MongoDB that both production MongoDB and the embedded engine support, maps
// driver errors to errs codes once, and — on the embedded engine, which
// applies updates as read-modify-write without locks — serializes writes
// in-process so a conditional single-document update stays atomic.
package store

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"go.mongodb.org/mongo-driver/mongo"
	"go.mongodb.org/mongo-driver/mongo/options"
	"go.mongodb.org/mongo-driver/mongo/readpref"
	"go.mongodb.org/mongo-driver/mongo/writeconcern"
	"go.mongodb.org/mongo-driver/x/mongo/driver/connstring"
	"go.mongodb.org/mongo-driver/x/mongo/driver/topology"

	"dossier/internal/errs"
)

// Options says how to open the store.
type Options struct {
	URI      string
	Database string
	// Serialize makes every write to a collection wait for the previous one
	// in this process. Set it for the embedded engine.
	Serialize bool
	// OnError, when set, is called with the operation's name each time the
	// database fails for a reason other than the caller's input.
	OnError func(op string)
}

// Store is an open database.
type Store struct {
	client  *mongo.Client
	db      *mongo.Database
	opts    Options
	mu      sync.Mutex
	locks   map[string]*sync.Mutex
	display string
}

// Open connects to the database and checks that it answers.
func Open(ctx context.Context, o Options) (*Store, error) {
	cs, err := connstring.ParseAndValidate(o.URI)
	if err != nil {
		return nil, fmt.Errorf("MongoDB URI: %w", errors.Unwrap(err))
	}
	display := strings.Join(cs.Hosts, ",")
	copts := options.Client().ApplyURI(o.URI).
		SetServerSelectionTimeout(5 * time.Second).
		SetConnectTimeout(5 * time.Second).
		SetAppName("dossier").
		SetWriteConcern(writeconcern.Majority())
	client, err := mongo.Connect(ctx, copts)
	if err != nil {
		return nil, fmt.Errorf("MongoDB at %s: %w", display, err)
	}
	s := &Store{client: client, db: client.Database(o.Database), opts: o, locks: map[string]*sync.Mutex{}, display: display}
	pingCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := client.Ping(pingCtx, readpref.Primary()); err != nil {
		_ = client.Disconnect(context.Background())
		return nil, fmt.Errorf("MongoDB at %s does not answer: %w", display, err)
	}
	return s, nil
}

// Hosts names the servers the store talks to, for messages.
func (s *Store) Hosts() string { return s.display }

// Ping checks that the database answers within the context's deadline.
func (s *Store) Ping(ctx context.Context) error {
	return s.mapErr("ping", s.client.Ping(ctx, readpref.Primary()))
}

// Close disconnects.
func (s *Store) Close(ctx context.Context) error { return s.client.Disconnect(ctx) }

// Drop removes the whole database. Tests use it to clean up.
func (s *Store) Drop(ctx context.Context) error { return s.mapErr("drop", s.db.Drop(ctx)) }

// Collection returns the named collection.
func (s *Store) Collection(name string) *Collection {
	c := &Collection{c: s.db.Collection(name), s: s}
	if s.opts.Serialize {
		s.mu.Lock()
		l, ok := s.locks[name]
		if !ok {
			l = new(sync.Mutex)
			s.locks[name] = l
		}
		s.mu.Unlock()
		c.writes = l
	}
	return c
}

// mapErr turns driver errors into errs codes. Errors that are not the
// caller's doing are counted.
func (s *Store) mapErr(op string, err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, mongo.ErrNoDocuments):
		return errs.Wrap(errs.NotFound, err, "Not found.")
	case errors.Is(err, context.Canceled):
		return err
	case isDuplicate(err):
		return errs.Wrap(errs.Conflict, err, "That record already exists.")
	case isUnavailable(err):
		s.count(op)
		return errs.Wrap(errs.Unavailable, err, "The database is unavailable; try again shortly.")
	}
	s.count(op)
	return errs.Wrap(errs.Internal, err, "database "+op+" failed")
}

func (s *Store) count(op string) {
	if s.opts.OnError != nil {
		s.opts.OnError(op)
	}
}

// isDuplicate recognises duplicate keys, including the embedded engine's
// form: a duplicate caused by an update comes back as an internal error.
func isDuplicate(err error) bool {
	if mongo.IsDuplicateKeyError(err) {
		return true
	}
	var ce mongo.CommandError
	if errors.As(err, &ce) && strings.Contains(strings.ToLower(ce.Message), "unique constraint") {
		return true
	}
	return strings.Contains(err.Error(), "UNIQUE constraint failed")
}

func isUnavailable(err error) bool {
	var sse topology.ServerSelectionError
	return mongo.IsNetworkError(err) || mongo.IsTimeout(err) ||
		errors.As(err, &sse) || errors.Is(err, topology.ErrServerSelectionTimeout) ||
		errors.Is(err, context.DeadlineExceeded) || errors.Is(err, mongo.ErrClientDisconnected)
}
