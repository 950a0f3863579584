// Command blobbench measures Put and Get of one large object through
// internal/blob against raw minio-go on the same S3 server, with each
// operation's throughput and peak resident memory above idle.
//
//	blobbench -endpoint 127.0.0.1:9000 -access-key … -secret-key … [-size 200MiB]
//
// It talks only to the endpoint given (use a server on loopback), writes one
// bucket of its own and stops when the four operations are done.
package main

import (
	"context"
	"crypto/rand"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"runtime"
	"runtime/debug"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"

	"dossier/internal/blob"
	"dossier/internal/memstat"
)

func main() {
	if err := run(context.Background(), os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "blobbench:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("blobbench", flag.ContinueOnError)
	endpoint := fs.String("endpoint", os.Getenv("DOSSIER_TEST_S3_ENDPOINT"), "S3 endpoint host:port")
	ak := fs.String("access-key", os.Getenv("DOSSIER_TEST_S3_ACCESS_KEY"), "access key")
	sk := fs.String("secret-key", os.Getenv("DOSSIER_TEST_S3_SECRET_KEY"), "secret key")
	sizeMiB := fs.Int64("size", 200, "object size in MiB")
	rounds := fs.Int("rounds", 3, "rounds; the best throughput and the highest peak are reported")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *endpoint == "" {
		return errors.New("-endpoint (or DOSSIER_TEST_S3_ENDPOINT) is required")
	}
	size := *sizeMiB << 20
	bucket := fmt.Sprintf("blobbench-%d", time.Now().UnixNano())
	store, err := blob.Open(ctx, blob.Options{Endpoint: *endpoint, AccessKey: *ak, SecretKey: *sk, Region: "us-east-1", Bucket: bucket})
	if err != nil {
		return err
	}
	raw, err := minio.New(*endpoint, &minio.Options{Creds: credentials.NewStaticV4(*ak, *sk, ""), Region: "us-east-1"})
	if err != nil {
		return err
	}

	type result struct {
		mbps float64
		peak int64
	}
	best := map[string]*result{}
	var objSHA, objVersion string
	ops := []struct {
		name string
		do   func() error
	}{
		{"put raw minio-go", func() error {
			_, err := raw.PutObject(ctx, bucket, "raw.bin", newPattern(size), size, minio.PutObjectOptions{})
			return err
		}},
		{"put internal/blob", func() error {
			o, err := store.Put(ctx, "blob.bin", newPattern(size), size, blob.PutOptions{})
			objSHA, objVersion = o.SHA256, o.VersionID
			return err
		}},
		{"get raw minio-go", func() error {
			o, err := raw.GetObject(ctx, bucket, "raw.bin", minio.GetObjectOptions{})
			if err != nil {
				return err
			}
			defer o.Close()
			n, err := io.Copy(io.Discard, o)
			if err == nil && n != size {
				err = fmt.Errorf("read %d bytes", n)
			}
			return err
		}},
		{"get internal/blob (SHA-256 verified)", func() error {
			return store.Verify(ctx, "blob.bin", objVersion, objSHA)
		}},
	}
	idle := memstat.RSS()
	for range *rounds {
		for _, op := range ops {
			runtime.GC()
			debug.FreeOSMemory()
			memstat.ResetPeak()
			base := memstat.RSS()
			start := time.Now()
			if err := op.do(); err != nil {
				return fmt.Errorf("%s: %w", op.name, err)
			}
			secs := time.Since(start).Seconds()
			r := &result{mbps: float64(size) / (1 << 20) / secs, peak: memstat.Peak() - base}
			if b, ok := best[op.name]; !ok || r.mbps > b.mbps {
				if ok && b.peak > r.peak {
					r.peak = b.peak
				}
				best[op.name] = r
			} else if r.peak > b.peak {
				b.peak = r.peak
			}
		}
	}
	fmt.Fprintf(out, "object %d MiB, %d rounds, endpoint %s, idle RSS %.1f MiB, %s\n\n", *sizeMiB, *rounds, *endpoint, float64(idle)/1024, runtime.Version())
	fmt.Fprintf(out, "| operation | MiB/s (best) | peak RSS over idle (MiB, worst) |\n| --- | ---: | ---: |\n")
	for _, op := range ops {
		r := best[op.name]
		fmt.Fprintf(out, "| %s | %.0f | %.1f |\n", op.name, r.mbps, float64(r.peak)/1024)
	}
	fmt.Fprintf(out, "\nput ratio blob/raw %.2f, get ratio blob/raw %.2f\n",
		best["put internal/blob"].mbps/best["put raw minio-go"].mbps,
		best["get internal/blob (SHA-256 verified)"].mbps/best["get raw minio-go"].mbps)
	return nil
}

// pattern is a reader of size bytes of random-looking data that needs no
// memory: a 1 MiB random block repeated.
type pattern struct {
	block []byte
	left  int64
	off   int
}

func newPattern(size int64) *pattern {
	b := make([]byte, 1<<20)
	_, _ = rand.Read(b)
	return &pattern{block: b, left: size}
}

func (p *pattern) Read(b []byte) (int, error) {
	if p.left == 0 {
		return 0, io.EOF
	}
	n := copy(b, p.block[p.off:])
	if int64(n) > p.left {
		n = int(p.left)
	}
	p.off = (p.off + n) % len(p.block)
	p.left -= int64(n)
	return n, nil
}
