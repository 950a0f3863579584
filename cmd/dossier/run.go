package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"runtime/debug"
	"strings"
	"text/tabwriter"
	"time"

	"dossier/internal/app"
	"dossier/internal/audit"
	"dossier/internal/config"
)

// usageError is a mistake in the command line: exit code 2.
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

// exitCode prints err, if any, as one line and picks the exit code: 0 for
// success and --help, 2 for usage mistakes, 1 for everything else.
func exitCode(err error, stderr io.Writer) int {
	var ue usageError
	switch {
	case err == nil, errors.Is(err, config.ErrHelp):
		return 0
	case errors.As(err, &ue):
		fmt.Fprintf(stderr, "dossier: %s\n", ue.msg)
		return 2
	}
	fmt.Fprintf(stderr, "dossier: %v\n", err)
	return 1
}

const usage = `Dossier: supplier risk and controlled documents for a hospital ISMS.

Usage:
  dossier [serve] [flags]                 run the web server (the default); --demo seeds demo data
  dossier user add EMAIL --name NAME --role ROLE [--domain D]
                                          add a user; password from stdin or DOSSIER_PASSWORD,
                                          else a one-time set-password link is printed
  dossier user token EMAIL [--name LABEL] print a new API token for the user
  dossier user disable EMAIL              disable a user and end their sessions
  dossier audit verify                    check the audit trail's hash chain and seals
  dossier audit export [--since DATE] [--format jsonl|csv]
                                          write audit events to stdout
  dossier audit seal                      seal the audit trail's head to write-once storage
  dossier questionnaire import FILE       turn a Google VSAQ questionnaire (JSON) into a YAML
                                          template on stdout, to review and add
  dossier questionnaire check FILE...     validate YAML questionnaire templates
  dossier jobs list                       show each scheduled job's last run
  dossier jobs run expiry                 send the day's contract reminders and expire, renew
                                          and re-index contracts now (the daily job)
  dossier version                         print the version
  dossier help                            show this help

Commands work on the same data folder whether or not "dossier serve" is
running on it. Run "dossier serve --help" for every setting; the other
commands take the same settings.
`

// run is the whole program; main only calls it, so tests can too.
func run(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) error {
	cmd := "serve"
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		cmd, args = args[0], args[1:]
	}
	switch cmd {
	case "serve":
		return serve(ctx, args, getenv, stdout, stderr)
	case "user":
		return userCommand(ctx, args, getenv, stdin, stdout, stderr)
	case "audit":
		return auditCommand(ctx, args, getenv, stdout, stderr)
	case "questionnaire":
		return questionnaireCommand(ctx, args, stdout, stderr)
	case "jobs":
		return jobsCommand(ctx, args, getenv, stdout, stderr)
	case "version":
		if len(args) > 0 {
			return usageError{"version takes no arguments"}
		}
		fmt.Fprintln(stdout, "dossier", version())
		return nil
	case "help":
		fmt.Fprint(stdout, usage)
		return nil
	}
	return usageError{fmt.Sprintf("unknown command %q; run \"dossier help\"", cmd)}
}

func serve(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	cfg, rest, err := config.Parse("serve", args, getenv, stdout)
	if errors.Is(err, config.ErrHelp) {
		return err
	}
	if err != nil {
		return usageError{err.Error()}
	}
	if len(rest) > 0 {
		return usageError{fmt.Sprintf("serve takes no arguments, got %q", rest[0])}
	}
	log := newLogger(cfg, stderr)

	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w (set DOSSIER_ADDR to another address)", cfg.Addr, err)
	}
	defer ln.Close()

	started := time.Now()
	a, err := app.Open(ctx, cfg, log, version(), time.Now)
	if err != nil {
		return err
	}
	served := make(chan error, 1)
	go func() { served <- a.Serve(ln) }()
	log.Info("dossier ready", "addr", ln.Addr().String(), "data_dir", cfg.DataDir, "startup_ms", time.Since(started).Milliseconds())
	fmt.Fprintf(stdout, "Dossier is listening on http://%s\n", ln.Addr())
	// The welcome finishes even when a signal arrives meanwhile: a stop
	// request is answered right after it.
	wctx, wcancel := context.WithTimeout(context.Background(), time.Minute)
	err = welcome(wctx, a, publicURL(cfg, ln.Addr().String()), stdout)
	wcancel()
	if err != nil {
		_ = a.Shutdown(context.Background())
		return err
	}

	select {
	case err = <-served:
		// The listener failed on its own; stop the stores all the same.
		_ = a.Shutdown(context.Background())
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	log.Info("shutting down", "drain_timeout", cfg.ShutdownTimeout.String())
	sctx, cancel := context.WithTimeout(context.Background(), cfg.ShutdownTimeout)
	defer cancel()
	if err := a.Shutdown(sctx); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	log.Info("stopped")
	return nil
}

// welcome prints, once, what a newcomer needs: the demo users' sign-in
// details when --demo seeded them, and the set-up link for the first
// administrator while there is none.
func welcome(ctx context.Context, a *app.App, base string, stdout io.Writer) error {
	ctx = audit.WithActor(ctx, audit.System)
	if a.Config().Demo {
		demo, err := a.SeedDemo(ctx)
		if err != nil {
			return fmt.Errorf("seed demo users: %w", err)
		}
		if len(demo.Users) > 0 {
			fmt.Fprintf(stdout, "\nDemo users (shown once; sign in at %s/signin):\n", base)
			tw := tabwriter.NewWriter(stdout, 2, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "  ROLE\tEMAIL\tPASSWORD")
			for _, u := range demo.Users {
				fmt.Fprintf(tw, "  %s\t%s\t%s\n", u.Role, u.Email, u.Password)
			}
			tw.Flush()
		}
		if i := strings.Index(demo.Link, "/q/"); i >= 0 {
			fmt.Fprintf(stdout, "\nA vendor's questionnaire link, to answer as the vendor (no account needed):\n  %s%s\n", base, demo.Link[i:])
		}
	}
	link, err := a.FirstAdminLink(ctx, base)
	if err != nil {
		return fmt.Errorf("first administrator: %w", err)
	}
	if link != "" {
		fmt.Fprintf(stdout, "\nNo administrator yet. Set one up within 24 hours at:\n  %s\n", link)
	}
	return nil
}

// publicURL is the base of the links Dossier prints.
func publicURL(cfg config.Config, listening string) string {
	if cfg.PublicURL != "" {
		return cfg.PublicURL
	}
	return "http://" + listening
}

func newLogger(cfg config.Config, w io.Writer) *slog.Logger {
	opts := &slog.HandlerOptions{Level: cfg.LogLevel}
	if cfg.LogFormat == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

// version is the module version, or the VCS revision for a development
// build.
func version() string {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return "unknown"
	}
	if v := bi.Main.Version; v != "" && v != "(devel)" {
		return v
	}
	rev, dirty := "", false
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.modified":
			dirty = s.Value == "true"
		}
	}
	if rev == "" {
		return "dev"
	}
	if len(rev) > 12 {
		rev = rev[:12]
	}
	if dirty {
		rev += "-dirty"
	}
	return "dev-" + rev
}
