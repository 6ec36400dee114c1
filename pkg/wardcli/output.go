package wardcli

import (
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/wardsec/ward/internal/safetext"
	"github.com/wardsec/ward/pkg/device"
	"github.com/wardsec/ward/pkg/evidence"
)

// compactAbove is the number of targets above which ward check prints one
// line per target and a fleet summary instead of one line per control per
// target: three devices' tables (about 150 lines each) still read on a
// screen or in a CI log, a fleet's do not. --verbose prints the tables
// whatever the count.
const compactAbove = 3

// maxNamed bounds the control ids named on one target's line: a device
// failing most of the catalogue gets the first ones and a count.
const maxNamed = 12

// outcomeOrder is the order outcomes are counted and printed in.
var outcomeOrder = []evidence.Outcome{evidence.Satisfied, evidence.NotSatisfied, evidence.NotApplicable, evidence.NotAssessed, evidence.Error, evidence.Waived}

// exitFor is the exit status the outcomes of run call for: 1 when a
// control is not satisfied, else 3 when one is in error or a target could
// not be checked, else 0.
func exitFor(run *evidence.Run) int {
	code := exitOK
	for _, t := range run.Targets {
		if t.Error != "" && code == exitOK {
			code = exitHarness
		}
		for _, c := range t.Controls {
			switch {
			case c.Outcome == evidence.NotSatisfied:
				return exitNotSatisfied
			case c.Outcome == evidence.Error && code == exitOK:
				code = exitHarness
			}
		}
	}
	return code
}

// countOutcomes counts the outcomes of cs.
func countOutcomes(cs []evidence.Control) map[evidence.Outcome]int {
	n := map[evidence.Outcome]int{}
	for _, c := range cs {
		n[c.Outcome]++
	}
	return n
}

// countsLine is "40 satisfied, 1 not satisfied, ..." as the per-target
// tables print it (waived only when there are some).
func countsLine(n map[evidence.Outcome]int) string {
	s := fmt.Sprintf("%d satisfied, %d not satisfied, %d not applicable, %d not assessed, %d error",
		n[evidence.Satisfied], n[evidence.NotSatisfied], n[evidence.NotApplicable], n[evidence.NotAssessed], n[evidence.Error])
	if n[evidence.Waived] > 0 {
		s += fmt.Sprintf(", %d waived", n[evidence.Waived])
	}
	return s
}

// idsWith lists the ids of the controls in cs with outcome o.
func idsWith(cs []evidence.Control, o evidence.Outcome) []string {
	var out []string
	for _, c := range cs {
		if c.Outcome == o {
			out = append(out, c.ID)
		}
	}
	return out
}

// namedIDs shows at most maxNamed ids, escaped for the terminal.
func namedIDs(ids []string) string {
	shown := make([]string, 0, min(len(ids), maxNamed))
	for _, id := range ids[:min(len(ids), maxNamed)] {
		shown = append(shown, safetext.Clip(id, 64))
	}
	s := strings.Join(shown, ", ")
	if len(ids) > maxNamed {
		s += fmt.Sprintf(" and %d more", len(ids)-maxNamed)
	}
	return s
}

// printCompact prints one line per target (identity, counts, the controls
// not satisfied and in error named) and a fleet summary: totals per
// outcome and, per control some target fails, how many targets fail it.
func printCompact(w io.Writer, run *evidence.Run) {
	width := len(fmt.Sprint(len(run.Targets)))
	fmt.Fprintln(w)
	for i, t := range run.Targets {
		head := fmt.Sprintf("[%*d] %s", width, i+1, safetext.Clip(t.URI, 160))
		if t.Error != "" {
			fmt.Fprintf(w, "%s: target error: %s (%d control(s) not checked)\n", head, safetext.Clip(strings.TrimPrefix(t.Error, "open "+t.URI+": "), 200), len(t.Controls))
			continue
		}
		if id := compactIdentity(t.Identity); id != "" {
			head += " (" + id + ")"
		}
		line := head + ": " + countsLine(countOutcomes(t.Controls))
		if ids := idsWith(t.Controls, evidence.NotSatisfied); len(ids) > 0 {
			line += "; FAILED " + namedIDs(ids)
		}
		if ids := idsWith(t.Controls, evidence.Error); len(ids) > 0 {
			line += "; ERROR " + namedIDs(ids)
		}
		fmt.Fprintln(w, line)
	}
	s := summarize(run)
	fmt.Fprintf(w, "\nfleet: %d target(s), %d could not be checked; %d control(s) each\n", s.Targets, s.TargetErrors, run.Catalogue.Controls)
	fmt.Fprintf(w, "  outcomes: %s\n", countsLine(s.Outcomes))
	failing := s.failing()
	if len(failing) == 0 {
		fmt.Fprintln(w, "  no control is not satisfied or in error on any target")
		return
	}
	fmt.Fprintf(w, "  controls failing on some of the %d target(s):\n", s.Targets)
	for _, c := range failing {
		fmt.Fprintf(w, "    %-24s %4d not satisfied %4d error  %s\n", safetext.Clip(c.ID, 64), c.Outcomes[evidence.NotSatisfied], c.Outcomes[evidence.Error], safetext.Clip(c.Title, 80))
	}
}

