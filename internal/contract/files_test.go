package contract_test

import (
	"bytes"
	"context"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/pdfcpu/pdfcpu/pkg/api"
	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/model"
	"go.mongodb.org/mongo-driver/bson"

	"dossier/internal/blob"
	"dossier/internal/contract"
	"dossier/internal/errs"
	"dossier/internal/pdfdoc"
	"dossier/internal/testkit"
	"dossier/internal/upload"
)

// TestDraftFiles deletes a file uploaded to a draft by mistake, then puts
// the draft in force: from then on every file is under retention until six
// years after the expiry, and S3 itself refuses to delete it.
func TestDraftFiles(t *testing.T) {
	e := newEnv(t)
	c := e.mustCreate(t, e.msa())
	c = e.mustUpload(t, c, "wrong vendor.pdf", pdfdoc.Text("Another vendor's agreement"), true)
	wrong := c.Files[0]
	c, err := e.svc.DeleteFile(e.ctx, domain, c.ID, c.Version, wrong.N, "Uploaded to the wrong contract.")
	if err != nil || len(c.Files) != 0 {
		t.Fatalf("delete a draft's file: %v (%d files)", err, len(c.Files))
	}
	if _, err := e.files.Get(context.Background(), wrong.Key, wrong.VersionID, wrong.SHA256); !errs.Is(err, errs.NotFound) {
		t.Fatalf("the deleted file is still stored: %v", err)
	}
	c = e.mustUpload(t, c, "MSA signed.pdf", pdfdoc.Blank(3), true)
	c, err = e.svc.Activate(e.ctx, domain, c.ID, c.Version)
	if err != nil {
		t.Fatal(err)
	}
	f := c.Files[0]
	if want := e.date(335).AddDate(6, 0, 0); !f.RetainUntil.Equal(want) || f.RetentionMode != string(blob.Governance) {
		t.Fatalf("retention %v %s, want %v", f.RetainUntil, f.RetentionMode, want)
	}
	if err := e.files.Delete(context.Background(), f.Key, f.VersionID); !errs.Is(err, errs.Conflict) {
		t.Fatalf("S3 let a retained file be deleted: %v", err)
	}
	_, err = e.svc.DeleteFile(e.ctx, domain, c.ID, c.Version, f.N, "No longer needed.")
	wantCode(t, err, errs.Conflict)
	wantMessage(t, err, f.RetainUntil.Format(time.DateOnly))
}

