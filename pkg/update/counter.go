package update

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
)

// Counter is a monotonic anti-rollback counter: the lowest image version
// the device will still install. It may only go up.
//
// FileCounter keeps it in a file, which an attacker with write access to
// the file system can reset. On hardware, back it with something that
// cannot be decremented: a TPM 2.0 NV index of type TPM_NT_COUNTER
// (TPM2_NV_Increment, read with TPM2_NV_Read; Advance increments until the
// value is reached), or one-time-programmable eFuses (burn one fuse per
// version step; Get counts burnt fuses). Advance must be durable before it
// returns: the installer commits an image only after it.
type Counter interface {
	// Get returns the current floor (0 when never set).
	Get(ctx context.Context) (uint64, error)
	// Advance raises the floor to v. A v below the current floor fails
	// with ErrRollback and changes nothing; v equal to it is a no-op.
	Advance(ctx context.Context, v uint64) error
}

// counterFormat is the format tag of the counter file (docs/update.md).
const counterFormat = "ward/update-counter/v1"

type counterFile struct {
	Format  string `json:"format"`
	Version uint64 `json:"version"`
}

// FileCounter is the file-backed Counter: one small JSON file replaced
// atomically (temp, fsync, rename), so a power cut leaves the old or the
// new value. It is safe for concurrent use within one process.
type FileCounter struct {
	mu   sync.Mutex
	path string
}

// NewFileCounter returns a counter stored at path (created on first Advance).
func NewFileCounter(path string) *FileCounter { return &FileCounter{path: path} }

// Get implements Counter.
func (c *FileCounter) Get(context.Context) (uint64, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.load()
}

func (c *FileCounter) load() (uint64, error) {
	b, err := os.ReadFile(c.path)
	if errors.Is(err, fs.ErrNotExist) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("update: counter: %w", err)
	}
	return ParseCounter(b)
}

// ParseCounter decodes a counter file (docs/update.md).
func ParseCounter(b []byte) (uint64, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	var f counterFile
	if err := dec.Decode(&f); err != nil {
		return 0, fmt.Errorf("%w: counter file: %w", ErrState, err)
	}
	if dec.More() {
		return 0, fmt.Errorf("%w: counter file: trailing data", ErrState)
	}
	if f.Format != counterFormat {
		return 0, fmt.Errorf("%w: counter file: format %q, want %q", ErrState, f.Format, counterFormat)
	}
	return f.Version, nil
}

// EncodeCounter encodes a counter file.
func EncodeCounter(v uint64) []byte {
	b, _ := json.Marshal(counterFile{Format: counterFormat, Version: v})
	return append(b, '\n')
}

// Advance implements Counter.
func (c *FileCounter) Advance(_ context.Context, v uint64) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	cur, err := c.load()
	if err != nil {
		return err
	}
	switch {
	case v < cur:
		return fmt.Errorf("%w: counter is at %d, cannot go back to %d", ErrRollback, cur, v)
	case v == cur:
		return nil
	}
	if err := os.MkdirAll(filepath.Dir(c.path), 0o700); err != nil {
		return fmt.Errorf("update: counter: %w", err)
	}
	if err := writeFileAtomic(c.path, EncodeCounter(v), 0o600); err != nil {
		return fmt.Errorf("update: counter: %w", err)
	}
	return nil
}

// MemCounter is an in-memory Counter for tests and simulators.
type MemCounter struct {
	mu sync.Mutex
	v  uint64
}

// Get implements Counter.
func (c *MemCounter) Get(context.Context) (uint64, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.v, nil
}

// Advance implements Counter.
func (c *MemCounter) Advance(_ context.Context, v uint64) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if v < c.v {
		return fmt.Errorf("%w: counter is at %d, cannot go back to %d", ErrRollback, c.v, v)
	}
	c.v = v
	return nil
}
