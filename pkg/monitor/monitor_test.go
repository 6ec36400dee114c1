package monitor

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wardsec/ward/pkg/audit"
)

// clock is a manual clock: time moves only when a test says so.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time      { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) add(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }
func newClock() *clock               { return &clock{t: time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)} }
func kinds(as []Alert) (out []string) {
	for _, a := range as {
		out = append(out, string(a.Kind))
	}
	return
}

func newMon(t *testing.T, c *clock, opts ...Option) (*Monitor, *audit.Log) {
	t.Helper()
	log, err := audit.Open(context.Background(), audit.NewMemStore(), audit.WithClock(c.now))
	if err != nil {
		t.Fatal(err)
	}
	m, err := New(append([]Option{WithClock(c.now), WithAudit(log)}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	return m, log
}

func TestFixedSpike(t *testing.T) {
	c := newClock()
	m, log := newMon(t, c, WithZoneSpike("medical", Spike{Window: 10 * time.Second, DeviceLimit: 50}))
	ctx := context.Background()
	// 50 flows in a window is the limit, not a spike.
	if as := m.ObserveFlow(ctx, "pump-1", "medical", "", 50); len(as) != 0 {
		t.Fatalf("at the limit: %v", as)
	}
	as := m.ObserveFlow(ctx, "pump-1", "medical", "", 1)
	if len(as) != 1 || as[0].Kind != KindSpike || as[0].Value != 51 || as[0].Limit != 50 {
		t.Fatalf("over the limit: %v", as)
	}
	// One alert per window, however long the spike.
	if as := m.ObserveFlow(ctx, "pump-1", "medical", "", 100); len(as) != 0 {
		t.Fatalf("second alert in the same window: %v", as)
	}
	// Another device's count is its own.
	if as := m.ObserveFlow(ctx, "pump-2", "medical", "", 10); len(as) != 0 {
		t.Fatalf("pump-2: %v", as)
	}
	if m.CalmSince("pump-1", "", time.Minute) {
		t.Fatal("calm right after a spike")
	}
	c.add(time.Minute)
	if !m.CalmSince("pump-1", "", time.Minute) {
		t.Fatal("not calm a minute after the last spike")
	}
	recs, err := log.Records(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 1 || recs[0].Action != "monitor.traffic-spike" || recs[0].Detail["limit"] != "50" || recs[0].Outcome != audit.Failure {
		t.Fatalf("audit: %+v", recs)
	}
}

func TestZoneSpike(t *testing.T) {
	c := newClock()
	m, log := newMon(t, c, WithZoneSpike("medical", Spike{Window: 10 * time.Second, DeviceLimit: 50, ZoneLimit: 100}))
	ctx := context.Background()
	var all []Alert
	for i := range 6 { // six devices, 20 flows each: no device spikes, the zone does
		all = append(all, m.ObserveFlow(ctx, "pump-"+string(rune('a'+i)), "medical", "", 20)...)
	}
	if got := strings.Join(kinds(all), ","); got != "zone-traffic-spike" {
		t.Fatalf("alerts %s", got)
	}
	if m.CalmSince("", "medical", 30*time.Second) {
		t.Fatal("zone calm right after its spike")
	}
	recs, err := log.Records(ctx)
	if err != nil || len(recs) != 1 || recs[0].Source != audit.LocalSource {
		t.Fatalf("a zone alert's record names no device; its source is the monitor's own: %+v, %v", recs, err)
	}
	// Windows roll: the next window starts from zero.
	c.add(10 * time.Second)
	if as := m.ObserveFlow(ctx, "pump-a", "medical", "", 40); len(as) != 0 {
		t.Fatalf("new window: %v", as)
	}
}

// TestLearnedBaseline: a chatty device's normal rate is not a spike; five
// times it is; and spiking windows do not raise the baseline.
func TestLearnedBaseline(t *testing.T) {
	c := newClock()
	m, _ := newMon(t, c, WithZoneSpike("pacs", Spike{Window: time.Minute, Learn: true, Factor: 3, MinWindows: 5}))
	ctx := context.Background()
	for range 10 {
		if as := m.ObserveFlow(ctx, "modality", "pacs", "", 200); len(as) != 0 {
			t.Fatalf("normal traffic alerted: %v", as)
		}
		c.add(time.Minute)
	}
	b := m.Baseline("modality")
	if b.Windows < 9 || b.MeanPerWindow < 190 || b.MeanPerWindow > 210 || b.Limit < 570 || b.Limit > 630 {
		t.Fatalf("baseline %+v", b)
	}
	if as := m.ObserveFlow(ctx, "modality", "pacs", "", 500); len(as) != 0 {
		t.Fatalf("2.5x the baseline alerted: %v", as)
	}
	if as := m.ObserveFlow(ctx, "modality", "pacs", "", 500); len(as) != 1 || as[0].Kind != KindSpike {
		t.Fatalf("5x the baseline: %v", as)
	}
	c.add(time.Minute)
	m.ObserveFlow(ctx, "modality", "pacs", "", 1)
	if b2 := m.Baseline("modality"); b2.MeanPerWindow > b.MeanPerWindow+1 {
		t.Fatalf("the spike was learned as normal: %v -> %v", b.MeanPerWindow, b2.MeanPerWindow)
	}
}

func TestNewDestinationAndOffHours(t *testing.T) {
	c := newClock() // 09:00 UTC
	m, log := newMon(t, c, WithLearning(time.Hour))
	ctx := context.Background()
	m.ObserveFlow(ctx, "pump-1", "medical", "10.77.30.20:443", 1)
	m.ObservePrivileged(ctx, "pump-1", "biomed.lee", "firmware.update")
	c.add(2 * time.Hour) // 11:00, learning over
	if as := m.ObserveFlow(ctx, "pump-1", "medical", "10.77.30.20:443", 1); len(as) != 0 {
		t.Fatalf("known destination alerted: %v", as)
	}
	as := m.ObserveFlow(ctx, "pump-1", "medical", "203.0.113.66:4444", 1)
	if len(as) != 1 || as[0].Kind != KindNewDestination || !strings.Contains(as[0].Detail, "203.0.113.66:4444") {
		t.Fatalf("new destination: %v", as)
	}
	if as := m.ObserveFlow(ctx, "pump-1", "medical", "203.0.113.66:4444", 1); len(as) != 0 {
		t.Fatalf("alerted twice: %v", as)
	}
	c.add(-2 * time.Hour) // 09:00 again, a learned hour
	c.add(24 * time.Hour)
	if as := m.ObservePrivileged(ctx, "pump-1", "biomed.lee", "firmware.update"); len(as) != 0 {
		t.Fatalf("usual hour alerted: %v", as)
	}
	c.add(18 * time.Hour) // 03:00
	as = m.ObservePrivileged(ctx, "pump-1", "biomed.lee", "infusion.limits.change")
	if len(as) != 1 || as[0].Kind != KindOffHours || !strings.Contains(as[0].Detail, "03:00") {
		t.Fatalf("off hours: %v", as)
	}
	if as := m.UnknownDevice(ctx, "10.77.99.4"); len(as) != 1 || as[0].Kind != KindUnknownDevice {
		t.Fatalf("unknown: %v", as)
	}
	if as := m.UnknownDevice(ctx, "10.77.99.4"); len(as) != 0 {
		t.Fatalf("unknown twice: %v", as)
	}
	recs, _ := log.Records(ctx)
	var actions []string
	for _, r := range recs {
		actions = append(actions, r.Action)
	}
	if got := strings.Join(actions, ","); got != "monitor.new-destination,monitor.off-hours-privileged,monitor.unknown-device" {
		t.Fatalf("audited %s", got)
	}
}

func TestBadConfig(t *testing.T) {
	for _, s := range []Spike{{}, {Window: time.Second}, {Window: time.Second, Learn: true, Factor: 1}} {
		if _, err := New(WithZoneSpike("z", s)); err == nil {
			t.Errorf("%+v accepted", s)
		}
	}
}

func TestConcurrentObserve(t *testing.T) {
	c := newClock()
	var mu sync.Mutex
	notified := 0
	m, _ := newMon(t, c, WithZoneSpike("medical", Spike{Window: time.Minute, DeviceLimit: 1000}), WithNotify(func(Alert) { mu.Lock(); notified++; mu.Unlock() }))
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 200 {
				m.ObserveFlow(context.Background(), "pump-1", "medical", "", 1)
			}
		}()
	}
	wg.Wait()
	// 1600 flows against a limit of 1000: exactly one alert.
	if n := len(m.Alerts()); n != 1 || notified != 1 {
		t.Fatalf("%d alerts, %d notifications", n, notified)
	}
}

// TestQuietWindowsAreLearned: windows without traffic count toward the
// baseline (a device quiet for an hour then bursting is anomalous), but a
// long gap does not make the monitor loop over every missed window.
func TestQuietWindowsAreLearned(t *testing.T) {
	c := newClock()
	m, _ := newMon(t, c, WithZoneSpike("z", Spike{Window: time.Second, Learn: true, Factor: 4, MinWindows: 3}))
	ctx := context.Background()
	m.ObserveFlow(ctx, "d", "z", "", 10)
	c.add(10 * time.Second) // nine empty windows
	m.ObserveFlow(ctx, "d", "z", "", 1)
	b := m.Baseline("d")
	if b.Windows != 10 || b.MeanPerWindow > 1.5 {
		t.Fatalf("baseline after quiet windows: %+v", b)
	}
	c.add(365 * 24 * time.Hour) // a year: bounded catch-up
	m.ObserveFlow(ctx, "d", "z", "", 1)
	if b := m.Baseline("d"); b.Windows > 10+66 {
		t.Fatalf("caught up %d windows", b.Windows)
	}
	// Learned limit: factor x max(mean, 1) = 4; 5 flows is a spike.
	c.add(time.Second)
	if as := m.ObserveFlow(ctx, "d", "z", "", 5); len(as) != 1 || as[0].Limit != 4 {
		t.Fatalf("learned spike: %v", as)
	}
}
