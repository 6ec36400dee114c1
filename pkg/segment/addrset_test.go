package segment

import (
	"net/netip"
	"testing"
)

// TestPrefixIntervals: IPv6 prefixes leave out exactly the IPv4-mapped
// block, and nothing around it.
func TestPrefixIntervals(t *testing.T) {
	tests := []struct {
		prefix string
		want   []string
	}{
		{"::/0", []string{"::-::fffe:ffff:ffff", "::1:0:0:0-ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"}},
		{"::/64", []string{"::-::fffe:ffff:ffff", "::1:0:0:0-::ffff:ffff:ffff:ffff"}},
		{"::/96", []string{"::-::ffff:ffff"}},
		{"::fffe:0:0/96", []string{"::fffe:0:0-::fffe:ffff:ffff"}},
		{"::1:0:0:0/96", []string{"::1:0:0:0-::1:0:ffff:ffff"}},
		{"10.0.0.0/8", []string{"10.0.0.0-10.255.255.255"}},
		{"0.0.0.0/0", []string{"0.0.0.0-255.255.255.255"}},
	}
	for _, tt := range tests {
		var got []string
		for _, iv := range prefixIntervals(netip.MustParsePrefix(tt.prefix)) {
			got = append(got, iv.lo.addr().String()+"-"+iv.hi.addr().String())
		}
		if len(got) != len(tt.want) {
			t.Errorf("%s: %q, want %q", tt.prefix, got, tt.want)
			continue
		}
		for i := range got {
			if got[i] != tt.want[i] {
				t.Errorf("%s: %q, want %q", tt.prefix, got, tt.want)
			}
		}
	}
}
