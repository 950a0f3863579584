package testkit

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"io"
	"log"
	"math/big"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net"
	netmail "net/mail"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

// SMTPServer is a real SMTP server on 127.0.0.1 for one test, keeping what
// it is sent.
type SMTPServer struct {
	Addr string
	srv  *smtp.Server
	ln   net.Listener
	opts smtpOptions
	pool *x509.CertPool

	mu   sync.Mutex
	mail []ReceivedMail
}

// ReceivedMail is one message the server accepted.
type ReceivedMail struct {
	From string
	To   []string
	Data []byte
	TLS  bool   // it came over STARTTLS
	User string // the user it authenticated as, or ""
}

// SMTPOption changes the test server.
type SMTPOption func(*smtpOptions)

type smtpOptions struct {
	startTLS       bool
	user, password string
	loginOnly      bool
	refuse         string // a recipient refused with 550
}

// WithSTARTTLS offers STARTTLS with a self-signed certificate for
// 127.0.0.1; trust it with CertPool.
func WithSTARTTLS() SMTPOption { return func(o *smtpOptions) { o.startTLS = true } }

// WithAuth requires authentication as user with password. Authentication
// is offered only after STARTTLS when that is on too.
func WithAuth(user, password string) SMTPOption {
	return func(o *smtpOptions) { o.user, o.password = user, password }
}

// WithLoginAuthOnly offers the LOGIN mechanism instead of PLAIN, as
// Microsoft 365 does.
func WithLoginAuthOnly() SMTPOption { return func(o *smtpOptions) { o.loginOnly = true } }

// WithRefusedRecipient refuses mail to addr for good (550).
func WithRefusedRecipient(addr string) SMTPOption { return func(o *smtpOptions) { o.refuse = addr } }

// StartSMTP starts an SMTP server on 127.0.0.1:0, stopped when the test
// ends.
func StartSMTP(tb testing.TB, opts ...SMTPOption) *SMTPServer {
	tb.Helper()
	s := &SMTPServer{}
	for _, o := range opts {
		o(&s.opts)
	}
	srv := smtp.NewServer(smtp.BackendFunc(func(c *smtp.Conn) (smtp.Session, error) { return &smtpSession{s: s, conn: c}, nil }))
	srv.Domain = "mail.test"
	srv.ReadTimeout, srv.WriteTimeout = 30*time.Second, 30*time.Second
	srv.MaxMessageBytes, srv.MaxRecipients = 10<<20, 100
	// Quiet: it may log after the test has ended, which testing forbids.
	srv.ErrorLog = log.New(io.Discard, "", 0)
	// Without STARTTLS there is nothing to wait for: the client's
	// loopback rule decides whether it sends a password in clear.
	srv.AllowInsecureAuth = !s.opts.startTLS
	if s.opts.startTLS {
		cert, pool, err := selfSigned()
		if err != nil {
			tb.Fatalf("test SMTP certificate: %v", err)
		}
		srv.TLSConfig = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
		s.pool = pool
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatalf("test SMTP server: %v", err)
	}
	s.srv, s.ln, s.Addr = srv, ln, ln.Addr().String()
	go srv.Serve(ln)
	tb.Cleanup(s.Stop)
	return s
}

// Stop stops the server; later connections are refused. Stopping twice is
// harmless.
func (s *SMTPServer) Stop() {
	_ = s.ln.Close() // Serve may not have registered it yet
	_ = s.srv.Close()
}

// URL is a DOSSIER_SMTP_URL for the server, with its user and password
// when it requires them.
func (s *SMTPServer) URL() string {
	u := url.URL{Scheme: "smtp", Host: s.Addr, RawQuery: url.Values{"from": {"Dossier <dossier@hospital.example>"}}.Encode()}
	if s.opts.user != "" {
		u.User = url.UserPassword(s.opts.user, s.opts.password)
	}
	return u.String()
}

// CertPool trusts the server's certificate (nil without STARTTLS).
func (s *SMTPServer) CertPool() *x509.CertPool { return s.pool }

// Messages returns the messages accepted so far. Send returns only after
// the server accepted, so they are there when it does.
func (s *SMTPServer) Messages() []ReceivedMail {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.mail)
}

// ParsedMail is a received message read with net/mail.
type ParsedMail struct {
	Header  netmail.Header
	Subject string // decoded
	Text    string // the text/plain body, decoded
	HTML    string // the text/html alternative, decoded, if any
}

