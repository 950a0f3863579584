package blob_test

import (
	"os"
	"testing"

	"dossier/internal/blob/blobtest"
	"dossier/internal/testkit"
)

func TestMain(m *testing.M) { os.Exit(testkit.Main(m)) }

// TestConformance runs against the embedded S3 server, or against
// DOSSIER_TEST_S3_ENDPOINT (a real MinIO in CI).
func TestConformance(t *testing.T) {
	blobtest.Run(t, testkit.MustOpenS3)
}
