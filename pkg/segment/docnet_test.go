package segment_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/netip"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vishvananda/netns"

	"github.com/wardsec/ward/internal/netlab"
	"github.com/wardsec/ward/pkg/segment"
	"github.com/wardsec/ward/pkg/segment/nftnl"
)

// A dual-stack lab: zone z0 in namespace a, zone z1 in b (with two
// addresses outside every zone: unknown devices), the internet in net, a
// router between them enforcing the ruleset.
var docLabHosts = []struct{ ns, addr string }{
	{"a", "10.0.0.5"}, {"a", "10.0.0.6"}, {"a", "fd00::5"}, {"a", "fd00::6"},
	{"b", "10.1.0.5"}, {"b", "fd00:1::5"}, {"b", "10.99.0.1"}, {"b", "fd00:99::1"},
	{"net", "192.0.2.7"}, {"net", "2001:db8::1"},
}

// Port edges a TCP listener can have.
var docLabPorts = []uint16{1, 443, 65535}

func docLab(t *testing.T, ctx context.Context) *netlab.Lab {
	t.Helper()
	lab, err := netlab.New()
	if err != nil {
		if os.Getenv("WARD_REQUIRE_REAL") == "1" {
			t.Fatalf("network namespaces required (WARD_REQUIRE_REAL=1): %v", err)
		}
		t.Skipf("skipping: needs root, ip and nft for network namespaces: %v", err)
	}
	t.Cleanup(func() {
		if err := lab.Close(); err != nil {
			t.Errorf("tearing down the lab: %v", err)
		}
	})
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	for _, ns := range []string{"router", "a", "b", "net"} {
		must(lab.AddNS(ctx, ns))
		// Addresses usable at once: no duplicate address detection.
		must(lab.Exec(ctx, ns, "sysctl", "-q", "-w", "net.ipv6.conf.default.accept_dad=0", "net.ipv6.conf.all.accept_dad=0"))
	}
	links := []struct {
		ns     string
		gw     []string
		hosts  []string
		routes [][2]string
	}{
		{"a", []string{"10.0.0.254/24", "fd00::fe/64"}, []string{"10.0.0.5/24", "10.0.0.6/24", "fd00::5/64", "fd00::6/64"}, nil},
		{"b", []string{"10.1.0.254/24", "fd00:1::fe/64"}, []string{"10.1.0.5/24", "fd00:1::5/64", "10.99.0.1/32", "fd00:99::1/128"},
			[][2]string{{"10.99.0.1/32", "10.1.0.5"}, {"fd00:99::1/128", "fd00:1::5"}}},
		{"net", []string{"192.0.2.254/24", "2001:db8::fe/64"}, []string{"192.0.2.7/24", "2001:db8::1/64"}, nil},
	}
	for _, l := range links {
		_, _, err := lab.Link(ctx, "router", l.gw, l.ns, l.hosts)
		must(err)
		must(lab.Exec(ctx, l.ns, "ip", "route", "add", "default", "via", strings.Split(l.gw[0], "/")[0]))
		must(lab.Exec(ctx, l.ns, "ip", "-6", "route", "add", "default", "via", strings.Split(l.gw[1], "/")[0]))
		for _, r := range l.routes {
			must(lab.Exec(ctx, "router", "ip", "route", "add", r[0], "via", r[1]))
		}
	}
	must(lab.Exec(ctx, "router", "sysctl", "-q", "-w", "net.ipv4.ip_forward=1", "net.ipv6.conf.all.forwarding=1"))
	return lab
}

// docLabPolicy: the lab's zones and random devices over its hosts, with
// rules from propGen (IPv6 prefixes around the mapped block, families,
// protocol and port edges).
func docLabPolicy(g *propGen) *segment.Policy {
	p := &segment.Policy{
		LocalNetworks: []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("fd00::/16")},
		Zones: []segment.Zone{
			{Name: "z0", CIDRs: []netip.Prefix{netip.MustParsePrefix("10.0.0.0/24"), netip.MustParsePrefix("fd00::/64")}},
			{Name: "z1", CIDRs: []netip.Prefix{netip.MustParsePrefix("10.1.0.0/24"), netip.MustParsePrefix("fd00:1::/64")}},
		},
	}
	if g.pick(3) == 0 {
		p.LocalNetworks = append(p.LocalNetworks, netip.MustParsePrefix("::/64"))
	}
	g.addrs = nil
	for _, h := range docLabHosts {
		g.addrs = append(g.addrs, netip.MustParseAddr(h.addr))
	}
	for i, h := range docLabHosts[:6] {
		if g.pick(3) == 0 {
			continue // a plain zone member
		}
		zone := "z0"
		if h.ns == "b" {
			zone = "z1"
		}
		p.Devices = append(p.Devices, segment.Device{Name: fmt.Sprintf("d%d", i), Addr: netip.MustParseAddr(h.addr), Zone: zone,
			Manufacturer: propMakers[g.pick(3)], Model: propModels[g.pick(3)]})
	}
	p.Controllers = []segment.Controller{{Class: "urn:ietf:params:mud:ntp", Addrs: []netip.Addr{g.addrs[g.pick(len(g.addrs))]}}}
	g.dns = map[string][]netip.Addr{"a.example": {g.addrs[g.pick(len(g.addrs))]}, "b.example": {netip.MustParseAddr("2001:db8::1"), netip.MustParseAddr("192.0.2.7")}}
	for i := range p.Devices {
		p.Devices[i].Rules = g.rules(p, 2+g.pick(6))
		for j := range p.Devices[i].Rules {
			// The kernel picks the probes' source ports, which the
			// reference cannot know; source ports are covered by
			// TestEngineAgreesWithDocs.
			p.Devices[i].Rules[j].SrcPorts = nil
		}
	}
	zones := []string{"z0", "z1", segment.External}
	for i := range 1 + g.pick(4) {
		c := segment.Conduit{Name: fmt.Sprintf("c%d", i), From: zones[g.pick(3)], To: zones[g.pick(3)], Monitoring: g.pick(2) == 0,
			Proto: []segment.Proto{segment.ProtoAny, segment.ProtoTCP, segment.ProtoUDP}[g.pick(3)]}
		if c.Proto != segment.ProtoAny {
			c.DstPorts = g.portRanges()
		}
		p.Conduits = append(p.Conduits, c)
	}
	return p
}

