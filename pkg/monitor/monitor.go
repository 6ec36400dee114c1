package monitor

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/wardsec/ward/pkg/audit"
)

// Kind names what an Alert is about.
type Kind string

const (
	KindSpike          Kind = "traffic-spike"
	KindZoneSpike      Kind = "zone-traffic-spike"
	KindNewDestination Kind = "new-destination"
	KindOffHours       Kind = "off-hours-privileged"
	KindUnknownDevice  Kind = "unknown-device"
	KindQuarantine     Kind = "quarantine"
	KindRelease        Kind = "quarantine-released"
)

// Alert is one anomaly, structured so drivers and scenarios can assert on
// it and auditors can read it.
type Alert struct {
	Time   time.Time
	Kind   Kind
	Device string // device name or address ("" for zone alerts)
	Zone   string
	Detail string
	// Value and Limit are the observed rate and the threshold it crossed
	// (flows per window) for spikes.
	Value, Limit float64
}

func (a Alert) String() string {
	s := fmt.Sprintf("%s %s", a.Time.UTC().Format(time.RFC3339), a.Kind)
	if a.Device != "" {
		s += " device=" + a.Device
	}
	if a.Zone != "" {
		s += " zone=" + a.Zone
	}
	if a.Limit > 0 {
		s += fmt.Sprintf(" rate=%g limit=%g", a.Value, a.Limit)
	}
	if a.Detail != "" {
		s += ": " + a.Detail
	}
	return s
}

// Auditor records events; *audit.Log satisfies it.
type Auditor interface {
	Append(ctx context.Context, e audit.Event) (audit.Record, error)
}

// Spike is a zone's rate thresholds, in flows per Window.
type Spike struct {
	Window      time.Duration
	DeviceLimit uint64 // 0: none fixed
	ZoneLimit   uint64 // 0: none
	// Learn derives each device's limit from its own history: Factor times
	// its mean flows per window, once MinWindows windows are learned (and
	// never below DeviceLimit).
	Learn      bool
	Factor     float64
	MinWindows int
}

// ErrConfig: an invalid option.
var ErrConfig = errors.New("monitor: invalid configuration")

// Option configures a Monitor.
type Option func(*Monitor) error

// WithClock sets the clock (default time.Now). Simulators pass theirs so
// windows follow simulated time.
func WithClock(now func() time.Time) Option {
	return func(m *Monitor) error { m.now = now; return nil }
}

// WithAudit records every alert in an audit log.
func WithAudit(a Auditor) Option { return func(m *Monitor) error { m.audit = a; return nil } }

// WithNotify calls f for each alert (after it is recorded), e.g. to page
// someone or to quarantine.
func WithNotify(f func(Alert)) Option {
	return func(m *Monitor) error { m.notify = append(m.notify, f); return nil }
}

// WithZoneSpike sets a zone's spike thresholds.
func WithZoneSpike(zone string, s Spike) Option {
	return func(m *Monitor) error {
		if s.Window <= 0 || (s.DeviceLimit == 0 && s.ZoneLimit == 0 && !s.Learn) || (s.Learn && s.Factor <= 1) {
			return fmt.Errorf("%w: zone %q spike: need a positive window, a limit or learning with factor > 1", ErrConfig, zone)
		}
		if s.Learn && s.MinWindows <= 0 {
			s.MinWindows = 5
		}
		m.spikes[zone] = s
		return nil
	}
}

// WithLearning sets how long after a device is first seen its
// destinations and privileged-use hours are learned as normal (default
// 24h). 0 learns nothing on its own: only Learn says what is normal.
func WithLearning(d time.Duration) Option {
	return func(m *Monitor) error {
		if d < 0 {
			return fmt.Errorf("%w: negative learning period", ErrConfig)
		}
		m.learnFor = d
		return nil
	}
}

type window struct {
	start time.Time
	count uint64
	fired bool
}

type devState struct {
	zone      string
	firstSeen time.Time
	win       window
	mean      float64 // learned mean flows per window
	learned   int     // windows learned
	lastSpike time.Time
	dests     map[string]bool
	alerted   map[string]bool
	hours     [24]int
}

type zoneState struct {
	win       window
	lastSpike time.Time
}

// Monitor keeps per-device behaviour baselines and raises alerts. It is
// safe for concurrent use.
type Monitor struct {
	now      func() time.Time
	audit    Auditor
	notify   []func(Alert)
	spikes   map[string]Spike
	learnFor time.Duration

	mu      sync.Mutex
	devs    map[string]*devState
	zones   map[string]*zoneState
	alerts  []Alert
	unknown map[string]bool
}

