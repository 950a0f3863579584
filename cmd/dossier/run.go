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
	"time"

	"dossier/internal/app"
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
  dossier [serve] [flags]   run the web server (the default)
  dossier version           print the version
  dossier help              show this help

Run "dossier serve --help" for every setting.
`

// run is the whole program; main only calls it, so tests can too.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	cmd := "serve"
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		cmd, args = args[0], args[1:]
	}
	switch cmd {
	case "serve":
		return serve(ctx, args, getenv, stdout, stderr)
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
