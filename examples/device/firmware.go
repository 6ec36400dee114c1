package main

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"

	"github.com/wardsec/ward/pkg/access"
	"github.com/wardsec/ward/pkg/audit"
	"github.com/wardsec/ward/pkg/device"
	"github.com/wardsec/ward/pkg/update"
)

// hardwareID is the board the thermometer's images must be built for
// (custom.ward.hardware in the signed targets metadata).
const hardwareID = "ACME-T200-REV-B"

// imageMagic starts every T-200 firmware image; the health check looks for
// it in the image it just booted (a stand-in for the real self-test:
// sensor calibration, watchdog, display).
const imageMagic = "ACME-T200-FW\n"

// firmware is the thermometer's update client: TUF verification, the
// anti-rollback counter and the A/B slots, all from pkg/update, with its
// state in DATA/firmware (docs/update.md):
//
//	firmware/metadata/   trusted TUF metadata
//	firmware/counter.json  firmware/slots.json
//	firmware/slots/      slot-a.img, slot-b.img and their SBOMs
type firmware struct {
	inst  *update.Installer
	slots update.DirSlots

	mu   sync.Mutex
	last string // the last update's result: "installed" or a refusal reason
}

// sourced records pkg/update's events in the device's log, naming the
// update subsystem when the installer leaves the source empty (the
// bootloader, provisioning).
type sourced struct {
	log    *audit.Log
	source string
}

func (s sourced) Append(ctx context.Context, e audit.Event) (audit.Record, error) {
	if e.Source == "" {
		e.Source = s.source
	}
	return s.log.Append(ctx, e)
}

// newFirmware opens the update state in dir, provisions the factory image
// on first start, and boots: the bootloader picks a verified slot and an
// update left on trial by a power cut finishes its health check.
func newFirmware(ctx context.Context, dir, repoURL string, root []byte, factory string, hc *http.Client, log *audit.Log) (*firmware, error) {
	state := filepath.Join(dir, "firmware")
	f := &firmware{slots: update.DirSlots{Dir: filepath.Join(state, "slots")}}
	if err := os.MkdirAll(f.slots.Dir, 0o700); err != nil {
		return nil, err
	}
	// Metadata at repoURL, targets at repoURL/targets (go-tuf's layout,
	// which pkg/update/repo serves).
	client, err := update.NewClient(root, repoURL, update.WithStateDir(state),
		update.WithFetcher(update.NewHTTPFetcher(hc)))
	if err != nil {
		return nil, fmt.Errorf("firmware: %w", err)
	}
	f.inst, err = update.NewInstaller(client, f.slots, state,
		update.WithHardware(hardwareID),
		update.WithHealthCheck(f.healthCheck),
		update.WithAuditor(sourced{log, "firmware-update"}))
	if err != nil {
		return nil, fmt.Errorf("firmware: %w", err)
	}
	if _, err := f.inst.Status(ctx); errors.Is(err, update.ErrNoBootableSlot) {
		// Nothing installed yet: the factory writes the first image, with
		// every check an update gets.
		if factory == "" {
			return nil, errors.New("firmware: not provisioned: name the factory image (--update-factory)")
		}
		if err := f.inst.Provision(ctx, factory); err != nil {
			return nil, fmt.Errorf("firmware: provision %s: %w", factory, err)
		}
	} else if err != nil {
		return nil, fmt.Errorf("firmware: %w", err)
	}
	if _, err := f.inst.Boot(ctx); err != nil {
		return nil, fmt.Errorf("firmware: boot: %w", err)
	}
	if _, err := f.inst.Confirm(ctx); err != nil && !errors.Is(err, update.ErrHealthCheck) {
		return nil, fmt.Errorf("firmware: %w", err)
	}
	return f, nil
}

// healthCheck runs on the freshly booted image: it must be a T-200 image.
// Any error rolls the device back to the image it ran before.
func (f *firmware) healthCheck(ctx context.Context, running update.SlotInfo) error {
	slot, err := f.slotHolding(ctx, running)
	if err != nil {
		return err
	}
	rc, err := f.slots.Open(ctx, slot)
	if err != nil {
		return err
	}
	defer rc.Close()
	head := make([]byte, len(imageMagic))
	if _, err := io.ReadFull(rc, head); err != nil || string(head) != imageMagic {
		return fmt.Errorf("self-test: %s is not a T-200 image", running.Target)
	}
	return nil
}

