package wardcli

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/wardsec/ward/pkg/sim"
)

// simServe runs `ward sim serve` with args until the test ends, and returns
// the target it prints first and a reader over the rest of its output
// (drained by the caller once it has read what it wants). The cleanup
// cancels it, as SIGINT does, and requires exit status 0 within 10 s.
func simServe(t *testing.T, args ...string) (string, *bufio.Reader) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	var stderr strings.Builder
	done := make(chan int, 1)
	go func() { done <- run(ctx, append([]string{"sim", "serve"}, args...), pw, &stderr); pw.Close() }()
	t.Cleanup(func() {
		cancel()
		select {
		case code := <-done:
			assert.Equal(t, 0, code, stderr.String())
		case <-time.After(10 * time.Second):
			t.Error("sim serve did not stop")
		}
	})
	br := bufio.NewReader(pr)
	line, err := br.ReadString('\n')
	require.NoError(t, err, stderr.String())
	target, ok := strings.CutPrefix(strings.TrimSpace(line), "target: ")
	require.True(t, ok, "first line %q", line)
	return target, br
}

// ward sim serve prints the target first; ward check against it passes for
// the secure pump and fails the control of a weakness; cancelling (as
// SIGINT does) exits 0.
func TestSimServeThenCheck(t *testing.T) {
	for _, tc := range []struct {
		weaken string
		code   int
		failed string
	}{{"", 0, ""}, {"no-auth", 1, "HIPAA-164.312-d"}} {
		t.Run("weaken="+tc.weaken, func(t *testing.T) {
			args := []string{"--profile", "infusion-pump"}
			if tc.weaken != "" {
				args = append(args, "--weaken", tc.weaken)
			}
			target, out := simServe(t, args...)
			assert.Contains(t, target, "https://127.0.0.1:")
			go io.Copy(io.Discard, out)

			code, stdout, errOut := ward(t, "check", "--out", t.TempDir(), "--target", target, "--control", "HIPAA-164.312-d,HIPAA-164.312-b")
			assert.Equal(t, tc.code, code, "stdout:\n%s\nstderr:\n%s", stdout, errOut)
			if tc.failed != "" {
				assert.Contains(t, stdout, "FAILED "+tc.failed)
			}
		})
	}
}

// ward sim serve --single-unit serves one unit that keeps its accounts, as
// a real device does: ward check passes on it twice in a row (each run's
// test accounts have their own names and are removed afterwards).
func TestSimServeSingleUnitCheckTwice(t *testing.T) {
	target, out := simServe(t, "--profile", "infusion-pump", "--single-unit")
	go io.Copy(io.Discard, out)
	for run := range 2 {
		code, stdout, errOut := ward(t, "check", "--out", t.TempDir(), "--target", target,
			"--control", "HIPAA-164.312-d,HIPAA-164.312-b,HIPAA-164.312-a-2-i,FDA-PMC-AUTHN-2")
		assert.Equal(t, 0, code, "run %d\nstdout:\n%s\nstderr:\n%s", run+1, stdout, errOut)
	}
	// Decommissioning erases the device: not run on it unless allowed.
	code, stdout, errOut := ward(t, "check", "--out", t.TempDir(), "--target", target, "--control", "HIPAA-164.310-d-2-i")
	assert.Equal(t, 0, code, errOut)
	assert.Regexp(t, `not-applicable\s+HIPAA-164.310-d-2-i`, stdout)
	code, stdout, errOut = ward(t, "check", "--out", t.TempDir(), "--target", target, "--control", "HIPAA-164.310-d-2-i", "--allow-destructive")
	assert.Equal(t, 0, code, errOut)
	assert.Regexp(t, `\ssatisfied\s+HIPAA-164.310-d-2-i`, stdout)
}

// With --mtls-dir the management API requires the client certificate the
// target names; without it, no session.
func TestSimServeMutualTLS(t *testing.T) {
	dir := t.TempDir()
	target, br := simServe(t, "--profile", "patient-monitor", "--mtls-dir", dir)
	feed, err := br.ReadString('\n')
	require.NoError(t, err)
	assert.Contains(t, feed, "hl7-feed: 127.0.0.1:")
	assert.Contains(t, feed, "client certificate required")
	go io.Copy(io.Discard, br)
	assert.Contains(t, target, "cert=")
	assert.FileExists(t, filepath.Join(dir, "client-key.pem"))

	code, stdout, errOut := ward(t, "check", "--out", t.TempDir(), "--target", target, "--control", "HIPAA-164.312-d")
	assert.Equal(t, 0, code, "stdout:\n%s\nstderr:\n%s", stdout, errOut)
	assert.Contains(t, stdout, "SIM-PM-200 patient monitor")

	noCert := target[:strings.Index(target, "&cert=")]
	if !strings.Contains(noCert, "ca-sha256") {
		noCert = target[:strings.Index(target, "?")] + "?" + target[strings.Index(target, "ca-sha256"):]
	}
	code, stdout, _ = ward(t, "check", "--out", t.TempDir(), "--target", noCert+"&timeout=3s", "--control", "HIPAA-164.312-d")
	assert.Equal(t, 3, code, stdout)
	assert.Contains(t, stdout, "target error:")
}

