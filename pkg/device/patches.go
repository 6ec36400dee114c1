package device

import (
	"context"
	"time"
)

// PatchReporter is a device that reports which released patches (by the
// maker's patch id) it has installed, to an authenticated session.
type PatchReporter interface {
	InstalledPatches(ctx context.Context, token string) ([]string, error)
}

// ReleasedPatch is one entry of a maker's patch bulletin.
type ReleasedPatch struct {
	ID          string
	Released    time.Time
	Criticality string // "critical", "high", "medium" or "low"
}

// PatchBulletin is a simulator or test build that carries its maker's
// patch bulletin for its model, so patch currency can be checked without a
// site inventory. With a site inventory (ward check --inventory) the
// inventory's patch list is used instead.
type PatchBulletin interface {
	ReleasedPatches(ctx context.Context) ([]ReleasedPatch, error)
}
