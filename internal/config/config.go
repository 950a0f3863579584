// Package config reads Dossier's settings: each from an environment variable
// DOSSIER_*, overridden by a command-line flag, with a documented default.
package config

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"dossier/internal/mail"
	"dossier/internal/risk"
)

// Config is everything `dossier serve` needs to start.
type Config struct {
	Addr            string
	DataDir         string // always absolute
	MongoURI        string // empty: start the embedded engine
	MongoDatabase   string
	S3              S3
	LogLevel        slog.Level
	LogFormat       string // "text" or "json"
	BodyLimit       int64
	ReadTimeout     time.Duration
	WriteTimeout    time.Duration
	ShutdownTimeout time.Duration
	HospitalName    string
	Domain          string   // the hospital's id in roles and grants
	PublicURL       string   // base of links Dossier prints and mails; empty: http://ADDR
	TrustedProxies  []string // proxies whose X-Real-IP names the client
	SessionIdle     time.Duration
	SessionMax      time.Duration
	Demo            bool // seed one demo user per role on an empty database
	Risk            risk.Rubric
	SMTPURL         string // empty: mail is off; checked with mail.ParseURL
	UploadLimit     int64  // largest file in one upload
	// QuestionnaireDir holds the hospital's own questionnaire templates
	// (YAML), added to the built-in ones; empty: only the built-in ones.
	// Always absolute when set.
	QuestionnaireDir string
	LinkDays         int // days a vendor's questionnaire link stays valid
}

// SecureCookies reports whether cookies must carry the Secure flag: when
// people reach Dossier over https (usually through a TLS proxy).
func (c Config) SecureCookies() bool { return strings.HasPrefix(c.PublicURL, "https://") }

// S3 says where files live. An empty Endpoint starts the embedded server.
type S3 struct {
	Endpoint  string
	AccessKey string
	SecretKey string
	TLS       bool
	Region    string
	Bucket    string
	// ComplianceRetention locks contract files in compliance mode, which
	// nobody can shorten or lift; the default is governance mode.
	ComplianceRetention bool
}

// Embedded reports whether Dossier starts its own MongoDB-compatible engine.
func (c Config) EmbeddedMongo() bool { return c.MongoURI == "" }

// EmbeddedS3 reports whether Dossier starts its own S3 server.
func (c Config) EmbeddedS3() bool { return c.S3.Endpoint == "" }

// ErrHelp is returned by Parse when --help was asked for; the usage has
// already been written.
var ErrHelp = flag.ErrHelp

type setting struct {
	env, flag, def, help string
	// secret settings may also come from the file named by <env>_FILE and
	// never show their value.
	secret bool
	// boolean settings may be given as a bare flag (--demo).
	boolean bool
	set     func(c *Config, v string) error
}

