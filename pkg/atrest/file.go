package atrest

import (
	"context"
	"fmt"
	"io"
	"io/fs"
	"os"

	"github.com/wardsec/ward/internal/atomicfile"
)

// WriteFileAtomic replaces (or creates) name with what write writes, so
// that at every instant, a crash included, name holds either the old
// contents or the new ones, whole. It writes to a temporary file in the
// same directory (".NAME.tmp-*", mode perm), fsyncs it, renames it over
// name and fsyncs the directory. If write returns an error, nothing
// changes at name and the temporary file is removed. A process killed
// mid-write can leave the temporary file behind, never a partial name.
//
// The guarantee assumes a file system and disk that honour fsync (ext4,
// xfs, f2fs with barriers).
func WriteFileAtomic(name string, perm fs.FileMode, write func(w io.Writer) error) error {
	return writeAtomic(name, perm, false, write)
}

// testHookBeforeRename, when set by tests, runs after the temporary file
// is complete and synced, before the rename.
var testHookBeforeRename func(tmp string) error

func writeAtomic(name string, perm fs.FileMode, noReplace bool, write func(w io.Writer) error) error {
	var opts []atomicfile.Option
	if noReplace {
		opts = append(opts, atomicfile.NoReplace())
	}
	if testHookBeforeRename != nil {
		opts = append(opts, atomicfile.BeforeCommit(testHookBeforeRename))
	}
	return atomicfile.Write(name, perm, write, opts...)
}

func syncDir(dir string) error { return atomicfile.SyncDir(dir) }

// WriteFile seals data (as Seal does) and writes it to name crash-safely
// (WriteFileAtomic, mode 0600).
func WriteFile(ctx context.Context, name string, data []byte, wrappers ...KeyWrapper) error {
	sealed, err := Seal(ctx, data, wrappers...)
	if err != nil {
		return err
	}
	if err := WriteFileAtomic(name, 0o600, func(w io.Writer) error {
		_, err := w.Write(sealed)
		return err
	}); err != nil {
		return fmt.Errorf("atrest: write %s: %w", name, err)
	}
	return nil
}

// ReadFile reads and opens the sealed file name (as Open does): it returns
// the plaintext only if the whole file authenticates.
func ReadFile(ctx context.Context, name string, unwrappers ...KeyUnwrapper) ([]byte, error) {
	b, err := os.ReadFile(name)
	if err != nil {
		return nil, fmt.Errorf("atrest: %w", err)
	}
	pt, err := Open(ctx, b, unwrappers...)
	if err != nil {
		return nil, fmt.Errorf("%w (%s)", err, name)
	}
	return pt, nil
}

// ReencryptFile replaces the sealed file name with a new sealing of its
// plaintext under a fresh data key and file id, wrapped to wrappers
// (opts may be nil). Unlike RewrapFile it touches every byte, and
// afterwards no old wrapped key or old data key opens the file. It is
// crash-safe, and if any chunk fails to authenticate the old file stays.
func ReencryptFile(ctx context.Context, name string, unwrappers []KeyUnwrapper, opts *Options, wrappers ...KeyWrapper) error {
	f, err := os.Open(name)
	if err != nil {
		return fmt.Errorf("atrest: %w", err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return fmt.Errorf("atrest: %w", err)
	}
	err = WriteFileAtomic(name, st.Mode().Perm(), func(w io.Writer) error {
		return Reencrypt(ctx, w, f, unwrappers, opts, wrappers...)
	})
	if err != nil {
		return fmt.Errorf("atrest: reencrypt %s: %w", name, err)
	}
	return nil
}

// Reencrypt reads the sealed stream src and writes to dst the same
// plaintext sealed under a fresh data key wrapped to wrappers (opts may be
// nil). dst receives sealed chunks as src authenticates; if src turns out
// damaged the error is returned and dst holds an incomplete stream that
// does not open (ReencryptFile discards it).
func Reencrypt(ctx context.Context, dst io.Writer, src io.Reader, unwrappers []KeyUnwrapper, opts *Options, wrappers ...KeyWrapper) error {
	r, err := NewReader(ctx, src, opts, unwrappers...)
	if err != nil {
		return err
	}
	w, err := NewWriter(ctx, dst, opts, wrappers...)
	if err != nil {
		return err
	}
	if _, err := r.WriteTo(w); err != nil {
		return err
	}
	return w.Close()
}
