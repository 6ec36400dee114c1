package inventory_test

import (
	"fmt"
	"strings"
	"time"

	"github.com/wardsec/ward/pkg/inventory"
)

func ExampleInventory_Assess() {
	records, err := inventory.ReadRecordsCSV(strings.NewReader(
		"asset_id,manufacturer,model,serial,zone,owner,phi,firmware,sbom,end_of_support,last_scan,last_pentest,patches\n" +
			"PUMP-0042,Acme Medical,AcmePump 9,AP-000123,medical-devices,Biomed,processes,4.2.1,sbom.json,2029-06-30,2026-10-01,2026-02-10,\n"))
	if err != nil {
		panic(err)
	}
	patches, _ := inventory.ReadPatchesCSV(strings.NewReader(
		"id,manufacturer,model,released,criticality\nACME-2026-07,Acme Medical,AcmePump 9,2026-08-01,critical\n"))
	inv := &inventory.Inventory{Records: records, Patches: patches}

	today := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	a := inv.Assess(&inv.Records[0], inventory.DefaultPolicy(), today)
	fmt.Println(a.AssetID, a.Class)
	for _, r := range a.Reasons {
		fmt.Printf("  %s: %s\n", r.Rule, r.Why)
	}

	// A row with a bad value is refused with its line and column.
	_, err = inventory.ReadRecordsCSV(strings.NewReader("asset_id,phi\nA,none\nB,sometimes\n"))
	fmt.Println(err)
	// Output:
	// PUMP-0042 critical
	//   critical-patch-overdue: missing critical patch past the policy window: ACME-2026-07 (released 2026-08-01, due 2026-08-31)
	// line 3, column "phi": phi "sometimes" is not one of stores, processes, transmits-only, none
}
