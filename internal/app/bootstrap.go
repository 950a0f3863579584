package app

import (
	"context"
	"crypto/rand"
	"fmt"
	"time"

	"dossier/internal/audit"
	"dossier/internal/authz"
	"dossier/internal/errs"
	"dossier/internal/supplier"
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

// Demo is what SeedDemo made that a newcomer needs to try it.
type Demo struct {
	Users []DemoUser
	Link  string // a vendor's questionnaire link, to open as the vendor
}

// SeedDemo creates one user per built-in role on an empty database, each
// with a random password, so a newcomer can try every role, a sample
// supplier register, assessments in every state, contracts and controlled
// documents. On a database that
// has users it does nothing.
func (a *App) SeedDemo(ctx context.Context) (Demo, error) {
	n, err := a.Access.CountUsers(ctx)
	if err != nil || n > 0 {
		return Demo{}, err
	}
	var out []DemoUser
	actors := map[string]audit.Actor{}
	owners := map[string]string{}
	for _, r := range authz.BuiltinRoles() {
		email := r.Name + "@demo.example.org"
		u, err := a.Access.CreateUser(ctx, email, "Demo "+r.Label)
		if err != nil {
			return Demo{}, err
		}
		password := rand.Text() // 26 characters, 128 bits
		if err := a.Access.SetPassword(ctx, u.ID, password); err != nil {
			return Demo{}, err
		}
		if err := a.Authz.AddRole(ctx, u.ID, r.Name, a.cfg.Domain); err != nil {
			return Demo{}, err
		}
		out = append(out, DemoUser{Role: r.Name, Email: email, Password: password})
		owners[r.Name] = u.ID
		actors[r.Name] = audit.Actor{ID: u.ID, Name: u.Email}
	}
	if err := a.Suppliers.SeedDemo(ctx, a.cfg.Domain, owners); err != nil {
		return Demo{}, fmt.Errorf("demo supplier register: %w", err)
	}
	var vendors []supplier.Vendor
	if err := a.Suppliers.All(ctx, a.cfg.Domain, supplier.Query{Sort: "name"}, func(v supplier.Vendor) error {
		if v.Status != supplier.Terminated {
			vendors = append(vendors, v)
		}
		return nil
	}); err != nil {
		return Demo{}, err
	}
	link, err := a.Assessments.SeedDemo(ctx, a.cfg.Domain, vendors, actors[authz.RoleSecurityReviewer])
	if err != nil {
		return Demo{}, fmt.Errorf("demo assessments: %w", err)
	}
	if err := a.Contracts.SeedDemo(ctx, a.cfg.Domain, vendors, actors[authz.RoleLegal]); err != nil {
		return Demo{}, fmt.Errorf("demo contracts: %w", err)
	}
	if err := a.Documents.SeedDemo(ctx, a.cfg.Domain, actors[authz.RoleDocumentController], []audit.Actor{actors[authz.RoleApprover]}); err != nil {
		return Demo{}, fmt.Errorf("demo documents: %w", err)
	}
	// The day's reminders for the demo contracts, so legal has notices at
	// once. A scheduled run already going (a conflict) sends them instead.
	if _, err := a.Jobs.RunNow(ctx, ExpiryJob); err != nil && !errs.Is(err, errs.Conflict) {
		return Demo{}, fmt.Errorf("demo contract reminders: %w", err)
	}
	return Demo{Users: out, Link: link}, nil
}