// TestNFTablesAgreesWithDocs: on a sample of random dual-stack policies,
// real TCP connections through a router running the generated ruleset
// (nft -f and netlink in turn) agree with docRef, the reference written
// from the docs, for every pair of hosts of one family in different
// namespaces and every port edge, IPv4 and IPv6, with quarantines.
func TestNFTablesAgreesWithDocs(t *testing.T) {
	ctx := context.Background()
	lab := docLab(t, ctx)
	for _, h := range docLabHosts {
		for _, port := range docLabPorts {
			ln, err := lab.Listen(h.ns, netip.AddrPortFrom(netip.MustParseAddr(h.addr), port).String())
			for try := 0; err != nil && try < 30; try++ { // IPv6 addresses may still be settling
				time.Sleep(100 * time.Millisecond)
				ln, err = lab.Listen(h.ns, netip.AddrPortFrom(netip.MustParseAddr(h.addr), port).String())
			}
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { ln.Close() })
		}
	}
	type probe struct {
		ns, src, dst string
		flow         segment.Flow
	}
	var probes []probe
	for _, s := range docLabHosts {
		for _, d := range docLabHosts {
			sa, da := netip.MustParseAddr(s.addr), netip.MustParseAddr(d.addr)
			if s.ns == d.ns || sa.Is4() != da.Is4() {
				continue
			}
			for _, port := range docLabPorts {
				probes = append(probes, probe{s.ns, s.addr, netip.AddrPortFrom(da, port).String(),
					segment.Flow{Src: sa, Dst: da, Proto: segment.ProtoTCP, DstPort: port}})
			}
		}
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

	seed := uint64(time.Now().UnixNano())
	if s, err := strconv.ParseUint(os.Getenv("WARD_TEST_SEED"), 10, 64); err == nil {
		seed = s // replay a failure
	}
	t.Logf("seed %d", seed)
	g := &propGen{r: rand.New(rand.NewPCG(seed, 8520))}
	allowed, denied, v6allowed := 0, 0, 0
	for round := range 8 {
		p := docLabPolicy(g)
		e, err := segment.Compile(ctx, p, segment.WithResolver(mapResolverOf(g.dns)))
		if err != nil {
			t.Fatalf("round %d: %v", round, err)
		}
		ref := &docRef{p: p, dns: g.dns, qdev: map[string]bool{}, qzone: map[string]bool{}}
		if g.pick(3) == 0 && len(p.Devices) > 0 {
			n := p.Devices[g.pick(len(p.Devices))].Name
			_, _ = e.Quarantine("device", n)
			ref.qdev[n] = true
		}
		backend := []string{"nft -f", "netlink"}[round%2]
		if round%2 == 1 {
			err = conn.Apply(e)
		} else {
			err = segment.ApplyNFT(ctx, segment.NetnsRunner(lab.NS("router")), e.NFTables(segment.NFTOptions{}), false)
		}
		if err != nil {
			t.Fatalf("round %d (%s): %v", round, backend, err)
		}
		errs := make([]error, len(probes))
		var wg sync.WaitGroup
		for i, pr := range probes {
			wg.Add(1)
			go func() {
				defer wg.Done()
				errs[i] = lab.Dial(pr.ns, pr.src, pr.dst, 800*time.Millisecond)
			}()
		}
		wg.Wait()
		var bad []string
		for i, pr := range probes {
			want, _ := ref.decide(pr.flow)
			if want.Allow && errs[i] != nil { // a loaded machine may be slow: one patient retry
				errs[i] = lab.Dial(pr.ns, pr.src, pr.dst, 3*time.Second)
			}
			if (errs[i] == nil) != want.Allow {
				bad = append(bad, fmt.Sprintf("%s: reference %v, network %v", pr.flow, want, errs[i]))
			}
			switch {
			case want.Allow && !pr.flow.Src.Is4():
				v6allowed++
				allowed++
			case want.Allow:
				allowed++
			default:
				denied++
			}
		}
		if len(bad) > 0 {
			t.Fatalf("round %d (%s), seed %d: %d disagreements, e.g.\n%s\nruleset:\n%s", round, backend, seed, len(bad), strings.Join(bad[:min(5, len(bad))], "\n"), e.NFTables(segment.NFTOptions{}))
		}
	}
	t.Logf("%d connections agreed with the reference (%d allowed, %d of them IPv6; %d denied)", allowed+denied, allowed, v6allowed, denied)
	if allowed == 0 || denied == 0 || v6allowed == 0 {
		t.Fatalf("%d allowed (%d IPv6), %d denied: the comparison must see each", allowed, v6allowed, denied)
	}
}
