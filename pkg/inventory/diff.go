package inventory

import (
	"slices"
	"strings"
	"time"
)

// FieldChange is one column that differs between two versions of a record.
type FieldChange struct {
	Field string `json:"field"`
	Old   string `json:"old"`
	New   string `json:"new"`
}

// Change is a record present in both inventories with different values.
type Change struct {
	AssetID string        `json:"asset_id"`
	Fields  []FieldChange `json:"fields"`
}

// Diff is what changed from one inventory to another, by asset id.
type Diff struct {
	Added   []Record `json:"added,omitempty"`
	Removed []Record `json:"removed,omitempty"`
	Changed []Change `json:"changed,omitempty"`
}

// Empty reports whether the inventories hold the same records.
func (d Diff) Empty() bool { return len(d.Added)+len(d.Removed)+len(d.Changed) == 0 }

// row is a record as its CSV columns, the form diffs compare.
func row(r Record) []string {
	seen := ""
	if !r.LastSeen.IsZero() {
		seen = r.LastSeen.UTC().Format(time.RFC3339)
	}
	return []string{r.AssetID, r.Manufacturer, r.Model, r.Serial, r.UDI, r.Type, r.Zone, r.Location, r.Owner,
		string(r.PHI), r.Firmware, strings.Join(r.Software, ";"), r.SBOM, r.EndOfSupport.String(), r.LastScan.String(),
		r.LastPenTest.String(), strings.Join(r.Patches, ";"), seen, r.SeenFirmware}
}

// DiffInventories computes the differences from old to new, sorted by asset id.
func DiffInventories(old, new *Inventory) Diff {
	var d Diff
	byID := func(inv *Inventory) map[string]*Record {
		m := make(map[string]*Record, len(inv.Records))
		for i := range inv.Records {
			m[inv.Records[i].AssetID] = &inv.Records[i]
		}
		return m
	}
	olds, news := byID(old), byID(new)
	for _, n := range new.Records {
		o, ok := olds[n.AssetID]
		if !ok {
			d.Added = append(d.Added, n)
			continue
		}
		ro, rn := row(*o), row(n)
		var ch []FieldChange
		for i, col := range RecordColumns {
			if ro[i] != rn[i] {
				ch = append(ch, FieldChange{Field: col, Old: ro[i], New: rn[i]})
			}
		}
		if len(ch) > 0 {
			d.Changed = append(d.Changed, Change{AssetID: n.AssetID, Fields: ch})
		}
	}
	for _, o := range old.Records {
		if _, ok := news[o.AssetID]; !ok {
			d.Removed = append(d.Removed, o)
		}
	}
	byAsset := func(a, b Record) int { return strings.Compare(a.AssetID, b.AssetID) }
	slices.SortFunc(d.Added, byAsset)
	slices.SortFunc(d.Removed, byAsset)
	slices.SortFunc(d.Changed, func(a, b Change) int { return strings.Compare(a.AssetID, b.AssetID) })
	return d
}
