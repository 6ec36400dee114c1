package segment

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/netip"
	"os/exec"
	"strconv"
	"strings"
)

// NFTOptions shape the nftables ruleset.
type NFTOptions struct {
	// Table is the name of the inet table Ward owns (default "ward"). The
	// ruleset replaces exactly this table and touches nothing else.
	Table string
	// Hook is the base chain's hook: "forward" (a router between zones, the
	// default) or "input"/"output" for a host firewall.
	Hook string
}

type family struct {
	v4            bool
	ip, typ, name string
}

var families = []family{{true, "ip", "ipv4_addr", "v4"}, {false, "ip6", "ipv6_addr", "v6"}}

func is4(iv interval) bool {
	return iv.lo.hi == 0 && iv.lo.lo>>32 == 0xffff && iv.hi.hi == 0 && iv.hi.lo>>32 == 0xffff
}

func (a u128) addr() netip.Addr {
	var b [16]byte
	for i := range 8 {
		b[i] = byte(a.hi >> (56 - 8*i))
		b[8+i] = byte(a.lo >> (56 - 8*i))
	}
	return netip.AddrFrom16(b).Unmap()
}

// elements renders the intervals of one family as nft set elements.
func elements(s addrSet, fam family) []string {
	var out []string
	for _, iv := range s {
		if is4(iv) != fam.v4 {
			continue
		}
		if iv.lo == iv.hi {
			out = append(out, iv.lo.addr().String())
		} else {
			out = append(out, iv.lo.addr().String()+"-"+iv.hi.addr().String())
		}
	}
	return out
}

func quote(s string) string { return strconv.Quote(strings.ReplaceAll(s, `"`, "'")) }

func portsExpr(rs []PortRange) string {
	if len(rs) == 1 {
		return rs[0].String()
	}
	s := make([]string, len(rs))
	for i, r := range rs {
		s[i] = r.String()
	}
	return "{ " + strings.Join(s, ", ") + " }"
}

// l4 renders a protocol and port match.
func l4(proto Proto, dports, sports []PortRange) string {
	var parts []string
	switch {
	case proto == ProtoAny:
	case proto.hasPorts() && (len(dports) > 0 || len(sports) > 0):
		if len(sports) > 0 {
			parts = append(parts, proto.String()+" sport "+portsExpr(sports))
		}
		if len(dports) > 0 {
			parts = append(parts, proto.String()+" dport "+portsExpr(dports))
		}
	case proto == ProtoICMPv6:
		parts = append(parts, "meta l4proto ipv6-icmp")
	case proto == ProtoTCP || proto == ProtoUDP || proto == ProtoICMP:
		parts = append(parts, "meta l4proto "+proto.String())
	default:
		parts = append(parts, "meta l4proto "+strconv.Itoa(int(proto)))
	}
	return strings.Join(parts, " ")
}

func join(parts ...string) string {
	var out []string
	for _, p := range parts {
		if p != "" {
			out = append(out, p)
		}
	}
	return strings.Join(out, " ")
}

type nftWriter struct {
	e   *Engine
	b   bytes.Buffer
	opt NFTOptions
	// zone sets (CIDRs plus member devices) by zone index
	zoneSets []addrSet
	known    addrSet
}

func (w *nftWriter) line(indent int, format string, args ...any) {
	w.b.WriteString(strings.Repeat("\t", indent))
	fmt.Fprintf(&w.b, format, args...)
	w.b.WriteByte('\n')
}

func (w *nftWriter) set(name string, fam family, s addrSet, comment string) {
	w.line(1, "set %s_%s {", name, fam.name)
	w.line(2, "type %s", fam.typ)
	w.line(2, "flags interval")
	if comment != "" {
		w.line(2, "comment %s", quote(comment))
	}
	if els := elements(s, fam); len(els) > 0 {
		w.line(2, "elements = { %s }", strings.Join(els, ", "))
	}
	w.line(1, "}")
}

// zoneMatch renders "this address is in zone z" for one direction.
func (w *nftWriter) zoneMatch(fam family, dir string, z int32) string {
	if z == w.e.ext {
		return fmt.Sprintf("%s %s != @known_%s %s %s != @local_%s", fam.ip, dir, fam.name, fam.ip, dir, fam.name)
	}
	return fmt.Sprintf("%s %s @zone%d_%s", fam.ip, dir, z, fam.name)
}

