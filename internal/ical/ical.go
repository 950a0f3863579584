// Package ical writes iCalendar (RFC 5545) feeds of all-day events: the
// contract expiry dates and notice deadlines a user subscribes to from
// Outlook or any calendar by a secret URL. It writes only what such a feed
// needs, and reads nothing.
package ical

import (
	"bufio"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// ContentType is the media type of a feed, for the HTTP response.
const ContentType = "text/calendar; charset=utf-8"

// Calendar is a feed.
type Calendar struct {
	Name   string // X-WR-CALNAME: the calendar's name in the user's client, such as "Dossier: contract dates"
	ProdID string // PRODID: the product that made the feed, such as "-//General Hospital//Dossier//EN"
	// Refresh, when set, asks clients to fetch the feed again this often
	// (REFRESH-INTERVAL, and X-PUBLISHED-TTL for Outlook); whole minutes.
	Refresh time.Duration
	Events  []Event
}

// Event is one all-day event.
type Event struct {
	// UID identifies the event across fetches of the feed, so a client
	// updates it instead of adding a copy: keep it the same for the same
	// contract date (see UID).
	UID         string
	Date        time.Time // the day, as it reads in Date's location; the time of day is ignored
	Summary     string
	Description string
	URL         string    // an absolute http(s) address, such as the contract's page
	Stamp       time.Time // DTSTAMP: when this information last changed; written in UTC
	AlarmDays   int       // a reminder this many days before the day (VALARM); 0: none
}

// lineLimit is the most octets on one line, CRLF not counted (RFC 5545
// 3.1). A continuation line's leading space counts.
const lineLimit = 75

// UID makes a stable UID for an event from what identifies it, such as
// UID("dossier.hospital.org", "contract", id, "expiry"): the same parts
// give the same UID on every fetch, and nothing of the parts shows in it.
func UID(host string, parts ...string) string {
	h := sha256.New()
	for _, p := range parts {
		h.Write([]byte(strconv.Itoa(len(p)) + ":" + p)) // length-prefixed: ("ab","c") ≠ ("a","bc")
	}
	return hex.EncodeToString(h.Sum(nil)[:16]) + "@" + host
}

// Write writes c as an iCalendar stream: CRLF line endings, lines folded
// at 75 octets between characters, TEXT values escaped. It refuses an
// event without a UID, a date or a stamp, a URL that is not an absolute
// http(s) address, and a negative alarm.
func Write(w io.Writer, c Calendar) error {
	if err := c.check(); err != nil {
		return err
	}
	lw := &lineWriter{w: bufio.NewWriter(w)}
	lw.line("BEGIN:VCALENDAR")
	lw.line("VERSION:2.0")
	lw.line("PRODID:" + escape(c.ProdID))
	lw.line("CALSCALE:GREGORIAN")
	lw.line("METHOD:PUBLISH")
	if c.Name != "" {
		lw.line("X-WR-CALNAME:" + escape(c.Name))
	}
	if m := int(c.Refresh / time.Minute); m > 0 {
		lw.line("REFRESH-INTERVAL;VALUE=DURATION:PT" + strconv.Itoa(m) + "M")
		lw.line("X-PUBLISHED-TTL:PT" + strconv.Itoa(m) + "M")
	}
	for _, e := range c.Events {
		y, m, d := e.Date.Date()
		lw.line("BEGIN:VEVENT")
		lw.line("UID:" + escape(e.UID))
		lw.line("DTSTAMP:" + e.Stamp.UTC().Format("20060102T150405Z"))
		lw.line("DTSTART;VALUE=DATE:" + time.Date(y, m, d, 0, 0, 0, 0, time.UTC).Format("20060102"))
		lw.line("DTEND;VALUE=DATE:" + time.Date(y, m, d+1, 0, 0, 0, 0, time.UTC).Format("20060102"))
		lw.line("SUMMARY:" + escape(e.Summary))
		if e.Description != "" {
			lw.line("DESCRIPTION:" + escape(e.Description))
		}
		if e.URL != "" {
			lw.line("URL:" + e.URL) // a URI, not TEXT: not escaped
		}
		// A date to watch, not time away: free/busy stays free.
		lw.line("TRANSP:TRANSPARENT")
		if e.AlarmDays > 0 {
			lw.line("BEGIN:VALARM")
			lw.line("ACTION:DISPLAY")
			lw.line("DESCRIPTION:" + escape(e.Summary))
			lw.line("TRIGGER:-P" + strconv.Itoa(e.AlarmDays) + "D")
			lw.line("END:VALARM")
		}
		lw.line("END:VEVENT")
	}
	lw.line("END:VCALENDAR")
	if lw.err != nil {
		return lw.err
	}
	return lw.w.Flush()
}

func (c Calendar) check() error {
	if strings.TrimSpace(c.ProdID) == "" {
		return fmt.Errorf("ical: the calendar needs a PRODID")
	}
	if c.Refresh < 0 {
		return fmt.Errorf("ical: a negative refresh interval")
	}
	for i, e := range c.Events {
		switch {
		case strings.TrimSpace(e.UID) == "":
			return fmt.Errorf("ical: event %d has no UID", i)
		case e.Date.IsZero():
			return fmt.Errorf("ical: event %s has no date", e.UID)
		case e.Stamp.IsZero():
			return fmt.Errorf("ical: event %s has no stamp", e.UID)
		case e.AlarmDays < 0:
			return fmt.Errorf("ical: event %s has an alarm after its day", e.UID)
		case e.URL != "" && !validURL(e.URL):
			return fmt.Errorf("ical: event %s: the URL must be an absolute http(s) address", e.UID)
		}
	}
	return nil
}

func validURL(s string) bool {
	if strings.ContainsFunc(s, func(r rune) bool { return r > unicode.MaxASCII || unicode.IsSpace(r) || unicode.IsControl(r) }) {
		return false
	}
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "https" || u.Scheme == "http") && u.Host != ""
}

// escape makes s a TEXT value (RFC 5545 3.3.11): backslash, semicolon and
// comma escaped, every line break (CRLF, CR or LF) written as \n, other
// control characters (which TEXT does not allow) dropped, and invalid
// UTF-8 replaced.
func escape(s string) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '\\':
			b.WriteString(`\\`)
		case ';':
			b.WriteString(`\;`)
		case ',':
			b.WriteString(`\,`)
		case '\r':
			if i+1 < len(s) && s[i+1] == '\n' {
				i++
			}
			b.WriteString(`\n`)
		case '\n':
			b.WriteString(`\n`)
		default:
			if c < 0x20 && c != '\t' || c == 0x7f {
				continue
			}
			b.WriteByte(c) // bytes of multi-byte characters pass through whole
		}
	}
	return b.String()
}

// lineWriter writes content lines, folded, and keeps the first error.
type lineWriter struct {
	w   *bufio.Writer
	err error
}

// line writes one content line, folding it into lines of at most 75
// octets: each cut falls before the first byte of a character, and each
// continuation line starts with one space.
func (lw *lineWriter) line(s string) {
	limit := lineLimit
	for len(s) > limit {
		n := limit
		for n > 0 && !utf8.RuneStart(s[n]) {
			n--
		}
		lw.write(s[:n] + "\r\n ")
		s = s[n:]
		limit = lineLimit - 1
	}
	lw.write(s + "\r\n")
}

func (lw *lineWriter) write(s string) {
	if lw.err == nil {
		_, lw.err = lw.w.WriteString(s)
	}
}
