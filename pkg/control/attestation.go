package control

import (
	"fmt"
	"path"
	"path/filepath"
	"strings"
	"time"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/gohcl"
)

// Attestation is a person's statement that a procedural control (method
// "attestation") is met, backed by evidence files. It is written as an
// attestation block in a file given to `ward check --attestations`.
type Attestation struct {
	ID         string    `json:"id"`
	Control    string    `json:"control"`
	AttestedBy string    `json:"attested_by"`
	Date       time.Time `json:"date"`
	// Expires is the last day the attestation holds (UTC).
	Expires time.Time `json:"expires"`
	// Evidence are the files as written in the block; Files are the same
	// resolved against the attestation file's directory.
	Evidence []string `json:"evidence"`
	Files    []string `json:"-"`
	// Checklist is the procedure the attester went through, item by item
	// (for example a biomed technician's per-device security checklist);
	// an item not done means the procedure found a problem.
	Checklist []ChecklistItem `json:"checklist,omitempty"`
	// Targets are path.Match globs on the target URIs the attestation
	// covers ("ssh://*@10.0.0.7*"); "*" alone covers every target, for a
	// site-wide procedure. One unit's checklist says nothing about
	// another unit.
	Targets []string `json:"targets"`
	// DeclRange is the attestation block's header in its file.
	DeclRange hcl.Range `json:"-"`
}

// Covers reports whether the attestation speaks for the target URI.
func (a Attestation) Covers(uri string) bool {
	for _, g := range a.Targets {
		if ok, _ := path.Match(g, uri); ok || g == "*" {
			return true
		}
	}
	return false
}

// Expired reports whether the attestation has lapsed at now: it holds
// through the whole of its expiry day (UTC).
func (a Attestation) Expired(now time.Time) bool {
	return !now.UTC().Before(a.Expires.AddDate(0, 0, 1))
}

// TooOld reports whether the attestation is older at now than the
// control's max_age allows ("" or unparsable: no limit).
func (a Attestation) TooOld(maxAge string, now time.Time) bool {
	d, ok := parseMaxAge(maxAge)
	return ok && now.Sub(a.Date) > d
}

// ChecklistItem is one `check "what was checked" { done = true }` block of
// an attestation.
type ChecklistItem struct {
	Item string `json:"item"`
	Done bool   `json:"done"`
	Note string `json:"note,omitempty"`
}

type checkBlock struct {
	Item string `hcl:"item,label"`
	Done bool   `hcl:"done"`
	Note string `hcl:"note,optional"`
}

type attestationBody struct {
	Control         string       `hcl:"control"`
	ControlRange    hcl.Range    `hcl:"control,attr_value_range"`
	AttestedBy      string       `hcl:"attested_by"`
	AttestedByRange hcl.Range    `hcl:"attested_by,attr_value_range"`
	Date            string       `hcl:"date"`
	DateRange       hcl.Range    `hcl:"date,attr_value_range"`
	Expires         string       `hcl:"expires"`
	ExpiresRange    hcl.Range    `hcl:"expires,attr_value_range"`
	Evidence        []string     `hcl:"evidence"`
	EvidenceRange   hcl.Range    `hcl:"evidence,attr_value_range"`
	Targets         []string     `hcl:"targets,optional"`
	TargetsRange    hcl.Range    `hcl:"targets,attr_value_range"`
	Checks          []checkBlock `hcl:"check,block"`
}

// LoadAttestations reads the attestation files at paths and decodes their
// attestation blocks, checking each against cat (the control must exist
// and be verified by attestation). Evidence files are not read: a missing
// file leaves the control not satisfied, it is not a configuration error.
func LoadAttestations(paths []string, cat *Catalogue) ([]Attestation, *Sources, hcl.Diagnostics) {
	return loadBlocks(paths, "attestation", func(b *hcl.Block, dir string) (Attestation, hcl.Diagnostics) {
		return decodeAttestation(b, cat, dir)
	})
}

