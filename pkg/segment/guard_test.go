package segment_test

import (
	"context"
	"errors"
	"net/netip"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wardsec/ward/pkg/audit"
	"github.com/wardsec/ward/pkg/monitor"
	"github.com/wardsec/ward/pkg/segment"
	"github.com/wardsec/ward/pkg/segment/segmenthcl"
)

func hospital(t testing.TB) *segment.Policy {
	t.Helper()
	src, err := os.ReadFile("../../examples/segment/hospital.hcl")
	if err != nil {
		t.Fatal(err)
	}
	p, _, diags := segmenthcl.Load("hospital.hcl", src)
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	return p
}

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time      { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) add(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }

func flow(t testing.TB, s string) segment.Flow {
	t.Helper()
	f, err := segment.ParseFlow(s)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

type guardRig struct {
	g       *segment.Guard
	c       *clock
	log     *audit.Log
	applied []string // nft rulesets handed to enforcement
}

func newRig(t *testing.T, p *segment.Policy) *guardRig {
	t.Helper()
	ctx := context.Background()
	r := &guardRig{c: &clock{t: time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)}}
	var err error
	if r.log, err = audit.Open(ctx, audit.NewMemStore(), audit.WithClock(r.c.now)); err != nil {
		t.Fatal(err)
	}
	e, err := segment.Compile(ctx, p)
	if err != nil {
		t.Fatal(err)
	}
	r.g, err = segment.NewGuard(e, segment.GuardClock(r.c.now), segment.GuardAudit(r.log),
		segment.GuardOnChange(func(_ context.Context, e *segment.Engine) error {
			r.applied = append(r.applied, e.NFTables(segment.NFTOptions{}))
			return nil
		}))
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func (r *guardRig) actions(t *testing.T) []string {
	recs, err := r.log.Records(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, x := range recs {
		if x.Source == "" {
			t.Errorf("record %d (%s) has no source", x.Seq, x.Action)
		}
		out = append(out, x.Action+" "+x.Object)
	}
	return out
}

// TestSpikeQuarantinesSegment: a pump that opens more flows than its zone
// allows shuts its whole segment down; telemetry to the monitoring
// station stays up; the segment comes back after the calm period.
func TestSpikeQuarantinesSegment(t *testing.T) {
	r := newRig(t, hospital(t))
	ctx := context.Background()
	ehr := flow(t, "src=10.77.10.6 dst=10.77.30.20 proto=tcp dport=443")
	telemetry := flow(t, "src=10.77.10.6 dst=10.77.20.10 proto=tcp dport=8443")
	ui := flow(t, "src=10.77.20.33 dst=10.77.10.6 proto=tcp dport=443")
	for _, f := range []segment.Flow{ehr, telemetry, ui} {
		if d := r.g.Engine().Decide(f); !d.Allow {
			t.Fatalf("before the spike %s: %v", f, d)
		}
	}
	// 50 flows in the window is normal; the 51st is a spike.
	for i := range 50 {
		if d := r.g.Observe(ctx, flow(t, "src=10.77.10.5 dst=10.77.30.20 proto=tcp dport=443")); !d.Allow {
			t.Fatalf("flow %d denied before the spike: %v", i, d)
		}
	}
	if r.g.Engine().Quarantined("zone", "medical-devices") {
		t.Fatal("quarantined at the limit")
	}
	r.g.Observe(ctx, flow(t, "src=10.77.10.5 dst=10.77.30.20 proto=tcp dport=443"))
	if !r.g.Engine().Quarantined("zone", "medical-devices") {
		t.Fatal("spike did not quarantine the segment")
	}
	e := r.g.Engine()
	if d := e.Decide(ehr); d.Allow || d.Reason != segment.ReasonQuarantine {
		t.Fatalf("pump-2 to EHR during quarantine: %v", d)
	}
	if d := e.Decide(ui); d.Allow {
		t.Fatalf("clinician UI during quarantine: %v", d)
	}
	if d := e.Decide(telemetry); !d.Allow {
		t.Fatalf("telemetry (monitoring conduit) during quarantine: %v", d)
	}
	// A quarantined segment still cannot reach what it never could.
	if d := e.Decide(flow(t, "src=10.77.10.6 dst=10.77.20.11 proto=tcp dport=8443")); d.Allow {
		t.Fatalf("monitoring conduit widened pump-2's allowlist: %v", d)
	}
	if len(r.applied) != 1 || !strings.Contains(r.applied[0], "comment \"quarantined devices and zones\"\n\t\telements = { 10.77.10.0-10.77.10.255 }") {
		t.Fatalf("enforcement not updated: %d rulesets", len(r.applied))
	}
	got := strings.Join(r.actions(t), "\n")
	if !strings.Contains(got, "monitor.traffic-spike pump-1\nsegment.quarantine zone:medical-devices\nmonitor.quarantine zone:medical-devices") {
		t.Fatalf("audit trail:\n%s", got)
	}
	// Still spiking half a minute later: stays shut.
	r.c.add(30 * time.Second)
	for range 60 {
		r.g.Observe(ctx, flow(t, "src=10.77.10.5 dst=10.77.30.20 proto=tcp dport=443"))
	}
	r.c.add(40 * time.Second)
	if rel := r.g.Tick(ctx); len(rel) != 0 {
		t.Fatalf("released %v 40s after the last spike (calm is 60s)", rel)
	}
	r.c.add(25 * time.Second)
	if rel := r.g.Tick(ctx); !slices.Equal(rel, []string{"zone:medical-devices"}) {
		t.Fatalf("released %v after the calm period", rel)
	}
	if d := r.g.Engine().Decide(ehr); !d.Allow {
		t.Fatalf("after release: %v", d)
	}
	if len(r.applied) != 2 || strings.Contains(r.applied[1], "elements = { 10.77.10.0-10.77.10.255 }\n\t}\n\tset policed") {
		t.Fatal("release not enforced")
	}
	var kinds []monitor.Kind
	for _, a := range r.g.Alerts() {
		kinds = append(kinds, a.Kind)
	}
	if !slices.Contains(kinds, monitor.KindRelease) {
		t.Fatalf("alerts %v", kinds)
	}
}

// TestDeviceQuarantineAndOperator: in a zone that quarantines devices, only
// the spiking device is cut off; with no calm period only an operator
// releases it.
func TestDeviceQuarantineAndOperator(t *testing.T) {
	p := hospital(t)
	p.Zones[0].Spike.Segment = false
	p.Zones[0].Spike.Calm = 0
	r := newRig(t, p)
	ctx := context.Background()
	for range 51 {
		r.g.Observe(ctx, flow(t, "src=10.77.10.5 dst=10.77.30.20 proto=tcp dport=443"))
	}
	e := r.g.Engine()
	if !e.Quarantined("device", "pump-1") || e.Quarantined("zone", "medical-devices") {
		t.Fatal("wrong quarantine")
	}
	if d := e.Decide(flow(t, "src=10.77.10.6 dst=10.77.30.20 proto=tcp dport=443")); !d.Allow {
		t.Fatalf("pump-2 cut off with pump-1: %v", d)
	}
	if d := e.Decide(flow(t, "src=10.77.10.5 dst=10.77.30.20 proto=tcp dport=443")); d.Allow {
		t.Fatalf("pump-1 not cut off: %v", d)
	}
	r.c.add(time.Hour)
	if rel := r.g.Tick(ctx); len(rel) != 0 {
		t.Fatalf("auto-released %v without a calm period", rel)
	}
	if err := r.g.Release(ctx, "device", "pump-1", "biomed.lee"); err != nil {
		t.Fatal(err)
	}
	if e.Quarantined("device", "pump-1") {
		t.Fatal("operator release ignored")
	}
	if got := strings.Join(r.actions(t), ","); !strings.HasSuffix(got, "segment.release device:pump-1,monitor.quarantine-released pump-1") {
		t.Fatalf("audit: %s", got)
	}
	if err := r.g.Release(ctx, "device", "no-such-pump", "biomed.lee"); err == nil {
		t.Fatal("released a device that does not exist")
	}
}

func TestUnknownDeviceAlert(t *testing.T) {
	r := newRig(t, hospital(t))
	ctx := context.Background()
	for range 3 {
		if d := r.g.Observe(ctx, flow(t, "src=10.77.99.4 dst=10.77.30.20 proto=tcp dport=443")); d.Allow || d.Reason != segment.ReasonUnknown {
			t.Fatalf("unknown device: %v", d)
		}
	}
	as := r.g.Alerts()
	if len(as) != 1 || as[0].Kind != monitor.KindUnknownDevice || as[0].Device != "10.77.99.4" {
		t.Fatalf("alerts %v", as)
	}
}

// dnsGuard is a guard over the hospital policy with an egress rule to the
// dns: peer updates.acme.example, which res answers with 203.0.113.10.
func dnsGuard(t *testing.T) (*segment.Guard, *mapResolver) {
	t.Helper()
	p := hospital(t)
	p.Profiles[0].Rules = append(p.Profiles[0].Rules, segment.Rule{Name: "vendor-cloud", Direction: segment.Egress,
		Peer: segment.Peer{Kind: segment.PeerDNS, Value: "updates.acme.example"}, Proto: segment.ProtoTCP, DstPorts: []segment.PortRange{{Lo: 443, Hi: 443}}})
	res := &mapResolver{m: map[string][]netip.Addr{"updates.acme.example": {netip.MustParseAddr("203.0.113.10")}}}
	e, err := segment.Compile(context.Background(), p, segment.WithResolver(res))
	if err != nil {
		t.Fatal(err)
	}
	g, err := segment.NewGuard(e)
	if err != nil {
		t.Fatal(err)
	}
	return g, res
}

// TestDNSRefresh: a dns: peer follows its name's answers, and a refresh
// keeps quarantines.
func TestDNSRefresh(t *testing.T) {
	ctx := context.Background()
	g, res := dnsGuard(t)
	old := flow(t, "src=10.77.10.5 dst=203.0.113.10 proto=tcp dport=443")
	moved := flow(t, "src=10.77.10.5 dst=198.51.100.20 proto=tcp dport=443")
	if !g.Engine().Decide(old).Allow || g.Engine().Decide(moved).Allow {
		t.Fatal("before the move")
	}
	if changed, err := g.Refresh(ctx); err != nil || changed {
		t.Fatalf("refresh with the same answers: %v %v", changed, err)
	}
	if _, err := g.Engine().Quarantine("device", "pump-2"); err != nil {
		t.Fatal(err)
	}
	res.set("updates.acme.example", netip.MustParseAddr("198.51.100.20"))
	if changed, err := g.Refresh(ctx); err != nil || !changed {
		t.Fatalf("refresh after the move: %v %v", changed, err)
	}
	if g.Engine().Decide(old).Allow || !g.Engine().Decide(moved).Allow {
		t.Fatal("after the move")
	}
	if !g.Engine().Quarantined("device", "pump-2") {
		t.Fatal("refresh dropped a quarantine")
	}
	res.fail("updates.acme.example")
	if _, err := g.Refresh(ctx); err != nil {
		t.Fatal(err)
	}
	if g.Engine().Decide(moved).Allow {
		t.Fatal("an unresolvable name still allows its last answer (must fail closed)")
	}
}

// TestRefreshEvery: the refresh loop picks up a moved name by itself,
// fails closed when the name stops resolving, and ends with its context.
func TestRefreshEvery(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	g, res := dnsGuard(t)
	if err := g.RefreshEvery(ctx, 0, nil); err == nil {
		t.Fatal("a zero interval was accepted")
	}
	done := make(chan error, 1)
	go func() { done <- g.RefreshEvery(ctx, 5*time.Millisecond, func(err error) { t.Error(err) }) }()
	moved := flow(t, "src=10.77.10.5 dst=198.51.100.20 proto=tcp dport=443")
	// eventually polls for a state the loop must reach; the deadline only
	// bounds a broken loop, it measures nothing.
	eventually := func(what string, cond func() bool) {
		t.Helper()
		for deadline := time.Now().Add(10 * time.Second); !cond(); time.Sleep(2 * time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatalf("the refresh loop never %s", what)
			}
		}
	}
	res.set("updates.acme.example", netip.MustParseAddr("198.51.100.20"))
	eventually("followed the moved name", func() bool { return g.Engine().Decide(moved).Allow })
	res.fail("updates.acme.example")
	eventually("failed closed", func() bool { return !g.Engine().Decide(moved).Allow })
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("RefreshEvery returned %v after cancel", err)
	}
}

