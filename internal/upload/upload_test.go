package upload_test

import (
	"archive/zip"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"io"
	"mime/multipart"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pdfcpu/pdfcpu/pkg/api"
	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/model"

	"dossier/internal/errs"
	"dossier/internal/pdfdoc"
	"dossier/internal/upload"
)

// makePDF writes a small valid PDF with n blank pages.
func makePDF(n int) []byte { return pdfdoc.Blank(n) }

func encryptPDF(t *testing.T, pdf []byte, userPW, ownerPW string) []byte {
	t.Helper()
	var out bytes.Buffer
	if err := api.Encrypt(bytes.NewReader(pdf), &out, model.NewAESConfiguration(userPW, ownerPW, 256)); err != nil {
		t.Fatalf("encrypt: %v", err)
	}
	return out.Bytes()
}

func makeZip(t *testing.T, names ...string) []byte {
	t.Helper()
	var b bytes.Buffer
	w := zip.NewWriter(&b)
	for _, n := range names {
		f, err := w.Create(n)
		if err != nil {
			t.Fatal(err)
		}
		io.WriteString(f, "<x/>")
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func makePNG(t *testing.T) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, 4, 3))
	img.Set(1, 1, color.RGBA{R: 200, A: 255})
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func makeJPEG(t *testing.T) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := jpeg.Encode(&b, image.NewGray(image.Rect(0, 0, 8, 8)), nil); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// spool spools content named name for a test, removed when it ends.
func spool(t *testing.T, name string, content []byte) *upload.File {
	t.Helper()
	f, err := upload.Spool(bytes.NewReader(content), 25<<20, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	f.Name = name
	t.Cleanup(f.Remove)
	return f
}

func TestSpool(t *testing.T) {
	t.Run("OK", func(t *testing.T) {
		content := bytes.Repeat([]byte("evidence "), 10000)
		dir := t.TempDir()
		f, err := upload.Spool(bytes.NewReader(content), 1<<20, dir)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Remove()
		sum := sha256.Sum256(content)
		if f.Size != int64(len(content)) || f.SHA256 != hex.EncodeToString(sum[:]) || filepath.Dir(f.Path) != dir {
			t.Fatalf("got %+v", f)
		}
		st, err := os.Stat(f.Path)
		if err != nil || st.Mode().Perm() != 0o600 {
			t.Fatalf("temporary file mode %v, %v", st.Mode(), err)
		}
		r, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		got, _ := io.ReadAll(r)
		r.Close()
		if !bytes.Equal(got, content) {
			t.Fatal("content differs")
		}
		f.Remove()
		f.Remove()
		if _, err := os.Stat(f.Path); !os.IsNotExist(err) {
			t.Fatalf("still there: %v", err)
		}
	})
	t.Run("OKExactlyAtLimit", func(t *testing.T) {
		f, err := upload.Spool(strings.NewReader("12345"), 5, t.TempDir())
		if err != nil || f.Size != 5 {
			t.Fatalf("%+v %v", f, err)
		}
		f.Remove()
	})
	t.Run("ErrTooLarge", func(t *testing.T) {
		dir := t.TempDir()
		_, err := upload.Spool(io.LimitReader(zeros{}, 25<<20+1), 25<<20, dir)
		if !errs.Is(err, errs.TooLarge) || errs.Message(err) != "The file is larger than the 25 MiB limit." {
			t.Fatalf("got %v", err)
		}
		if left, _ := os.ReadDir(dir); len(left) != 0 {
			t.Fatalf("temporary file left behind: %v", left)
		}
	})
	t.Run("ErrInterrupted", func(t *testing.T) {
		dir := t.TempDir()
		_, err := upload.Spool(io.MultiReader(strings.NewReader("part"), failing{}), 100, dir)
		if !errs.Is(err, errs.Invalid) || !strings.Contains(errs.Message(err), "interrupted") {
			t.Fatalf("got %v", err)
		}
		if left, _ := os.ReadDir(dir); len(left) != 0 {
			t.Fatalf("temporary file left behind: %v", left)
		}
	})
}

// onceEOF is a body that blocks, failing the test, when read again after
// its end, as fasthttp's chunked request stream does.
type onceEOF struct {
	t   *testing.T
	r   io.Reader
	end bool
}

func (o *onceEOF) Read(p []byte) (int, error) {
	if o.end {
		o.t.Error("body read again after io.EOF")
		return 0, io.ErrClosedPipe
	}
	n, err := o.r.Read(p)
	o.end = err == io.EOF
	return n, err
}

type zeros struct{}

func (zeros) Read(p []byte) (int, error) { clear(p); return len(p), nil }

type failing struct{}

func (failing) Read([]byte) (int, error) { return 0, io.ErrUnexpectedEOF }

func TestFormatSize(t *testing.T) {
	for n, want := range map[int64]string{25 << 20: "25 MiB", 1 << 30: "1 GiB", 3 << 29: "1.5 GiB", 512 << 10: "512 KiB", 900: "900 bytes", 1: "1 byte", 1536: "1.5 KiB"} {
		if got := upload.FormatSize(n); got != want {
			t.Errorf("FormatSize(%d) = %q, want %q", n, got, want)
		}
	}
}

func TestCleanName(t *testing.T) {
	long := strings.Repeat("é", 300) + ".pdf"
	cases := []struct{ in, want string }{
		{"SOC2 report.pdf", "SOC2 report.pdf"},
		{`C:\Users\ann\Desktop\iso.pdf`, "iso.pdf"},
		{"../../etc/passwd", "passwd"},
		{"a\x00b\nc\td.pdf", "ab c d.pdf"}, // controls dropped, whitespace kept as a space
		{"invoice\u202efdp.exe", "invoicefdp.exe"},
		{`say "hi".pdf`, "say hi.pdf"},
		{"bad\xffutf8.png", "badutf8.png"},
		{"..", ""},
		{"", ""},
		{"/", ""},
	}
	for _, c := range cases {
		if got := upload.CleanName(c.in); got != c.want {
			t.Errorf("CleanName(%q) = %q, want %q", c.in, got, c.want)
		}
	}
	got := upload.CleanName(long)
	if n := len([]rune(got)); n != 200 || !strings.HasSuffix(got, ".pdf") {
		t.Errorf("long name: %d runes, %q…", n, got[len(got)-10:])
	}
}

func TestSniff(t *testing.T) {
	cases := []struct {
		name    string
		content []byte
		kind    upload.Kind
		seems   string
	}{
		{"PDF", makePDF(1), upload.PDF, ""},
		{"PNG", makePNG(t), upload.PNG, ""},
		{"JPEG", makeJPEG(t), upload.JPEG, ""},
		{"DOCX", makeZip(t, "[Content_Types].xml", "_rels/.rels", "word/document.xml"), upload.DOCX, ""},
		{"XLSX", makeZip(t, "[Content_Types].xml", "xl/workbook.xml", "xl/worksheets/sheet1.xml"), upload.XLSX, ""},
		{"DOCM", makeZip(t, "[Content_Types].xml", "word/document.xml", "word/vbaProject.bin"), "", "a macro-enabled Word document (DOCM)"},
		{"PPTX", makeZip(t, "[Content_Types].xml", "ppt/presentation.xml"), "", "a PowerPoint presentation"},
		{"WordWithoutContentTypes", makeZip(t, "word/document.xml"), "", "a ZIP archive"},
		{"Zip", makeZip(t, "notes.txt"), "", "a ZIP archive"},
		{"DamagedZip", []byte("PK\x03\x04 and then nothing"), "", "a damaged ZIP archive"},
		{"Text", []byte("Our SOC 2 report is attached.\n"), "", "plain text"},
		{"HTML", []byte("<!DOCTYPE html><html><body>hi</body></html>"), "", "a web page (HTML)"},
		{"OldOffice", []byte("\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1rest"), "", "an older or password-protected Microsoft Office file"},
		{"GIF", []byte("GIF89a\x01\x00\x01\x00"), "", "a GIF image"},
		{"Program", []byte("MZ\x90\x00\x03"), "", "a program"},
		{"Unknown", []byte{0x00, 0x01, 0x02, 0x03, 0xfe}, "", "of a kind Dossier does not recognise"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			kind, seems := upload.Sniff(bytes.NewReader(c.content), int64(len(c.content)))
			if kind != c.kind || seems != c.seems {
				t.Fatalf("got %q %q, want %q %q", kind, seems, c.kind, c.seems)
			}
		})
	}
}

