package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
)

func runArgs(args ...string) (code int, stdout, stderr string) {
	var out, errOut bytes.Buffer
	err := run(context.Background(), args, func(string) string { return "" }, strings.NewReader(""), &out, &errOut)
	code = exitCode(err, &errOut)
	return code, out.String(), errOut.String()
}

func TestCommandLine(t *testing.T) {
	cases := []struct {
		name     string
		args     []string
		code     int
		stdout   string
		stderr   string
		oneLiner bool
	}{
		{name: "Version", args: []string{"version"}, code: 0, stdout: "dossier "},
		{name: "Help", args: []string{"help"}, code: 0, stdout: "dossier version"},
		{name: "ServeHelp", args: []string{"serve", "--help"}, code: 0, stdout: "DOSSIER_MONGO_URI"},
		{name: "DefaultIsServe", args: []string{"--help"}, code: 0, stdout: "Usage: dossier serve"},
		{name: "ErrUnknownFlag", args: []string{"serve", "--nope"}, code: 2, stderr: "dossier: unknown flag: --nope", oneLiner: true},
		{name: "ErrBadValue", args: []string{"--addr", "here"}, code: 2, stderr: "want host:port", oneLiner: true},
		{name: "ErrUnknownCommand", args: []string{"frobnicate"}, code: 2, stderr: `unknown command "frobnicate"`, oneLiner: true},
		{name: "ErrExtraArgument", args: []string{"serve", "extra"}, code: 2, stderr: "serve takes no arguments", oneLiner: true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			code, stdout, stderr := runArgs(tc.args...)
			if code != tc.code || !strings.Contains(stdout, tc.stdout) || !strings.Contains(stderr, tc.stderr) {
				t.Fatalf("exit %d, stdout %q, stderr %q", code, stdout, stderr)
			}
			if tc.oneLiner && strings.Count(stderr, "\n") != 1 {
				t.Fatalf("error is not one line: %q", stderr)
			}
		})
	}
}