type mapResolver struct {
	mu sync.Mutex
	m  map[string][]netip.Addr
}

func (r *mapResolver) set(n string, a ...netip.Addr) { r.mu.Lock(); r.m[n] = a; r.mu.Unlock() }
func (r *mapResolver) fail(n string)                 { r.mu.Lock(); delete(r.m, n); r.mu.Unlock() }
func (r *mapResolver) LookupNetIP(_ context.Context, _, host string) ([]netip.Addr, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	a, ok := r.m[host]
	if !ok {
		return nil, os.ErrNotExist
	}
	return slices.Clone(a), nil
}

// TestDecideConcurrent: decisions while quarantines flip (run with -race).
func TestDecideConcurrent(t *testing.T) {
	e, err := segment.Compile(context.Background(), hospital(t))
	if err != nil {
		t.Fatal(err)
	}
	f := flow(t, "src=10.77.10.5 dst=10.77.30.20 proto=tcp dport=443")
	var wg sync.WaitGroup
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 2000 {
				if d := e.Decide(f); !d.Allow && d.Reason != segment.ReasonQuarantine {
					t.Errorf("unexpected %v", d)
					return
				}
			}
		}()
	}
	for i := range 200 {
		if i%2 == 0 {
			_, _ = e.Quarantine("device", "pump-1")
		} else {
			_, _ = e.Release("device", "pump-1")
		}
	}
	wg.Wait()
}