// New returns a Monitor.
func New(opts ...Option) (*Monitor, error) {
	m := &Monitor{now: time.Now, spikes: map[string]Spike{}, learnFor: 24 * time.Hour,
		devs: map[string]*devState{}, zones: map[string]*zoneState{}, unknown: map[string]bool{}}
	for _, o := range opts {
		if err := o(m); err != nil {
			return nil, err
		}
	}
	return m, nil
}

// roll moves a window to the one holding now, feeding a finished window
// into the learned baseline (spiking windows are left out, so an attack
// does not teach the monitor that attacks are normal).
func roll(w *window, now time.Time, size time.Duration, learn func(uint64)) {
	start := now.Truncate(size)
	if w.start.Equal(start) {
		return
	}
	if !w.start.IsZero() && learn != nil && !w.fired {
		learn(w.count)
		// Empty windows in between count too: quiet is normal.
		for t := w.start.Add(size); t.Before(start); t = t.Add(size) {
			learn(0)
			if t.Sub(w.start) > 64*size {
				break
			}
		}
	}
	*w = window{start: start}
}

func (m *Monitor) dev(name, zone string, now time.Time) *devState {
	d := m.devs[name]
	if d == nil {
		d = &devState{zone: zone, firstSeen: now, dests: map[string]bool{}, alerted: map[string]bool{}}
		m.devs[name] = d
	}
	return d
}

func (m *Monitor) learning(d *devState, now time.Time) bool { return now.Sub(d.firstSeen) < m.learnFor }

// deviceLimit is the device's current threshold (0: none yet).
func deviceLimit(s Spike, d *devState) float64 {
	limit := float64(s.DeviceLimit)
	if s.Learn && d.learned >= s.MinWindows {
		limit = max(limit, s.Factor*max(d.mean, 1))
	}
	return limit
}

// ObserveFlow counts n flows a device opened to dst (an address or name;
// "" when not tracked) and returns the alerts they raised: a device spike,
// a zone spike, or a new destination after the learning period.
func (m *Monitor) ObserveFlow(ctx context.Context, device, zone, dst string, n uint64) []Alert {
	now := m.now()
	var out []Alert
	m.mu.Lock()
	d := m.dev(device, zone, now)
	if dst != "" && !d.dests[dst] {
		if m.learning(d, now) {
			d.dests[dst] = true
		} else if !d.alerted[dst] {
			d.alerted[dst] = true
			out = append(out, Alert{Time: now, Kind: KindNewDestination, Device: device, Zone: zone, Detail: "first connection to " + dst + " after the learning period"})
		}
	}
	if s, ok := m.spikes[zone]; ok {
		roll(&d.win, now, s.Window, func(c uint64) {
			d.learned++
			d.mean += (float64(c) - d.mean) / float64(min(d.learned, 32)) // running mean, then EWMA
		})
		d.win.count += n
		if limit := deviceLimit(s, d); limit > 0 && float64(d.win.count) > limit {
			d.lastSpike = now
			if !d.win.fired {
				d.win.fired = true
				out = append(out, Alert{Time: now, Kind: KindSpike, Device: device, Zone: zone, Value: float64(d.win.count), Limit: limit,
					Detail: fmt.Sprintf("%d flows in %s", d.win.count, s.Window)})
			}
		}
		if s.ZoneLimit > 0 {
			z := m.zones[zone]
			if z == nil {
				z = &zoneState{}
				m.zones[zone] = z
			}
			roll(&z.win, now, s.Window, nil)
			z.win.count += n
			if z.win.count > s.ZoneLimit {
				z.lastSpike = now
				if !z.win.fired {
					z.win.fired = true
					out = append(out, Alert{Time: now, Kind: KindZoneSpike, Zone: zone, Value: float64(z.win.count), Limit: float64(s.ZoneLimit),
						Detail: fmt.Sprintf("%d flows in %s from the zone", z.win.count, s.Window)})
				}
			}
		}
	}
	m.mu.Unlock()
	m.raise(ctx, out)
	return out
}

// ObservePrivileged records a privileged action (firmware update, limits
// change, user management) by actor on device. During the learning period
// it learns the hours such actions happen; afterwards an action in an
// hour never seen before raises an off-hours alert.
func (m *Monitor) ObservePrivileged(ctx context.Context, device, actor, action string) []Alert {
	now := m.now()
	h := now.UTC().Hour()
	var out []Alert
	m.mu.Lock()
	d := m.dev(device, "", now)
	if m.learning(d, now) {
		d.hours[h]++
	} else if d.hours[h] == 0 {
		out = append(out, Alert{Time: now, Kind: KindOffHours, Device: device,
			Detail: fmt.Sprintf("%s by %s at %02d:00 UTC, an hour with no privileged activity in the baseline", action, actor, h)})
	}
	m.mu.Unlock()
	m.raise(ctx, out)
	return out
}

