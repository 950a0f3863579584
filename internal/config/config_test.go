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
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := Parse("serve", tc.args, env(tc.env), nil)
			if err == nil || !strings.Contains(err.Error(), tc.want) || strings.Contains(err.Error(), "\n") {
				t.Fatalf("got %v, want one line containing %q", err, tc.want)
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
