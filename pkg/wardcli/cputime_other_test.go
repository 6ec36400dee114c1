//go:build !unix

package wardcli

import (
	"testing"
	"time"
)

// cpuTime is -1 where the process's CPU time is not read.
func cpuTime(*testing.B) time.Duration { return -1 }
