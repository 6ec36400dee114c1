package update

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
)

// Slot names. A device has two: one runs, the other receives updates.
const (
	SlotA = "a"
	SlotB = "b"
)

func otherSlot(s string) string {
	if s == SlotA {
		return SlotB
	}
	return SlotA
}

// SlotStore holds the two images (A/B partitions). Writes need not be
// atomic: the installer boots only a slot the state file marks verified,
// and re-checks its hash before booting it.
type SlotStore interface {
	// Create starts replacing slot's content.
	Create(ctx context.Context, slot string) (SlotWriter, error)
	// Open reads slot's content.
	Open(ctx context.Context, slot string) (io.ReadCloser, error)
}

// SlotWriter receives a new image. Commit makes the bytes durable (fsync);
// Abort gives up (the slot's content is then undefined, and unused).
type SlotWriter interface {
	io.Writer
	Commit() error
	Abort() error
}

// DirSlots keeps slot images as files slot-a.img and slot-b.img in a
// directory: for tests, and for devices whose slots are files on a
// partition.
type DirSlots struct{ Dir string }

func (d DirSlots) path(slot string) (string, error) {
	if slot != SlotA && slot != SlotB {
		return "", fmt.Errorf("update: no slot %q", slot)
	}
	return filepath.Join(d.Dir, "slot-"+slot+".img"), nil
}

// Create implements SlotStore.
func (d DirSlots) Create(_ context.Context, slot string) (SlotWriter, error) {
	p, err := d.path(slot)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(d.Dir, 0o700); err != nil {
		return nil, err
	}
	f, err := os.OpenFile(p, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return nil, err
	}
	return fileSlot{f}, nil
}

// Open implements SlotStore.
func (d DirSlots) Open(_ context.Context, slot string) (io.ReadCloser, error) {
	p, err := d.path(slot)
	if err != nil {
		return nil, err
	}
	return os.Open(p)
}

type fileSlot struct{ f *os.File }

func (s fileSlot) Write(p []byte) (int, error) { return s.f.Write(p) }
func (s fileSlot) Commit() error {
	if err := s.f.Sync(); err != nil {
		s.f.Close()
		return err
	}
	return s.f.Close()
}
func (s fileSlot) Abort() error { return s.f.Close() }

// MemSlots keeps slot images in memory (simulators, tests). The zero value
// is ready to use.
type MemSlots struct {
	mu    sync.Mutex
	slots map[string][]byte
	sboms map[string][]byte
}

