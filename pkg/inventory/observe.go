package inventory

import (
	"slices"
	"strings"
	"time"
)

// Observation is what a check learned about a device on the network: the
// identity it reported (pkg/device.Identity, copied field by field so this
// package stays free of the harness side) and when.
type Observation struct {
	Target       string    `json:"target"`
	Manufacturer string    `json:"manufacturer"`
	Model        string    `json:"model"`
	Serial       string    `json:"serial"`
	Firmware     string    `json:"firmware"`
	UDI          string    `json:"udi,omitempty"`
	Seen         time.Time `json:"seen"`
}

// Mismatch is an identity field on which a device and its record disagree.
type Mismatch struct {
	AssetID   string `json:"asset_id"`
	Field     string `json:"field"`
	Inventory string `json:"inventory"`
	Device    string `json:"device"`
}

// ObserveResult sums up what a set of observations changed.
type ObserveResult struct {
	// Matched maps each matched observation's target to its asset id.
	Matched map[string]string `json:"matched"`
	// Unknown are devices seen but not inventoried.
	Unknown []Observation `json:"unknown,omitempty"`
	// Mismatches are identity fields that differ from the record.
	Mismatches []Mismatch `json:"mismatches,omitempty"`
}

func same(a, b string) bool { return strings.EqualFold(strings.TrimSpace(a), strings.TrimSpace(b)) }

// Find returns the record describing the observed device: the same UDI
// when both have one, otherwise the same serial number with no conflicting
// manufacturer or model.
func (inv *Inventory) Find(o Observation) (*Record, bool) {
	if o.UDI != "" {
		for i := range inv.Records {
			if r := &inv.Records[i]; r.UDI != "" && same(r.UDI, o.UDI) {
				return r, true
			}
		}
	}
	if o.Serial == "" {
		return nil, false
	}
	for i := range inv.Records {
		r := &inv.Records[i]
		if r.Serial == "" || !same(r.Serial, o.Serial) {
			continue
		}
		if (r.Model != "" && o.Model != "" && !same(r.Model, o.Model)) ||
			(r.Manufacturer != "" && o.Manufacturer != "" && !same(r.Manufacturer, o.Manufacturer)) {
			continue
		}
		return r, true
	}
	return nil, false
}

// Compare lists the identity fields on which o and r disagree (fields the
// device did not report are not compared).
func Compare(r *Record, o Observation) []Mismatch {
	var out []Mismatch
	for _, f := range []struct{ name, inv, dev string }{
		{"manufacturer", r.Manufacturer, o.Manufacturer},
		{"model", r.Model, o.Model},
		{"serial", r.Serial, o.Serial},
		{"udi", r.UDI, o.UDI},
		{"firmware", r.Firmware, o.Firmware},
	} {
		if f.dev != "" && !same(f.inv, f.dev) {
			out = append(out, Mismatch{AssetID: r.AssetID, Field: f.name, Inventory: f.inv, Device: f.dev})
		}
	}
	return out
}

// Observe updates the records of the observed devices (last seen, the
// firmware they report) and reports devices seen but not inventoried and
// identity fields that disagree.
func (inv *Inventory) Observe(obs []Observation) ObserveResult {
	res := ObserveResult{Matched: map[string]string{}}
	for _, o := range obs {
		r, ok := inv.Find(o)
		if !ok {
			res.Unknown = append(res.Unknown, o)
			continue
		}
		res.Matched[o.Target] = r.AssetID
		res.Mismatches = append(res.Mismatches, Compare(r, o)...)
		if o.Seen.After(r.LastSeen) {
			r.LastSeen = o.Seen.UTC()
			r.SeenFirmware = ""
			if o.Firmware != "" && !same(o.Firmware, r.Firmware) {
				r.SeenFirmware = o.Firmware
			}
		}
	}
	return res
}

// Stale returns the records not seen within maxAge of now, never-seen
// ones included (their LastSeen is zero), oldest first.
func (inv *Inventory) Stale(now time.Time, maxAge time.Duration) []Record {
	var out []Record
	for _, r := range inv.Records {
		if r.LastSeen.IsZero() || now.Sub(r.LastSeen) > maxAge {
			out = append(out, r)
		}
	}
	slices.SortStableFunc(out, func(a, b Record) int { return a.LastSeen.Compare(b.LastSeen) })
	return out
}
