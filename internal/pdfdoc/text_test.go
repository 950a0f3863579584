package pdfdoc

import (
	"bytes"
	"testing"
)

func TestPageTexts(t *testing.T) {
	for name, c := range map[string]struct {
		pdf  []byte
		want []string
	}{
		"OKText":  {Text("Demo evidence", `SOC 2 (Type II) \ report`), []string{"Demo evidence\nSOC 2 (Type II) \\ report"}},
		"OKBlank": {Blank(2), []string{"", ""}},
		"OKOperators": {build(1, `BT /F1 9 Tf 10 10 Td (a \267 b) Tj 0 -12 Td [(Wo) 20 (rd) -400 (two)] TJ T* <43c3> Tj ET % (comment)
BT (line\
joined\051) ' ET`), []string{"a · b\nWord two\nCÃ\nlinejoined)"}},
	} {
		t.Run(name, func(t *testing.T) {
			got, err := PageTexts(bytes.NewReader(c.pdf))
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(c.want) {
				t.Fatalf("%d pages %q; want %q", len(got), got, c.want)
			}
			for i := range got {
				if got[i] != c.want[i] {
					t.Errorf("page %d: %q; want %q", i+1, got[i], c.want[i])
				}
			}
		})
	}
	t.Run("ErrNotPDF", func(t *testing.T) {
		if _, err := PageTexts(bytes.NewReader([]byte("not a pdf"))); err == nil {
			t.Fatal("no error")
		}
	})
}
