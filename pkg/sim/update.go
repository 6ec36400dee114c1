package sim

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/theupdateframework/go-tuf/v2/metadata"

	"github.com/wardsec/ward/pkg/access"
	"github.com/wardsec/ward/pkg/audit"
	"github.com/wardsec/ward/pkg/device"
	"github.com/wardsec/ward/pkg/update"
	"github.com/wardsec/ward/pkg/update/repo"
)

// The pump's update identity and images.
const (
	hardwareID     = "SIM-IP-100"
	factoryVersion = 2 // firmware 1.4.2
	updateBase     = "mem://updates.sim-devices.invalid"
	// selfTestFail in an image makes its post-boot self-test fail.
	selfTestFail = "SELFTEST=FAIL"
)

func firmwareString(v uint64) string { return fmt.Sprintf("1.4.%d", v) }

// errPowerCut is the injected power loss (InterruptNextUpdate).
var errPowerCut = errors.New("sim: power cut")

// updater is the pump's update subsystem: pkg/update's installer over
// memory slots, fed by the maker's test repository (pkg/update/repo) served
// in process, as a development build that trusts a test root. It is built
// on first use, so scenarios that never update pay nothing.
type updater struct {
	now   func() time.Time // the repository's clock: the device's
	inst  *update.Installer
	slots *update.MemSlots
	// shipped is how the unit's line ships units: the maker's keys, the
	// factory firmware and the attacker's keys (line.go).
	shipped *shipped

	mu        sync.Mutex
	maker     *repo.Repo
	attacker  *repo.Repo        // answers at the maker's URL once set
	tampered  map[string][]byte // served path -> bytes the mirror serves instead
	interrupt update.Phase
	last      string
	releases  int
}

type lazyUpdater struct {
	once sync.Once
	u    *updater
	err  error
}

func (p *Pump) updates(ctx context.Context) (*updater, error) {
	p.upd.once.Do(func() { p.upd.u, p.upd.err = newUpdater(ctx, p) })
	return p.upd.u, p.upd.err
}

// newUpdater gives the unit the update subsystem its line provisioned at
// the factory (line.go): its own copy of the maker's repository, and slots,
// slot state and anti-rollback counter holding the factory firmware that
// was installed there through pkg/update with every check. The bootloader
// re-hashes that image before it runs, and the unit's audit log records
// the provisioning as the factory's installer did.
func newUpdater(ctx context.Context, p *Pump) (*updater, error) {
	sh, err := p.line.shippedFor(ctx, p.weak, p.now())
	if err != nil {
		return nil, err
	}
	maker, err := sh.maker.Clone(repo.WithClock(p.now))
	if err != nil {
		return nil, fmt.Errorf("sim: update repository: %w", err)
	}
	u := &updater{now: p.now, slots: &update.MemSlots{}, shipped: sh, maker: maker, tampered: map[string][]byte{}, releases: sh.releases}
	inst, state, counter, err := u.install(p.weak, updateAuditor{p})
	if err != nil {
		return nil, err
	}
	u.inst = inst
	w, err := u.slots.Create(ctx, update.SlotA)
	if err != nil {
		return nil, err
	}
	if _, err := w.Write(sh.image); err != nil {
		return nil, err
	}
	if err := w.Commit(); err != nil {
		return nil, err
	}
	if sh.sbom != nil {
		if err := u.slots.KeepSBOM(ctx, update.SlotA, sh.sbom); err != nil {
			return nil, err
		}
	}
	if err := state.Save(ctx, sh.state); err != nil {
		return nil, err
	}
	if err := counter.Advance(ctx, sh.floor); err != nil {
		return nil, err
	}
	if _, err := inst.Boot(ctx); err != nil {
		return nil, fmt.Errorf("sim: boot factory firmware: %w", err)
	}
	for _, e := range sh.events {
		if _, err := (updateAuditor{p}).Append(ctx, e); err != nil {
			return nil, fmt.Errorf("sim: provision factory firmware: %w", err)
		}
	}
	return u, nil
}

