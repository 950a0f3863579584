package blob_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"dossier/internal/blob"
	"dossier/internal/blob/blobtest"
	"dossier/internal/testkit"
)

func TestMain(m *testing.M) { os.Exit(testkit.Main(m)) }

// TestConformance runs against the embedded S3 server, or against
// DOSSIER_TEST_S3_ENDPOINT (a real MinIO in CI).
func TestConformance(t *testing.T) {
	blobtest.Run(t, testkit.MustOpenS3)
}

// TestTamperedFileOnDisk changes a stored file behind the S3 server's back,
// as someone with access to the disk might: reading it fails loudly.
func TestTamperedFileOnDisk(t *testing.T) {
	if testkit.S3(t); testkit.EmbeddedS3Dir() == "" {
		t.Skip("needs the embedded S3 server's folder (.ci/run leaves this test out of its MinIO pass)")
	}
	s := testkit.MustOpenS3(t)
	ctx := context.Background()
	obj, err := s.Put(ctx, "evidence/pentest.pdf", strings.NewReader("original letter"), -1, blob.PutOptions{})
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(testkit.EmbeddedS3Dir(), "objects", s.Bucket(), "evidence", "pentest.pdf")
	if err := os.WriteFile(path, []byte("forged  letter!"), 0o644); err != nil {
		t.Fatal(err)
	}
	err = s.Verify(ctx, obj.Key, obj.VersionID, obj.SHA256)
	if !errors.Is(err, blob.ErrIntegrity) {
		t.Fatalf("reading a tampered file: got %v, want ErrIntegrity", err)
	}
}
