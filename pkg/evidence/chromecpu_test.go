package evidence

import (
	"bytes"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// chromiumCPU is the CPU time (user plus system) used so far by the
// processes whose command line names marker (the browser's user-data-dir,
// inherited by its children as an argument): a measure of the work a page
// costs that other load on the machine does not inflate the way it does
// wall time. Linux only; 0 elsewhere.
func chromiumCPU(marker string) time.Duration {
	var ticks int64
	procs, _ := filepath.Glob("/proc/[0-9]*")
	for _, p := range procs {
		cmd, err := os.ReadFile(filepath.Join(p, "cmdline"))
		if err != nil || !bytes.Contains(cmd, []byte(marker)) {
			continue
		}
		stat, err := os.ReadFile(filepath.Join(p, "stat"))
		if err != nil {
			continue
		}
		// Fields after the command name, which ends with the last ')'.
		i := bytes.LastIndexByte(stat, ')')
		if i < 0 {
			continue
		}
		f := strings.Fields(string(stat[i+1:]))
		if len(f) < 13 {
			continue
		}
		u, _ := strconv.ParseInt(f[11], 10, 64) // utime, field 14
		s, _ := strconv.ParseInt(f[12], 10, 64) // stime, field 15
		ticks += u + s
	}
	// USER_HZ is 100 on every Linux Go supports.
	return time.Duration(ticks) * 10 * time.Millisecond
}