func TestUploadFile(t *testing.T) {
	e := newEnv(t)
	c := e.mustCreate(t, e.msa())
	prefix := "contracts/" + c.ID + "/"
	t.Run("OKSignedPDF", func(t *testing.T) {
		data := pdfdoc.Blank(3)
		c = e.mustUpload(t, c, "MSA signed.pdf", data, true)
		f := c.Files[0]
		if f.N != 1 || !f.Signed || f.Pages != 3 || f.ContentType != "application/pdf" || f.Size != int64(len(data)) ||
			len(f.SHA256) != 64 || f.Name != "MSA signed.pdf" || !strings.HasPrefix(f.Key, prefix+"1-") || f.VersionID == "" {
			t.Fatalf("file %+v", f)
		}
		if !f.RetainUntil.IsZero() || f.RetentionMode != "" {
			t.Fatalf("a draft's file is under retention %v %s; drafts' files are locked when put in force", f.RetainUntil, f.RetentionMode)
		}
		if a := e.audit.Last(t, "contract.file_upload"); a.Details["sha256"] != f.SHA256 || a.Details["signed"] != "true" {
			t.Fatalf("audit %v", a.Details)
		}
	})
	t.Run("OKWorkingCopyDOCX", func(t *testing.T) {
		c = e.mustUpload(t, c, "redline.docx", docx(t), false)
		f := c.Files[1]
		if f.N != 2 || f.Signed || f.Pages != 0 || !strings.Contains(f.ContentType, "wordprocessingml") {
			t.Fatalf("file %+v", f)
		}
	})
	refused := []struct {
		name   string
		file   string
		data   []byte
		signed bool
		words  string
	}{
		{"ErrEmpty", "empty.pdf", nil, true, "empty"},
		{"ErrNotAPDF", "contract.pdf", []byte("This is plain text pretending to be a PDF.\n"), true, "not a PDF"},
		{"ErrCorruptPDF", "broken.pdf", pdfdoc.Text("Truncated")[:200], true, "could not be read"},
		{"ErrSignedDOCX", "signed.docx", docx(t), true, "Upload a PDF"},
		{"ErrImage", "scan.png", []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"), false, "PDF or DOCX"},
	}
	for _, tc := range refused {
		t.Run(tc.name, func(t *testing.T) {
			before := e.objects(t, prefix)
			_, err := e.upload(t, c, tc.file, tc.data, tc.signed, true)
			wantCode(t, err, errs.Invalid)
			wantFields(t, err, "file")
			wantMessage(t, err, tc.words)
			if n := e.objects(t, prefix); n != before {
				t.Fatalf("%d objects stored after a refused upload, had %d", n, before)
			}
			if got, _ := e.svc.Get(e.ctx, domain, c.ID); got.Version != c.Version || len(got.Files) != 2 {
				t.Fatalf("a refused upload changed the contract: version %d, %d files", got.Version, len(got.Files))
			}
		})
	}
	t.Run("ErrConflictStaleVersionStoresNothing", func(t *testing.T) {
		before := e.objects(t, prefix)
		stale := c
		stale.Version--
		_, err := e.upload(t, stale, "late.pdf", signedPDF("late"), true, true)
		wantCode(t, err, errs.Conflict)
		if n := e.objects(t, prefix); n != before {
			t.Fatalf("%d objects after a stale upload, had %d", n, before)
		}
	})
	t.Run("OKEncryptedPDFMarked", func(t *testing.T) {
		var enc bytes.Buffer
		if err := api.Encrypt(bytes.NewReader(pdfdoc.Blank(2)), &enc, model.NewAESConfiguration("open-me", "owner-secret", 256)); err != nil {
			t.Fatal(err)
		}
		c = e.mustUpload(t, c, "encrypted.pdf", enc.Bytes(), true)
		if f := c.Files[len(c.Files)-1]; !f.Encrypted || f.Pages != 0 {
			t.Fatalf("encrypted PDF not marked: %+v", f)
		}
	})
}

func TestOpenFile(t *testing.T) {
	e := newEnv(t)
	data := signedPDF("Downloaded")
	c := e.mustCreate(t, e.msa())
	c = e.mustUpload(t, c, "signed.pdf", data, true)
	t.Run("OKVerifiedAndAudited", func(t *testing.T) {
		f, r, err := e.svc.OpenFile(e.ctx, domain, c.ID, 1)
		if err != nil {
			t.Fatal(err)
		}
		got, err := io.ReadAll(r)
		r.Close()
		if err != nil || !bytes.Equal(got, data) || f.SHA256 != c.Files[0].SHA256 {
			t.Fatalf("read %d bytes, %v", len(got), err)
		}
		a := e.audit.Last(t, "contract.file_download")
		if a.ObjectID != c.ID || a.Details["file"] != "1" || a.Details["sha256"] != f.SHA256 || a.Actor.ID != e.legal.ID {
			t.Fatalf("audit %+v", a)
		}
	})
	t.Run("ErrIntegrity", func(t *testing.T) {
		// The record's SHA-256 no longer matches the stored bytes.
		wrong := strings.Repeat("0", 64)
		if _, err := e.db.Collection(contract.Collection).Update(context.Background(), bson.M{"_id": c.ID}, bson.M{"$set": bson.M{"files.0.sha256": wrong}}); err != nil {
			t.Fatal(err)
		}
		_, r, err := e.svc.OpenFile(e.ctx, domain, c.ID, 1)
		if err != nil {
			t.Fatal(err)
		}
		defer r.Close()
		if _, err := io.ReadAll(r); !isIntegrity(err) {
			t.Fatalf("tampered read: %v, want an integrity error", err)
		}
	})
	t.Run("ErrNotFound", func(t *testing.T) {
		_, _, err := e.svc.OpenFile(e.ctx, domain, c.ID, 9)
		wantCode(t, err, errs.NotFound)
		_, _, err = e.svc.OpenFile(e.ctx, "other-hospital", c.ID, 1)
		wantCode(t, err, errs.NotFound)
	})
}

func TestHold(t *testing.T) {
	e := newEnv(t)
	c := e.mustActivate(t, e.msa())
	c = e.mustUpload(t, c, "redline.docx", docx(t), false)
	held := func(t *testing.T, f contract.FileVersion) bool {
		t.Helper()
		on, err := e.files.LegalHold(context.Background(), f.Key, f.VersionID)
		if err != nil {
			t.Fatal(err)
		}
		return on
	}
	t.Run("ErrReasonRequired", func(t *testing.T) {
		_, err := e.svc.SetHold(e.ctx, domain, c.ID, c.Version, true, " ")
		wantFields(t, err, "reason")
	})
	var err error
	c, err = e.svc.SetHold(e.ctx, domain, c.ID, c.Version, true, "Litigation: Doe v. General Hospital, counsel's request of 1 March")
	if err != nil {
		t.Fatal(err)
	}
	if !c.Hold.On || c.Hold.By != e.legal.ID || !held(t, c.Files[0]) || !held(t, c.Files[1]) {
		t.Fatalf("hold %+v", c.Hold)
	}
	e.audit.Last(t, "contract.hold")
	t.Run("OKUploadWhileHeldIsHeld", func(t *testing.T) {
		c = e.mustUpload(t, c, "exhibit.pdf", signedPDF("Exhibit"), false)
		if !held(t, c.Files[2]) {
			t.Fatal("a file added to a held contract is not held")
		}
	})
	t.Run("ErrDeleteWhileHeld", func(t *testing.T) {
		end := e.today()
		ended, err := e.svc.Terminate(e.ctx, domain, c.ID, c.Version, end, "Ended while in litigation.")
		if err != nil {
			t.Fatal(err)
		}
		c = ended
		e.clock.Advance(7 * 366 * 24 * time.Hour) // retention long past
		_, err = e.svc.DeleteFile(e.ctx, domain, c.ID, c.Version, 1, "Retention passed.")
		wantCode(t, err, errs.Conflict)
		wantMessage(t, err, "legal hold since 2026-03-02", "Doe v. General Hospital")
		_, err = e.svc.Dispose(e.ctx, domain, c.ID, c.Version, "Retention passed.")
		wantCode(t, err, errs.Conflict)
		wantMessage(t, err, "legal hold")
	})
	t.Run("OKRelease", func(t *testing.T) {
		_, err := e.svc.SetHold(e.ctx, domain, c.ID, c.Version, true, "again")
		wantCode(t, err, errs.Conflict)
		c, err = e.svc.SetHold(e.ctx, domain, c.ID, c.Version, false, "Case settled; counsel released the hold.")
		if err != nil {
			t.Fatal(err)
		}
		if c.Hold.On || held(t, c.Files[0]) || held(t, c.Files[2]) {
			t.Fatal("hold not lifted")
		}
		e.audit.Last(t, "contract.hold_release")
	})
}

func TestRetention(t *testing.T) {
	e := newEnv(t)
	c := e.mustActivate(t, e.msa())
	t.Run("ErrDeleteWhileInForce", func(t *testing.T) {
		_, err := e.svc.DeleteFile(e.ctx, domain, c.ID, c.Version, 1, "Wrong file.")
		wantCode(t, err, errs.Conflict)
		wantMessage(t, err, "in force", e.date(335).AddDate(6, 0, 0).Format(time.DateOnly))
	})
	// Ends today, before its expiry: the upload's retention (expiry + 6
	// years) is the later date and disposal waits for it.
	c, err := e.svc.Terminate(e.ctx, domain, c.ID, c.Version, e.today(), "Replaced.")
	if err != nil {
		t.Fatal(err)
	}
	from := c.DisposableFrom()
	t.Run("ErrDeleteWhileRetained", func(t *testing.T) {
		_, err := e.svc.DeleteFile(e.ctx, domain, c.ID, c.Version, 1, "Clean-up.")
		wantCode(t, err, errs.Conflict)
		wantMessage(t, err, "last in effect on 2026-03-02", "disposal is possible from "+from.Format(time.DateOnly))
		_, err = e.svc.Dispose(e.ctx, domain, c.ID, c.Version, "Clean-up.")
		wantCode(t, err, errs.Conflict)
		wantMessage(t, err, "possible from "+from.Format(time.DateOnly))
		if got, _ := e.svc.Get(e.ctx, domain, c.ID); len(got.Files) != 1 || got.Version != c.Version {
			t.Fatal("a refused delete changed the contract")
		}
	})
	t.Run("ErrStorageStillLocksItPutBack", func(t *testing.T) {
		// Dossier's clock says retention passed; the storage's clock (real
		// time) does not: the object lock refuses and the record keeps the
		// file.
		e.clock.Advance(time.Until(from) + 7*366*24*time.Hour)
		_, err := e.svc.DeleteFile(e.ctx, domain, c.ID, c.Version, 1, "Retention passed.")
		wantCode(t, err, errs.Conflict)
		got, gerr := e.svc.Get(e.ctx, domain, c.ID)
		if gerr != nil || len(got.Files) != 1 {
			t.Fatalf("file record lost after S3 refused: %d files, %v", len(got.Files), gerr)
		}
		if n := e.objects(t, "contracts/"+c.ID+"/"); n != 1 {
			t.Fatalf("%d objects", n)
		}
	})
}

// TestUploadWhileS3Down cuts the connection to S3: the upload fails with a
// clear error and the contract records no file.
func TestUploadWhileS3Down(t *testing.T) {
	srv := testkit.S3(t)
	proxy := testkit.StartProxy(t, srv.Endpoint)
	ctx := context.Background()
	files, err := blob.Open(ctx, blob.Options{Endpoint: proxy.Addr, AccessKey: srv.AccessKey, SecretKey: srv.SecretKey, TLS: srv.TLS,
		Region: "us-east-1", Bucket: testkit.RandomName("t-")})
	if err != nil {
		t.Fatal(err)
	}
	e := newEnvWith(t, files)
	c := e.mustCreate(t, e.msa())
	proxy.Cut()
	start := time.Now()
	_, err = e.upload(t, c, "signed.pdf", signedPDF("S3 down"), true, true)
	t.Logf("upload failed after %v", time.Since(start).Round(time.Millisecond))
	wantCode(t, err, errs.Unavailable)
	wantMessage(t, err, "File storage is unavailable", "not stored")
	got, err := e.svc.Get(e.ctx, domain, c.ID)
	if err != nil || len(got.Files) != 0 || got.Version != c.Version {
		t.Fatalf("after the failed upload: %d files, version %d (was %d), %v", len(got.Files), got.Version, c.Version, err)
	}
	proxy.Restore()
	if n := e.objects(t, "contracts/"+c.ID+"/"); n != 0 {
		t.Fatalf("%d objects stored", n)
	}
	c = e.mustUpload(t, c, "signed.pdf", signedPDF("S3 back"), true)
	if len(c.Files) != 1 {
		t.Fatalf("upload after S3 came back: %d files", len(c.Files))
	}
}

func TestComplianceRetention(t *testing.T) {
	e := newEnv(t)
	e.svc = contract.New(e.db, contract.Options{Vendors: e.vendors, Audit: e.audit, Users: e.users, Files: e.files,
		Checker: upload.NewChecker(upload.Options{}), ComplianceRetention: true, Now: e.clock.Now})
	c := e.mustActivate(t, e.msa())
	f := c.Files[0]
	if f.RetentionMode != string(blob.Compliance) {
		t.Fatalf("mode %q", f.RetentionMode)
	}
	if err := e.files.Delete(context.Background(), f.Key, f.VersionID); !errs.Is(err, errs.Conflict) {
		t.Fatalf("S3 let a file under compliance retention be deleted: %v", err)
	}
	c, err := e.svc.Terminate(e.ctx, domain, c.ID, c.Version, e.today(), "Ended.")
	if err != nil || c.Files[0].RetentionMode != string(blob.Compliance) {
		t.Fatalf("after termination: %+v %v", c.Files, err)
	}
}
