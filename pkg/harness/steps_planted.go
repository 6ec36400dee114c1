package harness

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/wardsec/ward/pkg/device"
)

// Steps for devices whose records the harness cannot write (field units
// reached over SSH): the tester entered test data on the device, the
// target says which values, and raw storage must not show them.
func registerPlantedSteps(s *StepSet) {
	s.Step(`^the test data the tester entered on the device$`, stepPlantedData)
	s.Step(`^none of the test data appears in the dump$`, stepPlantedNotInDump)
}

// plantedKey keeps the scenario's planted values in the context, so the
// shared world struct stays as it is.
type plantedKey struct{}

func stepPlantedData(ctx context.Context) (context.Context, error) {
	w := worldFrom(ctx)
	pd, err := capability[device.PlantedData](w, device.Label[device.PlantedData]())
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
	found, report := searchValues(w.data.dump, vals)
	if len(found) > 0 {
		w.attach("test-data-found.txt", "text/plain", report)
		return fmt.Errorf("test data lies in the clear (%d of %d values): %s", len(found), len(vals), strings.Join(found, "; "))
	}
	w.observe("none of %d test values found in %d stored files, in any encoding", len(vals), len(w.data.dump))
	return nil
}

// searchValues searches files for every value and returns one line per
// value found ("value" in "file" (form), ...), plus a full report naming
// every file, for the evidence.
func searchValues(files map[string][]byte, vals []string) ([]string, []byte) {
	s := newSearcher(files)
	var found []string
	var report bytes.Buffer
	for _, v := range vals {
		locs := s.locate([]byte(v))
		if len(locs) == 0 {
			continue
		}
		found = append(found, fmt.Sprintf("%q in %s", v, joinLocs(locs, maxNamed)))
		for _, l := range locs {
			fmt.Fprintf(&report, "%q\t%q\t%s\tbyte %d\n", v, l.file, l.form, l.at)
		}
	}
	return found, report.Bytes()
}
