package main

import (
	"context"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"time"
)

func jobsCommand(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return usageError{"jobs needs a command: list or run; run \"dossier help\""}
	}
	sub, args := args[0], args[1:]
	switch sub {
	case "list":
		return jobsList(ctx, args, getenv, stdout, stderr)
	case "run":
		return jobsRun(ctx, args, getenv, stdout, stderr)
	}
	return usageError{fmt.Sprintf("unknown jobs command %q; want list or run", sub)}
}

func jobsList(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	t, err := openTool(ctx, "jobs list", args, getenv, stdout, stderr, nil, 0)
	if err != nil {
		return err
	}
	defer t.close()
	jobs, err := t.app.Jobs.Jobs(t.ctx)
	if err != nil {
		return err
	}
	for _, j := range jobs {
		last := "never run"
		if !j.Started.IsZero() {
			last = fmt.Sprintf("last run %s: %s", j.Started.Local().Format(time.DateTime), j.Outcome)
			if j.Error != "" {
				last += " (" + j.Error + ")"
			}
			if c := formatCounts(j.Counts); c != "" {
				last += "; " + c
			}
		}
		fmt.Fprintf(stdout, "%s\t%s\t%s\n", j.Name, j.Schedule, last)
	}
	return nil
}

func jobsRun(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	t, err := openTool(ctx, "jobs run", args, getenv, stdout, stderr, nil, 1)
	if err != nil {
		return err
	}
	defer t.close()
	name := t.args[0]
	res, err := t.app.Jobs.RunNow(t.ctx, name)
	if c := formatCounts(res.Counts); c != "" {
		fmt.Fprintf(stdout, "%s: %s\n", name, c)
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%s: done\n", name)
	return nil
}

// formatCounts writes a run's counts in name order: "expired 1, sent 4".
func formatCounts(counts map[string]int) string {
	var parts []string
	for _, k := range slices.Sorted(maps.Keys(counts)) {
		parts = append(parts, fmt.Sprintf("%s %d", k, counts[k]))
	}
	return strings.Join(parts, ", ")
}
