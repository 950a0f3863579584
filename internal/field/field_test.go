package field_test

import (
	"strings"
	"testing"

	"dossier/internal/errs"
	"dossier/internal/field"
)

func TestChecker(t *testing.T) {
	var c field.Checker
	if c.Err() != nil {
		t.Fatal("a new checker has problems")
	}
	if got := c.Line("title", "The title", "  PACS \t support   agreement ", 100, true); got != "PACS support agreement" || c.Err() != nil {
		t.Fatalf("line %q: %v", got, c.Err())
	}
	if got := c.Text("notes", "The notes", "  first\r\nsecond\rthird\n ", 100); got != "first\nsecond\nthird" || c.Err() != nil {
		t.Fatalf("text %q: %v", got, c.Err())
	}
	c.Line("name", "The name", "   ", 10, true)                 // "Enter the name.", not "Enter the the name."
	c.Line("name", "The name", "far too long a name", 10, true) // a second problem with one field is not kept
	c.Line("code", "The code", "abcdef", 5, false)
	c.Text("body", "The body", "bell\a", 100)
	c.Line("bad", "The value", "\xff", 10, false)
	c.Add("other", "Choose one of %d.", 3)
	c.Line("legal_name", "Legal name", "", 10, true)
	want := map[string]string{
		"name":       "Enter the name.",
		"code":       "The code can be at most 5 characters.",
		"body":       "The body cannot contain control characters.",
		"bad":        "The value cannot contain control characters.",
		"other":      "Choose one of 3.",
		"legal_name": "Enter the legal name.",
	}
	err := c.Err()
	if !errs.Is(err, errs.Invalid) {
		t.Fatalf("code %q", errs.Code(err))
	}
	got := errs.ByField(err)
	if len(got) != len(want) {
		t.Fatalf("problems %v", got)
	}
	for f, m := range want {
		if got[f] != m {
			t.Errorf("%s: %q, want %q", f, got[f], m)
		}
	}
	if !c.Has("name") || c.Has("title") || !strings.Contains(err.Error(), "Enter the name.") {
		t.Fatalf("Has or Error: %v", err)
	}
}
