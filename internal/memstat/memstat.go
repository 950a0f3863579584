// Package memstat reads this process's resident memory from Linux's
// /proc, for the load programs under cmd/ that report peak memory. Off
// Linux every figure is 0.
package memstat

import (
	"bufio"
	"fmt"
	"os"
	"strconv"
	"strings"
)

// ResetPeak starts the high-water mark of resident memory afresh, so Peak
// measures what follows.
func ResetPeak() { _ = os.WriteFile("/proc/self/clear_refs", []byte("5"), 0) }

// RSS is the resident memory now, in KiB.
func RSS() int64 { return status("VmRSS:") }

// Peak is the high-water mark of resident memory since the start or the
// last ResetPeak, in KiB.
func Peak() int64 { return status("VmHWM:") }

// MiB writes KiB as MiB with one decimal: "51.3 MiB".
func MiB(kib int64) string { return fmt.Sprintf("%.1f MiB", float64(kib)/1024) }

func status(field string) int64 {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return 0
	}
	defer f.Close()
	s := bufio.NewScanner(f)
	for s.Scan() {
		if v, ok := strings.CutPrefix(s.Text(), field); ok {
			n, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			return n
		}
	}
	return 0
}
