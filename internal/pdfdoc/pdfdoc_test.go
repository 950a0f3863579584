package pdfdoc_test

import (
	"bytes"
	"testing"

	"github.com/pdfcpu/pdfcpu/pkg/api"
	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/model"

	"dossier/internal/pdfdoc"
)

func TestValid(t *testing.T) {
	api.DisableConfigDir()
	conf := model.NewDefaultConfiguration()
	conf.ValidationMode = model.ValidationRelaxed // as internal/upload checks uploads
	var large bytes.Buffer
	if err := pdfdoc.WriteLarge(&large, 1<<20); err != nil {
		t.Fatal(err)
	}
	if n := large.Len(); n < 1<<20-2048 || n > 1<<20+2048 {
		t.Errorf("WriteLarge(1 MiB) wrote %d bytes", n)
	}
	for name, c := range map[string]struct {
		pdf   []byte
		pages int
	}{
		"Text":  {pdfdoc.Text("Demo evidence", "SOC 2 (Type II) report — 2026"), 1},
		"Blank": {pdfdoc.Blank(3), 3},
		"Large": {large.Bytes(), 1},
	} {
		t.Run(name, func(t *testing.T) {
			if err := api.Validate(bytes.NewReader(c.pdf), conf); err != nil {
				t.Fatalf("pdfcpu refuses it: %v", err)
			}
			n, err := api.PageCount(bytes.NewReader(c.pdf), conf)
			if err != nil || n != c.pages {
				t.Fatalf("%d pages, %v; want %d", n, err, c.pages)
			}
		})
	}
}
