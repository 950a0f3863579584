// Package blobtest is the conformance suite every S3 server Dossier runs on
// must pass: the embedded server in every test run, a real MinIO in CI.
package blobtest

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"dossier/internal/blob"
	"dossier/internal/errs"
)

// Run runs the suite; open returns a store on a fresh bucket.
func Run(t *testing.T, open func(testing.TB) *blob.Store) {
	ctx := context.Background()

	t.Run("PutGetKnownSize", func(t *testing.T) {
		s := open(t)
		data := random(t, 3<<20)
		obj, err := s.Put(ctx, "a/known.bin", bytes.NewReader(data), int64(len(data)), blob.PutOptions{ContentType: "application/pdf"})
		if err != nil {
			t.Fatal(err)
		}
		if obj.SHA256 != sum(data) || obj.Size != int64(len(data)) || obj.VersionID == "" {
			t.Fatalf("put returned %+v, want sha %s size %d and a version id", obj, sum(data), len(data))
		}
		if got := read(t, s, obj.Key, obj.VersionID, obj.SHA256); !bytes.Equal(got, data) {
			t.Fatal("read back different bytes")
		}
	})

	t.Run("PutUnknownSizeMultipart", func(t *testing.T) {
		s := open(t)
		data := random(t, blob.PartSize+5<<20)
		obj, err := s.Put(ctx, "a/unknown.bin", io.MultiReader(bytes.NewReader(data)), -1, blob.PutOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if obj.SHA256 != sum(data) || obj.Size != int64(len(data)) {
			t.Fatalf("put returned size %d sha %s, want %d %s", obj.Size, obj.SHA256, len(data), sum(data))
		}
		if got := read(t, s, obj.Key, obj.VersionID, obj.SHA256); !bytes.Equal(got, data) {
			t.Fatal("read back different bytes")
		}
	})

	t.Run("ErrIntegrity", func(t *testing.T) {
		s := open(t)
		obj, err := s.Put(ctx, "a/x.txt", strings.NewReader("the real bytes"), -1, blob.PutOptions{})
		if err != nil {
			t.Fatal(err)
		}
		err = s.Verify(ctx, obj.Key, obj.VersionID, sum([]byte("other bytes")))
		if !errors.Is(err, blob.ErrIntegrity) {
			t.Fatalf("verify with the wrong hash: got %v, want ErrIntegrity", err)
		}
		if err := s.Verify(ctx, obj.Key, obj.VersionID, obj.SHA256); err != nil {
			t.Fatalf("verify with the right hash: %v", err)
		}
	})

	t.Run("ErrNotFound", func(t *testing.T) {
		s := open(t)
		_, err := s.Get(ctx, "nothing/here", "", sum(nil))
		if !errs.Is(err, errs.NotFound) {
			t.Fatalf("got %v, want not_found", err)
		}
	})

	t.Run("ErrShortUpload", func(t *testing.T) {
		s := open(t)
		_, err := s.Put(ctx, "a/short", strings.NewReader("only this"), 100, blob.PutOptions{})
		if err == nil {
			t.Fatal("a body shorter than its declared size was accepted")
		}
	})

	t.Run("Versions", func(t *testing.T) {
		s := open(t)
		v1, err := s.Put(ctx, "doc/policy.pdf", strings.NewReader("rev 1"), -1, blob.PutOptions{})
		if err != nil {
			t.Fatal(err)
		}
		v2, err := s.Put(ctx, "doc/policy.pdf", strings.NewReader("rev 2, longer"), -1, blob.PutOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if v1.VersionID == v2.VersionID {
			t.Fatal("two puts share one version id")
		}
		vs, err := s.Versions(ctx, "doc/policy.pdf")
		if err != nil {
			t.Fatal(err)
		}
		if len(vs) != 2 || !vs[0].IsLatest || vs[0].VersionID != v2.VersionID {
			t.Fatalf("versions = %+v, want v2 latest then v1", vs)
		}
		if got := read(t, s, v1.Key, v1.VersionID, v1.SHA256); string(got) != "rev 1" {
			t.Fatalf("old version reads %q", got)
		}
	})

	t.Run("List", func(t *testing.T) {
		s := open(t)
		put := func(key, body string) blob.Object {
			t.Helper()
			obj, err := s.Put(ctx, key, strings.NewReader(body), -1, blob.PutOptions{})
			if err != nil {
				t.Fatal(err)
			}
			return obj
		}
		put("seals/b.json", "one")
		put("seals/a.json", "first")
		a2 := put("seals/a.json", "second, longer")
		deep := put("seals/2026/c.json", "nested")
		put("sealsish/d.json", "outside the prefix")
		got, err := s.List(ctx, "seals/")
		if err != nil {
			t.Fatal(err)
		}
		keys := make([]string, len(got))
		for i, o := range got {
			keys[i] = o.Key
		}
		if strings.Join(keys, " ") != "seals/2026/c.json seals/a.json seals/b.json" {
			t.Fatalf("listed %v, want the three keys under seals/ in key order", keys)
		}
		a := got[1]
		if a.Versions != 2 || a.VersionID != a2.VersionID || a.Size != a2.Size || a.Deleted || a.LastModified.IsZero() {
			t.Fatalf("seals/a.json listed as %+v, want 2 versions, latest %s of %d bytes", a, a2.VersionID, a2.Size)
		}
		if c := got[0]; c.Versions != 1 || c.VersionID != deep.VersionID {
			t.Fatalf("seals/2026/c.json listed as %+v, want one version %s", c, deep.VersionID)
		}
		none, err := s.List(ctx, "nothing/")
		if err != nil || len(none) != 0 {
			t.Fatalf("empty prefix listed %v, %v; want nothing and no error", none, err)
		}
	})

	for _, mode := range []blob.Mode{blob.Governance, blob.Compliance} {
		t.Run("Retention"+string(mode), func(t *testing.T) {
			s := open(t)
			obj, err := s.Put(ctx, "contract/baa.pdf", strings.NewReader("signed"), -1, blob.PutOptions{
				Retention: &blob.Retention{Mode: mode, Until: time.Now().Add(time.Hour)},
			})
			if err != nil {
				t.Fatal(err)
			}
			if err := s.Delete(ctx, obj.Key, obj.VersionID); !errs.Is(err, errs.Conflict) {
				t.Fatalf("delete under %s retention: got %v, want conflict", mode, err)
			}
			if got := read(t, s, obj.Key, obj.VersionID, obj.SHA256); string(got) != "signed" {
				t.Fatal("retained file changed")
			}
		})
	}

	t.Run("RetentionSetLater", func(t *testing.T) {
		s := open(t)
		obj, err := s.Put(ctx, "doc/rev.pdf", strings.NewReader("superseded"), -1, blob.PutOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if err := s.SetRetention(ctx, obj.Key, obj.VersionID, blob.Retention{Mode: blob.Governance, Until: time.Now().Add(time.Hour)}); err != nil {
			t.Fatal(err)
		}
		if err := s.Delete(ctx, obj.Key, obj.VersionID); !errs.Is(err, errs.Conflict) {
			t.Fatalf("delete after retention was set: got %v, want conflict", err)
		}
	})

	t.Run("LegalHold", func(t *testing.T) {
		s := open(t)
		obj, err := s.Put(ctx, "contract/held.pdf", strings.NewReader("evidence"), -1, blob.PutOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if err := s.SetLegalHold(ctx, obj.Key, obj.VersionID, true); err != nil {
			t.Fatal(err)
		}
		if on, err := s.LegalHold(ctx, obj.Key, obj.VersionID); err != nil || !on {
			t.Fatalf("legal hold reads %v, %v; want on", on, err)
		}
		if err := s.Delete(ctx, obj.Key, obj.VersionID); !errs.Is(err, errs.Conflict) {
			t.Fatalf("delete under legal hold: got %v, want conflict", err)
		}
		if err := s.SetLegalHold(ctx, obj.Key, obj.VersionID, false); err != nil {
			t.Fatal(err)
		}
		if on, err := s.LegalHold(ctx, obj.Key, obj.VersionID); err != nil || on {
			t.Fatalf("legal hold reads %v, %v after lifting; want off", on, err)
		}
		if err := s.Delete(ctx, obj.Key, obj.VersionID); err != nil {
			t.Fatalf("delete after the hold was lifted: %v", err)
		}
		if _, err := s.Get(ctx, obj.Key, obj.VersionID, obj.SHA256); !errs.Is(err, errs.NotFound) {
			t.Fatalf("deleted version still readable: %v", err)
		}
	})

	t.Run("PresignGet", func(t *testing.T) {
		s := open(t)
		obj, err := s.Put(ctx, "evidence/soc2.pdf", strings.NewReader("report"), -1, blob.PutOptions{ContentType: "application/pdf"})
		if err != nil {
			t.Fatal(err)
		}
		u, err := s.PresignGet(ctx, obj.Key, obj.VersionID, time.Minute, "SOC 2 report.pdf")
		if err != nil {
			t.Fatal(err)
		}
		body, status := httpGet(t, u.String())
		if status != http.StatusOK || body != "report" {
			t.Fatalf("presigned GET: %d %q", status, body)
		}
		q := u.Query()
		sig := q.Get("X-Amz-Signature")
		q.Set("X-Amz-Signature", strings.Repeat("0", len(sig)))
		u.RawQuery = q.Encode()
		if _, status := httpGet(t, u.String()); status != http.StatusForbidden {
			t.Fatalf("tampered signature: status %d, want 403", status)
		}
		if _, err := s.PresignGet(ctx, obj.Key, obj.VersionID, 2*blob.MaxPresign, ""); !errs.Is(err, errs.Invalid) {
			t.Fatalf("over-long link: got %v, want invalid", err)
		}
	})
}

func random(t testing.TB, n int) []byte {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return b
}

func sum(b []byte) string {
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:])
}

func read(t testing.TB, s *blob.Store, key, version, sha string) []byte {
	t.Helper()
	r, err := s.Get(context.Background(), key, version, sha)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	b, err := io.ReadAll(r)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func httpGet(t testing.TB, u string) (string, int) {
	t.Helper()
	resp, err := http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return string(b), resp.StatusCode
}