var settings = []setting{
	{env: "DOSSIER_ADDR", flag: "addr", def: "127.0.0.1:8080", help: "address to listen on (host:port)",
		set: func(c *Config, v string) error {
			if _, _, err := net.SplitHostPort(v); err != nil {
				return errors.New("want host:port, such as 127.0.0.1:8080")
			}
			c.Addr = v
			return nil
		}},
	{env: "DOSSIER_DATA_DIR", flag: "data-dir", def: "./storage", help: "folder for the embedded engines' data and generated credentials",
		set: func(c *Config, v string) error {
			if v == "" {
				return errors.New("must not be empty")
			}
			abs, err := filepath.Abs(v)
			if err != nil {
				return err
			}
			c.DataDir = abs
			return nil
		}},
	{env: "DOSSIER_MONGO_URI", flag: "mongo-uri", help: "MongoDB connection string; empty starts the embedded engine under the data folder", secret: true,
		set: func(c *Config, v string) error {
			if v != "" && !strings.HasPrefix(v, "mongodb://") && !strings.HasPrefix(v, "mongodb+srv://") {
				return errors.New("want a mongodb:// or mongodb+srv:// URI")
			}
			c.MongoURI = v
			return nil
		}},
	{env: "DOSSIER_MONGO_DATABASE", flag: "mongo-database", def: "dossier", help: "MongoDB database name",
		set: func(c *Config, v string) error {
			if v == "" || strings.ContainsAny(v, "/\\. \"$") {
				return errors.New("want a plain database name")
			}
			c.MongoDatabase = v
			return nil
		}},
	{env: "DOSSIER_S3_ENDPOINT", flag: "s3-endpoint", help: "S3/MinIO endpoint host:port; empty starts the embedded S3 server under the data folder",
		set: func(c *Config, v string) error {
			if v != "" {
				if strings.Contains(v, "://") {
					return errors.New("want host:port without a scheme (use --s3-tls for https)")
				}
				if _, _, err := net.SplitHostPort(v); err != nil {
					return errors.New("want host:port, such as minio.internal:9000")
				}
			}
			c.S3.Endpoint = v
			return nil
		}},
	{env: "DOSSIER_S3_ACCESS_KEY", flag: "s3-access-key", help: "S3 access key (with DOSSIER_S3_ENDPOINT)", secret: true,
		set: func(c *Config, v string) error { c.S3.AccessKey = v; return nil }},
	{env: "DOSSIER_S3_SECRET_KEY", flag: "s3-secret-key", help: "S3 secret key (with DOSSIER_S3_ENDPOINT)", secret: true,
		set: func(c *Config, v string) error { c.S3.SecretKey = v; return nil }},
	{env: "DOSSIER_S3_TLS", flag: "s3-tls", def: "false", help: "use https to reach the S3 endpoint",
		set: func(c *Config, v string) (err error) { c.S3.TLS, err = parseBool(v); return err }},
	{env: "DOSSIER_S3_REGION", flag: "s3-region", def: "us-east-1", help: "S3 region",
		set: func(c *Config, v string) error { c.S3.Region = v; return nil }},
	{env: "DOSSIER_S3_BUCKET", flag: "s3-bucket", def: "dossier", help: "bucket for every stored file; created with versioning and object lock",
		set: func(c *Config, v string) error {
			if len(v) < 3 || len(v) > 63 || strings.ToLower(v) != v || strings.ContainsAny(v, "_ /") {
				return errors.New("want a bucket name of 3-63 lower-case letters, digits, dots or hyphens")
			}
			c.S3.Bucket = v
			return nil
		}},
	{env: "DOSSIER_S3_COMPLIANCE_RETENTION", flag: "s3-compliance-retention", def: "false",
		help: "keep contract files under compliance-mode retention (nobody, not even a storage admin, can shorten it) instead of governance mode",
		set:  func(c *Config, v string) (err error) { c.S3.ComplianceRetention, err = parseBool(v); return err }},
	{env: "DOSSIER_LOG_LEVEL", flag: "log-level", def: "info", help: "debug, info, warn or error",
		set: func(c *Config, v string) error { return c.LogLevel.UnmarshalText([]byte(v)) }},
	{env: "DOSSIER_LOG_FORMAT", flag: "log-format", def: "text", help: "text or json",
		set: func(c *Config, v string) error {
			if v != "text" && v != "json" {
				return errors.New("want text or json")
			}
			c.LogFormat = v
			return nil
		}},
	{env: "DOSSIER_BODY_LIMIT", flag: "body-limit", def: "64MiB", help: "largest request body accepted (e.g. 64MiB)",
		set: func(c *Config, v string) (err error) { c.BodyLimit, err = parseSize(v); return err }},
	{env: "DOSSIER_READ_TIMEOUT", flag: "read-timeout", def: "60s", help: "time allowed to read a whole request",
		set: func(c *Config, v string) (err error) { c.ReadTimeout, err = parseDuration(v); return err }},
	{env: "DOSSIER_WRITE_TIMEOUT", flag: "write-timeout", def: "120s", help: "time allowed to write a whole response",
		set: func(c *Config, v string) (err error) { c.WriteTimeout, err = parseDuration(v); return err }},
	{env: "DOSSIER_SHUTDOWN_TIMEOUT", flag: "shutdown-timeout", def: "20s", help: "time to drain requests on SIGINT/SIGTERM",
		set: func(c *Config, v string) (err error) { c.ShutdownTimeout, err = parseDuration(v); return err }},
	{env: "DOSSIER_HOSPITAL_NAME", flag: "hospital-name", def: "General Hospital", help: "the hospital's name, shown on every page",
		set: func(c *Config, v string) error {
			if strings.TrimSpace(v) == "" {
				return errors.New("must not be empty")
			}
			c.HospitalName = strings.TrimSpace(v)
			return nil
		}},
	{env: "DOSSIER_DOMAIN", flag: "domain", def: "hospital", help: "id of the hospital that roles and grants belong to (one deployment may serve several)",
		set: func(c *Config, v string) error {
			if !validID(v) {
				return errors.New("want 1-40 lower-case letters, digits or hyphens")
			}
			c.Domain = v
			return nil
		}},
	{env: "DOSSIER_PUBLIC_URL", flag: "public-url", help: "address people use to reach Dossier, e.g. https://dossier.hospital.org; https makes cookies Secure; empty: http://ADDR",
		set: func(c *Config, v string) error {
			v = strings.TrimRight(v, "/")
			if v != "" {
				u, err := url.Parse(v)
				if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" {
					return errors.New("want an http:// or https:// address without a query")
				}
			}
			c.PublicURL = v
			return nil
		}},
	{env: "DOSSIER_TRUSTED_PROXIES", flag: "trusted-proxies", help: "comma-separated addresses or CIDRs of reverse proxies whose X-Real-IP header gives the client address (for sign-in limits and the audit trail)",
		set: func(c *Config, v string) error {
			c.TrustedProxies = nil
			for _, p := range strings.Split(v, ",") {
				if p = strings.TrimSpace(p); p == "" {
					continue
				}
				if _, _, err := net.ParseCIDR(p); err != nil && net.ParseIP(p) == nil {
					return fmt.Errorf("%q is neither an IP address nor a CIDR range", p)
				}
				c.TrustedProxies = append(c.TrustedProxies, p)
			}
			return nil
		}},
	{env: "DOSSIER_SESSION_IDLE", flag: "session-idle", def: "30m", help: "a session ends after this long without a request",
		set: func(c *Config, v string) (err error) { c.SessionIdle, err = parseDuration(v); return err }},
	{env: "DOSSIER_SESSION_MAX", flag: "session-max", def: "12h", help: "a session ends this long after sign-in, however active",
		set: func(c *Config, v string) (err error) { c.SessionMax, err = parseDuration(v); return err }},
	{env: "DOSSIER_RISK_WEIGHTS", flag: "risk-weights", def: "data=35,access=25,clinical=20,downtime=10,volume=10", help: "points each inherent-risk factor can add, summing to 100",
		set: func(c *Config, v string) (err error) { c.Risk.Weights, err = risk.ParseWeights(v); return err }},
	{env: "DOSSIER_RISK_TIERS", flag: "risk-tiers", def: "65,35", help: "lowest scores of tier 1 (critical) and tier 2 (high); below is tier 3",
		set: func(c *Config, v string) (err error) {
			c.Risk.Tier1, c.Risk.Tier2, err = risk.ParseTiers(v)
			return err
		}},
	{env: "DOSSIER_REASSESS_MONTHS", flag: "reassess-months", def: "12,24,36", help: "months between security assessments for tiers 1, 2 and 3",
		set: func(c *Config, v string) (err error) { c.Risk.Reassess, err = risk.ParseIntervals(v); return err }},
	{env: "DOSSIER_SMTP_URL", flag: "smtp-url", help: "mail server for questionnaire links and reminders: smtp://user:password@host:587?from=Dossier%20%3Cdossier@hospital.org%3E (STARTTLS), smtps://…:465, or smtp://127.0.0.1:25?starttls=off&from=… (a relay on this machine); empty: mail is off", secret: true,
		set: func(c *Config, v string) error {
			if _, err := mail.ParseURL(v); err != nil {
				return err
			}
			c.SMTPURL = v
			return nil
		}},
	{env: "DOSSIER_UPLOAD_LIMIT", flag: "upload-limit", def: "25MiB", help: "largest file accepted in one upload (evidence, contracts, policies); keep it below DOSSIER_BODY_LIMIT",
		set: func(c *Config, v string) (err error) { c.UploadLimit, err = parseSize(v); return err }},
	{env: "DOSSIER_QUESTIONNAIRES", flag: "questionnaires", help: "folder of the hospital's own questionnaire templates (YAML), added to the built-in ones; empty: only the built-in ones",
		set: func(c *Config, v string) error {
			if v == "" {
				c.QuestionnaireDir = ""
				return nil
			}
			abs, err := filepath.Abs(v)
			if err != nil {
				return err
			}
			if st, err := os.Stat(abs); err != nil || !st.IsDir() {
				return errors.New("no such folder")
			}
			c.QuestionnaireDir = abs
			return nil
		}},
	{env: "DOSSIER_LINK_DAYS", flag: "link-days", def: "30", help: "days a vendor's questionnaire link stays valid (1-365)",
		set: func(c *Config, v string) error {
			n, err := strconv.Atoi(v)
			if err != nil || n < 1 || n > 365 {
				return errors.New("want a number of days from 1 to 365")
			}
			c.LinkDays = n
			return nil
		}},
	{env: "DOSSIER_DEMO", flag: "demo", def: "false", boolean: true, help: "on an empty database, create one demo user per role and print their sign-in details once",
		set: func(c *Config, v string) (err error) { c.Demo, err = parseBool(v); return err }},
}

