package evidence

import (
	"fmt"
	"slices"
)

// Coverage counts, for one framework, how many of its controls a run
// assessed: reached a verdict on (satisfied, not satisfied or waived).
// Not applicable controls could not be checked on the target; not
// assessed ones are procedural controls no attestation covers and
// controls whose check could not run (error). Applicable is Total minus
// NotApplicable.
type Coverage struct {
	Framework     string `json:"framework"`
	Total         int    `json:"total"`
	Assessed      int    `json:"assessed"`
	NotApplicable int    `json:"not_applicable"`
	NotAssessed   int    `json:"not_assessed"`
}

// Applicable is the number of controls that could be checked.
func (c Coverage) Applicable() int { return c.Total - c.NotApplicable }

// Percent is Assessed out of Total, rounded down: a control that could
// not be checked is not covered, whatever the reason.
func (c Coverage) Percent() int {
	if c.Total == 0 {
		return 0
	}
	return c.Assessed * 100 / c.Total
}

// String is the coverage line Ward prints.
func (c Coverage) String() string {
	return fmt.Sprintf("%s: %d of %d assessed (%d%%); %d applicable, %d not applicable, %d not assessed",
		c.Framework, c.Assessed, c.Total, c.Percent(), c.Applicable(), c.NotApplicable, c.NotAssessed)
}

// CoverageOf counts controls per framework, frameworks in name order,
// then one line for all of them together (Framework "all") when there is
// more than one framework.
func CoverageOf(controls []Control) []Coverage {
	by := map[string]*Coverage{}
	all := &Coverage{Framework: "all"}
	for _, c := range controls {
		fc := by[c.Framework]
		if fc == nil {
			fc = &Coverage{Framework: c.Framework}
			by[c.Framework] = fc
		}
		for _, x := range []*Coverage{fc, all} {
			x.Total++
			switch c.Outcome {
			case Satisfied, NotSatisfied, Waived:
				x.Assessed++
			case NotApplicable:
				x.NotApplicable++
			default:
				x.NotAssessed++
			}
		}
	}
	names := make([]string, 0, len(by))
	for n := range by {
		names = append(names, n)
	}
	slices.Sort(names)
	out := make([]Coverage, 0, len(names)+1)
	for _, n := range names {
		out = append(out, *by[n])
	}
	if len(names) > 1 {
		out = append(out, *all)
	}
	return out
}
