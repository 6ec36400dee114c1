package segment

import (
	"encoding/binary"
	"net/netip"
	"slices"
)

// u128 is an address as a 128-bit number (IPv4 as IPv4-mapped IPv6), so one
// ordered representation serves both families.
type u128 struct{ hi, lo uint64 }

func key(a netip.Addr) u128 {
	b := a.As16()
	return u128{binary.BigEndian.Uint64(b[:8]), binary.BigEndian.Uint64(b[8:])}
}

func (a u128) less(b u128) bool { return a.hi < b.hi || (a.hi == b.hi && a.lo < b.lo) }

func (a u128) inc() (u128, bool) {
	lo := a.lo + 1
	hi := a.hi
	if lo == 0 {
		hi++
		if hi == 0 {
			return u128{}, false
		}
	}
	return u128{hi, lo}, true
}

// The IPv4-mapped block ::ffff:0:0/96 is where IPv4 addresses live in the
// u128 space. An IPv6 prefix never covers it: "::/0" means every IPv6
// address, not every IPv4 one too, and the decision engine must agree with
// nftables, whose ip and ip6 families never meet.
var (
	mappedLo = u128{0, 0xffff << 32}
	mappedHi = u128{0, 0xffff<<32 | 0xffffffff}
)

// prefixRange returns the first and last address of p, ignoring the
// family rule above; prefixIntervals applies it.
func prefixRange(p netip.Prefix) (u128, u128) {
	a := p.Masked().Addr()
	bits := p.Bits()
	if a.Is4() {
		a = netip.AddrFrom16(a.As16())
		bits += 96
	}
	lo := key(a)
	hi := lo
	host := 128 - bits
	switch {
	case host >= 64:
		hi.lo = ^uint64(0)
		if host == 128 {
			hi.hi = ^uint64(0)
		} else {
			hi.hi |= (uint64(1) << (host - 64)) - 1
		}
	case host > 0:
		hi.lo |= (uint64(1) << host) - 1
	}
	return lo, hi
}

// prefixIntervals returns the addresses of p as at most two intervals: an
// IPv4 prefix is one interval inside the mapped block, an IPv6 prefix is
// its range minus the mapped block (nothing for a prefix inside it, which
// ParsePrefix and Validate refuse).
func prefixIntervals(p netip.Prefix) []interval {
	lo, hi := prefixRange(p)
	if p.Addr().Is4() {
		return []interval{{lo, hi}}
	}
	if hi.less(mappedLo) || mappedHi.less(lo) {
		return []interval{{lo, hi}}
	}
	var out []interval
	if lo.less(mappedLo) {
		out = append(out, interval{lo, u128{mappedLo.hi, mappedLo.lo - 1}})
	}
	if mappedHi.less(hi) {
		next, _ := mappedHi.inc() // cannot wrap: hi is above mappedHi
		out = append(out, interval{next, hi})
	}
	return out
}

// isMapped reports whether p is an IPv6 prefix inside ::ffff:0:0/96: an
// IPv4 prefix in disguise, refused so that one address has one family.
func isMapped(p netip.Prefix) bool {
	return p.Addr().Is4In6() && p.Bits() >= 96
}

type interval struct{ lo, hi u128 }

// addrSet is a set of addresses as sorted, disjoint, non-adjacent intervals.
type addrSet []interval

func newAddrSet(ps []netip.Prefix) addrSet {
	ivs := make([]interval, 0, len(ps))
	for _, p := range ps {
		ivs = append(ivs, prefixIntervals(p)...)
	}
	return mergeIntervals(ivs)
}

func mergeIntervals(ivs []interval) addrSet {
	slices.SortFunc(ivs, func(a, b interval) int {
		if a.lo == b.lo {
			return 0
		}
		if a.lo.less(b.lo) {
			return -1
		}
		return 1
	})
	out := ivs[:0]
	for _, iv := range ivs {
		if n := len(out); n > 0 {
			last := &out[n-1]
			next, ok := last.hi.inc()
			if !ok || !next.less(iv.lo) { // overlapping or adjacent
				if last.hi.less(iv.hi) {
					last.hi = iv.hi
				}
				continue
			}
		}
		out = append(out, iv)
	}
	return addrSet(slices.Clip(out))
}

func (s addrSet) contains(a u128) bool {
	lo, hi := 0, len(s)
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		if s[m].hi.less(a) {
			lo = m + 1
		} else {
			hi = m
		}
	}
	return lo < len(s) && !a.less(s[lo].lo)
}

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
