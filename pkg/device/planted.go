package device

import "context"

// PlantedData is a device holding test data whose values the tester knows:
// a test patient entered through a field unit's own screen before the
// check, or a simulator's seeded records. Checks search the device's raw
// storage for these values, so encryption at rest can be verified on a
// device whose accounts and patient records the harness cannot create.
type PlantedData interface {
	// PlantedValues returns the known values, each long and distinctive
	// enough (at least 8 bytes) that finding one in storage is no chance.
	PlantedValues(ctx context.Context) ([]string, error)
}
