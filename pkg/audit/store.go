package audit

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"sync"

	"github.com/wardsec/ward/internal/atomicfile"
)

// Store persists the two files of a log: the record lines and the signed
// checkpoint (chain head).
type Store interface {
	// Load returns both files; both empty for a new log.
	Load(ctx context.Context) (log, checkpoint []byte, err error)
	// Append adds one record line, including its trailing '\n'. It must be
	// durable when Append returns.
	Append(ctx context.Context, line []byte) error
	// SaveCheckpoint replaces the checkpoint atomically: a crash leaves the
	// old one or the new one, never a mix.
	SaveCheckpoint(ctx context.Context, cp []byte) error
}

// Truncater is a Store that can cut the log file to size bytes. Open uses
// it only to drop a torn last line after a crash; a Store without it makes
// Open refuse such a log instead.
type Truncater interface {
	Truncate(ctx context.Context, size int64) error
}

// MemStore keeps a log in memory, for tests and simulated devices. It is
// safe for concurrent use. Its setters let tests play the attacker.
type MemStore struct {
	mu  sync.Mutex
	log []byte
	cp  []byte
}

// NewMemStore returns an empty MemStore.
func NewMemStore() *MemStore { return &MemStore{} }

// Load implements Store.
func (m *MemStore) Load(context.Context) ([]byte, []byte, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return slices.Clone(m.log), slices.Clone(m.cp), nil
}

// Append implements Store.
func (m *MemStore) Append(_ context.Context, line []byte) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.log = append(m.log, line...)
	return nil
}

// SaveCheckpoint implements Store.
func (m *MemStore) SaveCheckpoint(_ context.Context, cp []byte) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.cp = slices.Clone(cp)
	return nil
}

// Truncate implements Truncater.
func (m *MemStore) Truncate(_ context.Context, size int64) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if size < 0 || size > int64(len(m.log)) {
		return fmt.Errorf("audit: memstore: truncate to %d of %d bytes", size, len(m.log))
	}
	m.log = m.log[:size:size]
	return nil
}

// LogBytes returns a copy of the log file.
func (m *MemStore) LogBytes() []byte {
	m.mu.Lock()
	defer m.mu.Unlock()
	return slices.Clone(m.log)
}

// CheckpointBytes returns a copy of the checkpoint file.
func (m *MemStore) CheckpointBytes() []byte {
	m.mu.Lock()
	defer m.mu.Unlock()
	return slices.Clone(m.cp)
}

// SetLog replaces the log file (tests, tampering).
func (m *MemStore) SetLog(b []byte) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.log = slices.Clone(b)
}

// SetCheckpoint replaces the checkpoint file (tests, tampering).
func (m *MemStore) SetCheckpoint(b []byte) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.cp = slices.Clone(b)
}

// File names inside a FileStore directory.
const (
	LogFileName        = "log.jsonl"
	CheckpointFileName = "checkpoint.json"
	tempPattern        = "checkpoint-*.tmp"
)

// FileStore keeps a log in a directory: LogFileName, appended with
// O_APPEND and fsynced per record, and CheckpointFileName, replaced by
// writing a temp file, fsyncing it, renaming it over the old one and
// fsyncing the directory.
//
// Crash safety: the record's fsync completes before the checkpoint is
// replaced, so a checkpoint never signs a record that is not on disk. A
// crash can leave (a) a torn last line, never acknowledged to a caller, or
// (b) one whole record whose checkpoint was not yet renamed into place;
// Open repairs both and records that it did. The rename makes the
// checkpoint old-or-new, and the directory fsync makes the rename (and a
// newly created log file) survive power loss. These guarantees assume a
// file system and disk that honour fsync (ext4, xfs, f2fs with barriers);
// storage that acknowledges writes it has only cached voids them.
//
// A FileStore is safe for concurrent use; only one process should write a
// directory.
type FileStore struct {
	dir string
	mu  sync.Mutex
	f   *os.File // log file, opened on first Append
}