// compactIdentity is "model, serial S, firmware F", each part clipped
// short: the device chose these strings.
func compactIdentity(id device.Identity) string {
	var parts []string
	if id.Model != "" {
		parts = append(parts, safetext.Clip(id.Model, 40))
	}
	if id.Serial != "" {
		parts = append(parts, "serial "+safetext.Clip(id.Serial, 40))
	}
	if id.Firmware != "" {
		parts = append(parts, "firmware "+safetext.Clip(id.Firmware, 40))
	}
	return strings.Join(parts, ", ")
}

// fleetSummary is the machine-readable summary of a run (--format json);
// docs/check-output.md specifies it. Version changes when a field changes
// meaning or goes away; new fields may appear within a version.
type fleetSummary struct {
	Version      int                      `json:"version"`
	RunID        string                   `json:"run_id"`
	Started      time.Time                `json:"started"`
	Finished     time.Time                `json:"finished"`
	Shard        *evidence.Shard          `json:"shard,omitempty"`
	Catalogue    evidence.Catalogue       `json:"catalogue"`
	Bundle       string                   `json:"bundle"`
	SignedBy     string                   `json:"signed_by"`
	ExitCode     int                      `json:"exit_code"`
	Gates        []string                 `json:"gates"`
	Targets      int                      `json:"targets"`
	TargetErrors int                      `json:"target_errors"`
	Outcomes     map[evidence.Outcome]int `json:"outcomes"`
	Controls     []controlSummary         `json:"controls"`
	PerTarget    []targetSummary          `json:"per_target"`
}

// controlSummary counts one control's outcomes over the targets.
type controlSummary struct {
	ID        string                   `json:"id"`
	Framework string                   `json:"framework"`
	Title     string                   `json:"title"`
	Outcomes  map[evidence.Outcome]int `json:"outcomes"`
}

// targetSummary is one target's line.
type targetSummary struct {
	Index        int                      `json:"index"`
	URI          string                   `json:"uri"`
	Identity     device.Identity          `json:"identity"`
	Error        string                   `json:"error,omitempty"`
	Outcomes     map[evidence.Outcome]int `json:"outcomes"`
	NotSatisfied []string                 `json:"not_satisfied"`
	Errors       []string                 `json:"errors"`
	Waived       []string                 `json:"waived"`
	NotAssessed  []string                 `json:"not_assessed"`
}

// summarize counts run's outcomes per target, per control and in all.
func summarize(run *evidence.Run) *fleetSummary {
	s := &fleetSummary{Version: 1, RunID: run.ID, Started: run.Started, Finished: run.Finished, Shard: run.Shard,
		Catalogue: run.Catalogue, Gates: []string{}, Targets: len(run.Targets), Outcomes: zeroOutcomes(),
		Controls: []controlSummary{}, PerTarget: []targetSummary{}}
	byID := map[string]int{}
	for i, t := range run.Targets {
		if t.Error != "" {
			s.TargetErrors++
		}
		ts := targetSummary{Index: i, URI: t.URI, Identity: t.Identity, Error: t.Error, Outcomes: zeroOutcomes(),
			NotSatisfied: nonNil(idsWith(t.Controls, evidence.NotSatisfied)), Errors: nonNil(idsWith(t.Controls, evidence.Error)),
			Waived: nonNil(idsWith(t.Controls, evidence.Waived)), NotAssessed: nonNil(idsWith(t.Controls, evidence.NotAssessed))}
		for _, c := range t.Controls {
			ts.Outcomes[c.Outcome]++
			s.Outcomes[c.Outcome]++
			k, ok := byID[c.ID]
			if !ok {
				k = len(s.Controls)
				byID[c.ID] = k
				s.Controls = append(s.Controls, controlSummary{ID: c.ID, Framework: c.Framework, Title: c.Title, Outcomes: zeroOutcomes()})
			}
			s.Controls[k].Outcomes[c.Outcome]++
		}
		s.PerTarget = append(s.PerTarget, ts)
	}
	return s
}

// failing lists the controls not satisfied or in error on some target,
// most often failing first.
func (s *fleetSummary) failing() []controlSummary {
	var out []controlSummary
	for _, c := range s.Controls {
		if c.Outcomes[evidence.NotSatisfied]+c.Outcomes[evidence.Error] > 0 {
			out = append(out, c)
		}
	}
	slices.SortStableFunc(out, func(a, b controlSummary) int {
		return (b.Outcomes[evidence.NotSatisfied] + b.Outcomes[evidence.Error]) - (a.Outcomes[evidence.NotSatisfied] + a.Outcomes[evidence.Error])
	})
	return out
}

func zeroOutcomes() map[evidence.Outcome]int {
	m := make(map[evidence.Outcome]int, len(outcomeOrder))
	for _, o := range outcomeOrder {
		m[o] = 0
	}
	return m
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// writeJSONSummary prints the --format json summary.
func writeJSONSummary(w io.Writer, run *evidence.Run, dir, signedBy string, code int, gates string) error {
	s := summarize(run)
	s.Bundle, s.SignedBy, s.ExitCode = dir, signedBy, code
	for _, l := range strings.Split(strings.TrimSpace(gates), "\n") {
		if l != "" {
			s.Gates = append(s.Gates, strings.TrimPrefix(l, "GATE "))
		}
	}
	b, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(w, "%s\n", b)
	return err
}
