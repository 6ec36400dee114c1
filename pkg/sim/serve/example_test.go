package serve_test

import (
	"context"
	"fmt"
	"strings"

	"github.com/wardsec/ward/pkg/device"
	"github.com/wardsec/ward/pkg/device/https"
	"github.com/wardsec/ward/pkg/sim/serve"
)

// Start a networked simulator and reach it through the target it prints;
// each Open gets a fresh unit.
func Example() {
	ctx, stop := context.WithCancel(context.Background())
	svc, err := serve.Start(ctx, serve.Config{Profile: "patient-monitor"})
	if err != nil {
		panic(err)
	}
	fmt.Println(strings.HasPrefix(svc.Target, "https://127.0.0.1:"), strings.Contains(svc.Target, "ca-sha256="))

	reg := device.NewRegistry()
	_ = https.Register(reg)
	d, err := reg.Open(ctx, svc.Target)
	if err != nil {
		panic(err)
	}
	id, _ := d.Identify(ctx)
	fmt.Println(id.Model)
	t, _ := device.As[device.Transport](d, "endpoints")
	eps, _ := t.Endpoints(ctx)
	for _, e := range eps {
		fmt.Println(e.Name, e.Protocol, len(e.CA) > 0)
	}
	_ = d.Close()
	stop()
	fmt.Println(svc.Wait())
	// Output:
	// true true
	// SIM-PM-200 patient monitor
	// hl7-feed mllp true
	// management-api https true
	// <nil>
}
