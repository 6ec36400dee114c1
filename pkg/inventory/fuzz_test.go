package inventory_test

import (
	"bytes"
	"os"
	"testing"

	"github.com/wardsec/ward/pkg/inventory"
)

// FuzzReadRecordsCSV: any input is either refused with an ImportError or
// parses into records that write out and read back identically.
func FuzzReadRecordsCSV(f *testing.F) {
	if b, err := os.ReadFile("../../examples/inventory/records.csv"); err == nil {
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		recs, err := inventory.ReadRecordsCSV(bytes.NewReader(in))
		if err != nil {
			if _, ok := err.(*inventory.ImportError); !ok {
				t.Fatalf("error is not an *ImportError: %T %v", err, err)
			}
			return
		}
		var out bytes.Buffer
		if err := inventory.WriteRecordsCSV(&out, recs); err != nil {
			t.Fatal(err)
		}
		back, err := inventory.ReadRecordsCSV(&out)
		if err != nil {
			t.Fatalf("re-reading what we wrote: %v\n%s", err, out.Bytes())
		}
		if d := inventory.DiffInventories(&inventory.Inventory{Records: recs}, &inventory.Inventory{Records: back}); !d.Empty() || len(back) != len(recs) {
			t.Fatalf("round trip changed the records: %+v", d)
		}
	})
}

// FuzzReadJSON: the same property for the JSON format.
func FuzzReadJSON(f *testing.F) {
	f.Add([]byte(`{"version":1,"records":[{"asset_id":"A","phi":"none","last_scan":"2026-01-02","patches":["P"]}],"patches":[{"id":"P","model":"M","released":"2026-01-01","criticality":"low"}]}`))
	f.Fuzz(func(t *testing.T, in []byte) {
		inv, err := inventory.ReadJSON(bytes.NewReader(in))
		if err != nil {
			if _, ok := err.(*inventory.ImportError); !ok {
				t.Fatalf("error is not an *ImportError: %T %v", err, err)
			}
			return
		}
		var out bytes.Buffer
		if err := inventory.WriteJSON(&out, inv); err != nil {
			t.Fatal(err)
		}
		back, err := inventory.ReadJSON(&out)
		if err != nil {
			t.Fatalf("re-reading what we wrote: %v\n%s", err, out.Bytes())
		}
		if d := inventory.DiffInventories(inv, back); !d.Empty() || len(back.Patches) != len(inv.Patches) {
			t.Fatalf("round trip changed the inventory: %+v", d)
		}
	})
}
