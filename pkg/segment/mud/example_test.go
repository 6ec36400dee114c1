package mud_test

import (
	"fmt"

	"github.com/wardsec/ward/pkg/segment/mud"
)

func ExampleParse() {
	f, err := mud.Parse("thermo.json", []byte(`{
	  "ietf-mud:mud": {
	    "mud-version": 1,
	    "mud-url": "https://thermo.example/mud/t1.json",
	    "from-device-policy": {"access-lists": {"access-list": [{"name": "fr"}]}}
	  },
	  "ietf-access-control-list:acls": {"acl": [{
	    "name": "fr", "type": "ipv4-acl-type",
	    "aces": {"ace": [{
	      "name": "peers",
	      "matches": {"ietf-mud:mud": {"same-manufacturer": [null]}, "ipv4": {"protocol": 17}, "udp": {"destination-port": {"operator": "eq", "port": 5683}}},
	      "actions": {"forwarding": "accept"}
	    }]}
	  }]}
	}`))
	if err != nil {
		panic(err)
	}
	r := f.Profile.Rules[0]
	fmt.Println(f.Profile.Name, f.Manufacturer)
	fmt.Println(r.Name, r.Direction, r.Peer, r.Proto, r.DstPorts[0])
	// Output:
	// t1 thermo.example
	// peers egress same-manufacturer udp 5683
}
