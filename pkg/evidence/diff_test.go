package evidence_test

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/wardsec/ward/pkg/evidence"
)

func runOf(targets map[string]map[string]evidence.Outcome) *evidence.Run {
	r := &evidence.Run{}
	for _, uri := range []string{"a", "b", "c"} {
		cs, ok := targets[uri]
		if !ok {
			continue
		}
		t := evidence.Target{URI: uri}
		for _, id := range []string{"X", "Y", "Z"} {
			if o, ok := cs[id]; ok {
				t.Controls = append(t.Controls, evidence.Control{ID: id, Outcome: o})
			}
		}
		r.Targets = append(r.Targets, t)
	}
	return r
}

const (
	sat = evidence.Satisfied
	ns  = evidence.NotSatisfied
	na  = evidence.NotApplicable
	wv  = evidence.Waived
)

func TestDiff(t *testing.T) {
	tests := []struct {
		name      string
		old, next map[string]map[string]evidence.Outcome
		want      []evidence.Change
	}{
		{"no change", map[string]map[string]evidence.Outcome{"a": {"X": sat}}, map[string]map[string]evidence.Outcome{"a": {"X": sat}}, nil},
		{"per-target regression", map[string]map[string]evidence.Outcome{"a": {"X": sat}, "b": {"X": sat}}, map[string]map[string]evidence.Outcome{"a": {"X": sat}, "b": {"X": ns}},
			[]evidence.Change{{Target: "b", Control: "X", Old: sat, New: ns, Regressed: true}}},
		{"recovery", map[string]map[string]evidence.Outcome{"a": {"X": ns}}, map[string]map[string]evidence.Outcome{"a": {"X": sat}},
			[]evidence.Change{{Target: "a", Control: "X", Old: ns, New: sat}}},
		{"waived counts as good", map[string]map[string]evidence.Outcome{"a": {"X": sat}}, map[string]map[string]evidence.Outcome{"a": {"X": wv}}, nil},
		{"new control not satisfied regresses", map[string]map[string]evidence.Outcome{"a": {"X": sat}}, map[string]map[string]evidence.Outcome{"a": {"X": sat, "Y": na}},
			[]evidence.Change{{Target: "a", Control: "Y", New: na, Regressed: true}}},
		{"different targets: whole run", map[string]map[string]evidence.Outcome{"a": {"X": sat}, "b": {"X": sat}}, map[string]map[string]evidence.Outcome{"c": {"X": ns}},
			[]evidence.Change{{Control: "X", Old: sat, New: ns, Regressed: true}}},
		{"whole run: good only if good everywhere", map[string]map[string]evidence.Outcome{"a": {"X": sat}, "b": {"X": ns}}, map[string]map[string]evidence.Outcome{"c": {"X": sat}},
			[]evidence.Change{{Control: "X", Old: ns, New: sat}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := evidence.Diff(runOf(tt.old), runOf(tt.next))
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Diff (-want +got):\n%s", diff)
			}
		})
	}
}
