package atomicfile

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

// A file system that does not sync directories says so with EINVAL or
// ENOTSUP (as *PathError from os.File.Sync); that is not a failure. Any
// other error from fsync is one: the rename may not be durable.
func TestCannotSyncDirIsOnlyUnsupported(t *testing.T) {
	for _, tc := range []struct {
		err  error
		want bool
	}{
		{&fs.PathError{Op: "sync", Path: "d", Err: syscall.EINVAL}, true},
		{&fs.PathError{Op: "sync", Path: "d", Err: syscall.ENOTSUP}, true},
		{&fs.PathError{Op: "sync", Path: "d", Err: syscall.EOPNOTSUPP}, true},
		{syscall.EINVAL, true},
		{&fs.PathError{Op: "sync", Path: "d", Err: syscall.EIO}, false},
		{&fs.PathError{Op: "sync", Path: "d", Err: syscall.ENOSPC}, false},
		{&fs.PathError{Op: "sync", Path: "d", Err: syscall.EROFS}, false},
		{errors.New("invalid argument"), false}, // the words are not the errno
	} {
		if got := cannotSyncDir(tc.err); got != tc.want {
			t.Errorf("cannotSyncDir(%v) = %v, want %v", tc.err, got, tc.want)
		}
	}
}

// On a file system whose directories cannot be fsynced (Linux's procfs
// answers EINVAL), SyncDir succeeds; a directory that is not there is
// still an error.
func TestSyncDirOnFileSystemsWithoutDirectorySync(t *testing.T) {
	d, err := os.Open("/proc/self")
	if err != nil {
		t.Skip("no /proc: not Linux")
	}
	serr := d.Sync()
	d.Close()
	if !errors.Is(serr, syscall.EINVAL) {
		t.Skipf("fsync of a /proc directory gave %v here, not EINVAL", serr)
	}
	if err := SyncDir("/proc/self"); err != nil {
		t.Errorf("SyncDir(/proc/self) = %v, want nil: the file system cannot sync directories", err)
	}
	if err := SyncDir(t.TempDir()); err != nil {
		t.Errorf("SyncDir on an ordinary directory: %v", err)
	}
	if err := SyncDir(filepath.Join(t.TempDir(), "gone")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("SyncDir of a missing directory = %v, want fs.ErrNotExist", err)
	}
}
