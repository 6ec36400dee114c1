// Package pump is Acme's driver for Ward: it opens an Acme pump as a
// Ward device and offers Acme's own capability, OcclusionAlarm, that
// Ward's catalogue knows nothing of.
package pump

import (
	"context"
	"fmt"
	"net/url"
	"time"

	"github.com/wardsec/ward/pkg/device"
)

// Scheme is the target URI scheme of the driver: acmepump://NAME[?alarm=DURATION].
const Scheme = "acmepump"

// OcclusionAlarm is Acme's capability: block the infusion line and time
// the pump's alarm.
type OcclusionAlarm interface {
	// Occlude blocks the line and returns how long the pump took to
	// sound its occlusion alarm.
	Occlude(ctx context.Context) (time.Duration, error)
	// Clear unblocks the line.
	Clear(ctx context.Context) error
}

// Pump stands in for the pump on the bench (a real driver would talk to
// it over its service port); alarm is how long it takes to alarm.
type Pump struct {
	name  string
	alarm time.Duration
}

// Open opens a target: acmepump://bench-3?alarm=2s.
func Open(_ context.Context, u *url.URL) (device.Device, error) {
	if u.Host == "" {
		return nil, fmt.Errorf("%w: %s: no pump name", device.ErrBadTarget, Scheme)
	}
	p := &Pump{name: u.Host, alarm: 2 * time.Second}
	if a := u.Query().Get("alarm"); a != "" {
		d, err := time.ParseDuration(a)
		if err != nil {
			return nil, fmt.Errorf("%w: %s: alarm: %v", device.ErrBadTarget, Scheme, err)
		}
		p.alarm = d
	}
	return p, nil
}

// Register adds the driver to a Ward registry.
func Register(reg *device.Registry) error { return reg.Register(Scheme, Open) }

// Identify says which pump this is.
func (p *Pump) Identify(context.Context) (device.Identity, error) {
	return device.Identity{Manufacturer: "Acme", Model: "AP-9", Serial: p.name, Firmware: "1.4.2"}, nil
}

// Close releases the pump.
func (p *Pump) Close() error { return nil }

// Occlude implements OcclusionAlarm.
func (p *Pump) Occlude(context.Context) (time.Duration, error) { return p.alarm, nil }

// Clear implements OcclusionAlarm.
func (p *Pump) Clear(context.Context) error { return nil }
