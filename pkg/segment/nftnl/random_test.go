package nftnl_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/vishvananda/netns"

	"github.com/wardsec/ward/pkg/segment"
	"github.com/wardsec/ward/pkg/segment/nftnl"
)

// labHosts are the lab's addresses, by namespace (10.77.99.4 is in no
// zone).
var labHosts = []struct{ ns, addr string }{
	{"med", "10.77.10.5"}, {"med", "10.77.10.6"},
	{"cli", "10.77.20.10"}, {"cli", "10.77.20.33"},
	{"ehr", "10.77.30.20"}, {"ehr", "10.77.30.53"},
	{"guest", "10.77.40.9"}, {"guest", "10.77.99.4"},
}

var labPorts = []uint16{22, 443, 8443}

// randomLabPolicy is a random policy over the lab's addresses: random
// devices, rules, conduits and MUD classes, so the generated nftables must
// get every construct right for the real network to agree with Decide.
func randomLabPolicy(r *rand.Rand) *segment.Policy {
	z := func(name, cidr string) segment.Zone {
		return segment.Zone{Name: name, CIDRs: []netip.Prefix{netip.MustParsePrefix(cidr)}}
	}
	p := &segment.Policy{
		LocalNetworks: []netip.Prefix{netip.MustParsePrefix("10.77.0.0/16")},
		Zones:         []segment.Zone{z("medical-devices", "10.77.10.0/24"), z("clinical", "10.77.20.0/24"), z("ehr", "10.77.30.0/24"), z("guest", "10.77.40.0/24")},
	}
	zoneOf := map[string]string{"med": "medical-devices", "cli": "clinical", "ehr": "ehr", "guest": "guest"}
	makers := []string{"acme.example", "medco.example"}
	for i, h := range labHosts[:7] {
		if r.IntN(3) == 0 {
			continue // a plain zone member
		}
		p.Devices = append(p.Devices, segment.Device{Name: fmt.Sprintf("d%d", i), Addr: netip.MustParseAddr(h.addr), Zone: zoneOf[h.ns], Manufacturer: makers[r.IntN(2)]})
	}
	p.Controllers = []segment.Controller{{Class: "urn:ietf:params:mud:ntp", Addrs: []netip.Addr{netip.MustParseAddr(labHosts[r.IntN(7)].addr)}}}
	ports := func() []segment.PortRange {
		switch r.IntN(4) {
		case 0:
			return nil
		case 1:
			return []segment.PortRange{{Lo: 400, Hi: 8500}}
		case 2:
			a, b := labPorts[r.IntN(3)], labPorts[r.IntN(3)]
			return []segment.PortRange{{Lo: a, Hi: a}, {Lo: b, Hi: b}}
		}
		a := labPorts[r.IntN(3)]
		return []segment.PortRange{{Lo: a, Hi: a}}
	}
	peer := func() segment.Peer {
		switch r.IntN(7) {
		case 0:
			return segment.Peer{Kind: segment.PeerAny}
		case 1:
			return segment.Peer{Kind: segment.PeerZone, Value: p.Zones[r.IntN(4)].Name}
		case 2:
			if len(p.Devices) > 0 {
				return segment.Peer{Kind: segment.PeerDevice, Value: p.Devices[r.IntN(len(p.Devices))].Name}
			}
			return segment.Peer{Kind: segment.PeerAny}
		case 3:
			a := netip.MustParseAddr(labHosts[r.IntN(len(labHosts))].addr)
			return segment.Peer{Kind: segment.PeerCIDR, Prefix: netip.PrefixFrom(a, []int{32, 24, 16}[r.IntN(3)]).Masked()}
		case 4:
			return segment.Peer{Kind: segment.PeerSameManufacturer}
		case 5:
			return segment.Peer{Kind: segment.PeerLocalNetworks}
		}
		return segment.Peer{Kind: segment.PeerController, Value: "urn:ietf:params:mud:ntp"}
	}
	for i := range p.Devices {
		for j := range r.IntN(4) {
			rule := segment.Rule{Name: fmt.Sprintf("r%d", j), Direction: segment.Direction(1 + r.IntN(2)), Peer: peer(), Proto: segment.ProtoTCP}
			if r.IntN(5) == 0 {
				rule.Proto = segment.ProtoAny
			} else {
				rule.DstPorts = ports()
			}
			p.Devices[i].Rules = append(p.Devices[i].Rules, rule)
		}
	}
	zones := []string{"medical-devices", "clinical", "ehr", "guest", segment.External}
	for i := range r.IntN(5) {
		c := segment.Conduit{Name: fmt.Sprintf("c%d", i), From: zones[r.IntN(4)], To: zones[r.IntN(4)], Proto: segment.ProtoTCP, DstPorts: ports(), Monitoring: r.IntN(2) == 0}
		p.Conduits = append(p.Conduits, c)
	}
	return p
}

