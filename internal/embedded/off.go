//go:build noembed

package embedded

import (
	"context"
	"errors"
	"log/slog"
)

// Available reports whether the embedded engines are compiled in.
const Available = false

// MongoDB is absent from this build.
type MongoDB struct{}

// StartMongoDB always fails in a noembed build.
func StartMongoDB(ctx context.Context, dir, addr string, logger *slog.Logger) (*MongoDB, error) {
	return nil, errors.New("this build has no embedded MongoDB engine (built with -tags noembed): set DOSSIER_MONGO_URI")
}

func (m *MongoDB) URI() string                        { return "" }
func (m *MongoDB) IndexIDs(ctx context.Context) error { return nil }
func (m *MongoDB) Close() error                       { return nil }

// S3 is absent from this build.
type S3 struct{ Endpoint, AccessKey, SecretKey string }

// StartS3 always fails in a noembed build.
func StartS3(ctx context.Context, dataDir, addr string) (*S3, error) {
	return nil, errors.New("this build has no embedded S3 server (built with -tags noembed): set DOSSIER_S3_ENDPOINT and its keys")
}

func (s *S3) Close() error { return nil }
