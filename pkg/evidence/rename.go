package evidence

import (
	"errors"
	"os"

	"github.com/wardsec/ward/internal/atomicfile"
)

// renameFallback checks that newpath does not exist and renames. Between the
// check and the rename another process could create newpath; POSIX rename
// then replaces it only if it is an empty directory, so no evidence is lost.
func renameFallback(oldpath, newpath string) error {
	if _, err := os.Lstat(newpath); err == nil {
		return &os.LinkError{Op: "rename", Old: oldpath, New: newpath, Err: os.ErrExist}
	} else if !errors.Is(err, os.ErrNotExist) {
		return err
	}
	return os.Rename(oldpath, newpath)
}

// syncDir makes a rename in dir durable (atomicfile.SyncDir: one
// implementation for every package).
func syncDir(dir string) error { return atomicfile.SyncDir(dir) }