// TestRandomPoliciesRealNetwork: on random policies, real TCP connections
// across the router agree with Decide for every pair of hosts in different
// zones and every port, through both the nft -f and the netlink backends,
// with and without quarantines.
func TestRandomPoliciesRealNetwork(t *testing.T) {
	ctx := context.Background()
	lab := hospitalLab(t, ctx)
	for _, h := range labHosts {
		for _, port := range labPorts {
			ln, err := lab.Listen(h.ns, fmt.Sprintf("%s:%d", h.addr, port))
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { ln.Close() })
		}
	}
	var probes []probe
	for _, s := range labHosts {
		for _, d := range labHosts {
			if s.ns == d.ns {
				continue // same subnet: never crosses the router
			}
			for _, port := range labPorts {
				probes = append(probes, probe{s.ns, s.addr, fmt.Sprintf("%s:%d", d.addr, port)})
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
	t.Logf("seed %d", seed)
	r := rand.New(rand.NewPCG(seed, 99))
	rounds := 8
	allowed, denied := 0, 0
	for round := range rounds {
		p := randomLabPolicy(r)
		e, err := segment.Compile(ctx, p)
		if err != nil {
			t.Fatalf("round %d: %v", round, err)
		}
		if r.IntN(2) == 0 && len(p.Devices) > 0 {
			_, _ = e.Quarantine("device", p.Devices[r.IntN(len(p.Devices))].Name)
		} else if r.IntN(2) == 0 {
			_, _ = e.Quarantine("zone", p.Zones[r.IntN(len(p.Zones))].Name)
		}
		backend := []string{"nft-f", "netlink"}[round%2]
		if backend == "netlink" {
			err = conn.Apply(e)
		} else {
			err = segment.ApplyNFT(ctx, segment.NetnsRunner(lab.NS("router")), e.NFTables(segment.NFTOptions{}), false)
		}
		if err != nil {
			t.Fatalf("round %d (%s): %v", round, backend, err)
		}
		var bad []string
		for i, err := range connectAllTimeout(lab, probes, 800*time.Millisecond) {
			d := e.Decide(probes[i].flow(t))
			if d.Allow && err != nil { // a loaded machine may be slow to schedule: one more, patient try
				err = lab.Dial(probes[i].ns, probes[i].src, probes[i].dst, 3*time.Second)
			}
			if (err == nil) != d.Allow {
				bad = append(bad, fmt.Sprintf("%v: engine %v, network %v", probes[i], d, err))
			}
			if d.Allow {
				allowed++
			} else {
				denied++
			}
		}
		if len(bad) > 0 {
			t.Fatalf("round %d (%s), seed %d: %d disagreements, e.g.\n%s\npolicy:\n%s", round, backend, seed, len(bad), strings.Join(bad[:min(5, len(bad))], "\n"), e.NFTables(segment.NFTOptions{}))
		}
	}
	t.Logf("%d connections agreed with the engine (%d allowed, %d denied)", allowed+denied, allowed, denied)
	if allowed == 0 || denied == 0 {
		t.Fatalf("%d allowed, %d denied: the comparison must see both", allowed, denied)
	}
}
