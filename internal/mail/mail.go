package mail

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/tls"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net"
	netmail "net/mail"
	"net/smtp"
	"net/textproto"
	"os"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"dossier/internal/errs"
)

// ErrOff is returned by Send when no mail server is configured.
var ErrOff error = &errs.Error{Code: errs.Unavailable, Message: "Email is not set up on this server."}

// Message is one email. HTML, when given, is sent as an alternative to
// Text, which is always sent.
type Message struct {
	To      []string
	Subject string
	Text    string
	HTML    string
}

// Bounds that keep a message well-formed and a mistake from mailing the
// whole register.
const (
	maxRecipients = 50
	maxSubject    = 250 // characters
)

// Mailer sends messages through one SMTP server. A nil *Mailer, or one
// made from the zero Config, is off.
type Mailer struct {
	cfg         Config
	log         *slog.Logger
	now         func() time.Time
	dialTimeout time.Duration
	sendTimeout time.Duration // when ctx has no deadline
}

// New makes a Mailer for cfg.
func New(cfg Config, log *slog.Logger) *Mailer {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Mailer{cfg: cfg, log: log, now: time.Now, dialTimeout: 10 * time.Second, sendTimeout: time.Minute}
}

// Enabled reports whether mail is on.
func (m *Mailer) Enabled() bool { return m != nil && m.cfg.Enabled() }

// Send delivers msg to the server, which takes it from there. It returns
// when the server has accepted the message, or with an error: Invalid for
// a malformed message or an address the server refuses, Unavailable when
// the server cannot be reached or fails (the cause names the server, never
// the password). ctx bounds the whole exchange.
func (m *Mailer) Send(ctx context.Context, msg Message) error {
	if !m.Enabled() {
		return ErrOff
	}
	to, err := checkMessage(msg)
	if err != nil {
		return err
	}
	id := m.messageID()
	data, err := m.compose(msg, to, id)
	if err != nil {
		return err
	}
	if err := m.deliver(ctx, to, data); err != nil {
		var refused *refusedAddress
		if errors.As(err, &refused) {
			return &errs.Error{Code: errs.Invalid, Message: fmt.Sprintf("The mail server refused the address %s.", refused.addr), Err: err}
		}
		return errs.Wrap(errs.Unavailable, fmt.Errorf("mail server %s: %w", m.cfg.Addr(), err), "The email could not be sent; try again later.")
	}
	m.log.Info("mail sent", "message_id", id, "recipients", len(to), "server", m.cfg.Addr())
	return nil
}

// checkMessage refuses header injection and malformed addresses, and
// returns the recipients.
func checkMessage(msg Message) ([]*netmail.Address, error) {
	if len(msg.To) == 0 {
		return nil, errs.E(errs.Invalid, "The email has no recipient.")
	}
	if len(msg.To) > maxRecipients {
		return nil, errs.E(errs.Invalid, "The email has more than %d recipients.", maxRecipients)
	}
	if strings.ContainsAny(msg.Subject, "\r\n") {
		return nil, errs.E(errs.Invalid, "The subject must be one line.")
	}
	if !utf8.ValidString(msg.Subject) || !utf8.ValidString(msg.Text) || !utf8.ValidString(msg.HTML) {
		return nil, errs.E(errs.Invalid, "The email is not valid UTF-8 text.")
	}
	if utf8.RuneCountInString(msg.Subject) > maxSubject {
		return nil, errs.E(errs.Invalid, "The subject is longer than %d characters.", maxSubject)
	}
	to := make([]*netmail.Address, 0, len(msg.To))
	for _, s := range msg.To {
		if strings.ContainsAny(s, "\r\n") {
			return nil, errs.E(errs.Invalid, "An email address must be one line.")
		}
		a, err := netmail.ParseAddress(s)
		if err != nil || strings.ContainsAny(a.Address, " <>,;\"") {
			return nil, errs.E(errs.Invalid, "%q is not an email address.", s)
		}
		to = append(to, a)
	}
	return to, nil
}

func (m *Mailer) messageID() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	domain := "dossier.invalid"
	if _, d, ok := strings.Cut(m.cfg.From.Address, "@"); ok && d != "" {
		domain = d
	}
	return "<" + hex.EncodeToString(b) + "@" + domain + ">"
}

