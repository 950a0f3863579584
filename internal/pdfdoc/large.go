package pdfdoc

import (
	"fmt"
	"io"
	"math/rand/v2"
)

// WriteLarge writes a valid one-page PDF of about size bytes whose bulk is
// one binary stream of random bytes generated as it is written, so a load
// program can upload a file of any size without holding it: what a scan
// with large images looks like to a PDF reader.
func WriteLarge(w io.Writer, size int64) error {
	var offsets []int64
	var n int64
	put := func(s string) error {
		k, err := io.WriteString(w, s)
		n += int64(k)
		return err
	}
	obj := func(body string) error {
		offsets = append(offsets, n)
		return put(fmt.Sprintf("%d 0 obj\n%s\nendobj\n", len(offsets), body))
	}
	for _, err := range []error{
		put("%PDF-1.7\n%\xe2\xe3\xcf\xd3\n"),
		obj("<< /Type /Catalog /Pages 2 0 R >>"),
		obj("<< /Type /Pages /Kids [3 0 R] /Count 1 >>"),
		obj("<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << >> /PieceInfo << /Dossier << /Private 4 0 R >> >> >>"),
	} {
		if err != nil {
			return err
		}
	}
	bulk := max(size-1024, 1)
	offsets = append(offsets, n)
	if err := put(fmt.Sprintf("4 0 obj\n<< /Length %d >>\nstream\n", bulk)); err != nil {
		return err
	}
	k, err := io.CopyN(w, rand.NewChaCha8([32]byte{7}), bulk)
	n += k
	if err != nil {
		return err
	}
	if err := put("\nendstream\nendobj\n"); err != nil {
		return err
	}
	xref := n
	if err := put(fmt.Sprintf("xref\n0 %d\n0000000000 65535 f \n", len(offsets)+1)); err != nil {
		return err
	}
	for _, o := range offsets {
		if err := put(fmt.Sprintf("%010d 00000 n \n", o)); err != nil {
			return err
		}
	}
	return put(fmt.Sprintf("trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n", len(offsets)+1, xref))
}
