package nftnl_test

import (
	"context"
	"net/netip"
	"strings"
	"testing"

	"github.com/vishvananda/netns"

	"github.com/wardsec/ward/pkg/segment"
	"github.com/wardsec/ward/pkg/segment/nftnl"
)

// TestApplyDualStack: the kernel accepts the netlink ruleset of a
// dual-stack policy (IPv6 device, sets, port sets, ICMPv6), and nft reads
// back what was meant.
func TestApplyDualStack(t *testing.T) {
	ctx := context.Background()
	lab := needLab(t)
	if err := lab.AddNS(ctx, "gw"); err != nil {
		t.Fatal(err)
	}
	p := loadPolicy(t)
	p.LocalNetworks = append(p.LocalNetworks, netip.MustParsePrefix("fd77::/16"))
	p.Zones[0].CIDRs = append(p.Zones[0].CIDRs, netip.MustParsePrefix("fd77:10::/64"))
	p.Devices = append(p.Devices, segment.Device{Name: "pump-6", Addr: netip.MustParseAddr("fd77:10::6"), Zone: "medical-devices",
		Rules: []segment.Rule{
			{Name: "v6-cloud", Direction: segment.Egress, Peer: segment.Peer{Kind: segment.PeerCIDR, Prefix: netip.MustParsePrefix("2001:db8:77::/48")},
				Proto: segment.ProtoTCP, DstPorts: []segment.PortRange{{Lo: 443, Hi: 443}, {Lo: 8000, Hi: 8080}}},
			{Name: "ping", Direction: segment.Ingress, Peer: segment.Peer{Kind: segment.PeerZone, Value: "medical-devices"}, Proto: segment.ProtoICMPv6},
		}})
	e, err := segment.Compile(ctx, p)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.Quarantine("device", "pump-6"); err != nil {
		t.Fatal(err)
	}
	h, err := netns.GetFromName(lab.NS("gw"))
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	conn, err := nftnl.Dial(int(h), "")
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if err := conn.Apply(e); err != nil {
		t.Fatal(err)
	}
	out, err := lab.Output(ctx, "gw", "nft", "list", "table", "inet", "ward")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"fd77:10::6", "2001:db8:77::/48", "8000-8080", `comment "pump-6/v6-cloud"`, `comment "pump-6/ping"`, "chain dev2_out"} {
		if !strings.Contains(out, want) {
			t.Errorf("listing lacks %q:\n%s", want, out)
		}
	}
	if ctr, err := conn.Counters(); err != nil || len(ctr) == 0 {
		t.Fatalf("counters: %v %v", ctr, err)
	}
}

// TestApplyConcurrent: gateways configured in parallel (one connection
// each) do not race (run with -race; google/nftables numbers sets with a
// package-level counter unless the caller does).
func TestApplyConcurrent(t *testing.T) {
	ctx := context.Background()
	lab := needLab(t)
	e, err := segment.Compile(ctx, loadPolicy(t))
	if err != nil {
		t.Fatal(err)
	}
	var conns []*nftnl.Conn
	for i := range 4 {
		ns := "gw" + string(rune('a'+i))
		if err := lab.AddNS(ctx, ns); err != nil {
			t.Fatal(err)
		}
		h, err := netns.GetFromName(lab.NS(ns))
		if err != nil {
			t.Fatal(err)
		}
		defer h.Close()
		conn, err := nftnl.Dial(int(h), "")
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		conns = append(conns, conn)
	}
	start := make(chan struct{})
	errs := make(chan error, len(conns))
	for _, c := range conns {
		go func() {
			<-start
			for range 5 {
				if err := c.Apply(e); err != nil {
					errs <- err
					return
				}
			}
			errs <- nil
		}()
	}
	close(start)
	for range conns {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
}
