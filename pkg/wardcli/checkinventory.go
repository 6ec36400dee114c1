package wardcli

import (
	"bytes"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/wardsec/ward/pkg/evidence"
	"github.com/wardsec/ward/pkg/harness"
	"github.com/wardsec/ward/pkg/inventory"

	"github.com/wardsec/ward/internal/safetext"
)

// checkInventory is ward check's view of the site inventory: the flags and,
// once loaded, the inventory.
type checkInventory struct {
	file   string
	update bool
	inv    *inventory.Inventory
}

// load reads --inventory (usage error when it does not parse) and returns
// the harness option that checks targets against it.
func (ci *checkInventory) load() ([]harness.Option, error) {
	if ci.file == "" {
		if ci.update {
			return nil, usageErr("--update-inventory needs --inventory FILE")
		}
		return nil, nil
	}
	inv, err := loadInventory(ci.file)
	if err != nil {
		return nil, err
	}
	if err := inv.Validate(); err != nil {
		return nil, usageErr("%s: %v", ci.file, err)
	}
	ci.inv = inv
	return []harness.Option{harness.WithInventory(inv)}, nil
}

// afterRun records what the run learned about each target in the
// inventory, names unknown devices, saves the inventory when asked, and
// returns the inventory view for the evidence bundle.
func (ci *checkInventory) afterRun(stderr io.Writer, run *evidence.Run) ([]evidence.WriteOption, error) {
	if ci.inv == nil {
		return nil, nil
	}
	var obs []inventory.Observation
	for _, t := range run.Targets {
		if t.Error != "" {
			continue // unreachable: nothing learned
		}
		id := t.Identity
		obs = append(obs, inventory.Observation{Target: t.URI, Manufacturer: id.Manufacturer, Model: id.Model,
			Serial: id.Serial, Firmware: id.Firmware, UDI: id.UDI, Seen: t.Started})
	}
	res := ci.inv.Observe(obs)
	fmt.Fprintf(stderr, "ward: inventory: %d of %d target(s) matched a record, %d unknown\n", len(res.Matched), len(obs), len(res.Unknown))
	for _, u := range res.Unknown {
		fmt.Fprintf(stderr, "ward: inventory: unknown device %s: %s %s serial %s UDI %s\n", show(u.Target), show(u.Manufacturer), show(u.Model), safetext.Quote(u.Serial), safetext.Quote(u.UDI))
	}
	for _, m := range res.Mismatches {
		fmt.Fprintf(stderr, "ward: inventory: %s: %s is %s on the device, %s in the inventory\n", show(m.AssetID), show(m.Field), safetext.Quote(m.Device), safetext.Quote(m.Inventory))
	}
	if ci.update {
		if err := inventory.Save(ci.file, ci.inv); err != nil {
			return nil, &exitError{code: exitHarness, err: fmt.Errorf("update inventory: %w", err)}
		}
		fmt.Fprintf(stderr, "ward: inventory: updated %s (last seen, reported firmware)\n", ci.file)
	}
	now := run.Started
	if now.IsZero() {
		now = time.Now()
	}
	var b bytes.Buffer
	err := inventory.WriteHTML(&b, inventory.Report{
		Title: "Device inventory at run " + run.ID, Generated: now,
		Rows: ci.inv.Rows(inventory.Filter{}, inventory.DefaultPolicy(), now), Unknown: res.Unknown,
		Stale: ci.inv.Stale(now, 30*24*time.Hour), StaleDays: 30,
	})
	if err != nil {
		return nil, err
	}
	return []evidence.WriteOption{evidence.WithDescribedFile("inventory.html", "the device inventory this run was checked against: risk classes with their reasons, unknown and stale devices", b.Bytes())}, nil
}

// inventoryHelp is the --help paragraph on the site inventory.
var inventoryHelp = strings.TrimSpace(`
With --inventory FILE (see 'ward inventory'), each target is matched
against the site's asset inventory (controls NPRM-164.308-a-1, FDA-PMC-ID-1
and, with the inventory's patch list, 524B-b-2); unknown devices are named
on stderr and the bundle gets an inventory.html view. --update-inventory
writes back when each device was seen and the firmware it reported. Without
--inventory, simulators are checked against their own provisioned identity
and patch bulletin, and other targets report those controls
not-applicable (docs/inventory.md).`)
