package app

import (
	"context"
	"crypto/rand"
	"fmt"
	"time"

	"dossier/internal/authz"
)

// FirstAdminLink returns a one-time link that lets whoever started the
// server create the first administrator, valid for 24 hours, or "" once an
// administrator exists in the default domain.
func (a *App) FirstAdminLink(ctx context.Context, base string) (string, error) {
	if len(a.Authz.Members(authz.RoleAdmin, a.cfg.Domain)) > 0 {
		return "", nil
	}
	token, err := a.Access.CreateSetupLink(ctx, 24*time.Hour)
	if err != nil {
		return "", err
	}
	return base + "/setup/" + token, nil
}

// DemoUser is a seeded demo account, printed once.
type DemoUser struct {
	Role, Email, Password string
}

// SeedDemo creates one user per built-in role on an empty database, each
// with a random password, so a newcomer can try every role, and a sample
// supplier register. On a database that has users it does nothing.
func (a *App) SeedDemo(ctx context.Context) ([]DemoUser, error) {
	n, err := a.Access.CountUsers(ctx)
	if err != nil || n > 0 {
		return nil, err
	}
	var out []DemoUser
	owners := map[string]string{}
	for _, r := range authz.BuiltinRoles() {
		email := r.Name + "@demo.example.org"
		u, err := a.Access.CreateUser(ctx, email, "Demo "+r.Label)
		if err != nil {
			return nil, err
		}
		password := rand.Text() // 26 characters, 128 bits
		if err := a.Access.SetPassword(ctx, u.ID, password); err != nil {
			return nil, err
		}
		if err := a.Authz.AddRole(ctx, u.ID, r.Name, a.cfg.Domain); err != nil {
			return nil, err
		}
		out = append(out, DemoUser{Role: r.Name, Email: email, Password: password})
		owners[r.Name] = u.ID
	}
	if err := a.Suppliers.SeedDemo(ctx, a.cfg.Domain, owners); err != nil {
		return nil, fmt.Errorf("demo supplier register: %w", err)
	}
	return out, nil
}
