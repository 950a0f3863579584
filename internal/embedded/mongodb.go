//go:build !noembed

package embedded

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"time"

	"github.com/FerretDB/FerretDB/ferretdb"
)

// Available reports whether the embedded engines are compiled in.
const Available = true

// MongoDB is a FerretDB v1 engine serving MongoDB wire protocol from SQLite
// files, one file per database.
type MongoDB struct {
	uri     string
	cancel  context.CancelFunc
	done    chan struct{}
	indexer *idIndexer
	indexed chan struct{}
}

// StartMongoDB starts FerretDB on the SQLite files in dir, listening on addr
// (use 127.0.0.1:0 for a free port). FerretDB's own logs go to logger at warn
// level and above: at debug it dumps every message, PHI included.
func StartMongoDB(ctx context.Context, dir, addr string, logger *slog.Logger) (*MongoDB, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("embedded MongoDB: create %s: %w", dir, err)
	}
	f, err := ferretdb.New(&ferretdb.Config{
		Listener:  ferretdb.ListenerConfig{TCP: addr},
		Handler:   "sqlite",
		SQLiteURL: "file:" + strings.TrimSuffix(dir, "/") + "/",
		Logger:    slog.New(quietHandler{logger.Handler().WithAttrs([]slog.Attr{slog.String("engine", "ferretdb")})}),
	})
	if err != nil {
		return nil, fmt.Errorf("embedded MongoDB: %w", err)
	}
	runCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	m := &MongoDB{cancel: cancel, done: make(chan struct{}), indexed: make(chan struct{}),
		indexer: &idIndexer{dir: dir}}
	go func() {
		defer close(m.done)
		_ = f.Run(runCtx)
	}()
	go func() {
		defer close(m.indexed)
		m.indexer.run(runCtx, 5*time.Second)
	}()
	uri := make(chan string, 1)
	go func() { uri <- f.MongoDBURI() }()
	select {
	case m.uri = <-uri:
		return m, nil
	case <-m.done:
		cancel()
		return nil, fmt.Errorf("embedded MongoDB: could not listen on %s", addr)
	case <-time.After(30 * time.Second):
		cancel()
		return nil, errors.New("embedded MongoDB: did not start within 30s")
	}
}

// URI is the mongodb:// address the engine listens on.
func (m *MongoDB) URI() string { return m.uri }

// IndexIDs gives every collection made so far the index its lookups by
// _id need (see idIndexer); the engine also does so every few seconds for
// collections made later. Call it after creating collections in bulk.
func (m *MongoDB) IndexIDs(ctx context.Context) error {
	_, err := m.indexer.index(ctx)
	return err
}

// Close stops the engine after in-flight requests finish.
func (m *MongoDB) Close() error {
	m.cancel()
	<-m.done
	<-m.indexed
	return nil
}

// quietHandler passes FerretDB's warnings and errors on, minus what must
// not or need not reach the log: it logs every error reply at warn with the
// whole reply body (which can quote document values, such as a duplicate
// key), and the endSessions noise of every client disconnect.
type quietHandler struct{ slog.Handler }

func (h quietHandler) Enabled(ctx context.Context, l slog.Level) bool {
	return l >= slog.LevelWarn && h.Handler.Enabled(ctx, l)
}

func (h quietHandler) Handle(ctx context.Context, r slog.Record) error {
	msg := r.Message
	switch {
	case strings.Contains(msg, "endSessions"),
		strings.Contains(msg, "Response message:"), strings.Contains(msg, "Request message:"),
		r.Level < slog.LevelError && strings.Contains(msg, "Response header:"):
		return nil
	}
	return h.Handler.Handle(ctx, r)
}

func (h quietHandler) WithAttrs(as []slog.Attr) slog.Handler {
	return quietHandler{h.Handler.WithAttrs(as)}
}

func (h quietHandler) WithGroup(name string) slog.Handler {
	return quietHandler{h.Handler.WithGroup(name)}
}
