// Package atomicfile replaces files crash-safely: at every instant, a
// crash included, the file holds either its old contents or the new ones,
// whole. Every Ward package that writes state a device or user depends on
// (keys, sealed files, update slots and counters, inventories) goes
// through it, so there is one implementation to get right.
//
// The guarantee assumes a file system and disk that honour fsync (ext4,
// xfs, f2fs with barriers).
package atomicfile

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
)

type options struct {
	noReplace    bool
	keepMode     bool
	beforeCommit func(tmp string) error
}

// KeepMode makes a file that already exists at name keep its permission
// bits; perm (less the umask) applies only to a new file. For files a user
// may have restricted (an inventory made 0600 stays 0600).
func KeepMode() Option { return func(o *options) { o.keepMode = true } }

// Option changes how Write commits.
type Option func(*options)

// NoReplace makes Write fail (with an error matching fs.ErrExist) if name
// already exists, atomically: it links the finished temporary file to
// name instead of renaming over it. For files that must never be
// overwritten, such as keys.
func NoReplace() Option { return func(o *options) { o.noReplace = true } }

// BeforeCommit runs f after the temporary file is complete and synced,
// just before it is committed to name; an error from f aborts the write.
// Tests use it to simulate a crash at the worst moment.
func BeforeCommit(f func(tmp string) error) Option {
	return func(o *options) { o.beforeCommit = f }
}

// Write replaces (or creates) name with what write writes. It writes to a
// temporary file in the same directory (".NAME.tmp-*", mode perm less the
// umask, or the existing file's mode with KeepMode), fsyncs
// it, renames it over name and fsyncs the directory. If write (or any
// step) fails, nothing changes at name and the temporary file is removed.
// A process killed mid-write can leave the temporary file behind, never a
// partial name.
func Write(name string, perm fs.FileMode, write func(w io.Writer) error, opts ...Option) (err error) {
	var o options
	for _, opt := range opts {
		opt(&o)
	}
	dir, base := filepath.Split(name)
	if dir == "" {
		dir = "."
	}
	tmp, err := createTemp(dir, "."+base+".tmp-", perm)
	if err != nil {
		return err
	}
	committed := false
	defer func() {
		if !committed {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	if o.keepMode {
		if st, err := os.Lstat(name); err == nil && st.Mode().IsRegular() {
			if err := tmp.Chmod(st.Mode().Perm()); err != nil {
				return err
			}
		}
	}
	if err := write(tmp); err != nil {
		return err
	}
	if err := tmp.Sync(); err != nil {
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if o.beforeCommit != nil {
		if err := o.beforeCommit(tmp.Name()); err != nil {
			return err
		}
	}
	if o.noReplace {
		// link fails if name exists, atomically; then drop the temp name.
		if err := os.Link(tmp.Name(), name); err != nil {
			return err
		}
		committed = true
		os.Remove(tmp.Name())
	} else {
		if err := os.Rename(tmp.Name(), name); err != nil {
			return err
		}
		committed = true
	}
	return SyncDir(dir)
}

// createTemp creates a new file in dir named prefix plus a random suffix
// with mode perm less the process umask, as any file the user creates.
func createTemp(dir, prefix string, perm fs.FileMode) (*os.File, error) {
	for range 100 {
		var b [8]byte
		if _, err := rand.Read(b[:]); err != nil {
			return nil, err
		}
		f, err := os.OpenFile(filepath.Join(dir, prefix+hex.EncodeToString(b[:])), os.O_RDWR|os.O_CREATE|os.O_EXCL, perm)
		if !errors.Is(err, fs.ErrExist) {
			return f, err
		}
	}
	return nil, fmt.Errorf("atomicfile: no unused temporary name in %s", dir)
}

// WriteBytes is Write of data.
func WriteBytes(name string, data []byte, perm fs.FileMode, opts ...Option) error {
	return Write(name, perm, func(w io.Writer) error {
		_, err := w.Write(data)
		return err
	}, opts...)
}

// SyncDir fsyncs a directory, so that renames and creations in it survive
// a crash. File systems that cannot fsync a directory (EINVAL: /proc,
// some FUSE and network file systems; ENOTSUP) have nothing more to
// offer, and SyncDir returns nil there: every package that syncs a
// directory goes through here, so they all treat those alike.
func SyncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	if err := d.Sync(); err != nil && !cannotSyncDir(err) {
		return fmt.Errorf("fsync %s: %w", dir, err)
	}
	return nil
}

// cannotSyncDir reports whether err from fsync on a directory means the
// file system does not sync directories, rather than that it failed to.
func cannotSyncDir(err error) bool {
	return errors.Is(err, syscall.EINVAL) || errors.Is(err, syscall.ENOTSUP) || errors.Is(err, syscall.EOPNOTSUPP)
}
