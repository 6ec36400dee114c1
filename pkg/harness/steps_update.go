package harness

import (
	"context"
	"errors"
	"fmt"
	"time"

	cdx "github.com/CycloneDX/cyclonedx-go"

	"github.com/wardsec/ward/pkg/device"
	"github.com/wardsec/ward/pkg/update"
	"github.com/wardsec/ward/pkg/update/repo"
)

// updateWorld is a scenario's firmware-update state.
type updateWorld struct {
	before *device.UpdateStatus // what the device ran before the first release step
	target string               // the last published image
	err    error                // outcome of the last install attempt
	tried  bool
}

func registerUpdateSteps(s *StepSet) {
	publish := func(r device.Release, words string) func(context.Context) error {
		return func(ctx context.Context) error { return stepPublish(ctx, r, words) }
	}
	s.Step(`^the maker publishes a newer signed image$`, publish(device.Release{Newer: true}, "the maker published a newer signed image"))
	s.Step(`^the maker publishes a newer signed image without an SBOM$`, publish(device.Release{Newer: true, NoSBOM: true}, "the maker published a newer signed image without an SBOM"))
	s.Step(`^the maker publishes a newer signed image that fails its self-test$`, publish(device.Release{Newer: true, FailsHealthCheck: true}, "the maker published a newer signed image that fails its self-test"))
	s.Step(`^the maker publishes an older signed image$`, publish(device.Release{}, "the maker published an older signed image"))
	s.Step(`^an attacker publishes a newer unsigned image$`, publish(device.Release{Newer: true, Signer: "none"}, "an attacker published unsigned metadata for a newer image"))
	s.Step(`^an attacker publishes a newer image signed with the attacker's own key$`, publish(device.Release{Newer: true, Signer: "attacker"}, "an attacker published a newer image signed with their own keys"))
	s.Step(`^an attacker alters a newer signed image on the mirror$`, publish(device.Release{Newer: true, Tampered: true}, "the maker signed a newer image; the mirror serves it with one bit flipped"))
	s.Step(`^a frozen mirror serves a newer signed image with metadata that expired an hour ago$`, publish(device.Release{Newer: true, Expired: true}, "the mirror serves a newer signed image with timestamp metadata that expired an hour ago (device clock)"))
	s.Step(`^power will be cut during the ([a-z-]+) phase of the next update$`, stepInterruptNext)
	s.Step(`^"([^"]+)" installs the update$`, stepInstall)
	s.Step(`^"([^"]+)" tries to install the update$`, stepTryInstall)
	s.Step(`^"([^"]+)" can complete the update$`, stepCompleteUpdate)
	s.Step(`^the device refuses the update as "([^"]+)"$`, stepUpdateRefused)
	s.Step(`^the update was interrupted$`, stepUpdateInterrupted)
	s.Step(`^the device restarts$`, stepRestart)
	s.Step(`^the device runs the new firmware$`, stepRunsNew)
	s.Step(`^the device still runs the firmware it ran before$`, stepRunsOld)
	s.Step(`^the device runs a verified image$`, func(ctx context.Context) error { _, err := runsVerified(ctx); return err })
	s.Step(`^the device runs a verified image of the old or the new firmware$`, stepRunsOldOrNew)
	s.Step(`^the device reports that it could not update because "([^"]+)"$`, stepReportsCannotUpdate)
	s.Step(`^the refused update is in the audit trail$`, stepRefusalAudited)
	s.Step(`^the device reports a CycloneDX SBOM for its running firmware, with its end of support$`, stepReportsSBOM)
}

func updWorld(w *world) *updateWorld {
	if w.upd == nil {
		w.upd = &updateWorld{}
	}
	return w.upd
}

func updateStatus(ctx context.Context, w *world) (device.UpdateStatus, error) {
	u, err := capability[device.Updater](w, device.Label[device.Updater]())
	if err != nil {
		return device.UpdateStatus{}, err
	}
	st, err := u.UpdateStatus(ctx)
	if err != nil {
		return st, fmt.Errorf("read the device's update status: %w", err)
	}
	return st, nil
}

// rememberBefore keeps what the device runs before the scenario's first
// release, the baseline for "unchanged".
func rememberBefore(ctx context.Context, w *world) error {
	uw := updWorld(w)
	if uw.before != nil {
		return nil
	}
	st, err := updateStatus(ctx, w)
	if err != nil {
		return err
	}
	uw.before = &st
	w.observe("the device runs firmware %s (image %s, version %d, slot %s)", st.Firmware, st.Image, st.Version, st.Slot)
	return nil
}

