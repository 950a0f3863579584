package http

import (
	"bytes"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"dossier/internal/authz"
	"dossier/internal/contract"
	"dossier/internal/errs"
	"dossier/internal/ical"
)

const (
	// calendarRefresh is how often calendar clients are asked to fetch the
	// feed again: contract dates change seldom, and a day-old copy is fine.
	calendarRefresh = 6 * time.Hour
	// calendarAlarmDays puts a reminder in the calendar a week before each
	// date, as the last of the e-mailed reminders does.
	calendarAlarmDays = 7
)

// calendarRoutes serves the feed. It needs no session: the secret in the
// address is the credential, and a calendar client has no cookies.
func (s *Server) calendarRoutes(app *fiber.App) {
	app.Get("/calendar/:secret.ics", s.calendarFeed)
}

// calendarPath is where a feed is served; the request log shows it
// redacted (see redactPath).
func calendarPath(secret string) string { return "/calendar/" + url.PathEscape(secret) + ".ics" }

// calendarFeed writes the expiry dates and notice deadlines of the
// contracts the feed's user owns, in every hospital where they hold a
// role. Permission is checked again at every fetch: a contract the user
// may no longer view drops out of the feed, and a revoked address, or a
// disabled user's, is a 404 like an unknown one, with no detail.
func (s *Server) calendarFeed(c *fiber.Ctx) error {
	ctx := c.UserContext()
	u, err := s.access.CalendarUser(ctx, c.Params("secret"))
	if errs.Is(err, errs.NotFound) {
		return errs.E(errs.NotFound, "There is no calendar at this address.")
	}
	if err != nil {
		return err
	}
	base := strings.TrimSuffix(s.baseURL(c), "/")
	host := base
	if bu, err := url.Parse(base); err == nil && bu.Host != "" {
		host = bu.Host
	}
	now := s.now()
	cal := ical.Calendar{
		Name:    "Dossier: contract dates · " + s.cfg.Hospital,
		ProdID:  "-//" + strings.ReplaceAll(s.cfg.Hospital, "//", "/") + "//Dossier//EN",
		Refresh: calendarRefresh,
	}
	for _, domain := range s.authz.Domains(u.ID) {
		rows, err := s.contracts.Rows(ctx, domain, contract.Query{Owner: u.ID, Window: contract.WindowInForce, Sort: "expiry"})
		if err != nil {
			return err
		}
		for _, r := range rows {
			if !s.authz.Can(u.ID, domain, authz.Object(authz.ClassContract, r.ID), authz.View) {
				continue
			}
			cal.Events = append(cal.Events, contractEvents(r, base, host, now)...)
		}
	}
	var buf bytes.Buffer
	if err := ical.Write(&buf, cal); err != nil {
		return errs.Wrap(errs.Internal, err, "write the calendar feed")
	}
	c.Set(fiber.HeaderContentType, ical.ContentType)
	c.Set(fiber.HeaderCacheControl, "no-store")
	// A calendar client saves the feed under this name when asked to.
	c.Set(fiber.HeaderContentDisposition, `inline; filename="dossier-contracts.ics"`)
	return c.Send(buf.Bytes())
}

// contractEvents are a contract's dates as all-day events: its expiry and,
// when it needs notice, the last day to give it. The UIDs name the
// contract and the kind of date, not the date, so a renewal moves the
// event in the user's calendar instead of adding another.
func contractEvents(r contract.Row, base, host string, now time.Time) []ical.Event {
	stamp := r.UpdatedAt
	if stamp.IsZero() {
		stamp = now
	}
	name := r.Title
	if r.VendorName != "" {
		name += " (" + r.VendorName + ")"
	}
	link := base + "/contracts/" + url.PathEscape(r.ID)
	var out []ical.Event
	if !r.Expiry.IsZero() {
		desc := fmt.Sprintf("%s with %s expires on %s.", r.Type.Label(), r.VendorName, r.Expiry.Format("2 January 2006"))
		if r.AutoRenewMonths > 0 {
			desc = fmt.Sprintf("%s with %s renews for %d months on %s unless notice is given.", r.Type.Label(), r.VendorName,
				r.AutoRenewMonths, r.Expiry.Format("2 January 2006"))
		}
		out = append(out, ical.Event{
			UID: ical.UID(host, "contract", r.ID, contract.RemindExpiry), Date: r.Expiry,
			Summary: "Contract expires: " + name, Description: desc + "\n" + link,
			URL: link, Stamp: stamp, AlarmDays: calendarAlarmDays,
		})
	}
	if !r.NoticeDeadline.IsZero() {
		desc := fmt.Sprintf("Last day to give the %d days' notice that ends the %s with %s at its expiry on %s.",
			r.NoticeDays, r.Type.Label(), r.VendorName, r.Expiry.Format("2 January 2006"))
		if r.AutoRenewMonths > 0 {
			desc = fmt.Sprintf("Last day to give the %d days' notice that stops the %s with %s renewing on %s.",
				r.NoticeDays, r.Type.Label(), r.VendorName, r.Expiry.Format("2 January 2006"))
		}
		out = append(out, ical.Event{
			UID: ical.UID(host, "contract", r.ID, contract.RemindNotice), Date: r.NoticeDeadline,
			Summary: "Notice deadline: " + name, Description: desc + "\n" + link,
			URL: link, Stamp: stamp, AlarmDays: calendarAlarmDays,
		})
	}
	return out
}

// CalendarView is the calendar section of the account page.
type CalendarView struct {
	Created time.Time // when the current address was made; zero: none
	URL     string    // the full address, right after it was made, once
}

func (s *Server) calendarView(c *fiber.Ctx) (CalendarView, error) {
	created, err := s.access.CalendarLinkCreated(c.UserContext(), viewer(c).User.ID)
	return CalendarView{Created: created}, err
}

// createCalendarLink makes the viewer's calendar address, replacing any
// earlier one, and shows it once (access audits it).
func (s *Server) createCalendarLink(c *fiber.Ctx) error {
	secret, err := s.access.NewCalendarLink(c.UserContext(), viewer(c).User.ID)
	if err != nil {
		return err
	}
	view, err := s.accountView(c)
	if err != nil {
		return err
	}
	view.Calendar.URL = strings.TrimSuffix(s.baseURL(c), "/") + calendarPath(secret)
	return s.render(c, "account", view)
}

// revokeCalendarLink stops the viewer's calendar feed (access audits it).
func (s *Server) revokeCalendarLink(c *fiber.Ctx) error {
	if err := s.access.RevokeCalendarLink(c.UserContext(), viewer(c).User.ID); err != nil {
		return err
	}
	return s.redirect(c, "/account#calendar", "Calendar feed stopped; its address no longer works.")
}
