package sim_test

import (
	"context"
	"fmt"

	"github.com/wardsec/ward/pkg/device"
	"github.com/wardsec/ward/pkg/sim"
)

// A test build put through a network cut enters emergency mode, alarms
// locally, and leaves emergency mode by itself when the link returns.
func ExamplePump_BeginOutage() {
	ctx := context.Background()
	p, err := sim.New(ctx, "infusion-pump")
	if err != nil {
		panic(err)
	}
	defer p.Close()
	var oc device.OutageControl = p
	if err := oc.BeginOutage(ctx, device.OutageNetworkCut); err != nil {
		panic(err)
	}
	st, _ := oc.EmergencyStatus(ctx)
	fmt.Println(st.Active, st.Causes, st.Alarms[0].Kind)
	if err := oc.EndOutage(ctx); err != nil {
		panic(err)
	}
	st, _ = oc.EmergencyStatus(ctx)
	fmt.Println(st.Active, st.Alarms[0].Active)
	// Output:
	// true [network-cut] network-lost
	// false false
}
