package sim

import (
	"context"
	"fmt"
	"maps"
	"sync"

	"github.com/wardsec/ward/pkg/access"
	"github.com/wardsec/ward/pkg/audit"
	"github.com/wardsec/ward/pkg/device"
)

// secureBaseline is the simulated maker's documented secure configuration.
func secureBaseline() map[string]string {
	return map[string]string{
		"tls_min_version":        "1.2",
		"remote_service_access":  "disabled",
		"usb_mass_storage":       "disabled",
		"bluetooth_pairing":      "disabled",
		"audit_forwarding":       "enabled",
		"session_idle_timeout_s": "900",
	}
}

// factoryDefaults is what a reset restores: the baseline, or, with
// config-drift, a default table that drifted from it in the firmware
// image (service access and USB storage left on).
func (p *Pump) factoryDefaults() map[string]string {
	d := secureBaseline()
	if p.weak["config-drift"] {
		d["remote_service_access"] = "enabled"
		d["usb_mass_storage"] = "enabled"
	}
	return d
}

// secSettings holds a unit's running security settings.
type secSettings struct {
	mu  sync.Mutex
	cur map[string]string
}

func (p *Pump) settings() map[string]string {
	p.sec.mu.Lock()
	defer p.sec.mu.Unlock()
	if p.sec.cur == nil {
		p.sec.cur = p.factoryDefaults()
	}
	return p.sec.cur
}

// SecureBaseline implements device.SecureBaseline.
func (p *Pump) SecureBaseline(context.Context) (map[string]string, error) {
	return secureBaseline(), nil
}

// SecuritySettings implements device.SecurityConfig.
func (p *Pump) SecuritySettings(ctx context.Context, token string) (map[string]string, error) {
	ctx = via(ctx, "management-api")
	if _, err := p.begin(ctx, token, permConfigExport, "security settings"); err != nil {
		return nil, fmt.Errorf("sim: security settings: %w", err)
	}
	cur := p.settings()
	p.sec.mu.Lock()
	defer p.sec.mu.Unlock()
	return maps.Clone(cur), nil
}

// ChangeSecuritySetting implements device.SecurityConfig: known settings
// only, values of the same kind (on/off settings take enabled/disabled).
func (p *Pump) ChangeSecuritySetting(ctx context.Context, token, name, value string) error {
	ctx = via(ctx, "management-api")
	c, err := p.begin(ctx, token, access.ConfigChange, "setting "+name)
	if err != nil {
		return fmt.Errorf("sim: change setting: %w", err)
	}
	cur := p.settings()
	p.sec.mu.Lock()
	old, ok := cur[name]
	valid := ok && value != "" && ((old == "enabled" || old == "disabled") == (value == "enabled" || value == "disabled"))
	if valid {
		cur[name] = value
	}
	p.sec.mu.Unlock()
	if !valid {
		return fmt.Errorf("sim: change setting %q to %q: %w", name, value, device.ErrDenied)
	}
	return p.recordAs(ctx, c, audit.Event{Actor: c.User, Source: "management-api", Action: "config.change", Object: name,
		Outcome: audit.Success, Detail: map[string]string{"from": old, "to": value}})
}

// ResetSecuritySettings implements device.SecurityConfig.
func (p *Pump) ResetSecuritySettings(ctx context.Context, token string) error {
	ctx = via(ctx, "management-api")
	c, err := p.begin(ctx, token, access.ConfigChange, "security settings")
	if err != nil {
		return fmt.Errorf("sim: reset settings: %w", err)
	}
	p.sec.mu.Lock()
	p.sec.cur = p.factoryDefaults()
	p.sec.mu.Unlock()
	return p.recordAs(ctx, c, audit.Event{Actor: c.User, Source: "management-api", Action: "config.reset", Object: "security settings", Outcome: audit.Success})
}
