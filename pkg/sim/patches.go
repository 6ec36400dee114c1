package sim

import (
	"context"
	"fmt"

	"github.com/wardsec/ward/pkg/audit"
	"github.com/wardsec/ward/pkg/device"
)

// bulletin is the simulated maker's patch bulletin for the pump, dated
// relative to the unit's clock so the check means the same whenever it
// runs. Ids match examples/inventory/patches.csv.
func (p *Pump) bulletin() []device.ReleasedPatch {
	now := p.now()
	return []device.ReleasedPatch{
		{ID: "SIM-2026-01", Released: now.AddDate(0, 0, -300), Criticality: "high"},
		{ID: "SIM-2026-03", Released: now.AddDate(0, 0, -90), Criticality: "critical"},
	}
}

// ReleasedPatches implements device.PatchBulletin.
func (p *Pump) ReleasedPatches(context.Context) ([]device.ReleasedPatch, error) {
	return p.bulletin(), nil
}

// InstalledPatches implements device.PatchReporter: every released patch,
// or, with unpatched, all but the critical one.
func (p *Pump) InstalledPatches(ctx context.Context, token string) ([]string, error) {
	ctx = via(ctx, "management-api")
	c, err := p.begin(ctx, token, permConfigExport, "patches")
	if err != nil {
		return nil, fmt.Errorf("sim: installed patches: %w", err)
	}
	if err := p.recordAs(ctx, c, audit.Event{Actor: c.User, Source: "management-api", Action: "patches.query", Object: "patches", Outcome: audit.Success}); err != nil {
		return nil, err
	}
	var out []string
	for _, b := range p.bulletin() {
		if p.weak["unpatched"] && b.Criticality == "critical" {
			continue
		}
		out = append(out, b.ID)
	}
	return out, nil
}
