package wardtest_test

import (
	"fmt"
	"strings"

	"github.com/wardsec/ward/pkg/device"
	"github.com/wardsec/ward/pkg/sim"
	"github.com/wardsec/ward/pkg/wardtest"
)

// printT stands in for the *testing.T of a maker's test.
type printT struct{}

func (printT) Helper() {}
func (printT) Errorf(format string, args ...any) {
	msg, _, _ := strings.Cut(fmt.Sprintf(format, args...), ":") // the reason is long
	fmt.Println("FAIL", msg)
}
func (printT) Fatalf(format string, args ...any) { fmt.Printf("FATAL "+format+"\n", args...) }
func (printT) Logf(format string, args ...any)   {}

// A maker's test is three lines: a registry with the driver, then Check.
// Here the simulated pump with its authentication switched off fails the
// authentication control.
func ExampleCheck() {
	t := printT{} // in a test: the *testing.T
	reg := device.NewRegistry()
	_ = sim.Register(reg)
	res := wardtest.Check(t, reg, "sim://infusion-pump?weaken=no-auth", wardtest.WithControls("HIPAA-164.312-d"))
	fmt.Println(res.Controls[0].ID, res.Controls[0].Outcome)
	// Output:
	// FAIL HIPAA-164.312-d not-satisfied
	// HIPAA-164.312-d not-satisfied
}
