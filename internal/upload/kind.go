package upload

import (
	"archive/zip"
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"net/http"
	"path"
	"strings"
)

// Kind is what a file is, judged by its content, never by its name.
type Kind string

// The kinds Dossier accepts somewhere. Each caller names the ones it takes.
const (
	PDF  Kind = "pdf"
	PNG  Kind = "png"
	JPEG Kind = "jpeg"
	DOCX Kind = "docx"
	XLSX Kind = "xlsx"
)

var kinds = map[Kind]struct {
	contentType string
	short       string   // in "upload a PDF, PNG or JPEG file"
	long        string   // in "this file is a Word document (DOCX)"
	exts        []string // names that claim this kind
}{
	PDF:  {"application/pdf", "PDF", "a PDF", []string{".pdf"}},
	PNG:  {"image/png", "PNG", "a PNG image", []string{".png"}},
	JPEG: {"image/jpeg", "JPEG", "a JPEG image", []string{".jpg", ".jpeg", ".jpe", ".jfif"}},
	DOCX: {"application/vnd.openxmlformats-officedocument.wordprocessingml.document", "DOCX", "a Word document (DOCX)", []string{".docx"}},
	XLSX: {"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "XLSX", "an Excel workbook (XLSX)", []string{".xlsx"}},
}

// ContentType is the media type stored with a file of this kind.
func (k Kind) ContentType() string { return kinds[k].contentType }

// String is the kind's short name: PDF, PNG, JPEG, DOCX, XLSX.
func (k Kind) String() string {
	if d, ok := kinds[k]; ok {
		return d.short
	}
	return string(k)
}

// Ext is the usual file name extension of the kind, with its dot.
func (k Kind) Ext() string {
	if d, ok := kinds[k]; ok {
		return d.exts[0]
	}
	return ""
}

// kindOfName is the kind a file name claims by its extension, or "".
func kindOfName(name string) Kind {
	ext := strings.ToLower(path.Ext(name))
	for k, d := range kinds {
		for _, e := range d.exts {
			if e == ext {
				return k
			}
		}
	}
	return ""
}

// accepted lists kinds for a person: "PDF, PNG or JPEG".
func accepted(ks []Kind) string {
	names := make([]string, len(ks))
	for i, k := range ks {
		names[i] = k.String()
	}
	switch len(names) {
	case 0:
		return "no"
	case 1:
		return names[0]
	}
	return strings.Join(names[:len(names)-1], ", ") + " or " + names[len(names)-1]
}

// Office files are ZIP archives. A real one has a few dozen to a few
// thousand entries; reading the directory of a crafted archive with
// hundreds of thousands costs hundreds of megabytes, so the count is read
// from the archive's end record before archive/zip reads the directory.
const maxZipEntries = 20000

// Sniff says what the content of r (size bytes long) is: one of the kinds
// above, or "" and a description for a person of what it seems to be
// ("a ZIP archive", "plain text").
func Sniff(r io.ReaderAt, size int64) (kind Kind, seems string) {
	head := make([]byte, 512)
	n, err := r.ReadAt(head, 0)
	if err != nil && !errors.Is(err, io.EOF) {
		return "", "a file that could not be read"
	}
	head = head[:n]
	switch {
	case n == 0:
		return "", "empty"
	case bytes.HasPrefix(head, []byte("%PDF-")):
		return PDF, ""
	case bytes.HasPrefix(head, []byte("\x89PNG\r\n\x1a\n")):
		return PNG, ""
	case bytes.HasPrefix(head, []byte("\xff\xd8\xff")):
		return JPEG, ""
	case bytes.HasPrefix(head, []byte("PK\x03\x04")):
		return sniffZip(r, size)
	}
	return "", describe(head)
}

// sniffZip tells Word and Excel files from other ZIP archives.
func sniffZip(r io.ReaderAt, size int64) (Kind, string) {
	entries, ok := zipEntries(r, size)
	if !ok {
		return "", "a damaged ZIP archive"
	}
	if entries > maxZipEntries {
		return "", "a ZIP archive"
	}
	zr, err := zip.NewReader(r, size)
	if err != nil && !errors.Is(err, zip.ErrInsecurePath) {
		return "", "a damaged ZIP archive"
	}
	has := make(map[string]bool, len(zr.File))
	for _, f := range zr.File {
		has[f.Name] = true
	}
	office := has["[Content_Types].xml"]
	switch {
	case office && has["word/document.xml"] && has["word/vbaProject.bin"]:
		return "", "a macro-enabled Word document (DOCM)"
	case office && has["word/document.xml"]:
		return DOCX, ""
	case office && has["xl/workbook.xml"] && has["xl/vbaProject.bin"]:
		return "", "a macro-enabled Excel workbook (XLSM)"
	case office && has["xl/workbook.xml"]:
		return XLSX, ""
	case office && has["ppt/presentation.xml"]:
		return "", "a PowerPoint presentation"
	case has["mimetype"] && has["content.xml"]:
		return "", "an OpenDocument file (ODT or ODS)"
	}
	return "", "a ZIP archive"
}

// zipEntries reads the entry count from the end of central directory
// record (or its ZIP64 form).
func zipEntries(r io.ReaderAt, size int64) (int64, bool) {
	const eocdLen, maxComment = 22, 65535
	tail := min(size, eocdLen+maxComment)
	buf := make([]byte, tail)
	if _, err := r.ReadAt(buf, size-tail); err != nil && !errors.Is(err, io.EOF) {
		return 0, false
	}
	i := bytes.LastIndex(buf, []byte("PK\x05\x06"))
	if i < 0 || len(buf)-i < eocdLen {
		return 0, false
	}
	n := int64(binary.LittleEndian.Uint16(buf[i+10:]))
	if n != 0xffff {
		return n, true
	}
	// ZIP64: a locator just before the record points at the ZIP64 record,
	// which holds the count as 8 bytes at offset 32.
	if i < 20 || !bytes.Equal(buf[i-20:i-16], []byte("PK\x06\x07")) {
		return 0, false
	}
	off := int64(binary.LittleEndian.Uint64(buf[i-20+8:]))
	rec := make([]byte, 40)
	if off < 0 || off > size-40 {
		return 0, false
	}
	if _, err := r.ReadAt(rec, off); err != nil || !bytes.HasPrefix(rec, []byte("PK\x06\x06")) {
		return 0, false
	}
	return int64(min(binary.LittleEndian.Uint64(rec[32:]), 1<<62)), true
}

// describe names, for a person, what a file that is none of the kinds
// seems to be.
func describe(head []byte) string {
	magic := []struct{ prefix, what string }{
		{"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "an older or password-protected Microsoft Office file"},
		{"{\\rtf", "a rich text (RTF) file"},
		{"7z\xbc\xaf\x27\x1c", "a 7-Zip archive"},
		{"\x7fELF", "a program"},
		{"MZ", "a program"},
		{"II*\x00", "a TIFF image"},
		{"MM\x00*", "a TIFF image"},
		{"PK\x05\x06", "an empty ZIP archive"},
	}
	for _, m := range magic {
		if bytes.HasPrefix(head, []byte(m.prefix)) {
			return m.what
		}
	}
	if len(head) >= 12 && string(head[4:8]) == "ftyp" {
		switch string(head[8:12]) {
		case "heic", "heix", "mif1", "msf1", "heim", "heis", "hevc":
			return "a HEIC photo (save it as JPEG)"
		}
		return "a video or audio file"
	}
	ct, _, _ := strings.Cut(http.DetectContentType(head), ";")
	switch {
	case ct == "text/plain":
		return "plain text"
	case ct == "text/html":
		return "a web page (HTML)"
	case ct == "text/xml":
		return "an XML file"
	case ct == "image/gif":
		return "a GIF image"
	case ct == "image/webp":
		return "a WebP image"
	case ct == "image/bmp":
		return "a BMP image"
	case ct == "image/x-icon":
		return "an icon"
	case ct == "application/x-gzip":
		return "a gzip archive"
	case ct == "application/x-rar-compressed":
		return "a RAR archive"
	case ct == "application/postscript":
		return "a PostScript file"
	case ct == "application/wasm":
		return "a program"
	case strings.HasPrefix(ct, "audio/"), ct == "application/ogg":
		return "an audio file"
	case strings.HasPrefix(ct, "video/"):
		return "a video"
	case strings.HasPrefix(ct, "font/"), ct == "application/vnd.ms-fontobject":
		return "a font"
	}
	return "of a kind Dossier does not recognise"
}
