package sim_test

import (
	"context"
	"fmt"

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
	// sim: phi.read P-1001: unauthenticated
}
