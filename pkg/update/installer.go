package update

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"sync"

	"github.com/wardsec/ward/pkg/audit"
)

// Phase is a step of an install, named for fault injection and audit.
type Phase string

// The phases an install goes through. Interrupting any of them leaves the
// device booting a verified image.
const (
	PhaseDownload    Phase = "download"     // metadata refresh, checks, SBOM
	PhaseWrite       Phase = "write"        // streaming the image into the inactive slot
	PhaseSwitch      Phase = "switch"       // marking the new slot pending in the state file
	PhaseHealthCheck Phase = "health-check" // after booting the new slot, before commit
)

// Audit actions the installer records.
const (
	ActionInstall   = "update.install"
	ActionRollback  = "update.rollback"
	ActionProvision = "update.provision"
)

// Auditor records security events; *audit.Log implements it.
type Auditor interface {
	Append(ctx context.Context, e audit.Event) (audit.Record, error)
}

// HealthCheck decides whether a freshly booted image works. It runs after
// the device booted the new slot; an error rolls back.
type HealthCheck func(ctx context.Context, running SlotInfo) error

// InstallerOption configures an Installer.
type InstallerOption func(*Installer) error

// WithCounter sets the anti-rollback counter (default: a FileCounter at
// STATE/counter.json).
func WithCounter(c Counter) InstallerOption {
	return func(i *Installer) error { i.counter = c; return nil }
}

// WithHardware sets the device's hardware id; images must list it.
func WithHardware(id string) InstallerOption {
	return func(i *Installer) error { i.policy.Hardware = id; return nil }
}

// WithHealthCheck sets the post-boot health check (default: the image
// verifies, nothing more).
func WithHealthCheck(h HealthCheck) InstallerOption {
	return func(i *Installer) error { i.health = h; return nil }
}

// WithBootAttempts sets how many times the bootloader tries a new image
// before it rolls back (default 3, at most 16).
func WithBootAttempts(n int) InstallerOption {
	return func(i *Installer) error {
		if n < 1 || n > maxBootAttempts {
			return fmt.Errorf("update: boot attempts %d not in 1..%d", n, maxBootAttempts)
		}
		i.budget = n
		return nil
	}
}

// WithAuditor records every accepted and refused update.
func WithAuditor(a Auditor) InstallerOption {
	return func(i *Installer) error { i.audit = a; return nil }
}

// WithSBOMOptional accepts images that name no SBOM (see Policy).
func WithSBOMOptional() InstallerOption {
	return func(i *Installer) error { i.policy.SBOMOptional = true; return nil }
}

// WithStateStore keeps the slot state somewhere other than
// STATE/slots.json (simulators keep it in memory). Save must be atomic.
func WithStateStore(s StateStore) InstallerOption {
	return func(i *Installer) error { i.state = s; return nil }
}

// WithSource makes the installer take targets from src instead of a TUF
// refresh of its client. src must verify what it returns (see Source).
func WithSource(src func(ctx context.Context) (Source, error)) InstallerOption {
	return func(i *Installer) error { i.source = src; return nil }
}

// WithFaultHook calls hook at the start of every phase; an error from it
// stops the install on the spot, as a power cut would (no clean-up). For
// tests and simulators that prove interruption safety.
func WithFaultHook(hook func(context.Context, Phase) error) InstallerOption {
	return func(i *Installer) error { i.hook = hook; return nil }
}

// Installer installs verified images into A/B slots: write the inactive
// slot, switch to it, boot it, run the health check, and commit (advancing
// the anti-rollback counter) only when healthy; otherwise roll back. State
// lives in one atomically replaced file, so a crash at any point leaves
// the device booting a verified image. It is safe for concurrent use.
type Installer struct {
	client  *Client
	slots   SlotStore
	state   StateStore
	source  func(context.Context) (Source, error)
	counter Counter
	policy  Policy
	health  HealthCheck
	budget  int
	audit   Auditor
	hook    func(context.Context, Phase) error

	mu      sync.Mutex
	running string // the slot booted last, "" before Boot
}

