package evidence

import "sort"

// Change is one control whose outcome moved between two runs.
type Change struct {
	// Target is the target URI, or "" for a whole-run comparison.
	Target    string  `json:"target,omitempty"`
	Control   string  `json:"control"`
	Old       Outcome `json:"old"`
	New       Outcome `json:"new"`
	Regressed bool    `json:"regressed"`
}

// Diff lists controls that regressed (were satisfied or waived, are not
// now) or recovered (the reverse) from old to next. When every target of
// next also appears in old (by URI) it compares per target; otherwise it
// compares each control over the whole run, where a control counts as
// satisfied only if it is satisfied or waived on every target.
func Diff(old, next *Run) []Change {
	oldBy := map[string]*Target{}
	for i := range old.Targets {
		oldBy[old.Targets[i].URI] = &old.Targets[i]
	}
	shared := len(next.Targets) > 0
	for _, t := range next.Targets {
		if oldBy[t.URI] == nil {
			shared = false
		}
	}
	var out []Change
	if shared {
		for _, t := range next.Targets {
			before := outcomesOf(oldBy[t.URI].Controls)
			for _, c := range t.Controls {
				if ch, ok := change(before[c.ID], c.Outcome); ok {
					ch.Target, ch.Control = t.URI, c.ID
					out = append(out, ch)
				}
			}
		}
		return out
	}
	before, after := wholeRun(old), wholeRun(next)
	ids := make([]string, 0, len(after))
	for id := range after {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	for _, id := range ids {
		if ch, ok := change(before[id], after[id]); ok {
			ch.Control = id
			out = append(out, ch)
		}
	}
	return out
}

func good(o Outcome) bool { return o == Satisfied || o == Waived }

// change reports a move across the good/bad line; a control new in the run
// (no old outcome) counts as a regression when it is not good.
func change(old, next Outcome) (Change, bool) {
	switch {
	case old == "" && !good(next):
		return Change{Old: old, New: next, Regressed: true}, true
	case old == "":
		return Change{}, false
	case good(old) && !good(next):
		return Change{Old: old, New: next, Regressed: true}, true
	case !good(old) && good(next):
		return Change{Old: old, New: next}, true
	}
	return Change{}, false
}

func outcomesOf(cs []Control) map[string]Outcome {
	m := make(map[string]Outcome, len(cs))
	for _, c := range cs {
		m[c.ID] = c.Outcome
	}
	return m
}

// wholeRun folds a run to one outcome per control: satisfied when good on
// every target, otherwise the first bad outcome seen.
func wholeRun(r *Run) map[string]Outcome {
	m := map[string]Outcome{}
	for _, t := range r.Targets {
		for _, c := range t.Controls {
			cur, seen := m[c.ID]
			switch {
			case !seen:
				m[c.ID] = c.Outcome
			case good(cur) && !good(c.Outcome):
				m[c.ID] = c.Outcome
			}
		}
	}
	for id, o := range m {
		if o == Waived {
			m[id] = Satisfied
		}
	}
	return m
}
