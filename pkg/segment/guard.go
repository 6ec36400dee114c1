package segment

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/wardsec/ward/pkg/audit"
	"github.com/wardsec/ward/pkg/monitor"
)

// GuardOption configures a Guard.
type GuardOption func(*guardConfig)

type guardConfig struct {
	now      func() time.Time
	audit    monitor.Auditor
	onChange func(context.Context, *Engine) error
	notify   []func(monitor.Alert)
	learn    *time.Duration
}

// GuardClock sets the clock (default time.Now); simulators pass theirs.
func GuardClock(now func() time.Time) GuardOption { return func(c *guardConfig) { c.now = now } }

// GuardAudit records alerts, quarantines and releases in an audit log.
func GuardAudit(a monitor.Auditor) GuardOption { return func(c *guardConfig) { c.audit = a } }

// GuardOnChange is called after every quarantine, release or DNS change,
// with the engine to enforce, typically to re-apply its nftables ruleset.
func GuardOnChange(f func(context.Context, *Engine) error) GuardOption {
	return func(c *guardConfig) { c.onChange = f }
}

// GuardNotify is called with every alert (spikes, unknown devices,
// quarantines, releases).
func GuardNotify(f func(monitor.Alert)) GuardOption {
	return func(c *guardConfig) { c.notify = append(c.notify, f) }
}

// GuardLearning sets the monitor's learning period for destinations (0:
// only what Learn is told is normal).
func GuardLearning(d time.Duration) GuardOption { return func(c *guardConfig) { c.learn = &d } }

type qkey struct{ kind, name string }

// Guard enforces a policy on live traffic: it decides each flow, counts
// flows per device and per zone, and when a zone's spike thresholds are
// crossed it quarantines the device or the whole zone (the zone's policy
// says which), raising an audited alert. A quarantine it set is lifted
// after the zone's calm period without a spike, or by an operator.
type Guard struct {
	cfg guardConfig
	eng atomic.Pointer[Engine]
	mon *monitor.Monitor

	mu   sync.Mutex
	auto map[qkey]time.Duration // quarantines set by the guard, with their calm period
}

// NewGuard returns a Guard over e, with the spike thresholds of e's zones.
func NewGuard(e *Engine, opts ...GuardOption) (*Guard, error) {
	g := &Guard{cfg: guardConfig{now: time.Now}, auto: map[qkey]time.Duration{}}
	for _, o := range opts {
		o(&g.cfg)
	}
	mopts := []monitor.Option{monitor.WithClock(g.cfg.now)}
	if g.cfg.audit != nil {
		mopts = append(mopts, monitor.WithAudit(g.cfg.audit))
	}
	for _, f := range g.cfg.notify {
		mopts = append(mopts, monitor.WithNotify(f))
	}
	if g.cfg.learn != nil {
		mopts = append(mopts, monitor.WithLearning(*g.cfg.learn))
	}
	for _, z := range e.policy.Zones {
		if s := z.Spike; s != nil {
			mopts = append(mopts, monitor.WithZoneSpike(z.Name, monitor.Spike{Window: s.Window, DeviceLimit: s.DeviceLimit, ZoneLimit: s.ZoneLimit, Learn: s.Learn, Factor: s.Factor}))
		}
	}
	m, err := monitor.New(mopts...)
	if err != nil {
		return nil, err
	}
	g.mon = m
	g.eng.Store(e)
	return g, nil
}

// Engine returns the engine the guard currently enforces.
func (g *Guard) Engine() *Engine { return g.eng.Load() }

// Monitor returns the guard's behaviour monitor.
func (g *Guard) Monitor() *monitor.Monitor { return g.mon }

// Alerts returns every alert so far.
func (g *Guard) Alerts() []monitor.Alert { return g.mon.Alerts() }