// NewInstaller returns an installer that keeps its state in stateDir
// (slots.json, counter.json; see docs/update.md) and its images in slots.
// stateDir may be "" when WithStateStore and WithCounter are given.
func NewInstaller(c *Client, slots SlotStore, stateDir string, opts ...InstallerOption) (*Installer, error) {
	if c == nil || slots == nil {
		return nil, errors.New("update: installer needs a client and slots")
	}
	i := &Installer{client: c, slots: slots, budget: 3, policy: Policy{RequireCustom: true}}
	for _, o := range opts {
		if err := o(i); err != nil {
			return nil, err
		}
	}
	if stateDir == "" && (i.state == nil || i.counter == nil) {
		return nil, errors.New("update: installer needs a state directory, or a state store and a counter")
	}
	if stateDir != "" {
		if err := os.MkdirAll(stateDir, 0o700); err != nil {
			return nil, fmt.Errorf("update: state: %w", err)
		}
	}
	if i.state == nil {
		i.state = FileState{Path: filepath.Join(stateDir, "slots.json")}
	}
	if i.counter == nil {
		i.counter = NewFileCounter(filepath.Join(stateDir, "counter.json"))
	}
	if i.source == nil {
		i.source = func(ctx context.Context) (Source, error) { return i.client.Refresh(ctx) }
	}
	i.policy.Floor = i.counter
	return i, nil
}

// Request is one update as asked for: the target and who asked.
type Request struct {
	Target string
	Actor  string // recorded in the audit trail
	Source string
}

// Status is what the device runs.
type Status struct {
	Running string   // the slot booted ("" before the first Boot)
	Active  string   // the committed slot
	Pending string   // a slot on trial
	Slot    SlotInfo // the running (or active) slot's image
	Floor   uint64   // the anti-rollback counter
}

// Status reports the slots and counter.
func (i *Installer) Status(ctx context.Context) (Status, error) {
	i.mu.Lock()
	defer i.mu.Unlock()
	st, ok, err := i.loadState(ctx)
	if err != nil {
		return Status{}, err
	}
	if !ok {
		return Status{}, fmt.Errorf("%w: device not provisioned", ErrNoBootableSlot)
	}
	floor, err := i.counter.Get(ctx)
	if err != nil {
		return Status{}, err
	}
	s := Status{Running: i.running, Active: st.Active, Pending: st.Pending, Floor: floor}
	cur := i.running
	if cur == "" {
		cur = st.Active
	}
	s.Slot = st.Slots[cur]
	return s, nil
}

// Provision installs the factory image name into slot A and commits it,
// with every check an update gets but no health check. It fails when the
// device is already provisioned.
func (i *Installer) Provision(ctx context.Context, name string) error {
	i.mu.Lock()
	defer i.mu.Unlock()
	if _, ok, err := i.loadState(ctx); ok || err != nil {
		return fmt.Errorf("update: provision: already provisioned (%v)", err)
	}
	v, err := i.source(ctx)
	if err != nil {
		return err
	}
	ch, err := CheckTarget(ctx, v, name, i.policy)
	if err != nil {
		return err
	}
	info, err := i.writeSlot(ctx, v, ch, SlotA, nil)
	if err != nil {
		return err
	}
	info.State = StateGood
	if err := i.counter.Advance(ctx, info.Version); err != nil {
		return err
	}
	st := SlotState{Format: slotsFormat, Active: SlotA, Slots: map[string]SlotInfo{SlotA: info, SlotB: {State: StateEmpty}}}
	if err := i.saveState(ctx, st); err != nil {
		return err
	}
	i.running = SlotA
	return i.record(ctx, audit.Event{Actor: "factory", Source: audit.LocalSource, Action: ActionProvision, Object: name, Outcome: audit.Success,
		Detail: map[string]string{"version": strconv.FormatUint(info.Version, 10), "slot": SlotA}})
}

