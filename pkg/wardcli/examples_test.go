package wardcli

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
// not drift from the CLI. They build Ward from source (a module that is not
// published cannot be fetched with `go run ...@latest`), and the merge job
// checks out the repository and verifies the baseline before diffing it.
func TestCIExamplesUseRealCommandsAndFlags(t *testing.T) {
	files, err := filepath.Glob("../../examples/ci/*.y*ml")
	require.NoError(t, err)
	require.NotEmpty(t, files)
	invoke := regexp.MustCompile(`(?:\./ward|/opt/ward/ward) [a-z]`)
	end := regexp.MustCompile(`\|\||\n\s*(\./ward|volumeMounts|env:|- )`)
	calls := 0
	for _, f := range files {
		b, err := os.ReadFile(f)
		require.NoError(t, err)
		text := string(b)
		for _, line := range strings.Split(text, "\n") {
			if !strings.HasPrefix(strings.TrimSpace(line), "#") {
				assert.NotContains(t, line, "@latest", "%s: an unpublished module cannot be run with @latest", f)
			}
		}
		assert.Contains(t, text, "go build -o ", "%s builds Ward from source", f)
		locs := invoke.FindAllStringIndex(text, -1)
		for _, loc := range locs {
			p := text[loc[1]-1:]
			if e := end.FindStringIndex(p); e != nil {
				p = p[:e[0]]
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
	assert.GreaterOrEqual(t, calls, 7)

	gh, err := os.ReadFile("../../examples/ci/github-actions.yml")
	require.NoError(t, err)
	merge := string(gh)[strings.Index(string(gh), "\n  merge:"):]
	merge = merge[:strings.Index(merge, "\n  device-gate:")]
	assert.Contains(t, merge, "actions/checkout@", "the merge job checks out the repository")
	verify := strings.Index(merge, "evidence verify --pubkey ward-signing.pub.pem release/baseline/")
	diff := strings.Index(merge, "evidence diff --pubkey")
	require.Greater(t, verify, 0, "the baseline is verified")
	assert.Less(t, verify, diff, "before it is diffed")
}
