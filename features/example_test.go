package features_test

import (
	"fmt"

	"github.com/wardsec/ward/controls"
	"github.com/wardsec/ward/features"
	"github.com/wardsec/ward/pkg/control"
)

// Every control of the embedded catalogue is verified by at least one
// embedded scenario; Lint reports any gap as an error diagnostic.
func Example() {
	cat, scenarios, _, diags := control.Lint(controls.FS, features.FS)
	fmt.Println("errors:", diags.HasErrors())
	unverified := 0
	for _, c := range cat.Controls {
		if c.Verification.Method != control.MethodScenario {
			continue
		}
		n := 0
		for _, s := range scenarios {
			if s.HasTag("@" + c.ID) {
				n++
			}
		}
		if n == 0 {
			unverified++
		}
	}
	fmt.Println("controls without a scenario:", unverified)
	// Output:
	// errors: false
	// controls without a scenario: 0
}
