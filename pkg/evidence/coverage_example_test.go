package evidence_test

import (
	"fmt"

	"github.com/wardsec/ward/pkg/evidence"
)

func ExampleCoverageOf() {
	controls := []evidence.Control{
		{ID: "HIPAA-164.312-b", Framework: "hipaa-security-rule", Outcome: evidence.Satisfied},
		{ID: "HIPAA-164.312-d", Framework: "hipaa-security-rule", Outcome: evidence.NotApplicable},
		{ID: "HIPAA-164.308-a-5", Framework: "hipaa-security-rule", Outcome: evidence.NotAssessed},
	}
	for _, c := range evidence.CoverageOf(controls) {
		fmt.Println(c)
	}
	// Output:
	// hipaa-security-rule: 1 of 3 assessed (33%); 2 applicable, 1 not applicable, 1 not assessed
}
