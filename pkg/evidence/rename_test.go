package evidence

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
)

// A finished bundle never replaces a file already at its name: rename(2)
// would, renameat2(RENAME_NOREPLACE) and the fallback refuse and leave it
// as it was.
func TestRenameNoReplaceKeepsAnExistingFile(t *testing.T) {
	for name, rename := range map[string]func(string, string) error{
		"renameNoReplace": renameNoReplace,
		"renameFallback":  renameFallback,
	} {
		t.Run(name, func(t *testing.T) {
			d := t.TempDir()
			src, dst := filepath.Join(d, "src"), filepath.Join(d, "dst")
			if err := os.WriteFile(src, []byte("new"), 0o600); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(dst, []byte("evidence"), 0o600); err != nil {
				t.Fatal(err)
			}
			err := rename(src, dst)
			if !errors.Is(err, fs.ErrExist) {
				t.Fatalf("%s over an existing file = %v, want fs.ErrExist", name, err)
			}
			var le *os.LinkError
			if !errors.As(err, &le) || le.New != dst {
				t.Errorf("the error names the paths: %#v", err)
			}
			if b, _ := os.ReadFile(dst); string(b) != "evidence" {
				t.Errorf("the existing file now holds %q", b)
			}
			if _, err := os.Stat(src); err != nil {
				t.Errorf("the source is gone: %v", err)
			}
			if err := rename(src, filepath.Join(d, "missing", "x")); err == nil || errors.Is(err, fs.ErrExist) {
				t.Errorf("%s into a missing directory = %v, want a not-exist error", name, err)
			}
		})
	}
}