// Observe decides a flow, counts it against its source, and quarantines on
// a spike. The decision is the one made before the flow was counted.
func (g *Guard) Observe(ctx context.Context, f Flow) Decision {
	e := g.eng.Load()
	d := e.Decide(f)
	if d.Reason == ReasonUnknown {
		g.mon.UnknownDevice(ctx, d.Subject)
		return d
	}
	src := e.endpoint(f.Src)
	if src.zone < 0 || src.zone == e.ext {
		return d // only the site's own zones are counted
	}
	zone := e.zoneNames[src.zone]
	name := f.Src.Unmap().String()
	if src.dev >= 0 {
		name = e.devNames[src.dev]
	}
	for _, a := range g.mon.ObserveFlow(ctx, name, zone, destination(f), 1) {
		switch a.Kind {
		case monitor.KindSpike:
			s := e.policy.Zones[src.zone].Spike
			if s.Segment || src.dev < 0 {
				g.quarantine(ctx, e, "zone", zone, s.Calm, a)
			} else {
				g.quarantine(ctx, e, "device", name, s.Calm, a)
			}
		case monitor.KindZoneSpike:
			g.quarantine(ctx, e, "zone", zone, e.policy.Zones[src.zone].Spike.Calm, a)
		}
	}
	return d
}

// destination names a flow's destination for the monitor's baselines.
func destination(f Flow) string {
	if f.Proto.hasPorts() {
		return fmt.Sprintf("%s/%s:%d", f.Dst.Unmap(), f.Proto, f.DstPort)
	}
	return f.Dst.Unmap().String() + "/" + f.Proto.String()
}

// Learn tells the monitor that the flow is normal for its source (a
// documented peer), so it never raises a new-destination alert.
func (g *Guard) Learn(f Flow) {
	e := g.eng.Load()
	src := e.endpoint(f.Src)
	if src.zone < 0 || src.zone == e.ext {
		return
	}
	name := f.Src.Unmap().String()
	if src.dev >= 0 {
		name = e.devNames[src.dev]
	}
	g.mon.Learn(name, e.zoneNames[src.zone], destination(f))
}

func (g *Guard) quarantine(ctx context.Context, e *Engine, kind, name string, calm time.Duration, why monitor.Alert) {
	changed, err := e.Quarantine(kind, name)
	if err != nil || !changed {
		return
	}
	g.mu.Lock()
	g.auto[qkey{kind, name}] = calm
	g.mu.Unlock()
	a := monitor.Alert{Kind: monitor.KindQuarantine, Zone: why.Zone, Value: why.Value, Limit: why.Limit,
		Detail: fmt.Sprintf("%s %s quarantined after %s: only monitoring conduits stay open", kind, name, why.Kind)}
	if kind == "device" {
		a.Device = name
	} else {
		a.Zone = name
	}
	g.record(ctx, "segment.quarantine", "segment-guard", kind, name, audit.Denied, string(why.Kind))
	g.mon.Raise(ctx, a)
	g.changed(ctx)
}

func (g *Guard) record(ctx context.Context, action, actor, kind, name string, outcome audit.Outcome, reason string) {
	if g.cfg.audit == nil {
		return
	}
	_, _ = g.cfg.audit.Append(ctx, audit.Event{Time: g.cfg.now(), Actor: actor, Source: audit.LocalSource, Action: action, Object: kind + ":" + name,
		Outcome: outcome, Detail: map[string]string{"reason": reason}})
}

func (g *Guard) changed(ctx context.Context) {
	if g.cfg.onChange != nil {
		if err := g.cfg.onChange(ctx, g.eng.Load()); err != nil {
			g.mon.Raise(ctx, monitor.Alert{Kind: "enforcement-failed", Detail: err.Error()})
		}
	}
}

// Tick lifts the guard's quarantines whose device or zone has been calm for
// its zone's calm period, and returns what it released ("device:name",
// "zone:name"). Call it periodically (on the device clock).
func (g *Guard) Tick(ctx context.Context) []string {
	e := g.eng.Load()
	var released []string
	g.mu.Lock()
	var due []qkey
	for k, calm := range g.auto {
		if calm <= 0 {
			continue
		}
		var ok bool
		if k.kind == "device" {
			ok = g.mon.CalmSince(k.name, "", calm)
		} else {
			ok = g.mon.CalmSince("", k.name, calm)
		}
		if ok {
			due = append(due, k)
			delete(g.auto, k)
		}
	}
	g.mu.Unlock()
	for _, k := range due {
		if changed, err := e.Release(k.kind, k.name); err == nil && changed {
			released = append(released, k.kind+":"+k.name)
			g.record(ctx, "segment.release", "segment-guard", k.kind, k.name, audit.Success, "calm period over")
			a := monitor.Alert{Kind: monitor.KindRelease, Detail: fmt.Sprintf("%s %s released after a calm period", k.kind, k.name)}
			if k.kind == "device" {
				a.Device = k.name
			} else {
				a.Zone = k.name
			}
			g.mon.Raise(ctx, a)
		}
	}
	if len(released) > 0 {
		g.changed(ctx)
	}
	return released
}

