package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"dossier/internal/questionnaire"
)

func questionnaireCommand(_ context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return usageError{"questionnaire needs a command: import or check; run \"dossier help\""}
	}
	sub, args := args[0], args[1:]
	switch sub {
	case "import":
		return questionnaireImport(args, stdout, stderr)
	case "check":
		return questionnaireCheck(args, stdout)
	}
	return usageError{fmt.Sprintf("unknown questionnaire command %q; want import or check", sub)}
}

// questionnaireImport turns a Google VSAQ questionnaire (JSON, the lenient
// kind its published files use) into a YAML template to review, on stdout.
// Warnings about what could not be carried over go to stderr.
func questionnaireImport(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("questionnaire import", flag.ContinueOnError)
	fs.SetOutput(stderr)
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return usageError{err.Error()}
	}
	if fs.NArg() != 1 {
		return usageError{"questionnaire import needs one file: dossier questionnaire import FILE > template.yaml"}
	}
	path := fs.Arg(0)
	data, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	t, warnings, err := questionnaire.ImportVSAQ(filepath.Base(path), data)
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	out, err := questionnaire.Marshal(t)
	if err != nil {
		return err
	}
	if _, err := questionnaire.Parse(t.ID+".yaml", out); err != nil {
		return fmt.Errorf("%s: the imported template does not validate: %w", path, err)
	}
	for _, w := range warnings {
		fmt.Fprintf(stderr, "warning: %s\n", w)
	}
	fmt.Fprintf(stderr, "imported %q: %d sections, %d questions; review it, then put it in the DOSSIER_QUESTIONNAIRES folder\n",
		t.Title, len(t.Sections), len(t.Questions()))
	_, err = stdout.Write(out)
	return err
}

// questionnaireCheck validates template files the way the server does at
// start, printing each problem as file:line: reason.
func questionnaireCheck(args []string, stdout io.Writer) error {
	if len(args) == 0 {
		return usageError{"questionnaire check needs one or more YAML files"}
	}
	var problems []error
	for _, path := range args {
		data, err := os.ReadFile(path)
		if err != nil {
			problems = append(problems, err)
			continue
		}
		t, err := questionnaire.Parse(path, data)
		if err != nil {
			problems = append(problems, err)
			continue
		}
		fmt.Fprintf(stdout, "%s: OK: %s version %s, %d questions\n", path, t.ID, t.Version, len(t.Questions()))
	}
	return errors.Join(problems...)
}
