package harness_test

import (
	"fmt"

	"github.com/wardsec/ward/features"
	"github.com/wardsec/ward/pkg/harness"
)

func ExampleStepResources() {
	fmt.Println(harness.StepResources("16 minutes pass without any request"))
	fmt.Println(harness.StepResources(`"ravi.patel" installs the update`))
	fmt.Println(harness.StepResources(`"kim.lee" is logged in`))
	// Output:
	// [clock]
	// [firmware]
	// []
}

func ExampleCheckTouches() {
	undeclared, err := harness.CheckTouches(features.FS)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(len(undeclared), "scenario(s) touch state they do not declare")
	// Output:
	// 0 scenario(s) touch state they do not declare
}

func ExampleOffer() {
	fmt.Println(harness.Offer("target does not support account provisioning"))
	// Output:
	// exposes no account management
}
