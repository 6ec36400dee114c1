package sim_test

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/wardsec/ward/pkg/device"
	"github.com/wardsec/ward/pkg/sim"
)

// A device maker's QA opens the simulator through a registry, exactly as
// the harness opens a real device.
func Example() {
	ctx := context.Background()
	reg := device.NewRegistry()
	if err := sim.Register(reg); err != nil {
		panic(err)
	}
	d, err := reg.Open(ctx, "sim://infusion-pump?serial=SIM-IP-000042")
	if err != nil {
		panic(err)
	}
	defer d.Close()
	id, _ := d.Identify(ctx)
	fmt.Println(id.Model, id.Serial)

	pd := d.(device.PatientData)
	_, err = pd.ReadPatient(ctx, "", "P-1001")
	fmt.Println(err)
	// Output:
	// SIM-IP-100 infusion pump SIM-IP-000042
	// sim: phi.read P-1001: unauthenticated: mfa: no such session
}

// Emergency access on the simulated pump: a reason is required, the
// emergency session may override the drug library's limits, and it ends by
// itself after 30 minutes. The harness moves the test build's clock rather
// than wait.
func ExamplePump_BreakGlass() {
	ctx := context.Background()
	p, _ := sim.New(ctx, "infusion-pump")
	_ = p.CreateUser(ctx, "nurse.jones", "correct horse battery staple", "clinician")
	creds := device.Credentials{User: "nurse.jones", Password: "correct horse battery staple", Source: "bedside-keypad"}

	_, err := p.BreakGlass(ctx, creds, "")
	fmt.Println("without a reason:", errors.Is(err, device.ErrDenied))

	tok, _ := p.BreakGlass(ctx, creds, "code blue, bed 4")
	fmt.Println("override dose limits:", p.Perform(ctx, tok, "infusion.limits.change"))
	fmt.Println("update firmware:", errors.Is(p.Perform(ctx, tok, "firmware.update"), device.ErrDenied))

	_ = p.AdvanceClock(ctx, 31*time.Minute)
	fmt.Println("31 minutes later:", errors.Is(p.Perform(ctx, tok, "infusion.program"), device.ErrUnauthenticated))
	// Output:
	// without a reason: true
	// override dose limits: <nil>
	// update firmware: true
	// 31 minutes later: true
}

// Units of one product line: opened through one Line they share the
// maker's update side, built once, and each starts from the factory
// firmware however much another unit was updated.
func ExampleLine() {
	ctx := context.Background()
	line := sim.NewLine()
	reg := device.NewRegistry()
	if err := reg.Register(sim.Scheme, line.Open); err != nil {
		panic(err)
	}
	for _, serial := range []string{"SIM-IP-000001", "SIM-IP-000002"} {
		d, err := reg.Open(ctx, "sim://infusion-pump?serial="+serial)
		if err != nil {
			panic(err)
		}
		st, _ := d.(device.Updater).UpdateStatus(ctx)
		target, _ := d.(device.UpdatePublisher).PublishRelease(ctx, device.Release{Newer: true})
		fmt.Println(serial, st.Firmware, target)
		d.Close()
	}
	// Output:
	// SIM-IP-000001 1.4.2 infusion-pump/fw-1.4.3-r2.bin
	// SIM-IP-000002 1.4.2 infusion-pump/fw-1.4.3-r2.bin
}
