package segment

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/netip"
	"runtime"
	"slices"
	"testing"
	"time"
)

// benchPolicy builds a hospital-sized policy: nrules rules over nrules/5
// devices in 5 zones, peers a mix of single devices, zones, CIDRs, DNS-free
// MUD classes and any, ports a mix of single ports and ranges.
func benchPolicy(nrules int, seed uint64) *Policy {
	r := rand.New(rand.NewPCG(seed, 7))
	ndev := max(nrules/5, 2)
	p := &Policy{LocalNetworks: []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}}
	zones := []string{"medical", "clinical", "ehr", "pacs", "guest"}
	for i, z := range zones {
		p.Zones = append(p.Zones, Zone{Name: z, CIDRs: []netip.Prefix{netip.PrefixFrom(netip.AddrFrom4([4]byte{10, byte(i * 16), 0, 0}), 12)}})
	}
	for i := range ndev {
		z := i % len(zones)
		a := netip.AddrFrom4([4]byte{10, byte(z*16 + (i/65536)%16), byte(i >> 8), byte(i)})
		p.Devices = append(p.Devices, Device{Name: fmt.Sprintf("dev%d", i), Addr: a, Zone: zones[z], Manufacturer: mfrs[1+i%2]})
	}
	for i := range nrules {
		d := &p.Devices[i%ndev]
		rule := Rule{Name: fmt.Sprintf("r%d", i), Direction: Direction(1 + r.IntN(2)), Proto: ProtoTCP}
		switch k := r.IntN(20); {
		case k < 9:
			rule.Peer = Peer{Kind: PeerDevice, Value: p.Devices[r.IntN(ndev)].Name}
		case k < 13:
			rule.Peer = Peer{Kind: PeerZone, Value: zones[r.IntN(len(zones))]}
		case k < 18:
			rule.Peer = Peer{Kind: PeerCIDR, Prefix: netip.PrefixFrom(serverAddr(r, len(zones)), 24).Masked()}
		case k < 19:
			rule.Peer = Peer{Kind: PeerSameManufacturer}
		default:
			rule.Peer = Peer{Kind: PeerAny}
			rule.Proto = ProtoUDP
		}
		lo := uint16(1 + r.IntN(9000))
		rule.DstPorts = []PortRange{{lo, lo + uint16(r.IntN(3)*10)}}
		d.Rules = append(d.Rules, rule)
	}
	for i, z := range zones {
		p.Conduits = append(p.Conduits, Conduit{Name: "mon-" + z, From: zones[(i+1)%len(zones)], To: z, Proto: ProtoTCP, DstPorts: []PortRange{{8443, 8443}}, Monitoring: true})
	}
	return p
}

// serverAddr is a zone member that is no device (a server or workstation
// the policy knows by zone only).
func serverAddr(r *rand.Rand, nz int) netip.Addr {
	return netip.AddrFrom4([4]byte{10, byte(r.IntN(nz)*16 + 8), byte(r.IntN(256)), byte(1 + r.IntN(254))})
}

// benchFlows returns n flows: half built to match a rule, half random
// between devices (mostly denied).
func benchFlows(p *Policy, n int, seed uint64) []Flow {
	r := rand.New(rand.NewPCG(seed, 11))
	out := make([]Flow, n)
	for i := range out {
		d := &p.Devices[r.IntN(len(p.Devices))]
		o := &p.Devices[r.IntN(len(p.Devices))]
		f := Flow{Src: d.Addr, Dst: o.Addr, Proto: ProtoTCP, DstPort: uint16(1 + r.IntN(9100)), SrcPort: 40000}
		if i%2 == 0 && len(d.Rules) > 0 {
			rule := d.Rules[r.IntN(len(d.Rules))]
			f.Proto = rule.Proto
			f.DstPort = rule.DstPorts[0].Lo
			peer := o.Addr
			switch rule.Peer.Kind {
			case PeerDevice:
				for j := range p.Devices {
					if p.Devices[j].Name == rule.Peer.Value {
						peer = p.Devices[j].Addr
					}
				}
			case PeerCIDR:
				a := rule.Peer.Prefix.Addr().As4()
				a[3] = byte(1 + r.IntN(254))
				peer = netip.AddrFrom4(a)
			case PeerZone, PeerAny:
				for {
					peer = serverAddr(r, len(p.Zones))
					if rule.Peer.Kind == PeerAny || p.Zones[slices.IndexFunc(p.Zones, func(z Zone) bool { return z.Name == rule.Peer.Value })].CIDRs[0].Contains(peer) {
						break
					}
				}
			}
			if rule.Direction == Egress {
				f.Src, f.Dst = d.Addr, peer
			} else {
				f.Src, f.Dst = peer, d.Addr
			}
		}
		out[i] = f
	}
	return out
}

