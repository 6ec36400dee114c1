package segment_test

import (
	"context"
	"fmt"
	"net/netip"

	"github.com/wardsec/ward/pkg/segment"
)

func Example() {
	p := &segment.Policy{
		LocalNetworks: []netip.Prefix{netip.MustParsePrefix("10.0.0.0/16")},
		Zones: []segment.Zone{
			{Name: "medical", CIDRs: []netip.Prefix{netip.MustParsePrefix("10.0.10.0/24")}},
			{Name: "ehr", CIDRs: []netip.Prefix{netip.MustParsePrefix("10.0.30.0/24")}},
		},
		Devices: []segment.Device{{
			Name: "pump-1", Addr: netip.MustParseAddr("10.0.10.5"), Zone: "medical",
			Rules: []segment.Rule{{
				Name: "ehr-fhir", Direction: segment.Egress, Peer: segment.Peer{Kind: segment.PeerZone, Value: "ehr"},
				Proto: segment.ProtoTCP, DstPorts: []segment.PortRange{{Lo: 443, Hi: 443}},
			}},
		}},
	}
	e, err := segment.Compile(context.Background(), p)
	if err != nil {
		panic(err)
	}
	for _, s := range []string{
		"src=10.0.10.5 dst=10.0.30.20 proto=tcp dport=443",
		"src=10.0.10.5 dst=10.0.30.20 proto=tcp dport=23",
		"src=10.0.99.1 dst=10.0.10.5 proto=tcp dport=443",
	} {
		f, err := segment.ParseFlow(s)
		if err != nil {
			panic(err)
		}
		fmt.Println(e.Decide(f))
	}
	// Output:
	// allow pump-1/ehr-fhir
	// deny default (no rule of pump-1 allows it)
	// deny unknown-device 10.0.99.1
}
