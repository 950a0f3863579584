package http

import (
	"context"
	"sync"
	"time"

	"github.com/gofiber/fiber/v2"

	"dossier/internal/authz"
	"dossier/internal/document"
	"dossier/internal/errs"
	"dossier/internal/supplier"
)

// CheckResult is one store's answer.
type CheckResult struct {
	Name    string
	Label   string
	OK      bool
	Problem string
}

// runChecks pings every store at once, each with a short deadline.
func (s *Server) runChecks(ctx context.Context) ([]CheckResult, bool) {
	results := make([]CheckResult, len(s.checks))
	var wg sync.WaitGroup
	for i, ch := range s.checks {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
			defer cancel()
			r := CheckResult{Name: ch.Name, Label: ch.Label, OK: true}
			if err := ch.Ping(ctx); err != nil {
				r.OK = false
				r.Problem = errs.Message(err)
				if errs.Code(err) == errs.Internal {
					r.Problem = "It does not answer as expected."
				}
			}
			results[i] = r
		}()
	}
	wg.Wait()
	ready := true
	for _, r := range results {
		ready = ready && r.OK
	}
	return results, ready
}

// healthz answers as long as the process runs.
func (s *Server) healthz(c *fiber.Ctx) error {
	return c.JSON(fiber.Map{"status": "ok"})
}

type readyBody struct {
	Status string            `json:"status"`
	Checks map[string]string `json:"checks"`
}

// readyz is 200 when every store answers and 503 naming those that do not.
func (s *Server) readyz(c *fiber.Ctx) error {
	results, ready := s.runChecks(c.UserContext())
	body := readyBody{Status: "ready", Checks: map[string]string{}}
	for _, r := range results {
		body.Checks[r.Name] = "ok"
		if !r.OK {
			body.Checks[r.Name] = "down: " + r.Problem
		}
	}
	c.Set(fiber.HeaderCacheControl, "no-store")
	if !ready {
		body.Status = "unavailable"
		return c.Status(fiber.StatusServiceUnavailable).JSON(body)
	}
	return c.JSON(body)
}

// HomeView is the home page: for a signed-in person, a summary of the
// areas their roles open.
type HomeView struct {
	ToRead []document.Task // documents in effect the viewer is to read and acknowledge
	Page
	Ready     bool
	Suppliers *supplier.Counts // nil when the viewer may not see the register
}

func (s *Server) home(c *fiber.Ctx) error {
	_, ready := s.runChecks(c.UserContext())
	view := HomeView{Page: s.page(c, "Home"), Ready: ready}
	if v := viewer(c); v != nil && s.can(c, authz.View, authz.Every(authz.ClassVendor)) {
		counts, err := s.suppliers.Summary(c.UserContext(), v.Domain)
		if err != nil {
			return err
		}
		view.Suppliers = &counts
	}
	if v := viewer(c); v != nil {
		tasks, err := s.documents.Pending(c.UserContext(), v.Domain, v.User.ID)
		if err != nil {
			return err
		}
		sight := s.documentSights(c)
		for _, t := range tasks {
			if sight(t.DocID) != document.Hidden && s.canDocument(c, t.DocID, authz.Acknowledge) {
				view.ToRead = append(view.ToRead, t)
			}
		}
	}
	return s.render(c, "home", view)
}

// StatusView is the system status page.
type StatusView struct {
	Page
	Ready     bool
	Checks    []CheckResult
	CheckedAt string
}

func (s *Server) status(c *fiber.Ctx) error {
	results, ready := s.runChecks(c.UserContext())
	if !ready {
		c.Status(fiber.StatusServiceUnavailable)
	}
	return s.render(c, "status", StatusView{
		Page: s.page(c, "System status"), Ready: ready, Checks: results,
		CheckedAt: s.now().UTC().Format("2006-01-02 15:04:05 UTC"),
	})
}

func (s *Server) version(c *fiber.Ctx) error {
	return c.JSON(fiber.Map{"name": "dossier", "version": s.cfg.Version})
}
