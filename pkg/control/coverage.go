package control

import (
	"fmt"
	"io/fs"
	"strings"

	"github.com/hashicorp/hcl/v2"
)

// CheckCoverage cross-checks scenarios against the catalogue. Errors:
//   - a tag that starts with a declared tag_prefix but names no control
//     (the range is the tag in its .feature file), reported once per place
//     it is written;
//   - a control verified by method "scenario" that no scenario carries
//     (the range is the control block). Attestation controls need none.
//
// A tag that would be a control tag but for letter case ("@hipaa-...") is
// a warning, since it silently verifies nothing.
func (c *Catalogue) CheckCoverage(scns []ScenarioRef) hcl.Diagnostics {
	return append(c.checkTags(scns), c.checkCovered(scns)...)
}

// checkTags reports control tags that name no control.
func (c *Catalogue) checkTags(scns []ScenarioRef) hcl.Diagnostics {
	var diags hcl.Diagnostics
	type place struct {
		file, name string
		at         int
	}
	reported := map[place]bool{}
	for _, s := range scns {
		for _, t := range s.Tags {
			p := place{t.Range.Filename, t.Name, t.Range.Start.Byte}
			if reported[p] {
				continue // inherited from the feature or rule: seen already
			}
			if d := c.checkTag(t); d != nil {
				reported[p] = true
				diags = append(diags, d)
			}
		}
	}
	return diags
}

func (c *Catalogue) checkTag(t Tag) *hcl.Diagnostic {
	if strings.HasPrefix(t.Name, TouchesPrefix) {
		return checkTouches(t)
	}
	id := strings.TrimPrefix(t.Name, "@")
	if f, ok := c.FrameworkForTag(id); ok {
		if _, ok := c.Control(id); ok {
			return nil
		}
		detail := fmt.Sprintf("The tag %s starts with %q, the tag prefix of framework %q, but the catalogue has no control %q.", t.Name, f.TagPrefix+"-", f.ID, id)
		var ids []string
		for _, ctl := range c.Controls {
			if ctl.Framework == f.ID {
				ids = append(ids, ctl.ID)
			}
		}
		if s := suggest(id, ids); s != "" {
			detail += fmt.Sprintf(" Did you mean @%s?", s)
		} else {
			detail += " Declare the control in the catalogue, or correct the tag."
		}
		return &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Unknown control tag", Detail: detail, Subject: t.Range.Ptr()}
	}
	for _, f := range c.Frameworks {
		p := f.TagPrefix + "-"
		if f.TagPrefix != "" && len(id) > len(p) && strings.EqualFold(id[:len(p)], p) {
			return &hcl.Diagnostic{
				Severity: hcl.DiagWarning,
				Summary:  "Tag looks like a control tag",
				Detail: fmt.Sprintf("The tag %s differs from the tag prefix %q of framework %q only in letter case. Tags are case-sensitive, so it verifies no control; write @%s%s to refer to one.",
					t.Name, p, f.ID, p, id[len(p):]),
				Subject: t.Range.Ptr(),
			}
		}
	}
	return nil
}

// checkCovered reports scenario-verified controls that no scenario carries.
func (c *Catalogue) checkCovered(scns []ScenarioRef) hcl.Diagnostics {
	carried := map[string]bool{}
	for _, s := range scns {
		for _, t := range s.Tags {
			carried[strings.TrimPrefix(t.Name, "@")] = true
		}
	}
	var diags hcl.Diagnostics
	for _, ctl := range c.Controls {
		if !ctl.Verification.NeedsScenarios() || carried[ctl.ID] {
			continue
		}
		diags = append(diags, &hcl.Diagnostic{
			Severity: hcl.DiagError,
			Summary:  "Control has no scenario",
			Detail: fmt.Sprintf("Control %q is verified by method %q, but no scenario carries the tag @%s. Tag the scenarios that check it, or verify it by attestation.",
				ctl.ID, ctl.Verification.Method, ctl.ID),
			Subject: ctl.DeclRange.Ptr(),
		})
	}
	return diags
}

// Lint loads the catalogue from controls, scans the scenarios in
// features and cross-checks them (Load, ScanFeatures, CheckCoverage). The
// cross-check is skipped while the catalogue has errors, and the check
// for controls without scenarios while a feature file has errors, since
// their findings would be noise. All diagnostics are returned together.
func Lint(controls, features fs.FS) (*Catalogue, []ScenarioRef, *Sources, hcl.Diagnostics) {
	cat, src, ldiags := Load(controls)
	scns, fdiags := ScanFeatures(features, src)
	diags := append(ldiags, fdiags...)
	switch {
	case ldiags.HasErrors():
		// The catalogue is partial: every cross-check would be suspect.
	case fdiags.HasErrors():
		// Some scenarios are unknown, but the tags seen can be checked.
		diags = append(diags, cat.checkTags(scns)...)
	default:
		diags = append(diags, cat.CheckCoverage(scns)...)
	}
	return cat, scns, src, diags
}