// peerMatch renders a compiled rule's peer; ok is false when the peer has
// no address of this family (the rule can never match).
func (w *nftWriter) peerMatch(fam family, dir string, r *crule) (string, bool) {
	switch r.kind {
	case pkAny:
		return "", true
	case pkZone:
		return w.zoneMatch(fam, dir, r.zone), true
	case pkAddr:
		iv := interval{r.addr, r.addr}
		if is4(iv) != fam.v4 {
			return "", false
		}
		return fmt.Sprintf("%s %s %s", fam.ip, dir, r.addr.addr()), true
	case pkSet:
		els := elements(r.x.set, fam)
		if len(els) == 0 {
			return "", false
		}
		return fmt.Sprintf("%s %s { %s }", fam.ip, dir, strings.Join(els, ", ")), true
	}
	return "", false
}

func (w *nftWriter) conduitMatch(fam family, c *Conduit) string {
	return join(w.zoneMatch(fam, "saddr", w.e.zoneIndex[c.From]), w.zoneMatch(fam, "daddr", w.e.zoneIndex[c.To]), l4(c.Proto, c.DstPorts, nil))
}

// NFTables renders the engine's policy, with its current quarantines, as
// an nftables script for "nft -f". The script replaces Ward's table in one
// transaction: it creates the table if missing, deletes it and defines it
// anew, so the kernel switches from the old ruleset to the new one
// atomically and never runs a half-loaded policy. The rules enforce what
// Decide decides for flows that cross the gateway (traffic inside one
// subnet does not reach it). Every verdict has a counter, named by a
// comment, so tests and operators can see which rule acted.
func (e *Engine) NFTables(opt NFTOptions) string {
	if opt.Table == "" {
		opt.Table = "ward"
	}
	if opt.Hook == "" {
		opt.Hook = "forward"
	}
	w := &nftWriter{e: e, opt: opt}
	p := e.policy
	w.zoneSets = make([]addrSet, len(p.Zones))
	var knownIvs []interval
	for i, z := range p.Zones {
		var ivs []interval
		for _, c := range z.CIDRs {
			lo, hi := prefixRange(c)
			ivs = append(ivs, interval{lo, hi})
		}
		for j := range p.Devices {
			if p.Devices[j].Zone == z.Name {
				k := key(p.Devices[j].Addr.Unmap())
				ivs = append(ivs, interval{k, k})
			}
		}
		knownIvs = append(knownIvs, ivs...)
		w.zoneSets[i] = mergeIntervals(ivs)
	}
	w.known = mergeIntervals(knownIvs)
	var quarIvs []interval
	var policedIvs []interval
	if q := e.quar.Load(); q != nil {
		for i, on := range q.dev {
			if on {
				k := key(p.Devices[i].Addr.Unmap())
				quarIvs = append(quarIvs, interval{k, k})
			}
		}
		for i, on := range q.zone {
			if on && i < len(w.zoneSets) {
				quarIvs = append(quarIvs, w.zoneSets[i]...)
			}
		}
	}
	for i := range p.Devices {
		if e.devs[i].policed {
			k := key(p.Devices[i].Addr.Unmap())
			policedIvs = append(policedIvs, interval{k, k})
		}
	}
	quar := mergeIntervals(quarIvs)
	policed := mergeIntervals(policedIvs)

	t := "inet " + opt.Table
	w.line(0, "# Generated by ward segment compile: replaces table %s atomically.", t)
	w.line(0, "table %s {}", t)
	w.line(0, "delete table %s", t)
	w.line(0, "table %s {", t)
	for _, fam := range families {
		w.set("local", fam, e.local, "local networks")
		w.set("known", fam, w.known, "zones and devices")
		w.set("quarantine", fam, quar, "quarantined devices and zones")
		w.set("policed", fam, policed, "devices with their own allowlist")
		for i, z := range p.Zones {
			w.set(fmt.Sprintf("zone%d", i), fam, w.zoneSets[i], "zone "+z.Name)
		}
	}

	// Quarantine: only monitoring conduits pass (and then still need the
	// rest of the policy).
	w.line(0, "")
	w.line(1, "chain quarantine {")
	for i := range p.Conduits {
		c := &p.Conduits[i]
		if !c.Monitoring {
			continue
		}
		for _, fam := range families {
			w.line(2, "%s counter return comment %s", w.conduitMatch(fam, c), quote("monitoring conduit/"+c.Name))
		}
	}
	w.line(2, "counter drop comment %s", quote("quarantine"))
	w.line(1, "}")

	// Per-device chains, each ending in the device's default deny.
	for i := range p.Devices {
		if !e.devs[i].policed {
			continue
		}
		d := &p.Devices[i]
		fam := families[0]
		if !d.Addr.Unmap().Is4() {
			fam = families[1]
		}
		for _, side := range []struct {
			rules   []crule
			suffix  string
			peerDir string
			verdict string
		}{{e.devs[i].egress, "out", "daddr", "return"}, {e.devs[i].ingress, "in", "saddr", "accept"}} {
			w.line(0, "")
			w.line(1, "chain dev%d_%s {", i, side.suffix)
			w.line(2, "comment %s", quote(d.Name+" "+map[string]string{"out": "egress", "in": "ingress"}[side.suffix]))
			for j := range side.rules {
				r := &side.rules[j]
				peer, ok := w.peerMatch(fam, side.peerDir, r)
				id := e.rules[r.idx].id
				if !ok {
					w.line(2, "# %s: its peer has no %s address", id, fam.name)
					continue
				}
				w.line(2, "%s counter %s comment %s", join(peer, l4(r.proto, r.dports(), r.sports())), side.verdict, quote(id))
			}
			w.line(2, "counter drop comment %s", quote("default deny: "+d.Name+" "+map[string]string{"out": "egress", "in": "ingress"}[side.suffix]))
			w.line(1, "}")
		}
	}

	w.line(0, "")
	w.line(1, "chain %s {", opt.Hook)
	w.line(2, "type filter hook %s priority filter; policy drop;", opt.Hook)
	w.line(2, "ct state established,related accept")
	w.line(2, "ct state invalid drop")
	for _, fam := range families {
		for _, dir := range []string{"saddr", "daddr"} {
			w.line(2, "%s %s @local_%s %s %s != @known_%s counter drop comment %s", fam.ip, dir, fam.name, fam.ip, dir, fam.name, quote("unknown device"))
		}
	}
	for _, fam := range families {
		for _, dir := range []string{"saddr", "daddr"} {
			w.line(2, "%s %s @quarantine_%s jump quarantine", fam.ip, dir, fam.name)
		}
	}
	for _, side := range []struct{ dir, suffix string }{{"saddr", "out"}, {"daddr", "in"}} {
		for _, fam := range families {
			var m []string
			for i := range p.Devices {
				if e.devs[i].policed && p.Devices[i].Addr.Unmap().Is4() == fam.v4 {
					m = append(m, fmt.Sprintf("%s : jump dev%d_%s", p.Devices[i].Addr.Unmap(), i, side.suffix))
				}
			}
			if len(m) > 0 {
				w.line(2, "%s %s vmap { %s }", fam.ip, side.dir, strings.Join(m, ", "))
			}
		}
	}
	for _, fam := range families {
		w.line(2, "%s saddr @policed_%s counter accept comment %s", fam.ip, fam.name, quote("allowed by the source device's rules"))
	}
	for i := range p.Conduits {
		c := &p.Conduits[i]
		for _, fam := range families {
			w.line(2, "%s counter accept comment %s", w.conduitMatch(fam, c), quote("conduit/"+c.Name))
		}
	}
	w.line(2, "counter drop comment %s", quote("default deny"))
	w.line(1, "}")
	w.line(0, "}")
	return w.b.String()
}

