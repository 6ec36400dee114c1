package wardcli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Attack: HCL with millions of nested parentheses (which overflowed Go's
// stack in HCL's parser after a minute and 4 GB), and a file far larger
// than any real one. Each command that reads HCL refuses them at once as a
// usage error, with a diagnostic naming the file and line.
func TestCraftedHCLIsRefusedFast(t *testing.T) {
	dir := t.TempDir()
	deep := filepath.Join(dir, "deep.hcl")
	require.NoError(t, os.WriteFile(deep, []byte("control \"X-1\" {\n  title = "+strings.Repeat("(", 3_000_000)+"\n}\n"), 0o644))
	huge := filepath.Join(dir, "huge.hcl")
	require.NoError(t, os.WriteFile(huge, []byte("# "+strings.Repeat("x", 5<<20)+"\n"), 0o644))
	ctrlDeep := filepath.Join(dir, "controls-deep")
	require.NoError(t, os.Mkdir(ctrlDeep, 0o755))
	require.NoError(t, os.Link(deep, filepath.Join(ctrlDeep, "deep.hcl")))
	ctrlHuge := filepath.Join(dir, "controls-huge")
	require.NoError(t, os.Mkdir(ctrlHuge, 0o755))
	require.NoError(t, os.Link(huge, filepath.Join(ctrlHuge, "huge.hcl")))

	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"lint deep", []string{"controls", "lint", ctrlDeep}, "Nested too deeply"},
		{"lint huge", []string{"controls", "lint", ctrlHuge}, "too large"},
		{"waivers deep", []string{"check", "--waivers", deep, "--out", dir}, "Nested too deeply"},
		{"waivers huge", []string{"check", "--waivers", huge, "--out", dir}, "more than"},
		{"attestations deep", []string{"check", "--attestations", deep, "--out", dir}, "Nested too deeply"},
		{"segment policy deep", []string{"segment", "check", "--policy", deep, "--flow", "src=10.0.0.1 dst=10.0.0.2 proto=tcp dport=443"}, "Nested too deeply"},
		// A segment policy may be large (a site's whole device list; the
		// bound is inputlimit.MaxPolicyFile, 256 MiB), so only its nesting
		// is refused here.
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, stdout, stderr := ward(t, tc.args...)
			assert.Equal(t, exitUsage, code, stdout+stderr)
			assert.Contains(t, stderr, tc.want)
			assert.Less(t, len(stderr), 8<<10, "diagnostics quote the file: %.300q", stderr)
		})
	}
}
