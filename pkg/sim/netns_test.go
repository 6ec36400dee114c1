package sim

import (
	"context"
	"errors"
	"net/url"
	"os"
	"testing"
	"time"

	"github.com/wardsec/ward/internal/netlab"
	"github.com/wardsec/ward/pkg/device"
)

func openNetns(t *testing.T, weaken string) *Pump {
	t.Helper()
	if err := netlab.Available(); err != nil {
		if os.Getenv("WARD_REQUIRE_REAL") == "1" {
			t.Fatalf("network namespaces required (WARD_REQUIRE_REAL=1): %v", err)
		}
		t.Skipf("skipping: %v", err)
	}
	u, _ := url.Parse("sim://infusion-pump?netns=1&weaken=" + weaken)
	d, err := Open(context.Background(), u)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := d.Close(); err != nil {
			t.Errorf("teardown: %v", err)
		}
	})
	return d.(*Pump)
}

// TestNetnsMode: the pump on a real network behind the router's nftables
// behaves as in process: segmentation, egress allowlist, spike quarantine
// with monitoring kept up, calm release; and each weakness opens what it
// names.
func TestNetnsMode(t *testing.T) {
	ctx := context.Background()
	p := openNetns(t, "")
	if p.site.real == nil {
		t.Fatal("not in network-namespace mode")
	}
	if reachable(t, p, "guest", 443) || reachable(t, p, "corporate", 443) {
		t.Fatal("guest or corporate reach the pump through the router")
	}
	if !reachable(t, p, "clinical", 443) {
		t.Fatal("clinical cannot reach the pump's UI through the router")
	}
	if err := p.Connect(ctx, "ehr", 443); err != nil {
		t.Fatalf("to the EHR: %v", err)
	}
	if err := p.Connect(ctx, "203.0.113.66", 4444); !errors.Is(err, device.ErrBlocked) {
		t.Fatalf("to an unlisted host: %v", err)
	}
	if err := p.InjectTraffic(ctx, 150); err != nil {
		t.Fatal(err)
	}
	if q, err := p.Quarantine(ctx); err != nil || !q.Segment {
		t.Fatalf("spike: %+v %v", q, err)
	}
	if err := p.Connect(ctx, "ehr", 443); !errors.Is(err, device.ErrBlocked) {
		t.Fatalf("EHR during quarantine: %v", err)
	}
	if err := p.Connect(ctx, "monitoring-station", 8443); err != nil {
		t.Fatalf("telemetry during quarantine: %v", err)
	}
	if err := p.AdvanceClock(ctx, 2*time.Minute); err != nil {
		t.Fatal(err)
	}
	if q, _ := p.Quarantine(ctx); q.Segment {
		t.Fatal("not released after the calm period")
	}
	if err := p.Connect(ctx, "ehr", 443); err != nil {
		t.Fatalf("EHR after release: %v", err)
	}
	evs, _ := p.NetworkEvents(ctx)
	kinds := map[string]bool{}
	for _, e := range evs {
		kinds[e.Kind] = true
	}
	for _, k := range []string{"blocked-connection", "new-destination", "traffic-spike", "quarantine", "quarantine-released"} {
		if !kinds[k] {
			t.Errorf("no %s event: %+v", k, evs)
		}
	}

	if !reachable(t, openNetns(t, "flat-network"), "guest", 443) {
		t.Fatal("flat-network: guest should reach the pump")
	}
	if err := openNetns(t, "open-egress").Connect(ctx, "203.0.113.66", 4444); err != nil {
		t.Fatalf("open-egress: %v", err)
	}
	weak := openNetns(t, "no-spike-quarantine")
	if err := weak.InjectTraffic(ctx, 150); err != nil {
		t.Fatal(err)
	}
	if q, _ := weak.Quarantine(ctx); q.Segment || q.Device {
		t.Fatal("no-spike-quarantine quarantined")
	}
}
