package ssh

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The profile format's test vectors (docs/ssh-driver.md): every file in
// testdata/profiles/ok parses, every file in fail/ is refused.
func TestProfileVectors(t *testing.T) {
	for _, dir := range []string{"ok", "fail"} {
		files, err := filepath.Glob(filepath.Join("testdata", "profiles", dir, "*.json"))
		require.NoError(t, err)
		require.NotEmpty(t, files)
		for _, f := range files {
			t.Run(dir+"/"+filepath.Base(f), func(t *testing.T) {
				b, err := os.ReadFile(f)
				require.NoError(t, err)
				_, err = ParseProfile(b)
				if dir == "ok" {
					assert.NoError(t, err)
				} else {
					assert.ErrorIs(t, err, ErrProfile)
				}
			})
		}
	}
}
