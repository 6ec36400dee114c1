package nftnl_test

import (
	"context"
	"maps"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vishvananda/netns"

	"github.com/wardsec/ward/internal/netlab"
	"github.com/wardsec/ward/pkg/segment"
	"github.com/wardsec/ward/pkg/segment/nftnl"
	"github.com/wardsec/ward/pkg/segment/segmenthcl"
)

func needLab(t *testing.T) *netlab.Lab {
	t.Helper()
	lab, err := netlab.New()
	if err != nil {
		if os.Getenv("WARD_REQUIRE_REAL") == "1" {
			t.Fatalf("network namespaces required (WARD_REQUIRE_REAL=1): %v", err)
		}
		t.Skipf("skipping: %v", err)
	}
	t.Cleanup(func() {
		if err := lab.Close(); err != nil {
			t.Errorf("tearing down the lab: %v", err)
		}
	})
	return lab
}

// hospitalLab builds the example hospital: a router namespace and one
// namespace per zone, each zone's hosts as addresses on its veth.
func hospitalLab(t *testing.T, ctx context.Context) *netlab.Lab {
	lab := needLab(t)
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	for _, ns := range []string{"router", "med", "cli", "ehr", "guest"} {
		must(lab.AddNS(ctx, ns))
	}
	zones := []struct {
		ns, gw string
		hosts  []string
	}{
		{"med", "10.77.10.1", []string{"10.77.10.5/24", "10.77.10.6/24"}},
		{"cli", "10.77.20.1", []string{"10.77.20.10/24", "10.77.20.33/24"}},
		{"ehr", "10.77.30.1", []string{"10.77.30.20/24", "10.77.30.53/24"}},
		{"guest", "10.77.40.1", []string{"10.77.40.9/24", "10.77.99.4/32"}}, // 10.77.99.4: in no zone
	}
	for _, z := range zones {
		_, _, err := lab.Link(ctx, "router", []string{z.gw + "/24"}, z.ns, z.hosts)
		must(err)
		must(lab.Exec(ctx, z.ns, "ip", "route", "add", "default", "via", z.gw))
	}
	must(lab.Exec(ctx, "router", "ip", "route", "add", "10.77.99.4/32", "via", "10.77.40.9"))
	must(lab.Exec(ctx, "router", "sysctl", "-q", "-w", "net.ipv4.ip_forward=1"))
	return lab
}

type probe struct {
	ns, src, dst string
}

func (p probe) flow(t *testing.T) segment.Flow {
	host, port, _ := strings.Cut(p.dst, ":")
	f, err := segment.ParseFlow("src=" + p.src + " dst=" + host + " proto=tcp dport=" + port)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// connectAll dials every probe in parallel; a denied flow costs one
// timeout, so the whole batch costs about one.
func connectAll(lab *netlab.Lab, ps []probe) []error {
	return connectAllTimeout(lab, ps, 700*time.Millisecond)
}

func connectAllTimeout(lab *netlab.Lab, ps []probe, timeout time.Duration) []error {
	errs := make([]error, len(ps))
	var wg sync.WaitGroup
	for i, p := range ps {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = lab.Dial(p.ns, p.src, p.dst, timeout)
		}()
	}
	wg.Wait()
	return errs
}

func loadPolicy(t *testing.T) *segment.Policy {
	src, err := os.ReadFile("../../../examples/segment/hospital.hcl")
	if err != nil {
		t.Fatal(err)
	}
	p, _, diags := segmenthcl.Load("hospital.hcl", src)
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	return p
}

// TestRealEnforcement applies the compiled hospital policy to a real
// router namespace and checks with real TCP connections that what the
// engine allows connects and what it denies does not; then that a real
// traffic spike from a pump quarantines its segment while its monitoring
// conduit stays up.
func TestRealEnforcement(t *testing.T) {
	for _, backend := range []string{"nft-f", "netlink"} {
		t.Run(backend, func(t *testing.T) { realEnforcement(t, backend) })
	}
}

