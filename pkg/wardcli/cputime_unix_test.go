//go:build unix

package wardcli

import (
	"syscall"
	"testing"
	"time"
)

// cpuTime is the CPU time (user and system, every thread) the process has
// used so far.
func cpuTime(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
