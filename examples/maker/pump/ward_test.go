package pump_test

import (
	"encoding/json"
	"os"
	"testing"

	"example.com/acme-pump/pump"
	"example.com/acme-pump/ward"

	"github.com/wardsec/ward/pkg/device"
	"github.com/wardsec/ward/pkg/evidence"
	"github.com/wardsec/ward/pkg/wardtest"
)

// TestWard checks the pump on the bench against Ward's catalogue and
// Acme's own controls. ACME_TARGET picks another pump; ACME_OUTCOMES names
// a file for the outcome table (Ward's own test compares it with ward
// check's).
func TestWard(t *testing.T) {
	target := "acmepump://bench-3"
	if v := os.Getenv("ACME_TARGET"); v != "" {
		target = v
	}
	reg := device.NewRegistry()
	if err := pump.Register(reg); err != nil {
		t.Fatal(err)
	}
	res := wardtest.Check(t, reg, target, wardtest.WithSteps(pump.Steps()), wardtest.WithCatalogue(ward.Controls(), ward.Features()))

	if p := os.Getenv("ACME_OUTCOMES"); p != "" {
		table := map[string]evidence.Outcome{}
		for _, c := range res.Controls {
			table[c.ID] = c.Outcome
		}
		b, err := json.Marshal(table)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
}
