package update_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/wardsec/ward/pkg/audit"
	"github.com/wardsec/ward/pkg/update"
)

func TestUpdateInstallsNewerImage(t *testing.T) {
	e := newEnv(t)
	d := e.device()
	if _, v := d.running(t); v != 1 {
		t.Fatalf("provisioned version %d, want 1", v)
	}
	name := addImage(t, e.repo, 2)
	info, err := d.Update(t.Context(), update.Request{Target: name, Actor: "biomed"})
	if err != nil {
		t.Fatal(err)
	}
	img, v := d.running(t)
	if v != 2 || info.Version != 2 || !bytes.Equal(img, image(2, 4098)) {
		t.Fatalf("running version %d after the update, want 2 with its image", v)
	}
	st, _ := d.Status(t.Context())
	if st.Floor != 2 || st.Active != update.SlotB || st.Pending != "" {
		t.Fatalf("status %+v, want active b, floor 2, nothing pending", st)
	}
	// The verified SBOM is kept beside the slot.
	sb, err := d.slots.SBOM(t.Context(), update.SlotB)
	if err != nil || !bytes.Equal(sb, sbom(t, 2)) {
		t.Fatalf("slot b's SBOM not kept: %v", err)
	}
	if ev := d.audit.last(); ev.Outcome != audit.Success || ev.Object != name || ev.Detail["version"] != "2" || ev.Actor != "biomed" {
		t.Fatalf("audit %+v", ev)
	}
	// The same image again is not an update.
	if _, err := d.Update(t.Context(), update.Request{Target: name}); !errors.Is(err, update.ErrUpToDate) {
		t.Fatalf("reinstall: %v, want ErrUpToDate", err)
	}
}

func TestHealthCheckFailureRollsBack(t *testing.T) {
	e := newEnv(t)
	unhealthy := errors.New("infusion motor self-test failed")
	d := e.device(update.WithHealthCheck(func(_ context.Context, s update.SlotInfo) error {
		if s.Version == 2 {
			return unhealthy
		}
		return nil
	}))
	before, _ := d.running(t)
	_, err := d.Update(t.Context(), update.Request{Target: addImage(t, e.repo, 2)})
	if !errors.Is(err, update.ErrHealthCheck) || !errors.Is(err, unhealthy) {
		t.Fatalf("err = %v, want ErrHealthCheck wrapping the check's error", err)
	}
	img, v := d.running(t)
	if v != 1 || !bytes.Equal(img, before) {
		t.Fatalf("running version %d after a failed health check, want 1", v)
	}
	st, _ := d.Status(t.Context())
	if st.Floor != 1 {
		t.Fatalf("floor %d after rollback, want 1 (never raised for an unhealthy image)", st.Floor)
	}
	if ev := d.audit.last(); ev.Outcome != audit.Failure || ev.Detail["reason"] != "health-check" {
		t.Fatalf("audit %+v", ev)
	}
	// After a reboot the device still runs version 1.
	if s, err := d.Boot(t.Context()); err != nil || s.Version != 1 {
		t.Fatalf("boot after rollback: %+v %v", s, err)
	}
	// A healthy version 3 still installs.
	if _, err := d.Update(t.Context(), update.Request{Target: addImage(t, e.repo, 3)}); err != nil {
		t.Fatal(err)
	}
}

var errPower = errors.New("power cut")

