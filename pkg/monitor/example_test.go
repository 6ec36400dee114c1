package monitor_test

import (
	"context"
	"fmt"
	"time"

	"github.com/wardsec/ward/pkg/monitor"
)

func Example() {
	now := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	m, err := monitor.New(
		monitor.WithClock(func() time.Time { return now }),
		monitor.WithZoneSpike("medical", monitor.Spike{Window: 10 * time.Second, DeviceLimit: 50}),
	)
	if err != nil {
		panic(err)
	}
	ctx := context.Background()
	m.ObserveFlow(ctx, "pump-1", "medical", "", 40)
	for _, a := range m.ObserveFlow(ctx, "pump-1", "medical", "", 20) {
		fmt.Println(a)
	}
	// Output:
	// 2026-03-02T09:00:00Z traffic-spike device=pump-1 zone=medical rate=60 limit=50: 60 flows in 10s
}
