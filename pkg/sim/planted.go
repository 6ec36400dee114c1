package sim

import (
	"context"
	"slices"
)

// PlantedValues implements device.PlantedData: the distinctive values of
// the seeded patient records (names, birth dates, record numbers), which
// stand in for the test patient a tester enters on a real unit.
func (p *Pump) PlantedValues(context.Context) ([]string, error) {
	var out []string
	for _, pt := range seedPatients() {
		for _, v := range []string{pt.Name, pt.BirthDate, pt.MRN, pt.Drug} {
			if len(v) >= 8 {
				out = append(out, v)
			}
		}
	}
	slices.Sort(out)
	return out, nil
}