// Runner runs a command with stdin and returns its combined output. The
// default runs the program with os/exec; tests and callers that enter a
// network namespace supply their own.
type Runner func(ctx context.Context, stdin []byte, name string, args ...string) ([]byte, error)

// ExecRunner runs commands with os/exec.
func ExecRunner(ctx context.Context, stdin []byte, name string, args ...string) ([]byte, error) {
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Stdin = bytes.NewReader(stdin)
	return cmd.CombinedOutput()
}

// NetnsRunner runs commands inside the named network namespace (through
// "ip netns exec", so the calling thread never changes namespace).
func NetnsRunner(ns string) Runner {
	return func(ctx context.Context, stdin []byte, name string, args ...string) ([]byte, error) {
		return ExecRunner(ctx, stdin, "ip", append([]string{"netns", "exec", ns, name}, args...)...)
	}
}

// ErrNFT: nft refused a ruleset (the kernel state is unchanged: nft -f
// applies all or nothing).
var ErrNFT = errors.New("segment: nft refused the ruleset")

// ApplyNFT loads a ruleset with "nft -f -" (in one transaction). With
// dryRun it only checks it ("nft -c -f -"), changing nothing.
func ApplyNFT(ctx context.Context, run Runner, ruleset string, dryRun bool) error {
	if run == nil {
		run = ExecRunner
	}
	args := []string{"-f", "-"}
	if dryRun {
		args = []string{"-c", "-f", "-"}
	}
	out, err := run(ctx, []byte(ruleset), "nft", args...)
	if err != nil {
		return fmt.Errorf("%w: %v: %s", ErrNFT, err, strings.TrimSpace(string(out)))
	}
	return nil
}

