package wardcli

import (
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"

	"github.com/wardsec/ward/internal/safetext"
	"github.com/wardsec/ward/pkg/control"
	"github.com/wardsec/ward/pkg/device"
	"github.com/wardsec/ward/pkg/evidence"
)

// gates are the CI policies of `ward check`: --fail-on, --min-coverage and
// --require-control. Each one that fails prints a GATE line and makes the
// exit status 1.
type gates struct {
	failOn      []evidence.Outcome
	minCoverage int // percent; -1: no gate
	require     []string
}

// gateOutcomes are the outcomes --fail-on accepts: those that do not fail
// a run by themselves.
var gateOutcomes = []evidence.Outcome{evidence.NotApplicable, evidence.NotAssessed, evidence.Waived}

func parseGates(f checkFlags, cat *control.Catalogue, selected []string) (gates, error) {
	g := gates{minCoverage: -1}
	for _, o := range f.failOn {
		o = strings.TrimSpace(o)
		if !slices.Contains(gateOutcomes, evidence.Outcome(o)) {
			return g, usageErr("--fail-on %q: want one of not-applicable, not-assessed, waived", o)
		}
		g.failOn = append(g.failOn, evidence.Outcome(o))
	}
	if s := f.minCoverage; s != "" {
		n, err := strconv.Atoi(strings.TrimSuffix(strings.TrimSpace(s), "%"))
		if err != nil || n < 0 || n > 100 {
			return g, usageErr("--min-coverage %q: want a percentage from 0%% to 100%%, e.g. 90%%", s)
		}
		g.minCoverage = n
	}
	for _, id := range f.require {
		id = strings.TrimSpace(id)
		if _, ok := cat.Control(id); !ok {
			return g, usageErr("--require-control: unknown control %q (see 'ward controls list')", id)
		}
		if !slices.Contains(selected, id) {
			return g, usageErr("--require-control %s: the control is not among those --framework/--control select", id)
		}
		g.require = append(g.require, id)
	}
	return g, nil
}

// check prints a GATE line for each policy the run breaks and reports
// whether any did.
func (g gates) check(w io.Writer, run *evidence.Run) (failed bool) {
	fail := func(format string, args ...any) {
		failed = true
		fmt.Fprintf(w, "GATE "+format+"\n", args...)
	}
	for _, t := range run.Targets {
		for _, o := range g.failOn {
			var ids []string
			for _, c := range t.Controls {
				if c.Outcome == o {
					ids = append(ids, c.ID)
				}
			}
			if len(ids) > 0 {
				fail("--fail-on %s: %s: %d control(s): %s", o, t.URI, len(ids), strings.Join(ids, ", "))
			}
		}
		if g.minCoverage >= 0 {
			all := evidence.CoverageOf(t.Controls)
			cv := all[len(all)-1]
			if cv.Percent() < g.minCoverage {
				fail("--min-coverage %d%%: %s: %d%% (%d of %d controls assessed)", g.minCoverage, t.URI, cv.Percent(), cv.Assessed, cv.Total)
			}
		}
		for _, id := range g.require {
			i := slices.IndexFunc(t.Controls, func(c evidence.Control) bool { return c.ID == id })
			switch {
			case i < 0:
				fail("--require-control %s: %s: not in the results", id, t.URI)
			case t.Controls[i].Outcome != evidence.Satisfied && t.Controls[i].Outcome != evidence.Waived:
				fail("--require-control %s: %s: %s", id, t.URI, t.Controls[i].Outcome)
			}
		}
	}
	return failed
}

// printNotApplicable groups a target's not-applicable controls by what the
// device would have to offer for them to be checked, largest group first.
func printNotApplicable(w io.Writer, cs []evidence.Control) {
	groups := map[string][]string{}
	for _, c := range cs {
		if c.Outcome != evidence.NotApplicable {
			continue
		}
		why := c.Needs
		if why == "" {
			why = c.Reason
		}
		why = safetext.Clip(why, 200)
		groups[why] = append(groups[why], c.ID)
	}
	keys := make([]string, 0, len(groups))
	for k := range groups {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b string) int {
		if d := len(groups[b]) - len(groups[a]); d != 0 {
			return d
		}
		return strings.Compare(a, b)
	})
	if len(keys) > 0 {
		fmt.Fprintf(w, "  not applicable, by what the device would have to offer:\n")
	}
	for _, k := range keys {
		fmt.Fprintf(w, "    %s: %d control(s) (%s)\n", k, len(groups[k]), strings.Join(groups[k], ", "))
	}
}

// identityLine is what a device said about itself, made safe for a
// terminal, or "" when it said nothing.
func identityLine(id device.Identity) string {
	var parts []string
	if s := strings.TrimSpace(id.Manufacturer + " " + id.Model); s != "" {
		parts = append(parts, safetext.Clip(s, maxShown))
	}
	if id.Serial != "" {
		parts = append(parts, "serial "+safetext.Clip(id.Serial, maxShown))
	}
	if id.Firmware != "" {
		parts = append(parts, "firmware "+safetext.Clip(id.Firmware, maxShown))
	}
	return strings.Join(parts, ", ")
}