// TestInterruptionAtEveryPhase cuts power at each phase, reboots, and
// checks the device boots a verified image: the old one before the
// switch, and after it either (the trial finishes on the next boot).
func TestInterruptionAtEveryPhase(t *testing.T) {
	for _, tc := range []struct {
		phase   update.Phase
		wantVer uint64 // version running after reboot and Confirm
	}{
		{update.PhaseDownload, 1},
		{update.PhaseWrite, 1},
		{update.PhaseSwitch, 1},
		{update.PhaseHealthCheck, 2},
	} {
		t.Run(string(tc.phase), func(t *testing.T) {
			e := newEnv(t)
			armed := true
			hook := func(_ context.Context, p update.Phase) error {
				if armed && p == tc.phase {
					armed = false
					return errPower
				}
				return nil
			}
			d := e.device(update.WithFaultHook(hook))
			before, _ := d.running(t)
			activeBefore := d.slots.Bytes(update.SlotA)
			_, err := d.Update(t.Context(), update.Request{Target: addImage(t, e.repo, 2)})
			if !errors.Is(err, errPower) {
				t.Fatalf("err = %v, want the injected power cut", err)
			}
			if !bytes.Equal(d.slots.Bytes(update.SlotA), activeBefore) {
				t.Fatal("the running slot was written to")
			}
			// Power comes back: a fresh installer over the same state.
			d2 := e.device()
			d2.slots = d.slots
			d2.Installer = mustInstaller(t, e, d.slots)
			booted, err := d2.Boot(t.Context())
			if err != nil {
				t.Fatalf("boot after a power cut at %s: %v", tc.phase, err)
			}
			if _, err := d2.Confirm(t.Context()); err != nil {
				t.Fatal(err)
			}
			st, _ := d2.Status(t.Context())
			if st.Slot.Version != tc.wantVer {
				t.Fatalf("running version %d after reboot (booted %d), want %d", st.Slot.Version, booted.Version, tc.wantVer)
			}
			// What runs is a verified image: its bytes hash to the state.
			img := d.slots.Bytes(st.Active)
			want := image(tc.wantVer, 4096+int(tc.wantVer))
			if !bytes.Equal(img, want) {
				t.Fatal("the running slot does not hold the verified image")
			}
			if tc.wantVer == 1 && !bytes.Equal(img, before) {
				t.Fatal("the old image changed")
			}
			// And the update can be retried to completion.
			if tc.wantVer == 1 {
				if _, err := d2.Update(t.Context(), update.Request{Target: fwName(2)}); err != nil {
					t.Fatalf("retry: %v", err)
				}
			}
		})
	}
}

