package http

import (
	"slices"

	"github.com/gofiber/fiber/v2"

	"dossier/internal/authz"
	"dossier/internal/document"
)

// What a reader sees of a controlled document is Casbin's to decide, per
// document (grants on one document or on a group of them, such as "all
// policies") or for every document (a role): someone who may only view
// and acknowledge it — staff — sees the revision in effect today and
// nothing else; someone who may also revise, review, approve, publish,
// retire or manage it sees every revision, its comments and signatures;
// auditors see everything and change nothing. Workflow state (who wrote a
// revision, what is in review) is the domain's to check.

// documentWork are the actions that let a reader see a document whole.
var documentWork = []string{authz.Revise, authz.Review, authz.Approve, authz.Publish, authz.Retire, authz.Manage}

// documentObject is the Casbin object of one document.
func documentObject(id string) string { return authz.Object(authz.ClassDocument, id) }

// documentSight tells how much of document id the viewer sees.
func (s *Server) documentSight(c *fiber.Ctx, id string) document.Sight {
	return s.documentSights(c)(id)
}

// documentSights returns the viewer's sight of each document, for lists.
// What the viewer may do to every document is asked once; only the
// documents beyond that are asked one by one.
func (s *Server) documentSights(c *fiber.Ctx) func(id string) document.Sight {
	v := viewer(c)
	if v == nil {
		return func(string) document.Sight { return document.Hidden }
	}
	user, domain := v.User.ID, v.Domain
	every := authz.Every(authz.ClassDocument)
	if s.authz.Can(user, domain, every, authz.View) && s.documentWhole(user, domain, every) {
		return func(string) document.Sight { return document.Whole }
	}
	viewAll := s.authz.Can(user, domain, every, authz.View)
	common := document.Hidden // a document no grant or group singles out
	if viewAll {
		common = document.EffectiveOnly
	}
	singled := s.authz.Singled(domain, authz.ClassDocument)
	return func(id string) document.Sight {
		obj := documentObject(id)
		switch {
		case !singled[obj]:
			return common
		case !viewAll && !s.authz.Can(user, domain, obj, authz.View):
			return document.Hidden
		case s.documentWhole(user, domain, obj):
			return document.Whole
		}
		return document.EffectiveOnly
	}
}

// documentWhole reports whether user sees object whole: they may work on
// it, or they audit.
func (s *Server) documentWhole(user, domain, object string) bool {
	if slices.Contains(s.authz.Roles(user, domain), authz.RoleAuditor) {
		return true
	}
	for _, act := range documentWork {
		if s.authz.Can(user, domain, object, act) {
			return true
		}
	}
	return false
}

// documentRequire lets the request on /…/documents/:id go on only when the
// viewer may take action on that document.
func (s *Server) documentRequire(action string) fiber.Handler {
	return func(c *fiber.Ctx) error {
		v := viewer(c)
		if err := s.authz.Check(v.User.ID, v.Domain, documentObject(c.Params("id")), action); err != nil {
			return err
		}
		return c.Next()
	}
}

// canDocument tells pages whether to offer an action on a document.
func (s *Server) canDocument(c *fiber.Ctx, id, action string) bool {
	return s.can(c, action, documentObject(id))
}
