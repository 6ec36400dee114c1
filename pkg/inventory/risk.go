package inventory

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// Policy holds the organisation's thresholds. The zero value is not
// useful; start from DefaultPolicy.
type Policy struct {
	// PatchWindow is how long after release a patch of each criticality
	// may stay uninstalled before it is overdue.
	PatchWindow map[Criticality]time.Duration
	// ScanMaxAge and PenTestMaxAge are the longest allowed gaps since the
	// last vulnerability scan and penetration test (NPRM 164.312(h)(2):
	// six and twelve months).
	ScanMaxAge, PenTestMaxAge time.Duration
	// SupportWarning is how close an end-of-support date raises the risk.
	SupportWarning time.Duration
}

const day = 24 * time.Hour

// DefaultPolicy: critical patches within 30 days, high 60, medium 90, low
// 180; scans every 183 days, pen tests every 365; warn 180 days before the
// end of support.
func DefaultPolicy() Policy {
	return Policy{
		PatchWindow:    map[Criticality]time.Duration{Critical: 30 * day, High: 60 * day, Medium: 90 * day, Low: 180 * day},
		ScanMaxAge:     183 * day,
		PenTestMaxAge:  365 * day,
		SupportWarning: 180 * day,
	}
}

// RiskClass is a record's computed risk, ordered low < medium < high <
// critical.
type RiskClass string

// Risk classes.
const (
	RiskLow      RiskClass = "low"
	RiskMedium   RiskClass = "medium"
	RiskHigh     RiskClass = "high"
	RiskCritical RiskClass = "critical"
)

// RiskClasses lists the classes from lowest to highest.
var RiskClasses = []RiskClass{RiskLow, RiskMedium, RiskHigh, RiskCritical}

func (c RiskClass) rank() int { return slices.Index(RiskClasses, c) }

// Reason is one rule that raised a record's risk, and why.
type Reason struct {
	Rule  string    `json:"rule"`
	Class RiskClass `json:"class"`
	Why   string    `json:"why"`
}

// MissingPatch is a released patch a record lacks.
type MissingPatch struct {
	Patch   Patch `json:"patch"`
	Due     Date  `json:"due"`
	Overdue bool  `json:"overdue"`
}

// Assessment is a record's computed state.
type Assessment struct {
	AssetID string         `json:"asset_id"`
	Class   RiskClass      `json:"risk"`
	Reasons []Reason       `json:"reasons"`
	Missing []MissingPatch `json:"missing_patches,omitempty"`
}

// Overdue reports whether a released patch is missing past its window.
func (a Assessment) Overdue() bool {
	return slices.ContainsFunc(a.Missing, func(m MissingPatch) bool { return m.Overdue })
}

// OverdueCritical reports whether a critical patch is missing past its
// window (FD&C 524B(b)(2)).
func (a Assessment) OverdueCritical() bool {
	return slices.ContainsFunc(a.Missing, func(m MissingPatch) bool { return m.Overdue && m.Patch.Criticality == Critical })
}

// applies reports whether patch p is for the record's model.
func (p Patch) applies(r *Record) bool {
	return p.Model == r.Model && (p.Manufacturer == "" || p.Manufacturer == r.Manufacturer)
}

// MissingPatches lists the released patches for r's model that r lacks,
// with the day each is (or was) due under pol, oldest release first.
func (inv *Inventory) MissingPatches(r *Record, pol Policy, now time.Time) []MissingPatch {
	today := DateOf(now)
	var out []MissingPatch
	for _, p := range inv.Patches {
		if !p.applies(r) || slices.Contains(r.Patches, p.ID) || p.Released.After(today.Time) {
			continue
		}
		due := DateOf(p.Released.Add(pol.PatchWindow[p.Criticality]))
		out = append(out, MissingPatch{Patch: p, Due: due, Overdue: today.After(due.Time)})
	}
	slices.SortStableFunc(out, func(a, b MissingPatch) int { return a.Patch.Released.Compare(b.Patch.Released.Time) })
	return out
}

