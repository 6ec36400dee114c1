package osv_test

import (
	"fmt"

	"github.com/wardsec/ward/pkg/osv"
)

func Example() {
	advs, err := osv.Parse([]byte(`{"id":"DSA-0001-1","affected":[{"package":{"ecosystem":"Debian:12","name":"openssl"},
		"ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"},{"fixed":"3.0.13-1~deb12u1"}]}]}]}`))
	if err != nil {
		panic(err)
	}
	affected, fixed := advs[0].Affects(osv.Dpkg, "openssl", "3.0.11-1~deb12u2")
	fmt.Println(affected, fixed)
	// Output: true 3.0.13-1~deb12u1
}
