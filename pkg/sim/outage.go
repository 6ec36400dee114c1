package sim

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/wardsec/ward/pkg/audit"
	"github.com/wardsec/ward/pkg/device"
)

// Emergency mode (HIPAA 164.308(a)(7)(ii)(C)). A test build can be put
// through an outage of its back end (device.OutageControl). The pump
// notices the lost link itself, enters emergency mode with an audit
// record and a local alarm, keeps infusing at the programmed rate, keeps
// every login factor, and holds the audit records it cannot forward; when
// the link returns it forwards them in order, leaves emergency mode by
// itself and records that too. Three weaknesses break one promise each:
// outage-stops-therapy, unsafe-fallback and lost-outage-logs.

// maxHeld bounds the records held for forwarding during an outage; the
// local, signed trail keeps every record regardless, so a longer outage
// loses only forwarding of the oldest held ones, and says so.
const maxHeld = 8192

// outageState is the pump's view of its back-end links.
type outageState struct {
	mu       sync.Mutex
	cut      map[string]bool // links down now (by outage kind)
	active   bool            // in emergency mode
	since    time.Time
	causes   []string // the kinds seen during this emergency, in order
	alarms   []device.LocalAlarm
	held     []audit.Record // awaiting forwarding, oldest first
	flushing bool           // held records are being sent: hold new ones too
	overflow int            // held records dropped past maxHeld
}

// alarmKinds names the local alarm of each outage kind.
var alarmKinds = map[string]struct{ kind, detail string }{
	device.OutageNetworkCut:    {"network-lost", "network connection lost: infusion continues at the programmed rate; logins unchanged"},
	device.OutageQuarantine:    {"quarantined", "network segment quarantined: infusion continues at the programmed rate; logins unchanged"},
	device.OutageCollectorDown: {"log-collector-unreachable", "log collector unreachable: audit records are kept and will be forwarded"},
}

// BeginOutage implements device.OutageControl (test build).
func (p *Pump) BeginOutage(ctx context.Context, kind string) error {
	al, ok := alarmKinds[kind]
	if !ok {
		return &device.UnsupportedError{Capability: fmt.Sprintf("outage kind %q (known: %s)", clipName(kind), strings.Join(device.OutageKinds(), ", "))}
	}
	o := &p.outage
	o.mu.Lock()
	if o.cut == nil {
		o.cut = map[string]bool{}
	}
	if o.cut[kind] {
		o.mu.Unlock()
		return nil
	}
	o.cut[kind] = true
	o.mu.Unlock()
	if kind == device.OutageQuarantine {
		// The site's spike guard quarantines the pump's segment, as an
		// operator or a spike would: its egress is then really blocked
		// (device.Network shows it).
		if err := p.guardQuarantine(ctx, true); err != nil {
			o.mu.Lock()
			delete(o.cut, kind)
			o.mu.Unlock()
			return err
		}
	}
	o.mu.Lock()
	entering := !o.active
	now := p.now()
	if entering {
		o.active, o.since, o.causes = true, now, nil
	}
	o.causes = append(o.causes, kind)
	o.alarms = append(o.alarms, device.LocalAlarm{Time: now, Kind: al.kind, Detail: al.detail, Active: true})
	o.mu.Unlock()
	if entering && p.weak["outage-stops-therapy"] {
		// The weakness: the pump treats the lost link as a fault and
		// stops the infusion, resetting the programme.
		p.net.mu.Lock()
		p.net.rate, p.net.order = "0", ""
		p.net.mu.Unlock()
	}
	action := "emergency-mode.cause"
	if entering {
		action = "emergency-mode.enter"
	}
	return p.record(via(ctx, "device"), audit.Event{Actor: "device", Source: "device", Action: action, Object: "emergency mode",
		Outcome: audit.Success, Detail: map[string]string{"cause": kind}})
}