// Quarantine lets an operator quarantine a device or zone by hand; only an
// operator (Release) lifts it.
func (g *Guard) Quarantine(ctx context.Context, kind, name, operator string) error {
	changed, err := g.eng.Load().Quarantine(kind, name)
	if err != nil || !changed {
		return err
	}
	g.record(ctx, "segment.quarantine", operator, kind, name, audit.Denied, "operator")
	g.changed(ctx)
	return nil
}

// Release lets an operator lift a quarantine.
func (g *Guard) Release(ctx context.Context, kind, name, operator string) error {
	changed, err := g.eng.Load().Release(kind, name)
	if err != nil {
		return err
	}
	g.mu.Lock()
	delete(g.auto, qkey{kind, name})
	g.mu.Unlock()
	if changed {
		g.record(ctx, "segment.release", operator, kind, name, audit.Success, "operator")
		a := monitor.Alert{Kind: monitor.KindRelease, Detail: fmt.Sprintf("%s %s released by %s", kind, name, operator)}
		if kind == "device" {
			a.Device = name
		} else {
			a.Zone = name
		}
		g.mon.Raise(ctx, a)
		g.changed(ctx)
	}
	return nil
}

// Refresh re-resolves DNS peers and, when an answer changed, switches to
// the rebuilt engine (keeping quarantines) and re-enforces.
func (g *Guard) Refresh(ctx context.Context) (bool, error) {
	n, changed, err := g.eng.Load().Refresh(ctx)
	if err != nil || !changed {
		return false, err
	}
	g.eng.Store(n)
	g.changed(ctx)
	return true, nil
}

// RefreshEvery calls Refresh every interval until ctx is done, then
// returns ctx's error. The resolver interface carries no TTLs, so the
// interval stands in for them: pick the shortest TTL the policy's names
// have. A refresh error goes to onErr (nil: dropped) and the loop goes on;
// a name that stops resolving matches nothing until it resolves again
// (fail closed), whatever the interval.
func (g *Guard) RefreshEvery(ctx context.Context, interval time.Duration, onErr func(error)) error {
	if interval <= 0 {
		return fmt.Errorf("segment: refresh interval %v: must be positive", interval)
	}
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-t.C:
			if _, err := g.Refresh(ctx); err != nil && onErr != nil && ctx.Err() == nil {
				onErr(err)
			}
		}
	}
}

// Notice shows the monitor a flow for its destination baselines (a
// new-destination alert) without counting it toward rates, for when an
// enforcement point's counters do the counting (see ObserveDevice).
func (g *Guard) Notice(ctx context.Context, f Flow) {
	e := g.eng.Load()
	src := e.endpoint(f.Src)
	if src.zone < 0 || src.zone == e.ext {
		return
	}
	name := f.Src.Unmap().String()
	if src.dev >= 0 {
		name = e.devNames[src.dev]
	}
	g.mon.ObserveFlow(ctx, name, e.zoneNames[src.zone], destination(f), 0)
}

// ObserveDevice counts n flows a device opened that an enforcement point
// (the nftables counters of its rules) decided on its own, and quarantines
// on a spike like Observe.
func (g *Guard) ObserveDevice(ctx context.Context, device string, n uint64) error {
	e := g.eng.Load()
	i, ok := e.devIndex[device]
	if !ok {
		return fmt.Errorf("%w: no device %q", ErrInvalid, device)
	}
	zi := e.devs[i].zone
	zone := e.zoneNames[zi]
	for _, a := range g.mon.ObserveFlow(ctx, device, zone, "", n) {
		s := e.policy.Zones[zi].Spike
		switch {
		case a.Kind == monitor.KindZoneSpike || (a.Kind == monitor.KindSpike && s.Segment):
			g.quarantine(ctx, e, "zone", zone, s.Calm, a)
		case a.Kind == monitor.KindSpike:
			g.quarantine(ctx, e, "device", device, s.Calm, a)
		}
	}
	return nil
}
