package segment

import (
	"fmt"
	"net/netip"
	"strconv"
	"strings"
)

// Flow is the first packet of a connection: Src opened it to Dst.
type Flow struct {
	Src, Dst netip.Addr
	Proto    Proto
	// SrcPort is 0 when unknown; rules that restrict source ports then do
	// not match (fail closed).
	SrcPort, DstPort uint16
}

func (f Flow) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "src=%s dst=%s proto=%s", f.Src, f.Dst, f.Proto)
	if f.Proto.hasPorts() {
		if f.SrcPort != 0 {
			fmt.Fprintf(&b, " sport=%d", f.SrcPort)
		}
		fmt.Fprintf(&b, " dport=%d", f.DstPort)
	}
	return b.String()
}

// ParseFlow reads "src=10.0.0.5 dst=10.1.0.2 proto=tcp dport=443 [sport=N]".
// Fields may come in any order; src, dst and proto are required, dport too
// for tcp and udp. Errors match ErrFlow and give the column (1-based) of
// the offending field.
func ParseFlow(s string) (Flow, error) {
	var f Flow
	seen := map[string]bool{}
	cols := map[string]int{} // where each field started, for errors found at the end
	col := 0
	rest := s
	for {
		trimmed := strings.TrimLeft(rest, " \t")
		col += len(rest) - len(trimmed)
		rest = trimmed
		if rest == "" {
			break
		}
		end := strings.IndexAny(rest, " \t")
		if end < 0 {
			end = len(rest)
		}
		field := rest[:end]
		at := col + 1
		bad := func(format string, args ...any) (Flow, error) {
			return Flow{}, fmt.Errorf("%w: column %d: %s", ErrFlow, at, fmt.Sprintf(format, args...))
		}
		k, v, ok := strings.Cut(field, "=")
		if !ok || v == "" {
			return bad("%q: want key=value", field)
		}
		if seen[k] {
			return bad("%s given twice", k)
		}
		seen[k] = true
		cols[k] = at
		switch k {
		case "src", "dst":
			a, err := netip.ParseAddr(v)
			if err != nil || a.Zone() != "" {
				return bad("%s %q is not an IP address", k, v)
			}
			if k == "src" {
				f.Src = a.Unmap()
			} else {
				f.Dst = a.Unmap()
			}
		case "proto":
			p, err := ParseProto(v)
			if err != nil || p == ProtoAny {
				return bad("proto %q: want tcp, udp, icmp, icmpv6 or a number 1-255", v)
			}
			f.Proto = p
		case "dport", "sport":
			n, err := strconv.ParseUint(v, 10, 32)
			if err != nil || n < 1 || n > 65535 {
				return bad("%s %q: want 1-65535", k, v)
			}
			if k == "dport" {
				f.DstPort = uint16(n)
			} else {
				f.SrcPort = uint16(n)
			}
		default:
			return bad("unknown field %q (want src, dst, proto, dport, sport)", k)
		}
		col += end
		rest = rest[end:]
	}
	end := len(s) + 1 // a missing field is reported at the end of the line
	for _, k := range []string{"src", "dst", "proto"} {
		if !seen[k] {
			return Flow{}, fmt.Errorf("%w: column %d: missing %s= in %q", ErrFlow, end, k, s)
		}
	}
	// IPv4-mapped addresses were unmapped above: such a flow is an IPv4
	// flow, and pairing one with a native IPv6 address is an error.
	if f.Src.Is4() != f.Dst.Is4() {
		return Flow{}, fmt.Errorf("%w: column %d: src %s and dst %s are of different address families", ErrFlow, cols["dst"], f.Src, f.Dst)
	}
	if f.Proto.hasPorts() && !seen["dport"] {
		return Flow{}, fmt.Errorf("%w: column %d: missing dport= for %s in %q", ErrFlow, end, f.Proto, s)
	}
	if !f.Proto.hasPorts() {
		for _, k := range []string{"dport", "sport"} {
			if seen[k] {
				return Flow{}, fmt.Errorf("%w: column %d: %s flows have no ports in %q", ErrFlow, cols[k], f.Proto, s)
			}
		}
	}
	return f, nil
}