// Update runs a whole update: download and check, write the inactive
// slot, switch, boot it, health-check, commit or roll back. It returns the
// slot the device runs afterwards. A refused update changes nothing and
// returns an error matching its reason's sentinel; a failed health check
// rolls back and returns ErrHealthCheck. Every outcome is audited.
func (i *Installer) Update(ctx context.Context, req Request) (SlotInfo, error) {
	i.mu.Lock()
	defer i.mu.Unlock()
	info, err := i.update(ctx, req)
	if errors.Is(err, errInterrupted) {
		return info, err // power cut: nothing more happens, nothing is recorded
	}
	ev := audit.Event{Actor: req.Actor, Source: req.Source, Action: ActionInstall, Object: req.Target,
		Outcome: audit.Success, Detail: map[string]string{}}
	if ev.Source == "" {
		ev.Source = audit.LocalSource // the device updating itself
	}
	if info.Version != 0 {
		ev.Detail["version"] = strconv.FormatUint(info.Version, 10)
	}
	switch {
	case err == nil:
		ev.Detail["slot"] = i.running
	case refusal(err):
		ev.Outcome = audit.Denied
	default:
		ev.Outcome = audit.Failure
	}
	if err != nil {
		ev.Detail["reason"] = Reason(err)
		ev.Detail["error"] = err.Error()
	}
	if aerr := i.record(ctx, ev); aerr != nil {
		return info, errors.Join(err, aerr)
	}
	return info, err
}

// refusal reports whether err is the device refusing an image by policy
// (recorded as denied), rather than failing to install one (failure).
func refusal(err error) bool {
	for _, e := range []error{ErrUntrusted, ErrExpired, ErrRollback, ErrUpToDate, ErrInconsistent, ErrHashMismatch,
		ErrLength, ErrHardware, ErrNoSBOM, ErrNotFound, ErrMetadata} {
		if errors.Is(err, e) {
			return true
		}
	}
	return false
}

var errInterrupted = errors.New("update: interrupted (simulated power loss)")

func (i *Installer) fault(ctx context.Context, p Phase) error {
	if i.hook == nil {
		return nil
	}
	if err := i.hook(ctx, p); err != nil {
		return fmt.Errorf("%w at %s: %w", errInterrupted, p, err)
	}
	return nil
}

func (i *Installer) update(ctx context.Context, req Request) (SlotInfo, error) {
	st, ok, err := i.loadState(ctx)
	if err != nil {
		return SlotInfo{}, err
	}
	if !ok {
		return SlotInfo{}, fmt.Errorf("%w: device not provisioned", ErrNoBootableSlot)
	}
	// Settle first: a process that has not booted yet boots, and a trial
	// left by an interrupted update finishes (commit or roll back), so
	// the slot written next is never the one running.
	if i.running == "" {
		if _, err := i.boot(ctx); err != nil {
			return SlotInfo{}, err
		}
	}
	if st.Pending != "" {
		if _, err := i.confirm(ctx); err != nil && !errors.Is(err, ErrHealthCheck) {
			return SlotInfo{}, err
		}
		if st, _, err = i.loadState(ctx); err != nil {
			return SlotInfo{}, err
		}
	}
	if otherSlot(st.Active) == i.running {
		return SlotInfo{}, fmt.Errorf("update: slot %s is running and not committed; restart first", i.running)
	}
	if err := i.fault(ctx, PhaseDownload); err != nil {
		return SlotInfo{}, err
	}
	v, err := i.source(ctx)
	if err != nil {
		return SlotInfo{}, err
	}
	ch, err := CheckTarget(ctx, v, req.Target, i.policy)
	if err != nil {
		return SlotInfo{Target: req.Target}, err
	}
	info := SlotInfo{Target: req.Target, Version: ch.Target.Custom.Version}
	if a := st.Slots[st.Active]; a.Version == info.Version && a.SHA256 == ch.Target.SHA256Hex() {
		return info, fmt.Errorf("%w: %s version %d", ErrUpToDate, req.Target, info.Version)
	}
	// The bootloader must never pick the slot being overwritten: drop any
	// trial and mark the slot "writing" durably before touching it.
	target := otherSlot(st.Active)
	st.Pending, st.AttemptsLeft = "", 0
	st.Slots[target] = SlotInfo{State: StateWriting, Target: req.Target, Version: info.Version}
	if err := i.saveState(ctx, st); err != nil {
		return info, err
	}
	written, err := i.writeSlot(ctx, v, ch, target, func() error { return i.fault(ctx, PhaseWrite) })
	if err != nil {
		if errors.Is(err, errInterrupted) {
			return info, err
		}
		st.Slots[target] = SlotInfo{State: StateEmpty}
		return info, errors.Join(err, i.saveState(ctx, st))
	}
	if err := i.fault(ctx, PhaseSwitch); err != nil {
		return info, err
	}
	st.Slots[target] = written
	st.Pending, st.AttemptsLeft = target, i.budget
	if err := i.saveState(ctx, st); err != nil {
		return info, err
	}
	// Reboot into the new slot, as the device would now.
	if _, err := i.boot(ctx); err != nil {
		return info, err
	}
	return i.confirm(ctx)
}