// An unreachable https target is an error outcome for that target, in
// one line, within its timeout.
func TestCheckUnreachableHTTPSTarget(t *testing.T) {
	start := time.Now()
	code, stdout, stderr := ward(t, "check", "--out", t.TempDir(), "--control", "HIPAA-164.312-d",
		"--target", "https://127.0.0.1:1?timeout=2s&ca-sha256="+strings.Repeat("ab", 32), "--target", "sim://infusion-pump")
	assert.Equal(t, 3, code, "stdout:\n%s\nstderr:\n%s", stdout, stderr)
	assert.Less(t, time.Since(start), 15*time.Second)
	var errLine string
	for _, l := range strings.Split(stdout, "\n") {
		if strings.Contains(l, "target error:") {
			errLine = l
		}
	}
	assert.Contains(t, errLine, "connection refused")
	assert.Contains(t, errLine, "(1 control(s) not checked)")
	assert.NotContains(t, stdout, "ERROR  HIPAA-164.312-d", "one line for the target, not one per control")
	assert.Contains(t, stderr, "ward: [1/2] https://127.0.0.1:1", "the unreachable target has its progress line")
	assert.Contains(t, stderr, "ward: [2/2] sim://infusion-pump: ", "and the run goes on to the next")
}

func TestSimServeUsage(t *testing.T) {
	for _, args := range [][]string{
		{"sim", "serve"},
		{"sim", "serve", "--profile", "toaster"},
		{"sim", "serve", "--profile", "infusion-pump", "--weaken", "bogus"},
		{"sim", "serve", "--profile", "infusion-pump", "--ca-cert", "x"},
	} {
		code, _, stderr := ward(t, args...)
		assert.Equal(t, 2, code, "%v: %s", args, stderr)
	}
}

// A targets file may declare a simulated fleet with count=N: each unit
// gets its own serial, and all are checked (in parallel) and reported in
// order.
func TestTargetsFileCount(t *testing.T) {
	dir := t.TempDir()
	f := filepath.Join(dir, "fleet.txt")
	require.NoError(t, os.WriteFile(f, []byte("# ward fleet\nsim://infusion-pump count=3\nsim://infusion-pump?weaken=no-auth&serial=W count=2 # two weak ones\n"), 0o644))
	code, stdout, stderr := ward(t, "check", "--out", filepath.Join(dir, "ev"), "--targets", f, "--control", "HIPAA-164.312-d")
	assert.Equal(t, 1, code, stderr)
	// Five targets: one line each (docs/check-output.md), in order.
	var order []string
	for _, m := range regexp.MustCompile(`(?m)^\[\d\] sim://\S+ \([^)]*serial ([^,]+),`).FindAllStringSubmatch(stdout, -1) {
		order = append(order, m[1])
	}
	assert.Equal(t, []string{"SIM-FLEET-0001", "SIM-FLEET-0002", "SIM-FLEET-0003", "W-0001", "W-0002"}, order, stdout)
	assert.Equal(t, 2, strings.Count(stdout, "FAILED HIPAA-164.312-d"))

	for _, bad := range []string{"sim://infusion-pump count=0", "sim://infusion-pump count=x", "sim://infusion-pump count=3 extra", "sim://infusion-pump size=3", "sim://infusion-pump count=10001"} {
		require.NoError(t, os.WriteFile(f, []byte(bad+"\n"), 0o644))
		code, _, stderr := ward(t, "check", "--out", filepath.Join(dir, "ev2"), "--targets", f)
		assert.Equal(t, 2, code, "%s: %s", bad, stderr)
	}
}

// A real process: `ward sim serve` exits 0 on SIGTERM and on SIGINT.
func TestSimServeExitsCleanlyOnSignal(t *testing.T) {
	if os.Getenv("WARD_SIM_SERVE_CHILD") == "1" {
		os.Args = []string{"ward", "sim", "serve", "--profile", "infusion-pump"}
		Exit() // as cmd/ward's main does
		return
	}
	for _, sig := range []os.Signal{syscall.SIGTERM, os.Interrupt} {
		t.Run(sig.String(), func(t *testing.T) {
			cmd := exec.Command(os.Args[0], "-test.run=^TestSimServeExitsCleanlyOnSignal$")
			cmd.Env = append(os.Environ(), "WARD_SIM_SERVE_CHILD=1")
			out, err := cmd.StdoutPipe()
			require.NoError(t, err)
			require.NoError(t, cmd.Start())
			line, err := bufio.NewReader(out).ReadString('\n')
			require.NoError(t, err)
			require.True(t, strings.HasPrefix(line, "target: https://127.0.0.1:"), line)
			go io.Copy(io.Discard, out)
			require.NoError(t, cmd.Process.Signal(sig))
			done := make(chan error, 1)
			go func() { done <- cmd.Wait() }()
			select {
			case err := <-done:
				assert.NoError(t, err, "exit status 0")
			case <-time.After(15 * time.Second):
				_ = cmd.Process.Kill()
				t.Fatal("did not exit after the signal")
			}
		})
	}
}

// `ward sim weaknesses` lists every toggle with the controls it must fail,
// exactly as the simulator (and its test) declares them.
func TestSimWeaknessesLists(t *testing.T) {
	code, stdout, stderr := ward(t, "sim", "weaknesses", "--json")
	require.Equal(t, 0, code, stderr)
	var got []sim.Weakness
	require.NoError(t, json.Unmarshal([]byte(stdout), &got))
	assert.Equal(t, sim.Weaknesses(), got)

	code, stdout, _ = ward(t, "sim", "weaknesses")
	require.Equal(t, 0, code)
	assert.Contains(t, stdout, "unapproved-crypto\n  wraps its storage keys with ChaCha20-Poly1305")
	assert.Contains(t, stdout, "  fails: FDA-PMC-CRYPTO-1\n")
}
