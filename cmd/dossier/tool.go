package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/user"
	"time"

	"dossier/internal/app"
	"dossier/internal/audit"
	"dossier/internal/config"
)

// tool is an opened command-line tool: its settings, its positional
// arguments and the app it works through.
type tool struct {
	cfg  config.Config
	args []string
	app  *app.App
	ctx  context.Context // carries the command-line actor for the audit trail
}

// openTool parses a tool's settings and flags and opens the data it works
// on, sharing a running server's engines when there is one.
func openTool(ctx context.Context, command string, args []string, getenv func(string) string, stdout, stderr io.Writer,
	extra func(*flag.FlagSet), wantArgs int) (*tool, error) {
	cfg, rest, err := config.ParseCommand(command, args, getenv, stdout, extra)
	if errors.Is(err, config.ErrHelp) {
		return nil, err
	}
	if err != nil {
		return nil, usageError{err.Error()}
	}
	if len(rest) != wantArgs {
		return nil, usageError{fmt.Sprintf("%s takes %d argument(s), got %d; run \"dossier %s --help\"", command, wantArgs, len(rest), command)}
	}
	// Tools keep their output for their answer: the log shows only
	// warnings unless debug was asked for.
	if cfg.LogLevel > slog.LevelDebug {
		cfg.LogLevel = slog.LevelWarn
	}
	octx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	a, err := app.OpenTool(octx, cfg, newLogger(cfg, stderr), time.Now)
	if err != nil {
		return nil, err
	}
	return &tool{cfg: cfg, args: rest, app: a, ctx: audit.WithActor(ctx, cliActor())}, nil
}

func (t *tool) close() { t.app.Close() }

// cliActor names the operator in the audit trail by their login.
func cliActor() audit.Actor {
	name := "command line"
	if u, err := user.Current(); err == nil {
		name = "command line (" + u.Username + ")"
	} else if h, err := os.Hostname(); err == nil {
		name = "command line on " + h
	}
	return audit.Actor{ID: "cli", Name: name}
}