// writeSlot streams the image into slot, verifying length and hashes on
// the way. mid, if set, runs after the first chunk is written.
func (i *Installer) writeSlot(ctx context.Context, v Source, ch Checked, slot string, mid func() error) (SlotInfo, error) {
	rc, err := v.Open(ctx, ch.Target)
	if err != nil {
		return SlotInfo{}, err
	}
	defer rc.Close()
	w, err := i.slots.Create(ctx, slot)
	if err != nil {
		return SlotInfo{}, fmt.Errorf("update: open slot %s: %w", slot, err)
	}
	var dst io.Writer = w
	if mid != nil {
		dst = &midWriter{w: w, mid: mid}
	}
	if err := VerifyStream(rc, dst, ch.Target); err != nil {
		if errors.Is(err, errInterrupted) {
			return SlotInfo{}, err
		}
		return SlotInfo{}, errors.Join(err, w.Abort())
	}
	if err := w.Commit(); err != nil {
		return SlotInfo{}, fmt.Errorf("update: slot %s: %w", slot, err)
	}
	if k, ok := i.slots.(SBOMKeeper); ok && ch.SBOM != nil {
		if err := k.KeepSBOM(ctx, slot, ch.SBOM); err != nil {
			return SlotInfo{}, fmt.Errorf("update: slot %s: keep SBOM: %w", slot, err)
		}
	}
	return SlotInfo{State: StateVerified, Target: ch.Target.Name, Version: ch.Target.Custom.Version,
		Length: ch.Target.Length, SHA256: ch.Target.SHA256Hex(), SBOM: ch.Target.Custom.SBOM}, nil
}

// midWriter calls mid once, after the first write reached the slot.
type midWriter struct {
	w    io.Writer
	mid  func() error
	done bool
}

func (m *midWriter) Write(p []byte) (int, error) {
	n, err := m.w.Write(p)
	if err == nil && !m.done {
		m.done = true
		if herr := m.mid(); herr != nil {
			return n, herr
		}
	}
	return n, err
}

// Boot is the bootloader's choice after a (re)start: a slot on trial while
// it has attempts left (each boot spends one), else the committed slot,
// and in every case only a slot whose image still hashes to what was
// verified. It returns the slot now running.
func (i *Installer) Boot(ctx context.Context) (SlotInfo, error) {
	i.mu.Lock()
	defer i.mu.Unlock()
	return i.boot(ctx)
}