// DiffLines returns a unified-style line diff from old to new ("-" lines
// removed, "+" lines added, unchanged lines left out), empty when equal.
// Operators review it before applying a new ruleset.
func DiffLines(old, new string) string {
	a := strings.Split(strings.TrimSuffix(old, "\n"), "\n")
	b := strings.Split(strings.TrimSuffix(new, "\n"), "\n")
	if old == "" {
		a = nil
	}
	// Trim the common head and tail; diff the middle by LCS.
	pre := 0
	for pre < len(a) && pre < len(b) && a[pre] == b[pre] {
		pre++
	}
	suf := 0
	for suf < len(a)-pre && suf < len(b)-pre && a[len(a)-1-suf] == b[len(b)-1-suf] {
		suf++
	}
	a, b = a[pre:len(a)-suf], b[pre:len(b)-suf]
	var out strings.Builder
	if len(a)*len(b) > 16<<20 {
		for _, l := range a {
			out.WriteString("-" + l + "\n")
		}
		for _, l := range b {
			out.WriteString("+" + l + "\n")
		}
		return out.String()
	}
	lcs := make([][]int32, len(a)+1)
	for i := range lcs {
		lcs[i] = make([]int32, len(b)+1)
	}
	for i := len(a) - 1; i >= 0; i-- {
		for j := len(b) - 1; j >= 0; j-- {
			if a[i] == b[j] {
				lcs[i][j] = lcs[i+1][j+1] + 1
			} else {
				lcs[i][j] = max(lcs[i+1][j], lcs[i][j+1])
			}
		}
	}
	i, j := 0, 0
	for i < len(a) || j < len(b) {
		switch {
		case i < len(a) && j < len(b) && a[i] == b[j]:
			i++
			j++
		case j < len(b) && (i == len(a) || lcs[i][j+1] >= lcs[i+1][j]):
			out.WriteString("+" + b[j] + "\n")
			j++
		default:
			out.WriteString("-" + a[i] + "\n")
			i++
		}
	}
	return out.String()
}

// NFTCounters parses "nft list table" output into packet counts by rule
// comment (summed when a comment repeats).
func NFTCounters(listing string) map[string]uint64 {
	out := map[string]uint64{}
	for _, l := range strings.Split(listing, "\n") {
		i := strings.Index(l, "counter packets ")
		c := strings.Index(l, `comment "`)
		if i < 0 || c < 0 {
			continue
		}
		f := strings.Fields(l[i+len("counter packets "):])
		if len(f) == 0 {
			continue
		}
		n, err := strconv.ParseUint(f[0], 10, 64)
		if err != nil {
			continue
		}
		name := l[c+len(`comment "`):]
		name = name[:max(strings.IndexByte(name, '"'), 0)]
		out[name] += n
	}
	return out
}
