// Command readybench measures how long a dossier binary takes from process
// start to /readyz answering 200 on a fresh data folder, with its embedded
// engines, and reports the binary's size.
//
//	go build -o /tmp/dossier ./cmd/dossier && go run ./cmd/readybench -binary /tmp/dossier
//
// It starts the binary on 127.0.0.1 only, a bounded number of times, and
// stops each run itself.
package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"regexp"
	"sort"
	"syscall"
	"time"
)

func main() {
	if err := run(context.Background(), os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "readybench:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("readybench", flag.ContinueOnError)
	binary := fs.String("binary", "", "path of the dossier binary")
	runs := fs.Int("runs", 10, "number of cold starts")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *binary == "" {
		return errors.New("-binary is required")
	}
	st, err := os.Stat(*binary)
	if err != nil {
		return err
	}
	var times []time.Duration
	for i := range *runs {
		d, err := once(ctx, *binary)
		if err != nil {
			return fmt.Errorf("run %d: %w", i+1, err)
		}
		times = append(times, d)
	}
	sort.Slice(times, func(i, j int) bool { return times[i] < times[j] })
	ms := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
	fmt.Fprintf(out, "binary %s: %.1f MiB\n", *binary, float64(st.Size())/(1<<20))
	fmt.Fprintf(out, "start to /readyz 200 on a fresh data folder, %d runs: min %.0f ms, median %.0f ms, max %.0f ms\n",
		len(times), ms(times[0]), ms(times[len(times)/2]), ms(times[len(times)-1]))
	return nil
}

var listening = regexp.MustCompile(`listening on (http://\S+)`)

func once(ctx context.Context, binary string) (time.Duration, error) {
	dir, err := os.MkdirTemp("", "readybench-")
	if err != nil {
		return 0, err
	}
	defer os.RemoveAll(dir)
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, binary)
	cmd.Env = append(os.Environ(), "DOSSIER_ADDR=127.0.0.1:0", "DOSSIER_DATA_DIR="+dir, "DOSSIER_LOG_LEVEL=warn")
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return 0, err
	}
	start := time.Now()
	if err := cmd.Start(); err != nil {
		return 0, err
	}
	defer func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		_ = cmd.Wait()
	}()
	url := make(chan string, 1)
	go func() {
		s := bufio.NewScanner(stdout)
		for s.Scan() {
			if m := listening.FindStringSubmatch(s.Text()); m != nil {
				url <- m[1]
			}
		}
	}()
	// The port is known only once the program prints it; poll from then on.
	var base string
	select {
	case base = <-url:
	case <-ctx.Done():
		return 0, errors.New("no listening line within a minute")
	}
	for {
		resp, err := http.Get(base + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return time.Since(start), nil
			}
		}
		if ctx.Err() != nil {
			return 0, errors.New("not ready within a minute")
		}
		time.Sleep(2 * time.Millisecond)
	}
}
