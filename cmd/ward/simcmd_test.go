package main

import (
	"bufio"
	"context"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

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
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			pr, pw := io.Pipe()
			args := []string{"sim", "serve", "--profile", "infusion-pump"}
			if tc.weaken != "" {
				args = append(args, "--weaken", tc.weaken)
			}
			var stderr strings.Builder
			done := make(chan int, 1)
			go func() { done <- run(ctx, args, pw, &stderr); pw.Close() }()
			line, err := bufio.NewReader(pr).ReadString('\n')
			require.NoError(t, err, stderr.String())
			target, ok := strings.CutPrefix(strings.TrimSpace(line), "target: ")
			require.True(t, ok, "first line %q", line)
			assert.Contains(t, target, "https://127.0.0.1:")
			go io.Copy(io.Discard, pr)

			code, stdout, errOut := ward(t, "check", "--out", t.TempDir(), "--target", target, "--control", "HIPAA-164.312-d,HIPAA-164.312-b")
			assert.Equal(t, tc.code, code, "stdout:\n%s\nstderr:\n%s", stdout, errOut)
			if tc.failed != "" {
				assert.Contains(t, stdout, "FAILED "+tc.failed)
			}
			cancel()
			select {
			case code := <-done:
				assert.Equal(t, 0, code, stderr.String())
			case <-time.After(10 * time.Second):
				t.Fatal("sim serve did not stop")
			}
		})
	}
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
