package harness

import (
	"context"

	"github.com/wardsec/ward/pkg/device"
	"github.com/wardsec/ward/pkg/evidence"
)

// opener opens a target for one scenario.
type opener func(ctx context.Context, target string) (device.Device, error)

// clearOpener stands in for a device whose own channel (the management
// API a driver talks to) answers in cleartext. The stand-in offers that
// channel as the device's one network service, so the transport checks
// judge it by what it sends back, and nothing else: the harness sends no
// credentials or test data to a device over a channel without TLS.
func clearOpener(e *device.CleartextError) opener {
	return func(context.Context, string) (device.Device, error) { return cleartextTarget{e}, nil }
}

type cleartextTarget struct{ e *device.CleartextError }

func (cleartextTarget) Identify(context.Context) (device.Identity, error) {
	return device.Identity{}, nil
}

func (cleartextTarget) Close() error { return nil }

// Endpoints implements device.Transport: the channel itself, as it was
// declared (TLS), so the checks see it answer otherwise.
func (t cleartextTarget) Endpoints(context.Context) ([]device.Endpoint, error) {
	return []device.Endpoint{{Name: "management-api", Protocol: "https", Address: t.e.Address}}, nil
}

// explainCleartext says why the scenarios the stand-in could not run were
// not applicable: not a capability the device lacks, but a channel the
// harness will not use.
func explainCleartext(scns []evidence.Scenario, e *device.CleartextError) {
	for i := range scns {
		if scns[i].Status == evidence.ScenarioNotApplicable {
			scns[i].Reason = "not checked: " + e.Error() + "; the harness sends no credentials or test data over it"
		}
	}
}
