// Package upload receives files from people safely: it spools them to
// temporary files with a size limit while hashing them, tells their kind
// from their content, checks PDFs with pdfcpu in a bounded worker, and reads
// multipart forms as a stream so memory stays flat however large the file.
package upload

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"strings"
	"unicode"
	"unicode/utf8"

	"dossier/internal/errs"
)

// File is an upload spooled to a temporary file. Kind, ContentType, Pages
// and Encrypted are set by Checker.Check.
type File struct {
	Path        string // the temporary file; never shown
	Size        int64
	SHA256      string // lower-case hex
	Kind        Kind
	ContentType string
	Pages       int    // PDFs: the page count; 0 when encrypted with an open password
	Encrypted   bool   // PDFs: encrypted (accepted; see Checker.Check)
	Name        string // the client's file name, cleaned, for display only
	Field       string // the form field it came in (ReadMultipart)
}

// Open opens the spooled content for reading; the caller closes it.
func (f *File) Open() (*os.File, error) { return os.Open(f.Path) }

// Remove deletes the temporary file. Removing twice, or a nil File, is
// harmless.
func (f *File) Remove() {
	if f == nil || f.Path == "" {
		return
	}
	_ = os.Remove(f.Path)
}

// spoolBuffer is the one buffer a Spool copies through: memory per upload
// stays this size whatever the file's.
const spoolBuffer = 32 << 10

// Spool copies r into a new temporary file (mode 0600) in dir, or in the
// system's temporary folder when dir is "", computing its size and SHA-256
// as it goes. More than limit bytes is a TooLarge error, and the temporary
// file is removed. The caller removes the file it gets.
func Spool(r io.Reader, limit int64, dir string) (*File, error) {
	if dir == "" {
		dir = os.TempDir()
	}
	tmp, err := os.CreateTemp(dir, "upload-*")
	if err != nil {
		return nil, errs.Wrap(errs.Internal, err, "create temporary file")
	}
	f := &File{Path: tmp.Name()}
	h := sha256.New()
	buf := make([]byte, spoolBuffer)
	fail := func(err error) (*File, error) {
		tmp.Close()
		f.Remove()
		return nil, err
	}
	for {
		n, rerr := r.Read(buf)
		if n > 0 {
			if f.Size+int64(n) > limit {
				return fail(TooLargeError(limit))
			}
			if _, err := tmp.Write(buf[:n]); err != nil {
				return fail(errs.Wrap(errs.Internal, err, "write temporary file"))
			}
			h.Write(buf[:n])
			f.Size += int64(n)
		}
		if errors.Is(rerr, io.EOF) {
			break
		}
		if rerr != nil {
			return fail(readError(rerr))
		}
	}
	if err := tmp.Close(); err != nil {
		return fail(errs.Wrap(errs.Internal, err, "write temporary file"))
	}
	f.SHA256 = hex.EncodeToString(h.Sum(nil))
	return f, nil
}

// readError is the error for a body that stopped arriving. An error that
// already has a code (the body limit, say) keeps it.
func readError(err error) error {
	var e *errs.Error
	if errors.As(err, &e) {
		return err
	}
	return errs.Wrap(errs.Invalid, err, "The upload was interrupted before it was complete; try again.")
}

// TooLargeError is the error for a file over limit bytes.
func TooLargeError(limit int64) error {
	return &errs.Error{Code: errs.TooLarge, Message: fmt.Sprintf("The file is larger than the %s limit.", FormatSize(limit))}
}

// FormatSize writes a byte count for people: 25 MiB, 1.5 GiB, 512 KiB, 900 bytes.
func FormatSize(n int64) string {
	units := []struct {
		name string
		size int64
	}{{"GiB", 1 << 30}, {"MiB", 1 << 20}, {"KiB", 1 << 10}}
	for _, u := range units {
		if n >= u.size {
			if n%u.size == 0 {
				return fmt.Sprintf("%d %s", n/u.size, u.name)
			}
			return strings.TrimSuffix(fmt.Sprintf("%.1f", float64(n)/float64(u.size)), ".0") + " " + u.name
		}
	}
	if n == 1 {
		return "1 byte"
	}
	return fmt.Sprintf("%d bytes", n)
}

// maxNameRunes bounds a displayed file name.
const maxNameRunes = 200

// CleanName keeps, for display only, the base name of what the client
// sent: no folders, no control or invisible formatting characters (a
// right-to-left override could show "evil.exe" as "exe.pdf"), no quotes,
// valid UTF-8, at most 200 characters. It may return "" — the caller picks
// a default. Never use it as a storage key.
func CleanName(name string) string {
	name = strings.ToValidUTF8(name, "")
	name = path.Base(strings.ReplaceAll(name, "\\", "/"))
	name = strings.Map(func(r rune) rune {
		if unicode.IsSpace(r) {
			return ' '
		}
		if unicode.IsControl(r) || unicode.Is(unicode.Cf, r) || r == '"' || r == '/' || r == utf8.RuneError {
			return -1
		}
		return r
	}, name)
	name = strings.TrimSpace(name)
	if name == "." || name == ".." {
		return ""
	}
	if utf8.RuneCountInString(name) > maxNameRunes {
		// Keep the extension: people recognise files by it.
		ext := path.Ext(name)
		if utf8.RuneCountInString(ext) > 20 {
			ext = ""
		}
		r := []rune(strings.TrimSuffix(name, ext))
		name = strings.TrimSpace(string(r[:maxNameRunes-utf8.RuneCountInString(ext)])) + ext
	}
	return name
}