// linearScan is the baseline: the policy flattened once into rules with
// their peers as prefix lists, then every rule checked for every flow, as
// a firewall without an index would.
type linearScan struct {
	rules   []linRule
	devices []netip.Addr
	zones   []Zone
	devZone map[netip.Addr]string
	conds   []Conduit
}

type linRule struct {
	id       string
	dev      netip.Addr
	dir      Direction
	proto    Proto
	ports    []PortRange
	zone     string
	prefixes []netip.Prefix
	any      bool
}

func newLinearScan(e *Engine) *linearScan {
	p := e.policy
	l := &linearScan{zones: p.Zones, devZone: map[netip.Addr]string{}, conds: p.Conduits}
	for i := range p.Devices {
		d := &p.Devices[i]
		l.devices = append(l.devices, d.Addr)
		l.devZone[d.Addr] = d.Zone
		for _, r := range d.Rules {
			lr := linRule{id: d.Name + "/" + r.Name, dev: d.Addr, dir: r.Direction, proto: r.Proto, ports: r.DstPorts}
			switch r.Peer.Kind {
			case PeerAny:
				lr.any = true
			case PeerZone:
				lr.zone = r.Peer.Value
			case PeerDevice:
				a := p.Devices[e.devIndex[r.Peer.Value]].Addr
				lr.prefixes = []netip.Prefix{netip.PrefixFrom(a, 32)}
			default:
				lr.prefixes = peerPrefixes(p, r.Peer, d.Manufacturer, d.Model, nil, nil, nil)
			}
			l.rules = append(l.rules, lr)
		}
	}
	return l
}

func (l *linearScan) zoneOf(a netip.Addr) string {
	if z, ok := l.devZone[a]; ok {
		return z
	}
	for _, z := range l.zones {
		for _, c := range z.CIDRs {
			if c.Contains(a) {
				return z.Name
			}
		}
	}
	return ""
}

func (l *linearScan) decide(f Flow) (bool, string) {
	sz, dz := l.zoneOf(f.Src), l.zoneOf(f.Dst)
	srcPoliced, dstPoliced := false, false
	var r1, r2 string
	for i := range l.rules {
		r := &l.rules[i]
		var peer netip.Addr
		var peerZone string
		switch {
		case r.dir == Egress && r.dev == f.Src:
			srcPoliced, peer, peerZone = true, f.Dst, dz
			if r1 != "" {
				continue
			}
		case r.dir == Ingress && r.dev == f.Dst:
			dstPoliced, peer, peerZone = true, f.Src, sz
			if r2 != "" {
				continue
			}
		default:
			if r.dev == f.Src {
				srcPoliced = true
			}
			if r.dev == f.Dst {
				dstPoliced = true
			}
			continue
		}
		if r.proto != ProtoAny && r.proto != f.Proto || !inPorts(r.ports, f.DstPort) {
			continue
		}
		ok := r.any || (r.zone != "" && r.zone == peerZone)
		for _, pf := range r.prefixes {
			if pf.Contains(peer) {
				ok = true
				break
			}
		}
		if ok {
			if r.dir == Egress {
				r1 = r.id
			} else {
				r2 = r.id
			}
		}
	}
	if srcPoliced && r1 == "" || dstPoliced && r2 == "" {
		return false, ""
	}
	if r1 != "" {
		return true, r1
	}
	if r2 != "" {
		return true, r2
	}
	for _, c := range l.conds {
		if c.From == sz && c.To == dz && (c.Proto == ProtoAny || c.Proto == f.Proto) && inPorts(c.DstPorts, f.DstPort) {
			return true, "conduit/" + c.Name
		}
	}
	return false, ""
}

