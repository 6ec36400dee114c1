package controls_test

import (
	"fmt"

	"github.com/wardsec/ward/controls"
	"github.com/wardsec/ward/pkg/control"
)

// Load the embedded catalogue and look a control up by id.
func Example() {
	cat, _, diags := control.Load(controls.FS)
	if diags.HasErrors() {
		panic(diags)
	}
	c, _ := cat.Control("HIPAA-164.312-b")
	fmt.Println(c.Title, "|", c.Status, "|", c.Citations[0])
	// Output: Audit controls | required | 45 CFR 164.312(b)
}