func mustInstaller(t *testing.T, e *env, slots update.SlotStore, opts ...update.InstallerOption) *update.Installer {
	t.Helper()
	in, err := update.NewInstaller(e.client(), slots, e.state, append([]update.InstallerOption{update.WithHardware(hw)}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	return in
}

// TestBootAttemptBudget: an image that hangs before its health check
// (power cycles every boot) is abandoned after the budget.
func TestBootAttemptBudget(t *testing.T) {
	e := newEnv(t)
	hang := func(_ context.Context, p update.Phase) error {
		if p == update.PhaseHealthCheck {
			return errPower
		}
		return nil
	}
	d := e.device(update.WithFaultHook(hang), update.WithBootAttempts(2))
	if _, err := d.Update(t.Context(), update.Request{Target: addImage(t, e.repo, 2)}); !errors.Is(err, errPower) {
		t.Fatal(err)
	}
	// Boot 1 spent by Update; boot 2 tries again and hangs again.
	if s, err := d.Boot(t.Context()); err != nil || s.Version != 2 {
		t.Fatalf("second boot: %+v %v, want the trial image", s, err)
	}
	if _, err := d.Confirm(t.Context()); !errors.Is(err, errPower) {
		t.Fatal(err)
	}
	// Budget spent: the bootloader rolls back.
	s, err := d.Boot(t.Context())
	if err != nil || s.Version != 1 {
		t.Fatalf("third boot: %+v %v, want the old image", s, err)
	}
	if ev := d.audit.last(); ev.Action != update.ActionRollback || ev.Detail["reason"] == "" {
		t.Fatalf("audit %+v, want a rollback record", ev)
	}
}

// enospc fails writes after limit bytes with ENOSPC, as a full disk does.
type enospc struct {
	update.MemSlots
	limit int
}

func (s *enospc) Create(ctx context.Context, slot string) (update.SlotWriter, error) {
	w, err := s.MemSlots.Create(ctx, slot)
	if err != nil {
		return nil, err
	}
	return &fullWriter{SlotWriter: w, left: s.limit}, nil
}

type fullWriter struct {
	update.SlotWriter
	left int
}

func (f *fullWriter) Write(p []byte) (int, error) {
	if len(p) > f.left {
		n, _ := f.SlotWriter.Write(p[:f.left])
		f.left = 0
		return n, syscall.ENOSPC
	}
	f.left -= len(p)
	return f.SlotWriter.Write(p)
}

func TestFullDiskDuringInstall(t *testing.T) {
	e := newEnv(t)
	slots := &enospc{limit: 1 << 30}
	d := &device{audit: &recorder{}}
	d.Installer = mustInstaller(t, e, slots, update.WithAuditor(d.audit))
	if err := d.Provision(t.Context(), fwName(1)); err != nil {
		t.Fatal(err)
	}
	d.slots = &slots.MemSlots
	before, _ := d.running(t)
	slots.limit = 1000
	_, err := d.Update(t.Context(), update.Request{Target: addImage(t, e.repo, 2)})
	if !errors.Is(err, syscall.ENOSPC) {
		t.Fatalf("err = %v, want ENOSPC", err)
	}
	if img, v := d.running(t); v != 1 || !bytes.Equal(img, before) {
		t.Fatal("the running image changed after a full disk")
	}
	if errors.Is(err, update.ErrFetch) {
		t.Fatalf("a full disk is not a download failure: %v", err)
	}
	if ev := d.audit.last(); ev.Outcome != audit.Failure || ev.Detail["reason"] != "error" {
		t.Fatalf("audit %+v", ev)
	}
	if s, err := d.Boot(t.Context()); err != nil || s.Version != 1 {
		t.Fatalf("boot after a full disk: %+v %v", s, err)
	}
}

// TestBootRefusesCorruptedSlot: an image altered in its slot after
// install is not booted.
func TestBootRefusesCorruptedSlot(t *testing.T) {
	e := newEnv(t)
	d := e.device()
	if _, err := d.Update(t.Context(), update.Request{Target: addImage(t, e.repo, 2)}); err != nil {
		t.Fatal(err)
	}
	// Corrupt the active slot (b); a is still the good version 1.
	w, _ := d.slots.Create(t.Context(), update.SlotB)
	io.WriteString(w, "rootkit")
	s, err := d.Boot(t.Context())
	if err != nil || s.Version != 1 {
		t.Fatalf("boot with a corrupted active slot: %+v %v, want fallback to version 1", s, err)
	}
	// Corrupt both: nothing verifies, the device says so.
	w, _ = d.slots.Create(t.Context(), update.SlotA)
	io.WriteString(w, "rootkit")
	if _, err := d.Boot(t.Context()); !errors.Is(err, update.ErrNoBootableSlot) {
		t.Fatalf("err = %v, want ErrNoBootableSlot", err)
	}
}

// TestDirSlotsSurviveRestart: slots and state on disk; a new process (a
// restart) boots what the previous one committed, and the state file on
// disk is the documented format.
func TestDirSlotsSurviveRestart(t *testing.T) {
	e := newEnv(t)
	slots := update.DirSlots{Dir: t.TempDir()}
	in := mustInstaller(t, e, slots)
	if err := in.Provision(t.Context(), fwName(1)); err != nil {
		t.Fatal(err)
	}
	if _, err := in.Update(t.Context(), update.Request{Target: addImage(t, e.repo, 2)}); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(e.state, "slots.json"))
	if err != nil {
		t.Fatal(err)
	}
	st, err := update.ParseSlotState(b)
	if err != nil || st.Active != update.SlotB || st.Slots[update.SlotB].Version != 2 {
		t.Fatalf("state on disk %+v, %v", st, err)
	}
	if _, err := update.ParseSBOM(mustRead(t, filepath.Join(slots.Dir, "slot-b.cdx.json"))); err != nil {
		t.Fatal(err)
	}
	restarted := mustInstaller(t, e, slots)
	s, err := restarted.Boot(t.Context())
	if err != nil || s.Version != 2 {
		t.Fatalf("after restart: %+v %v", s, err)
	}
	if !bytes.Equal(mustRead(t, filepath.Join(slots.Dir, "slot-b.img")), image(2, 4098)) {
		t.Fatal("slot b does not hold image 2")
	}
}

// TestCanceledUpdateChangesNothing: the caller gives up mid-update.
func TestCanceledUpdateChangesNothing(t *testing.T) {
	e := newEnv(t)
	d := e.device()
	img, ver := d.running(t)
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	_, err := d.Update(ctx, update.Request{Target: addImage(t, e.repo, 2)})
	d.refused(t, err, update.ErrFetch, img, ver)
	if d.audit.last().Outcome != audit.Failure {
		t.Fatalf("a canceled update is a failure, not a refusal: %+v", d.audit.last())
	}
}

func mustRead(t *testing.T, p string) []byte {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestUpdateDuringTrialNeverWritesRunningSlot: power was cut before the
// health check, the device came back on the new image (on trial), and a
// further update is asked for before anyone confirmed: the trial is
// settled first and the running slot is not overwritten.
func TestUpdateDuringTrialNeverWritesRunningSlot(t *testing.T) {
	e := newEnv(t)
	armed := true
	d := e.device(update.WithFaultHook(func(_ context.Context, p update.Phase) error {
		if armed && p == update.PhaseHealthCheck {
			armed = false
			return errPower
		}
		return nil
	}))
	if _, err := d.Update(t.Context(), update.Request{Target: addImage(t, e.repo, 2)}); !errors.Is(err, errPower) {
		t.Fatal(err)
	}
	st, _ := d.Status(t.Context())
	if st.Running != update.SlotB || st.Pending != update.SlotB {
		t.Fatalf("status %+v, want version 2 on trial in slot b", st)
	}
	running := d.slots.Bytes(update.SlotB)
	if _, err := d.Update(t.Context(), update.Request{Target: addImage(t, e.repo, 3)}); err != nil {
		t.Fatal(err)
	}
	// Version 2 was committed in b, version 3 went to a.
	st, _ = d.Status(t.Context())
	if st.Active != update.SlotA || st.Slot.Version != 3 || st.Floor != 3 {
		t.Fatalf("status %+v, want version 3 active in slot a", st)
	}
	if !bytes.Equal(d.slots.Bytes(update.SlotB), running) {
		t.Fatal("the slot that was running was overwritten")
	}
}

// TestConcurrentUpdates: updates asked for at once are serialized; the
// device ends on the newest image, every outcome audited.
func TestConcurrentUpdates(t *testing.T) {
	e := newEnv(t)
	d := e.device()
	names := []string{addImage(t, e.repo, 2), addImage(t, e.repo, 3)}
	errs := make(chan error, 4)
	for i := range 4 {
		go func() {
			_, err := d.Update(t.Context(), update.Request{Target: names[i%2]})
			errs <- err
		}()
	}
	for range 4 {
		if err := <-errs; err != nil && !errors.Is(err, update.ErrRollback) && !errors.Is(err, update.ErrUpToDate) {
			t.Errorf("unexpected error: %v", err)
		}
	}
	st, err := d.Status(t.Context())
	if err != nil || st.Slot.Version != 3 || st.Floor != 3 {
		t.Fatalf("status %+v %v, want version 3 committed", st, err)
	}
	n := 0
	for _, ev := range d.audit.events {
		if ev.Action == update.ActionInstall {
			n++
		}
	}
	if n != 4 {
		t.Fatalf("%d install events for 4 updates", n)
	}
}