func TestSniffRefusesZipWithHugeDirectory(t *testing.T) {
	// An end record claiming 60,000 entries: the directory is never read.
	b := makeZip(t, "[Content_Types].xml", "word/document.xml")
	i := bytes.LastIndex(b, []byte("PK\x05\x06"))
	b[i+8], b[i+9], b[i+10], b[i+11] = 0x60, 0xea, 0x60, 0xea
	if kind, seems := upload.Sniff(bytes.NewReader(b), int64(len(b))); kind != "" || seems != "a ZIP archive" {
		t.Fatalf("got %q %q", kind, seems)
	}
}

func TestCheck(t *testing.T) {
	checker := upload.NewChecker(upload.Options{})
	ctx := context.Background()
	docs := []upload.Kind{upload.PDF, upload.PNG, upload.JPEG}

	t.Run("OKPDF", func(t *testing.T) {
		f := spool(t, "soc2.pdf", makePDF(3))
		if err := checker.Check(ctx, f, "evidence", docs...); err != nil {
			t.Fatal(err)
		}
		if f.Kind != upload.PDF || f.ContentType != "application/pdf" || f.Pages != 3 || f.Encrypted {
			t.Fatalf("got %+v", f)
		}
	})
	t.Run("OKEncryptedOpensWithoutPassword", func(t *testing.T) {
		f := spool(t, "iso.pdf", encryptPDF(t, makePDF(2), "", "owner-secret"))
		if err := checker.Check(ctx, f, "evidence", docs...); err != nil {
			t.Fatal(err)
		}
		if !f.Encrypted || f.Pages != 2 {
			t.Fatalf("got %+v", f)
		}
	})
	t.Run("OKEncryptedNeedsPassword", func(t *testing.T) {
		f := spool(t, "pentest.pdf", encryptPDF(t, makePDF(2), "open-me", "owner-secret"))
		if err := checker.Check(ctx, f, "evidence", docs...); err != nil {
			t.Fatal(err)
		}
		if !f.Encrypted || f.Pages != 0 {
			t.Fatalf("got %+v", f)
		}
	})
	t.Run("OKImagesAndOffice", func(t *testing.T) {
		for kind, content := range map[upload.Kind][]byte{
			upload.PNG:  makePNG(t),
			upload.JPEG: makeJPEG(t),
			upload.DOCX: makeZip(t, "[Content_Types].xml", "word/document.xml"),
			upload.XLSX: makeZip(t, "[Content_Types].xml", "xl/workbook.xml"),
		} {
			f := spool(t, "whatever.bin", content)
			if err := checker.Check(ctx, f, "file", upload.PNG, upload.JPEG, upload.DOCX, upload.XLSX); err != nil || f.Kind != kind || f.ContentType != kind.ContentType() {
				t.Errorf("%s: %v, %+v", kind, err, f)
			}
		}
	})

	refusals := []struct {
		name     string
		fileName string
		content  []byte
		allowed  []upload.Kind
		want     string
	}{
		{"ErrEmpty", "empty.pdf", nil, docs, "The file is empty."},
		{"ErrZip", "evidence.zip", makeZip(t, "a.txt"), docs, "This file is a ZIP archive. Upload a PDF, PNG or JPEG file."},
		{"ErrText", "notes.txt", []byte("plain words\n"), docs, "This file is plain text. Upload a PDF, PNG or JPEG file."},
		{"ErrNamedPDFIsText", "report.pdf", []byte("plain words\n"), docs, "The file's name ends in .pdf but it is not a PDF: it seems to be plain text. Upload a PDF, PNG or JPEG file."},
		{"ErrNamedPDFIsDOCX", "report.PDF", makeZip(t, "[Content_Types].xml", "word/document.xml"), []upload.Kind{upload.PDF}, "The file's name ends in .pdf but it is not a PDF: it seems to be a Word document (DOCX). Upload a PDF file."},
		{"ErrKindNotAllowed", "contract.docx", makeZip(t, "[Content_Types].xml", "word/document.xml"), docs, "This file is a Word document (DOCX). Upload a PDF, PNG or JPEG file."},
		{"ErrCorruptPDF", "broken.pdf", []byte("%PDF-1.7\n1 0 obj\n<< /Type /Catalog >>\nendobj\nno xref here\n"), docs, "The PDF could not be read: "},
		{"ErrDamagedImage", "scan.png", makePNG(t)[:20], docs, "The image could not be read"},
	}
	for _, c := range refusals {
		t.Run(c.name, func(t *testing.T) {
			f := spool(t, c.fileName, c.content)
			err := checker.Check(ctx, f, "evidence", c.allowed...)
			if !errs.Is(err, errs.Invalid) || errs.FieldOf(err) != "evidence" || !strings.HasPrefix(errs.Message(err), c.want) {
				t.Fatalf("got %v (message %q), want 422 on evidence starting %q", err, errs.Message(err), c.want)
			}
			if msg := errs.Message(err); strings.Contains(msg, f.Path) || strings.Contains(msg, os.TempDir()) {
				t.Fatalf("message shows a path: %q", msg)
			}
			t.Log(errs.Message(err))
		})
	}

	t.Run("ErrPDFOverCap", func(t *testing.T) {
		small := upload.NewChecker(upload.Options{MaxPDF: 100})
		f := spool(t, "big.pdf", makePDF(5))
		if err := small.Check(ctx, f, "evidence", upload.PDF); !errs.Is(err, errs.TooLarge) || errs.FieldOf(err) != "evidence" {
			t.Fatalf("got %v", err)
		}
	})
	t.Run("ErrImageTooManyPixels", func(t *testing.T) {
		small := upload.NewChecker(upload.Options{MaxPixels: 10})
		f := spool(t, "scan.png", makePNG(t))
		if err := small.Check(ctx, f, "evidence", upload.PNG); !errs.Is(err, errs.Invalid) || !strings.Contains(errs.Message(err), "4 × 3 pixels") {
			t.Fatalf("got %v", err)
		}
	})
	t.Run("ErrTimeout", func(t *testing.T) {
		// A deadline already past: the check gives up whichever way pdfcpu
		// notices, with the same message.
		hurried := upload.NewChecker(upload.Options{Timeout: 1})
		f := spool(t, "slow.pdf", makePDF(50))
		err := hurried.Check(ctx, f, "evidence", upload.PDF)
		if !errs.Is(err, errs.Invalid) || errs.FieldOf(err) != "evidence" || !strings.Contains(errs.Message(err), "could not be checked within") {
			t.Fatalf("got %v", err)
		}
	})
}