// EndOutage implements device.OutageControl (test build): the links come
// back. The pump sees them return, forwards what it held, and leaves
// emergency mode by itself.
func (p *Pump) EndOutage(ctx context.Context) error {
	o := &p.outage
	o.mu.Lock()
	was := o.active
	kinds := slices.Sorted(func(yield func(string) bool) {
		for k := range o.cut {
			if !yield(k) {
				return
			}
		}
	})
	o.cut = nil
	if was {
		o.flushing = true
	}
	o.mu.Unlock()
	if slices.Contains(kinds, device.OutageQuarantine) {
		if err := p.guardQuarantine(ctx, false); err != nil {
			return err
		}
	}
	if !was {
		return nil
	}
	sent, dropped := p.flushHeld(ctx)
	o.mu.Lock()
	o.active, o.since = false, time.Time{}
	for i := range o.alarms {
		o.alarms[i].Active = false
	}
	overflow := o.overflow
	o.overflow = 0
	o.mu.Unlock()
	detail := map[string]string{"cleared": strings.Join(kinds, ","), "forwarded_after_outage": fmt.Sprint(sent)}
	if dropped+overflow > 0 {
		detail["not_forwarded"] = fmt.Sprint(dropped + overflow)
	}
	return p.record(via(ctx, "device"), audit.Event{Actor: "device", Source: "device", Action: "emergency-mode.exit", Object: "emergency mode",
		Outcome: audit.Success, Detail: detail})
}

// EmergencyStatus implements device.OutageControl.
func (p *Pump) EmergencyStatus(context.Context) (device.EmergencyStatus, error) {
	o := &p.outage
	o.mu.Lock()
	defer o.mu.Unlock()
	st := device.EmergencyStatus{Active: o.active, Causes: []string{}, Alarms: slices.Clone(o.alarms)}
	if o.active {
		st.Since = o.since
		st.Causes = slices.Clone(o.causes)
	}
	if st.Alarms == nil {
		st.Alarms = []device.LocalAlarm{}
	}
	return st, nil
}

// forwardOrHold hands a record to the collector, or holds it while the
// link to the collector is down (or held records are still being sent, so
// order is kept).
func (p *Pump) forwardOrHold(r audit.Record) {
	o := &p.outage
	o.mu.Lock()
	if o.cut[device.OutageNetworkCut] || o.cut[device.OutageCollectorDown] || o.flushing {
		p.net.mu.Lock()
		configured := p.net.collector != nil
		p.net.mu.Unlock()
		if configured {
			if len(o.held) >= maxHeld {
				o.held = o.held[1:]
				o.overflow++
			}
			o.held = append(o.held, r)
		}
		o.mu.Unlock()
		return
	}
	o.mu.Unlock()
	p.forward(r)
}

// flushHeld sends the held records to the collector in order, waiting for
// room in its queue, until none are left; then new records go straight
// through again. lost-outage-logs drops them instead.
func (p *Pump) flushHeld(ctx context.Context) (sent, dropped int) {
	o := &p.outage
	for {
		o.mu.Lock()
		batch := o.held
		o.held = nil
		if len(batch) == 0 {
			o.flushing = false
			o.mu.Unlock()
			return sent, dropped
		}
		o.mu.Unlock()
		if p.weak["lost-outage-logs"] {
			dropped += len(batch)
			continue
		}
		p.net.mu.Lock()
		fw := p.net.collector
		p.net.mu.Unlock()
		for _, r := range batch {
			if fw == nil {
				dropped++
				continue
			}
			select {
			case fw.queue <- r:
				sent++
			case <-fw.done:
				dropped++
			case <-ctx.Done():
				dropped++
			}
		}
	}
}

var _ device.OutageControl = (*Pump)(nil)

// inEmergency reports whether the pump is in emergency mode now.
func (p *Pump) inEmergency() bool {
	p.outage.mu.Lock()
	defer p.outage.mu.Unlock()
	return p.outage.active
}

// guardQuarantine quarantines (or releases) the pump's zone through the
// site's spike guard, when it runs one (not under no-spike-quarantine).
func (p *Pump) guardQuarantine(ctx context.Context, on bool) error {
	if p.site == nil || p.site.guard == nil {
		return nil
	}
	ctx = via(ctx, "device")
	const operator = "ward outage control"
	if on {
		return p.site.guard.Quarantine(ctx, "zone", pumpZone, operator)
	}
	return p.site.guard.Release(ctx, "zone", pumpZone, operator)
}
