package http

import (
	"context"
	"fmt"
	"time"

	"github.com/gofiber/fiber/v2"

	"dossier/internal/errs"
	"dossier/internal/notify"
)

func (s *Server) noticeRoutes(app *fiber.App, api fiber.Router) {
	g := app.Group("/notices", s.signedIn)
	g.Get("/", s.notices)
	g.Post("/:id/read", s.markNoticeRead)
	api.Get("/notices", s.signedIn, s.apiNotices)
	api.Post("/notices/:id/read", s.signedIn, s.apiMarkNoticeRead)
}

// unread is the signed-in user's unread count for the navigation badge:
// one lookup by _id. A failure costs the badge, not the page.
func (s *Server) unread(c *fiber.Ctx, userID string) int {
	ctx := c.UserContext()
	if ctx.Err() != nil {
		// An error page: it is rendered after the handler's context ended.
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(context.WithoutCancel(ctx), time.Second)
		defer cancel()
	}
	n, err := s.notify.Unread(ctx, userID)
	if err != nil {
		s.log.Warn("unread notices", "request_id", requestID(c), "err", err)
		return 0
	}
	return n
}

// UnreadLabel is the badge's count: the inbox keeps the latest
// notify.InboxSize notices, so a full count means "that many or more".
func (p Page) UnreadLabel() string {
	if p.Unread >= notify.InboxSize {
		return fmt.Sprintf("%d+", notify.InboxSize)
	}
	return fmt.Sprint(p.Unread)
}

// UnreadSpoken is the badge for a screen reader: "3 unread notices".
func (p Page) UnreadSpoken() string {
	switch {
	case p.Unread >= notify.InboxSize:
		return fmt.Sprintf("%d or more unread notices", notify.InboxSize)
	case p.Unread == 1:
		return "1 unread notice"
	}
	return fmt.Sprintf("%d unread notices", p.Unread)
}

// NoticesView is the signed-in person's notices, newest first.
type NoticesView struct {
	Page
	Notices    []NoticeItem
	UnreadOnly bool
	Max        int // notify.InboxSize: how many the list keeps
}

// NoticeItem is one notice as the page shows it.
type NoticeItem struct {
	notify.Notice
	Href  string // the notice's link, kept on this site; "" when it has none
	Other string // the hospital it is about, when not the one the viewer works in
}

func (s *Server) notices(c *fiber.Ctx) error {
	v := viewer(c)
	unreadOnly := c.Query("show") == "unread"
	list, err := s.notify.Notices(c.UserContext(), v.User.ID, unreadOnly)
	if err != nil {
		return err
	}
	view := NoticesView{Page: s.page(c, "Notices"), UnreadOnly: unreadOnly, Max: notify.InboxSize}
	for _, n := range list {
		item := NoticeItem{Notice: n}
		if n.Link != "" && safeNext(n.Link) == n.Link {
			item.Href = n.Link
		}
		if n.Domain != "" && n.Domain != v.Domain {
			item.Other = n.Domain
		}
		view.Notices = append(view.Notices, item)
	}
	return s.render(c, "notices", view)
}

// markNoticeRead marks one of the viewer's notices read and goes back to
// the list it was marked on: a plain form, no script needed.
func (s *Server) markNoticeRead(c *fiber.Ctx) error {
	if err := s.notify.MarkRead(c.UserContext(), viewer(c).User.ID, c.Params("id")); err != nil {
		return err
	}
	back := "/notices"
	if c.FormValue("show") == "unread" {
		back += "?show=unread"
	}
	return s.redirect(c, back, "Notice marked read.")
}

// APINotice is a notice in the API.
type APINotice struct {
	ID      string    `json:"id"`
	Domain  string    `json:"domain"`
	Subject string    `json:"subject"`
	Body    string    `json:"body"`
	Link    string    `json:"link,omitempty"` // a path in Dossier
	Created time.Time `json:"created"`
	Read    bool      `json:"read"`
}

// APINoticeList is the caller's latest notices, newest first.
type APINoticeList struct {
	Notices []APINotice `json:"notices"`
	Unread  int         `json:"unread"` // unread among the latest notify.InboxSize
}

func (s *Server) apiNotices(c *fiber.Ctx) error {
	ctx, v := c.UserContext(), viewer(c)
	unreadOnly := false
	switch c.Query("unread") {
	case "", "false":
	case "true":
		unreadOnly = true
	default:
		return errs.Field("unread", "Use unread=true or unread=false.")
	}
	list, err := s.notify.Notices(ctx, v.User.ID, unreadOnly)
	if err != nil {
		return err
	}
	unread, err := s.notify.Unread(ctx, v.User.ID)
	if err != nil {
		return err
	}
	out := APINoticeList{Notices: make([]APINotice, 0, len(list)), Unread: unread}
	for _, n := range list {
		out.Notices = append(out.Notices, APINotice{ID: n.ID, Domain: n.Domain, Subject: n.Subject, Body: n.Body,
			Link: n.Link, Created: n.Created, Read: n.Read})
	}
	return c.JSON(out)
}

func (s *Server) apiMarkNoticeRead(c *fiber.Ctx) error {
	if err := s.notify.MarkRead(c.UserContext(), viewer(c).User.ID, c.Params("id")); err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}
