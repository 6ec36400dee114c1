package netdrv_test

import (
	"context"
	"fmt"

	"github.com/wardsec/ward/pkg/device"
	"github.com/wardsec/ward/pkg/device/netdrv"
)

// Register the network driver and open a black-box target; nothing is
// sent until a capability is first used.
func Example() {
	reg := device.NewRegistry()
	if err := netdrv.Register(reg); err != nil {
		panic(err)
	}
	d, err := reg.Open(context.Background(), "net://127.0.0.1?ports=1-1024&udp=161&documented=tcp/443")
	if err != nil {
		panic(err)
	}
	defer d.Close()
	_, isProber := d.(device.ServiceProber)
	_, isLister := d.(device.PortLister)
	fmt.Println(isProber, isLister)
	// Output: true true
}