// compose writes the message: headers, and a quoted-printable UTF-8 text
// body, or text and HTML as multipart/alternative.
func (m *Mailer) compose(msg Message, to []*netmail.Address, id string) ([]byte, error) {
	var b bytes.Buffer
	header := func(k, v string) { b.WriteString(k + ": " + v + "\r\n") }
	addrs := make([]string, len(to))
	for i, a := range to {
		addrs[i] = a.String() // RFC 2047-encodes a non-ASCII name
	}
	header("From", m.cfg.From.String())
	header("To", strings.Join(addrs, ",\r\n "))
	header("Subject", encodeSubject(msg.Subject))
	header("Date", m.now().Format(time.RFC1123Z))
	header("Message-ID", id)
	header("MIME-Version", "1.0")
	// Automatic mail: no out-of-office replies to it (RFC 3834).
	header("Auto-Submitted", "auto-generated")
	if msg.HTML == "" {
		header("Content-Type", "text/plain; charset=utf-8")
		header("Content-Transfer-Encoding", "quoted-printable")
		b.WriteString("\r\n")
		if err := writeQP(&b, msg.Text); err != nil {
			return nil, err
		}
		return b.Bytes(), nil
	}
	mw := multipart.NewWriter(&b)
	header("Content-Type", mime.FormatMediaType("multipart/alternative", map[string]string{"boundary": mw.Boundary()}))
	b.WriteString("\r\n")
	for _, part := range []struct{ ct, body string }{{"text/plain; charset=utf-8", msg.Text}, {"text/html; charset=utf-8", msg.HTML}} {
		w, err := mw.CreatePart(textproto.MIMEHeader{"Content-Type": {part.ct}, "Content-Transfer-Encoding": {"quoted-printable"}})
		if err != nil {
			return nil, err
		}
		if err := writeQP(w, part.body); err != nil {
			return nil, err
		}
	}
	if err := mw.Close(); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

func writeQP(w interface{ Write([]byte) (int, error) }, s string) error {
	qp := quotedprintable.NewWriter(w)
	if _, err := qp.Write([]byte(s)); err != nil {
		return err
	}
	return qp.Close()
}

// encodeSubject RFC 2047-encodes a non-ASCII subject, folding between
// encoded words so no header line grows past the limit.
func encodeSubject(s string) string {
	enc := mime.QEncoding.Encode("utf-8", s)
	return strings.ReplaceAll(enc, "?= =?", "?=\r\n =?")
}

// refusedAddress is a recipient the server refused for good (5xx).
type refusedAddress struct {
	addr string
	err  error
}

func (r *refusedAddress) Error() string { return "recipient " + r.addr + " refused: " + r.err.Error() }
func (r *refusedAddress) Unwrap() error { return r.err }

// deliver runs one SMTP exchange.
func (m *Mailer) deliver(ctx context.Context, to []*netmail.Address, data []byte) error {
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, m.sendTimeout)
		defer cancel()
	}
	deadline, _ := ctx.Deadline()
	d := net.Dialer{Timeout: m.dialTimeout, Deadline: deadline}
	conn, err := d.DialContext(ctx, "tcp", m.cfg.Addr())
	if err != nil {
		return err
	}
	defer conn.Close()
	// The deadline bounds every read and write; cancelling ctx closes the
	// connection, which ends whatever step is waiting.
	if err := conn.SetDeadline(deadline); err != nil {
		return err
	}
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	defer stop()
	tlsConfig := &tls.Config{ServerName: m.cfg.Host, RootCAs: m.cfg.RootCAs, MinVersion: tls.VersionTLS12}
	if m.cfg.Security == ImplicitTLS {
		tc := tls.Client(conn, tlsConfig)
		if err := tc.HandshakeContext(ctx); err != nil {
			return ctxErr(ctx, err)
		}
		conn = tc
	}
	c, err := smtp.NewClient(conn, m.cfg.Host)
	if err != nil {
		return ctxErr(ctx, err)
	}
	defer c.Close()
	err = m.exchange(c, tlsConfig, to, data)
	return ctxErr(ctx, err)
}