func validID(v string) bool {
	if v == "" || len(v) > 40 {
		return false
	}
	for _, r := range v {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-') {
			return false
		}
	}
	return true
}

// Parse reads the settings for a command from getenv and args. --help writes
// the usage to out and returns ErrHelp. Errors are one line naming the
// setting.
func Parse(command string, args []string, getenv func(string) string, out io.Writer) (Config, []string, error) {
	return ParseCommand(command, args, getenv, out, nil)
}

// ParseCommand is Parse for a command with flags of its own, which extra
// registers. Flags and positional arguments may be mixed
// ("user add EMAIL --role admin"); the positional ones are returned.
func ParseCommand(command string, args []string, getenv func(string) string, out io.Writer, extra func(*flag.FlagSet)) (Config, []string, error) {
	var c Config
	fs := flag.NewFlagSet(command, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	for _, s := range settings {
		set := func(v string) error { return s.set(&c, v) }
		if s.boolean {
			fs.BoolFunc(s.flag, s.help, set)
		} else {
			fs.Func(s.flag, s.help, set)
		}
	}
	if extra != nil {
		extra(fs)
	}
	// Apply defaults and environment first, so flags win.
	for _, s := range settings {
		v, source, err := lookup(s, getenv)
		if err != nil {
			return c, nil, err
		}
		if err := s.set(&c, v); err != nil {
			return c, nil, fmt.Errorf("invalid %s %q: %v", source, shown(s, v), err)
		}
	}
	var positional []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				Usage(out, command, extra)
				return c, nil, ErrHelp
			}
			return c, nil, errors.New(oneLine(err.Error()))
		}
		if fs.NArg() == 0 {
			break
		}
		positional = append(positional, fs.Arg(0))
		args = fs.Args()[1:]
	}
	if err := c.Risk.Validate(); err != nil {
		return c, nil, fmt.Errorf("risk rubric (DOSSIER_RISK_*): %v", err)
	}
	if c.S3.Endpoint != "" && (c.S3.AccessKey == "" || c.S3.SecretKey == "") {
		return c, nil, errors.New("DOSSIER_S3_ENDPOINT needs DOSSIER_S3_ACCESS_KEY and DOSSIER_S3_SECRET_KEY")
	}
	return c, positional, nil
}