// UnknownDevice raises (once per address) an alert for traffic from or to
// an address in no zone or inventory.
func (m *Monitor) UnknownDevice(ctx context.Context, addr string) []Alert {
	m.mu.Lock()
	if m.unknown[addr] {
		m.mu.Unlock()
		return nil
	}
	m.unknown[addr] = true
	m.mu.Unlock()
	a := []Alert{{Time: m.now(), Kind: KindUnknownDevice, Device: addr, Detail: "traffic from or to an address in no zone or inventory: denied"}}
	m.raise(ctx, a)
	return a
}

// Raise records and announces an alert another component detected (the
// segment guard's quarantines and releases).
func (m *Monitor) Raise(ctx context.Context, a Alert) {
	if a.Time.IsZero() {
		a.Time = m.now()
	}
	m.raise(ctx, []Alert{a})
}

func (m *Monitor) raise(ctx context.Context, as []Alert) {
	if len(as) == 0 {
		return
	}
	m.mu.Lock()
	m.alerts = append(m.alerts, as...)
	m.mu.Unlock()
	for _, a := range as {
		if m.audit != nil {
			outcome := audit.Failure
			switch a.Kind {
			case KindQuarantine:
				outcome = audit.Denied
			case KindRelease:
				outcome = audit.Success
			}
			detail := map[string]string{"kind": string(a.Kind), "detail": a.Detail}
			if a.Zone != "" {
				detail["zone"] = a.Zone
			}
			if a.Limit > 0 {
				detail["rate"] = strconv.FormatFloat(a.Value, 'g', -1, 64)
				detail["limit"] = strconv.FormatFloat(a.Limit, 'g', -1, 64)
			}
			// An alert that cannot be recorded is still raised: losing
			// the page because the log is full would be worse.
			object := a.Device
			if object == "" && a.Zone != "" {
				object = "zone:" + a.Zone
			}
			source := a.Device // the device whose behaviour raised it
			if source == "" {
				source = audit.LocalSource
			}
			_, _ = m.audit.Append(ctx, audit.Event{Time: a.Time, Actor: "monitor", Source: source, Action: "monitor." + string(a.Kind),
				Object: object, Outcome: outcome, Detail: detail})
		}
		for _, f := range m.notify {
			f(a)
		}
	}
}

// Learn records destinations as normal for a device (its documented peers),
// so connections to them never raise a new-destination alert.
func (m *Monitor) Learn(device, zone string, dsts ...string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	d := m.dev(device, zone, m.now())
	for _, x := range dsts {
		d.dests[x] = true
	}
}

// Alerts returns every alert raised so far, oldest first.
func (m *Monitor) Alerts() []Alert {
	m.mu.Lock()
	defer m.mu.Unlock()
	return slices.Clone(m.alerts)
}

// CalmSince reports whether a device (or, with device "", a zone) has had
// no spike for at least d up to now. A device never seen is calm.
func (m *Monitor) CalmSince(device, zone string, d time.Duration) bool {
	now := m.now()
	m.mu.Lock()
	defer m.mu.Unlock()
	var last time.Time
	if device != "" {
		if ds := m.devs[device]; ds != nil {
			last = ds.lastSpike
		}
	} else if z := m.zones[zone]; z != nil {
		last = z.lastSpike
		// A zone is calm only when each of its devices is.
		for _, ds := range m.devs {
			if ds.zone == zone && ds.lastSpike.After(last) {
				last = ds.lastSpike
			}
		}
	} else {
		for _, ds := range m.devs {
			if ds.zone == zone && ds.lastSpike.After(last) {
				last = ds.lastSpike
			}
		}
	}
	return last.IsZero() || now.Sub(last) >= d
}

// Baseline is what the monitor has learned about a device.
type Baseline struct {
	MeanPerWindow float64
	Windows       int
	Destinations  []string
	Limit         float64 // current spike threshold (0: none yet)
}

// Baseline returns a device's learned baseline.
func (m *Monitor) Baseline(device string) Baseline {
	m.mu.Lock()
	defer m.mu.Unlock()
	d := m.devs[device]
	if d == nil {
		return Baseline{}
	}
	b := Baseline{MeanPerWindow: d.mean, Windows: d.learned}
	for k := range d.dests {
		b.Destinations = append(b.Destinations, k)
	}
	slices.Sort(b.Destinations)
	if s, ok := m.spikes[d.zone]; ok {
		b.Limit = deviceLimit(s, d)
	}
	return b
}
