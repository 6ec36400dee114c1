package harness_test

import (
	"context"
	"fmt"

	"github.com/wardsec/ward/controls"
	"github.com/wardsec/ward/features"
	"github.com/wardsec/ward/pkg/control"
	"github.com/wardsec/ward/pkg/device"
	"github.com/wardsec/ward/pkg/harness"
	"github.com/wardsec/ward/pkg/sim"
)

// Run the embedded audit checks against a simulator whose audit log is not
// protected: the log-protection control fails, the others hold.
func ExampleRunner_Check() {
	cat, _, _, diags := control.Lint(controls.FS, features.FS)
	if diags.HasErrors() {
		panic(diags)
	}
	reg := device.NewRegistry()
	if err := sim.Register(reg); err != nil {
		panic(err)
	}
	r := harness.New(reg, cat, features.FS, harness.WithControls("HIPAA-164.312-b", "FDA-PMC-LOG-2"))
	res, _, err := r.Check(context.Background(), "sim://infusion-pump?weaken=mutable-audit")
	if err != nil {
		panic(err)
	}
	for _, c := range res.Controls {
		fmt.Println(c.ID, c.Outcome)
	}
	// Output:
	// FDA-PMC-LOG-2 not-satisfied
	// HIPAA-164.312-b satisfied
}

// An operator allows the checks to reach a device's HL7 feed on another
// host, here an interface engine the device forwards through.
func ExampleParseAllowHost() {
	h, err := harness.ParseAllowHost("Feed.Example.org:2575")
	fmt.Println(h, err)
	_, err = harness.ParseAllowHost("user@host")
	fmt.Println(err)
	// Output:
	// feed.example.org:2575 <nil>
	// configuration error: --allow-host "user@host": want HOST or HOST:PORT
}
