package wardcli

import (
	"fmt"
	"io"
	"strings"

	"github.com/wardsec/ward/pkg/harness"

	"github.com/wardsec/ward/internal/safetext"
)

// checkInventory is ward check's view of the site inventory: the flags and,
// once loaded, the inventory.
type checkInventory struct {
	file   string
	update bool
}

// load reads --inventory (usage error when it does not parse) and returns
// the harness options that check targets against it and, with
// --update-inventory, write it back after the run.
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
	opts := []harness.Option{harness.WithInventory(inv)}
	if ci.update {
		opts = append(opts, harness.WithInventoryWriteBack(ci.file))
	}
	return opts, nil
}

// printInventory names on stderr what the run learned about the site
// inventory: how many targets matched a record, unknown devices, fields
// that disagree, and whether the file was updated.
func printInventory(stderr io.Writer, res *harness.InventoryResult) {
	if res == nil {
		return
	}
	fmt.Fprintf(stderr, "ward: inventory: %d of %d target(s) matched a record, %d unknown\n", len(res.Matched), res.Observed, len(res.Unknown))
	for _, u := range res.Unknown {
		fmt.Fprintf(stderr, "ward: inventory: unknown device %s: %s %s serial %s UDI %s\n", show(u.Target), show(u.Manufacturer), show(u.Model), safetext.Quote(u.Serial), safetext.Quote(u.UDI))
	}
	for _, m := range res.Mismatches {
		fmt.Fprintf(stderr, "ward: inventory: %s: %s is %s on the device, %s in the inventory\n", show(m.AssetID), show(m.Field), safetext.Quote(m.Device), safetext.Quote(m.Inventory))
	}
	if res.Saved != "" {
		fmt.Fprintf(stderr, "ward: inventory: updated %s (last seen, reported firmware)\n", res.Saved)
	}
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
