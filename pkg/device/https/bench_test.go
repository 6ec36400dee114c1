package https_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/wardsec/ward/pkg/device"
)

// The cost of forwarding: one authenticated capability call in process
// against the same call over the management API (TLS 1.3, keep-alive,
// loopback), and an unauthenticated one.
func BenchmarkForwardedCall(b *testing.B) {
	p := pump(b)
	d, err := open(b, served(b, p, false))
	require.NoError(b, err)
	defer d.Close()
	tok := biomedSession(b, d)
	ctx := context.Background()
	for name, sc := range map[string]device.SecurityConfig{"settings/in-process": p, "settings/https": d.(device.SecurityConfig)} {
		b.Run(name, func(b *testing.B) {
			for b.Loop() {
				if _, err := sc.SecuritySettings(ctx, tok); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
	for name, pd := range map[string]device.PlantedData{"planted/in-process": p, "planted/https": d.(device.PlantedData)} {
		b.Run(name, func(b *testing.B) {
			for b.Loop() {
				if _, err := pd.PlantedValues(ctx); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
