//go:build !noembed

package embedded

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"sync/atomic"
	"time"

	"github.com/versity/versitygw/auth"
	"github.com/versity/versitygw/backend/meta"
	"github.com/versity/versitygw/backend/posix"
	"github.com/versity/versitygw/s3api"
	"github.com/versity/versitygw/s3api/middlewares"
)

// s3Started guards a limit of versitygw's, not a preference of ours: its
// POSIX backend changes the working directory of the whole process, so one
// process can hold one embedded S3 server only.
var s3Started atomic.Bool

// S3 is a versitygw S3 server on a plain folder.
type S3 struct {
	Endpoint  string // host:port on loopback, plain http
	AccessKey string
	SecretKey string

	srv  *s3api.S3ApiServer
	be   *posix.Posix
	done chan error
}

type s3Credentials struct {
	AccessKey string `json:"access_key"`
	SecretKey string `json:"secret_key"`
}

// StartS3 serves objects from dataDir/objects (versions in dataDir/versions,
// which must sit outside the objects folder) on addr, 127.0.0.1:0 for a free
// port. Credentials are made on first start and kept in
// dataDir/s3-credentials.json with mode 0600.
//
// The server changes the process's working directory to dataDir/objects:
// every path the process uses afterwards must be absolute.
func StartS3(ctx context.Context, dataDir, addr string) (*S3, error) {
	if !filepath.IsAbs(dataDir) {
		return nil, fmt.Errorf("embedded S3: data folder %q must be an absolute path", dataDir)
	}
	if !s3Started.CompareAndSwap(false, true) {
		return nil, errors.New("embedded S3: already started in this process (versitygw allows one per process)")
	}
	s, err := startS3(dataDir, addr)
	if err != nil {
		s3Started.Store(false)
		return nil, err
	}
	return s, nil
}

func startS3(dataDir, addr string) (*S3, error) {
	root := filepath.Join(dataDir, "objects")
	versions := filepath.Join(dataDir, "versions")
	for _, dir := range []string{root, versions} {
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return nil, fmt.Errorf("embedded S3: create %s: %w", dir, err)
		}
	}
	creds, err := loadOrMakeCredentials(filepath.Join(dataDir, "s3-credentials.json"))
	if err != nil {
		return nil, err
	}
	addr, err = freeAddr(addr)
	if err != nil {
		return nil, err
	}

	be, err := newPosix(root, versions)
	if err != nil {
		return nil, fmt.Errorf("embedded S3: %w", err)
	}
	listening := make(chan struct{})
	root_ := middlewares.RootUserConfig{Access: creds.AccessKey, Secret: creds.SecretKey}
	iam := auth.NewIAMServiceSingle(auth.Account{Access: creds.AccessKey, Secret: creds.SecretKey, Role: auth.RoleAdmin})
	srv, err := s3api.New(be, root_, "us-east-1", iam, nil, nil, nil, nil,
		s3api.WithQuiet(),
		s3api.WithKeepAlive(),
		s3api.WithConcurrencyLimiter(1024, 256),
		s3api.WithMpMaxParts(10000),
		s3api.WithOnListen(func() { close(listening) }),
	)
	if err != nil {
		be.Shutdown()
		return nil, fmt.Errorf("embedded S3: %w", err)
	}
	s := &S3{Endpoint: addr, AccessKey: creds.AccessKey, SecretKey: creds.SecretKey, srv: srv, be: be, done: make(chan error, 1)}
	go func() { s.done <- srv.ServeMultiPort([]string{addr}) }()
	select {
	case <-listening:
		return s, nil
	case err := <-s.done:
		be.Shutdown()
		return nil, fmt.Errorf("embedded S3: listen on %s: %w", addr, err)
	case <-time.After(30 * time.Second):
		return nil, errors.New("embedded S3: did not start within 30s")
	}
}

// newPosix opens versitygw's POSIX backend. It prints a line to standard
// output as it starts; Dossier's output stays its own, so that line is
// dropped.
func newPosix(root, versions string) (*posix.Posix, error) {
	stdout := os.Stdout
	if devnull, err := os.OpenFile(os.DevNull, os.O_WRONLY, 0); err == nil {
		os.Stdout = devnull
		defer func() { os.Stdout = stdout; devnull.Close() }()
	}
	return posix.New(root, meta.XattrMeta{}, posix.PosixOpts{
		VersioningDir:       versions,
		Concurrency:         4 * runtime.GOMAXPROCS(0),
		CopyObjectThreshold: 5 << 30,
		ValidateBucketNames: true,
	})
}

// Close stops the server, letting in-flight requests finish.
func (s *S3) Close() error {
	err := s.srv.ShutDown()
	s.be.Shutdown()
	s3Started.Store(false)
	return err
}

func loadOrMakeCredentials(path string) (s3Credentials, error) {
	var c s3Credentials
	b, err := os.ReadFile(path)
	switch {
	case err == nil:
		if err := json.Unmarshal(b, &c); err != nil || c.AccessKey == "" || c.SecretKey == "" {
			return c, fmt.Errorf("embedded S3: %s is damaged; remove it only together with the objects folder beside it", path)
		}
		return c, nil
	case !errors.Is(err, os.ErrNotExist):
		return c, fmt.Errorf("embedded S3: read credentials: %w", err)
	}
	c = s3Credentials{AccessKey: "dossier-" + randomHex(8), SecretKey: randomHex(24)}
	b, _ = json.MarshalIndent(c, "", "  ")
	if err := os.WriteFile(path, b, 0o600); err != nil {
		return c, fmt.Errorf("embedded S3: write credentials: %w", err)
	}
	return c, nil
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b) // crypto/rand never fails on Linux
	return hex.EncodeToString(b)
}

// freeAddr turns host:0 into host:port with a port free right now; versitygw
// takes an address, not a listener.
func freeAddr(addr string) (string, error) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return "", fmt.Errorf("embedded S3: address %q: %w", addr, err)
	}
	if port != "0" {
		return addr, nil
	}
	l, err := net.Listen("tcp", net.JoinHostPort(host, "0"))
	if err != nil {
		return "", fmt.Errorf("embedded S3: find a free port: %w", err)
	}
	defer l.Close()
	return l.Addr().String(), nil
}
