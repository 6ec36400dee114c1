package backup

import (
	"context"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/wardsec/ward/internal/atomicfile"
	"github.com/wardsec/ward/pkg/atrest"
)

// CreateDir backs up every regular file under dir (symlinks and special
// files are refused, not followed). Files are read into memory: data
// stores of devices are small; the MaxTotalSize limit applies.
func CreateDir(ctx context.Context, dst io.Writer, dir string, created time.Time, wrappers ...atrest.KeyWrapper) (Manifest, error) {
	var files []File
	var total int64
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		if d.IsDir() {
			return nil
		}
		if !d.Type().IsRegular() {
			return fmt.Errorf("backup: %s: not a regular file", p)
		}
		rel, err := filepath.Rel(dir, p)
		if err != nil {
			return err
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		if total += int64(len(data)); total > MaxTotalSize {
			return fmt.Errorf("backup: %s: more than %d bytes", dir, int64(MaxTotalSize))
		}
		files = append(files, File{Name: filepath.ToSlash(rel), Data: data})
		return nil
	})
	if err != nil {
		return Manifest{}, err
	}
	return Write(ctx, dst, dir, created, sortedNames(files), wrappers...)
}

// RestoreStats says what a restore did and how long it took, for the
// recovery-time evidence HIPAA 164.308(a)(7)(ii)(B) asks for.
type RestoreStats struct {
	Files    int
	Bytes    int64
	Duration time.Duration
}

// RestoreDir verifies the backup completely, writes its files to a new
// sibling directory (each file fsynced), and only then swaps it in for dir.
// On any failure dir is left exactly as it was and the staging directory
// is removed. dir need not exist.
func RestoreDir(ctx context.Context, src io.Reader, dir string, unwrappers ...atrest.KeyUnwrapper) (Manifest, RestoreStats, error) {
	start := time.Now()
	m, files, err := Read(ctx, src, unwrappers...)
	if err != nil {
		return Manifest{}, RestoreStats{}, err
	}
	dir = filepath.Clean(dir)
	parent := filepath.Dir(dir)
	stage, err := os.MkdirTemp(parent, "."+filepath.Base(dir)+".restore-*")
	if err != nil {
		return Manifest{}, RestoreStats{}, fmt.Errorf("backup: restore: %w", err)
	}
	ok := false
	defer func() {
		if !ok {
			os.RemoveAll(stage)
		}
	}()
	for _, f := range files {
		p := filepath.Join(stage, filepath.FromSlash(f.Name))
		if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
			return Manifest{}, RestoreStats{}, err
		}
		if err := writeSynced(p, f.Data); err != nil {
			return Manifest{}, RestoreStats{}, err
		}
	}
	if err := atomicfile.SyncDir(stage); err != nil {
		return Manifest{}, RestoreStats{}, err
	}
	// Swap: the old directory moves aside, the new one takes its name, and
	// the old one goes only after the swap landed.
	old := ""
	if _, err := os.Lstat(dir); err == nil {
		old = stage + ".old"
		if err := os.Rename(dir, old); err != nil {
			return Manifest{}, RestoreStats{}, fmt.Errorf("backup: restore: %w", err)
		}
	}
	if err := os.Rename(stage, dir); err != nil {
		if old != "" {
			_ = os.Rename(old, dir) // put the old data back
		}
		return Manifest{}, RestoreStats{}, fmt.Errorf("backup: restore: %w", err)
	}
	ok = true
	if err := atomicfile.SyncDir(parent); err != nil {
		return Manifest{}, RestoreStats{}, err
	}
	if old != "" {
		_ = os.RemoveAll(old)
	}
	return m, RestoreStats{Files: len(files), Bytes: m.Size(), Duration: time.Since(start)}, nil
}

func writeSynced(p string, data []byte) error {
	f, err := os.OpenFile(p, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
