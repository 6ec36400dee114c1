package evidence

// STAND-IN, deleted by the lead at merge: the `report` workstream writes
// FleetRow, fleetReportHTML and targetReportHTML in report_fleet.go. These
// render today's page so the bundle writer builds and its tests pass.

import (
	"slices"

	"github.com/wardsec/ward/pkg/device"
)

// FleetRow is one target's line in the fleet view.
type FleetRow struct {
	URI      string
	Identity device.Identity
	Error    string
	Outcomes map[string]Outcome // control id -> outcome
	Detail   string             // bundle-relative path of this target's own page, "" when none
}

// fleetReportHTML (stand-in) renders today's page for the slim run, with
// the catalogue's text put back into each control.
func fleetReportHTML(run *Run, catalogue []Control, rows []FleetRow, fingerprint string, extras []reportFile) ([]byte, error) {
	_ = rows
	byID := make(map[string]*Control, len(catalogue))
	for i := range catalogue {
		byID[catalogue[i].ID] = &catalogue[i]
	}
	full := *run
	full.Targets = slices.Clone(run.Targets)
	for ti := range full.Targets {
		t := &full.Targets[ti]
		t.Controls = slices.Clone(t.Controls)
		for ci := range t.Controls {
			if c := byID[t.Controls[ci].ID]; c != nil {
				t.Controls[ci].Requirement, t.Controls[ci].Remediation = c.Requirement, c.Remediation
			}
		}
	}
	return reportWithFiles(&full, fingerprint, extras)
}

// targetReportHTML (stand-in) renders today's page for a run of t alone.
func targetReportHTML(run *Run, t *Target, fingerprint string, extras []reportFile) ([]byte, error) {
	one := *run
	one.Targets = []Target{*t}
	return reportWithFiles(&one, fingerprint, extras)
}