func stepPublish(ctx context.Context, r device.Release, words string) error {
	w := worldFrom(ctx)
	pub, err := capability[device.UpdatePublisher](w, device.Label[device.UpdatePublisher]())
	if err != nil {
		return err
	}
	if err := rememberBefore(ctx, w); err != nil {
		return err
	}
	// "Older" and "newer" are relative to what runs now.
	if cur, err := updateStatus(ctx, w); err == nil && cur.Version != w.upd.before.Version {
		w.upd.before = &cur
	}
	t, err := pub.PublishRelease(ctx, r)
	if err != nil {
		return fmt.Errorf("publish: %w", err)
	}
	w.upd.target = t
	w.observe("%s: %s", words, t)
	return nil
}

func stepInterruptNext(ctx context.Context, phase string) error {
	w := worldFrom(ctx)
	pub, err := capability[device.UpdatePublisher](w, device.Label[device.UpdatePublisher]())
	if err != nil {
		return err
	}
	if err := pub.InterruptNextUpdate(ctx, phase); err != nil {
		return err
	}
	w.observe("power will be cut at the start of the %s phase", phase)
	return nil
}

func needRelease(w *world) error {
	if w.upd == nil || w.upd.target == "" {
		return errors.New("scenario bug: no image was published")
	}
	return nil
}

func install(ctx context.Context, user string) error {
	w := worldFrom(ctx)
	if err := needRelease(w); err != nil {
		return err
	}
	u, tok, err := withSession[device.Updater](w, device.Label[device.Updater](), user)
	if err != nil {
		return err
	}
	w.upd.err = u.InstallUpdate(ctx, tok, w.upd.target)
	w.upd.tried = true
	if w.upd.err != nil {
		w.observe("%q asked the device to install %s: %v", user, w.upd.target, w.upd.err)
	} else {
		w.observe("%q asked the device to install %s: installed", user, w.upd.target)
	}
	return nil
}

func stepInstall(ctx context.Context, user string) error {
	if err := install(ctx, user); err != nil {
		return err
	}
	w := worldFrom(ctx)
	if w.upd.err != nil {
		return fmt.Errorf("the device did not install a correctly signed newer image: %w", w.upd.err)
	}
	return nil
}

func stepTryInstall(ctx context.Context, user string) error { return install(ctx, user) }

func stepCompleteUpdate(ctx context.Context, user string) error {
	w := worldFrom(ctx)
	st, err := updateStatus(ctx, w)
	if err != nil {
		return err
	}
	if st.Image == w.upd.target {
		w.observe("the new image already runs (the interrupted trial finished after the restart)")
		return nil
	}
	return stepInstall(ctx, user)
}

func stepUpdateRefused(ctx context.Context, reason string) error {
	w := worldFrom(ctx)
	if w.upd == nil || !w.upd.tried {
		return errors.New("scenario bug: no install was attempted")
	}
	if w.upd.err == nil {
		return fmt.Errorf("the device installed %s", w.upd.target)
	}
	if !errors.Is(w.upd.err, device.ErrUpdateRefused) {
		return fmt.Errorf("the install failed, but not as a refusal: %w", w.upd.err)
	}
	st, err := updateStatus(ctx, w)
	if err != nil {
		return err
	}
	if st.LastResult != reason {
		return fmt.Errorf("the device refused the update as %q, want %q", st.LastResult, reason)
	}
	w.observe("refused as %q", st.LastResult)
	return nil
}

func stepUpdateInterrupted(ctx context.Context) error {
	w := worldFrom(ctx)
	if w.upd == nil || !w.upd.tried {
		return errors.New("scenario bug: no install was attempted")
	}
	if !errors.Is(w.upd.err, device.ErrPowerLoss) {
		return fmt.Errorf("the install was not interrupted: %v", w.upd.err)
	}
	return nil
}

func stepRestart(ctx context.Context) error {
	w := worldFrom(ctx)
	u, err := capability[device.Updater](w, device.Label[device.Updater]())
	if err != nil {
		return err
	}
	if err := u.Restart(ctx); err != nil {
		return fmt.Errorf("the device did not come back up: %w", err)
	}
	w.observe("the device restarted")
	return nil
}

func runsVerified(ctx context.Context) (device.UpdateStatus, error) {
	w := worldFrom(ctx)
	st, err := updateStatus(ctx, w)
	if err != nil {
		return st, err
	}
	if !st.Verified {
		return st, fmt.Errorf("the running image %s (slot %s) does not match the digest verified at install", st.Image, st.Slot)
	}
	w.observe("running %s from slot %s, verified against its signed digest", st.Image, st.Slot)
	return st, nil
}

func stepRunsNew(ctx context.Context) error {
	w := worldFrom(ctx)
	if err := needRelease(w); err != nil {
		return err
	}
	st, err := updateStatus(ctx, w)
	if err != nil {
		return err
	}
	if st.Image != w.upd.target || st.Version <= w.upd.before.Version {
		return fmt.Errorf("the device runs %s (version %d), not the new image %s", st.Image, st.Version, w.upd.target)
	}
	w.observe("the device now runs firmware %s (version %d, was %d)", st.Firmware, st.Version, w.upd.before.Version)
	return nil
}

