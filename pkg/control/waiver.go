package control

import (
	"fmt"
	"net/url"
	"path"
	"strings"
	"time"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/gohcl"
)

// DateLayout is how waiver and attestation dates are written: "2027-01-31".
const DateLayout = "2006-01-02"

// Waiver accepts the risk of a control not being satisfied on the targets
// it selects, until it expires. It is written as a waiver block in a file
// given to `ward check --waivers`.
type Waiver struct {
	ID      string `json:"id"`
	Control string `json:"control"`
	// Targets are path.Match globs on target URIs; empty means every
	// target.
	Targets       []string `json:"targets,omitempty"`
	Justification string   `json:"justification"`
	Approver      string   `json:"approver"`
	// Expires is the last day the waiver applies (UTC): it lapses at the
	// end of that day.
	Expires time.Time `json:"expires"`
	Ticket  string    `json:"ticket,omitempty"`
	// DeclRange is the waiver block's header in its file.
	DeclRange hcl.Range `json:"-"`
}

// Matches reports whether the waiver selects the target URI.
func (w Waiver) Matches(uri string) bool {
	if len(w.Targets) == 0 {
		return true
	}
	for _, g := range w.Targets {
		if ok, _ := path.Match(g, uri); ok {
			return true
		}
	}
	return false
}

// Expired reports whether the waiver has lapsed at now: it is valid
// through the whole of its expiry day (UTC).
func (w Waiver) Expired(now time.Time) bool {
	return !now.UTC().Before(w.Expires.AddDate(0, 0, 1))
}

type waiverBody struct {
	Control            string    `hcl:"control"`
	ControlRange       hcl.Range `hcl:"control,attr_value_range"`
	Targets            []string  `hcl:"targets,optional"`
	TargetsRange       hcl.Range `hcl:"targets,attr_value_range"`
	Justification      string    `hcl:"justification"`
	JustificationRange hcl.Range `hcl:"justification,attr_value_range"`
	Approver           string    `hcl:"approver"`
	ApproverRange      hcl.Range `hcl:"approver,attr_value_range"`
	Expires            string    `hcl:"expires"`
	ExpiresRange       hcl.Range `hcl:"expires,attr_value_range"`
	Ticket             string    `hcl:"ticket,optional"`
	TicketRange        hcl.Range `hcl:"ticket,attr_value_range"`
}

// LoadWaivers reads the waiver files at paths (as given on the command
// line) and decodes their waiver blocks, checking each against cat: every
// problem is a diagnostic with a source range, in file order. The Sources
// hold the files read, for WriteDiagnostics. When the diagnostics hold
// errors the waivers must not be applied.
func LoadWaivers(paths []string, cat *Catalogue) ([]Waiver, *Sources, hcl.Diagnostics) {
	return loadBlocks(paths, "waiver", func(b *hcl.Block, _ string) (Waiver, hcl.Diagnostics) {
		return decodeWaiver(b, cat)
	})
}

// ParseWaivers decodes the waiver blocks of one file named name. seen
// holds the ids already declared (updated in place) to report
// duplicates across files; it may be nil. The parsed file is added to src.
func ParseWaivers(src *Sources, name string, data []byte, cat *Catalogue, seen map[string]hcl.Range) ([]Waiver, hcl.Diagnostics) {
	if seen == nil {
		seen = map[string]hcl.Range{}
	}
	return parseBlocks(src, name, data, "waiver", seen, func(b *hcl.Block) (Waiver, hcl.Diagnostics) {
		return decodeWaiver(b, cat)
	})
}

func decodeWaiver(b *hcl.Block, cat *Catalogue) (Waiver, hcl.Diagnostics) {
	var body waiverBody
	diags := sortDiags(gohcl.DecodeBody(b.Body, nil, &body))
	decoded := diags
	w := Waiver{
		ID:            b.Labels[0],
		Control:       body.Control,
		Targets:       body.Targets,
		Justification: reflow(body.Justification),
		Approver:      strings.TrimSpace(body.Approver),
		Ticket:        body.Ticket,
		DeclRange:     b.DefRange,
	}
	if !controlIDRe.MatchString(w.ID) {
		diags = append(diags, errorAt(b.LabelRanges[0], "Invalid waiver id",
			"Waiver id %q must be letters, digits, \".\", \"_\" and \"-\", starting with a letter or digit.", w.ID))
	}
	if present(decoded, body.ControlRange) && cat != nil {
		if _, ok := cat.Control(w.Control); !ok {
			detail := fmt.Sprintf("Waiver %q names control %q, which is not in the catalogue.", w.ID, w.Control)
			ids := make([]string, 0, len(cat.Controls))
			for _, c := range cat.Controls {
				ids = append(ids, c.ID)
			}
			if s := suggest(w.Control, ids); s != "" {
				detail += fmt.Sprintf(" Did you mean %q?", s)
			}
			diags = append(diags, errorAt(body.ControlRange, "Unknown control", "%s", detail))
		}
	}
	diags = append(diags, requireList(decoded, "targets", w.Targets, body.TargetsRange)...)
	if present(decoded, body.TargetsRange) {
		for _, g := range w.Targets {
			if _, err := path.Match(g, ""); err != nil {
				diags = append(diags, errorAt(body.TargetsRange, "Invalid target glob",
					"targets[%q] is not a valid glob (path.Match syntax: *, ?, [...]); it matches target URIs such as \"sim://infusion-pump?weaken=no-auth\".", g))
			}
		}
	}
	diags = append(diags, requireText(decoded, "justification", w.Justification, body.JustificationRange)...)
	diags = append(diags, requireText(decoded, "approver", w.Approver, body.ApproverRange)...)
	if present(decoded, body.ExpiresRange) {
		t, err := time.Parse(DateLayout, strings.TrimSpace(body.Expires))
		if err != nil {
			diags = append(diags, errorAt(body.ExpiresRange, "Invalid date",
				"expires must be a date written YYYY-MM-DD, such as \"2027-01-31\"; got %q.", body.Expires))
		}
		w.Expires = t
	}
	if w.Ticket != "" && present(decoded, body.TicketRange) {
		u, err := url.Parse(w.Ticket)
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			diags = append(diags, errorAt(body.TicketRange, "Invalid URL",
				"ticket %q must be an absolute http or https URL.", w.Ticket))
		}
	}
	return w, diags
}
