package evidence_test

import (
	"fmt"
	"log"
	"strings"

	"github.com/wardsec/ward/pkg/device"
	"github.com/wardsec/ward/pkg/evidence"
)

// A run of several targets renders as the fleet view: one row per device,
// one column per control.
func ExampleReport() {
	run := &evidence.Run{ID: "fleet", Tool: evidence.Tool{Name: "ward", Version: "0.1.0"}}
	for i, o := range []evidence.Outcome{evidence.Satisfied, evidence.NotSatisfied, evidence.Satisfied} {
		run.Targets = append(run.Targets, evidence.Target{
			URI:      fmt.Sprintf("https://pump-%d.example:8443", i),
			Identity: device.Identity{Model: "IP-200", Serial: fmt.Sprintf("SN-%d", i), Firmware: "3.1.4"},
			Controls: []evidence.Control{
				{ID: "HIPAA-164.312-d", Framework: "hipaa-security-rule", Title: "Authentication", Outcome: o},
				{ID: "HIPAA-164.312-b", Framework: "hipaa-security-rule", Title: "Audit controls", Outcome: evidence.Satisfied},
			},
		})
	}
	page, err := evidence.Report(run, "SHA256:example")
	if err != nil {
		log.Fatal(err)
	}
	for _, line := range strings.Split(string(page), "\n") {
		if strings.HasPrefix(line, "<tr data-o=") {
			fmt.Println(line[:strings.Index(line, ">")+1])
		}
	}
	// Output:
	// <tr data-o="ss">
	// <tr data-o="sn">
	// <tr data-o="ss">
}