// multipartBody builds a multipart/form-data body.
func multipartBody(t *testing.T, fields map[string]string, files ...[3]string) (io.Reader, string) {
	t.Helper()
	var b bytes.Buffer
	w := multipart.NewWriter(&b)
	for k, v := range fields {
		w.WriteField(k, v)
	}
	for _, f := range files {
		fw, err := w.CreateFormFile(f[0], f[1])
		if err != nil {
			t.Fatal(err)
		}
		io.WriteString(fw, f[2])
	}
	w.Close()
	return &b, w.FormDataContentType()
}

func TestReadMultipart(t *testing.T) {
	opts := func(dir string) upload.MultipartOptions {
		return upload.MultipartOptions{FileField: "file", Limit: 1 << 20, MaxFields: 5, MaxValue: 100, Dir: dir}
	}
	t.Run("OK", func(t *testing.T) {
		dir := t.TempDir()
		pdf := string(makePDF(1))
		body, ct := multipartBody(t, map[string]string{"title": "SOC 2 Type II", "valid_until": "2027-01-31"}, [3]string{"file", `C:\scans\soc2 "final".pdf`, pdf})
		form, err := upload.ReadMultipart(body, ct, opts(dir))
		if err != nil {
			t.Fatal(err)
		}
		if form.Value("title") != "SOC 2 Type II" || form.Value("valid_until") != "2027-01-31" || form.Value("missing") != "" || len(form.Files) != 1 {
			t.Fatalf("got %+v", form)
		}
		f := form.Files[0]
		if f.Name != "soc2 final.pdf" || f.Field != "file" || f.Size != int64(len(pdf)) || filepath.Dir(f.Path) != dir {
			t.Fatalf("file %+v", f)
		}
		if err := upload.NewChecker(upload.Options{}).Check(context.Background(), f, "file", upload.PDF); err != nil || f.Pages != 1 {
			t.Fatalf("check: %v %+v", err, f)
		}
		form.Remove()
		if left, _ := os.ReadDir(dir); len(left) != 0 {
			t.Fatalf("left behind: %v", left)
		}
	})
	t.Run("OKReadsToTheEnd", func(t *testing.T) {
		// What follows the closing boundary is read too, or a server
		// streaming the body would take it for the next request.
		body, ct := multipartBody(t, map[string]string{"title": "x"})
		b, _ := io.ReadAll(body)
		rest := bytes.NewReader(append(b, "epilogue\r\n"...))
		if _, err := upload.ReadMultipart(rest, ct, opts(t.TempDir())); err != nil || rest.Len() != 0 {
			t.Fatalf("err %v, %d bytes unread", err, rest.Len())
		}
	})
	t.Run("OKNeverReadsPastTheEnd", func(t *testing.T) {
		// Without the CRLF after the closing boundary, multipart's reader
		// meets the end while still looking for it.
		body, ct := multipartBody(t, map[string]string{"title": "x"}, [3]string{"file", "a.pdf", "%PDF-"})
		b, _ := io.ReadAll(body)
		b = bytes.TrimSuffix(b, []byte("\r\n"))
		if _, err := upload.ReadMultipart(&onceEOF{t: t, r: bytes.NewReader(b)}, ct, opts(t.TempDir())); err != nil {
			t.Fatal(err)
		}
		if _, err := upload.ReadMultipart(&onceEOF{t: t, r: strings.NewReader("")}, ct, opts(t.TempDir())); !errs.Is(err, errs.Invalid) {
			t.Fatalf("empty: %v", err)
		}
	})
	t.Run("OKNoFileChosen", func(t *testing.T) {
		body, ct := multipartBody(t, map[string]string{"title": "x"}, [3]string{"file", "", ""})
		form, err := upload.ReadMultipart(body, ct, opts(t.TempDir()))
		if err != nil || len(form.Files) != 0 {
			t.Fatalf("%+v %v", form, err)
		}
	})
	errCases := []struct {
		name  string
		body  func(t *testing.T) (io.Reader, string)
		code  string
		field string
		want  string
	}{
		{"ErrNotMultipart", func(t *testing.T) (io.Reader, string) {
			return strings.NewReader("a=b"), "application/x-www-form-urlencoded"
		}, errs.Invalid, "", "multipart/form-data"},
		{"ErrFileTooLarge", func(t *testing.T) (io.Reader, string) {
			return multipartBody(t, nil, [3]string{"file", "big.pdf", strings.Repeat("x", 1<<20+1)})
		}, errs.TooLarge, "file", "larger than the 1 MiB limit"},
		{"ErrTwoFiles", func(t *testing.T) (io.Reader, string) {
			return multipartBody(t, nil, [3]string{"file", "a.pdf", "a"}, [3]string{"file", "b.pdf", "b"})
		}, errs.Invalid, "file", "one file at a time"},
		{"ErrFileInOtherField", func(t *testing.T) (io.Reader, string) {
			return multipartBody(t, nil, [3]string{"avatar", "me.png", "x"})
		}, errs.Invalid, "", "unexpected file"},
		{"ErrLongValue", func(t *testing.T) (io.Reader, string) {
			return multipartBody(t, map[string]string{"note": strings.Repeat("n", 101)})
		}, errs.Invalid, "note", "longer than 100 bytes"},
		{"ErrTooManyFields", func(t *testing.T) (io.Reader, string) {
			return multipartBody(t, map[string]string{"a": "1", "b": "2", "c": "3", "d": "4", "e": "5", "f": "6", "g": "7"})
		}, errs.Invalid, "", "too many"},
		{"ErrFormTooLarge", func(t *testing.T) (io.Reader, string) {
			// 3 MiB of preamble before the first boundary: more than one
			// file, the fields and their headers can need.
			body, ct := multipartBody(t, map[string]string{"title": "x"})
			return io.MultiReader(strings.NewReader(strings.Repeat("preamble\r\n", 300<<10)), body), ct
		}, errs.TooLarge, "", "The form is larger than 2 MiB"},
		{"ErrEpilogueTooLong", func(t *testing.T) (io.Reader, string) {
			body, ct := multipartBody(t, map[string]string{"title": "x"})
			return io.MultiReader(body, strings.NewReader(strings.Repeat("e", 65<<10))), ct
		}, errs.Invalid, "", "goes on after its end"},
		{"ErrEmptyBody", func(t *testing.T) (io.Reader, string) {
			return strings.NewReader(""), "multipart/form-data; boundary=x"
		}, errs.Invalid, "", "arrived empty"},
		{"ErrTruncated", func(t *testing.T) (io.Reader, string) {
			body, ct := multipartBody(t, nil, [3]string{"file", "a.pdf", strings.Repeat("x", 5000)})
			b, _ := io.ReadAll(body)
			return bytes.NewReader(b[:3000]), ct
		}, errs.Invalid, "file", "interrupted"},
	}
	for _, c := range errCases {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			body, ct := c.body(t)
			form, err := upload.ReadMultipart(body, ct, opts(dir))
			if form != nil || !errs.Is(err, c.code) || errs.FieldOf(err) != c.field || !strings.Contains(errs.Message(err), c.want) {
				t.Fatalf("got %v (field %q), want %s on %q containing %q", err, errs.FieldOf(err), c.code, c.field, c.want)
			}
			if left, _ := os.ReadDir(dir); len(left) != 0 {
				t.Fatalf("left behind: %v", left)
			}
		})
	}
}