// lookup returns a setting's value and where it came from.
func lookup(s setting, getenv func(string) string) (value, source string, err error) {
	if v := getenv(s.env); v != "" {
		return v, s.env, nil
	}
	if s.secret {
		if path := getenv(s.env + "_FILE"); path != "" {
			b, err := os.ReadFile(path)
			if err != nil {
				return "", "", fmt.Errorf("%s_FILE: %v", s.env, err)
			}
			return strings.TrimRight(string(b), "\r\n"), s.env + "_FILE", nil
		}
	}
	return s.def, "default for " + s.env, nil
}

func shown(s setting, v string) string {
	if s.secret {
		return "(hidden)"
	}
	return v
}

// Usage writes the command's own flags, if any, then every setting with its
// flag, variable and default.
func Usage(w io.Writer, command string, extra func(*flag.FlagSet)) {
	fmt.Fprintf(w, "Usage: dossier %s [flags]\n\n", command)
	if extra != nil {
		own := flag.NewFlagSet(command, flag.ContinueOnError)
		extra(own)
		tw := tabwriter.NewWriter(w, 2, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "  COMMAND FLAG\tMEANING")
		own.VisitAll(func(f *flag.Flag) { fmt.Fprintf(tw, "  --%s\t%s\n", f.Name, f.Usage) })
		tw.Flush()
		fmt.Fprintln(w)
	}
	fmt.Fprintf(w, "Every setting below can also be given by its environment variable; a flag wins.\nSecret settings may be read from a file named by VARIABLE_FILE.\n\n")
	tw := tabwriter.NewWriter(w, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "  FLAG\tVARIABLE\tDEFAULT\tMEANING")
	for _, s := range settings {
		def := s.def
		if def == "" {
			def = "(none)"
		}
		fmt.Fprintf(tw, "  --%s\t%s\t%s\t%s\n", s.flag, s.env, def, s.help)
	}
	tw.Flush()
}

func oneLine(s string) string {
	s, _, _ = strings.Cut(s, "\n")
	return strings.Replace(s, "flag provided but not defined: -", "unknown flag: --", 1)
}

func parseBool(v string) (bool, error) {
	b, err := strconv.ParseBool(v)
	if err != nil {
		return false, errors.New("want true or false")
	}
	return b, nil
}

func parseDuration(v string) (time.Duration, error) {
	d, err := time.ParseDuration(v)
	if err != nil || d <= 0 {
		return 0, errors.New("want a positive duration such as 30s or 2m")
	}
	return d, nil
}

// parseSize reads sizes such as 512KiB, 64MiB, 1GiB or a plain byte count.
func parseSize(v string) (int64, error) {
	units := []struct {
		suffix string
		mult   int64
	}{{"GiB", 1 << 30}, {"MiB", 1 << 20}, {"KiB", 1 << 10}, {"B", 1}, {"", 1}}
	for _, u := range units {
		num, ok := strings.CutSuffix(v, u.suffix)
		if !ok {
			continue
		}
		n, err := strconv.ParseInt(strings.TrimSpace(num), 10, 64)
		if err != nil || n <= 0 {
			break
		}
		return n * u.mult, nil
	}
	return 0, errors.New("want a size such as 64MiB, 512KiB or a byte count")
}
