package sim

import (
	"context"
	"fmt"

	"github.com/wardsec/ward/pkg/audit"
	"github.com/wardsec/ward/pkg/device"
)

// unitIdentity is the identity of the profile's unit number n: its
// model, and a serial number with the profile's prefix (SIM-IP- for the
// infusion pump, SIM-PM- for the patient monitor). Unit 0 is the
// profile's reference unit, whose identity is burnt into the firmware
// image: a unit whose identity query is weakened (identity-mismatch)
// reports it instead of its own.
func unitIdentity(profile string, n int) device.Identity {
	model, prefix := "SIM-IP-100 infusion pump", "SIM-IP-"
	if profile == "patient-monitor" {
		model, prefix = "SIM-PM-200 patient monitor", "SIM-PM-"
	}
	serial := fmt.Sprintf("%s%06d", prefix, n)
	return device.Identity{
		Manufacturer: "Ward Simulated Devices",
		Model:        model,
		Serial:       serial,
		Firmware:     "1.4.2",
		UDI:          "(01)00000000000000(21)" + serial,
	}
}

// discoveryIdentity is what Identify reports: the unit's identity, or,
// with unlisted-identity, a generic one without serial number or UDI.
func (p *Pump) discoveryIdentity() device.Identity {
	if p.weak["unlisted-identity"] {
		id := p.id
		id.Serial, id.UDI = "", ""
		return id
	}
	return p.id
}

// QueryIdentity implements device.IdentityQuerier: the unit's identity, to
// a session allowed to export its configuration.
func (p *Pump) QueryIdentity(ctx context.Context, token string) (device.Identity, error) {
	ctx = via(ctx, "management-api")
	c, err := p.begin(ctx, token, permConfigExport, "identity")
	if err != nil {
		return device.Identity{}, fmt.Errorf("sim: identity query: %w", err)
	}
	if err := p.recordAs(ctx, c, audit.Event{Actor: c.User, Source: "management-api", Action: "identity.query", Object: "identity", Outcome: audit.Success}); err != nil {
		return device.Identity{}, err
	}
	if p.weak["identity-mismatch"] {
		return p.factory, nil
	}
	return p.id, nil
}

// ProvisionedIdentity implements device.ProvisionedIdentity: the identity
// the unit was built with, whatever its weaknesses make it announce.
func (p *Pump) ProvisionedIdentity(context.Context) (device.Identity, error) { return p.id, nil }
