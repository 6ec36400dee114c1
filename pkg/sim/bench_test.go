package sim_test

import (
	"context"
	"net/url"
	"testing"

	"github.com/wardsec/ward/pkg/device"
	"github.com/wardsec/ward/pkg/sim"
)

// BenchmarkLogin is one clinician login (one password hash, the session,
// two sealed rewrites of the account table, the audit record) with the
// simulator's cheap hashing and with pkg/mfa's production parameters.
func BenchmarkLogin(b *testing.B) {
	for name, opts := range map[string][]sim.Option{"sim-hashing": nil, "production-hashing": {sim.WithProductionHashing()}} {
		b.Run(name, func(b *testing.B) {
			ctx := context.Background()
			p, err := sim.New(ctx, "infusion-pump", opts...)
			if err != nil {
				b.Fatal(err)
			}
			if err := p.CreateUser(ctx, "nurse.jones", "correct horse battery", "clinician"); err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			for b.Loop() {
				tok, err := p.Login(ctx, device.Credentials{User: "nurse.jones", Password: "correct horse battery"})
				if err != nil {
					b.Fatal(err)
				}
				if err := p.Logout(ctx, tok); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkUnit is what the harness pays for one fresh unit per scenario:
// sim:// opens a new unit, and update scenarios first read its update
// status, which builds the unit's update subsystem (maker repository,
// factory firmware). "new" is the unit alone; "update" adds the update
// subsystem; "line" opens units off one shared Line, as a fleet run does
// (sim.Register), "own" gives each unit a line of its own (sim.Open).
func BenchmarkUnit(b *testing.B) {
	ctx := context.Background()
	u, err := url.Parse("sim://infusion-pump")
	if err != nil {
		b.Fatal(err)
	}
	for _, tc := range []struct {
		name    string
		updates bool
		shared  bool
	}{{"new/own", false, false}, {"new/line", false, true}, {"update/own", true, false}, {"update/line", true, true}} {
		b.Run(tc.name, func(b *testing.B) {
			open := sim.Open
			if tc.shared {
				open = sim.NewLine().Open
			}
			b.ReportAllocs()
			for b.Loop() {
				d, err := open(ctx, u)
				if err != nil {
					b.Fatal(err)
				}
				if tc.updates {
					if _, err := d.(device.Updater).UpdateStatus(ctx); err != nil {
						b.Fatal(err)
					}
				}
				d.Close()
			}
		})
	}
}
