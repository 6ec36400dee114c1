package pump

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/wardsec/ward/pkg/harness"
)

// Steps are Acme's step definitions, used by ward/features.
func Steps() harness.StepSet {
	set := harness.StepSet{Name: "acme-pump"}
	set.Step(`^the infusion line is occluded$`, stepOcclude)
	set.Step(`^the occlusion alarm sounds within (\d+) seconds$`, stepAlarmWithin)
	return set
}

type occludedKey struct{}

func stepOcclude(ctx context.Context) (context.Context, error) {
	sc := harness.ScenarioFrom(ctx)
	// A pump without the capability makes the scenario not applicable,
	// with this name in the reason: never a pass.
	alarm, err := harness.Capability[OcclusionAlarm](sc, "occlusion alarm test")
	if err != nil {
		return ctx, err
	}
	sc.Cleanup(alarm.Clear) // the line is unblocked whatever happens next
	took, err := alarm.Occlude(ctx)
	if err != nil {
		return ctx, fmt.Errorf("occlude the line: %w", err)
	}
	sc.Observe("the pump alarmed %s after the line was blocked", took)
	sc.Attach("occlusion.txt", "text/plain", []byte(took.String()+"\n"))
	return context.WithValue(ctx, occludedKey{}, took), nil
}

func stepAlarmWithin(ctx context.Context, seconds int) error {
	took, ok := ctx.Value(occludedKey{}).(time.Duration)
	if !ok {
		return errors.New("scenario bug: the line was not occluded first")
	}
	if took > time.Duration(seconds)*time.Second {
		return fmt.Errorf("the alarm took %s, more than %d seconds", took, seconds)
	}
	return nil
}