// install builds the unit's TUF client and A/B installer with weak's
// protections switched off, auditing to a. It returns the installer with
// its slot-state store and anti-rollback counter.
func (u *updater) install(weak weakSet, a update.Auditor) (*update.Installer, *update.MemState, update.Counter, error) {
	clock := u.now
	if weak["stale-metadata"] {
		// The weakness: expiry is checked against a clock that never
		// moves past any expiry date.
		clock = func() time.Time { return time.Time{} }
	}
	client, err := update.NewClient(u.maker.RootJSON(), updateBase+"/metadata",
		update.WithTargetsURL(updateBase+"/targets"), update.WithFetcher(update.FetcherFunc(u.fetch)), update.WithClock(clock))
	if err != nil {
		return nil, nil, nil, fmt.Errorf("sim: update client: %w", err)
	}
	state := &update.MemState{}
	var counter update.Counter = &update.MemCounter{}
	opts := []update.InstallerOption{
		update.WithStateStore(state),
		update.WithHardware(hardwareID),
		update.WithAuditor(a),
		update.WithFaultHook(u.fault),
	}
	if weak["update-rollback"] {
		counter = noFloor{} // the weakness: no version floor
	}
	opts = append(opts, update.WithCounter(counter))
	if !weak["no-update-healthcheck"] {
		opts = append(opts, update.WithHealthCheck(u.selfTest))
	}
	if weak["no-sbom"] {
		opts = append(opts, update.WithSBOMOptional())
	}
	if weak["unsigned-updates"] {
		opts = append(opts, update.WithSource(func(ctx context.Context) (update.Source, error) {
			return u.unverifiedSource(ctx, clock)
		}))
	}
	inst, err := update.NewInstaller(client, u.slots, "", opts...)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("sim: installer: %w", err)
	}
	return inst, state, counter, nil
}

// updateAuditor records update events the way the pump records everything.
type updateAuditor struct{ p *Pump }

func (a updateAuditor) Append(ctx context.Context, e audit.Event) (audit.Record, error) {
	return a.p.appendAudit(ctx, e)
}

// noFloor is the update-rollback weakness's counter: it never rises.
type noFloor struct{}

func (noFloor) Get(context.Context) (uint64, error)   { return 0, nil }
func (noFloor) Advance(context.Context, uint64) error { return nil }

// fetch serves the update server in process: the maker's repository, or
// the attacker's once one took its place, with tampered files swapped in.
func (u *updater) fetch(ctx context.Context, rawURL string, maxLength int64) (io.ReadCloser, error) {
	u.mu.Lock()
	src := u.maker
	if u.attacker != nil {
		src = u.attacker
	}
	name := strings.TrimPrefix(rawURL, updateBase+"/")
	alt, tampered := u.tampered[name]
	u.mu.Unlock()
	if tampered {
		return io.NopCloser(bytes.NewReader(alt)), nil
	}
	return src.Fetcher(updateBase).Fetch(ctx, rawURL, maxLength)
}

func (u *updater) fault(_ context.Context, ph update.Phase) error {
	u.mu.Lock()
	defer u.mu.Unlock()
	if u.interrupt == ph {
		u.interrupt = ""
		return errPowerCut
	}
	return nil
}

// selfTest is the pump's post-boot health check: the image must not carry
// the failing self-test marker.
func (u *updater) selfTest(_ context.Context, running update.SlotInfo) error {
	for _, s := range []string{update.SlotA, update.SlotB} {
		b := u.slots.Bytes(s)
		sum := sha256.Sum256(b)
		if hex.EncodeToString(sum[:]) == running.SHA256 && bytes.Contains(b, []byte(selfTestFail)) {
			return errors.New("sim: infusion motor self-test failed")
		}
	}
	return nil
}

