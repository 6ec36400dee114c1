package osv

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
)

// ErrFormat reports an advisory file that is not OSV JSON.
var ErrFormat = errors.New("osv: not an OSV advisory file")

// Limits on an advisory file: it is an input Ward does not control.
const (
	MaxFileSize   = 64 << 20
	MaxAdvisories = 100_000
)

// Advisory is one OSV record, the fields Ward reads.
type Advisory struct {
	ID       string     `json:"id"`
	Summary  string     `json:"summary,omitempty"`
	Aliases  []string   `json:"aliases,omitempty"`
	Affected []Affected `json:"affected"`
}

// Affected is one affected package of an advisory.
type Affected struct {
	Package  Package  `json:"package"`
	Ranges   []Range  `json:"ranges,omitempty"`
	Versions []string `json:"versions,omitempty"`
}

// Package names a package in an ecosystem ("Debian:12", "OpenWrt").
type Package struct {
	Ecosystem string `json:"ecosystem"`
	Name      string `json:"name"`
}

// Range is an OSV range; only type ECOSYSTEM is evaluated.
type Range struct {
	Type   string  `json:"type"`
	Events []Event `json:"events"`
}

// Event is one range event: exactly one field is set.
type Event struct {
	Introduced   string `json:"introduced,omitempty"`
	Fixed        string `json:"fixed,omitempty"`
	LastAffected string `json:"last_affected,omitempty"`
}

// Parse reads an advisory file: one OSV object, a JSON array of them, or
// an object {"vulns": [...]} (what OSV's query API returns).
func Parse(b []byte) ([]Advisory, error) {
	if len(b) > MaxFileSize {
		return nil, fmt.Errorf("%w: larger than %d bytes", ErrFormat, MaxFileSize)
	}
	b = bytes.TrimSpace(b)
	var list []Advisory
	switch {
	case len(b) == 0:
		return nil, fmt.Errorf("%w: empty", ErrFormat)
	case b[0] == '[':
		if err := json.Unmarshal(b, &list); err != nil {
			return nil, fmt.Errorf("%w: %v", ErrFormat, err)
		}
	case b[0] == '{':
		var probe struct {
			Vulns *[]Advisory `json:"vulns"`
			ID    string      `json:"id"`
		}
		if err := json.Unmarshal(b, &probe); err != nil {
			return nil, fmt.Errorf("%w: %v", ErrFormat, err)
		}
		if probe.Vulns != nil {
			list = *probe.Vulns
		} else {
			var a Advisory
			if err := json.Unmarshal(b, &a); err != nil {
				return nil, fmt.Errorf("%w: %v", ErrFormat, err)
			}
			list = []Advisory{a}
		}
	default:
		return nil, fmt.Errorf("%w: not a JSON object or array", ErrFormat)
	}
	if len(list) > MaxAdvisories {
		return nil, fmt.Errorf("%w: more than %d advisories", ErrFormat, MaxAdvisories)
	}
	for i, a := range list {
		if a.ID == "" {
			return nil, fmt.Errorf("%w: advisory %d has no id", ErrFormat, i+1)
		}
		for _, af := range a.Affected {
			if af.Package.Name == "" {
				return nil, fmt.Errorf("%w: advisory %s names an affected package without a name", ErrFormat, a.ID)
			}
			for _, r := range af.Ranges {
				for _, e := range r.Events {
					n := 0
					for _, v := range []string{e.Introduced, e.Fixed, e.LastAffected} {
						if v != "" {
							n++
						}
					}
					if n != 1 {
						return nil, fmt.Errorf("%w: advisory %s: a range event sets %d of introduced, fixed, last_affected (want 1)", ErrFormat, a.ID, n)
					}
				}
			}
		}
	}
	return list, nil
}

// ecosystems are the OSV ecosystems whose versions each scheme orders.
var ecosystems = map[Scheme][]string{
	Dpkg: {"debian", "ubuntu", "openwrt", "yocto", "opkg", "dpkg"},
	RPM:  {"red hat", "redhat", "rocky linux", "almalinux", "suse", "opensuse", "mageia", "openeuler", "rpm"},
}

// Matches reports whether an affected package's ecosystem is one whose
// versions s orders ("Debian:12" matches dpkg). An empty ecosystem matches
// any: a device maker's own advisory file may leave it out.
func (s Scheme) Matches(ecosystem string) bool {
	if ecosystem == "" {
		return true
	}
	e, _, _ := strings.Cut(strings.ToLower(ecosystem), ":")
	return slices.Contains(ecosystems[s], strings.TrimSpace(e))
}

// Affects reports whether version of package name (under scheme s) is
// affected by a, and the version that fixes it when the advisory says.
func (a Advisory) Affects(s Scheme, name, version string) (affected bool, fixed string) {
	for _, af := range a.Affected {
		if af.Package.Name != name || !s.Matches(af.Package.Ecosystem) {
			continue
		}
		if slices.ContainsFunc(af.Versions, func(v string) bool { return s.Compare(v, version) == 0 }) {
			return true, fixedIn(s, af, version)
		}
		for _, r := range af.Ranges {
			if r.Type != "ECOSYSTEM" {
				continue
			}
			if inRange(s, r.Events, version) {
				return true, fixedIn(s, af, version)
			}
		}
	}
	return false, ""
}

// inRange evaluates ECOSYSTEM events: each introduced opens an interval
// closed by the next fixed (exclusive) or last_affected (inclusive).
func inRange(s Scheme, events []Event, v string) bool {
	open, start := false, ""
	for _, e := range events {
		switch {
		case e.Introduced != "":
			open, start = true, e.Introduced
		case open && e.Fixed != "":
			if after(s, v, start) && s.Compare(v, e.Fixed) < 0 {
				return true
			}
			open = false
		case open && e.LastAffected != "":
			if after(s, v, start) && s.Compare(v, e.LastAffected) <= 0 {
				return true
			}
			open = false
		}
	}
	return open && after(s, v, start)
}

// after reports v >= introduced ("0" is the beginning of time).
func after(s Scheme, v, introduced string) bool {
	return introduced == "0" || s.Compare(v, introduced) >= 0
}

// fixedIn is the lowest fixed version above v in af's ranges, if any.
func fixedIn(s Scheme, af Affected, v string) string {
	best := ""
	for _, r := range af.Ranges {
		for _, e := range r.Events {
			if e.Fixed != "" && s.Compare(e.Fixed, v) > 0 && (best == "" || s.Compare(e.Fixed, best) < 0) {
				best = e.Fixed
			}
		}
	}
	return best
}
