// Command stampbench measures making a controlled copy of a PDF through
// internal/stamp against pdfcpu's own command line on the same file, with
// the peak resident memory of Dossier's stamping.
//
//	stampbench -pdfcpu /tmp/pdfcpubin/pdfcpu [-pages 100] [-in file.pdf] [-runs 15]
//
// The pdfcpu binary: GOBIN=/tmp/pdfcpubin go install github.com/pdfcpu/pdfcpu/cmd/pdfcpu@v0.15.0
// Its times include process start-up, reported alone as "pdfcpu version";
// Dossier's "stamp only" (no appended record) does what "pdfcpu stamp add"
// does, so that pair is the like-for-like comparison.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"time"

	"dossier/internal/memstat"
	"dossier/internal/stamp"
	"dossier/internal/stamp/stamptest"
)

func main() {
	if err := run(context.Background(), os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "stampbench:", err)
		os.Exit(1)
	}
}

// cliDesc is the stamp internal/stamp sets on a page wide enough for it.
const cliDesc = "fontname:Helvetica, points:7, position:bc, offset:0 10, scalefactor:1 abs, rotation:0, fillcolor:#303030, opacity:0.9"

func run(ctx context.Context, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("stampbench", flag.ContinueOnError)
	pages := fs.Int("pages", 100, "pages of the generated PDF (40 lines of text each)")
	in := fs.String("in", "", "a PDF to stamp instead of a generated one")
	runs := fs.Int("runs", 15, "timed runs of each; the median is reported")
	cli := fs.String("pdfcpu", "", "path of pdfcpu's command-line binary (v0.15.0)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *cli == "" {
		return errors.New("-pdfcpu is required")
	}
	dir, err := os.MkdirTemp("", "stampbench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	src := *in
	if src == "" {
		src = filepath.Join(dir, "in.pdf")
		if err := os.WriteFile(src, stamptest.TextPDF(*pages, 40), 0o600); err != nil {
			return err
		}
	}
	info, err := os.Stat(src)
	if err != nil {
		return err
	}

	at := time.Date(2026, 12, 3, 14, 22, 0, 0, time.UTC)
	c := stamp.Copy{
		Number: "ISMS-POL-001", Title: "Information security policy", Revision: "3.0",
		Effective: time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC), IssuedTo: "Søren Müller", IssuedAt: at,
		Approvals: []stamp.Approval{{Name: "José Núñez", Meaning: "Approved as CISO", At: at.Add(-72 * time.Hour), SHA256: "0ca00daac20d77640011d6121cf007d02cfd02e937e10c1d7ec8b2f57920bad8"}},
	}
	for i := 10; i >= 1; i-- {
		c.History = append(c.History, stamp.HistoryEntry{Revision: fmt.Sprintf("%d.0", i), State: "superseded", Date: at.AddDate(0, -i, 0), Summary: "Annual review."})
	}
	s := stamp.New(stamp.Options{Workers: 1, Timeout: 10 * time.Minute})
	idle := memstat.RSS()

	var copyPages int
	full, fullPeak, err := measure(*runs, func() error {
		copyPages, err = s.Stamp(ctx, src, io.Discard, c)
		return err
	})
	if err != nil {
		return err
	}
	line, linePeak, err := measure(*runs, func() error {
		_, err := s.StampLine(ctx, src, io.Discard, c.Line())
		return err
	})
	if err != nil {
		return err
	}
	dst := filepath.Join(dir, "out.pdf")
	cliStamp, _, err := measure(*runs, func() error {
		os.Remove(dst)
		return command(ctx, *cli, "stamp", "add", "-c", "disable", "-q", "--mode", "text", "--", stamp.ToWinAnsi(c.Line()), cliDesc, src, dst)
	})
	if err != nil {
		return err
	}
	startup, _, err := measure(*runs, func() error { return command(ctx, *cli, "version", "-c", "disable") })
	if err != nil {
		return err
	}

	fmt.Fprintf(out, "PDF: %d pages, %.1f MiB; %d runs each, medians\n", *pages, float64(info.Size())/(1<<20), *runs)
	fmt.Fprintf(out, "idle RSS before stamping            %s\n", memstat.MiB(idle))
	fmt.Fprintf(out, "dossier stamp only (StampLine)      %8s   peak RSS %s\n", ms(line), memstat.MiB(linePeak))
	fmt.Fprintf(out, "dossier controlled copy (Stamp)     %8s   peak RSS %s   (%d pages)\n", ms(full), memstat.MiB(fullPeak), copyPages)
	fmt.Fprintf(out, "pdfcpu stamp add (CLI process)      %8s\n", ms(cliStamp))
	fmt.Fprintf(out, "pdfcpu version (CLI start-up alone) %8s\n", ms(startup))
	fmt.Fprintf(out, "ratio stamp only / CLI              %.2f×\n", float64(line)/float64(cliStamp))
	fmt.Fprintf(out, "ratio stamp only / (CLI - start-up) %.2f×\n", float64(line)/float64(cliStamp-startup))
	fmt.Fprintf(out, "ratio controlled copy / CLI         %.2f×\n", float64(full)/float64(cliStamp))
	return nil
}

// measure runs f once to warm up, then runs times, and returns the median
// time and the peak resident memory over the timed runs.
func measure(runs int, f func() error) (time.Duration, int64, error) {
	if err := f(); err != nil {
		return 0, 0, err
	}
	memstat.ResetPeak()
	times := make([]time.Duration, runs)
	for i := range times {
		start := time.Now()
		if err := f(); err != nil {
			return 0, 0, err
		}
		times[i] = time.Since(start)
	}
	peak := memstat.Peak()
	slices.Sort(times)
	return times[len(times)/2], peak, nil
}

func command(ctx context.Context, name string, args ...string) error {
	out, err := exec.CommandContext(ctx, name, args...).CombinedOutput()
	if err != nil {
		return fmt.Errorf("%s %v: %w\n%s", name, args, err, out)
	}
	return nil
}

func ms(d time.Duration) string { return fmt.Sprintf("%.1f ms", float64(d.Microseconds())/1000) }