// publish builds firmware version v and publishes it as r says; it
// returns the target name.
func (u *updater) publish(v uint64, r device.Release) (string, error) {
	u.mu.Lock()
	u.releases++
	name := fmt.Sprintf("infusion-pump/fw-%s-r%d.bin", firmwareString(v), u.releases)
	u.mu.Unlock()
	img := fmt.Appendf(nil, "%s firmware %s\n", hardwareID, firmwareString(v))
	if r.FailsHealthCheck {
		img = append(img, selfTestFail+"\n"...)
	}
	img = append(img, bytes.Repeat([]byte{0x5a}, 16<<10)...)
	im := repo.Image{Name: name, Data: img, Version: v, Hardware: []string{hardwareID}}
	if !r.NoSBOM {
		var err error
		// Supported five years from release (device clock).
		end := u.now().AddDate(5, 0, 0).Format(time.DateOnly)
		im.SBOM, err = repo.MakeSBOM(repo.Component{Name: hardwareID + " firmware", Version: firmwareString(v), SupportEnd: end},
			repo.Component{Name: "freertos-kernel", Version: "11.1.0", PURL: "pkg:github/freertos/freertos-kernel@11.1.0", SupportEnd: end},
			repo.Component{Name: "mbedtls", Version: "3.6.2", PURL: "pkg:github/mbed-tls/mbedtls@3.6.2", SupportEnd: end})
		if err != nil {
			return "", err
		}
	}
	switch r.Signer {
	case "", "maker":
		// The maker's release is served by the maker's repository again,
		// even if an attacker's answered in its place before: on a unit
		// checked scenario after scenario, one scenario's attacker must
		// not outlive it.
		u.mu.Lock()
		u.attacker = nil
		u.mu.Unlock()
		if err := u.maker.AddImage(im); err != nil {
			return "", err
		}
		var err error
		if r.Expired {
			err = u.maker.PublishWith(repo.PublishOptions{Expires: map[string]time.Time{repo.Timestamp: u.now().Add(-time.Hour)}})
		} else {
			err = u.maker.Publish()
		}
		if err != nil {
			return "", err
		}
		if r.Tampered {
			p, err := u.maker.TargetPath(name)
			if err != nil {
				return "", err
			}
			b := u.maker.File(p)
			b[len(b)/2] ^= 0x01
			u.mu.Lock()
			u.tampered[p] = b
			u.mu.Unlock()
		}
	case "attacker", "none":
		// The attacker's own keys, the same on every unit of the line:
		// none of them is the maker's.
		evil, err := u.shipped.attacker.Clone(repo.WithClock(u.now))
		if err != nil {
			return "", err
		}
		if err := evil.AddImage(im); err != nil {
			return "", err
		}
		opts := repo.PublishOptions{}
		if r.Signer == "none" {
			none := []ed25519.PrivateKey{}
			opts.Signers = map[string][]ed25519.PrivateKey{repo.Targets: none, repo.Snapshot: none, repo.Timestamp: none}
		}
		if err := evil.PublishWith(opts); err != nil {
			return "", err
		}
		u.mu.Lock()
		u.attacker = evil
		u.mu.Unlock()
	default:
		return "", fmt.Errorf("%w: unknown signer %q (maker, attacker, none)", device.ErrUnsupported, r.Signer)
	}
	return name, nil
}

// UpdateStatus implements device.Updater.
func (p *Pump) UpdateStatus(ctx context.Context) (device.UpdateStatus, error) {
	u, err := p.updates(ctx)
	if err != nil {
		return device.UpdateStatus{}, err
	}
	st, err := u.inst.Status(ctx)
	if err != nil {
		return device.UpdateStatus{}, err
	}
	slot := st.Running
	if slot == "" {
		slot = st.Active
	}
	img := u.slots.Bytes(slot)
	sum := sha256.Sum256(img)
	sbom, _ := u.slots.SBOM(ctx, slot)
	u.mu.Lock()
	last := u.last
	u.mu.Unlock()
	return device.UpdateStatus{
		Firmware: firmwareString(st.Slot.Version), Version: st.Slot.Version, Image: st.Slot.Target, Slot: slot,
		Verified: (st.Slot.State == update.StateGood || st.Slot.State == update.StateVerified) && hex.EncodeToString(sum[:]) == st.Slot.SHA256,
		SBOM:     sbom, LastResult: last,
	}, nil
}

// InstallUpdate implements device.Updater.
func (p *Pump) InstallUpdate(ctx context.Context, token, target string) error {
	ctx = via(ctx, "management-api")
	c, err := p.begin(ctx, token, access.FirmwareUpdate, target)
	if err != nil {
		return fmt.Errorf("sim: firmware update: %w", err)
	}
	u, err := p.updates(ctx)
	if err != nil {
		return err
	}
	_, err = u.inst.Update(ctx, update.Request{Target: target, Actor: c.User, Source: "management-api"})
	result := "installed"
	switch {
	case errors.Is(err, errPowerCut):
		result = "interrupted"
		err = fmt.Errorf("sim: update %s: %w", target, device.ErrPowerLoss)
	case err != nil:
		result = update.Reason(err)
		err = fmt.Errorf("sim: update %s: %w (%s): %w", target, device.ErrUpdateRefused, result, err)
	}
	u.mu.Lock()
	u.last = result
	u.mu.Unlock()
	return err
}

