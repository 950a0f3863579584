//go:build !noembed

package embedded

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"time"

	_ "modernc.org/sqlite" // the driver FerretDB itself uses
)

// FerretDB v1 answers a find by string _id with
// "WHERE _ferretdb_sjson->'$._id' = ?", but indexes _id as
// (_ferretdb_sjson->"_id"): SQLite matches index expressions by their
// text, so every lookup by _id scans the table and parses each document's
// JSON (measured: 15 ms for one of 200 documents of 10 KB, 90 ms for a
// conditional update; 5 and 14 ms with an index on the same expression).
// idIndexer adds that index to every collection table. FerretDB does not
// know the index (it lists and drops only the indexes in its own metadata)
// and dropping the collection drops the table with it.
type idIndexer struct {
	dir string
	mu  sync.Mutex
}

// index adds the _id lookup index to every table that lacks it, in every
// database file, and reports how many it added. Each file is opened for
// the pass and closed after it: FerretDB deletes a dropped database's file
// and makes a new one, which a connection kept open would not see.
func (x *idIndexer) index(ctx context.Context) (int, error) {
	x.mu.Lock()
	defer x.mu.Unlock()
	files, err := filepath.Glob(filepath.Join(x.dir, "*.sqlite"))
	if err != nil {
		return 0, err
	}
	added := 0
	for _, f := range files {
		n, err := indexFile(ctx, f)
		added += n
		if err != nil {
			return added, fmt.Errorf("%s: %w", filepath.Base(f), err)
		}
	}
	return added, nil
}

func indexFile(ctx context.Context, file string) (int, error) {
	db, err := sql.Open("sqlite", "file:"+file+"?_pragma=busy_timeout(10000)")
	if err != nil {
		return 0, err
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	return indexTables(ctx, db)
}

func indexTables(ctx context.Context, db *sql.DB) (int, error) {
	rows, err := db.QueryContext(ctx, `SELECT t.name FROM sqlite_master t
		WHERE t.type = 'table' AND t.name NOT LIKE '\_ferretdb\_%' ESCAPE '\'
		AND NOT EXISTS (SELECT 1 FROM sqlite_master i WHERE i.type = 'index' AND i.name = t.name || '_dossier_id')`)
	if err != nil {
		return 0, err
	}
	var tables []string
	for rows.Next() {
		var name string
		if err := rows.Scan(&name); err != nil {
			rows.Close()
			return 0, err
		}
		tables = append(tables, name)
	}
	if err := rows.Close(); err != nil {
		return 0, err
	}
	for i, t := range tables {
		q := fmt.Sprintf(`CREATE INDEX IF NOT EXISTS %q ON %q (_ferretdb_sjson->'$._id')`, t+"_dossier_id", t)
		if _, err := db.ExecContext(ctx, q); err != nil && !strings.Contains(err.Error(), "no such table") {
			return i, err
		}
	}
	return len(tables), nil
}

// run indexes new tables every interval until ctx ends.
func (x *idIndexer) run(ctx context.Context, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			_, _ = x.index(ctx) // a failure now is retried at the next tick
		}
	}
}