// NewFileStore uses dir, creating it (mode 0700) if needed, and removes
// checkpoint temp files a crash left behind.
func NewFileStore(dir string) (*FileStore, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("audit: filestore: %w", err)
	}
	st, err := os.Stat(dir)
	if err != nil {
		return nil, fmt.Errorf("audit: filestore: %w", err)
	}
	if !st.IsDir() {
		return nil, fmt.Errorf("audit: filestore: %s is not a directory", dir)
	}
	stale, _ := filepath.Glob(filepath.Join(dir, tempPattern))
	for _, p := range stale {
		_ = os.Remove(p) // best effort: a leftover temp file is harmless
	}
	return &FileStore{dir: dir}, nil
}

// LogPath is the path of the record file.
func (s *FileStore) LogPath() string { return filepath.Join(s.dir, LogFileName) }

// CheckpointPath is the path of the checkpoint file.
func (s *FileStore) CheckpointPath() string { return filepath.Join(s.dir, CheckpointFileName) }

// Load implements Store. Missing files read as empty.
func (s *FileStore) Load(context.Context) ([]byte, []byte, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	log, err := readOptional(s.LogPath())
	if err != nil {
		return nil, nil, err
	}
	cp, err := readOptional(s.CheckpointPath())
	if err != nil {
		return nil, nil, err
	}
	return log, cp, nil
}

func readOptional(path string) ([]byte, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("audit: filestore: %w", err)
	}
	return b, nil
}

// Append implements Store: one write of the whole line, then fsync. It
// ignores ctx: a local write cannot be abandoned halfway without tearing
// the line, and Log.Append checks ctx before it gets here.
func (s *FileStore) Append(_ context.Context, line []byte) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.f == nil {
		_, statErr := os.Stat(s.LogPath())
		f, err := os.OpenFile(s.LogPath(), os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
		if err != nil {
			return fmt.Errorf("audit: filestore: %w", err)
		}
		if errors.Is(statErr, fs.ErrNotExist) {
			if err := atomicfile.SyncDir(s.dir); err != nil {
				f.Close()
				return fmt.Errorf("audit: filestore: %w", err)
			}
		}
		s.f = f
	}
	if _, err := s.f.Write(line); err != nil {
		return fmt.Errorf("audit: filestore: append: %w", err)
	}
	if err := s.f.Sync(); err != nil {
		return fmt.Errorf("audit: filestore: fsync log: %w", err)
	}
	return nil
}

// SaveCheckpoint implements Store: temp file, fsync, rename, fsync dir.
func (s *FileStore) SaveCheckpoint(ctx context.Context, cp []byte) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	tmp, err := os.CreateTemp(s.dir, tempPattern)
	if err != nil {
		return fmt.Errorf("audit: filestore: checkpoint: %w", err)
	}
	done := false
	defer func() {
		if !done {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	if _, err := tmp.Write(cp); err != nil {
		return fmt.Errorf("audit: filestore: checkpoint: %w", err)
	}
	if err := tmp.Sync(); err != nil {
		return fmt.Errorf("audit: filestore: fsync checkpoint: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("audit: filestore: checkpoint: %w", err)
	}
	if err := os.Rename(tmp.Name(), s.CheckpointPath()); err != nil {
		return fmt.Errorf("audit: filestore: checkpoint: %w", err)
	}
	done = true
	if err := atomicfile.SyncDir(s.dir); err != nil {
		return fmt.Errorf("audit: filestore: checkpoint: %w", err)
	}
	return nil
}

// Truncate implements Truncater.
func (s *FileStore) Truncate(_ context.Context, size int64) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	f, err := os.OpenFile(s.LogPath(), os.O_WRONLY, 0)
	if err != nil {
		return fmt.Errorf("audit: filestore: truncate: %w", err)
	}
	defer f.Close()
	if err := f.Truncate(size); err != nil {
		return fmt.Errorf("audit: filestore: truncate: %w", err)
	}
	if err := f.Sync(); err != nil {
		return fmt.Errorf("audit: filestore: fsync log: %w", err)
	}
	return nil
}

// Close releases the log file handle. The store may be used again after
// Close; it reopens the file on the next Append.
func (s *FileStore) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.f == nil {
		return nil
	}
	err := s.f.Close()
	s.f = nil
	return err
}