func (m *Mailer) exchange(c *smtp.Client, tlsConfig *tls.Config, to []*netmail.Address, data []byte) error {
	helo := m.cfg.Helo
	if helo == "" {
		helo = "localhost"
	}
	if err := c.Hello(helo); err != nil {
		return err
	}
	_, isTLS := c.TLSConnectionState()
	if m.cfg.Security == StartTLS {
		if ok, _ := c.Extension("STARTTLS"); ok {
			if err := c.StartTLS(tlsConfig); err != nil {
				return fmt.Errorf("STARTTLS: %w", err)
			}
			isTLS = true
		} else if !isLoopback(m.cfg.Host) {
			return errors.New("the server does not offer STARTTLS; Dossier does not send mail unencrypted across the network (use smtps://, or a relay on this machine)")
		}
	}
	if m.cfg.Username != "" {
		if !isTLS && !isLoopback(m.cfg.Host) {
			return errors.New("refusing to send the password over an unencrypted connection")
		}
		auth, err := m.auth(c, isTLS)
		if err != nil {
			return err
		}
		if err := c.Auth(auth); err != nil {
			return fmt.Errorf("authentication as %s: %w", m.cfg.Username, err)
		}
	}
	if err := c.Mail(m.cfg.From.Address); err != nil {
		return err
	}
	for _, a := range to {
		if err := c.Rcpt(a.Address); err != nil {
			var te *textproto.Error
			if errors.As(err, &te) && te.Code >= 500 {
				return &refusedAddress{addr: a.Address, err: err}
			}
			return err
		}
	}
	w, err := c.Data()
	if err != nil {
		return err
	}
	if _, err := w.Write(data); err != nil {
		return err
	}
	if err := w.Close(); err != nil {
		return err
	}
	return c.Quit()
}

// auth picks PLAIN, or LOGIN where PLAIN is not offered (Microsoft 365
// offers only LOGIN), sending the password only over TLS or to this
// machine.
func (m *Mailer) auth(c *smtp.Client, isTLS bool) (smtp.Auth, error) {
	ok, mechs := c.Extension("AUTH")
	if !ok {
		return nil, errors.New("the server offers no authentication; remove the user name from DOSSIER_SMTP_URL or fix the server")
	}
	offered := strings.Fields(strings.ToUpper(mechs))
	switch {
	case slices.Contains(offered, "PLAIN"):
		return smtp.PlainAuth("", m.cfg.Username, m.cfg.password, m.cfg.Host), nil
	case slices.Contains(offered, "LOGIN"):
		return &loginAuth{user: m.cfg.Username, password: m.cfg.password, host: m.cfg.Host}, nil
	}
	return nil, fmt.Errorf("the server offers authentication by %s; Dossier speaks PLAIN and LOGIN", mechs)
}

// loginAuth is the LOGIN mechanism, with PlainAuth's rule: the password
// goes only over TLS or to this machine.
type loginAuth struct{ user, password, host string }

func (a *loginAuth) Start(server *smtp.ServerInfo) (string, []byte, error) {
	if !server.TLS && !isLoopback(server.Name) {
		return "", nil, errors.New("unencrypted connection")
	}
	if server.Name != a.host {
		return "", nil, errors.New("wrong host name")
	}
	return "LOGIN", nil, nil
}

func (a *loginAuth) Next(fromServer []byte, more bool) ([]byte, error) {
	if !more {
		return nil, nil
	}
	switch strings.ToLower(strings.TrimSpace(string(fromServer))) {
	case "username:", "user name", "username":
		return []byte(a.user), nil
	case "password:", "password":
		return []byte(a.password), nil
	}
	return nil, fmt.Errorf("unexpected LOGIN challenge %q", fromServer)
}

// ctxErr explains an error caused by the deadline or a cancellation. The
// connection's deadline is the context's, and may fire a moment first.
func ctxErr(ctx context.Context, err error) error {
	switch {
	case err == nil:
		return nil
	case ctx.Err() != nil:
		return fmt.Errorf("%w (%v)", ctx.Err(), err)
	case errors.Is(err, os.ErrDeadlineExceeded):
		return fmt.Errorf("%w (%v)", context.DeadlineExceeded, err)
	}
	return err
}