// Create implements SlotStore. The slot is cleared at once, as a partition
// being overwritten is.
func (m *MemSlots) Create(_ context.Context, slot string) (SlotWriter, error) {
	if slot != SlotA && slot != SlotB {
		return nil, fmt.Errorf("update: no slot %q", slot)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.slots == nil {
		m.slots = map[string][]byte{}
	}
	m.slots[slot] = nil
	return &memSlot{m: m, slot: slot}, nil
}

// Open implements SlotStore.
func (m *MemSlots) Open(_ context.Context, slot string) (io.ReadCloser, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return io.NopCloser(bytes.NewReader(m.slots[slot])), nil
}

// Bytes returns a copy of slot's content.
func (m *MemSlots) Bytes(slot string) []byte {
	m.mu.Lock()
	defer m.mu.Unlock()
	return bytes.Clone(m.slots[slot])
}

type memSlot struct {
	m    *MemSlots
	slot string
}

func (w *memSlot) Write(p []byte) (int, error) {
	w.m.mu.Lock()
	defer w.m.mu.Unlock()
	w.m.slots[w.slot] = append(w.m.slots[w.slot], p...)
	return len(p), nil
}
func (w *memSlot) Commit() error { return nil }
func (w *memSlot) Abort() error  { return nil }

// Slot states in the slot state file (docs/update.md).
const (
	StateEmpty    = "empty"    // nothing usable
	StateWriting  = "writing"  // an install was writing here; never boot it
	StateVerified = "verified" // written and verified; on trial until committed
	StateGood     = "good"     // committed (passed its health check)
	StateBad      = "bad"      // failed its health check or boot budget
)

// SlotInfo is one slot in the state file.
type SlotInfo struct {
	State   string `json:"state"`
	Target  string `json:"target,omitempty"`
	Version uint64 `json:"version,omitempty"`
	Length  int64  `json:"length,omitempty"`
	SHA256  string `json:"sha256,omitempty"`
	SBOM    string `json:"sbom,omitempty"` // the SBOM target name
}

// SlotState is the slot state file, slots.json: which slot runs, which is
// on trial, and how many boot attempts the trial has left.
type SlotState struct {
	Format string `json:"format"`
	// Active is the committed slot the device falls back to.
	Active string `json:"active"`
	// Pending is the slot on trial ("" when none).
	Pending string `json:"pending,omitempty"`
	// AttemptsLeft is how many more times the bootloader may try Pending.
	AttemptsLeft int                 `json:"attempts_left"`
	Slots        map[string]SlotInfo `json:"slots"`
}

const slotsFormat = "ward/update-slots/v1"

// ParseSlotState decodes and validates a slot state file. Anything
// inconsistent fails with ErrState.
func ParseSlotState(b []byte) (SlotState, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	var s SlotState
	if err := dec.Decode(&s); err != nil {
		return SlotState{}, fmt.Errorf("%w: slots file: %w", ErrState, err)
	}
	if dec.More() {
		return SlotState{}, fmt.Errorf("%w: slots file: trailing data", ErrState)
	}
	if err := s.validate(); err != nil {
		return SlotState{}, err
	}
	return s, nil
}

func (s SlotState) validate() error {
	bad := func(f string, a ...any) error {
		return fmt.Errorf("%w: slots file: "+f, append([]any{ErrState}, a...)...)
	}
	if s.Format != slotsFormat {
		return bad("format %q, want %q", s.Format, slotsFormat)
	}
	if s.Active != SlotA && s.Active != SlotB {
		return bad("active slot %q", s.Active)
	}
	if len(s.Slots) != 2 {
		return bad("%d slots, want a and b", len(s.Slots))
	}
	for name, si := range s.Slots {
		if name != SlotA && name != SlotB {
			return bad("unknown slot %q", name)
		}
		switch si.State {
		case StateEmpty, StateWriting, StateBad:
		case StateVerified, StateGood:
			if d, err := hex.DecodeString(si.SHA256); err != nil || len(d) != 32 || si.Length < 0 || si.Target == "" {
				return bad("slot %s: %s without target, length and sha256", name, si.State)
			}
		default:
			return bad("slot %s: state %q", name, si.State)
		}
	}
	if s.Slots[s.Active].State != StateGood {
		return bad("active slot %s is %q, not good", s.Active, s.Slots[s.Active].State)
	}
	switch {
	case s.Pending == "":
		if s.AttemptsLeft != 0 {
			return bad("attempts without a pending slot")
		}
	case s.Pending == s.Active || (s.Pending != SlotA && s.Pending != SlotB):
		return bad("pending slot %q", s.Pending)
	case s.Slots[s.Pending].State != StateVerified:
		return bad("pending slot %s is %q, not verified", s.Pending, s.Slots[s.Pending].State)
	case s.AttemptsLeft < 0 || s.AttemptsLeft > maxBootAttempts:
		return bad("attempts_left %d", s.AttemptsLeft)
	}
	return nil
}

const maxBootAttempts = 16

// Encode returns the canonical encoding of s.
func (s SlotState) Encode() []byte {
	b, _ := json.MarshalIndent(s, "", "  ")
	return append(b, '\n')
}

// StateStore keeps the slot state file. Save must replace the content
// atomically (all or nothing), as a power cut may come at any time.
type StateStore interface {
	// Load returns the stored state, nil when there is none yet.
	Load(ctx context.Context) ([]byte, error)
	Save(ctx context.Context, b []byte) error
}

// FileState is the default StateStore: one file replaced by temp file,
// fsync and rename.
type FileState struct{ Path string }

// Load implements StateStore.
func (f FileState) Load(context.Context) ([]byte, error) {
	b, err := os.ReadFile(f.Path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	return b, err
}

// Save implements StateStore.
func (f FileState) Save(_ context.Context, b []byte) error { return writeFileAtomic(f.Path, b, 0o600) }

// MemState is an in-memory StateStore (simulators, tests).
type MemState struct {
	mu sync.Mutex
	b  []byte
}

// Load implements StateStore.
func (m *MemState) Load(context.Context) ([]byte, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return bytes.Clone(m.b), nil
}

// Save implements StateStore.
func (m *MemState) Save(_ context.Context, b []byte) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.b = bytes.Clone(b)
	return nil
}

func (i *Installer) loadState(ctx context.Context) (SlotState, bool, error) {
	b, err := i.state.Load(ctx)
	if err != nil {
		return SlotState{}, false, fmt.Errorf("update: state: %w", err)
	}
	if b == nil {
		return SlotState{}, false, nil
	}
	s, err := ParseSlotState(b)
	return s, err == nil, err
}

func (i *Installer) saveState(ctx context.Context, s SlotState) error {
	if err := s.validate(); err != nil {
		return err // a bug: never persist a state the loader would refuse
	}
	if err := i.state.Save(ctx, s.Encode()); err != nil {
		return fmt.Errorf("update: save state: %w", err)
	}
	return nil
}

// SBOMKeeper is a SlotStore that also keeps each slot's verified SBOM, so
// the device can report the SBOM of what it runs. The installer calls
// KeepSBOM after writing a slot.
type SBOMKeeper interface {
	KeepSBOM(ctx context.Context, slot string, sbom []byte) error
	SBOM(ctx context.Context, slot string) ([]byte, error)
}

// KeepSBOM implements SBOMKeeper (file slot-X.cdx.json).
func (d DirSlots) KeepSBOM(_ context.Context, slot string, sbom []byte) error {
	p, err := d.path(slot)
	if err != nil {
		return err
	}
	return writeFileAtomic(strings.TrimSuffix(p, ".img")+".cdx.json", sbom, 0o600)
}

// SBOM implements SBOMKeeper.
func (d DirSlots) SBOM(_ context.Context, slot string) ([]byte, error) {
	p, err := d.path(slot)
	if err != nil {
		return nil, err
	}
	return os.ReadFile(strings.TrimSuffix(p, ".img") + ".cdx.json")
}

// KeepSBOM implements SBOMKeeper.
func (m *MemSlots) KeepSBOM(_ context.Context, slot string, sbom []byte) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.sboms == nil {
		m.sboms = map[string][]byte{}
	}
	m.sboms[slot] = bytes.Clone(sbom)
	return nil
}

// SBOM implements SBOMKeeper.
func (m *MemSlots) SBOM(_ context.Context, slot string) ([]byte, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return bytes.Clone(m.sboms[slot]), nil
}