func TestExplain(t *testing.T) {
	e, err := segment.Compile(context.Background(), hospital(t))
	if err != nil {
		t.Fatal(err)
	}
	got := e.Explain(flow(t, "src=10.77.40.9 dst=10.77.10.5 proto=tcp dport=443"))
	for _, want := range []string{
		`source 10.77.40.9 is in zone "guest"`,
		`destination 10.77.10.5 is device "pump-1" in zone "medical-devices" (policed`,
		"pump-1 ingress rules, first match decides:",
		"no   pump-1/acme-pump/clinician-ui (hospital.hcl:63:3): peer is not zone:clinical",
		"decision: deny default (no rule of pump-1 allows it)",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("explanation lacks %q:\n%s", want, got)
		}
	}
	if _, err := e.Quarantine("zone", "medical-devices"); err != nil {
		t.Fatal(err)
	}
	got = e.Explain(flow(t, "src=10.77.10.5 dst=10.77.30.20 proto=udp dport=443"))
	for _, want := range []string{"zone medical-devices is quarantined: only monitoring conduits stay open (monitoring conduit matches: false)", "wants protocol tcp", "decision: deny quarantine zone medical-devices"} {
		if !strings.Contains(got, want) {
			t.Errorf("explanation lacks %q:\n%s", want, got)
		}
	}
}

// TestGuardConcurrent: flows observed from many goroutines while the
// guard ticks and an operator releases (run with -race); the spike still
// quarantines exactly once.
func TestGuardConcurrent(t *testing.T) {
	r := newRig(t, hospital(t))
	ctx := context.Background()
	f := flow(t, "src=10.77.10.5 dst=10.77.30.20 proto=tcp dport=443")
	var wg sync.WaitGroup
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 100 {
				r.g.Observe(ctx, f)
			}
		}()
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		for range 50 {
			r.g.Tick(ctx)
		}
	}()
	wg.Wait()
	if !r.g.Engine().Quarantined("zone", "medical-devices") {
		t.Fatal("400 flows did not quarantine the segment")
	}
	n := 0
	for _, a := range r.g.Alerts() {
		if a.Kind == monitor.KindQuarantine {
			n++
		}
	}
	if n != 1 {
		t.Fatalf("%d quarantine alerts, want 1", n)
	}
}
