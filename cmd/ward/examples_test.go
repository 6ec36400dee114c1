package main

import (
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The CI examples call ward with commands and flags that exist: they must
// not drift from the CLI.
func TestCIExamplesUseRealCommandsAndFlags(t *testing.T) {
	files, err := filepath.Glob("../../examples/ci/*.y*ml")
	require.NoError(t, err)
	require.NotEmpty(t, files)
	end := regexp.MustCompile(`\|\||\n\s*(go run|volumeMounts|env:|- )`)
	calls := 0
	for _, f := range files {
		b, err := os.ReadFile(f)
		require.NoError(t, err)
		parts := strings.Split(string(b), "cmd/ward@latest")
		for _, p := range parts[1:] {
			if loc := end.FindStringIndex(p); loc != nil {
				p = p[:loc[0]]
			}
			args := strings.Fields(strings.ReplaceAll(p, "\\\n", " "))
			root := newRoot(io.Discard, io.Discard)
			cmd, rest, err := root.Find(args)
			require.NoError(t, err, "%s: ward %s", f, strings.Join(args, " "))
			require.NotEqual(t, root, cmd, "%s: ward %s names no command", f, strings.Join(args, " "))
			for _, a := range rest {
				if name, ok := strings.CutPrefix(a, "--"); ok {
					name, _, _ = strings.Cut(name, "=")
					assert.NotNil(t, cmd.Flags().Lookup(name), "%s: %q has no flag --%s", f, cmd.CommandPath(), name)
				}
			}
			calls++
		}
	}
	assert.GreaterOrEqual(t, calls, 5)
}
