package wardcli

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A real process: the first SIGINT or SIGTERM stops `ward segment check`
// while it loads a big policy and while it waits for flows on a pipe
// (the issue: the first signal was swallowed, and one run kept using CPU
// for 30 minutes).
func TestSegmentCheckStopsOnFirstSignal(t *testing.T) {
	if args := os.Getenv("WARD_SEGMENT_CHILD"); args != "" {
		os.Args = append([]string{"ward"}, strings.Split(args, "\x1f")...)
		Exit() // as cmd/ward's main does
		return
	}
	dir := t.TempDir()
	var b bytes.Buffer
	b.WriteString("zone \"z\" {\n  cidrs = [\"10.0.0.0/8\"]\n}\n")
	for i := 0; b.Len() < 8<<20; i++ {
		fmt.Fprintf(&b, "device \"d%d\" {\n  address = \"10.%d.%d.%d\"\n  zone    = \"z\"\n  allow \"web\" {\n    direction = \"egress\"\n    peer      = \"any\"\n    proto     = \"tcp\"\n    ports     = [\"443\"]\n  }\n}\n",
			i, i>>16&255, i>>8&255, i&255)
	}
	big := filepath.Join(dir, "big.hcl")
	require.NoError(t, os.WriteFile(big, b.Bytes(), 0o600))
	small := writeTemp(t, "small.hcl", "zone \"z\" {\n  cidrs = [\"10.0.0.0/8\"]\n}\nconduit \"c\" {\n  from = \"z\"\n  to   = \"z\"\n}\n")
	for _, tc := range []struct {
		name, policy string
		sig          os.Signal
		after        time.Duration
	}{
		{"SIGINT while loading", big, os.Interrupt, 300 * time.Millisecond},
		{"SIGTERM while loading", big, syscall.SIGTERM, 300 * time.Millisecond},
		{"SIGINT while waiting for flows", small, os.Interrupt, 1500 * time.Millisecond},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cmd := exec.Command(os.Args[0], "-test.run=^TestSegmentCheckStopsOnFirstSignal$")
			cmd.Env = append(os.Environ(), "WARD_SEGMENT_CHILD="+strings.Join([]string{"segment", "check", "--policy", tc.policy, "--flows", "-"}, "\x1f"))
			stdin, err := cmd.StdinPipe() // kept open: the command would wait for flows
			require.NoError(t, err)
			defer stdin.Close()
			var stderr bytes.Buffer
			cmd.Stderr = &stderr
			require.NoError(t, cmd.Start())
			time.Sleep(tc.after)
			require.NoError(t, cmd.Process.Signal(tc.sig))
			signalled := time.Now()
			done := make(chan error, 1)
			go func() { done <- cmd.Wait() }()
			select {
			case err := <-done:
				var ee *exec.ExitError
				require.True(t, errors.As(err, &ee), "exit: %v, stderr %s", err, stderr.String())
				assert.Equal(t, 130, ee.ExitCode(), stderr.String()) // 128+SIGINT, as every ward command that is interrupted
				assert.Contains(t, stderr.String(), "ward: interrupted")
				t.Logf("stopped %v after the signal", time.Since(signalled).Round(time.Millisecond))
			case <-time.After(20 * time.Second):
				_ = cmd.Process.Kill()
				t.Fatalf("still running 20 s after the first signal; stderr: %s", stderr.String())
			}
		})
	}
}
