package control

import (
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/hashicorp/hcl/v2"
)

// Status is how binding a control is, in its framework's own terms.
type Status string

// The statuses a control can have.
const (
	// Required: the regulation requires it as written (HIPAA "R").
	Required Status = "required"
	// Addressable: implement it, or document why an equivalent measure is
	// reasonable (HIPAA "A", 45 CFR 164.306(d)(3)). Not optional.
	Addressable Status = "addressable"
	// Guidance: recommended by guidance (FDA premarket guidance), expected
	// by reviewers but not a regulation's text.
	Guidance Status = "guidance"
	// Proposed: from a proposed rule, not in force.
	Proposed Status = "proposed"
)

var statuses = []Status{Required, Addressable, Guidance, Proposed}

// Valid reports whether s is one of the declared statuses.
func (s Status) Valid() bool { return slices.Contains(statuses, s) }

// Severity is the impact of the control not being satisfied.
type Severity string

// The severities a control can have, most severe first.
const (
	Critical Severity = "critical"
	High     Severity = "high"
	Medium   Severity = "medium"
	Low      Severity = "low"
)

var severities = []Severity{Critical, High, Medium, Low}

// Valid reports whether s is one of the declared severities.
func (s Severity) Valid() bool { return slices.Contains(severities, s) }

// Method is how a control is shown to be satisfied (Verification.Method).
type Method string

// The verification methods.
const (
	// MethodScenario: verified by the Gherkin scenarios tagged with the
	// control id.
	MethodScenario Method = "scenario"
	// MethodAttestation: a procedural control, verified by evidence files
	// a person supplies (training records, policies), no younger than
	// MaxAge.
	MethodAttestation Method = "attestation"
	// MethodScenarioAndAttestation: both at once, for a control with a
	// behaviour the device must show and a written plan a person must
	// keep (emergency mode operation): the tagged scenarios must pass AND
	// an attestation must be accepted. Without an attestation it is never
	// satisfied.
	MethodScenarioAndAttestation Method = "scenario+attestation"
)

var methods = []Method{MethodScenario, MethodAttestation, MethodScenarioAndAttestation}

// Valid reports whether m is one of the declared methods.
func (m Method) Valid() bool { return slices.Contains(methods, m) }

// NeedsScenarios reports whether the control is verified (also) by the
// scenarios tagged with its id.
func (v Verification) NeedsScenarios() bool {
	return v.Method == MethodScenario || v.Method == MethodScenarioAndAttestation
}

// NeedsAttestation reports whether the control needs (also) an accepted
// attestation.
func (v Verification) NeedsAttestation() bool {
	return v.Method == MethodAttestation || v.Method == MethodScenarioAndAttestation
}

// Framework is a body of rules controls belong to: a regulation, a
// proposed rule, a guidance document.
type Framework struct {
	ID       string `json:"id"`
	Name     string `json:"name"`
	Citation string `json:"citation"`
	// TagPrefix marks scenario tags that refer to this framework's
	// controls: every control id starts with TagPrefix + "-".
	TagPrefix string `json:"tag_prefix"`
	URL       string `json:"url,omitempty"`
	// ShortName is the heading reports give it; Name when not set.
	ShortName string `json:"short_name,omitempty"`
	// Sections are the parts of the framework reports group its controls
	// by, in declaration order (HIPAA sections, FDA Appendix 1
	// categories). When a framework has sections, each of its controls is
	// in exactly one.
	Sections []Section `json:"sections,omitempty"`
	// Order is the framework's position among the catalogue's framework
	// blocks (files in path order, blocks in file order): the order
	// reports list frameworks in.
	Order int `json:"order"`
	// DeclRange is the framework block's header in its .hcl file.
	DeclRange hcl.Range `json:"-"`
}

// Heading is the name reports give the framework: ShortName, else Name.
func (f Framework) Heading() string {
	if f.ShortName != "" {
		return f.ShortName
	}
	return f.Name
}

// Section is one part of a framework and the controls it holds.
type Section struct {
	ID    string `json:"id"`
	Title string `json:"title"`
	// Controls are the ids of the framework's controls in this section.
	Controls []string `json:"controls"`
	// DeclRange is the section block's header in its .hcl file.
	DeclRange hcl.Range `json:"-"`
}

// SectionOf returns the section of f that holds the control id.
func (f Framework) SectionOf(id string) (Section, bool) {
	for _, s := range f.Sections {
		if slices.Contains(s.Controls, id) {
			return s, true
		}
	}
	return Section{}, false
}

// Reference points from a control to the matching items of another
// scheme (crosswalk): Scheme is e.g. "fda-premarket", "iec-62443-4-2",
// "mds2"; Refs are that scheme's item ids.
type Reference struct {
	Scheme string   `json:"scheme"`
	Refs   []string `json:"refs"`
}

// Verification says how a control is shown to be satisfied.
type Verification struct {
	// Method is MethodScenario, MethodAttestation or
	// MethodScenarioAndAttestation.
	Method Method `json:"method"`
	// Evidence names the kinds of evidence an attestation needs
	// (attestation only).
	Evidence []string `json:"evidence,omitempty"`
	// MaxAge is how old attestation evidence may be, as "<n>h", "<n>d" or
	// "<n>w"; empty means no limit (attestation only).
	MaxAge string `json:"max_age,omitempty"`
}

