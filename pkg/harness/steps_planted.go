package harness

import (
	"context"
	"errors"
	"fmt"

	"github.com/cucumber/godog"

	"github.com/wardsec/ward/pkg/device"
)

// Steps for devices whose records the harness cannot write (field units
// reached over SSH): the tester entered test data on the device, the
// target says which values, and raw storage must not show them.
func registerPlantedSteps(sc *godog.ScenarioContext) {
	step(sc, `^the test data the tester entered on the device$`, stepPlantedData)
	step(sc, `^none of the test data appears in the dump$`, stepPlantedNotInDump)
}

// plantedKey keeps the scenario's planted values in the context, so the
// shared world struct stays as it is.
type plantedKey struct{}

func stepPlantedData(ctx context.Context) (context.Context, error) {
	w := worldFrom(ctx)
	pd, err := capability[device.PlantedData](w, "known test data")
	if err != nil {
		return ctx, err
	}
	vals, err := pd.PlantedValues(ctx)
	if errors.Is(err, device.ErrUnsupported) {
		return ctx, skip(w, err)
	}
	if err != nil {
		return ctx, fmt.Errorf("read the test data: %w", err)
	}
	if len(vals) == 0 {
		return ctx, skip(w, &device.UnsupportedError{Capability: "known test data (none configured)"})
	}
	for _, v := range vals {
		if len(v) < 8 {
			return ctx, fmt.Errorf("test value %q is shorter than 8 bytes: finding it would prove nothing", v)
		}
	}
	w.observe("%d known test values entered on the device", len(vals))
	return context.WithValue(ctx, plantedKey{}, vals), nil
}

func stepPlantedNotInDump(ctx context.Context) error {
	w := worldFrom(ctx)
	if err := needDump(w); err != nil {
		return err
	}
	vals, _ := ctx.Value(plantedKey{}).([]string)
	if len(vals) == 0 {
		return errors.New("scenario bug: no test data was read")
	}
	for _, v := range vals {
		if where, ok := findSecret(w.dump, []byte(v)); ok {
			return fmt.Errorf("test data %q lies in the clear in %s", v, where)
		}
	}
	w.observe("none of %d test values found in %d stored files, in any encoding", len(vals), len(w.dump))
	return nil
}