func (i *Installer) boot(ctx context.Context) (SlotInfo, error) {
	st, ok, err := i.loadState(ctx)
	if err != nil {
		return SlotInfo{}, err
	}
	if !ok {
		return SlotInfo{}, fmt.Errorf("%w: device not provisioned", ErrNoBootableSlot)
	}
	if st.Pending != "" {
		p := st.Pending
		if st.AttemptsLeft > 0 && i.intact(ctx, p, st.Slots[p]) == nil {
			st.AttemptsLeft--
			if err := i.saveState(ctx, st); err != nil {
				return SlotInfo{}, err
			}
			i.running = p
			return st.Slots[p], nil
		}
		reason := "boot attempts exhausted before the health check passed"
		if st.AttemptsLeft > 0 {
			reason = "new image no longer verifies"
		}
		bad := st.Slots[p]
		bad.State = StateBad
		st.Slots[p], st.Pending, st.AttemptsLeft = bad, "", 0
		if err := i.saveState(ctx, st); err != nil {
			return SlotInfo{}, err
		}
		if err := i.record(ctx, audit.Event{Actor: "bootloader", Source: audit.LocalSource, Action: ActionRollback, Object: bad.Target,
			Outcome: audit.Failure, Detail: map[string]string{"reason": reason, "slot": p,
				"version": strconv.FormatUint(bad.Version, 10)}}); err != nil {
			return SlotInfo{}, err
		}
	}
	a := st.Active
	if err := i.intact(ctx, a, st.Slots[a]); err != nil {
		// The committed image rotted; the other slot may still hold the
		// previous good one.
		o := otherSlot(a)
		if st.Slots[o].State == StateGood && i.intact(ctx, o, st.Slots[o]) == nil {
			st.Active = o
			if err := i.saveState(ctx, st); err != nil {
				return SlotInfo{}, err
			}
			i.running = o
			return st.Slots[o], nil
		}
		return SlotInfo{}, fmt.Errorf("%w: slot %s: %w", ErrNoBootableSlot, a, err)
	}
	i.running = a
	return st.Slots[a], nil
}

// intact re-hashes slot against what was verified when it was written.
func (i *Installer) intact(ctx context.Context, slot string, si SlotInfo) error {
	if si.State != StateGood && si.State != StateVerified {
		return fmt.Errorf("%w: slot %s is %s", ErrNoBootableSlot, slot, si.State)
	}
	want, err := hex.DecodeString(si.SHA256)
	if err != nil {
		return fmt.Errorf("%w: %w", ErrState, err)
	}
	rc, err := i.slots.Open(ctx, slot)
	if err != nil {
		return err
	}
	defer rc.Close()
	return VerifyStream(rc, io.Discard, Target{Name: "slot " + slot, Length: si.Length, Hashes: map[string][]byte{"sha256": want}})
}

// Confirm runs the health check on a slot on trial and commits or rolls
// back. After Boot picked a pending slot (say after a power cut during the
// health check), call Confirm to finish the update. With nothing on trial
// it returns the running slot.
func (i *Installer) Confirm(ctx context.Context) (SlotInfo, error) {
	i.mu.Lock()
	defer i.mu.Unlock()
	return i.confirm(ctx)
}

func (i *Installer) confirm(ctx context.Context) (SlotInfo, error) {
	st, _, err := i.loadState(ctx)
	if err != nil {
		return SlotInfo{}, err
	}
	if st.Pending == "" || i.running != st.Pending {
		return st.Slots[st.Active], nil
	}
	p := st.Pending
	info := st.Slots[p]
	if err := i.fault(ctx, PhaseHealthCheck); err != nil {
		return info, err
	}
	var herr error
	if i.health != nil {
		herr = i.health(ctx, info)
	}
	if herr != nil {
		bad := info
		bad.State = StateBad
		st.Slots[p], st.Pending, st.AttemptsLeft = bad, "", 0
		if err := i.saveState(ctx, st); err != nil {
			return info, err
		}
		i.running = st.Active
		return info, fmt.Errorf("%w: %s version %d: %w", ErrHealthCheck, info.Target, info.Version, herr)
	}
	// Raise the floor first: a crash between the two writes leaves the
	// new image on trial with the floor at its version, which the next
	// Confirm commits.
	if err := i.counter.Advance(ctx, info.Version); err != nil {
		return info, err
	}
	info.State = StateGood
	st.Slots[p], st.Active, st.Pending, st.AttemptsLeft = info, p, "", 0
	if err := i.saveState(ctx, st); err != nil {
		return info, err
	}
	return info, nil
}

func (i *Installer) record(ctx context.Context, e audit.Event) error {
	if i.audit == nil {
		return nil
	}
	if _, err := i.audit.Append(ctx, e); err != nil {
		return fmt.Errorf("update: audit: %w", err)
	}
	return nil
}
