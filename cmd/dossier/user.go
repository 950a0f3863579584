package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"dossier/internal/errs"
)

func userCommand(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return usageError{"user needs a command: add, token or disable; run \"dossier help\""}
	}
	sub, args := args[0], args[1:]
	switch sub {
	case "add":
		return userAdd(ctx, args, getenv, stdin, stdout, stderr)
	case "token":
		return userToken(ctx, args, getenv, stdout, stderr)
	case "disable":
		return userDisable(ctx, args, getenv, stdout, stderr)
	}
	return usageError{fmt.Sprintf("unknown user command %q; want add, token or disable", sub)}
}

func userAdd(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) error {
	var name, role string
	t, err := openTool(ctx, "user add", args, getenv, stdout, stderr, func(fs *flag.FlagSet) {
		fs.StringVar(&name, "name", "", "the user's display name (required)")
		fs.StringVar(&role, "role", "", "a built-in role: admin, procurement, security_reviewer, legal, document_controller, approver, staff, auditor")
	}, 1)
	if err != nil {
		return err
	}
	defer t.close()
	// --domain is the DOSSIER_DOMAIN setting: the hospital the role applies in.
	domain := t.cfg.Domain
	if strings.TrimSpace(name) == "" {
		return usageError{"user add needs --name"}
	}
	if !t.app.Authz.IsRole(role) {
		return usageError{fmt.Sprintf("unknown role %q; want one of %s", role, strings.Join(t.app.Authz.RoleNames(), ", "))}
	}
	password, err := readPassword(getenv, stdin)
	if err != nil {
		return err
	}
	u, err := t.app.Access.CreateUser(t.ctx, t.args[0], name)
	if err != nil {
		return errors.New(errs.Message(err))
	}
	if err := t.app.Authz.AddRole(t.ctx, u.ID, role, domain); err != nil {
		return errors.New(errs.Message(err))
	}
	if password != "" {
		if err := t.app.Access.SetPassword(t.ctx, u.ID, password); err != nil {
			return fmt.Errorf("user %s was added with role %s, but the password was refused: %s; set one with the link from the admin page", u.Email, role, errs.Message(err))
		}
		fmt.Fprintf(stdout, "Added %s (%s) with role %s in %s.\n", u.Email, u.Name, role, domain)
		return nil
	}
	token, err := t.app.Access.CreatePasswordLink(t.ctx, u.ID, 72*time.Hour)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "Added %s (%s) with role %s in %s.\nThey set their password within 72 hours at:\n  %s/password/%s\n",
		u.Email, u.Name, role, domain, publicURL(t.cfg, t.cfg.Addr), token)
	return nil
}

// readPassword takes the password from DOSSIER_PASSWORD, or from the first
// line of stdin when stdin is not a terminal. "" means neither gave one.
func readPassword(getenv func(string) string, stdin io.Reader) (string, error) {
	if p := getenv("DOSSIER_PASSWORD"); p != "" {
		return p, nil
	}
	if f, ok := stdin.(*os.File); ok {
		if fi, err := f.Stat(); err != nil || fi.Mode()&os.ModeCharDevice != 0 {
			return "", nil
		}
	}
	line, err := bufio.NewReader(stdin).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return "", fmt.Errorf("read password from stdin: %w", err)
	}
	return strings.TrimRight(line, "\r\n"), nil
}

func userToken(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	var label string
	t, err := openTool(ctx, "user token", args, getenv, stdout, stderr, func(fs *flag.FlagSet) {
		fs.StringVar(&label, "name", "command line", "a label that says what the token is for")
	}, 1)
	if err != nil {
		return err
	}
	defer t.close()
	u, err := t.app.Access.UserByEmail(t.ctx, t.args[0])
	if err != nil {
		return errors.New(errs.Message(err))
	}
	secret, _, err := t.app.Access.CreateToken(t.ctx, u.ID, label)
	if err != nil {
		return errors.New(errs.Message(err))
	}
	fmt.Fprintln(stdout, secret)
	return nil
}

func userDisable(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	t, err := openTool(ctx, "user disable", args, getenv, stdout, stderr, nil, 1)
	if err != nil {
		return err
	}
	defer t.close()
	u, err := t.app.Access.UserByEmail(t.ctx, t.args[0])
	if err != nil {
		return errors.New(errs.Message(err))
	}
	if err := t.app.Access.Disable(t.ctx, u.ID); err != nil {
		return errors.New(errs.Message(err))
	}
	fmt.Fprintf(stdout, "Disabled %s; their sessions have ended and their API tokens are refused.\n", u.Email)
	return nil
}
