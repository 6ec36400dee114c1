package segment

import (
	"errors"
	"strings"
	"testing"
)

func TestParseFlow(t *testing.T) {
	good := []struct{ in, out string }{
		{"src=10.0.0.5 dst=10.1.0.2 proto=tcp dport=443", "src=10.0.0.5 dst=10.1.0.2 proto=tcp dport=443"},
		{"  dport=53   proto=udp dst=10.1.0.2 src=10.0.0.5 sport=5353 ", "src=10.0.0.5 dst=10.1.0.2 proto=udp sport=5353 dport=53"},
		{"src=10.0.0.5 dst=10.1.0.2 proto=icmp", "src=10.0.0.5 dst=10.1.0.2 proto=icmp"},
		{"src=::ffff:10.0.0.5 dst=10.1.0.2 proto=6 dport=1", "src=10.0.0.5 dst=10.1.0.2 proto=tcp dport=1"},
		{"src=2001:db8::1 dst=2001:db8::2 proto=tcp dport=65535", "src=2001:db8::1 dst=2001:db8::2 proto=tcp dport=65535"},
	}
	for _, tt := range good {
		f, err := ParseFlow(tt.in)
		if err != nil {
			t.Fatalf("%q: %v", tt.in, err)
		}
		if f.String() != tt.out {
			t.Errorf("%q: got %q", tt.in, f)
		}
	}
	bad := []struct{ in, want string }{
		{"", "column 1: missing src="},
		{"src=10.0.0.5 dst=10.1.0.2 proto=tcp", "column 36: missing dport= for tcp"},
		{"src=10.0.0.5 dst=10.1.0.2 dport=443", "column 36: missing proto="},
		{"src=10.0.0.5 proto=tcp dport=443", "column 33: missing dst="},
		{"src=10.0.0.500 dst=10.1.0.2 proto=tcp dport=443", `column 1: src "10.0.0.500" is not an IP address`},
		{"src=10.0.0.5 dst=10.1.0.2 proto=tcp dport=0", "column 37: dport \"0\": want 1-65535"},
		{"src=10.0.0.5 dst=10.1.0.2 proto=tcp dport=70000", "column 37: dport \"70000\""},
		{"src=10.0.0.5 dst=10.1.0.2 proto=tcp dport=443 dport=80", "column 47: dport given twice"},
		{"src=10.0.0.5 dst=10.1.0.2 proto=bogus dport=443", "column 27: proto \"bogus\""},
		{"src=10.0.0.5 dst=10.1.0.2 proto=any dport=443", "column 27: proto \"any\""},
		{"src=10.0.0.5 dst=10.1.0.2 proto=tcp dport=443 flags=S", `column 47: unknown field "flags"`},
		{"src=10.0.0.5 dst=10.1.0.2 proto=tcp dport", `column 37: "dport": want key=value`},
		{"src=10.0.0.5 dst=2001:db8::1 proto=tcp dport=1", "column 14: src 10.0.0.5 and dst 2001:db8::1 are of different address families"},
		// An IPv4-mapped address is IPv4: with a native IPv6 one it is two families.
		{"src=::ffff:10.0.0.5 dst=2001:db8::1 proto=tcp dport=1", "column 21: src 10.0.0.5 and dst 2001:db8::1 are of different address families"},
		{"src=10.0.0.5 dst=10.1.0.2 proto=icmp dport=1", "column 38: icmp flows have no ports"},
		{"src=10.0.0.5 dst=10.1.0.2 sport=7 proto=icmp", "column 27: icmp flows have no ports"},
		{"src=10.0.0.5 dst=10.1.0.2 proto=tcp dport=-5", `column 37: dport "-5": want 1-65535`},
		{"src=10.0.0.5 dst=10.1.0.2 proto=0", `column 27: proto "0"`},
		{"src=fe80::1%eth0 dst=fe80::2 proto=tcp dport=1", "not an IP address"},
	}
	for _, tt := range bad {
		_, err := ParseFlow(tt.in)
		if !errors.Is(err, ErrFlow) || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%q: got %v, want ErrFlow mentioning %q", tt.in, err, tt.want)
		}
	}
}

func FuzzParseFlow(f *testing.F) {
	f.Add("src=10.0.0.5 dst=10.1.0.2 proto=tcp dport=443 sport=1234")
	f.Add("src=2001:db8::1 dst=2001:db8::2 proto=icmpv6")
	f.Add("dport=1 proto=udp src=1.2.3.4 dst=5.6.7.8")
	f.Fuzz(func(t *testing.T, s string) {
		fl, err := ParseFlow(s)
		if err != nil {
			if !errors.Is(err, ErrFlow) {
				t.Fatalf("error does not match ErrFlow: %v", err)
			}
			return
		}
		// A parsed flow prints in a form that parses to the same flow.
		again, err := ParseFlow(fl.String())
		if err != nil || again != fl {
			t.Fatalf("%q -> %q -> %v, %v", s, fl.String(), again, err)
		}
	})
}