func compileBench(tb testing.TB, n int) *Engine {
	e, err := Compile(context.Background(), benchPolicy(n, 1))
	if err != nil {
		tb.Fatal(err)
	}
	return e
}

// TestLinearScanAgrees makes sure the baseline the benchmarks compare with
// decides like the engine, so the speed-up is between equals.
func TestLinearScanAgrees(t *testing.T) {
	e := compileBench(t, 2000)
	l := newLinearScan(e)
	allowed := 0
	for _, f := range benchFlows(e.policy, 3000, 3) {
		d := e.Decide(f)
		ok, id := l.decide(f)
		if d.Allow != ok || (ok && d.Rule != id) {
			t.Fatalf("flow %s: engine %v, linear %v %s", f, d, ok, id)
		}
		if ok {
			allowed++
		}
	}
	if allowed < 500 {
		t.Fatalf("only %d of 3000 bench flows allowed: the benchmark would measure denials only", allowed)
	}
}

// BenchmarkDecide: 10,000 rules over 2,000 devices, random flows, one core.
func BenchmarkDecide(b *testing.B) {
	e := compileBench(b, 10000)
	flows := benchFlows(e.policy, 1<<16, 2)
	b.ReportAllocs()
	b.ResetTimer()
	allowed := 0
	for i := 0; b.Loop(); i++ {
		if e.Decide(flows[i&(len(flows)-1)]).Allow {
			allowed++
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds()/1e6, "Mdecisions/s")
}

// BenchmarkLinearScan is the same workload checked rule by rule.
func BenchmarkLinearScan(b *testing.B) {
	e := compileBench(b, 10000)
	l := newLinearScan(e)
	flows := benchFlows(e.policy, 1<<16, 2)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		l.decide(flows[i&(len(flows)-1)])
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds()/1e6, "Mdecisions/s")
}

// BenchmarkCompile measures Compile on the 10,000-rule policy and the heap
// the engine keeps.
func BenchmarkCompile(b *testing.B) {
	p := benchPolicy(10000, 1)
	var keep *Engine
	var ms runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&ms)
	before := ms.HeapAlloc
	b.ReportAllocs()
	for b.Loop() {
		e, err := Compile(context.Background(), p)
		if err != nil {
			b.Fatal(err)
		}
		keep = e
	}
	b.StopTimer()
	runtime.GC()
	runtime.ReadMemStats(&ms)
	b.ReportMetric(float64(ms.HeapAlloc-before)/(1<<20), "heap-MiB")
	runtime.KeepAlive(keep)
}

// BenchmarkDecideLatency times decisions one by one and reports p50, p99
// and p99.9 (each includes one clock read, about 20-40 ns).
func BenchmarkDecideLatency(b *testing.B) {
	e := compileBench(b, 10000)
	flows := benchFlows(e.policy, 1<<16, 5)
	lat := make([]time.Duration, 0, 1<<20)
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		t0 := time.Now()
		e.Decide(flows[i&(len(flows)-1)])
		if len(lat) < cap(lat) {
			lat = append(lat, time.Since(t0))
		}
	}
	b.StopTimer()
	slices.Sort(lat)
	q := func(p float64) float64 { return float64(lat[int(float64(len(lat)-1)*p)].Nanoseconds()) }
	b.ReportMetric(q(0.5), "p50-ns")
	b.ReportMetric(q(0.99), "p99-ns")
	b.ReportMetric(q(0.999), "p99.9-ns")
}

// BenchmarkDecideScaling shows how decision cost grows with policy size.
func BenchmarkDecideScaling(b *testing.B) {
	for _, n := range []int{100, 1000, 10000, 100000} {
		e := compileBench(b, n)
		flows := benchFlows(e.policy, 1<<16, 2)
		b.Run(fmt.Sprintf("rules=%d", n), func(b *testing.B) {
			b.ReportAllocs()
			for i := 0; b.Loop(); i++ {
				e.Decide(flows[i&(len(flows)-1)])
			}
		})
		b.Run(fmt.Sprintf("compile/rules=%d", n), func(b *testing.B) {
			p := e.policy
			for b.Loop() {
				if _, err := Compile(context.Background(), p); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
