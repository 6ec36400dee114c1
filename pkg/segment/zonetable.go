package segment

import (
	"net/netip"
	"slices"
)

// zoneIv is one interval of a zone CIDR, for validation.
type zoneIv struct {
	iv   interval
	zone *Zone
	cidr netip.Prefix
}

// zoneTable finds the zone CIDR holding an address in O(log n). It is
// built by sorting the intervals by their first address and sweeping once,
// which also finds every CIDR that overlaps a CIDR of another zone in
// O(n log n): the 100,000-CIDR policies took minutes with the old
// pairwise check.
type zoneTable struct {
	ivs []zoneIv
	// reach[i] is the index, among ivs[:i+1], of the interval reaching
	// furthest: an address lies in some interval of ivs[:i+1] if and only
	// if it lies in that one or in none (the intervals start in order).
	reach []int
}

// newZoneTable sorts ivs and calls overlap(a, b) once for each interval a
// that overlaps an earlier interval b of another zone. Overlaps inside one
// zone are harmless and not reported.
func newZoneTable(ivs []zoneIv, overlap func(a, b *zoneIv)) *zoneTable {
	slices.SortStableFunc(ivs, func(a, b zoneIv) int { return cmpU128(a.iv.lo, b.iv.lo) })
	t := &zoneTable{ivs: ivs, reach: make([]int, len(ivs))}
	// top reaches furthest so far; other reaches furthest among the
	// intervals of zones other than top's. Together they answer "does this
	// interval overlap an earlier one of another zone?".
	top, other := -1, -1
	for i := range ivs {
		x := &ivs[i]
		switch {
		case top >= 0 && ivs[top].zone != x.zone && !ivs[top].iv.hi.less(x.iv.lo):
			overlap(x, &ivs[top])
		case other >= 0 && !ivs[other].iv.hi.less(x.iv.lo):
			overlap(x, &ivs[other])
		}
		switch {
		case top < 0:
			top = i
		case ivs[top].iv.hi.less(x.iv.hi):
			if ivs[top].zone != x.zone {
				other = top
			}
			top = i
		case ivs[top].zone != x.zone && (other < 0 || ivs[other].iv.hi.less(x.iv.hi)):
			other = i
		}
		t.reach[i] = top
	}
	return t
}

func cmpU128(a, b u128) int {
	switch {
	case a.less(b):
		return -1
	case b.less(a):
		return 1
	}
	return 0
}

// find returns a zone interval holding k, or nil.
func (t *zoneTable) find(k u128) *zoneIv {
	// The last interval starting at or before k.
	i, _ := slices.BinarySearchFunc(t.ivs, k, func(z zoneIv, k u128) int {
		if k.less(z.iv.lo) {
			return 1
		}
		return -1
	})
	if i == 0 {
		return nil
	}
	z := &t.ivs[t.reach[i-1]]
	if z.iv.hi.less(k) {
		return nil
	}
	return z
}

// unmapPrefix is the IPv4 prefix an IPv4-mapped one stands for.
func unmapPrefix(p netip.Prefix) netip.Prefix {
	return netip.PrefixFrom(p.Addr().Unmap(), p.Bits()-96)
}