// Restart implements device.Updater: the bootloader picks a slot and an
// image on trial runs its health check. Sessions survive (the simulator
// restarts only its update subsystem).
func (p *Pump) Restart(ctx context.Context) error {
	u, err := p.updates(ctx)
	if err != nil {
		return err
	}
	if _, err := u.inst.Boot(ctx); err != nil {
		return fmt.Errorf("sim: restart: %w", err)
	}
	if _, err := u.inst.Confirm(ctx); err != nil {
		if errors.Is(err, errPowerCut) {
			return fmt.Errorf("sim: restart: %w", device.ErrPowerLoss)
		}
		u.mu.Lock()
		u.last = update.Reason(err)
		u.mu.Unlock()
	}
	return nil
}

// PublishRelease implements device.UpdatePublisher: the simulator is a
// development build holding its maker's test signing keys.
func (p *Pump) PublishRelease(ctx context.Context, r device.Release) (string, error) {
	u, err := p.updates(ctx)
	if err != nil {
		return "", err
	}
	st, err := u.inst.Status(ctx)
	if err != nil {
		return "", err
	}
	v := st.Slot.Version + 1
	if !r.Newer {
		if st.Slot.Version <= 1 {
			return "", fmt.Errorf("%w: the device runs version %d; nothing is older", device.ErrUnsupported, st.Slot.Version)
		}
		v = st.Slot.Version - 1
	}
	return u.publish(v, r)
}

// InterruptNextUpdate implements device.UpdatePublisher.
func (p *Pump) InterruptNextUpdate(ctx context.Context, phase string) error {
	ph := update.Phase(phase)
	switch ph {
	case update.PhaseDownload, update.PhaseWrite, update.PhaseSwitch, update.PhaseHealthCheck:
	default:
		return fmt.Errorf("%w: no update phase %q", device.ErrUnsupported, phase)
	}
	u, err := p.updates(ctx)
	if err != nil {
		return err
	}
	u.mu.Lock()
	u.interrupt = ph
	u.mu.Unlock()
	return nil
}

// unverifiedSource is the unsigned-updates weakness: it reads the targets
// metadata the server offers without checking a single signature (still
// checking expiry, so only the signature protection is missing).
func (u *updater) unverifiedSource(ctx context.Context, now func() time.Time) (update.Source, error) {
	get := func(name string) ([]byte, error) {
		rc, err := u.fetch(ctx, updateBase+"/metadata/"+name, 5<<20)
		if err != nil {
			return nil, err
		}
		defer rc.Close()
		return io.ReadAll(io.LimitReader(rc, 5<<20))
	}
	b, err := get("timestamp.json")
	if err != nil {
		return nil, err
	}
	ts, err := metadata.Timestamp().FromBytes(b)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", update.ErrMetadata, err)
	}
	if ts.Signed.IsExpired(now()) {
		return nil, fmt.Errorf("%w: timestamp.json", update.ErrExpired)
	}
	if b, err = get(strconv.FormatInt(ts.Signed.Meta["snapshot.json"].Version, 10) + ".snapshot.json"); err != nil {
		return nil, err
	}
	sn, err := metadata.Snapshot().FromBytes(b)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", update.ErrMetadata, err)
	}
	if b, err = get(strconv.FormatInt(sn.Signed.Meta["targets.json"].Version, 10) + ".targets.json"); err != nil {
		return nil, err
	}
	tg, err := metadata.Targets().FromBytes(b)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", update.ErrMetadata, err)
	}
	if tg.Signed.IsExpired(now()) {
		return nil, fmt.Errorf("%w: targets.json", update.ErrExpired)
	}
	return unverified{u: u, targets: tg}, nil
}

type unverified struct {
	u       *updater
	targets *metadata.Metadata[metadata.TargetsType]
}

func (s unverified) Target(_ context.Context, name string) (update.Target, error) {
	tf, ok := s.targets.Signed.Targets[name]
	if !ok {
		return update.Target{}, fmt.Errorf("%w: %s", update.ErrNotFound, name)
	}
	t := update.Target{Name: name, Length: tf.Length, Hashes: map[string][]byte{}}
	for a, h := range tf.Hashes {
		t.Hashes[a] = h
	}
	if tf.Custom != nil {
		c, err := update.ParseCustom(*tf.Custom)
		if err != nil {
			return update.Target{}, err
		}
		t.Custom = &c
	}
	return t, nil
}

func (s unverified) Open(ctx context.Context, t update.Target) (io.ReadCloser, error) {
	i := strings.LastIndex(t.Name, "/") + 1
	return s.u.fetch(ctx, updateBase+"/targets/"+t.Name[:i]+t.SHA256Hex()+"."+t.Name[i:], t.Length)
}
