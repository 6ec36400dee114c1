package sim

import (
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/wardsec/ward/pkg/device"
)

// Weakness is a protection the simulator can switch off, so the harness can
// be shown to notice. Each weakness names the controls whose scenarios must
// fail when it is on, and no others: that is the harness's own test.
type Weakness struct {
	Name        string
	Description string
	// Fails lists the control ids that must come out not-satisfied when this
	// weakness is on (and every other protection is intact).
	Fails []string
}

// Weaknesses returns every weakness toggle, sorted by name.
func Weaknesses() []Weakness {
	w := []Weakness{
		{
			Name:        "no-audit",
			Description: "records no audit events at all",
			Fails:       []string{"FDA-PMC-LOG-2", "HIPAA-164.312-b"},
		},
		{
			Name:        "mutable-audit",
			Description: "keeps a plain, unchained, unsigned audit log, so edits go undetected",
			Fails:       []string{"FDA-PMC-LOG-2"},
		},
		{
			Name:        "no-auth",
			Description: "serves patient data to callers without a valid session",
			Fails:       []string{"HIPAA-164.312-d"},
		},
	}
	sort.Slice(w, func(i, j int) bool { return w[i].Name < w[j].Name })
	return w
}

// weakSet is the set of weaknesses switched on for one device.
type weakSet map[string]bool

func parseWeaknesses(names []string) (weakSet, error) {
	known := Weaknesses()
	set := weakSet{}
	for _, n := range names {
		n = strings.TrimSpace(n)
		if n == "" {
			continue
		}
		if !slices.ContainsFunc(known, func(w Weakness) bool { return w.Name == n }) {
			names := make([]string, len(known))
			for i, w := range known {
				names[i] = w.Name
			}
			return nil, fmt.Errorf("%w: unknown weakness %q (known: %s)", device.ErrBadTarget, n, strings.Join(names, ", "))
		}
		set[n] = true
	}
	return set, nil
}

func (s weakSet) list() []string {
	out := make([]string, 0, len(s))
	for n := range s {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}
