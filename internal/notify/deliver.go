package notify

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"strings"

	"dossier/internal/access"
	"dossier/internal/errs"
	"dossier/internal/mail"
)

// Delivery is a message to one user, sent once per Key: in the app always,
// and by e-mail when mail is on.
type Delivery struct {
	Key     string // once-only key, such as "contract:42:expiry:30d"
	UserID  string
	Domain  string
	Subject string
	Body    string // plain text
	Link    string // a path in Dossier, such as /contracts/42
}

// Deliver sends d once per d.Key (see Once): an in-app notice, and an
// e-mail to the user's address when mail is on. It reports whether this
// call delivered it. A disabled user gets neither, and the key is closed
// all the same, so the message does not follow them when re-enabled.
//
// A failed e-mail releases the key, so the next Deliver of it mails again;
// the in-app notice is not repeated (its id comes from the key). An
// address the mail server refuses for good is logged and not retried.
func (s *Service) Deliver(ctx context.Context, d Delivery) (sent bool, err error) {
	if s.o.Users == nil {
		return false, errors.New("notify: Deliver needs Options.Users")
	}
	n := Notice{ID: noticeID(d.Key), Domain: d.Domain, UserID: d.UserID, Subject: d.Subject, Body: d.Body, Link: d.Link}
	// A malformed delivery is refused before it claims its key.
	if _, err := s.clean(n); err != nil {
		return false, err
	}
	return s.once(ctx, d.Key, func(ctx context.Context) (skipped bool, err error) {
		u, err := s.o.Users.User(ctx, d.UserID)
		if err != nil {
			return false, err
		}
		if u.Status == access.Disabled {
			return true, nil
		}
		n, err := s.Notify(ctx, n)
		if err != nil {
			return false, err
		}
		if s.o.Mailer == nil || !s.o.Mailer.Enabled() || u.Email == "" {
			return false, nil
		}
		err = s.o.Mailer.Send(ctx, mail.Message{To: []string{u.Email}, Subject: n.Subject, Text: s.mailText(u, n)})
		if errs.Is(err, errs.Invalid) {
			s.log.Warn("notify: the mail server refused the address; the notice is in the app only", "key", d.Key, "user", u.ID, "err", err)
			return false, nil
		}
		return false, err
	})
}

// noticeID is the notice id for a delivery key: the same on every attempt.
func noticeID(key string) string {
	h := sha256.Sum256([]byte("notice\x00" + key))
	return hex.EncodeToString(h[:12])
}

// mailText is the e-mail for a notice.
func (s *Service) mailText(u access.User, n Notice) string {
	var b strings.Builder
	if u.Name != "" {
		b.WriteString("Hello " + u.Name + ",\n\n")
	}
	b.WriteString(strings.TrimSpace(n.Body) + "\n")
	if link := s.absolute(n.Link); link != "" {
		b.WriteString("\nOpen it in Dossier: " + link + "\n")
	}
	b.WriteString("\nThis notice is also in Dossier, under Notices.\n")
	return b.String()
}

// absolute makes a link in Dossier into an address for e-mail; "" when
// there is no public address to put in front of a path.
func (s *Service) absolute(link string) string {
	if !strings.HasPrefix(link, "/") {
		return link
	}
	if s.o.PublicURL == "" {
		return ""
	}
	return strings.TrimRight(s.o.PublicURL, "/") + link
}