func realEnforcement(t *testing.T, backend string) {
	ctx := context.Background()
	lab := hospitalLab(t, ctx)
	for _, l := range []struct{ ns, addr string }{
		{"ehr", "10.77.30.20:443"}, {"cli", "10.77.20.10:8443"}, {"cli", "10.77.20.33:22"},
		{"med", "10.77.10.5:443"}, {"med", "10.77.10.6:443"}, {"med", "10.77.10.5:23"},
	} {
		ln, err := lab.Listen(l.ns, l.addr)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { ln.Close() })
	}
	probes := []probe{
		{"med", "10.77.10.5", "10.77.30.20:443"},  // pump -> EHR: allowed
		{"med", "10.77.10.5", "10.77.20.10:8443"}, // pump -> monitoring station: allowed
		{"cli", "10.77.20.33", "10.77.10.5:443"},  // clinician -> pump UI: allowed
		{"cli", "10.77.20.33", "10.77.30.20:443"}, // clinical -> EHR conduit: allowed
		{"guest", "10.77.40.9", "10.77.10.5:443"}, // guest -> pump UI: denied (clinical reaches the same listener)
		{"cli", "10.77.20.33", "10.77.10.5:23"},   // undocumented pump port: denied
		{"med", "10.77.10.5", "10.77.20.33:22"},   // pump -> workstation ssh: denied
		{"guest", "10.77.40.9", "10.77.30.20:443"},
		{"guest", "10.77.99.4", "10.77.30.20:443"}, // unknown device: denied
		{"ehr", "10.77.30.20", "10.77.10.6:443"},   // EHR may not open connections to pumps
	}
	// Without a firewall everything connects: every refusal below is the
	// firewall's, not a missing listener or route.
	for i, err := range connectAll(lab, probes) {
		if err != nil {
			err = lab.Dial(probes[i].ns, probes[i].src, probes[i].dst, 3*time.Second)
		}
		if err != nil {
			t.Fatalf("without a firewall %v: %v", probes[i], err)
		}
	}

	e, err := segment.Compile(ctx, loadPolicy(t))
	if err != nil {
		t.Fatal(err)
	}
	h, err := netns.GetFromName(lab.NS("router"))
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	conn, err := nftnl.Dial(int(h), "")
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if backend == "netlink" {
		err = conn.Apply(e)
	} else {
		err = segment.ApplyNFT(ctx, segment.NetnsRunner(lab.NS("router")), e.NFTables(segment.NFTOptions{}), false)
	}
	if err != nil {
		t.Fatal(err)
	}
	check := func(phase string, e *segment.Engine, ps []probe) {
		t.Helper()
		allowed, denied := 0, 0
		for i, err := range connectAll(lab, ps) {
			d := e.Decide(ps[i].flow(t))
			if d.Allow && err != nil { // a loaded machine may be slow to schedule: one more, patient try
				err = lab.Dial(ps[i].ns, ps[i].src, ps[i].dst, 3*time.Second)
			}
			if (err == nil) != d.Allow {
				t.Errorf("%s: %v: engine says %v, the network says %v", phase, ps[i], d, err)
			}
			if d.Allow {
				allowed++
			} else {
				denied++
			}
		}
		if allowed == 0 || denied == 0 {
			t.Fatalf("%s: %d allowed, %d denied: the check must see both", phase, allowed, denied)
		}
	}
	check("policy", e, probes)

	// Read the counters through netlink.
	ctr, err := conn.Counters()
	if err != nil {
		t.Fatal(err)
	}
	listing, err := lab.Output(ctx, "router", "nft", "list", "table", "inet", "ward")
	if err != nil {
		t.Fatal(err)
	}
	if text := segment.NFTCounters(listing); !maps.Equal(text, ctr) {
		t.Errorf("counters from nft list %v, over netlink %v", text, ctr)
	}
	for _, name := range []string{"pump-1/acme-pump/ehr-fhir", "pump-1/acme-pump/clinician-ui", "conduit/clinical-to-ehr", "unknown device", "default deny: pump-1 ingress", "default deny: pump-1 egress", "default deny: pump-2 ingress"} {
		if ctr[name] == 0 {
			t.Errorf("counter %q did not move: %v", name, ctr)
		}
	}

	// A spike: pump-1 opens 60 connections to the EHR in one window. The
	// guard reads the new flows off the router's counters, quarantines the
	// segment and pushes the quarantine set through netlink.
	clock := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	var syncErr error
	g, err := segment.NewGuard(e, segment.GuardClock(func() time.Time { return clock }),
		segment.GuardOnChange(func(_ context.Context, e *segment.Engine) error {
			syncErr = conn.SyncQuarantine(e)
			return syncErr
		}))
	if err != nil {
		t.Fatal(err)
	}
	watch := nftnl.NewWatcher(conn, g)
	if _, err := watch.Poll(ctx); err != nil { // baseline
		t.Fatal(err)
	}
	for range 60 {
		if err := lab.Dial("med", "10.77.10.5", "10.77.30.20:443", time.Second); err != nil {
			t.Fatalf("spike traffic refused before the quarantine: %v", err)
		}
	}
	deltas, err := watch.Poll(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if deltas["pump-1"] < 60 || deltas["pump-2"] != 0 {
		t.Fatalf("counters saw new flows %v, want 60 from pump-1", deltas)
	}
	if syncErr != nil {
		t.Fatal(syncErr)
	}
	if !e.Quarantined("zone", "medical-devices") {
		t.Fatal("spike did not quarantine the segment")
	}
	quarantined := []probe{
		{"med", "10.77.10.6", "10.77.30.20:443"},  // pump-2 -> EHR: cut off with its segment
		{"med", "10.77.10.6", "10.77.20.10:8443"}, // monitoring conduit: stays up
		{"med", "10.77.10.5", "10.77.20.10:8443"},
		{"cli", "10.77.20.33", "10.77.10.5:443"},  // clinicians lose the pump UI
		{"cli", "10.77.20.33", "10.77.30.20:443"}, // other zones unaffected
	}
	check("quarantine", e, quarantined)
	for _, p := range quarantined[1:4] {
		if d := e.Decide(p.flow(t)); d.Allow != (p.dst == "10.77.20.10:8443") {
			t.Fatalf("quarantine decisions: %v %v", p, d)
		}
	}
	if ctr, _ := conn.Counters(); ctr["quarantine"] == 0 || ctr["monitoring conduit/pump-telemetry"] == 0 {
		t.Fatalf("quarantine counters: %v", ctr)
	}
	if err := g.Release(ctx, "zone", "medical-devices", "biomed.lee"); err != nil {
		t.Fatal(err)
	}
	if syncErr != nil {
		t.Fatal(syncErr)
	}
	// Re-applying over the live table replaces it in one transaction.
	if backend == "netlink" {
		err = conn.Apply(e)
	} else {
		err = segment.ApplyNFT(ctx, segment.NetnsRunner(lab.NS("router")), e.NFTables(segment.NFTOptions{}), false)
	}
	if err != nil {
		t.Fatalf("re-apply: %v", err)
	}
	check("released", e, append(quarantined, probe{"guest", "10.77.40.9", "10.77.10.5:443"}))
}
