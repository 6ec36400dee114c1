package control_test

import (
	"fmt"

	"github.com/wardsec/ward/pkg/control"
)

func ExampleTouchedResources() {
	names, unknown := control.TouchedResources([]string{"@HIPAA-164.312-a-2-iii", "@touches:clock", "@touches:clocks"})
	fmt.Println(names, unknown)
	r, _ := control.LookupResource("clock")
	fmt.Println(r.Ambient)
	// Output:
	// [clock] [@touches:clocks]
	// true
}
