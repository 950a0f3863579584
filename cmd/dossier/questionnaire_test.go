package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"dossier/internal/questionnaire"
	"dossier/internal/testkit"
)

func TestQuestionnaireImport(t *testing.T) {
	src := testkit.Path("../../internal/questionnaire/testdata/vsaq/imaging-vendor.json")
	code, stdout, stderr := runArgs("questionnaire", "import", src)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	tpl, err := questionnaire.Parse("imported.yaml", []byte(stdout))
	if err != nil {
		t.Fatalf("the imported template does not parse: %v", err)
	}
	if len(tpl.Questions()) < 10 || !strings.Contains(stderr, "review it") {
		t.Fatalf("%d questions; stderr %q", len(tpl.Questions()), stderr)
	}

	dir := t.TempDir()
	good := filepath.Join(dir, "imported.yaml")
	if err := os.WriteFile(good, []byte(stdout), 0o600); err != nil {
		t.Fatal(err)
	}
	bad := filepath.Join(dir, "bad.yaml")
	if err := os.WriteFile(bad, []byte("id: bad\nversion: \"1\"\ntitle: Bad\nsections:\n  - id: s\n    title: S\n    questions:\n      - id: q\n        text: Q?\n        type: maybe\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Run("CheckOK", func(t *testing.T) {
		code, stdout, stderr := runArgs("questionnaire", "check", good)
		if code != 0 || !strings.Contains(stdout, "OK") {
			t.Fatalf("exit %d %q %q", code, stdout, stderr)
		}
	})
	t.Run("ErrCheckNamesLine", func(t *testing.T) {
		code, _, stderr := runArgs("questionnaire", "check", good, bad)
		if code != 1 || !strings.Contains(stderr, bad+":10:") {
			t.Fatalf("exit %d %q", code, stderr)
		}
	})
	t.Run("ErrNotVSAQ", func(t *testing.T) {
		code, _, stderr := runArgs("questionnaire", "import", bad)
		if code != 1 || strings.Count(stderr, "\n") < 1 {
			t.Fatalf("exit %d %q", code, stderr)
		}
	})
	t.Run("ErrUsage", func(t *testing.T) {
		if code, _, _ := runArgs("questionnaire", "import"); code != 2 {
			t.Fatalf("exit %d", code)
		}
		if code, _, _ := runArgs("questionnaire", "frob"); code != 2 {
			t.Fatalf("exit %d", code)
		}
	})
}
