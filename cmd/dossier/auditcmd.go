package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"time"

	"dossier/internal/errs"
)

// errChainBroken makes "audit verify" exit 1 after it printed the report.
var errChainBroken = errors.New("the audit trail failed verification")

func auditCommand(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return usageError{"audit needs a command: verify, export or seal; run \"dossier help\""}
	}
	sub, args := args[0], args[1:]
	switch sub {
	case "verify":
		return auditVerify(ctx, args, getenv, stdout, stderr)
	case "export":
		return auditExport(ctx, args, getenv, stdout, stderr)
	case "seal":
		return auditSeal(ctx, args, getenv, stdout, stderr)
	}
	return usageError{fmt.Sprintf("unknown audit command %q; want verify, export or seal", sub)}
}

func auditVerify(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	t, err := openTool(ctx, "audit verify", args, getenv, stdout, stderr, nil, 0)
	if err != nil {
		return err
	}
	defer t.close()
	r, err := t.app.Audit.Verify(t.ctx)
	if err != nil {
		return err
	}
	if !r.OK {
		if r.FirstBad > 0 {
			fmt.Fprintf(stdout, "BROKEN at event %d: %s\n", r.FirstBad, r.Problem)
		} else {
			fmt.Fprintf(stdout, "BROKEN: %s\n", r.Problem)
		}
		return errChainBroken
	}
	fmt.Fprintf(stdout, "OK: %d events, head %d %s, %d seals match.\n", r.Events, r.HeadSeq, r.HeadHash, r.Seals)
	return nil
}

func auditExport(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	var since, format string
	t, err := openTool(ctx, "audit export", args, getenv, stdout, stderr, func(fs *flag.FlagSet) {
		fs.StringVar(&since, "since", "", "only events at or after this date (YYYY-MM-DD, UTC) or time (RFC 3339)")
		fs.StringVar(&format, "format", "jsonl", "jsonl (one JSON event per line) or csv")
	}, 0)
	if err != nil {
		return err
	}
	defer t.close()
	from, err := parseSince(since)
	if err != nil {
		return usageError{err.Error()}
	}
	if err := t.app.Audit.Export(t.ctx, stdout, from, format); err != nil {
		if errs.Is(err, errs.Invalid) {
			return usageError{errs.Message(err)}
		}
		return err
	}
	return nil
}

// parseSince reads a date or an RFC 3339 time; "" is the beginning.
func parseSince(v string) (time.Time, error) {
	if v == "" {
		return time.Time{}, nil
	}
	if d, err := time.Parse(time.DateOnly, v); err == nil {
		return d, nil
	}
	if t, err := time.Parse(time.RFC3339, v); err == nil {
		return t.UTC(), nil
	}
	return time.Time{}, fmt.Errorf("--since %q: want a date such as 2026-01-31 or a time such as 2026-01-31T08:00:00Z", v)
}

func auditSeal(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	t, err := openTool(ctx, "audit seal", args, getenv, stdout, stderr, nil, 0)
	if err != nil {
		return err
	}
	defer t.close()
	s, err := t.app.Audit.Seal(t.ctx)
	if err != nil {
		return errors.New(errs.Message(err))
	}
	fmt.Fprintf(stdout, "Sealed event %d (%s) in %s, retained until %s.\n", s.Seq, s.Hash, s.Key, s.RetainUntil.Format(time.DateOnly))
	return nil
}
