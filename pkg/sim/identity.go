package sim

import (
	"context"
	"fmt"

	"github.com/wardsec/ward/pkg/audit"
	"github.com/wardsec/ward/pkg/device"
)

// factoryIdentity is what a unit whose identity query is weakened
// (identity-mismatch) reports: the reference unit's identity, burnt into the
// firmware image, instead of its own.
var factoryIdentity = device.Identity{
	Manufacturer: "Ward Simulated Devices",
	Model:        "SIM-IP-100 infusion pump",
	Serial:       "SIM-IP-000000",
	Firmware:     "1.4.2",
	UDI:          "(01)00000000000000(21)SIM-IP-000000",
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
		return factoryIdentity, nil
	}
	return p.id, nil
}

// ProvisionedIdentity implements device.ProvisionedIdentity: the identity
// the unit was built with, whatever its weaknesses make it announce.
func (p *Pump) ProvisionedIdentity(context.Context) (device.Identity, error) { return p.id, nil }
