package inventory_test

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"testing"

	"github.com/wardsec/ward/pkg/inventory"
)

// fleet is a 10,000-device inventory with patches for its models.
func fleet(b *testing.B) (*inventory.Inventory, []byte) {
	b.Helper()
	inv := &inventory.Inventory{}
	for m := range 20 {
		for p := range 5 {
			inv.Patches = append(inv.Patches, inventory.Patch{ID: fmt.Sprintf("P-%d-%d", m, p), Manufacturer: "Acme", Model: fmt.Sprintf("M%d", m),
				Released: date(fmt.Sprintf("2026-%02d-01", p+1)), Criticality: inventory.Criticalities[p%4]})
		}
	}
	for i := range 10_000 {
		inv.Records = append(inv.Records, inventory.Record{
			AssetID: fmt.Sprintf("A-%05d", i), Manufacturer: "Acme", Model: fmt.Sprintf("M%d", i%20), Serial: fmt.Sprintf("S%05d", i),
			Zone: "medical-devices", Location: "ward", Owner: "Biomed", PHI: inventory.PHIValues[i%4], Firmware: "1.0",
			SBOM: "sbom.json", EndOfSupport: date("2030-01-01"), LastScan: date("2026-09-01"), LastPenTest: date("2026-03-01"),
			Patches: []string{fmt.Sprintf("P-%d-0", i%20), fmt.Sprintf("P-%d-1", i%20)},
		})
	}
	var buf bytes.Buffer
	if err := inventory.WriteRecordsCSV(&buf, inv.Records); err != nil {
		b.Fatal(err)
	}
	return inv, buf.Bytes()
}

// BenchmarkReadRecordsCSV against the ceiling: encoding/csv reading the
// same bytes without building or validating records.
func BenchmarkReadRecordsCSV(b *testing.B) {
	_, data := fleet(b)
	b.Run("inventory", func(b *testing.B) {
		b.SetBytes(int64(len(data)))
		for b.Loop() {
			if _, err := inventory.ReadRecordsCSV(bytes.NewReader(data)); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("raw-encoding-csv", func(b *testing.B) {
		b.SetBytes(int64(len(data)))
		for b.Loop() {
			r := csv.NewReader(bytes.NewReader(data))
			r.ReuseRecord = true
			for {
				if _, err := r.Read(); err == io.EOF {
					break
				} else if err != nil {
					b.Fatal(err)
				}
			}
		}
	})
}

// BenchmarkRows assesses all 10,000 records (every rule, patch state).
func BenchmarkRows(b *testing.B) {
	inv, _ := fleet(b)
	pol := inventory.DefaultPolicy()
	for b.Loop() {
		if rows := inv.Rows(inventory.Filter{}, pol, today); len(rows) != 10_000 {
			b.Fatal(len(rows))
		}
	}
}

// BenchmarkReadJSON against the ceiling: encoding/json decoding the same
// document into the same types in one call (no line tracking, no
// validation).
func BenchmarkReadJSON(b *testing.B) {
	inv, _ := fleet(b)
	var buf bytes.Buffer
	if err := inventory.WriteJSON(&buf, inv); err != nil {
		b.Fatal(err)
	}
	data := buf.Bytes()
	b.Run("inventory", func(b *testing.B) {
		b.SetBytes(int64(len(data)))
		for b.Loop() {
			if _, err := inventory.ReadJSON(bytes.NewReader(data)); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("raw-encoding-json", func(b *testing.B) {
		b.SetBytes(int64(len(data)))
		for b.Loop() {
			var v struct {
				Version int
				Records []inventory.Record
				Patches []inventory.Patch
			}
			if err := json.Unmarshal(data, &v); err != nil {
				b.Fatal(err)
			}
		}
	})
}
