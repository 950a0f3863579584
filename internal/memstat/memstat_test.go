package memstat_test

import (
	"runtime"
	"testing"

	"dossier/internal/memstat"
)

func TestPeakFollowsAllocation(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("memstat reads Linux's /proc")
	}
	memstat.ResetPeak()
	before := memstat.Peak()
	if before <= 0 || memstat.RSS() <= 0 {
		t.Fatalf("peak %d KiB, RSS %d KiB", before, memstat.RSS())
	}
	b := make([]byte, 64<<20)
	for i := range b {
		b[i] = byte(i)
	}
	after := memstat.Peak()
	runtime.KeepAlive(b)
	if after-before < 60<<10 {
		t.Errorf("peak rose by %d KiB after touching 64 MiB", after-before)
	}
	if got := memstat.MiB(52531); got != "51.3 MiB" {
		t.Errorf("MiB(52531) = %q", got)
	}
}
