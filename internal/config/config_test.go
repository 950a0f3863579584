package config

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func env(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

func TestDefaults(t *testing.T) {
	c, _, err := Parse("serve", nil, env(nil), nil)
	if err != nil {
		t.Fatal(err)
	}
	wd, _ := os.Getwd()
	if c.Addr != "127.0.0.1:8080" || c.DataDir != filepath.Join(wd, "storage") || !c.EmbeddedMongo() || !c.EmbeddedS3() ||
		c.S3.Bucket != "dossier" || c.BodyLimit != 64<<20 || c.MongoDatabase != "dossier" {
		t.Fatalf("defaults: %+v", c)
	}
	if c.SMTPURL != "" || c.UploadLimit != 25<<20 || c.QuestionnaireDir != "" || c.LinkDays != 30 {
		t.Fatalf("defaults: smtp %q upload %d questionnaires %q link days %d", c.SMTPURL, c.UploadLimit, c.QuestionnaireDir, c.LinkDays)
	}
}

func TestEnvThenFlags(t *testing.T) {
	e := env(map[string]string{"DOSSIER_ADDR": "0.0.0.0:9000", "DOSSIER_READ_TIMEOUT": "5s", "DOSSIER_BODY_LIMIT": "2MiB"})
	c, _, err := Parse("serve", []string{"--addr", "127.0.0.1:9999"}, e, nil)
	if err != nil {
		t.Fatal(err)
	}
	if c.Addr != "127.0.0.1:9999" || c.ReadTimeout != 5*time.Second || c.BodyLimit != 2<<20 {
		t.Fatalf("got %+v", c)
	}
}

func TestSecretFromFile(t *testing.T) {
	f := filepath.Join(t.TempDir(), "secret")
	if err := os.WriteFile(f, []byte("s3cr3t\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	e := env(map[string]string{"DOSSIER_S3_ENDPOINT": "minio:9000", "DOSSIER_S3_ACCESS_KEY": "ak", "DOSSIER_S3_SECRET_KEY_FILE": f})
	c, _, err := Parse("serve", nil, e, nil)
	if err != nil {
		t.Fatal(err)
	}
	if c.S3.SecretKey != "s3cr3t" {
		t.Fatalf("secret %q", c.S3.SecretKey)
	}
}

func TestErrors(t *testing.T) {
	cases := []struct {
		name string
		args []string
		env  map[string]string
		want string
	}{
		{"ErrUnknownFlag", []string{"--bogus"}, nil, "unknown flag: --bogus"},
		{"ErrBadFlagValue", []string{"--addr", "nonsense"}, nil, "want host:port"},
		{"ErrBadEnvValue", nil, map[string]string{"DOSSIER_LOG_FORMAT": "xml"}, `invalid DOSSIER_LOG_FORMAT "xml": want text or json`},
		{"ErrBadDuration", nil, map[string]string{"DOSSIER_WRITE_TIMEOUT": "soon"}, "DOSSIER_WRITE_TIMEOUT"},
		{"ErrBadSize", []string{"--body-limit", "lots"}, nil, "want a size"},
		{"ErrS3WithoutKeys", nil, map[string]string{"DOSSIER_S3_ENDPOINT": "minio:9000"}, "needs DOSSIER_S3_ACCESS_KEY"},
		{"ErrSchemeInEndpoint", nil, map[string]string{"DOSSIER_S3_ENDPOINT": "https://minio:9000"}, "without a scheme"},
		{"ErrBadMongoURI", nil, map[string]string{"DOSSIER_MONGO_URI": "postgres://x"}, "DOSSIER_MONGO_URI \"(hidden)\""},
		{"ErrBadDomain", []string{"--domain", "St Mary's"}, nil, "lower-case letters"},
		{"ErrBadPublicURL", []string{"--public-url", "dossier.example.org"}, nil, "http:// or https://"},
		{"ErrBadProxy", []string{"--trusted-proxies", "10.0.0.0/8, proxy.local"}, nil, "neither an IP address nor a CIDR"},
		{"ErrBadDemo", nil, map[string]string{"DOSSIER_DEMO": "maybe"}, "want true or false"},
		{"ErrBadSMTPURL", nil, map[string]string{"DOSSIER_SMTP_URL": "http://ann:hunter2@mail.hospital.org"}, `invalid DOSSIER_SMTP_URL "(hidden)": want an smtp:// or smtps:// URL`},
		{"ErrSMTPPlainOverNetwork", []string{"--smtp-url", "smtp://mail.hospital.org?starttls=off&from=d@hospital.org"}, nil, "only allowed for a relay on this machine"},
		{"ErrBadUploadLimit", nil, map[string]string{"DOSSIER_UPLOAD_LIMIT": "big"}, "want a size"},
		{"ErrNoQuestionnaireDir", nil, map[string]string{"DOSSIER_QUESTIONNAIRES": "/no/such/folder"}, "no such folder"},
		{"ErrLinkDaysZero", []string{"--link-days", "0"}, nil, "from 1 to 365"},
		{"ErrLinkDaysTooMany", nil, map[string]string{"DOSSIER_LINK_DAYS": "366"}, "from 1 to 365"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := Parse("serve", tc.args, env(tc.env), nil)
			if err == nil || !strings.Contains(err.Error(), tc.want) || strings.Contains(err.Error(), "\n") {
				t.Fatalf("got %v, want one line containing %q", err, tc.want)
			}
			if strings.Contains(err.Error(), "hunter2") {
				t.Fatalf("error shows a secret: %v", err)
			}
		})
	}
}

func TestHelpListsEverySetting(t *testing.T) {
	var out bytes.Buffer
	_, _, err := Parse("serve", []string{"--help"}, env(map[string]string{"DOSSIER_S3_SECRET_KEY": "do-not-print"}), &out)
	if err != ErrHelp {
		t.Fatalf("got %v, want ErrHelp", err)
	}
	for _, s := range settings {
		if !strings.Contains(out.String(), s.env) || !strings.Contains(out.String(), "--"+s.flag) {
			t.Errorf("help lacks %s / --%s", s.env, s.flag)
		}
	}
	if strings.Contains(out.String(), "do-not-print") {
		t.Error("help shows a secret")
	}
}

func TestCommandFlagsMixWithArguments(t *testing.T) {
	var name string
	extra := func(fs *flag.FlagSet) { fs.StringVar(&name, "name", "", "display name") }
	c, rest, err := ParseCommand("user add", []string{"a@example.org", "--name", "Ann Lee", "--demo", "extra"}, env(nil), nil, extra)
	if err != nil {
		t.Fatal(err)
	}
	if name != "Ann Lee" || !c.Demo || strings.Join(rest, ",") != "a@example.org,extra" {
		t.Fatalf("name %q demo %v rest %q", name, c.Demo, rest)
	}
	var out bytes.Buffer
	if _, _, err := ParseCommand("user add", []string{"--help"}, env(nil), &out, extra); err != ErrHelp || !strings.Contains(out.String(), "--name") {
		t.Fatalf("help: %v\n%s", err, out.String())
	}
}

func TestPublicURLMakesCookiesSecure(t *testing.T) {
	c, _, err := Parse("serve", []string{"--public-url", "https://dossier.example.org/"}, env(nil), nil)
	if err != nil {
		t.Fatal(err)
	}
	if c.PublicURL != "https://dossier.example.org" || !c.SecureCookies() {
		t.Fatalf("got %q secure=%v", c.PublicURL, c.SecureCookies())
	}
}

func TestMailUploadsAndLinks(t *testing.T) {
	dir := t.TempDir()
	wd, _ := os.Getwd()
	rel, err := filepath.Rel(wd, dir)
	if err != nil {
		t.Fatal(err)
	}
	secret := filepath.Join(t.TempDir(), "smtp")
	url := "smtps://dossier%40hospital.org:hunter2@mail.hospital.org:465?from=Dossier%20%3Cdossier%40hospital.org%3E"
	if err := os.WriteFile(secret, []byte(url+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	e := env(map[string]string{"DOSSIER_SMTP_URL_FILE": secret, "DOSSIER_UPLOAD_LIMIT": "10MiB", "DOSSIER_QUESTIONNAIRES": rel})
	c, _, err := Parse("serve", []string{"--link-days", "14"}, e, nil)
	if err != nil {
		t.Fatal(err)
	}
	if c.SMTPURL != url || c.UploadLimit != 10<<20 || c.QuestionnaireDir != dir || c.LinkDays != 14 {
		t.Fatalf("smtp %q upload %d questionnaires %q (want %q) link days %d", c.SMTPURL, c.UploadLimit, c.QuestionnaireDir, dir, c.LinkDays)
	}
	var out bytes.Buffer
	if _, _, err := Parse("serve", []string{"--help"}, e, &out); err != ErrHelp || strings.Contains(out.String(), "hunter2") {
		t.Fatalf("help: %v, or it shows the SMTP password", err)
	}
}