func stepRunsOld(ctx context.Context) error {
	w := worldFrom(ctx)
	if w.upd == nil || w.upd.before == nil {
		return errors.New("scenario bug: nothing was recorded before the update")
	}
	st, err := updateStatus(ctx, w)
	if err != nil {
		return err
	}
	if st.Image != w.upd.before.Image || st.Version != w.upd.before.Version {
		return fmt.Errorf("the device now runs %s (version %d), not %s (version %d) as before",
			st.Image, st.Version, w.upd.before.Image, w.upd.before.Version)
	}
	w.observe("the device still runs %s (version %d)", st.Image, st.Version)
	return nil
}

func stepRunsOldOrNew(ctx context.Context) error {
	w := worldFrom(ctx)
	st, err := runsVerified(ctx)
	if err != nil {
		return err
	}
	if st.Image != w.upd.before.Image && st.Image != w.upd.target {
		return fmt.Errorf("the device runs %s, neither the old image %s nor the new %s", st.Image, w.upd.before.Image, w.upd.target)
	}
	return nil
}

func stepReportsCannotUpdate(ctx context.Context, reason string) error {
	w := worldFrom(ctx)
	st, err := updateStatus(ctx, w)
	if err != nil {
		return err
	}
	if st.LastResult != reason {
		return fmt.Errorf("the device reports its last update as %q, want %q", st.LastResult, reason)
	}
	w.observe("the device reports its last update attempt as %q", st.LastResult)
	return nil
}

func stepRefusalAudited(ctx context.Context) error {
	w := worldFrom(ctx)
	if err := needRelease(w); err != nil {
		return err
	}
	recs, err := records(ctx, w)
	if err != nil {
		return err
	}
	for _, r := range recs {
		if r.Action == update.ActionInstall && r.Object == w.upd.target && r.Outcome != "success" {
			w.observe("record %d: %s of %s by %q: %s (%s)", r.Seq, r.Action, r.Object, r.Actor, r.Outcome, r.Detail["reason"])
			return nil
		}
	}
	return fmt.Errorf("no refused %s record for %s among the device's %d audit records", update.ActionInstall, w.upd.target, len(recs))
}

func stepReportsSBOM(ctx context.Context) error {
	w := worldFrom(ctx)
	if err := rememberBefore(ctx, w); err != nil {
		return err
	}
	st, err := updateStatus(ctx, w)
	if err != nil {
		return err
	}
	if len(st.SBOM) == 0 {
		return fmt.Errorf("the device reports no SBOM for its running firmware %s", st.Firmware)
	}
	// Named for what it is, not after the firmware string the device
	// chose: device data never becomes a file name.
	w.attach("sbom-running-firmware.cdx.json", "application/vnd.cyclonedx+json", st.SBOM)
	bom, err := update.ParseSBOM(st.SBOM)
	if err != nil {
		return fmt.Errorf("the running firmware's SBOM: %w", err)
	}
	if bom.Metadata == nil || bom.Metadata.Component == nil || bom.Metadata.Component.Version != st.Firmware {
		return fmt.Errorf("the SBOM does not describe the running firmware %s", st.Firmware)
	}
	n := 0
	if bom.Components != nil {
		n = len(*bom.Components)
	}
	if n == 0 {
		return errors.New("the SBOM lists no components")
	}
	end, err := supportEnd(bom.Metadata.Component.Properties)
	if err != nil {
		return fmt.Errorf("the SBOM of firmware %s: %w", st.Firmware, err)
	}
	now := time.Now()
	if cc, err := device.As[device.ClockControl](w.dev, device.Label[device.ClockControl]()); err == nil {
		if t, err := cc.DeviceTime(ctx); err == nil {
			now = t
		}
	}
	if end.Before(now) {
		return fmt.Errorf("the running firmware %s went out of support on %s", st.Firmware, end.Format(time.DateOnly))
	}
	w.observe("CycloneDX %s SBOM for firmware %s with %d components, supported until %s", bom.SpecVersion, st.Firmware, n, end.Format(time.DateOnly))
	return nil
}

// supportEnd reads the end-of-support date (docs/update.md) from a
// component's properties.
func supportEnd(props *[]cdx.Property) (time.Time, error) {
	if props != nil {
		for _, p := range *props {
			if p.Name == repo.SupportEndProperty {
				t, err := time.Parse(time.DateOnly, p.Value)
				if err != nil {
					return time.Time{}, fmt.Errorf("%s %q is not a YYYY-MM-DD date", repo.SupportEndProperty, p.Value)
				}
				return t, nil
			}
		}
	}
	return time.Time{}, fmt.Errorf("no end of support (property %s) for the firmware component", repo.SupportEndProperty)
}