// MaxAgeDuration returns MaxAge as a duration (a day is 24 hours). ok is
// false when MaxAge is empty or malformed; Load rejects malformed values.
func (v Verification) MaxAgeDuration() (d time.Duration, ok bool) {
	return parseMaxAge(v.MaxAge)
}

// parseMaxAge parses "<n>h", "<n>d" or "<n>w" with n ≥ 1 and at most 100
// years, so the result never overflows.
func parseMaxAge(s string) (time.Duration, bool) {
	if len(s) < 2 {
		return 0, false
	}
	var unit time.Duration
	switch s[len(s)-1] {
	case 'h':
		unit = time.Hour
	case 'd':
		unit = 24 * time.Hour
	case 'w':
		unit = 7 * 24 * time.Hour
	default:
		return 0, false
	}
	digits := s[:len(s)-1]
	if digits[0] < '1' || digits[0] > '9' || strings.ContainsFunc(digits, func(r rune) bool { return r < '0' || r > '9' }) {
		return 0, false
	}
	n, err := strconv.ParseInt(digits, 10, 64)
	const maxAge = 100 * 366 * 24 * time.Hour
	if err != nil || n > int64(maxAge/unit) {
		return 0, false
	}
	return time.Duration(n) * unit, true
}

// Control is one requirement Ward checks.
type Control struct {
	// ID is the control id; scenarios refer to it with the tag "@" + ID.
	ID string `json:"id"`
	// Framework is the id of the Framework it belongs to.
	Framework string `json:"framework"`
	Title     string `json:"title"`
	// Citations are the regulation or guidance sections it comes from.
	Citations []string `json:"citations"`
	Status    Status   `json:"status"`
	Severity  Severity `json:"severity"`
	// Requirement is the requirement in our own words, including what the
	// automated check observes. Load reflows it: lines within a paragraph
	// are joined by spaces, paragraphs are separated by "\n\n".
	Requirement string `json:"requirement"`
	// Remediation says what to do when the control is not satisfied
	// (optional; feeds the plan of action and milestones). Reflowed like
	// Requirement.
	Remediation string `json:"remediation,omitempty"`
	// Crosswalk maps the control to other schemes, in declaration order.
	Crosswalk    []Reference  `json:"crosswalk"`
	Verification Verification `json:"verification"`
	// DeclRange is the control block's header in its .hcl file.
	DeclRange hcl.Range `json:"-"`
}

// Catalogue is a loaded, validated set of frameworks and controls.
// It is not modified after Load returns and is safe for concurrent reads.
type Catalogue struct {
	// Frameworks, sorted by ID.
	Frameworks []Framework
	// Controls, sorted by ID.
	Controls []Control
	// Digest identifies the exact catalogue text: the hex SHA-256 of the
	// lines "<hex SHA-256 of file>  <path>\n" for every .hcl file in
	// byte-wise path order, which is what
	// `find . -name '*.hcl' -not -path '*/.*' | cut -c3- | LC_ALL=C sort | xargs sha256sum | sha256sum`
	// prints when run at the catalogue's root.
	Digest string
}

// Control returns the control with the given id (without "@").
func (c *Catalogue) Control(id string) (Control, bool) {
	i, ok := slices.BinarySearchFunc(c.Controls, id, func(ctl Control, id string) int {
		return strings.Compare(ctl.ID, id)
	})
	if !ok {
		return Control{}, false
	}
	return c.Controls[i], true
}

// Framework returns the framework with the given id.
func (c *Catalogue) Framework(id string) (Framework, bool) {
	for _, f := range c.Frameworks {
		if f.ID == id {
			return f, true
		}
	}
	return Framework{}, false
}

// IsControlTag reports whether a scenario tag ("@HIPAA-164.312-b" or
// "HIPAA-164.312-b") refers to a control: it starts with a declared
// tag_prefix followed by "-" and something more. It does not say whether
// the control exists (see Control and CheckCoverage). Other tags, such as
// "@slow", are free for other uses.
func (c *Catalogue) IsControlTag(tag string) bool {
	_, ok := c.FrameworkForTag(tag)
	return ok
}

// FrameworkForTag returns the framework whose tag_prefix a control tag (or
// control id) starts with. When prefixes nest ("FDA" and "FDA-PMC"), the
// longest matching prefix wins.
func (c *Catalogue) FrameworkForTag(tag string) (Framework, bool) {
	i := longestPrefix(c.Frameworks, strings.TrimPrefix(tag, "@"))
	if i < 0 {
		return Framework{}, false
	}
	return c.Frameworks[i], true
}

// longestPrefix returns the index of the framework whose TagPrefix+"-",
// followed by at least one more byte, starts id, preferring the longest
// prefix, or -1.
func longestPrefix(fws []Framework, id string) int {
	best := -1
	for i, f := range fws {
		if f.TagPrefix == "" || len(id) <= len(f.TagPrefix)+1 {
			continue
		}
		if strings.HasPrefix(id, f.TagPrefix) && id[len(f.TagPrefix)] == '-' {
			if best < 0 || len(f.TagPrefix) > len(fws[best].TagPrefix) {
				best = i
			}
		}
	}
	return best
}