// Assess computes r's risk class under pol on the day of now. Each rule
// of docs/inventory.md that applies adds a reason; the class is the
// highest any reason gives, low when none applies.
func (inv *Inventory) Assess(r *Record, pol Policy, now time.Time) Assessment {
	a := Assessment{AssetID: r.AssetID, Missing: inv.MissingPatches(r, pol, now)}
	today := DateOf(now)
	add := func(rule string, c RiskClass, format string, args ...any) {
		a.Reasons = append(a.Reasons, Reason{Rule: rule, Class: c, Why: fmt.Sprintf(format, args...)})
	}
	phi := r.PHI.handlesPHI()
	byPHI := func(with, without RiskClass) RiskClass {
		if phi {
			return with
		}
		return without
	}

	switch {
	case !r.EndOfSupport.IsZero() && !today.Before(r.EndOfSupport.Time):
		add("end-of-support", byPHI(RiskCritical, RiskHigh), "support ended %s; no more patches will come (PHI: %s)", r.EndOfSupport, r.PHI)
	case !r.EndOfSupport.IsZero() && today.Add(pol.SupportWarning).After(r.EndOfSupport.Time):
		add("end-of-support-near", RiskMedium, "support ends %s, within %d days", r.EndOfSupport, int(pol.SupportWarning/day))
	}
	var crit, other []string
	for _, m := range a.Missing {
		if !m.Overdue {
			continue
		}
		if m.Patch.Criticality == Critical {
			crit = append(crit, fmt.Sprintf("%s (released %s, due %s)", m.Patch.ID, m.Patch.Released, m.Due))
		} else {
			other = append(other, fmt.Sprintf("%s %s (due %s)", m.Patch.Criticality, m.Patch.ID, m.Due))
		}
	}
	if len(crit) > 0 {
		add("critical-patch-overdue", byPHI(RiskCritical, RiskHigh), "missing critical patch past the policy window: %s", strings.Join(crit, ", "))
	}
	if len(other) > 0 {
		add("patch-overdue", byPHI(RiskHigh, RiskMedium), "missing patch past the policy window: %s", strings.Join(other, ", "))
	}
	if r.Zone == "" {
		add("no-zone", byPHI(RiskHigh, RiskMedium), "not assigned to a network zone (segment)")
	}
	if r.Owner == "" {
		add("no-owner", RiskMedium, "no party responsible for its security posture")
	}
	switch {
	case r.LastScan.IsZero():
		add("scan-overdue", RiskMedium, "never vulnerability-scanned")
	case today.Sub(r.LastScan.Time) > pol.ScanMaxAge:
		add("scan-overdue", RiskMedium, "last vulnerability scan %s, more than %d days ago", r.LastScan, int(pol.ScanMaxAge/day))
	}
	switch {
	case r.LastPenTest.IsZero():
		add("pentest-overdue", RiskMedium, "never penetration-tested")
	case today.Sub(r.LastPenTest.Time) > pol.PenTestMaxAge:
		add("pentest-overdue", RiskMedium, "last penetration test %s, more than %d days ago", r.LastPenTest, int(pol.PenTestMaxAge/day))
	}
	if r.SBOM == "" {
		add("no-sbom", RiskMedium, "no SBOM reference (FD&C 524B(b)(3))")
	}
	if r.SeenFirmware != "" && r.SeenFirmware != r.Firmware {
		add("firmware-drift", RiskMedium, "device reports firmware %s, inventory says %s", r.SeenFirmware, r.Firmware)
	}

	a.Class = RiskLow
	for _, why := range a.Reasons {
		if why.Class.rank() > a.Class.rank() {
			a.Class = why.Class
		}
	}
	if len(a.Reasons) == 0 {
		a.Reasons = []Reason{{Rule: "baseline", Class: RiskLow, Why: "no rule raised the risk"}}
	}
	return a
}