func decodeAttestation(b *hcl.Block, cat *Catalogue, dir string) (Attestation, hcl.Diagnostics) {
	var body attestationBody
	diags := sortDiags(gohcl.DecodeBody(b.Body, nil, &body))
	decoded := diags
	a := Attestation{
		ID:         b.Labels[0],
		Control:    body.Control,
		AttestedBy: strings.TrimSpace(body.AttestedBy),
		Evidence:   body.Evidence,
		Targets:    body.Targets,
		DeclRange:  b.DefRange,
	}
	for _, c := range body.Checks {
		a.Checklist = append(a.Checklist, ChecklistItem{Item: strings.TrimSpace(c.Item), Done: c.Done, Note: strings.TrimSpace(c.Note)})
	}
	if !controlIDRe.MatchString(a.ID) {
		diags = append(diags, errorAt(b.LabelRanges[0], "Invalid attestation id",
			"Attestation id %q must be letters, digits, \".\", \"_\" and \"-\", starting with a letter or digit.", a.ID))
	}
	if present(decoded, body.ControlRange) && cat != nil {
		c, ok := cat.Control(a.Control)
		switch {
		case !ok:
			diags = append(diags, errorAt(body.ControlRange, "Unknown control",
				"Attestation %q names control %q, which is not in the catalogue.", a.ID, a.Control))
		case !c.Verification.NeedsAttestation():
			diags = append(diags, errorAt(body.ControlRange, "Control not verified by attestation",
				"Control %q is verified by method %q; only controls with method %q or %q take attestations. To accept a failing check, use a waiver.", a.Control, c.Verification.Method, MethodAttestation, MethodScenarioAndAttestation))
		}
	}
	diags = append(diags, requireText(decoded, "attested_by", a.AttestedBy, body.AttestedByRange)...)
	date := func(s string, r hcl.Range, name string) time.Time {
		if !present(decoded, r) {
			return time.Time{}
		}
		t, err := time.Parse(DateLayout, strings.TrimSpace(s))
		if err != nil {
			diags = append(diags, errorAt(r, "Invalid date",
				"%s must be a date written YYYY-MM-DD, such as \"2027-01-31\"; got %q.", name, s))
		}
		return t
	}
	a.Date = date(body.Date, body.DateRange, "date")
	a.Expires = date(body.Expires, body.ExpiresRange, "expires")
	if !a.Date.IsZero() && !a.Expires.IsZero() && a.Expires.Before(a.Date) {
		diags = append(diags, errorAt(body.ExpiresRange, "Expires before date",
			"The attestation expires on %s, before it was made on %s.", body.Expires, body.Date))
	}
	diags = append(diags, requireList(decoded, "evidence", a.Evidence, body.EvidenceRange)...)
	if body.TargetsRange == (hcl.Range{}) {
		diags = append(diags, errorAt(b.DefRange, "Missing targets",
			"Attestation %q must say which targets it covers: targets = [\"ssh://*@10.0.0.7*\"] for one unit, [\"*\"] for a procedure that covers every device. A target it does not cover stays not assessed.", a.ID))
	} else if present(decoded, body.TargetsRange) {
		diags = append(diags, requireList(decoded, "targets", a.Targets, body.TargetsRange)...)
		for _, g := range a.Targets {
			if _, err := path.Match(g, ""); err != nil {
				diags = append(diags, errorAt(body.TargetsRange, "Invalid target glob",
					"targets[%q] is not a valid glob (path.Match syntax: *, ?, [...]); it matches target URIs such as \"sim://infusion-pump?weaken=no-auth\".", g))
			}
		}
	}
	for _, e := range a.Evidence {
		f := e
		if !filepath.IsAbs(f) {
			f = filepath.Join(dir, f)
		}
		a.Files = append(a.Files, f)
	}
	return a, diags
}

// String names the attestation for messages.
func (a Attestation) String() string {
	return fmt.Sprintf("attestation %s by %s on %s", a.ID, a.AttestedBy, a.Date.Format(DateLayout))
}
