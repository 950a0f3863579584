package app

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"
)

// engines is the handshake a running server leaves beside its lock: where
// its embedded engines listen, so that command-line tools reach the same
// data through them instead of opening the database files a second time.
type engines struct {
	PID         int    `json:"pid"`
	MongoURI    string `json:"mongo_uri,omitempty"`
	S3Endpoint  string `json:"s3_endpoint,omitempty"`
	S3AccessKey string `json:"s3_access_key,omitempty"`
	S3SecretKey string `json:"s3_secret_key,omitempty"`
}

const enginesFile = "engines.json"

// writeEngines records the handshake; it holds the S3 keys, so only the
// owner may read it (like s3-credentials.json beside it).
func writeEngines(dir string, e engines) error {
	b, err := json.Marshal(e)
	if err != nil {
		return err
	}
	tmp := filepath.Join(dir, enginesFile+".tmp")
	if err := os.WriteFile(tmp, b, 0o600); err != nil {
		return err
	}
	return os.Rename(tmp, filepath.Join(dir, enginesFile))
}

func removeEngines(dir string) { _ = os.Remove(filepath.Join(dir, enginesFile)) }

// readEngines waits, until ctx ends, for the handshake of the server that
// holds the data folder: it may still be starting its engines.
func readEngines(ctx context.Context, dir string) (engines, error) {
	for {
		var e engines
		b, err := os.ReadFile(filepath.Join(dir, enginesFile))
		if err == nil {
			if err := json.Unmarshal(b, &e); err != nil {
				return e, fmt.Errorf("read %s: %w", enginesFile, err)
			}
			return e, nil
		}
		if !errors.Is(err, os.ErrNotExist) {
			return e, err
		}
		select {
		case <-ctx.Done():
			return e, fmt.Errorf("data folder %s is in use by a Dossier process that has not published its engines yet; try again when it is ready", dir)
		case <-time.After(100 * time.Millisecond):
		}
	}
}
