package sim

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/wardsec/ward/pkg/audit"
	"github.com/wardsec/ward/pkg/device"
)

func newTestPump(t *testing.T, weak ...string) *Pump {
	t.Helper()
	start := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	p, err := New(context.Background(), "infusion-pump", WithClock(func() time.Time { return start }), WithWeaknesses(weak...))
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func reachable(t *testing.T, p *Pump, zone string, port int) bool {
	t.Helper()
	r, err := p.ProbeFrom(context.Background(), zone, "tcp", port)
	if err != nil {
		t.Fatal(err)
	}
	return r.Reachable
}

func TestPumpSegmentation(t *testing.T) {
	ctx := context.Background()
	secure := newTestPump(t)
	if reachable(t, secure, "guest", 443) || reachable(t, secure, "corporate", 443) {
		t.Fatal("guest or corporate reach the secure pump")
	}
	if !reachable(t, secure, "clinical", 443) {
		t.Fatal("clinical cannot reach the pump's UI")
	}
	if reachable(t, secure, "clinical", serviceTelnet) {
		t.Fatal("an undocumented port answers")
	}
	flat := newTestPump(t, "flat-network")
	if !reachable(t, flat, "guest", 443) {
		t.Fatal("flat-network: guest should reach the pump")
	}
	if _, err := secure.ProbeFrom(ctx, "mars", "tcp", 443); !errors.Is(err, device.ErrUnsupported) {
		t.Fatalf("unknown zone: %v", err)
	}

	extra := newTestPump(t, "extra-open-port")
	ports, _ := extra.ListeningPorts(ctx)
	if len(ports) != 2 || ports[1].Port != serviceTelnet {
		t.Fatalf("extra-open-port listens on %v", ports)
	}
	if reachable(t, extra, "clinical", serviceTelnet) {
		t.Fatal("the allowlist should still filter the extra port")
	}
}

func TestPumpEgressAllowlist(t *testing.T) {
	ctx := context.Background()
	p := newTestPump(t)
	if err := p.Connect(ctx, "ehr", 443); err != nil {
		t.Fatalf("to the EHR: %v", err)
	}
	if err := p.Connect(ctx, "203.0.113.66", 4444); !errors.Is(err, device.ErrBlocked) {
		t.Fatalf("to an unlisted host: %v", err)
	}
	evs, _ := p.NetworkEvents(ctx)
	kinds := map[string]bool{}
	for _, e := range evs {
		kinds[e.Kind] = true
	}
	if !kinds["blocked-connection"] || !kinds["new-destination"] {
		t.Fatalf("events %+v", evs)
	}
	recs, err := p.auditRecords(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.ContainsFunc(recs, func(r audit.Record) bool { return r.Action == "network.blocked" && r.Object == "203.0.113.66" }) {
		t.Fatal("blocked connection not audited")
	}
	open := newTestPump(t, "open-egress")
	if err := open.Connect(ctx, "203.0.113.66", 4444); err != nil {
		t.Fatalf("open-egress: %v", err)
	}
}

func TestPumpSpikeQuarantine(t *testing.T) {
	ctx := context.Background()
	p := newTestPump(t)
	if err := p.InjectTraffic(ctx, 100); err != nil {
		t.Fatal(err)
	}
	if q, _ := p.Quarantine(ctx); q.Segment {
		t.Fatal("quarantined at the limit")
	}
	if err := p.InjectTraffic(ctx, 1); err != nil {
		t.Fatal(err)
	}
	if q, _ := p.Quarantine(ctx); !q.Segment {
		t.Fatal("spike did not quarantine the segment")
	}
	if err := p.Connect(ctx, "ehr", 443); !errors.Is(err, device.ErrBlocked) {
		t.Fatalf("EHR during quarantine: %v", err)
	}
	if err := p.Connect(ctx, "monitoring-station", 8443); err != nil {
		t.Fatalf("telemetry during quarantine: %v", err)
	}
	if reachable(t, p, "clinical", 443) {
		t.Fatal("clinicians reach a quarantined pump")
	}
	if err := p.AdvanceClock(ctx, 30*time.Second); err != nil {
		t.Fatal(err)
	}
	if q, _ := p.Quarantine(ctx); !q.Segment {
		t.Fatal("released before the calm period")
	}
	if err := p.AdvanceClock(ctx, 31*time.Second); err != nil {
		t.Fatal(err)
	}
	if q, _ := p.Quarantine(ctx); q.Segment {
		t.Fatal("not released after the calm period")
	}
	if err := p.Connect(ctx, "ehr", 443); err != nil {
		t.Fatalf("EHR after release: %v", err)
	}
	recs, err := p.auditRecords(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var seen []string
	for _, r := range recs {
		if r.Action == "segment.quarantine" || r.Action == "segment.release" {
			seen = append(seen, r.Action)
		}
	}
	if len(seen) != 2 {
		t.Fatalf("audited %v", seen)
	}

	weak := newTestPump(t, "no-spike-quarantine")
	if err := weak.InjectTraffic(ctx, 1000); err != nil {
		t.Fatal(err)
	}
	if q, _ := weak.Quarantine(ctx); q.Segment || q.Device {
		t.Fatal("no-spike-quarantine quarantined")
	}
	if evs, _ := weak.NetworkEvents(ctx); len(evs) != 0 {
		t.Fatalf("no-spike-quarantine alerted: %v", evs)
	}
}
