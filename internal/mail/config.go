// Package mail sends Dossier's email (questionnaire links, reminders)
// through the hospital's SMTP server. Mail is optional: with no server set,
// the Mailer is off and callers show people what they would have mailed.
package mail

import (
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"net"
	netmail "net/mail"
	"net/url"
	"strconv"
	"strings"
)

// Security is how the connection to the server is protected.
type Security int

const (
	// StartTLS (smtp://) upgrades the connection with STARTTLS and refuses
	// to send when the server does not offer it, unless the server is on
	// this machine.
	StartTLS Security = iota
	// ImplicitTLS (smtps://) speaks TLS from the first byte.
	ImplicitTLS
	// Plain (smtp://…?starttls=off) never encrypts: only for a relay on
	// this machine.
	Plain
)

// Config says how to reach the SMTP server. The zero Config means mail is
// off. Make one with ParseURL; the password is kept unexported so that it
// cannot be printed, logged or encoded by accident.
type Config struct {
	Host     string
	Port     string
	Username string
	password string
	From     netmail.Address
	Security Security
	Helo     string // the name Dossier gives itself in EHLO; "" is "localhost"
	// RootCAs verifies the server's certificate; nil uses the system's
	// roots. Tests set their own.
	RootCAs *x509.CertPool
}

// Enabled reports whether a server is configured.
func (c Config) Enabled() bool { return c.Host != "" }

// Addr is the server's host:port.
func (c Config) Addr() string { return net.JoinHostPort(c.Host, c.Port) }

// String is the configuration as a URL with the password hidden, for logs
// and messages.
func (c Config) String() string {
	if !c.Enabled() {
		return "off"
	}
	u := url.URL{Scheme: "smtp", Host: c.Addr()}
	if c.Security == ImplicitTLS {
		u.Scheme = "smtps"
	}
	if c.Username != "" {
		u.User = url.User(c.Username)
		if c.password != "" {
			u.User = url.UserPassword(c.Username, "xxxxx")
		}
	}
	q := url.Values{"from": {c.From.String()}}
	if c.Security == Plain {
		q.Set("starttls", "off")
	}
	if c.Helo != "" {
		q.Set("helo", c.Helo)
	}
	u.RawQuery = q.Encode()
	return u.String()
}

// GoString hides the password from %#v too.
func (c Config) GoString() string { return "mail.Config(" + c.String() + ")" }

// LogValue hides the password from slog.
func (c Config) LogValue() slog.Value { return slog.StringValue(c.String()) }

// ParseURL reads a DOSSIER_SMTP_URL:
//
//	smtp://user:password@mail.hospital.org:587?from=Dossier%20%3Cdossier@hospital.org%3E
//	smtps://user:password@mail.hospital.org:465?from=dossier@hospital.org
//	smtp://127.0.0.1:25?starttls=off&from=dossier@hospital.org
//
// "" is mail off. Errors never repeat the URL: it may hold a password.
func ParseURL(s string) (Config, error) {
	if s == "" {
		return Config{}, nil
	}
	u, err := url.Parse(s)
	if err != nil {
		// url's own message quotes the URL, password and all.
		return Config{}, errors.New("not a valid URL: want smtp://user:password@host:587?from=address or smtps://…:465; percent-encode special characters in the user name and password (/ as %2F, @ as %40, : as %3A)")
	}
	var c Config
	switch u.Scheme {
	case "smtp":
		c.Security, c.Port = StartTLS, "587"
	case "smtps":
		c.Security, c.Port = ImplicitTLS, "465"
	default:
		return Config{}, errors.New("want an smtp:// or smtps:// URL")
	}
	if u.Opaque != "" || u.Hostname() == "" {
		return Config{}, errors.New("the URL names no mail server: want smtp://host:587?from=address")
	}
	if u.Path != "" && u.Path != "/" {
		return Config{}, errors.New("the URL must not have a path after the server")
	}
	c.Host = u.Hostname()
	if p := u.Port(); p != "" {
		if n, err := strconv.Atoi(p); err != nil || n < 1 || n > 65535 {
			return Config{}, errors.New("the port must be a number from 1 to 65535")
		}
		c.Port = p
	}
	if u.User != nil {
		c.Username = u.User.Username()
		c.password, _ = u.User.Password()
		if c.Username == "" {
			return Config{}, errors.New("the URL has a password but no user name")
		}
		if strings.ContainsAny(c.Username+c.password, "\r\n\x00") {
			return Config{}, errors.New("the user name or password holds a line break")
		}
	}
	q, err := url.ParseQuery(u.RawQuery)
	if err != nil {
		return Config{}, errors.New("the URL's query (after ?) is malformed")
	}
	for k, vs := range q {
		if len(vs) != 1 {
			return Config{}, fmt.Errorf("give %q once", k)
		}
		switch v := vs[0]; k {
		case "from":
			if strings.ContainsAny(v, "\r\n") {
				return Config{}, errors.New("from holds a line break")
			}
			a, err := netmail.ParseAddress(v)
			if err != nil {
				return Config{}, fmt.Errorf("from %q is not an email address such as Dossier <dossier@hospital.org>", v)
			}
			c.From = *a
		case "starttls":
			if v != "off" {
				return Config{}, errors.New(`starttls may only be "off"`)
			}
			if c.Security == ImplicitTLS {
				return Config{}, errors.New("starttls=off does not apply to smtps://")
			}
			c.Security = Plain
		case "helo":
			if !validHelo(v) {
				return Config{}, fmt.Errorf("helo %q is not a host name", v)
			}
			c.Helo = v
		default:
			return Config{}, fmt.Errorf("unknown setting %q in the URL (known: from, starttls, helo)", k)
		}
	}
	if c.From.Address == "" {
		// A login that is an address is the usual sender.
		if a, err := netmail.ParseAddress(c.Username); err == nil && c.Username != "" {
			c.From = netmail.Address{Name: "Dossier", Address: a.Address}
		} else {
			return Config{}, errors.New("add the sender: ?from=Dossier%20%3Cdossier%40hospital.org%3E")
		}
	}
	if c.Security == Plain && !isLoopback(c.Host) {
		return Config{}, fmt.Errorf("starttls=off is only allowed for a relay on this machine (127.0.0.1, ::1 or localhost), not %s: mail would cross the network unencrypted", c.Host)
	}
	return c, nil
}

func isLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

func validHelo(s string) bool {
	if s == "" || len(s) > 253 {
		return false
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '.') {
			return false
		}
	}
	return true
}
