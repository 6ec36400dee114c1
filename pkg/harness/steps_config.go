package harness

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/wardsec/ward/pkg/device"
)

// Secure baseline and configuration drift (FDA-PMC-CONFIG-1).
func registerConfigSteps(s *StepSet) {
	s.Step(`^the approved security baseline for the device$`, stepBaseline)
	s.Step(`^"([^"]+)" reads the device's security settings$`, stepReadSettings)
	s.Step(`^every baseline setting has its approved value$`, stepSettingsMatchBaseline)
	s.Step(`^"([^"]+)" changes a security setting away from the baseline$`, stepDriftSetting)
	s.Step(`^"([^"]+)" resets the security settings$`, stepResetSettings)
	s.Step(`^someone without a session tries to reset the security settings$`, stepResetNoSession)
	s.Step(`^the reset is refused as unauthenticated$`, stepResetRefused)
}

// configState is a scenario's view of the configuration.
type configState struct {
	baseline map[string]string
	current  map[string]string // as last read
	lastErr  error             // of the unauthenticated reset
}

type configKey struct{}

func configFrom(ctx context.Context) (*configState, error) {
	cs, ok := ctx.Value(configKey{}).(*configState)
	if !ok {
		return nil, errors.New("scenario bug: no baseline was read")
	}
	return cs, nil
}

func stepBaseline(ctx context.Context) (context.Context, error) {
	w := worldFrom(ctx)
	b, err := capability[device.SecureBaseline](w, device.Label[device.SecureBaseline]())
	if err != nil {
		return ctx, err
	}
	base, err := b.SecureBaseline(ctx)
	if err != nil {
		return ctx, fmt.Errorf("read the baseline: %w", err)
	}
	if len(base) == 0 {
		return ctx, errors.New("the approved baseline is empty: it would approve anything")
	}
	w.observe("approved baseline: %s", formatSettings(base))
	return context.WithValue(ctx, configKey{}, &configState{baseline: base}), nil
}

func formatSettings(m map[string]string) string {
	var parts []string
	for _, k := range slices.Sorted(maps.Keys(m)) {
		parts = append(parts, k+"="+m[k])
	}
	return strings.Join(parts, ", ")
}

func readSettings(ctx context.Context, w *world, user string) (map[string]string, error) {
	sc, tok, err := withSession[device.SecurityConfig](w, device.Label[device.SecurityConfig](), user)
	if err != nil {
		return nil, err
	}
	cur, err := sc.SecuritySettings(ctx, tok)
	if err != nil {
		return nil, fmt.Errorf("read security settings: %w", err)
	}
	return cur, nil
}

func stepReadSettings(ctx context.Context, user string) error {
	w := worldFrom(ctx)
	cs, err := configFrom(ctx)
	if err != nil {
		return err
	}
	if cs.current, err = readSettings(ctx, w, user); err != nil {
		return err
	}
	w.observe("running settings: %s", formatSettings(cs.current))
	return nil
}

func stepSettingsMatchBaseline(ctx context.Context) error {
	w := worldFrom(ctx)
	cs, err := configFrom(ctx)
	if err != nil {
		return err
	}
	if cs.current == nil {
		return errors.New("scenario bug: the settings were not read")
	}
	var drift []string
	for _, k := range slices.Sorted(maps.Keys(cs.baseline)) {
		got, ok := cs.current[k]
		switch {
		case !ok:
			drift = append(drift, fmt.Sprintf("%s missing (approved %q)", k, cs.baseline[k]))
		case got != cs.baseline[k]:
			drift = append(drift, fmt.Sprintf("%s=%q (approved %q)", k, got, cs.baseline[k]))
		}
	}
	if len(drift) > 0 {
		return fmt.Errorf("security settings drifted from the approved baseline: %s", strings.Join(drift, ", "))
	}
	w.observe("all %d baseline settings have their approved values", len(cs.baseline))
	return nil
}

// flip is another valid value for an on/off setting.
func flip(v string) (string, bool) {
	switch v {
	case "enabled":
		return "disabled", true
	case "disabled":
		return "enabled", true
	}
	return "", false
}

func stepDriftSetting(ctx context.Context, user string) error {
	w := worldFrom(ctx)
	cs, err := configFrom(ctx)
	if err != nil {
		return err
	}
	sc, tok, err := withSession[device.SecurityConfig](w, device.Label[device.SecurityConfig](), user)
	if err != nil {
		return err
	}
	for _, k := range slices.Sorted(maps.Keys(cs.baseline)) {
		to, ok := flip(cs.baseline[k])
		if !ok {
			continue
		}
		if err := sc.ChangeSecuritySetting(ctx, tok, k, to); err != nil {
			return fmt.Errorf("change %s to %q: %w", k, to, err)
		}
		// Put the device back whatever the scenario finds.
		w.onCleanup(func(ctx context.Context) error {
			t, err := session(w, user)
			if err != nil {
				return nil // the session is gone; the unit is the scenario's own
			}
			return sc.ChangeSecuritySetting(ctx, t, k, cs.baseline[k])
		})
		cur, err := sc.SecuritySettings(ctx, tok)
		if err != nil {
			return fmt.Errorf("read security settings: %w", err)
		}
		if cur[k] != to {
			return fmt.Errorf("the device accepted %s=%q but still reports %q", k, to, cur[k])
		}
		w.observe("%q changed %s from %q to %q", user, k, cs.baseline[k], to)
		return nil
	}
	return skip(w, &device.UnsupportedError{Capability: "an on/off baseline setting to change"})
}

func stepResetSettings(ctx context.Context, user string) error {
	w := worldFrom(ctx)
	cs, err := configFrom(ctx)
	if err != nil {
		return err
	}
	sc, tok, err := withSession[device.SecurityConfig](w, device.Label[device.SecurityConfig](), user)
	if err != nil {
		return err
	}
	if err := sc.ResetSecuritySettings(ctx, tok); err != nil {
		return fmt.Errorf("reset security settings: %w", err)
	}
	if cs.current, err = sc.SecuritySettings(ctx, tok); err != nil {
		return fmt.Errorf("read security settings: %w", err)
	}
	w.observe("%q reset the settings; now: %s", user, formatSettings(cs.current))
	return nil
}

func stepResetNoSession(ctx context.Context) (context.Context, error) {
	w := worldFrom(ctx)
	sc, err := capability[device.SecurityConfig](w, device.Label[device.SecurityConfig]())
	if err != nil {
		return ctx, err
	}
	err = sc.ResetSecuritySettings(ctx, "")
	w.observe("reset without a session: %s", describe(err))
	return context.WithValue(ctx, configKey{}, &configState{lastErr: err}), nil
}

func stepResetRefused(ctx context.Context) error {
	cs, ok := ctx.Value(configKey{}).(*configState)
	if !ok {
		return errors.New("scenario bug: no reset was tried")
	}
	switch {
	case cs.lastErr == nil:
		return errors.New("the device reset its security settings for a caller without a session")
	case !errors.Is(cs.lastErr, device.ErrUnauthenticated):
		return fmt.Errorf("the reset failed, but not as unauthenticated: %w", cs.lastErr)
	}
	return nil
}
