package harness

import (
	"slices"

	"github.com/wardsec/ward/pkg/control"
	"github.com/wardsec/ward/pkg/evidence"
)

// Frameworks is the catalogue's frameworks as the evidence report
// presents them (evidence.Run.Frameworks): in declaration order, each with
// its heading and its sections. The report reads its sections from here,
// not from tables of its own, so a catalogue given with --controls
// groups its controls as it declares. Runner.Header records them in every
// run (evidence.Run.Frameworks).
func Frameworks(cat *control.Catalogue) []evidence.Framework {
	fws := slices.Clone(cat.Frameworks)
	slices.SortStableFunc(fws, func(a, b control.Framework) int { return a.Order - b.Order })
	out := make([]evidence.Framework, 0, len(fws))
	for _, f := range fws {
		ef := evidence.Framework{ID: f.ID, Name: f.Heading()}
		for _, s := range f.Sections {
			ef.Sections = append(ef.Sections, evidence.Section{ID: s.ID, Title: s.Title, Controls: slices.Clone(s.Controls)})
		}
		out = append(out, ef)
	}
	return out
}