// Parse reads the message: headers, the decoded subject, and the decoded
// text (and HTML) bodies.
func (m ReceivedMail) Parse() (*ParsedMail, error) {
	msg, err := netmail.ReadMessage(bytes.NewReader(m.Data))
	if err != nil {
		return nil, err
	}
	p := &ParsedMail{Header: msg.Header}
	if p.Subject, err = new(mime.WordDecoder).DecodeHeader(msg.Header.Get("Subject")); err != nil {
		return nil, err
	}
	err = readPart(msg.Header, msg.Body, p)
	return p, err
}

type header interface{ Get(string) string }

func readPart(h header, body io.Reader, p *ParsedMail) error {
	mt, params, err := mime.ParseMediaType(h.Get("Content-Type"))
	if err != nil {
		return err
	}
	if strings.HasPrefix(mt, "multipart/") {
		mr := multipart.NewReader(body, params["boundary"])
		for {
			part, err := mr.NextRawPart()
			if errors.Is(err, io.EOF) {
				return nil
			}
			if err != nil {
				return err
			}
			if err := readPart(part.Header, part, p); err != nil {
				return err
			}
		}
	}
	if strings.EqualFold(h.Get("Content-Transfer-Encoding"), "quoted-printable") {
		body = quotedprintable.NewReader(body)
	}
	b, err := io.ReadAll(body)
	if err != nil {
		return err
	}
	switch mt {
	case "text/plain":
		p.Text = string(b)
	case "text/html":
		p.HTML = string(b)
	}
	return nil
}

type smtpSession struct {
	s    *SMTPServer
	conn *smtp.Conn
	user string
	from string
	to   []string
}

func (ss *smtpSession) AuthMechanisms() []string {
	if ss.s.opts.user == "" {
		return nil
	}
	if ss.s.opts.loginOnly {
		return []string{sasl.Login}
	}
	return []string{sasl.Plain}
}

func (ss *smtpSession) Auth(mech string) (sasl.Server, error) {
	check := func(user, password string) error {
		if user != ss.s.opts.user || password != ss.s.opts.password {
			return errors.New("invalid user name or password")
		}
		ss.user = user
		return nil
	}
	if mech == sasl.Login {
		return &loginServer{check: check}, nil
	}
	return sasl.NewPlainServer(func(_, user, password string) error { return check(user, password) }), nil
}

func (ss *smtpSession) Mail(from string, _ *smtp.MailOptions) error {
	if ss.s.opts.user != "" && ss.user == "" {
		return smtp.ErrAuthRequired
	}
	ss.from = from
	return nil
}

func (ss *smtpSession) Rcpt(to string, _ *smtp.RcptOptions) error {
	if to == ss.s.opts.refuse {
		return &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "no such mailbox"}
	}
	ss.to = append(ss.to, to)
	return nil
}

func (ss *smtpSession) Data(r io.Reader) error {
	b, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	_, isTLS := ss.conn.TLSConnectionState()
	ss.s.mu.Lock()
	ss.s.mail = append(ss.s.mail, ReceivedMail{From: ss.from, To: ss.to, Data: b, TLS: isTLS, User: ss.user})
	ss.s.mu.Unlock()
	return nil
}

func (ss *smtpSession) Reset()        { ss.from, ss.to = "", nil }
func (ss *smtpSession) Logout() error { return nil }

// loginServer is the server side of the LOGIN mechanism, which go-sasl
// only has as a client.
type loginServer struct {
	check func(user, password string) error
	user  string
	step  int
}

func (l *loginServer) Next(response []byte) ([]byte, bool, error) {
	l.step++
	switch l.step {
	case 1:
		if len(response) > 0 { // initial response: the user name
			l.user, l.step = string(response), 2
			return []byte("Password:"), false, nil
		}
		return []byte("Username:"), false, nil
	case 2:
		l.user = string(response)
		return []byte("Password:"), false, nil
	}
	return nil, true, l.check(l.user, string(response))
}

// selfSigned makes a certificate for 127.0.0.1 and a pool that trusts it.
func selfSigned() (tls.Certificate, *x509.CertPool, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return tls.Certificate{}, nil, err
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "Dossier test SMTP"},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(24 * time.Hour),
		IPAddresses:  []net.IP{net.IPv4(127, 0, 0, 1)},
		DNSNames:     []string{"localhost"},
		KeyUsage:     x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		IsCA:         true, BasicConstraintsValid: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return tls.Certificate{}, nil, err
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		return tls.Certificate{}, nil, err
	}
	pool := x509.NewCertPool()
	pool.AddCert(leaf)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}, pool, nil
}