// slotHolding finds the slot whose content hashes to info's digest.
func (f *firmware) slotHolding(ctx context.Context, info update.SlotInfo) (string, error) {
	want, err := hex.DecodeString(info.SHA256)
	if err != nil {
		return "", fmt.Errorf("%w: %w", update.ErrState, err)
	}
	for _, s := range []string{update.SlotA, update.SlotB} {
		rc, err := f.slots.Open(ctx, s)
		if err != nil {
			continue
		}
		err = update.VerifyStream(rc, io.Discard, update.Target{Name: "slot " + s, Length: info.Length,
			Hashes: map[string][]byte{"sha256": want}})
		rc.Close()
		if err == nil {
			return s, nil
		}
	}
	return "", fmt.Errorf("%w: no slot holds %s", update.ErrNoBootableSlot, info.Target)
}

// install verifies and installs target for actor. Refusals match
// pkg/update's sentinels (ErrHashMismatch, ErrRollback, ...); pkg/update
// has audited the outcome.
func (f *firmware) install(ctx context.Context, actor, target string) (update.SlotInfo, error) {
	info, err := f.inst.Update(ctx, update.Request{Target: target, Actor: actor, Source: "management-api"})
	f.mu.Lock()
	defer f.mu.Unlock()
	f.last = "installed"
	if err != nil {
		f.last = update.Reason(err)
	}
	return info, err
}

// status reports what runs: the anti-rollback version, the marketing
// version from the image's SBOM, and whether its bytes still verify.
func (f *firmware) status(ctx context.Context) (device.UpdateStatus, error) {
	st, err := f.inst.Status(ctx)
	if err != nil {
		return device.UpdateStatus{}, err
	}
	f.mu.Lock()
	last := f.last
	f.mu.Unlock()
	us := device.UpdateStatus{Version: st.Slot.Version, Image: st.Slot.Target, Slot: st.Running, LastResult: last,
		Firmware: fmt.Sprintf("build %d", st.Slot.Version)}
	if s, err := f.slotHolding(ctx, st.Slot); err == nil && s == st.Running {
		us.Verified = true
	}
	if sbom, err := f.slots.SBOM(ctx, st.Running); err == nil {
		us.SBOM = sbom
		if bom, err := update.ParseSBOM(sbom); err == nil && bom.Metadata != nil && bom.Metadata.Component != nil &&
			strings.TrimSpace(bom.Metadata.Component.Version) != "" {
			us.Firmware = bom.Metadata.Component.Version
		}
	}
	return us, nil
}

// UpdateStatus, InstallUpdate and Restart make the thermometer a
// device.Updater. Installing needs the firmware.update permission (a
// privileged, sensitive one: biomed or service, with a second factor).
func (t *thermometer) UpdateStatus(ctx context.Context) (device.UpdateStatus, error) {
	if t.fw == nil {
		return device.UpdateStatus{}, fmt.Errorf("%w: no update repository configured (--update-repo)", device.ErrUnsupported)
	}
	return t.fw.status(ctx)
}

func (t *thermometer) InstallUpdate(ctx context.Context, token, target string) error {
	if t.fw == nil {
		return fmt.Errorf("%w: no update repository configured (--update-repo)", device.ErrUnsupported)
	}
	user, err := t.authorize(ctx, token, access.FirmwareUpdate)
	if err != nil {
		return err
	}
	if _, err := t.fw.install(ctx, user, target); err != nil {
		return fmt.Errorf("%w: %w", device.ErrUpdateRefused, err)
	}
	return nil
}

func (t *thermometer) Restart(ctx context.Context) error {
	if t.fw == nil {
		return fmt.Errorf("%w: no update repository configured (--update-repo)", device.ErrUnsupported)
	}
	if _, err := t.fw.inst.Boot(ctx); err != nil {
		return err
	}
	_, err := t.fw.inst.Confirm(ctx)
	return err
}

// HasCapability implements device.CapabilitySet: a thermometer started
// without an update repository has nothing to update from, so it does not
// offer device.Updater at all (the update checks are then not applicable,
// rather than failing on a device that was never configured for updates).
func (t *thermometer) HasCapability(c reflect.Type) bool {
	if c == reflect.TypeFor[device.Updater]() {
		return t.fw != nil
	}
	return true
}
